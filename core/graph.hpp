#pragma once
// Graph: the user-facing task graph, a map from Key to a literal Value or a Task, in the shape
// of a Dask dict graph. compile() turns it into the task_graph the schedulers run.
//
//   Graph g;
//   g.add("x", 1);
//   g.add("y", 2);
//   g.add("z", Task{find_function("troupe.add"), {Arg::ref("x"), Arg::ref("y")}});

#include <memory>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/function.hpp"
#include "core/value.hpp"

namespace troupe {

/// An argument of a task: a literal, a reference to another key, or a list of arguments
/// (whose references are resolved too, as in Dask).
class Arg {
 public:
  enum class kind : std::uint8_t { literal, ref, list };

  Arg(Value literal) : kind_(kind::literal), value_(std::move(literal)) {}  // NOLINT
  static Arg ref(Key key);
  static Arg list(std::vector<Arg> items);

  kind type_kind() const noexcept { return kind_; }
  const Value& value() const noexcept { return value_; }
  const Key& key() const noexcept { return key_; }
  const std::vector<Arg>& items() const noexcept { return items_; }

 private:
  Arg() = default;
  kind kind_ = kind::literal;
  Value value_;
  Key key_;
  std::vector<Arg> items_;
};

/// A function applied to arguments.
struct Task {
  function_ref function;
  std::vector<Arg> args;
};

class Graph {
 public:
  using node = std::variant<Value, Task>;

  /// Adds (or replaces) a key holding a literal value.
  void add(Key key, Value literal);
  /// Adds (or replaces) a key computed by a task.
  void add(Key key, Task task);

  /// Makes room for `keys` entries in all (a large graph then grows without rehashing).
  void reserve(std::size_t keys) { nodes_.reserve(keys); }

  bool contains(const Key& key) const { return nodes_.count(key) != 0; }
  const node* find(const Key& key) const;
  std::size_t size() const noexcept { return nodes_.size(); }
  const std::unordered_map<Key, node>& nodes() const noexcept { return nodes_; }

 private:
  std::unordered_map<Key, node> nodes_;
};

/// Validates, culls to what `targets` need and orders the graph. GraphError names the key of
/// a missing dependency, a missing target, a cycle, or a task called with the wrong arity.
std::shared_ptr<const task_graph> compile(const Graph& graph, const std::vector<Key>& targets);

}  // namespace troupe
