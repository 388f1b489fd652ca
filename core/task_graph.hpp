#pragma once
// task_graph: the compiled, immutable form every scheduler runs. Tasks are dense indices in
// priority order (index 0 runs first), with dependencies and dependents as CSR arrays, so that
// scheduling never hashes a key and every state transition is O(1).
//
// The compilers append tasks in depth-first post-order; finish() renumbers them by the frugal
// order (core/order.hpp), dask.order's strategy, so that running the lowest-numbered ready task
// first frees intermediate results early.

#include <cstdint>
#include <memory>
#include <vector>

#include "core/graph.hpp"

namespace troupe {

using task_index = std::uint32_t;

/// An argument with its references resolved: a literal, a task index (`ref`), or a list
/// (`ref` indexes task_graph::lists), kept flat so the common case costs no allocation.
struct compiled_arg {
  Arg::kind kind;
  std::uint32_t ref = 0;
  Value literal;
};

struct task_graph {
  std::vector<Key> keys;
  std::vector<function_ref> functions;  ///< nullptr: the node is a literal
  std::vector<std::uint32_t> arg_offsets{0};
  std::vector<compiled_arg> args;  ///< a literal node has one: its value
  std::vector<std::vector<compiled_arg>> lists;
  std::vector<std::uint32_t> dependency_offsets{0};
  std::vector<task_index> dependencies;  ///< unique, per task
  std::vector<std::uint32_t> dependent_offsets;
  std::vector<task_index> dependents;
  std::vector<task_index> targets;  ///< in the order requested (a key may repeat)
  std::vector<bool> is_target;

  std::size_t size() const noexcept { return keys.size(); }
  bool is_literal(task_index i) const noexcept { return functions[i] == nullptr; }
  const Value& literal_of(task_index i) const noexcept { return args[arg_offsets[i]].literal; }

  template <class T>
  struct range {
    const T* first;
    const T* last;
    const T* begin() const noexcept { return first; }
    const T* end() const noexcept { return last; }
    std::size_t size() const noexcept { return static_cast<std::size_t>(last - first); }
  };
  range<task_index> dependencies_of(task_index i) const noexcept {
    return {dependencies.data() + dependency_offsets[i],
            dependencies.data() + dependency_offsets[i + 1]};
  }
  range<task_index> dependents_of(task_index i) const noexcept {
    return {dependents.data() + dependent_offsets[i], dependents.data() + dependent_offsets[i + 1]};
  }
  range<compiled_arg> args_of(task_index i) const noexcept {
    return {args.data() + arg_offsets[i], args.data() + arg_offsets[i + 1]};
  }
};

/// Fills what follows from the dependencies and targets: the dependents (CSR, each list in
/// index order) and is_target.
void link_dependents(task_graph& graph);

/// Appends tasks (each after all its dependencies), then finishes the dependents arrays and
/// renumbers the tasks in priority order. Both Graph and Delayed compile through it.
class task_graph_builder {
 public:
  explicit task_graph_builder(std::size_t expected_size = 0);
  /// Makes room for `tasks` more tasks (one or two arguments each).
  void reserve(std::size_t tasks);

  task_index add_literal(Key key, Value literal);
  /// Starts a task; then add its args, then end_task().
  void begin_task(Key key, function_ref function);
  void add_arg(compiled_arg arg);
  /// A list argument made of `items` (pass the result to add_arg, or into another list).
  compiled_arg make_list(std::vector<compiled_arg> items);
  task_index end_task();
  std::size_t size() const noexcept { return graph_->keys.size(); }

  std::shared_ptr<const task_graph> finish(std::vector<task_index> targets);

 private:
  void note_dependencies(const compiled_arg& arg);
  std::shared_ptr<task_graph> graph_;
  std::vector<task_index> seen_by_;  ///< last task that listed a dependency, for O(1) dedup
};

}  // namespace troupe
