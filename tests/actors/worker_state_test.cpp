// WorkerState stepped event by event: batching, spreading and secede/rejoin.

#include <catch2/catch.hpp>

#include "actors/worker_state.hpp"
#include "core/graph.hpp"

using namespace troupe;

namespace {

std::vector<task_index> range(task_index first, task_index last) {
  std::vector<task_index> v;
  for (task_index i = first; i < last; ++i) v.push_back(i);
  return v;
}

executor_report finished(executor_id e, const std::vector<worker_task>& tasks, double seconds,
                         bool complete = true) {
  executor_report r{e, {}, {}, seconds, complete};
  for (auto t : tasks) r.finished.push_back({t.run, t.task, 8});
  return r;
}

std::size_t tasks_sent_to(const worker_commands& c, executor_id e) {
  std::size_t n = 0;
  for (const auto& x : c.to_execute)
    if (x.executor == e) n += x.tasks.size();
  return n;
}

}  // namespace

TEST_CASE("worker_state: before any measurement a batch is one task", "[actors]") {
  WorkerState w(worker_options{.nthreads = 2, .max_batch = 64});
  w.add_executor(0);
  w.add_executor(1);
  w.compute(1, range(0, 100));
  auto& c = w.commands();
  // Two batches of one for each executor: one running, one waiting in its mailbox.
  CHECK(c.to_execute.size() == 4);
  CHECK(tasks_sent_to(c, 0) == 2);
  CHECK(tasks_sent_to(c, 1) == 2);
  CHECK(w.ready_count() == 96);
}

TEST_CASE("worker_state: short tasks go in large batches, long ones one at a time", "[actors]") {
  WorkerState w(worker_options{.nthreads = 1, .max_batch = 64, .target_batch_seconds = 0.001});
  w.add_executor(0);
  w.compute(1, range(0, 1000));
  auto first = w.commands().to_execute.at(0).tasks;
  w.commands().clear();
  w.executed(finished(0, first, 1e-7));  // 100 ns a task
  CHECK(w.batch_size() == 64);
  REQUIRE(w.commands().to_execute.size() == 1);
  CHECK(w.commands().to_execute[0].tasks.size() == 64);
  CHECK(w.commands().finished.size() == 1);  // forwarded to the scheduler
  auto second = w.commands().to_execute[0].tasks;
  w.commands().clear();
  w.executed(finished(0, second, 64 * 0.01));  // 10 ms a task: now over the target
  CHECK(w.batch_size() < 64);
  WorkerState slow(worker_options{.nthreads = 1, .max_batch = 64, .target_batch_seconds = 0.001});
  slow.add_executor(0);
  slow.compute(1, range(0, 10));
  auto one = slow.commands().to_execute.at(0).tasks;
  slow.commands().clear();
  slow.executed(finished(0, one, 0.5));
  CHECK(slow.batch_size() == 1);
}

TEST_CASE("worker_state: a short queue is spread over the executors", "[actors]") {
  // Measured fast tasks would allow 64 per batch, but 8 tasks over 4 executors is two each.
  WorkerState fast(worker_options{.nthreads = 4, .max_batch = 64});
  fast.add_executor(0);
  fast.compute(1, range(0, 1));
  auto t = fast.commands().to_execute.at(0).tasks;
  fast.commands().clear();
  for (executor_id e = 1; e < 4; ++e) fast.add_executor(e);
  fast.executed(finished(0, t, 1e-7));
  fast.commands().clear();
  fast.compute(1, range(1, 9));
  for (executor_id e = 0; e < 4; ++e) CHECK(tasks_sent_to(fast.commands(), e) == 2);
}

TEST_CASE("worker_state: errors are forwarded to the scheduler", "[actors]") {
  WorkerState w(worker_options{.nthreads = 1});
  w.add_executor(0);
  w.compute(3, {5});
  w.commands().clear();
  executor_report r{0, {}, {{3, 5, task_failure{"k", "std::logic_error", "bad", ""}}}, 0.1, true};
  w.executed(std::move(r));
  REQUIRE(w.commands().erred.size() == 1);
  CHECK(w.commands().erred[0].failure.message == "bad");
  CHECK(w.in_flight(0) == 0);
}

