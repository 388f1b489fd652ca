// The ordering (core/order.hpp): a valid run order, never more results held than the
// depth-first post-order the compiler used to give, a peak count
// that agrees with a brute-force count and with the sync scheduler, and the same values.
// Dask's own ordering tests are checked on their graphs by tests/order/.

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "actors/sync_scheduler.hpp"
#include "collections/compute.hpp"
#include "core/order.hpp"
#include "core/task_graph.hpp"
#include "test_helpers.hpp"

using namespace troupe;

namespace {

// The graph's edges by key, read from the Graph itself (not from the compiled form).
std::map<Key, std::vector<Key>> dependencies_by_key(const Graph& g) {
  std::map<Key, std::vector<Key>> out;
  std::function<void(const Key&, const Arg&)> collect = [&](const Key& key, const Arg& arg) {
    if (arg.type_kind() == Arg::kind::ref) {
      auto& deps = out[key];
      if (std::find(deps.begin(), deps.end(), arg.key()) == deps.end()) deps.push_back(arg.key());
    } else if (arg.type_kind() == Arg::kind::list) {
      for (const auto& item : arg.items()) collect(key, item);
    }
  };
  for (const auto& [key, node] : g.nodes()) {
    out[key];
    if (const auto* task = std::get_if<Task>(&node))
      for (const auto& arg : task->args) collect(key, arg);
  }
  return out;
}

bool is_literal(const Graph& g, const Key& key) { return std::holds_alternative<Value>(*g.find(key)); }

// Brute force: results held while `sequence` runs, by the rule of results_held_peak.
std::size_t brute_peak(const Graph& g, const std::vector<Key>& sequence) {
  const auto deps = dependencies_by_key(g);
  std::map<Key, std::size_t> users;
  for (const auto& key : sequence) users[key];
  for (const auto& key : sequence)
    for (const auto& d : deps.at(key)) ++users[d];
  std::set<Key> held;
  std::size_t peak = 0;
  for (const auto& key : sequence) {
    if (!is_literal(g, key) && users[key] > 0) held.insert(key);
    peak = std::max(peak, held.size());
    for (const auto& d : deps.at(key))
      if (--users[d] == 0) held.erase(d);
  }
  return peak;
}

// The order troupe used before: depth-first post-order from the targets, arguments in order.
void post_order(const std::map<Key, std::vector<Key>>& deps, const Key& key,
                std::set<Key>& seen, std::vector<Key>& out) {
  if (!seen.insert(key).second) return;
  for (const auto& d : deps.at(key)) post_order(deps, d, seen, out);
  out.push_back(key);
}

std::vector<Key> sinks_of(const Graph& g) {
  const auto deps = dependencies_by_key(g);
  std::set<Key> used;
  for (const auto& [key, ds] : deps) used.insert(ds.begin(), ds.end());
  std::vector<Key> sinks;
  for (const auto& [key, ds] : deps)
    if (!used.count(key)) sinks.push_back(key);
  return sinks;
}

}  // namespace

TEST_CASE("order: random graphs get a run order that holds no more than depth-first", "[core]") {
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    const std::size_t n = 5 + seed * 7;
    INFO("seed " << seed << ", " << n << " nodes");
    const auto dag = testing::random_dag::make(n, seed);
    const Graph g = dag.graph();
    const auto targets = sinks_of(g);
    const auto compiled = compile(g, targets);
    const auto deps = dependencies_by_key(g);

    // Every key the targets need, once, each after its dependencies.
    std::set<Key> needed;
    std::vector<Key> depth_first;
    for (const auto& t : targets) post_order(deps, t, needed, depth_first);
    REQUIRE(compiled->size() == needed.size());
    std::map<Key, std::size_t> position;
    for (task_index i = 0; i < compiled->size(); ++i) position[compiled->keys[i]] = i;
    REQUIRE(position.size() == needed.size());
    for (const auto& [key, at] : position)
      for (const auto& d : deps.at(key)) CHECK(position.at(d) < at);
    // The compiled index arrays agree with the keys.
    for (task_index i = 0; i < compiled->size(); ++i)
      for (task_index d : compiled->dependencies_of(i))
        CHECK(std::count(deps.at(compiled->keys[i]).begin(), deps.at(compiled->keys[i]).end(),
                         compiled->keys[d]) == 1);

    const auto peak = results_held_peak(*compiled);
    CHECK(peak == brute_peak(g, compiled->keys));
    CHECK(peak <= brute_peak(g, depth_first));
  }
}

