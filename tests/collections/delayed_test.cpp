// delayed: graph building, shared parts, nested compute and scheduler selection.

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "actors/task_context.hpp"
#include "collections/delayed.hpp"
#include "core/config.hpp"

using namespace troupe;

namespace {

std::int64_t triple(std::int64_t x) { return 3 * x; }
TROUPE_FUNCTION(triple);

std::int64_t fib(std::int64_t n);
TROUPE_FUNCTION(fib);

// Seed 004's recursive fib: every level builds delayed tasks and computes them inside a task.
std::int64_t fib(std::int64_t n) {
  if (n < 2) return n;
  auto f = delayed(fib);
  auto add = delayed("troupe.add");
  return add(f(n - 1), f(n - 2)).compute().as<std::int64_t>();
}

std::int64_t fib_loop(std::int64_t n) {
  std::int64_t a = 0, b = 1;
  for (std::int64_t i = 0; i < n; ++i) {
    auto c = a + b;
    a = b;
    b = c;
  }
  return a;
}

}  // namespace

TEST_CASE("delayed: registered functions keep their name in keys", "[collections]") {
  auto t = delayed(triple)(4);
  CHECK(t.key().rfind("triple-", 0) == 0);
  CHECK(t.compute({"sync"}).as<std::int64_t>() == 12);
}

TEST_CASE("delayed: pure calls share a key, impure calls do not", "[collections]") {
  auto pure = delayed(triple, {.pure = true});
  CHECK(pure(2).key() == pure(2).key());
  CHECK(pure(2).key() != pure(3).key());
  auto impure = delayed(triple);
  CHECK(impure(2).key() != impure(2).key());
}

TEST_CASE("delayed: compute runs shared parts once, on the scheduler it is given",
          "[collections]") {
  static std::atomic<int> calls{0};
  static std::mutex threads_mutex;
  static std::set<std::thread::id> task_threads;
  auto counted = delayed([](std::int64_t x) {
    ++calls;
    std::lock_guard<std::mutex> guard(threads_mutex);
    task_threads.insert(std::this_thread::get_id());
    return x * 2;
  });
  auto add = delayed([](std::int64_t a, std::int64_t b) { return a + b; });
  // The default would be threads: sync must be what runs when asked for.
  config::set("scheduler", "threads");
  for (std::string scheduler : {"sync", "threads"}) {
    INFO(scheduler);
    calls = 0;
    task_threads.clear();
    auto shared = counted(21);
    auto a = add(shared, 1);
    auto b = add(shared, shared);
    auto [ra, rb] = compute(a, b, compute_options{.scheduler = scheduler, .num_workers = 2});
    CHECK(ra.as<std::int64_t>() == 43);
    CHECK(rb.as<std::int64_t>() == 84);
    CHECK(calls == 1);
    // sync runs tasks on the calling thread; threads on its executors.
    REQUIRE(task_threads.size() == 1);
    CHECK((*task_threads.begin() == std::this_thread::get_id()) == (scheduler == "sync"));
  }
  auto [only] = compute(add(1, 2));  // no options: the configured default
  config::unset("scheduler");
  CHECK(only.as<std::int64_t>() == 3);
}

TEST_CASE("delayed: vectors of Delayed arrive as lists", "[collections]") {
  auto inc = delayed("troupe.inc");
  std::vector<Delayed> parts;
  for (std::int64_t i = 0; i < 10; ++i) parts.push_back(inc(i));
  auto total = delayed([](const std::vector<std::int64_t>& xs) {
    std::int64_t s = 0;
    for (auto x : xs) s += x;
    return s;
  })(parts);
  CHECK(total.compute({"threads", 2}).as<std::int64_t>() == 55);
  CHECK(delayed("troupe.sum")(parts).compute({"sync"}).as<std::int64_t>() == 55);
}

TEST_CASE("delayed: nested compute inside tasks does not deadlock", "[collections]") {
  for (std::size_t threads : {1, 2, 3}) {
    INFO(threads << " threads");
    auto result = delayed(fib)(8).compute({"threads", threads});
    CHECK(result.as<std::int64_t>() == 21);
    CHECK(delayed(fib)(10).compute({"threads", threads}).as<std::int64_t>() == fib_loop(10));
  }
  CHECK(delayed(fib)(8).compute({"sync"}).as<std::int64_t>() == 21);
}

TEST_CASE("delayed: a compute inside a task runs on the runtime running the task",
          "[collections]") {
  static std::atomic<const void*> outer_runtime{nullptr};
  static std::atomic<const void*> inner_runtime{nullptr};
  auto inner = delayed([](std::int64_t x) {
    inner_runtime = current_task_context()->runtime();
    return x + 1;
  });
  auto outer = delayed([inner](std::int64_t x) {
    outer_runtime = current_task_context()->runtime();
    return inner(x).compute({.scheduler = "threads"}).as<std::int64_t>();
  });
  // 3 threads: not the default count, so a runtime chosen from the config would differ.
  CHECK(outer(1).compute({.scheduler = "threads", .num_workers = 3}).as<std::int64_t>() == 2);
  REQUIRE(outer_runtime.load() != nullptr);
  CHECK(inner_runtime.load() == outer_runtime.load());
}

TEST_CASE("delayed: the scheduler comes from the call, then config, then TROUPE_SCHEDULER",
          "[collections]") {
  CHECK(resolve_scheduler({}) == "threads");
  ::setenv("TROUPE_SCHEDULER", "sync", 1);
  CHECK(resolve_scheduler({}) == "sync");
  config::set("scheduler", "threads");
  CHECK(resolve_scheduler({}) == "threads");
  CHECK(resolve_scheduler({"sync"}) == "sync");
  config::unset("scheduler");
  ::unsetenv("TROUPE_SCHEDULER");
  config::set("scheduler", "bogus");
  CHECK_THROWS_AS(delayed(triple)(1).compute(), ArgumentError);
  config::unset("scheduler");
}

