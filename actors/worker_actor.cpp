#include <chrono>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>

#include "actors/execute.hpp"
#include "actors/local_actors.hpp"
#include "actors/messages.hpp"
#include "actors/task_context.hpp"
#include "actors/threads_runtime.hpp"  // complete: CAF inspects the types of spawn arguments

namespace troupe {

namespace {

using clock_type = std::chrono::steady_clock;

// An executor reports what it finished at the end of each batch, and sooner when a batch
// runs long, so the scheduler hears of a finished task within this interval.
constexpr auto report_interval = std::chrono::microseconds(500);

// A chain (chained_dependent) is followed from the last task of a batch only, and for at most
// this long: then its next link goes back through the scheduler, so the executor's next batch
// and the worker's other ready tasks are not held up behind a long chain.
constexpr auto max_chain_time = std::chrono::milliseconds(2);

// --- executor: one thread running tasks ------------------------------------------------------

struct executor_state;
using executor_self = caf::stateful_actor<executor_state>;

struct executor_state {
  // The context of the task being run: a nested compute secedes through it.
  struct context final : task_context {
    executor_self* self = nullptr;
    message::execute* batch = nullptr;
    std::size_t position = 0;
    bool seceded = false;
    threads_runtime* owner = nullptr;
    void secede() override;
    threads_runtime* runtime() override { return owner; }
  };
  executor_id id = 0;
  caf::actor worker;
  context running;
  executor_report pending;
  clock_type::time_point busy_since;
  static inline const char* name = "troupe.executor";

