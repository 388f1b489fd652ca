// The sync and threads schedulers against an independent evaluator, and their error paths.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <stdexcept>
#include <thread>

#include "actors/sync_scheduler.hpp"
#include "collections/compute.hpp"
#include "collections/local_runtime.hpp"
#include "core/task_graph.hpp"
#include "test_helpers.hpp"

using namespace troupe;

namespace {

// Runs a check under every scheduler configuration the tests cover.
template <class Check>
void for_each_scheduler(Check check) {
  check(compute_options{"sync", 0});
  for (std::size_t threads : {1, 2, 4}) check(compute_options{"threads", threads});
}

}  // namespace

// Not in an anonymous namespace: its name must be in the dynamic symbol table for the trace.
std::int64_t boom(std::int64_t) { throw std::invalid_argument("boom: negative input"); }
TROUPE_FUNCTION(boom);

TEST_CASE("schedulers: random DAGs of 10k tasks match a brute-force evaluator", "[actors]") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    auto dag = testing::random_dag::make(10000, seed);
    auto expected = dag.evaluate();
    auto graph = dag.graph();
    // Every tenth key, plus the last: targets inside the graph as well as sinks.
    std::vector<Key> keys;
    for (std::size_t i = 0; i < dag.nodes.size(); i += 10) keys.push_back(dag.key(i));
    keys.push_back(dag.key(dag.nodes.size() - 1));
    for_each_scheduler([&](const compute_options& options) {
      INFO("seed " << seed << ", scheduler " << options.scheduler << " x" << options.num_workers);
      auto results = get(graph, keys, options);
      REQUIRE(results.size() == keys.size());
      for (std::size_t k = 0; k + 1 < keys.size(); ++k)
        REQUIRE(results[k].as<std::int64_t>() == expected[k * 10]);
      REQUIRE(results.back().as<std::int64_t>() == expected.back());
    });
  }
}

TEST_CASE("schedulers: a failing task raises TaskError with key, type and message", "[actors]") {
  Graph g;
  g.add("x", Value(std::int64_t{-1}));
  g.add("bad", Task{find_function("boom"), {Arg::ref("x")}});
  g.add("after", Task{find_function("troupe.inc"), {Arg::ref("bad")}});
  g.add("fine", Task{find_function("troupe.inc"), {Arg::ref("x")}});
  for_each_scheduler([&](const compute_options& options) {
    INFO("scheduler " << options.scheduler << " x" << options.num_workers);
    try {
      get(g, {"after", "fine"}, options);
      FAIL("expected a TaskError");
    } catch (const TaskError& e) {
      CHECK(e.key() == "bad");
      CHECK(e.type_name() == "std::invalid_argument");
      CHECK(e.message() == "boom: negative input");
      CHECK(e.traceback().find("boom") != std::string::npos);
      CHECK(std::string(e.what()).find("task 'bad' raised std::invalid_argument") !=
            std::string::npos);
    }
    // The runtime stays usable after a failure.
    auto again = get(g, {"fine"}, options);
    CHECK(again[0].as<std::int64_t>() == 0);
  });
}

TEST_CASE("schedulers: a bad argument type is a TaskError naming the function", "[actors]") {
  Graph g;
  g.add("s", Value("text"));
  g.add("t", Task{find_function("troupe.inc"), {Arg::ref("s")}});
  for_each_scheduler([&](const compute_options& options) {
    try {
      get(g, {"t"}, options);
      FAIL("expected a TaskError");
    } catch (const TaskError& e) {
      CHECK(e.key() == "t");
      CHECK(e.type_name() == "troupe::TypeError");
      CHECK(e.message().find("inc needs int64 or float64 arguments, got string") !=
            std::string::npos);
    }
  });
}

TEST_CASE("schedulers: dependents of a failed task never run", "[actors]") {
  static std::atomic<int> dependents_run{0};
  Graph g;
  g.add("x", Value(std::int64_t{1}));
  g.add("bad", Task{find_function("boom"), {Arg::ref("x")}});
  auto count = local_function("count", [](std::int64_t v) {
    ++dependents_run;
    return v;
  });
  for (int i = 0; i < 50; ++i) g.add("dep" + std::to_string(i), Task{count, {Arg::ref("bad")}});
  std::vector<Key> keys;
  for (int i = 0; i < 50; ++i) keys.push_back("dep" + std::to_string(i));
  for_each_scheduler([&](const compute_options& options) {
    dependents_run = 0;
    CHECK_THROWS_AS(get(g, keys, options), TaskError);
    CHECK(dependents_run == 0);
  });
}