TEST_CASE("order: reordered graphs compute the values of a direct evaluation", "[core]") {
  for (std::uint64_t seed = 100; seed < 110; ++seed) {
    const auto dag = testing::random_dag::make(400, seed);
    const Graph g = dag.graph();
    const auto expected = dag.evaluate();
    std::vector<Key> keys;
    for (std::size_t i = 0; i < dag.nodes.size(); ++i) keys.push_back(testing::random_dag::key(i));
    for (const char* scheduler : {"sync", "threads"}) {
      INFO("seed " << seed << ", " << scheduler);
      const auto values = get(g, keys, {scheduler, 3});
      REQUIRE(values.size() == expected.size());
      for (std::size_t i = 0; i < expected.size(); ++i)
        CHECK(values[i].as<std::int64_t>() == expected[i]);
    }
  }
}

TEST_CASE("order: the sync scheduler holds what the order's count says", "[core]") {
  const auto dag = testing::random_dag::make(2000, 7);
  const Graph g = dag.graph();
  const auto compiled = compile(g, sinks_of(g));
  sync_run_stats stats;
  run_sync(*compiled, &stats);
  CHECK(stats.max_results_held == results_held_peak(*compiled));
  CHECK(stats.max_results_held > 0);
}

TEST_CASE("order: asking for every key still reduces each pair before loading the next",
          "[core]") {
  // Dask's use_structure_not_keys in small: with every key requested, loads first, the
  // depth-first walk from the first requested key loaded every input before any reducer.
  Graph g;
  auto inc = find_function("troupe.inc");
  auto add = find_function("troupe.add");
  const int pairs = 50;
  std::vector<Key> keys;
  for (int i = 0; i < 2 * pairs; ++i) {
    keys.push_back("load-" + std::to_string(i));
    g.add(keys.back(), Task{inc, {Arg(Value(i))}});
  }
  std::vector<Arg> partials;
  for (int i = 0; i < pairs; ++i) {
    keys.push_back("pair-" + std::to_string(i));
    g.add(keys.back(), Task{add, {Arg::ref("load-" + std::to_string(i)),
                                  Arg::ref("load-" + std::to_string(2 * pairs - 1 - i))}});
    partials.push_back(Arg::ref(keys.back()));
  }
  keys.push_back("total");
  g.add("total", Task{find_function("troupe.sum"), {Arg::list(partials)}});

  const auto compiled = compile(g, keys);
  std::set<Key> seen;
  std::vector<Key> depth_first;
  for (const auto& k : keys) post_order(dependencies_by_key(g), k, seen, depth_first);
  CHECK(brute_peak(g, depth_first) > static_cast<std::size_t>(2 * pairs));
  // Each pair's two loads, then its sum; the partial sums wait for the total.
  CHECK(results_held_peak(*compiled) <= static_cast<std::size_t>(pairs) + 2);
  std::int64_t expected = 0;
  for (int i = 0; i < 2 * pairs; ++i) expected += i + 1;
  CHECK(run_sync(*compiled).back().as<std::int64_t>() == expected);
}

TEST_CASE("order: independent tasks keep the order they were asked in", "[core]") {
  Graph g;
  std::vector<Key> keys;
  for (int i = 0; i < 100; ++i) {
    keys.push_back("k" + std::to_string(99 - i));
    g.add(keys.back(), Task{find_function("troupe.inc"), {Arg(Value(i))}});
  }
  const auto compiled = compile(g, keys);
  CHECK(compiled->keys == keys);
  CHECK(results_held_peak(*compiled) == 0);
}
