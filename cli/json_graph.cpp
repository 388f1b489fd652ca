#include "cli/json_graph.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <utility>

#include "core/assert.hpp"

namespace troupe::cli {

namespace {

// The top of the file (the "targets", the members beside "graph") is read into nlohmann's
// tree; its std::map objects find a member in O(log n). The members of "graph", which may be
// millions, go to a flat form of their own (graph_nodes), in file order.
using json = nlohmann::json;

// Arguments nest by recursion here, in compile() and in Value's destructor: a bound keeps a
// hostile file from overflowing the stack.
constexpr int max_depth = 1000;

// The prefix of troupe's built-in functions (troupe.inc, ...), which graph files call by
// their short names.
constexpr std::string_view builtin_function_prefix = "troupe.";

const char* const file_shape =
    "a graph file is {\"graph\": {KEY: VALUE, ...}, \"targets\": [KEY, ...]}";

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

// A number's text for a message, cut short when it is long.
std::string number_text(std::string_view text) {
  constexpr std::size_t longest = 40;
  if (text.size() <= longest) return std::string(text);
  return std::string(text.substr(0, longest)) + "... (" + std::to_string(text.size()) +
         " characters)";
}

// The members of "graph" as the parser leaves them: every JSON value inside in one flat array,
// in file order, an array followed by its items; the strings' bytes in one buffer. Reading a
// graph of a million keys so costs no allocation per value.
struct graph_nodes {
  enum class kind : std::uint8_t { null, boolean, integer, floating, string, array };
  struct node {
    kind type;
    std::uint32_t size;  // string: its length in bytes; array: its number of items
    union {
      bool boolean;
      std::int64_t integer;
      double floating;
      std::size_t offset;  // string: where its bytes start in `text`
      std::size_t end;     // array: the index after its last item (at any depth)
    };
  };
  std::vector<node> nodes;
  std::string text;
  std::vector<Key> keys;            // the keys, in file order
  std::vector<std::size_t> values;  // values[i]: the index in `nodes` of keys[i]'s value

  std::string_view string(std::size_t i) const {
    return std::string_view(text).substr(nodes[i].offset, nodes[i].size);
  }
  // The index of the value after node i (skipping an array's items).
  std::size_t next(std::size_t i) const {
    return nodes[i].type == kind::array ? nodes[i].end : i + 1;
  }
  void clear() {
    nodes.clear();
    text.clear();
    keys.clear();
    values.clear();
  }
};

// Keys to their position in a vector of keys: an open-addressing hash table of positions, so
// that inserting and finding a key cost O(1) with no allocation per key.
class key_index {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  explicit key_index(const std::vector<Key>& keys) : keys_(keys) {}

  /// The position of `key` in the keys, or npos.
  std::size_t find(std::string_view key) const {
    if (slots_.empty()) return npos;
    auto hash = std::hash<std::string_view>{}(key);
    for (auto i = hash & mask(); slots_[i].position != 0; i = (i + 1) & mask()) {
      const auto& slot = slots_[i];
      if (slot.hash == hash && keys_[slot.position - 1] == key) return slot.position - 1;
    }
    return npos;
  }

  /// The position of `key`, and false; or, when the key is new, `position` (where the caller
  /// then puts the key), and true.
  std::pair<std::size_t, bool> insert(std::string_view key, std::size_t position) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    auto hash = std::hash<std::string_view>{}(key);
    auto i = hash & mask();
    for (; slots_[i].position != 0; i = (i + 1) & mask()) {
      const auto& slot = slots_[i];
      if (slot.hash == hash && keys_[slot.position - 1] == key) return {slot.position - 1, false};
    }
    slots_[i] = {hash, position + 1};
    ++size_;
    return {position, true};
  }

  void clear() {
    slots_.clear();
    size_ = 0;
  }

 private:
  struct slot {
    std::size_t hash;
    std::size_t position;  // the key's position + 1; 0: empty
  };

  std::size_t mask() const { return slots_.size() - 1; }

  void place(slot s) {
    auto i = s.hash & mask();
    while (slots_[i].position != 0) i = (i + 1) & mask();
    slots_[i] = s;
  }