TEST_CASE("schedulers: unknown scheduler names are rejected with the choices", "[actors]") {
  Graph g;
  g.add("x", Value(1));
  CHECK_THROWS_WITH(get(g, {"x"}, compute_options{"gpu-magic", 0}),
                    Catch::Contains("unknown scheduler 'gpu-magic'") &&
                        Catch::Contains("\"sync\", \"threads\", \"processes\" or \"distributed\""));
}

TEST_CASE("schedulers: values move between tasks by pointer, never copied", "[actors]") {
  auto make = local_function("make", [](std::int64_t n) { return std::vector<double>(n, 1.5); });
  auto address = local_function("address", [](const std::vector<double>& xs) {
    return static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(xs.data()));
  });
  Graph g;
  g.add("data", Task{make, {Arg(Value(1'000'000))}});
  g.add("seen_at", Task{address, {Arg::ref("data")}});
  for_each_scheduler([&](const compute_options& options) {
    auto results = get(g, {"data", "seen_at"}, options);
    const auto& data = results[0].get<std::vector<double>>();
    CHECK(static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(data.data())) ==
          results[1].as<std::int64_t>());
  });
}

TEST_CASE("schedulers: long chains give the right result, run after run", "[actors]") {
  // On threads each link runs where the previous one finished (chained_dependent); the
  // scheduler's counts must stay right over runs of the same runtime.
  const std::size_t n = 200'000;
  Graph g;
  g.add("k0", Value(std::int64_t{0}));
  for (std::size_t i = 1; i < n; ++i)
    g.add("k" + std::to_string(i),
          Task{find_function("troupe.inc"), {Arg::ref("k" + std::to_string(i - 1))}});
  const Key last = "k" + std::to_string(n - 1);
  for_each_scheduler([&](const compute_options& options) {
    INFO(options.scheduler << " " << options.num_workers);
    for (int run = 0; run < 3; ++run) {
      auto values = get(g, {last, "k7"}, options);
      CHECK(values.at(0).as<std::int64_t>() == static_cast<std::int64_t>(n - 1));
      CHECK(values.at(1).as<std::int64_t>() == 7);
    }
  });
}

namespace {
std::atomic<int> slow_tasks_run{0};
}  // namespace

TEST_CASE("schedulers: after a task fails, its run's tasks that have not started are skipped",
          "[actors]") {
  // One failing task early in priority order (it has the most work behind it, so the ordering
  // puts it on the critical path), then 200 siblings of 20 ms each.
  auto fail = local_function("fail", [](std::int64_t) -> std::int64_t {
    throw std::runtime_error("first task fails");
  });
  auto slow = local_function("slow", [](std::int64_t x) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ++slow_tasks_run;
    return x;
  });
  Graph g;
  std::vector<Arg> items{Arg::ref("bad")};
  g.add("zero", Task{find_function("troupe.inc"), {Arg(Value(-1))}});
  g.add("bad", Task{fail, {Arg::ref("zero")}});
  for (int i = 0; i < 200; ++i) {
    g.add("slow" + std::to_string(i), Task{slow, {Arg(Value(i))}});
    items.push_back(Arg::ref("slow" + std::to_string(i)));
  }
  g.add("all", Task{find_function("troupe.list"), std::move(items)});
  const auto compiled = compile(g, {"all"});
  REQUIRE(compiled->keys.at(1) == "bad");
  for (std::size_t threads : {1, 2}) {
    INFO(threads << " threads");
    slow_tasks_run = 0;
    CHECK_THROWS_AS(get(g, {"all"}, {"threads", threads}), TaskError);
    // The next compute on the same threads is not queued behind the failed run's tasks, and
    // once it returned, next to none of the 200 have run.
    Graph quick;
    quick.add("one", Task{find_function("troupe.inc"), {Arg(Value(1))}});
    CHECK(get(quick, {"one"}, {"threads", threads}).at(0).as<std::int64_t>() == 2);
    CHECK(slow_tasks_run < 100);  // all 200 ran before: executors do not see cancellation
  }
}

namespace {
std::size_t threads_in_process() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}
}  // namespace

