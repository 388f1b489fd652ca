#pragma once
// Graph: the user-facing task graph, a map from Key to a literal Value or a Task, in the shape
// of a Dask dict graph. compile() turns it into the task_graph the schedulers run.
//
//   Graph g;
//   g.add("x", 1);
//   g.add("y", 2);
//   g.add("z", Task{find_function("troupe.add"), {Arg::ref("x"), Arg::ref("y")}});

#include <memory>
#include <utility>
#include <variant>
#include <vector>

#include "core/detail/key_index.hpp"
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
  using entry = std::pair<Key, node>;

  /// Adds (or replaces) a key holding a literal value.
  void add(Key key, Value literal);
  /// Adds (or replaces) a key computed by a task.
  void add(Key key, Task task);

  /// Makes room for `keys` entries in all (a large graph then grows without rehashing).
  void reserve(std::size_t keys);

  bool contains(const Key& key) const { return position(key) != npos; }
  const node* find(const Key& key) const;
  std::size_t size() const noexcept { return entries_.size(); }
  /// Every entry, in the order its key was first added.
  const std::vector<entry>& nodes() const noexcept { return entries_; }

  static constexpr std::size_t npos = ~std::size_t{0};
  /// Where `key` is in nodes(), or npos.
  std::size_t position(const Key& key) const noexcept;

 private:
  template <class Node>
  void insert_or_assign(Key key, Node node);

  // Entries in a vector and a flat index of their keys' hashes: compiling a graph walks it in
  // dependency order, and a std::unordered_map's node per key made each step a cache miss or
  // three (most of compiling a 100,000-task random DAG).
  std::vector<entry> entries_;
  detail::key_index index_;
};

/// Validates, culls to what `targets` need and orders the graph. GraphError names the key of
/// a missing dependency, a missing target, a cycle, or a task called with the wrong arity.
std::shared_ptr<const task_graph> compile(const Graph& graph, const std::vector<Key>& targets);

}  // namespace troupe
