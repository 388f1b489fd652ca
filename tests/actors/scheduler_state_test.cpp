// SchedulerState stepped event by event, with no actors, threads or clocks.

#include <catch2/catch.hpp>

#include "actors/scheduler_state.hpp"

using namespace troupe;

namespace {

// a -> b -> c, plus the literal x feeding a.
std::shared_ptr<const task_graph> chain() {
  Graph g;
  g.add("x", Value(1));
  g.add("a", Task{find_function("troupe.inc"), {Arg::ref("x")}});
  g.add("b", Task{find_function("troupe.inc"), {Arg::ref("a")}});
  g.add("c", Task{find_function("troupe.inc"), {Arg::ref("b")}});
  return compile(g, {"c"});
}

std::shared_ptr<const task_graph> independent(int n) {
  Graph g;
  std::vector<Key> keys;
  for (int i = 0; i < n; ++i) {
    keys.push_back("t" + std::to_string(i));
    g.add(keys.back(), Task{find_function("troupe.inc"), {Arg(Value(i))}});
  }
  return compile(g, keys);
}

task_index index_of(const task_graph& g, const Key& key) {
  for (task_index i = 0; i < g.size(); ++i)
    if (g.keys[i] == key) return i;
  FAIL("no key " << key);
  return 0;
}

std::vector<task_index> take_compute(SchedulerState& s, worker_id worker) {
  std::vector<task_index> tasks;
  for (auto& c : s.commands().to_compute)
    if (c.worker == worker) tasks.insert(tasks.end(), c.tasks.begin(), c.tasks.end());
  return tasks;
}

}  // namespace

TEST_CASE("scheduler_state: a chain runs one task at a time and releases behind itself",
          "[actors]") {
  SchedulerState s;
  s.add_worker(7, 1);
  auto g = chain();
  const task_index x = index_of(*g, "x"), a = index_of(*g, "a"), b = index_of(*g, "b"),
                   c = index_of(*g, "c");
  s.submit(1, g);
  CHECK(s.state_of(1, x) == task_state::memory);
  CHECK(s.state_of(1, a) == task_state::processing);
  CHECK(s.state_of(1, b) == task_state::waiting);
  CHECK(take_compute(s, 7) == std::vector<task_index>{a});
  s.commands().clear();

  s.tasks_finished(7, 1, {{a, 8}});
  CHECK(s.state_of(1, a) == task_state::memory);
  CHECK(s.who_has(1, a) == 7);
  CHECK(take_compute(s, 7) == std::vector<task_index>{b});
  CHECK(s.commands().to_release.empty());  // b still needs a
  s.commands().clear();

  s.tasks_finished(7, 1, {{b, 8}});
  CHECK(s.state_of(1, a) == task_state::released);
  REQUIRE(s.commands().to_release.size() == 1);
  CHECK(s.commands().to_release[0].worker == 7);
  CHECK(s.commands().to_release[0].tasks == std::vector<task_index>{a});
  s.commands().clear();

  s.tasks_finished(7, 1, {{c, 8}});
  CHECK(s.commands().finished == std::vector<run_id>{1});
  REQUIRE(s.commands().to_forget.size() == 1);
  CHECK(s.commands().to_forget[0].worker == 7);
  CHECK_FALSE(s.has_run(1));
  CHECK(s.processing_count(7) == 0);
}

TEST_CASE("scheduler_state: a dependent the worker ran at once is processing there, not queued",
          "[actors]") {
  SchedulerState s(scheduler_options{.tasks_per_thread = 1});
  s.add_worker(7, 1);
  auto g = chain();
  const task_index a = index_of(*g, "a"), b = index_of(*g, "b"), c = index_of(*g, "c");
  s.submit(1, g);
  CHECK(take_compute(s, 7) == std::vector<task_index>{a});
  s.commands().clear();

  // The worker reports a, which it followed with b on the same thread: b is claimed.
  s.tasks_finished(7, 1, {{a, 8, true}});
  CHECK(s.state_of(1, b) == task_state::processing);
  CHECK(s.who_has(1, b) == 7);
  CHECK(s.commands().to_compute.empty());  // b is never sent
  CHECK(s.processing_count(7) == 1);
  CHECK(s.queued_count() == 0);
  s.commands().clear();

  // b and c (claimed after b) in one report, c last: the run finishes and is forgotten.
  s.tasks_finished(7, 1, {{b, 8, true}, {c, 8, false}});
  CHECK(s.commands().finished == std::vector<run_id>{1});
  CHECK(s.commands().to_compute.empty());
  CHECK_FALSE(s.has_run(1));
  CHECK(s.processing_count(7) == 0);
  s.commands().clear();

  // The worker's room is intact: the next run is scheduled at once.
  s.submit(2, chain());
  CHECK(take_compute(s, 7).size() == 1);
}

TEST_CASE("scheduler_state: ready tasks queue while the worker is full", "[actors]") {
  SchedulerState s(scheduler_options{.tasks_per_thread = 2});
  s.add_worker(1, 1);
  auto g = independent(5);
  s.submit(1, g);
  CHECK(take_compute(s, 1) == std::vector<task_index>{0, 1});
  CHECK(s.queued_count() == 3);
  CHECK(s.state_of(1, 2) == task_state::queued);
  s.commands().clear();
  s.tasks_finished(1, 1, {{0, 8}});
  CHECK(take_compute(s, 1) == std::vector<task_index>{2});  // priority order
  CHECK(s.processing_count(1) == 2);
}

TEST_CASE("scheduler_state: queued tasks wait for a worker to join", "[actors]") {
  SchedulerState s;
  s.submit(1, independent(3));
  CHECK(s.queued_count() == 3);
  CHECK(s.commands().to_compute.empty());
  s.add_worker(4, 2);
  CHECK(take_compute(s, 4).size() == 3);
}

