#include "actors/scheduler_state.hpp"

#include <algorithm>
#include <limits>

#include "core/assert.hpp"

namespace troupe {

const char* to_string(task_state state) noexcept {
  switch (state) {
    case task_state::released: return "released";
    case task_state::waiting: return "waiting";
    case task_state::queued: return "queued";
    case task_state::processing: return "processing";
    case task_state::memory: return "memory";
    case task_state::erred: return "erred";
    case task_state::forgotten: return "forgotten";
  }
  return "?";
}

void scheduler_commands::clear() noexcept {
  to_compute.clear();
  to_release.clear();
  finished.clear();
  failures.clear();
  to_forget.clear();
}

struct SchedulerState::run_state {
  run_state(run_id run, std::uint64_t gen, std::shared_ptr<const task_graph> compiled)
      : id(run), generation(gen), graph(std::move(compiled)) {
    const std::size_t n = graph->size();
    state.assign(n, task_state::waiting);
    waiting_on.assign(n, 0);
    pending_dependents.assign(n, 0);
    who_has.assign(n, no_worker);
    nbytes.assign(n, 0);
  }
  run_id id;
  std::uint64_t generation;
  std::shared_ptr<const task_graph> graph;
  std::vector<task_state> state;
  std::vector<std::uint32_t> waiting_on;          ///< dependencies not yet in memory
  std::vector<std::uint32_t> pending_dependents;  ///< dependents not yet finished
  std::vector<worker_id> who_has;                 ///< where the result is (or runs)
  std::vector<std::uint64_t> nbytes;
  std::size_t targets_left = 0;
  std::size_t processing = 0;
  bool closed = false;  ///< finished, failed or cancelled: nothing more of it is scheduled
  std::vector<worker_id> participants;  ///< workers that were sent tasks of this run
};

struct SchedulerState::worker_state {
  worker_id id;
  std::size_t nthreads;
  std::size_t capacity;
  std::size_t processing = 0;
  std::size_t seceded = 0;  ///< of those processing, blocked on a nested compute
  bool has_room() const noexcept { return processing < capacity + seceded; }
};

SchedulerState::SchedulerState(scheduler_options options) : options_(options) {}
SchedulerState::~SchedulerState() = default;

SchedulerState::run_state* SchedulerState::find_run(run_id run) {
  auto i = runs_.find(run);
  return i == runs_.end() ? nullptr : i->second.get();
}

void SchedulerState::add_worker(worker_id worker, std::size_t nthreads) {
  TROUPE_CHECK_ARG(nthreads > 0, "a worker needs at least one thread");
  worker_slot_.emplace(worker, workers_.size());
  workers_.push_back({worker, nthreads, nthreads * options_.tasks_per_thread, 0});
  schedule();
}

void SchedulerState::submit(run_id run, std::shared_ptr<const task_graph> graph) {
  TROUPE_CHECK_ARG(graph && graph->size() > 0, "a run needs a non-empty graph");
  TROUPE_CHECK_ARG(!runs_.count(run), "run " + std::to_string(run) + " was already submitted");
  auto owned = std::make_unique<run_state>(run, next_generation_++, std::move(graph));
  auto& r = *owned;
  runs_.emplace(run, std::move(owned));
  const auto& g = *r.graph;
  for (task_index i = 0; i < g.size(); ++i) {
    r.pending_dependents[i] = static_cast<std::uint32_t>(g.dependents_of(i).size());
    if (g.is_target[i]) ++r.targets_left;
  }
  for (task_index i = 0; i < g.size(); ++i) {
    if (g.is_literal(i)) {
      r.state[i] = task_state::memory;
      r.nbytes[i] = g.literal_of(i).nbytes();
      if (g.is_target[i]) --r.targets_left;
      continue;
    }
    std::uint32_t waiting = 0;
    for (task_index d : g.dependencies_of(i)) waiting += g.is_literal(d) ? 0 : 1;
    r.waiting_on[i] = waiting;
    if (waiting == 0) enqueue(r, i);
  }
  if (r.targets_left == 0) {  // only literals were asked for
    commands_.finished.push_back(run);
    r.closed = true;
    retire_if_idle(r);
    return;
  }
  schedule();
}

void SchedulerState::enqueue(run_state& run, task_index task) {
  run.state[task] = task_state::queued;
  ready_.push({run.generation, task, &run});
}

SchedulerState::worker_state* SchedulerState::choose_worker(const run_state& run, task_index task) {
  worker_state* best = nullptr;
  std::uint64_t best_bytes = 0;
  double best_occupancy = std::numeric_limits<double>::max();
  for (auto& w : workers_) {
    if (!w.has_room()) continue;
    std::uint64_t local_bytes = 0;
    if (workers_.size() > 1)
      for (task_index d : run.graph->dependencies_of(task))
        if (run.who_has[d] == w.id) local_bytes = saturating_add(local_bytes, run.nbytes[d]);
    double occupancy = static_cast<double>(w.processing) / static_cast<double>(w.nthreads);
    if (best == nullptr || local_bytes > best_bytes ||
        (local_bytes == best_bytes && occupancy < best_occupancy)) {
      best = &w;
      best_bytes = local_bytes;
      best_occupancy = occupancy;
    }
  }
  return best;
}

void SchedulerState::schedule() {
  while (!ready_.empty()) {
    const auto top = ready_.top();
    run_state& run = *top.payload;
    if (run.closed) {  // a closed run's queued tasks are dropped as they surface
      ready_.pop();
      run.state[top.task] = task_state::released;
      continue;
    }
    worker_state* worker = choose_worker(run, top.task);
    if (worker == nullptr) return;  // every worker is full: the rest stays queued
    ready_.pop();
    emit_compute(*worker, run, top.task);
  }
}

void SchedulerState::emit_compute(worker_state& worker, run_state& run, task_index task) {
  run.state[task] = task_state::processing;
  run.who_has[task] = worker.id;
  ++run.processing;
  ++worker.processing;
  auto& out = commands_.to_compute;
  auto batch = std::find_if(out.rbegin(), out.rend(), [&](const scheduler_commands::compute& c) {
    return c.worker == worker.id && c.run == run.id;
  });
  if (batch == out.rend()) {
    out.push_back({worker.id, run.id, run.generation, {}});
    batch = out.rbegin();
    if (std::find(run.participants.begin(), run.participants.end(), worker.id) ==
        run.participants.end())
      run.participants.push_back(worker.id);
  }
  batch->tasks.push_back(task);
}

void SchedulerState::emit_release(run_state& run, task_index task) {
  run.state[task] = task_state::released;
  worker_id holder = run.who_has[task];
  auto& out = commands_.to_release;
  auto batch = std::find_if(out.rbegin(), out.rend(), [&](const scheduler_commands::release& c) {
    return c.worker == holder && c.run == run.id;
  });
  if (batch == out.rend()) {
    out.push_back({holder, run.id, {}});
    batch = out.rbegin();
  }
  batch->tasks.push_back(task);
}

void SchedulerState::tasks_finished(worker_id worker, run_id run_id_,
                                    const std::vector<finished_task>& tasks) {
  auto slot = worker_slot_.find(worker);
  TROUPE_CHECK_ARG(slot != worker_slot_.end(), "unknown worker " + std::to_string(worker));
  auto& w = workers_[slot->second];
  // A dependent the worker ran at once counts as processing there until it is reported.
  const auto claimed = static_cast<std::size_t>(std::count_if(
      tasks.begin(), tasks.end(), [](const finished_task& f) { return f.runs_dependent; }));
  // (Claims first: the claimed tasks are mostly later in this same report.)
  w.processing = w.processing + claimed - std::min(w.processing + claimed, tasks.size());
  run_state* r = find_run(run_id_);
  if (r == nullptr) {
    schedule();
    return;
  }
  r->processing = r->processing + claimed - std::min(r->processing + claimed, tasks.size());
  if (!r->closed) {
    const auto& g = *r->graph;
    for (const auto& done : tasks) {
      const task_index t = done.task;
      TROUPE_ASSERT(r->state[t] == task_state::processing);
      r->state[t] = task_state::memory;
      r->nbytes[t] = done.nbytes;
      TROUPE_ASSERT(!done.runs_dependent || g.dependents_of(t).size() == 1);
      for (task_index dependent : g.dependents_of(t)) {
        if (--r->waiting_on[dependent] != 0) continue;
        if (done.runs_dependent) {
          r->state[dependent] = task_state::processing;
          r->who_has[dependent] = w.id;
        } else {
          enqueue(*r, dependent);
        }
      }
      for (task_index d : g.dependencies_of(t))
        if (--r->pending_dependents[d] == 0 && !g.is_target[d] && !g.is_literal(d))
          emit_release(*r, d);
      if (g.is_target[t] && --r->targets_left == 0) {
        commands_.finished.push_back(r->id);
        r->closed = true;  // forgotten once idle
      }
    }
  }
  retire_if_idle(*r);
  schedule();
}

void SchedulerState::task_erred(worker_id worker, run_id run_id_, task_index task,
                                task_failure failure) {
  auto slot = worker_slot_.find(worker);
  TROUPE_CHECK_ARG(slot != worker_slot_.end(), "unknown worker " + std::to_string(worker));
  auto& w = workers_[slot->second];
  if (w.processing > 0) --w.processing;
  run_state* r = find_run(run_id_);
  if (r != nullptr) {
    if (r->processing > 0) --r->processing;
    if (!r->closed) {
      r->state[task] = task_state::erred;
      fail(*r, std::move(failure));
    }
    retire_if_idle(*r);
  }
  schedule();
}

void SchedulerState::fail(run_state& run, task_failure failure) {
  run.closed = true;
  // Everything downstream of the erred task is erred too; none of it will run.
  const auto& g = *run.graph;
  std::vector<task_index> stack;
  for (task_index i = 0; i < g.size(); ++i)
    if (run.state[i] == task_state::erred) stack.push_back(i);
  while (!stack.empty()) {
    task_index t = stack.back();
    stack.pop_back();
    for (task_index dependent : g.dependents_of(t)) {
      if (run.state[dependent] == task_state::erred) continue;
      run.state[dependent] = task_state::erred;
      stack.push_back(dependent);
    }
  }
  commands_.failures.push_back({run.id, std::move(failure)});
}

void SchedulerState::cancel(run_id run) {
  run_state* r = find_run(run);
  if (r == nullptr) return;
  r->closed = true;
  retire_if_idle(*r);
  schedule();
}

void SchedulerState::retire_if_idle(run_state& run) {
  if (!run.closed || run.processing != 0) return;
  for (worker_id w : run.participants) commands_.to_forget.push_back({w, run.id});
  // Queued entries point at the run: drop them before the run goes.
  ready_.remove_if([&](const auto& e) { return e.payload == &run; });
  runs_.erase(run.id);
}

void SchedulerState::tasks_seceded(worker_id worker, int delta) {
  auto slot = worker_slot_.find(worker);
  TROUPE_CHECK_ARG(slot != worker_slot_.end(), "unknown worker " + std::to_string(worker));
  auto& w = workers_[slot->second];
  if (delta < 0)
    w.seceded -= std::min(w.seceded, static_cast<std::size_t>(-delta));
  else
    w.seceded += static_cast<std::size_t>(delta);
  schedule();
}

task_state SchedulerState::state_of(run_id run, task_index task) const {
  auto i = runs_.find(run);
  if (i == runs_.end()) return task_state::forgotten;
  return i->second->state.at(task);
}

worker_id SchedulerState::who_has(run_id run, task_index task) const {
  auto i = runs_.find(run);
  if (i == runs_.end()) return no_worker;
  return i->second->who_has.at(task);
}

std::size_t SchedulerState::processing_count(worker_id worker) const {
  auto slot = worker_slot_.find(worker);
  return slot == worker_slot_.end() ? 0 : workers_[slot->second].processing;
}

}  // namespace troupe
