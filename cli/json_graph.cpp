#include "cli/json_graph.hpp"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "core/assert.hpp"

namespace troupe::cli {

namespace {

// ordered_json keeps the file's key order, which is the order "compute every key" uses.
using json = nlohmann::ordered_json;

// Arguments nest by recursion here, in compile() and in Value's destructor: a bound keeps a
// hostile file from overflowing the stack.
constexpr int max_depth = 1000;

// nlohmann's message without its "[json.exception.parse_error.101] " tag.
std::string without_tag(std::string_view what) {
  if (!what.empty() && what.front() == '[') {
    if (auto end = what.find("] "); end != std::string_view::npos) what.remove_prefix(end + 2);
  }
  return std::string(what);
}

std::string in_quotes(std::string_view s) {
  return "'" + std::string(s) + "'";
}

Value literal(const json& j, const Key& key) {
  switch (j.type()) {
    case json::value_t::null:
      return Value();
    case json::value_t::boolean:
      return Value(j.get<bool>());
    case json::value_t::number_integer:
      return Value(j.get<std::int64_t>());
    case json::value_t::number_unsigned: {
      auto u = j.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        throw GraphError("key " + in_quotes(key) + ": the integer " + std::to_string(u) +
                         " does not fit in int64; write it as a float (" + std::to_string(u) +
                         ".0) or use a smaller number");
      return Value(static_cast<std::int64_t>(u));
    }
    case json::value_t::number_float:
      return Value(j.get<double>());
    case json::value_t::string:
      return Value(j.get<std::string>());
    default:
      throw GraphError("key " + in_quotes(key) + ": a JSON " + std::string(j.type_name()) +
                       " is not a value troupe can hold; write the data as a list");
  }
}

// The registered names as a graph file writes them: built-ins without their "troupe." prefix.
std::string short_function_names() {
  std::string names = registered_function_names();
  for (auto at = names.find(builtin_prefix); at != std::string::npos; at = names.find(builtin_prefix, at))
    names.erase(at, builtin_prefix.size());
  return names;
}

// The function that makes an alias ("b": "a") a task of its own, as Dask treats it.
const function_ref& alias_function() {
  static const function_ref fn = local_function("alias", [](const Value& v) { return v; });
  return fn;
}

class graph_reader {
 public:
  explicit graph_reader(const json& nodes) {
    for (const auto& [key, node] : nodes.items()) keys_.insert(key);
  }

  void add(json_graph& out, const Key& key, const json& node) const {
    if (node.is_array() && !node.empty() && node.front().is_string()) {
      out.graph.add(key, task(key, node));
    } else if (node.is_array()) {
      static const function_ref list = find_function("troupe.list");
      TROUPE_ASSERT(list != nullptr);
      out.graph.add(key, Task{list, arguments(key, node, 0, 1)});
    } else if (node.is_string() && names_key(node.get_ref<const std::string&>())) {
      out.graph.add(key, Task{alias_function(), {Arg::ref(node.get<std::string>())}});
    } else {
      out.graph.add(key, literal(node, key));
    }
  }

 private:
  bool names_key(const std::string& s) const { return keys_.count(s) != 0; }

  Task task(const Key& key, const json& node) const {
    const auto& name = node.front().get_ref<const std::string&>();
    // The format's short names are troupe's built-ins (troupe.inc, ...); other names are
    // functions the program registered.
    auto function = find_function("troupe." + name);
    if (!function) function = find_function(name);
    if (!function)
      throw GraphError("key " + in_quotes(key) + ": unknown function " + in_quotes(name) +
                       "; the known functions are " + short_function_names() +
                       " (a literal list that starts with a string is written [\"list\", ...])");
    return Task{std::move(function), arguments(key, node, 1, 1)};
  }

  // The items of a JSON array from `first` on, as arguments.
  std::vector<Arg> arguments(const Key& key, const json& array, std::size_t first,
                             int depth) const {
    if (depth > max_depth)
      throw GraphError("key " + in_quotes(key) + ": lists are nested more than " +
                       std::to_string(max_depth) + " deep; flatten them or split them over keys");
    std::vector<Arg> args;
    args.reserve(array.size() - first);
    for (std::size_t i = first; i < array.size(); ++i)
      args.push_back(argument(key, array[i], depth));
    return args;
  }

  Arg argument(const Key& key, const json& j, int depth) const {
    if (j.is_string() && names_key(j.get_ref<const std::string&>()))
      return Arg::ref(j.get<std::string>());
    if (j.is_array()) return Arg::list(arguments(key, j, 0, depth + 1));
    return Arg(literal(j, key));
  }

  std::unordered_set<std::string> keys_;
};

const char* const file_shape =
    "a graph file is {\"graph\": {KEY: VALUE, ...}, \"targets\": [KEY, ...]}";

std::vector<Key> read_targets(const json& targets) {
  if (!targets.is_array())
    throw GraphError("\"targets\" is a JSON " + std::string(targets.type_name()) +
                     ", not a list of keys; " + file_shape);
  std::vector<Key> out;
  out.reserve(targets.size());
  for (const auto& target : targets) {
    if (!target.is_string())
      throw GraphError("\"targets\" holds " + target.dump() +
                       ", which is not a key: keys are "
                       "strings; " +
                       file_shape);
    out.push_back(target.get<std::string>());
  }
  return out;
}

}  // namespace

json_graph parse_json_graph(std::string_view text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw GraphError("not valid JSON: " + without_tag(e.what()) + "; fix the file's syntax");
  }
  if (!doc.is_object())
    throw GraphError("the file holds a JSON " + std::string(doc.type_name()) + ", not an object; " +
                     file_shape);
  for (const auto& [name, member] : doc.items()) {
    if (name != "graph" && name != "targets")
      throw GraphError("unknown member " + in_quotes(name) + " at the top of the file; " +
                       file_shape);
  }
  auto nodes = doc.find("graph");
  if (nodes == doc.end())
    throw GraphError("the file has no \"graph\" member; " + std::string(file_shape));
  if (!nodes->is_object())
    throw GraphError("\"graph\" is a JSON " + std::string(nodes->type_name()) +
                     ", not an object of keys; " + file_shape);

  json_graph out;
  out.keys.reserve(nodes->size());
  graph_reader reader(*nodes);
  for (const auto& [key, node] : nodes->items()) {
    reader.add(out, key, node);
    out.keys.push_back(key);
  }
  if (auto targets = doc.find("targets"); targets != doc.end())
    out.targets = read_targets(*targets);
  return out;
}

nlohmann::ordered_json to_json(const Value& value) {
  switch (value.type_kind()) {
    case Value::kind::none:
      return nullptr;
    case Value::kind::boolean:
      return value.as<bool>();
    case Value::kind::int64:
      return value.as<std::int64_t>();
    case Value::kind::float64:
      return value.as<double>();
    case Value::kind::object:
      break;
  }
  if (value.holds<std::string>()) return value.get<std::string>();
  if (value.holds<std::vector<std::int64_t>>()) return value.get<std::vector<std::int64_t>>();
  if (value.holds<std::vector<double>>()) return value.get<std::vector<double>>();
  if (value.holds<std::vector<Value>>()) {
    auto array = nlohmann::ordered_json::array();
    for (const auto& item : value.get<std::vector<Value>>()) array.push_back(to_json(item));
    return array;
  }
  return "<" + value.type_name() + ">";
}

}  // namespace troupe::cli