TEST_CASE("scheduler_state: a task goes where most of its input bytes are", "[actors]") {
  SchedulerState s(scheduler_options{.tasks_per_thread = 1});
  s.add_worker(1, 1);
  s.add_worker(2, 1);
  Graph g;
  g.add("big", Task{find_function("troupe.inc"), {Arg(Value(1))}});
  g.add("small", Task{find_function("troupe.inc"), {Arg(Value(2))}});
  g.add("both", Task{find_function("troupe.add"), {Arg::ref("big"), Arg::ref("small")}});
  auto graph = compile(g, {"both"});
  const task_index big = index_of(*graph, "big"), small = index_of(*graph, "small"),
                   both = index_of(*graph, "both");
  s.submit(1, graph);
  // One task each: occupancy spreads the two roots over the two workers.
  auto on1 = take_compute(s, 1), on2 = take_compute(s, 2);
  REQUIRE(on1.size() == 1);
  REQUIRE(on2.size() == 1);
  const worker_id big_worker = on1[0] == big ? 1 : 2;
  const worker_id small_worker = 3 - big_worker;
  s.commands().clear();
  s.tasks_finished(small_worker, 1, {{small, 10}});
  s.tasks_finished(big_worker, 1, {{big, 1'000'000}});
  CHECK(take_compute(s, big_worker) == std::vector<task_index>{both});
  CHECK(take_compute(s, small_worker).empty());
}

TEST_CASE("scheduler_state: an erred task fails the run and its dependents never run",
          "[actors]") {
  SchedulerState s;
  s.add_worker(1, 4);
  Graph g;
  g.add("bad", Task{find_function("troupe.inc"), {Arg(Value(1))}});
  g.add("slow", Task{find_function("troupe.inc"), {Arg(Value(2))}});
  g.add("after", Task{find_function("troupe.add"), {Arg::ref("bad"), Arg::ref("slow")}});
  auto graph = compile(g, {"after"});
  const task_index bad = index_of(*graph, "bad"), slow = index_of(*graph, "slow"),
                   after = index_of(*graph, "after");
  s.submit(9, graph);
  s.commands().clear();
  s.task_erred(1, 9, bad, task_failure{"bad", "std::runtime_error", "no", ""});
  REQUIRE(s.commands().failures.size() == 1);
  CHECK(s.commands().failures[0].run == 9);
  CHECK(s.commands().failures[0].failure.key == "bad");
  CHECK(s.state_of(9, after) == task_state::erred);
  CHECK(s.commands().to_forget.empty());  // `slow` is still running on the worker
  s.commands().clear();
  s.tasks_finished(1, 9, {{slow, 8}});
  CHECK(s.commands().to_compute.empty());  // `after` never runs
  REQUIRE(s.commands().to_forget.size() == 1);
  CHECK_FALSE(s.has_run(9));
  CHECK(s.processing_count(1) == 0);
}

TEST_CASE("scheduler_state: older runs go first", "[actors]") {
  SchedulerState s(scheduler_options{.tasks_per_thread = 1});
  s.submit(1, independent(2));
  s.submit(2, independent(2));
  s.add_worker(1, 1);
  REQUIRE(s.commands().to_compute.size() == 1);
  CHECK(s.commands().to_compute[0].run == 1);
  s.commands().clear();
  s.tasks_finished(1, 1, {{0, 8}});
  CHECK(s.commands().to_compute.at(0).run == 1);
  s.commands().clear();
  s.tasks_finished(1, 1, {{1, 8}});
  CHECK(s.commands().finished == std::vector<run_id>{1});
  CHECK(s.commands().to_compute.at(0).run == 2);
}

TEST_CASE("scheduler_state: a cancelled run schedules nothing more", "[actors]") {
  SchedulerState s(scheduler_options{.tasks_per_thread = 1});
  s.add_worker(1, 1);
  s.submit(3, independent(4));
  s.commands().clear();
  s.cancel(3);
  CHECK(s.has_run(3));  // one task still on the worker
  s.tasks_finished(1, 3, {{0, 8}});
  CHECK(s.commands().to_compute.empty());
  CHECK(s.commands().finished.empty());
  CHECK_FALSE(s.has_run(3));
  CHECK(s.queued_count() == 0);
}

TEST_CASE("scheduler_state: a run of literals finishes at once; bad input is rejected",
          "[actors]") {
  SchedulerState s;
  Graph g;
  g.add("x", Value(5));
  s.submit(1, compile(g, {"x"}));
  CHECK(s.commands().finished == std::vector<run_id>{1});
  CHECK_THROWS_AS(s.add_worker(2, 0), ArgumentError);
  CHECK_THROWS_AS(s.tasks_finished(99, 1, {}), ArgumentError);
  s.submit(5, independent(1));
  CHECK_THROWS_WITH(s.submit(5, independent(1)), Catch::Contains("already submitted"));
}

TEST_CASE("scheduler_state: tasks blocked on a nested compute free their room", "[actors]") {
  SchedulerState s(scheduler_options{.tasks_per_thread = 2});
  s.add_worker(1, 1);
  s.submit(1, independent(4));
  CHECK(take_compute(s, 1).size() == 2);
  s.commands().clear();
  s.tasks_seceded(1, 2);  // both running tasks now wait on nested computes
  CHECK(take_compute(s, 1) == std::vector<task_index>{2, 3});
  s.commands().clear();
  s.tasks_seceded(1, -2);
  s.tasks_finished(1, 1, {{0, 8}});
  CHECK(s.commands().to_compute.empty());  // 3 still processing, room for 2
}
