// random_dag: the DAG of a file from bench/random_dag.py (each task adds two earlier ones,
// modulo a prime), computed by asking for all its sinks in one call. Dask runs the same file
// in dask_bench.py here.

#include <stdexcept>

#include "bench/common/harness.hpp"
#include "bench/common/random_dag.hpp"

namespace {

using troupe::bench::bench_graph;
using troupe::bench::bench_options;
using troupe::bench::random_dag_modulus;

std::int64_t add_mod(std::int64_t a, std::int64_t b) {
  return (a + b) % random_dag_modulus;
}
TROUPE_FUNCTION(add_mod);

troupe::bench::random_dag read_dag(const bench_options& options) {
  if (options.dag.empty()) throw std::invalid_argument("random_dag needs --dag FILE");
  return troupe::bench::read_random_dag(options.dag);
}

std::string key_of(std::size_t task) {
  return "add_mod-" + std::to_string(task);
}

bench_graph build_graph(const bench_options& options) {
  auto dag = read_dag(options);
  auto add = troupe::find_function("add_mod");
  auto graph = std::make_shared<troupe::Graph>();
  for (std::size_t i = 0; i < dag.roots; ++i)
    graph->add(key_of(i), troupe::Value(static_cast<std::int64_t>(i + 1)));
  for (std::size_t k = 0; k < dag.dependencies.size(); ++k) {
    auto [a, b] = dag.dependencies[k];
    graph->add(key_of(dag.roots + k),
               troupe::Task{add, {troupe::Arg::ref(key_of(a)), troupe::Arg::ref(key_of(b))}});
  }
  std::vector<troupe::Key> sinks;
  for (std::size_t sink : dag.sinks()) sinks.push_back(key_of(sink));
  return {dag.size(),
          [graph, sinks = std::move(sinks)](const troupe::compute_options& scheduler) {
            return troupe::get(*graph, sinks, scheduler);
          },
          troupe::bench::sum_equals(dag.checksum)};
}

bench_graph build_delayed(const bench_options& options) {
  auto dag = read_dag(options);
  auto add = troupe::delayed(add_mod);
  std::vector<troupe::Delayed> nodes;
  nodes.reserve(dag.size());
  for (std::size_t i = 0; i < dag.roots; ++i)
    nodes.push_back(troupe::delayed_value(static_cast<std::int64_t>(i + 1)));
  for (auto [a, b] : dag.dependencies) nodes.push_back(add(nodes[a], nodes[b]));
  std::vector<troupe::Delayed> sinks;
  for (std::size_t sink : dag.sinks()) sinks.push_back(nodes[sink]);
  return {dag.size(),
          [sinks = std::move(sinks)](const troupe::compute_options& scheduler) {
            return troupe::compute(sinks, scheduler);
          },
          troupe::bench::sum_equals(dag.checksum)};
}

}  // namespace

int main(int argc, char** argv) {
  return troupe::bench::run_benchmark(argc, argv, {"random_dag", build_graph, build_delayed});
}