TEST_CASE("schedulers: a sweep over thread counts leaves no idle runtimes behind", "[actors]") {
  Graph g;
  g.add("x", Value(1));
  g.add("y", Task{find_function("troupe.inc"), {Arg::ref("x")}});
  const std::size_t before = threads_in_process();
  for (std::size_t threads = 1; threads <= 24; ++threads)
    CHECK(get(g, {"y"}, {"threads", threads}).at(0).as<std::int64_t>() == 2);
  // One runtime of 24 executors (and CAF's few threads) remains, not 24 runtimes of 300 in all.
  // A stopped runtime's executors are detached threads that CAF counts as gone just before
  // they end: on a busy machine a few are still listed for a moment.
  for (int i = 0; i < 500 && threads_in_process() >= before + 24 + 16; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(threads_in_process() < before + 24 + 16);
}

TEST_CASE("schedulers: shutdown stops the threads scheduler's threads until the next compute",
          "[actors]") {
  Graph g;
  g.add("x", Value(1));
  g.add("y", Task{find_function("troupe.inc"), {Arg::ref("x")}});
  // CAF names its threads (executors, pool, timer, multiplexer) "caf.*".
  auto caf_threads = [] {
    std::size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream comm(entry.path() / "comm");
      std::string name;
      if (std::getline(comm, name) && name.rfind("caf.", 0) == 0) ++n;
    }
    return n;
  };
  // A joined thread can linger in /proc for a moment: wait for it, up to a generous bound.
  auto settled_caf_threads = [&] {
    for (int i = 0; i < 1000 && caf_threads() > 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return caf_threads();
  };
  CHECK(get(g, {"y"}, {"threads", 5}).at(0).as<std::int64_t>() == 2);
  CHECK(caf_threads() >= 5);
  CHECK(shutdown() >= 1);
  CHECK(settled_caf_threads() == 0);
  CHECK(get(g, {"y"}, {"threads", 5}).at(0).as<std::int64_t>() == 2);
  CHECK(shutdown() == 1);
  CHECK(settled_caf_threads() == 0);
}

TEST_CASE("schedulers: threads runs a whole graph as one task of an in-process cluster",
          "[actors]") {
  // The task at the end of 2,000 others asks the runtime's scheduler what it knows: the
  // cluster's scheduler holds one task (the graph), processing on its one worker, while the
  // worker's threads engine runs the 2,001 inside it.
  auto ask_scheduler = local_function("ask_scheduler", [](const std::vector<Value>& inputs) {
    return std::to_string(inputs.size()) + "\n" +
           local_runtime::shared(2)->describe_scheduler();
  });
  Graph g;
  std::vector<Arg> inputs;
  for (int i = 0; i < 2000; ++i) {
    g.add("in" + std::to_string(i), Task{find_function("troupe.inc"), {Arg(Value(i))}});
    inputs.push_back(Arg::ref("in" + std::to_string(i)));
  }
  g.add("all", Task{find_function("troupe.list"), std::move(inputs)});
  g.add("seen", Task{ask_scheduler, {Arg::ref("all")}});
  const auto seen = get(g, {"seen"}, {"threads", 2}).at(0).get<std::string>();
  INFO(seen);
  CHECK(seen.rfind("2000\nscheduler: 1 tasks: released 0 waiting 0 queued 0 processing 1 ", 0) ==
        0);
  CHECK(seen.find("inproc://worker-1: processing 1,") != std::string::npos);
  // Then forgotten: the release of its key follows the result (on its own way: wait for it).
  auto forgotten = [] {
    return local_runtime::shared(2)->describe_scheduler().rfind("scheduler: 0 tasks:", 0) == 0;
  };
  for (int i = 0; i < 500 && !forgotten(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(forgotten());
}

TEST_CASE("schedulers: a runtime made by one thread stops from another while the first lives",
          "[actors]") {
  // Making an actor system makes the thread hold its logger, which the system's destructor
  // waits for: stopped from another thread while this one lived, the runtime hung for ever.
  Graph g;
  g.add("x", Value(1));
  g.add("y", Task{find_function("troupe.inc"), {Arg::ref("x")}});
  REQUIRE(get(g, {"y"}, {"threads", 3}).at(0).as<std::int64_t>() == 2);
  auto stopped = std::async(std::launch::async, [] { return shutdown(); });
  REQUIRE(stopped.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  CHECK(stopped.get() >= 1);
  // And a compute on another thread count, from another thread, after one here.
  REQUIRE(get(g, {"y"}, {"threads", 3}).at(0).as<std::int64_t>() == 2);
  auto other = std::async(std::launch::async,
                          [&] { return get(g, {"y"}, {"threads", 2}).at(0).as<std::int64_t>(); });
  REQUIRE(other.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  CHECK(other.get() == 2);
}
