#pragma once
// SchedulerState: the scheduler's decisions as a plain class. Events come in as calls (a run
// submitted, a worker added, tasks finished or erred); what to do comes out as commands (send
// these tasks to that worker, release those results, the run finished or failed). No actors,
// threads or clocks inside, so every policy is unit-tested by stepping events by hand.
//
// Task states use Dask's words: waiting (for dependencies), queued (ready, no worker yet),
// processing (on a worker), memory, erred, released (result dropped once no dependent needs
// it). Ready tasks wait in one queue ordered by (run generation, task priority) and go to
// workers only while those have spare capacity, so a huge graph streams through bounded
// memory (Dask's root-task queuing, applied to every task). A worker is chosen by data
// locality (most bytes of the task's dependencies already there), then by occupancy.

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "actors/fwd.hpp"
#include "actors/ready_queue.hpp"
#include "core/error.hpp"
#include "core/task_graph.hpp"

namespace troupe {

enum class task_state : std::uint8_t { released, waiting, queued, processing, memory, erred, forgotten };

const char* to_string(task_state state) noexcept;

struct scheduler_options {
  /// Tasks a worker may hold (queued there or running) per thread: enough to keep its
  /// computation actors busy between two scheduler messages, few enough to bound memory.
  std::size_t tasks_per_thread = 1024;
};

/// What the scheduler actor must do after an event.
struct scheduler_commands {
  struct compute {
    worker_id worker;
    run_id run;
    std::uint64_t generation;
    std::vector<task_index> tasks;
  };
  struct release {
    worker_id worker;
    run_id run;
    std::vector<task_index> tasks;
  };
  struct failed {
    run_id run;
    task_failure failure;
  };
  struct forget {
    worker_id worker;
    run_id run;
  };
  std::vector<compute> to_compute;
  std::vector<release> to_release;
  std::vector<run_id> finished;   ///< every target of the run is in memory
  std::vector<failed> failures;   ///< the run failed; the first failure is reported
  std::vector<forget> to_forget;  ///< a worker may drop everything of the run

  bool empty() const noexcept {
    return to_compute.empty() && to_release.empty() && finished.empty() && failures.empty() &&
           to_forget.empty();
  }
  void clear() noexcept;
};

struct finished_task {
  task_index task;
  std::uint64_t nbytes;
  /// The worker ran the task's only dependent right after it (a chain link; see
  /// chained_dependent): that dependent is processing there, not queued.
  bool runs_dependent = false;
};

class SchedulerState {
 public:
  static constexpr worker_id no_worker = UINT32_MAX;

  explicit SchedulerState(scheduler_options options = {});
  ~SchedulerState();
  SchedulerState(const SchedulerState&) = delete;
  SchedulerState& operator=(const SchedulerState&) = delete;

  // --- events ---------------------------------------------------------------------------
  void add_worker(worker_id worker, std::size_t nthreads);
  /// A new run of `graph`; its literals are in memory from the start.
  void submit(run_id run, std::shared_ptr<const task_graph> graph);
  void tasks_finished(worker_id worker, run_id run, const std::vector<finished_task>& tasks);
  void task_erred(worker_id worker, run_id run, task_index task, task_failure failure);
  /// The client gave up on the run: nothing more of it is scheduled.
  void cancel(run_id run);
  /// `delta` tasks on the worker started (+) or stopped (-) blocking on a nested compute:
  /// they hold no thread, so they do not count against the worker's room.
  void tasks_seceded(worker_id worker, int delta);

  // --- what to do -----------------------------------------------------------------------
  scheduler_commands& commands() noexcept { return commands_; }

  // --- inspection (tests, diagnostics) ----------------------------------------------------
  task_state state_of(run_id run, task_index task) const;
  worker_id who_has(run_id run, task_index task) const;
  std::size_t queued_count() const noexcept { return ready_.size(); }
  std::size_t processing_count(worker_id worker) const;
  bool has_run(run_id run) const { return runs_.count(run) != 0; }

 private:
  struct run_state;
  struct worker_state;

  void enqueue(run_state& run, task_index task);
  void schedule();
  worker_state* choose_worker(const run_state& run, task_index task);
  void emit_compute(worker_state& worker, run_state& run, task_index task);
  void emit_release(run_state& run, task_index task);
  void fail(run_state& run, task_failure failure);
  void retire_if_idle(run_state& run);
  run_state* find_run(run_id run);

  scheduler_options options_;
  std::unordered_map<run_id, std::unique_ptr<run_state>> runs_;
  std::vector<worker_state> workers_;
  std::unordered_map<worker_id, std::size_t> worker_slot_;
  ready_queue<run_state*> ready_;
  std::uint64_t next_generation_ = 0;
  scheduler_commands commands_;
};

}  // namespace troupe
