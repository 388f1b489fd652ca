#include "core/order.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>

#include "core/critical_path_order.hpp"

namespace troupe {

namespace {

constexpr std::uint32_t unplaced = std::numeric_limits<std::uint32_t>::max();

std::vector<task_index> identity_order(std::size_t n) {
  std::vector<task_index> sequence(n);
  std::iota(sequence.begin(), sequence.end(), task_index{0});
  return sequence;
}

// True when `sequence` names every node once and each after all its dependencies.
bool is_topological(const task_graph& graph, const std::vector<task_index>& sequence) {
  if (sequence.size() != graph.size()) return false;
  std::vector<std::uint32_t> position(graph.size(), unplaced);
  for (std::size_t k = 0; k < sequence.size(); ++k) {
    const task_index v = sequence[k];
    if (v >= graph.size() || position[v] != unplaced) return false;
    for (task_index d : graph.dependencies_of(v))
      if (position[d] == unplaced) return false;
    position[v] = static_cast<std::uint32_t>(k);
  }
  return true;
}

bool has_task_dependency(const task_graph& graph) {
  for (task_index v = 0; v < graph.size(); ++v)
    for (task_index d : graph.dependencies_of(v))
      if (!graph.is_literal(d)) return true;
  return false;
}

void remap_arg(compiled_arg& arg, const std::vector<std::uint32_t>& rank) {
  if (arg.kind == Arg::kind::ref) arg.ref = rank[arg.ref];
}

}  // namespace

std::vector<task_index> frugal_order(const task_graph& graph) {
  const std::size_t n = graph.size();
  // Independent tasks: any order holds nothing, keep the compiler's.
  if (!has_task_dependency(graph)) return identity_order(n);
  auto depth_first = identity_order(n);
  auto critical = critical_path_order(graph);
  if (!is_topological(graph, critical)) return depth_first;  // a bug, never a wrong run
  // Ties go to the critical path: it also orders well what the peak does not measure.
  return results_held_peak(graph, critical) <= results_held_peak(graph, depth_first)
             ? critical
             : depth_first;
}

std::size_t results_held_peak(const task_graph& graph, const std::vector<task_index>& sequence) {
  std::vector<std::uint32_t> waiting(graph.size());
  for (task_index v = 0; v < graph.size(); ++v)
    waiting[v] = static_cast<std::uint32_t>(graph.dependents_of(v).size());
  std::size_t held = 0;
  std::size_t peak = 0;
  for (task_index v : sequence) {
    if (graph.is_literal(v)) continue;
    if (waiting[v] > 0) peak = std::max(peak, ++held);
    for (task_index d : graph.dependencies_of(v))
      if (--waiting[d] == 0 && !graph.is_literal(d)) --held;
  }
  return peak;
}

std::size_t results_held_peak(const task_graph& graph) {
  return results_held_peak(graph, identity_order(graph.size()));
}

void renumber(task_graph& graph, const std::vector<task_index>& sequence) {
  const std::size_t n = graph.size();
  std::vector<std::uint32_t> rank(n);
  for (std::size_t k = 0; k < n; ++k) rank[sequence[k]] = static_cast<std::uint32_t>(k);

  task_graph out;
  out.keys.reserve(n);
  out.functions.reserve(n);
  out.arg_offsets.reserve(n + 1);
  out.args.reserve(graph.args.size());
  out.dependency_offsets.reserve(n + 1);
  out.dependencies.reserve(graph.dependencies.size());
  for (task_index old : sequence) {
    out.keys.push_back(std::move(graph.keys[old]));
    out.functions.push_back(std::move(graph.functions[old]));
    for (std::uint32_t a = graph.arg_offsets[old]; a < graph.arg_offsets[old + 1]; ++a) {
      out.args.push_back(std::move(graph.args[a]));
      remap_arg(out.args.back(), rank);
    }
    out.arg_offsets.push_back(static_cast<std::uint32_t>(out.args.size()));
    for (task_index d : graph.dependencies_of(old)) out.dependencies.push_back(rank[d]);
    out.dependency_offsets.push_back(static_cast<std::uint32_t>(out.dependencies.size()));
  }
  out.lists = std::move(graph.lists);
  for (auto& list : out.lists)
    for (auto& item : list) remap_arg(item, rank);
  out.targets = std::move(graph.targets);
  for (auto& t : out.targets) t = rank[t];
  link_dependents(out);
  graph = std::move(out);
}

}  // namespace troupe