  void report(bool batch_complete) {
    auto now = clock_type::now();
    pending.executor = id;
    pending.busy_seconds = std::chrono::duration<double>(now - busy_since).count();
    pending.batch_complete = batch_complete;
    send_to(running.self, worker, std::move(pending));
    pending = executor_report{};
    busy_since = now;
  }
};

void executor_state::context::secede() {
  if (seceded) return;
  seceded = true;
  auto& st = self->state;
  // Hand back what this batch has not started, and report what it has done so far.
  std::vector<worker_task> returned(batch->tasks.begin() + static_cast<std::ptrdiff_t>(position + 1),
                                    batch->tasks.end());
  batch->tasks.resize(position + 1);
  if (st.pending.tasks_run() > 0) st.report(false);
  send_to(self, st.worker, message::secede{st.id, std::move(returned)});
}

run_memory* memory_of(const message::execute& batch, run_id run) {
  for (const auto& m : batch.runs)
    if (m->id == run) return m.get();
  return nullptr;
}

caf::behavior executor_actor(executor_self* self, executor_id id, caf::actor worker,
                             threads_runtime* runtime) {
  self->state.id = id;
  self->state.worker = std::move(worker);
  self->state.running.self = self;
  self->state.running.owner = runtime;
  return {
      [=](message::execute& batch) {
        TROUPE_TSAN_HANDLER(tsan_sync(self));
        auto& st = self->state;
        st.busy_since = clock_type::now();
        auto last_report = st.busy_since;
        run_memory* memory = nullptr;
        std::size_t since_clock = 0;
        for (std::size_t i = 0; i < batch.tasks.size(); ++i) {
          const run_id run = batch.tasks[i].run;
          if (memory == nullptr || memory->id != run) memory = memory_of(batch, run);
          st.running.batch = &batch;
          st.running.position = i;
          // The batch's task, then the links of the chain it starts (chained_dependent).
          bool may_chain = i + 1 == batch.tasks.size();
          const auto chain_start = may_chain ? clock_type::now() : clock_type::time_point{};
          std::optional<task_index> next = batch.tasks[i].task;
          for (bool chained = false; next; chained = true) {
            const task_index task = *next;
            next.reset();
            if (memory->cancelled.load(std::memory_order_relaxed)) {
              // The run failed: its result is never read (see run_memory::cancelled).
              st.pending.finished.push_back({run, task, 0, chained, false});
              break;
            }
            st.running.seceded = false;
            execution_result outcome;
            {
              task_context_scope scope(&st.running);
              outcome = execute_task(*memory->graph, task, memory->results);
            }
            if (outcome.failure) {
              // Reported at once: the run fails, and its other tasks can be skipped sooner.
              st.pending.erred.push_back({run, task, std::move(*outcome.failure), chained});
              st.report(false);
              last_report = clock_type::now();
              break;
            }
            // A seceded task's thread has been replaced: it takes on nothing more.
            if (may_chain && !st.running.seceded) next = chained_dependent(*memory->graph, task);
            st.pending.finished.push_back({run, task, outcome.nbytes, chained, next.has_value()});
            // Reading the clock costs as much as a tiny task: look every 16 tasks.
            if (++since_clock == 16) {
              since_clock = 0;
              auto now = clock_type::now();
              if (now - last_report > report_interval) {
                st.report(false);
                last_report = now;
              }
              if (now - chain_start > max_chain_time) may_chain = false;
            }
          }
        }
        st.report(true);
      },
  };
}

// --- worker: holds run memory, feeds executors ------------------------------------------------

struct worker_actor_state {
  std::optional<WorkerState> decisions;
  worker_id id = 0;
  caf::actor scheduler;
  threads_runtime* runtime = nullptr;  ///< the runtime this worker belongs to
  std::unordered_map<executor_id, caf::actor> executors;
  std::unordered_map<run_id, std::shared_ptr<run_memory>> runs;
  executor_id next_executor = 0;
  std::string start_error;  ///< why the executors could not all start ("" when they did)
  static inline const char* name = "troupe.worker";
};

using worker_self = caf::stateful_actor<worker_actor_state>;

void spawn_executor(worker_self* self) {
  auto& st = self->state;
  executor_id id = st.next_executor++;
  auto executor = self->spawn<caf::detached + caf::linked>(
      executor_actor, id, caf::actor_cast<caf::actor>(self), st.runtime);
  st.executors.emplace(id, std::move(executor));
  st.decisions->add_executor(id);
}

void carry_out(worker_self* self) {
  auto& st = self->state;
  auto& out = st.decisions->commands();
  // Spawn first: a new executor is handed work at once, adding to to_execute below.
  while (out.executors_to_spawn > 0) {
    --out.executors_to_spawn;
    spawn_executor(self);
  }
  for (auto& batch : out.to_execute) {
    message::execute m;
    // Keep the memory of every run in the batch alive while the executor uses it.
    for (const auto& t : batch.tasks)
      if (memory_of(m, t.run) == nullptr) m.runs.push_back(st.runs.at(t.run));
    m.tasks = std::move(batch.tasks);
    send_to(self, st.executors.at(batch.executor), std::move(m));
  }
  if (out.seceded_delta != 0)
    send_to(self, st.scheduler, message::tasks_seceded{st.id, out.seceded_delta});
  if (!out.finished.empty() || !out.erred.empty())
    send_to(self, st.scheduler,
               message::tasks_done{st.id, std::move(out.finished), std::move(out.erred)});
  for (executor_id e : out.to_retire) {
    if (auto i = st.executors.find(e); i != st.executors.end()) {
      self->unlink_from(i->second);
      TROUPE_TSAN_RELEASE(tsan_sync(i->second));
      self->send_exit(i->second, caf::exit_reason::user_shutdown);
      st.executors.erase(i);
    }
  }
  out.clear();
}

caf::behavior worker_actor(worker_self* self, worker_id id, worker_options options,
                           caf::actor scheduler, threads_runtime* runtime) {
  auto& st = self->state;
  st.decisions.emplace(options);
  st.runtime = runtime;
  st.id = id;
  st.scheduler = scheduler;
  try {
    for (std::size_t i = 0; i < options.nthreads; ++i) spawn_executor(self);
    send_to(self, scheduler, message::register_worker{id, options.nthreads,
                                                   caf::actor_cast<caf::actor>(self)});
  } catch (const std::system_error& e) {
    // Each executor is a thread of its own; the runtime asks (ready_atom) and gives up.
    st.start_error = "started " + std::to_string(st.executors.size()) + " of " +
                     std::to_string(options.nthreads) + " threads, then: " + e.what();
  }
  return {
      [=](message::ready_atom) {
        TROUPE_TSAN_HANDLER(tsan_sync(self));
        return self->state.start_error;
      },
      [=](message::compute& m) {
        TROUPE_TSAN_HANDLER(tsan_sync(self));
        auto& st = self->state;
        run_id run = m.memory->id;
        st.runs.emplace(run, std::move(m.memory));
        st.decisions->compute(run, m.tasks);
        carry_out(self);
      },
      [=](message::release& m) {
        TROUPE_TSAN_HANDLER(tsan_sync(self));
        auto& st = self->state;
        if (auto i = st.runs.find(m.run); i != st.runs.end())
          for (task_index t : m.tasks) i->second->results[t] = Value();
      },
      [=](message::forget& m) {
        TROUPE_TSAN_HANDLER(tsan_sync(self));
        self->state.runs.erase(m.run);
      },
      [=](executor_report& report) {
        TROUPE_TSAN_HANDLER(tsan_sync(self));
        self->state.decisions->executed(std::move(report));
        carry_out(self);
      },
      [=](message::secede& m) {
        TROUPE_TSAN_HANDLER(tsan_sync(self));
        self->state.decisions->seceded(m.executor, std::move(m.returned));
        carry_out(self);
      },
  };
}

}  // namespace

caf::actor spawn_worker(caf::actor_system& system, worker_id id, worker_options options,
                        caf::actor scheduler, threads_runtime* runtime) {
  return system.spawn(worker_actor, id, options, std::move(scheduler), runtime);
}

}  // namespace troupe
