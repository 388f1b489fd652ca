#include "actors/worker_state.hpp"

#include <algorithm>
#include <cmath>

#include "core/assert.hpp"

namespace troupe {

namespace {
constexpr std::size_t max_batches_per_executor = 2;
constexpr double duration_smoothing = 0.3;  // weight of the newest measurement
}  // namespace

std::optional<task_index> chained_dependent(const task_graph& graph, task_index finished) {
  auto dependents = graph.dependents_of(finished);
  if (dependents.size() != 1) return std::nullopt;
  const task_index next = *dependents.begin();
  for (task_index d : graph.dependencies_of(next))
    if (d != finished && !graph.is_literal(d)) return std::nullopt;
  return next;
}

std::size_t executor_report::tasks_assigned() const noexcept {
  std::size_t chained = 0;
  for (const auto& f : finished) chained += f.chained ? 1 : 0;
  for (const auto& e : erred) chained += e.chained ? 1 : 0;
  return tasks_run() - chained;
}

void worker_commands::clear() noexcept {
  to_execute.clear();
  finished.clear();
  erred.clear();
  executors_to_spawn = 0;
  to_retire.clear();
  seceded_delta = 0;
}

WorkerState::WorkerState(worker_options options) : options_(options) {
  TROUPE_CHECK_ARG(options_.nthreads > 0, "a worker needs at least one thread");
  TROUPE_CHECK_ARG(options_.max_batch > 0, "max_batch must be at least 1");
}

WorkerState::executor_slot* WorkerState::find(executor_id executor) {
  auto i = std::find_if(executors_.begin(), executors_.end(),
                        [&](const executor_slot& e) { return e.id == executor; });
  return i == executors_.end() ? nullptr : &*i;
}

std::size_t WorkerState::active_executors() const noexcept {
  return static_cast<std::size_t>(std::count_if(
      executors_.begin(), executors_.end(), [](const executor_slot& e) { return !e.seceded; }));
}

std::size_t WorkerState::in_flight(executor_id executor) const {
  for (const auto& e : executors_)
    if (e.id == executor) return e.in_flight;
  return 0;
}

std::size_t WorkerState::batch_size() const noexcept {
  if (mean_task_seconds_ < 0) return 1;  // nothing measured yet: find out with one task
  if (mean_task_seconds_ == 0) return options_.max_batch;
  double fit = options_.target_batch_seconds / mean_task_seconds_;
  return std::clamp<std::size_t>(static_cast<std::size_t>(fit), 1, options_.max_batch);
}

void WorkerState::add_executor(executor_id executor) {
  TROUPE_CHECK_ARG(find(executor) == nullptr,
                   "executor " + std::to_string(executor) + " is already registered");
  if (pending_spawns_ > 0) --pending_spawns_;
  executors_.push_back({executor});
  dispatch();
}

void WorkerState::compute(run_id run, const std::vector<task_index>& tasks) {
  for (task_index t : tasks) ready_.push({run, t, run});
  dispatch();
}

void WorkerState::executed(executor_report report) {
  executor_slot* slot = find(report.executor);
  TROUPE_ASSERT(slot != nullptr);
  const std::size_t ran = report.tasks_run();
  slot->in_flight -= std::min(slot->in_flight, report.tasks_assigned());
  if (report.batch_complete && slot->batches > 0) --slot->batches;
  if (ran > 0) {
    double per_task = report.busy_seconds / static_cast<double>(ran);
    mean_task_seconds_ = mean_task_seconds_ < 0
                             ? per_task
                             : duration_smoothing * per_task +
                                   (1 - duration_smoothing) * mean_task_seconds_;
  }
  for (auto& f : report.finished) commands_.finished.push_back(f);
  for (auto& e : report.erred) commands_.erred.push_back(std::move(e));
  if (slot->seceded && slot->batches == 0) {
    --commands_.seceded_delta;
    // Rejoin, unless the replacement already took this thread's place.
    if (active_executors() + pending_spawns_ >= options_.nthreads) {
      commands_.to_retire.push_back(slot->id);
      executors_.erase(executors_.begin() + (slot - executors_.data()));
    } else {
      slot->seceded = false;
    }
  }
  dispatch();
}

void WorkerState::seceded(executor_id executor, std::vector<worker_task> returned) {
  executor_slot* slot = find(executor);
  TROUPE_ASSERT(slot != nullptr);
  slot->in_flight -= std::min(slot->in_flight, returned.size());
  for (const auto& t : returned) ready_.push({t.run, t.task, t.run});
  if (!slot->seceded) {
    slot->seceded = true;
    ++commands_.seceded_delta;
    if (active_executors() + pending_spawns_ < options_.nthreads) {
      ++pending_spawns_;
      ++commands_.executors_to_spawn;
    }
  }
  dispatch();
}

void WorkerState::dispatch() {
  if (ready_.empty()) return;
  // Spread a short queue over the executors rather than giving it all to the first.
  const std::size_t active = std::max<std::size_t>(1, active_executors());
  const std::size_t share = std::max<std::size_t>(1, (ready_.size() + active - 1) / active);
  const std::size_t size = std::min(batch_size(), share);
  for (bool progress = true; progress && !ready_.empty();) {
    progress = false;
    for (auto& e : executors_) {
      if (ready_.empty()) break;
      if (e.seceded || e.batches >= max_batches_per_executor) continue;
      const std::size_t n = std::min(size, ready_.size());
      worker_commands::execute batch{e.id, {}};
      batch.tasks.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        batch.tasks.push_back({ready_.top().payload, ready_.top().task});
        ready_.pop();
      }
      e.in_flight += n;
      ++e.batches;
      commands_.to_execute.push_back(std::move(batch));
      progress = true;
    }
  }
}

}  // namespace troupe
