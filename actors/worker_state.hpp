#pragma once
// WorkerState: a worker's decisions as a plain class. Tasks arrive from the scheduler in
// priority order and wait in a ready queue; they go to computation actors ("executors", one
// per thread) in batches sized from the measured task duration: long tasks one at a time, so
// they spread over threads, short tasks up to max_batch at once, so a message costs
// microseconds per batch rather than per task. Each executor holds at most two batches (one
// running, one waiting in its mailbox), so it never waits for the worker between batches.
//
// A task that blocks on a nested compute "secedes": its executor hands back its unstarted
// tasks, stops counting as a thread, and a replacement executor is started so the worker
// keeps nthreads executors busy (as dask.distributed's secede/rejoin). When the seceded
// executor is done it rejoins, or retires if the worker already has nthreads without it.

#include <cstdint>
#include <optional>
#include <vector>

#include "actors/fwd.hpp"
#include "actors/ready_queue.hpp"
#include "core/error.hpp"
#include "core/task_graph.hpp"

namespace troupe {

struct worker_task {
  run_id run;
  task_index task;
};

struct executed_task {
  run_id run;
  task_index task;
  std::uint64_t nbytes;
  /// Not handed to the executor: it ran right after its only dependency (a chain link).
  bool chained = false;
  /// Its only dependent (chained_dependent) runs next on the same executor: the scheduler
  /// must count that one as processing there instead of queueing it.
  bool runs_dependent = false;
};

struct erred_task {
  run_id run;
  task_index task;
  task_failure failure;
  bool chained = false;  ///< as in executed_task
};

/// The task to run right after `finished` on the same thread, if there is one: its only
/// dependent, when that dependent waits on nothing else but literals — the next link of a
/// chain. It becomes ready exactly when `finished` does, so running it at once is what the
/// scheduler would decide, minus a round trip per link.
std::optional<task_index> chained_dependent(const task_graph& graph, task_index finished);

struct worker_options {
  std::size_t nthreads = 1;
  std::size_t max_batch = 256;
  /// Aim for batches that take about this long, so no thread sits on a long queue.
  double target_batch_seconds = 0.0005;
};

struct worker_commands {
  struct execute {
    executor_id executor;
    std::vector<worker_task> tasks;
  };
  std::vector<execute> to_execute;
  std::vector<executed_task> finished;  ///< to report to the scheduler
  std::vector<erred_task> erred;        ///< to report to the scheduler
  std::size_t executors_to_spawn = 0;
  std::vector<executor_id> to_retire;
  /// Change in tasks blocked on a nested compute, to tell the scheduler (it frees their room).
  int seceded_delta = 0;

  void clear() noexcept;
};

/// What an executor reports after running (part of) a batch.
struct executor_report {
  executor_id executor;
  std::vector<executed_task> finished;
  std::vector<erred_task> erred;
  double busy_seconds = 0;
  bool batch_complete = false;
  std::size_t tasks_run() const noexcept { return finished.size() + erred.size(); }
  /// Of those run, the ones handed over in a batch (not chained).
  std::size_t tasks_assigned() const noexcept;
};

class WorkerState {
 public:
  explicit WorkerState(worker_options options);

  // --- events ---------------------------------------------------------------------------
  void add_executor(executor_id executor);
  void compute(run_id run, const std::vector<task_index>& tasks);
  void executed(executor_report report);
  /// The executor's running task blocked on a nested compute; `returned` are the tasks of its
  /// batch it had not started.
  void seceded(executor_id executor, std::vector<worker_task> returned);

  // --- what to do -----------------------------------------------------------------------
  worker_commands& commands() noexcept { return commands_; }

  // --- inspection -------------------------------------------------------------------------
  std::size_t ready_count() const noexcept { return ready_.size(); }
  std::size_t active_executors() const noexcept;
  std::size_t executor_count() const noexcept { return executors_.size(); }
  std::size_t in_flight(executor_id executor) const;
  std::size_t batch_size() const noexcept;

 private:
  struct executor_slot {
    executor_id id;
    std::size_t in_flight = 0;
    std::size_t batches = 0;
    bool seceded = false;
  };
  executor_slot* find(executor_id executor);
  void dispatch();

  worker_options options_;
  /// Lowest (run, task) first: a task index is its priority (core/order), so a dependent
  /// that arrives after many queued roots still runs before them and the chunks it consumes
  /// are released early (depth first, as dask.order intends), not after every root has run.
  ready_queue<run_id> ready_;
  std::vector<executor_slot> executors_;
  std::size_t pending_spawns_ = 0;
  double mean_task_seconds_ = -1;  ///< exponential moving average; < 0 until measured
  worker_commands commands_;
};

}  // namespace troupe