  void grow() {
    std::vector<slot> old(std::max<std::size_t>(64, 2 * slots_.size()));
    old.swap(slots_);
    for (const auto& s : old)
      if (s.position != 0) place(s);
  }

  const std::vector<Key>& keys_;
  std::vector<slot> slots_;  // a power of two of them, at most half full
  std::size_t size_ = 0;
};

// A graph file as the parser leaves it: the top-level value, with the members of its "graph"
// object not in it (it holds an empty object there) but in `graph`. A key given twice keeps
// its first place and its last value, as in Python's json.
struct parsed_file {
  json doc;
  graph_nodes graph;
  key_index index{graph.keys};
};

// nlohmann's SAX interface. It builds what json::parse would build, except that the members of
// the top-level "graph" object go to parsed_file::graph, and that what troupe cannot hold is
// an error naming the key where it is: integers beyond int64, numbers beyond float64's range,
// objects inside "graph", lists nested deeper than graph_reader reads.
class graph_file_parser {
 public:
  explicit graph_file_parser(parsed_file& out) : out_(out) {}

  bool null() { return in_graph() ? add({kind::null, 0, {}}) : put(nullptr); }
  bool boolean(bool b) {
    if (!in_graph()) return put(b);
    graph_nodes::node n{kind::boolean, 0, {}};
    n.boolean = b;
    return add(n);
  }
  bool number_integer(std::int64_t i) {
    if (!in_graph()) return put(i);
    graph_nodes::node n{kind::integer, 0, {}};
    n.integer = i;
    return add(n);
  }
  bool number_unsigned(std::uint64_t u) {
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      throw_too_big_integer(std::to_string(u));
    return number_integer(static_cast<std::int64_t>(u));
  }
  bool number_float(double f, const std::string& text) {
    // nlohmann reads an integer beyond uint64 as a float; Python would read it as an int.
    if (text.find_first_of(".eE") == std::string::npos) throw_too_big_integer(text);
    if (!in_graph()) return put(f);
    graph_nodes::node n{kind::floating, 0, {}};
    n.floating = f;
    return add(n);
  }
  bool string(std::string& s) {
    if (!in_graph()) return put(std::move(s));
    TROUPE_ASSERT(s.size() <= std::numeric_limits<std::uint32_t>::max());
    graph_nodes::node n{kind::string, static_cast<std::uint32_t>(s.size()), {}};
    n.offset = out_.graph.text.size();
    out_.graph.text += s;
    return add(n);
  }
  bool binary(json::binary_t& b) { return put(std::move(b)); }  // not in JSON text

  bool start_object(std::size_t /*size*/) {
    if (in_graph())  // inside a value of "graph": entry_ is its key
      throw GraphError("key " + in_quotes(out_.graph.keys[entry_]) +
                       ": a JSON object is not a value troupe can hold; write the data as a list");
    check_depth();
    bool is_graph = open_.size() == 1 && open_.front()->is_object() && top_member_ == "graph";
    open_.push_back(put_container(json::object()));
    if (is_graph) {
      // It stays empty in the tree; a second "graph" replaces the first, as in Python's json.
      out_.graph.clear();
      out_.index.clear();
      graph_open_ = true;
      entry_ = npos;
    }
    return true;
  }
  bool key(std::string& name) {
    if (graph_open_) {
      auto& graph = out_.graph;
      bool is_new = false;
      std::tie(entry_, is_new) = out_.index.insert(name, graph.keys.size());
      if (is_new) {
        graph.keys.push_back(std::move(name));
        graph.values.push_back(0);
      }
      return true;
    }
    if (open_.size() == 1) top_member_ = name;
    member_ = &(*open_.back())[std::move(name)];
    return true;
  }
  bool end_object() {
    if (graph_open_) {
      graph_open_ = false;
      entry_ = npos;
    }
    open_.pop_back();
    return true;
  }
  bool start_array(std::size_t /*size*/) {
    if (!in_graph()) {
      check_depth();
      open_.push_back(put_container(json::array()));
      return true;
    }
    if (nested_.size() >= max_depth)
      throw GraphError("key " + in_quotes(out_.graph.keys[entry_]) +
                       ": lists are nested more than " + std::to_string(max_depth) +
                       " deep; flatten them or split them over keys");
    add({kind::array, 0, {}});
    nested_.push_back(out_.graph.nodes.size() - 1);
    return true;
  }
  bool end_array() {
    if (nested_.empty()) {
      open_.pop_back();
      return true;
    }
    out_.graph.nodes[nested_.back()].end = out_.graph.nodes.size();
    nested_.pop_back();
    return true;
  }

