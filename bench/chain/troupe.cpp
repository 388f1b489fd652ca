// chain: N dependent tasks in a line, inc(inc(...inc(0)...)), computed in one call. Nothing
// can run in parallel: this measures what a dependency costs the scheduler (on threads, a
// link runs on the thread that finished the link before it; see chained_dependent).
// Dask runs the same in dask_bench.py here.

#include "bench/common/harness.hpp"

namespace {

using troupe::bench::bench_graph;
using troupe::bench::bench_options;

std::string key_of(std::size_t i) { return "inc-" + std::to_string(i); }

bench_graph build_graph(const bench_options& options) {
  auto inc = troupe::find_function("troupe.inc");
  auto graph = std::make_shared<troupe::Graph>();
  graph->add(key_of(0), troupe::Value(std::int64_t{0}));
  for (std::size_t i = 1; i < options.tasks; ++i)
    graph->add(key_of(i), troupe::Task{inc, {troupe::Arg::ref(key_of(i - 1))}});
  const auto last = key_of(options.tasks - 1);
  return {options.tasks,
          [graph, last](const troupe::compute_options& scheduler) {
            return troupe::get(*graph, {last}, scheduler);
          },
          troupe::bench::sum_equals(static_cast<std::int64_t>(options.tasks - 1))};
}

bench_graph build_delayed(const bench_options& options) {
  auto inc = troupe::delayed("troupe.inc");
  auto x = troupe::delayed_value(std::int64_t{0});
  for (std::size_t i = 1; i < options.tasks; ++i) x = inc(x);
  return {options.tasks,
          [x](const troupe::compute_options& scheduler) { return troupe::compute({x}, scheduler); },
          troupe::bench::sum_equals(static_cast<std::int64_t>(options.tasks - 1))};
}

}  // namespace

int main(int argc, char** argv) {
  return troupe::bench::run_benchmark(argc, argv, {"chain", build_graph, build_delayed});
}