TEST_CASE("worker_state: a seceded task's executor is replaced, then retires", "[actors]") {
  WorkerState w(worker_options{.nthreads = 1, .max_batch = 8});
  w.add_executor(0);
  w.compute(1, range(0, 3));
  // Executor 0 holds task 0 and task 1 (two batches of one); task 0 blocks on a nested
  // compute: it secedes, handing back nothing of its current batch.
  w.commands().clear();
  w.seceded(0, {});
  CHECK(w.commands().executors_to_spawn == 1);
  CHECK(w.commands().seceded_delta == 1);
  CHECK(w.active_executors() == 0);
  w.commands().clear();
  w.add_executor(1);
  CHECK(tasks_sent_to(w.commands(), 1) >= 1);  // the replacement takes the queue
  CHECK(w.active_executors() == 1);
  w.commands().clear();
  // Executor 0 finishes its seceded task, then its second batch: it retires.
  w.executed(finished(0, {{1, 0}}, 0.01));
  CHECK(w.commands().to_retire.empty());
  w.executed(finished(0, {{1, 1}}, 0.01));
  CHECK(w.commands().to_retire == std::vector<executor_id>{0});
  CHECK(w.commands().seceded_delta == -1);
  CHECK(w.executor_count() == 1);
}

TEST_CASE("worker_state: returned tasks run before newer ones", "[actors]") {
  WorkerState w(worker_options{.nthreads = 1, .max_batch = 8});
  w.add_executor(0);
  w.compute(1, {0, 1, 10, 11, 12});  // 0 and 1 go to executor 0, the rest wait
  w.commands().clear();
  w.seceded(0, {{1, 4}, {1, 5}});
  w.add_executor(1);
  auto& batches = w.commands().to_execute;
  REQUIRE_FALSE(batches.empty());
  CHECK(batches[0].executor == 1);
  CHECK(batches[0].tasks.at(0).task == 4);
}

TEST_CASE("worker_state: a dependent that arrives late runs before queued roots", "[actors]") {
  // Roots 0, 2, 4, ... wait on the worker; their dependents 1, 3, ... (earlier in the graph's
  // order than the later roots) arrive as the roots finish and go first, so each root's
  // result is consumed and released before the next roots make more (bounded memory).
  WorkerState w(worker_options{.nthreads = 1, .max_batch = 1});
  w.add_executor(0);
  std::vector<task_index> roots;
  for (task_index t = 0; t < 200; t += 2) roots.push_back(t);
  w.compute(1, roots);
  auto first = w.commands().to_execute;  // roots 0 and 2 (one running, one in the mailbox)
  REQUIRE(first.size() == 2);
  w.commands().clear();
  w.compute(1, {1});  // the dependent of root 0
  w.executed(finished(0, first[0].tasks, 0.01));
  REQUIRE(w.commands().to_execute.size() == 1);
  CHECK(w.commands().to_execute[0].tasks.at(0).task == 1);
  // An older run's tasks still go before a newer run's.
  w.commands().clear();
  w.compute(0, {150});
  w.executed(finished(0, first[1].tasks, 0.01));
  REQUIRE(w.commands().to_execute.size() == 1);
  CHECK(w.commands().to_execute[0].tasks.at(0).run == 0);
}

TEST_CASE("worker_state: the next link of a chain is a dependent waiting on nothing else",
          "[actors]") {
  auto inc = find_function("troupe.inc");
  auto add = find_function("troupe.add");
  Graph g;
  g.add("x", Value(1));
  g.add("a", Task{inc, {Arg::ref("x")}});
  g.add("b", Task{add, {Arg::ref("a"), Arg::ref("x")}});  // a and a literal: a link
  g.add("c", Task{inc, {Arg::ref("b")}});
  g.add("d", Task{inc, {Arg::ref("b")}});                  // b has two dependents: no link
  g.add("e", Task{add, {Arg::ref("c"), Arg::ref("d")}});  // two task inputs: no link
  auto compiled = compile(g, {"e"});
  auto index = [&](const Key& key) {
    for (task_index i = 0; i < compiled->size(); ++i)
      if (compiled->keys[i] == key) return i;
    FAIL("no key " << key);
    return task_index{0};
  };
  CHECK(chained_dependent(*compiled, index("a")) == index("b"));
  CHECK_FALSE(chained_dependent(*compiled, index("b")));
  CHECK_FALSE(chained_dependent(*compiled, index("c")));
  CHECK_FALSE(chained_dependent(*compiled, index("e")));  // a target: no dependents
}

TEST_CASE("worker_state: chained tasks do not count against an executor's batches",
          "[actors]") {
  WorkerState w(worker_options{.nthreads = 1, .max_batch = 8});
  w.add_executor(0);
  w.compute(1, {0, 1});
  CHECK(w.in_flight(0) == 2);
  w.commands().clear();
  // Task 0 ran, then tasks 5 and 6 as links of its chain; task 1 is still in flight.
  executor_report r{0, {{1, 0, 8, false, true}, {1, 5, 8, true, true}, {1, 6, 8, true, false}},
                    {}, 0.001, true};
  w.executed(std::move(r));
  CHECK(w.in_flight(0) == 1);
  CHECK(w.commands().finished.size() == 3);  // all reported to the scheduler
}
