// delayed_noop: N independent inc(i) tasks computed in one call, the per-task overhead of the
// scheduler with nothing else in the way. Dask runs the same in dask_bench.py here.

#include "bench/common/harness.hpp"

namespace {

using troupe::bench::bench_graph;
using troupe::bench::bench_options;

std::int64_t expected_sum(std::size_t tasks) {  // inc(0) + ... + inc(n - 1)
  auto n = static_cast<std::int64_t>(tasks);
  return n * (n + 1) / 2;
}

bench_graph build_graph(const bench_options& options) {
  auto inc = troupe::find_function("troupe.inc");
  auto graph = std::make_shared<troupe::Graph>();
  std::vector<troupe::Key> keys;
  keys.reserve(options.tasks);
  for (std::size_t i = 0; i < options.tasks; ++i) {
    keys.push_back("inc-" + std::to_string(i));
    graph->add(keys.back(), troupe::Task{inc, {troupe::Value(i)}});
  }
  return {options.tasks,
          [graph, keys = std::move(keys)](const troupe::compute_options& scheduler) {
            return troupe::get(*graph, keys, scheduler);
          },
          troupe::bench::sum_equals(expected_sum(options.tasks))};
}

bench_graph build_delayed(const bench_options& options) {
  auto inc = troupe::delayed("troupe.inc");
  std::vector<troupe::Delayed> targets;
  targets.reserve(options.tasks);
  for (std::size_t i = 0; i < options.tasks; ++i)
    targets.push_back(inc(static_cast<std::int64_t>(i)));
  return {options.tasks,
          [targets = std::move(targets)](const troupe::compute_options& scheduler) {
            return troupe::compute(targets, scheduler);
          },
          troupe::bench::sum_equals(expected_sum(options.tasks))};
}

}  // namespace

int main(int argc, char** argv) {
  return troupe::bench::run_benchmark(argc, argv, {"delayed_noop", build_graph, build_delayed});
}