TEST_CASE("delayed: wrong arity and unknown names fail at build time", "[collections]") {
  CHECK_THROWS_WITH(delayed(triple)(1, 2), Catch::Contains("triple takes 1 argument, got 2"));
  CHECK_THROWS_WITH(delayed("no_such_function"),
                    Catch::Contains("no function named 'no_such_function'") &&
                        Catch::Contains("TROUPE_FUNCTION"));
}

TEST_CASE("delayed: a task's exception reaches compute as TaskError", "[collections]") {
  auto fails = delayed([](std::int64_t x) -> std::int64_t {
    if (x > 0) throw std::runtime_error("x must not be positive");
    return x;
  });
  auto inc = delayed("troupe.inc");
  for (std::string scheduler : {"sync", "threads"}) {
    auto bad = inc(fails(5));
    try {
      bad.compute({scheduler, 2});
      FAIL("expected TaskError");
    } catch (const TaskError& e) {
      CHECK(e.key().rfind("lambda-", 0) == 0);
      CHECK(e.type_name() == "std::runtime_error");
      CHECK(e.message() == "x must not be positive");
    }
  }
}

TEST_CASE("delayed: more nested computes than the worker has room for still finish",
          "[collections]") {
  // Every outer task blocks on a nested compute. Blocked tasks must not use up the worker's
  // room (1024 a thread), or the nested tasks could never be scheduled.
  auto inner = delayed("troupe.inc");
  auto outer = delayed([inner](std::int64_t x) {
    return inner(x).compute({"threads", 1}).as<std::int64_t>();
  });
  std::vector<Delayed> tasks;
  const std::int64_t n = 1100;
  for (std::int64_t i = 0; i < n; ++i) tasks.push_back(outer(i));
  auto total = delayed("troupe.sum")(tasks).compute({"threads", 1});
  CHECK(total.as<std::int64_t>() == n * (n + 1) / 2);
}

TEST_CASE("delayed: pure calls of different lambdas are different tasks", "[collections]") {
  auto plus_one = delayed([](std::int64_t x) { return x + 1; }, {.pure = true});
  auto times_ten = delayed([](std::int64_t x) { return x * 10; }, {.pure = true});
  CHECK(plus_one(3).key() != times_ten(3).key());
  CHECK(plus_one(3).key() == plus_one(3).key());
  auto [a, b] = compute(plus_one(3), times_ten(3));
  CHECK(a.as<std::int64_t>() == 4);
  CHECK(b.as<std::int64_t>() == 30);
}

TEST_CASE("delayed: num_workers out of 1..1024 is refused wherever it comes from",
          "[collections]") {
  auto one = delayed("troupe.inc")(1);
  CHECK_THROWS_WITH(one.compute({.scheduler = "threads", .num_workers = 100000}),
                    Catch::Contains("from 1 to 1024") && Catch::Contains("100000"));
  config::set("num_workers", "100000");
  CHECK_THROWS_WITH(one.compute({.scheduler = "threads"}),
                    Catch::Contains("from 1 to 1024") && Catch::Contains("TROUPE_NUM_WORKERS"));
  config::set("num_workers", "0");
  CHECK_THROWS_AS(one.compute({.scheduler = "threads"}), ArgumentError);
  config::set("num_workers", "2x");
  CHECK_THROWS_AS(one.compute({.scheduler = "threads"}), ArgumentError);
  config::unset("num_workers");
  CHECK(resolve_num_workers({.num_workers = 1024}) == 1024);  // the bound itself is allowed
}

TEST_CASE("delayed: a 200,000-link chain computes and is freed without recursion",
          "[collections]") {
  const std::int64_t n = 200'000;
  {
    auto inc = delayed("troupe.inc");
    Delayed x = delayed_value(std::int64_t{0});
    for (std::int64_t i = 0; i < n; ++i) x = inc(x);
    CHECK(x.compute({.scheduler = "sync"}).as<std::int64_t>() == n);
    CHECK(x.compute({.scheduler = "threads", .num_workers = 2}).as<std::int64_t>() == n);
  }  // the last Delayed of the chain goes here: recursive destructors overflowed the stack
  // A chain that shares its middle with another value: freeing one leaves the other whole.
  auto inc = delayed("troupe.inc");
  Delayed middle = delayed_value(std::int64_t{0});
  for (std::int64_t i = 0; i < n / 2; ++i) middle = inc(middle);
  {
    Delayed top = middle;
    for (std::int64_t i = 0; i < n / 2; ++i) top = inc(top);
  }
  CHECK(middle.compute({.scheduler = "sync"}).as<std::int64_t>() == n / 2);
}

TEST_CASE("delayed: compute(a, b, options) takes the options last", "[collections]") {
  auto inc = delayed("troupe.inc");
  auto [a, b, c] = compute(inc(1), inc(2), inc(3), compute_options{.scheduler = "sync"});
  CHECK(a.as<std::int64_t>() + b.as<std::int64_t>() + c.as<std::int64_t>() == 9);
  auto [d] = compute(inc(4), compute_options{.scheduler = "threads", .num_workers = 1});
  CHECK(d.as<std::int64_t>() == 5);
  CHECK_THROWS_AS(compute(inc(4), compute_options{.scheduler = "bogus"}), ArgumentError);
}
