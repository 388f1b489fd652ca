#include "core/config.hpp"

#include <cctype>
#include <cstdlib>
#include <map>
#include <mutex>

namespace troupe::config {

namespace {

struct settings {
  std::mutex mutex;
  std::map<std::string, std::string, std::less<>> values;
};

settings& global() {
  static settings s;
  return s;
}

std::string environment_name(std::string_view key) {
  std::string name = "TROUPE_";
  for (char c : key) name += c == '.' || c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return name;
}

}  // namespace

void set(std::string_view key, std::string value) {
  auto& s = global();
  std::lock_guard<std::mutex> guard(s.mutex);
  s.values.insert_or_assign(std::string(key), std::move(value));
}

void unset(std::string_view key) {
  auto& s = global();
  std::lock_guard<std::mutex> guard(s.mutex);
  if (auto i = s.values.find(key); i != s.values.end()) s.values.erase(i);
}

std::optional<std::string> get(std::string_view key) {
  {
    auto& s = global();
    std::lock_guard<std::mutex> guard(s.mutex);
    if (auto i = s.values.find(key); i != s.values.end()) return i->second;
  }
  if (const char* env = std::getenv(environment_name(key).c_str()); env != nullptr && *env != 0)
    return std::string(env);
  return std::nullopt;
}

}  // namespace troupe::config
