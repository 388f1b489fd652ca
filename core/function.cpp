#include "core/function.hpp"

#include "core/builtin_functions.hpp"

#include <dlfcn.h>

#include <map>
#include <mutex>
#include <unordered_map>

namespace troupe {

namespace {

struct function_table {
  std::mutex mutex;
  std::map<std::string, function_ref, std::less<>> by_name;
  std::unordered_map<const void*, function_ref> by_address;
};

function_table& functions() {
  static function_table table;
  static const bool builtins_added = [] {
    for (auto& fn : builtin_functions()) {
      auto name = fn.name;
      table.by_name.emplace(std::move(name), std::make_shared<const task_function>(std::move(fn)));
    }
    return true;
  }();
  (void)builtins_added;
  return table;
}

}  // namespace

namespace detail {

void throw_arity_error(std::string_view function, std::size_t expected, std::size_t given) {
  throw ArgumentError(std::string(function) + " takes " + std::to_string(expected) +
                      (expected == 1 ? " argument" : " arguments") + ", got " +
                      std::to_string(given));
}

}  // namespace detail

function_ref register_function(std::string name, task_callable call, int arity,
                               const void* address) {
  auto fn = std::make_shared<const task_function>(
      task_function{name, arity, std::move(call), true});
  auto& table = functions();
  std::lock_guard<std::mutex> guard(table.mutex);
  if (!table.by_name.emplace(name, fn).second)
    throw ArgumentError("a function named '" + name +
                        "' is already registered: give the second one another name with "
                        "TROUPE_NAMED_FUNCTION");
  if (address != nullptr) table.by_address.emplace(address, fn);
  return fn;
}

function_ref find_function(std::string_view name) {
  auto& table = functions();
  std::lock_guard<std::mutex> guard(table.mutex);
  auto i = table.by_name.find(name);
  return i == table.by_name.end() ? nullptr : i->second;
}

function_ref find_function_by_address(const void* address) {
  auto& table = functions();
  std::lock_guard<std::mutex> guard(table.mutex);
  auto i = table.by_address.find(address);
  return i == table.by_address.end() ? nullptr : i->second;
}

std::string registered_function_names() {
  auto& table = functions();
  std::lock_guard<std::mutex> guard(table.mutex);
  std::string names;
  for (const auto& [name, fn] : table.by_name) {
    if (!names.empty()) names += ", ";
    names += name;
  }
  return names;
}

std::string symbol_name(const void* address) {
  Dl_info info{};
  if (dladdr(address, &info) == 0 || info.dli_sname == nullptr) return "";
  std::string name = demangle(info.dli_sname);
  // "ns::inc(long)" -> "inc": keys carry the bare function name, as Dask's do.
  if (auto paren = name.find('('); paren != std::string::npos) name.resize(paren);
  if (auto colon = name.rfind("::"); colon != std::string::npos) name.erase(0, colon + 2);
  return name;
}

}  // namespace troupe
