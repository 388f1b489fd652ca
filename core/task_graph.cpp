#include "core/task_graph.hpp"

#include <limits>

#include "core/order.hpp"

namespace troupe {

task_graph_builder::task_graph_builder(std::size_t expected_size)
    : graph_(std::make_shared<task_graph>()) {
  reserve(expected_size);
}

void task_graph_builder::reserve(std::size_t tasks) {
  auto& g = *graph_;
  const std::size_t n = g.keys.size() + tasks;
  g.keys.reserve(n);
  g.functions.reserve(n);
  g.arg_offsets.reserve(n + 1);
  g.args.reserve(g.args.size() + tasks * 2);
  g.dependency_offsets.reserve(n + 1);
  g.dependencies.reserve(g.dependencies.size() + tasks * 2);
  seen_by_.reserve(n);
}

task_index task_graph_builder::add_literal(Key key, Value literal) {
  begin_task(std::move(key), nullptr);
  graph_->args.push_back({Arg::kind::literal, 0, std::move(literal)});
  return end_task();
}

void task_graph_builder::begin_task(Key key, function_ref function) {
  if (graph_->keys.size() >= std::numeric_limits<task_index>::max())
    throw GraphError("graph too large: at most 4294967295 tasks in one compute");
  graph_->keys.push_back(std::move(key));
  graph_->functions.push_back(std::move(function));
  seen_by_.push_back(std::numeric_limits<task_index>::max());
}

void task_graph_builder::note_dependencies(const compiled_arg& arg) {
  auto current = static_cast<task_index>(graph_->keys.size() - 1);
  if (arg.kind == Arg::kind::ref) {
    if (seen_by_[arg.ref] != current) {
      seen_by_[arg.ref] = current;
      graph_->dependencies.push_back(arg.ref);
    }
  } else if (arg.kind == Arg::kind::list) {
    for (const auto& item : graph_->lists[arg.ref]) note_dependencies(item);
  }
}

void task_graph_builder::add_arg(compiled_arg arg) {
  note_dependencies(arg);
  graph_->args.push_back(std::move(arg));
}

compiled_arg task_graph_builder::make_list(std::vector<compiled_arg> items) {
  graph_->lists.push_back(std::move(items));
  return {Arg::kind::list, static_cast<std::uint32_t>(graph_->lists.size() - 1), {}};
}

task_index task_graph_builder::end_task() {
  graph_->arg_offsets.push_back(static_cast<std::uint32_t>(graph_->args.size()));
  graph_->dependency_offsets.push_back(static_cast<std::uint32_t>(graph_->dependencies.size()));
  return static_cast<task_index>(graph_->keys.size() - 1);
}

void link_dependents(task_graph& g) {
  const std::size_t n = g.keys.size();
  // Dependents as CSR: count, prefix-sum, fill.
  g.dependent_offsets.assign(n + 1, 0);
  for (task_index d : g.dependencies) ++g.dependent_offsets[d + 1];
  for (std::size_t i = 0; i < n; ++i) g.dependent_offsets[i + 1] += g.dependent_offsets[i];
  g.dependents.resize(g.dependencies.size());
  std::vector<std::uint32_t> fill(g.dependent_offsets.begin(), g.dependent_offsets.end() - 1);
  for (task_index i = 0; i < n; ++i)
    for (task_index d : g.dependencies_of(i)) g.dependents[fill[d]++] = i;
  g.is_target.assign(n, false);
  for (task_index t : g.targets) g.is_target[t] = true;
}

std::shared_ptr<const task_graph> task_graph_builder::finish(std::vector<task_index> targets) {
  auto& g = *graph_;
  const std::size_t n = g.keys.size();
  g.targets = std::move(targets);
  link_dependents(g);
  seen_by_.clear();
  // The compilers append in depth-first post-order; the priorities are the frugal order's.
  auto sequence = frugal_order(g);
  for (task_index k = 0; k < n; ++k) {
    if (sequence[k] != k) {
      renumber(g, sequence);
      break;
    }
  }
  return std::move(graph_);
}

}  // namespace troupe
