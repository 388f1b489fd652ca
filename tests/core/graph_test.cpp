// Graph: validation errors, culling, and the memory bound the ordering gives a tree reduction.

#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>

#include "actors/sync_scheduler.hpp"
#include "core/task_graph.hpp"

using namespace troupe;

namespace {

Task inc(const Key& of) { return Task{find_function("troupe.inc"), {Arg::ref(of)}}; }

task_index index_of(const task_graph& g, const Key& key) {
  for (task_index i = 0; i < g.size(); ++i)
    if (g.keys[i] == key) return i;
  FAIL("no key " << key);
  return 0;
}

// A value that counts how many of its kind are alive, to measure what a scheduler holds.
struct counted {
  static inline std::atomic<long> alive{0};
  static inline std::atomic<long> peak{0};
  std::int64_t value;
  explicit counted(std::int64_t v) : value(v) { note(); }
  counted(const counted& other) : value(other.value) { note(); }
  ~counted() { --alive; }
  static void note() {
    long now = ++alive;
    long seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
  }
};

}  // namespace

TEST_CASE("graph: a missing dependency is an error naming it", "[core]") {
  Graph g;
  g.add("a", inc("ghost"));
  CHECK_THROWS_WITH(compile(g, {"a"}), "task 'a' depends on 'ghost', which is not in the graph");
  CHECK_THROWS_WITH(compile(g, {"nope"}), "requested key 'nope' is not in the graph");
  CHECK_THROWS_AS(compile(g, {}), GraphError);
}

TEST_CASE("graph: a cycle is an error naming a key on it", "[core]") {
  Graph g;
  g.add("x", Value(1));
  g.add("a", Task{find_function("troupe.add"), {Arg::ref("x"), Arg::ref("c")}});
  g.add("b", inc("a"));
  g.add("c", inc("b"));
  g.add("top", inc("c"));
  try {
    compile(g, {"top"});
    FAIL("expected GraphError");
  } catch (const GraphError& e) {
    std::string message = e.what();
    CHECK(message.find("cycle") != std::string::npos);
    CHECK(message.find("'c' -> 'b' -> 'a' -> 'c'") != std::string::npos);
  }
  Graph self;
  self.add("s", inc("s"));
  CHECK_THROWS_WITH(compile(self, {"s"}), Catch::Contains("cycle in the graph through key 's'"));
}

TEST_CASE("graph: a task with the wrong number of arguments is rejected", "[core]") {
  Graph g;
  g.add("x", Value(1));
  g.add("bad", Task{find_function("troupe.add"), {Arg::ref("x")}});
  CHECK_THROWS_WITH(compile(g, {"bad"}), "task 'bad': troupe.add takes 2 arguments, got 1");
}

TEST_CASE("graph: compile culls to the requested keys, dependencies first", "[core]") {
  Graph g;
  g.add("x", Value(1));
  g.add("a", inc("x"));
  g.add("b", inc("a"));
  g.add("unused", inc("x"));
  auto compiled = compile(g, {"b"});
  CHECK(compiled->size() == 3);
  CHECK(compiled->keys == std::vector<Key>{"x", "a", "b"});
  CHECK(compiled->targets == std::vector<task_index>{2});
  // Dependencies come before dependents, and dependents are recorded both ways.
  auto a = index_of(*compiled, "a");
  REQUIRE(compiled->dependents_of(a).size() == 1);
  CHECK(*compiled->dependents_of(a).begin() == index_of(*compiled, "b"));
  CHECK(compiled->dependencies_of(a).size() == 1);
}

TEST_CASE("graph: the same dependency twice is one edge", "[core]") {
  Graph g;
  g.add("x", Value(2));
  g.add("sq", Task{find_function("troupe.mul"), {Arg::ref("x"), Arg::ref("x")}});
  g.add("l", Task{find_function("troupe.sum"), {Arg::list({Arg::ref("x"), Arg::ref("sq"), Arg::ref("x")})}});
  auto compiled = compile(g, {"l"});
  CHECK(compiled->dependencies_of(index_of(*compiled, "sq")).size() == 1);
  CHECK(compiled->dependencies_of(index_of(*compiled, "l")).size() == 2);
  CHECK(run_sync(*compiled)[0].as<std::int64_t>() == 8);
}

TEST_CASE("graph: ordering keeps a tree reduction's memory logarithmic", "[core]") {
  // 10,000 leaves reduced in groups of 4; a leaf and each partial sum is a counted value.
  auto leaf = local_function("leaf", [](std::int64_t i) { return counted(i); });
  auto combine = local_function("combine", [](const std::vector<Value>& parts) {
    std::int64_t total = 0;
    for (const auto& p : parts) total += p.get<counted>().value;
    return counted(total);
  });
  const std::int64_t leaves = 10000;
  Graph g;
  std::vector<Key> level;
  for (std::int64_t i = 0; i < leaves; ++i) {
    level.push_back("leaf-" + std::to_string(i));
    g.add(level.back(), Task{leaf, {Arg(Value(i))}});
  }
  int depth = 0;
  while (level.size() > 1) {
    std::vector<Key> next;
    for (std::size_t i = 0; i < level.size(); i += 4) {
      std::vector<Arg> group;
      for (std::size_t j = i; j < std::min(level.size(), i + 4); ++j) group.push_back(Arg::ref(level[j]));
      next.push_back("sum-" + std::to_string(depth) + "-" + std::to_string(i / 4));
      g.add(next.back(), Task{combine, {Arg::list(std::move(group))}});
    }
    level = std::move(next);
    ++depth;
  }
  auto compiled = compile(g, level);
  counted::alive = 0;
  counted::peak = 0;
  sync_run_stats stats;
  auto result = run_sync(*compiled, &stats);
  CHECK(result[0].get<counted>().value == leaves * (leaves - 1) / 2);
  const long bound = 4 * static_cast<long>(std::ceil(std::log(10000.0) / std::log(4.0))) + 4;
  CHECK(depth == 7);
  CHECK(stats.tasks_run == compiled->size());
  CHECK(static_cast<long>(stats.max_results_held) <= bound);
  // Counted independently of the scheduler's own bookkeeping: live objects at the peak.
  CHECK(counted::peak.load() <= bound);
  CHECK(counted::peak.load() >= depth);
}
