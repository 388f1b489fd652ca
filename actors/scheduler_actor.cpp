#include <optional>
#include <unordered_map>

#include "actors/local_actors.hpp"
#include "actors/messages.hpp"

namespace troupe {

namespace {

struct scheduler_actor_state {
  struct pending_run {
    caf::response_promise promise;
    std::shared_ptr<run_memory> memory;
  };
  std::optional<SchedulerState> decisions;  ///< set when the behaviour starts
  std::unordered_map<worker_id, caf::actor> workers;
  std::unordered_map<run_id, pending_run> runs;
  std::vector<finished_task> scratch;  ///< one run's share of a report
  static inline const char* name = "troupe.scheduler";
};

using scheduler_self = caf::stateful_actor<scheduler_actor_state>;

// Sends what the state decided, then forgets the decisions.
void carry_out(scheduler_self* self) {
  auto& st = self->state;
  auto& out = st.decisions->commands();
  for (auto& c : out.to_compute) {
    auto run = st.runs.find(c.run);
    if (run == st.runs.end()) continue;
    send_to(self, st.workers.at(c.worker), message::compute{run->second.memory, std::move(c.tasks)});
  }
  for (auto& r : out.to_release)
    if (auto w = st.workers.find(r.worker); w != st.workers.end())
      send_to(self, w->second, message::release{r.run, std::move(r.tasks)});
  for (run_id run : out.finished) {
    if (auto i = st.runs.find(run); i != st.runs.end()) {
      auto outcome = caf::make_message(message::run_outcome{true, false, {}});
      TROUPE_TSAN_RELEASE(i->second.memory.get());
      i->second.promise.deliver(std::move(outcome));
      st.runs.erase(i);
    }
  }
  for (auto& f : out.failures) {
    if (auto i = st.runs.find(f.run); i != st.runs.end()) {
      // Executors skip the run's tasks they have not started.
      i->second.memory->cancelled.store(true, std::memory_order_relaxed);
      auto outcome = caf::make_message(message::run_outcome{false, false, std::move(f.failure)});
      TROUPE_TSAN_RELEASE(i->second.memory.get());
      i->second.promise.deliver(std::move(outcome));
      st.runs.erase(i);
    }
  }
  for (auto& f : out.to_forget)
    if (auto w = st.workers.find(f.worker); w != st.workers.end())
      send_to(self, w->second, message::forget{f.run});
  out.clear();
}

caf::behavior scheduler_actor(scheduler_self* self, scheduler_options options) {
  self->state.decisions.emplace(options);
  return {
      [=](message::register_worker& m) {
        TROUPE_TSAN_HANDLER(tsan_sync(self));
        self->state.workers.emplace(m.id, m.worker);
        self->state.decisions->add_worker(m.id, m.nthreads);
        carry_out(self);
      },
      [=](message::submit_run& m) {
        TROUPE_TSAN_HANDLER(tsan_sync(self));
        auto& st = self->state;
        run_id id = m.memory->id;
        auto graph = m.memory->graph;
        st.runs.emplace(id, scheduler_actor_state::pending_run{self->make_response_promise(),
                                                               std::move(m.memory)});
        st.decisions->submit(id, std::move(graph));
        carry_out(self);
      },
      [=](message::tasks_seceded& m) {
        TROUPE_TSAN_HANDLER(tsan_sync(self));
        self->state.decisions->tasks_seceded(m.worker, m.delta);
        carry_out(self);
      },
      [=](message::tasks_done& m) {
        TROUPE_TSAN_HANDLER(tsan_sync(self));
        auto& st = self->state;
        // Reports arrive grouped by run; hand each run's share over in one call.
        for (std::size_t i = 0; i < m.finished.size();) {
          run_id run = m.finished[i].run;
          st.scratch.clear();
          for (; i < m.finished.size() && m.finished[i].run == run; ++i)
            st.scratch.push_back(
                {m.finished[i].task, m.finished[i].nbytes, m.finished[i].runs_dependent});
          st.decisions->tasks_finished(m.worker, run, st.scratch);
        }
        for (auto& e : m.erred)
          st.decisions->task_erred(m.worker, e.run, e.task, std::move(e.failure));
        carry_out(self);
      },
  };
}

}  // namespace

caf::actor spawn_scheduler(caf::actor_system& system, scheduler_options options) {
  return system.spawn(scheduler_actor, options);
}

}  // namespace troupe