  [[noreturn]] bool parse_error(std::size_t /*position*/, const std::string& token,
                                const json::exception& e) {
    if (e.id == 406)  // a number beyond float64's range: nlohmann's "number overflow parsing"
      throw GraphError(where() + ": the number " + number_text(token) +
                       " is out of float64's range (the largest is about 1.8e308); write a "
                       "number of smaller magnitude");
    throw GraphError("not valid JSON: " + without_tag(e.what()) + "; fix the file's syntax");
  }

 private:
  using kind = graph_nodes::kind;
  static constexpr std::size_t npos = key_index::npos;

  // True inside the "graph" object, where values go to out_.graph.
  bool in_graph() const { return graph_open_; }

  // The key of "graph" being read, or the top-level member, for messages.
  std::string where() const {
    if (graph_open_ && entry_ != npos) return "key " + in_quotes(out_.graph.keys[entry_]);
    if (!top_member_.empty()) return "\"" + top_member_ + "\"";
    return "the file";
  }

  [[noreturn]] void throw_too_big_integer(const std::string& text) const {
    auto number = number_text(text);
    throw GraphError(where() + ": the integer " + number +
                     " does not fit in int64; write it as a float (" + number +
                     ".0) or use a smaller number");
  }

  // Outside "graph" JSON may nest as deep as anywhere in the graph, no deeper.
  void check_depth() const {
    if (open_.size() >= max_depth + 2)
      throw GraphError("the file nests JSON more than " + std::to_string(max_depth) + " deep; " +
                       std::string(file_shape));
  }

  // A value inside "graph": the value of the current key, or an item of the open list.
  bool add(graph_nodes::node n) {
    auto& graph = out_.graph;
    if (nested_.empty()) {
      graph.values[entry_] = graph.nodes.size();
    } else {
      ++graph.nodes[nested_.back()].size;
    }
    graph.nodes.push_back(n);
    return true;
  }

  // A value outside "graph", where the innermost open container takes its next one.
  bool put(json value) {
    (void)put_container(std::move(value));
    return true;
  }
  json* put_container(json value) {
    if (open_.empty()) {
      out_.doc = std::move(value);
      return &out_.doc;
    }
    json* container = open_.back();
    if (container->is_array()) {
      container->push_back(std::move(value));
      return &container->back();
    }
    TROUPE_ASSERT(member_ != nullptr);
    *member_ = std::move(value);
    return std::exchange(member_, nullptr);
  }

  parsed_file& out_;
  std::vector<json*> open_;          // the open containers outside "graph", innermost last
  json* member_ = nullptr;           // where the innermost open object takes its next value
  std::string top_member_;           // the member of the top-level object being read
  bool graph_open_ = false;          // inside the top-level "graph" object
  std::size_t entry_ = npos;         // the position of the key of "graph" being read
  std::vector<std::size_t> nested_;  // the open lists inside "graph", innermost last
};

// The function that makes an alias ("b": "a") a task of its own, as Dask treats it.
// troupe.identity, a registered built-in, so that such graphs run on clusters too.
const function_ref& alias_function() {
  static const function_ref fn = find_function("troupe.identity");
  return fn;
}

// Makes the Graph of the members of "graph": by now every key is known, so a string can be
// told to be a key or a literal.
class graph_reader {
 public:
  explicit graph_reader(const parsed_file& file) : nodes_(file.graph), index_(file.index) {}

  void add(Graph& graph, const Key& key, std::size_t i) {
    const auto& node = nodes_.nodes[i];
    if (node.type == kind::array && node.size > 0 && nodes_.nodes[i + 1].type == kind::string) {
      graph.add(key, task(key, i));
    } else if (node.type == kind::array) {
      static const function_ref list = graph_function("list");
      TROUPE_ASSERT(list != nullptr);
      graph.add(key, Task{list, arguments(key, i, 0, 1)});
    } else if (node.type == kind::string && names_key(nodes_.string(i))) {
      graph.add(key, Task{alias_function(), {Arg::ref(Key(nodes_.string(i)))}});
    } else {
      graph.add(key, literal(key, i));
    }
  }

