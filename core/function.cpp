#include "core/function.hpp"

#include "core/builtin_functions.hpp"

#include <dlfcn.h>

#include <map>
#include <mutex>
#include <unordered_map>

namespace troupe {

namespace {

// A name claimed twice (two different functions registered under it before main) cannot be
// thrown about during static initialisation: the clash is recorded instead, and every later
// use of the name or of either function raises it.
struct function_table {
  std::mutex mutex;
  std::map<std::string, function_ref, std::less<>> by_name;
  std::unordered_map<const void*, function_ref> by_address;
  std::map<std::string, std::string, std::less<>> clashes;  ///< name -> the error to raise
  std::unordered_map<const void*, std::string> clashing_addresses;
  std::vector<std::string> startup_errors;  ///< registrations before main that failed
};

function_table& functions() {
  static function_table table;
  static const bool builtins_added = [] {
    for (auto& fn : builtin_functions()) {
      fn.name = std::string(builtin_prefix) + fn.name;
      auto name = fn.name;
      table.by_name.emplace(std::move(name), std::make_shared<const task_function>(std::move(fn)));
    }
    return true;
  }();
  (void)builtins_added;
  return table;
}

std::string clash_message(const std::string& name) {
  return "two different functions are registered as '" + name +
         "': a task names its function on the wire, so the name must be unique; rename one "
         "with TROUPE_NAMED_FUNCTION(\"other_name\", f)";
}

void check_name(const std::string& name, bool troupes_own = false) {
  if (name.empty()) throw ArgumentError("a function needs a non-empty name");
  if (!troupes_own && name.rfind(builtin_prefix, 0) == 0)
    throw ArgumentError("function names starting with '" + std::string(builtin_prefix) +
                        "' are reserved for troupe's built-ins; register '" + name +
                        "' under another name");
}

// Adds fn under its name; returns the clash message when the name is taken by another function.
// Before main (`at_startup`) the clash is recorded so that every later use raises it; at run
// time the caller throws and the registry stays as it was.
std::string add_function(function_table& table, const function_ref& fn, const void* address,
                         bool at_startup) {
  if (auto clash = table.clashes.find(fn->name); clash != table.clashes.end()) {
    if (address != nullptr) table.clashing_addresses.emplace(address, clash->second);
    return clash->second;
  }
  auto [existing, inserted] = table.by_name.emplace(fn->name, fn);
  if (!inserted) {
    // The same function registered again (a TROUPE_FUNCTION in a header seen by several
    // translation units) is one registration.
    if (address != nullptr) {
      auto same = table.by_address.find(address);
      if (same != table.by_address.end() && same->second == existing->second) return "";
    }
    std::string message = clash_message(fn->name);
    if (!at_startup) return message;
    for (auto& [known_address, known] : table.by_address)
      if (known == existing->second) table.clashing_addresses.emplace(known_address, message);
    if (address != nullptr) table.clashing_addresses.emplace(address, message);
    table.clashes.emplace(fn->name, message);
    table.by_name.erase(existing);
    return message;
  }
  if (address != nullptr) table.by_address.emplace(address, fn);
  return "";
}

}  // namespace

namespace detail {

void throw_arity_error(std::string_view function, std::size_t expected, std::size_t given) {
  throw ArgumentError(std::string(function) + " takes " + std::to_string(expected) +
                      (expected == 1 ? " argument" : " arguments") + ", got " +
                      std::to_string(given));
}

}  // namespace detail

namespace {

function_ref add_registered(std::string name, task_callable call, int arity, const void* address,
                            bool at_startup, bool troupes_own = false) {
  check_name(name, troupes_own);
  auto fn = std::make_shared<const task_function>(
      task_function{name, arity, std::move(call), true});
  auto& table = functions();
  std::lock_guard<std::mutex> guard(table.mutex);
  if (auto clash = add_function(table, fn, address, at_startup); !clash.empty())
    throw ArgumentError(clash);
  return fn;
}

}  // namespace

function_ref register_function(std::string name, task_callable call, int arity,
                               const void* address) {
  return add_registered(std::move(name), std::move(call), arity, address, false);
}

namespace detail {

function_ref register_at_startup(std::string name, task_callable call, int arity,
                                 const void* address, bool troupes_own) noexcept {
  try {
    return add_registered(name, std::move(call), arity, address, true, troupes_own);
  } catch (const std::exception& e) {
    // Kept, and raised where the function is used (by address, and by name unless the name
    // belongs to another function).
    auto& table = functions();
    std::lock_guard<std::mutex> guard(table.mutex);
    table.startup_errors.push_back(e.what());
    if (address != nullptr) table.clashing_addresses.emplace(address, e.what());
    if (!table.by_name.count(name)) table.clashes.emplace(name, e.what());
    return nullptr;
  }
}

}  // namespace detail

std::vector<std::string> registration_errors() {
  auto& table = functions();
  std::lock_guard<std::mutex> guard(table.mutex);
  return table.startup_errors;
}

function_ref find_function(std::string_view name) {
  auto& table = functions();
  std::lock_guard<std::mutex> guard(table.mutex);
  if (auto clash = table.clashes.find(name); clash != table.clashes.end())
    throw ArgumentError(clash->second);
  auto i = table.by_name.find(name);
  return i == table.by_name.end() ? nullptr : i->second;
}

function_ref find_function_by_address(const void* address) {
  auto& table = functions();
  std::lock_guard<std::mutex> guard(table.mutex);
  if (auto clash = table.clashing_addresses.find(address); clash != table.clashing_addresses.end())
    throw ArgumentError(clash->second);
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

std::string function_signatures() {
  auto& table = functions();
  std::lock_guard<std::mutex> guard(table.mutex);
  std::string out;
  for (const auto& [name, fn] : table.by_name)
    out += std::string(name) + "/" + std::to_string(fn->arity) + "\n";
  return out;
}

std::string signature_differences(const std::string& here, const std::string& there) {
  auto parse = [](const std::string& text) {
    std::map<std::string, std::string> arities;
    std::size_t start = 0;
    while (start < text.size()) {
      auto end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      auto line = text.substr(start, end - start);
      auto slash = line.rfind('/');
      if (slash != std::string::npos) arities[line.substr(0, slash)] = line.substr(slash + 1);
      start = end + 1;
    }
    return arities;
  };
  auto mine = parse(here);
  std::string out;
  for (const auto& [name, arity] : parse(there)) {
    auto found = mine.find(name);
    if (found == mine.end() || found->second == arity) continue;
    if (!out.empty()) out += ", ";
    out += name + " (arity " + found->second + " here, " + arity + " there)";
  }
  return out;
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