 private:
  using kind = graph_nodes::kind;

  bool names_key(std::string_view s) const { return index_.find(s) != key_index::npos; }

  // Array i as a task: its first item names the function.
  Task task(const Key& key, std::size_t i) {
    auto name = nodes_.string(i + 1);
    auto known = std::find_if(functions_.begin(), functions_.end(),
                              [&](const auto& named) { return named.first == name; });
    if (known == functions_.end()) {
      Key owned(name);
      auto function = graph_function(owned);
      known = functions_.emplace(functions_.end(), std::move(owned), std::move(function));
    }
    if (!known->second)
      throw GraphError("key " + in_quotes(key) + ": unknown function " + in_quotes(name) +
                       "; the known functions are " + graph_function_names() +
                       " (a literal list that starts with a string is written [\"list\", ...])");
    return Task{known->second, arguments(key, i, 1, 1)};
  }

  // The items of array i from the `first` on, as arguments. The parser has bounded the
  // nesting (it is max_depth at most), so this recursion is bounded too.
  std::vector<Arg> arguments(const Key& key, std::size_t i, std::size_t first, int depth) const {
    TROUPE_ASSERT(depth <= max_depth);
    const auto& array = nodes_.nodes[i];
    std::vector<Arg> args;
    args.reserve(array.size - first);
    std::size_t item = i + 1;
    for (std::size_t n = 0; n < first; ++n) item = nodes_.next(item);
    for (; item < array.end; item = nodes_.next(item)) args.push_back(argument(key, item, depth));
    return args;
  }

  Arg argument(const Key& key, std::size_t i, int depth) const {
    const auto& node = nodes_.nodes[i];
    if (node.type == kind::string && names_key(nodes_.string(i)))
      return Arg::ref(Key(nodes_.string(i)));
    if (node.type == kind::array) return Arg::list(arguments(key, i, 0, depth + 1));
    return Arg(literal(key, i));
  }

  Value literal(const Key& key, std::size_t i) const {
    const auto& node = nodes_.nodes[i];
    switch (node.type) {
      case kind::null:
        return Value();
      case kind::boolean:
        return Value(node.boolean);
      case kind::integer:
        return Value(node.integer);
      case kind::floating:
        return Value(node.floating);
      case kind::string:
        return Value(std::string(nodes_.string(i)));
      case kind::array:
        break;
    }
    TROUPE_ASSERT(false && "arrays are read as lists or tasks");
    throw GraphError("key " + in_quotes(key) + ": unreadable value");
  }

  const graph_nodes& nodes_;
  const key_index& index_;
  // The functions named so far, by the name in the file (a few: a linear search is fastest).
  std::vector<std::pair<std::string, function_ref>> functions_;
};

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

function_ref graph_function(const std::string& name) {
  if (auto builtin = find_function(std::string(builtin_function_prefix) + name)) return builtin;
  return find_function(name);
}

std::string graph_function_names() {
  // registered_function_names() is "NAME, NAME, ...".
  std::string all = registered_function_names();
  std::set<std::string> names;
  for (std::size_t start = 0; start < all.size();) {
    auto end = all.find(", ", start);
    if (end == std::string::npos) end = all.size();
    std::string name = all.substr(start, end - start);
    if (name.rfind(builtin_function_prefix, 0) == 0) name.erase(0, builtin_function_prefix.size());
    names.insert(std::move(name));
    start = end + 2;
  }
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

json_graph parse_json_graph(std::string_view text) {
  parsed_file file;
  graph_file_parser parser(file);
  json::sax_parse(text.data(), text.data() + text.size(), &parser);
  const json& doc = file.doc;
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
  graph_reader reader(file);
  out.graph.reserve(file.graph.keys.size());
  for (std::size_t i = 0; i < file.graph.keys.size(); ++i)
    reader.add(out.graph, file.graph.keys[i], file.graph.values[i]);
  if (auto targets = doc.find("targets"); targets != doc.end())
    out.targets = read_targets(*targets);
  out.keys = std::move(file.graph.keys);
  return out;
}

}  // namespace troupe::cli
