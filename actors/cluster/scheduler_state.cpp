#include "actors/cluster/scheduler_state.hpp"

#include <algorithm>
#include <limits>

namespace troupe::cluster {

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

SchedulerState::SchedulerState(scheduler_options options) : options_(options) {}

std::vector<std::pair<client_id, std::uint32_t>>::iterator SchedulerState::find_want(
    task_record& t, client_id client) {
  return std::find_if(t.who_wants.begin(), t.who_wants.end(),
                      [&](const auto& w) { return w.first == client; });
}

namespace {

task_failure missing_dependency_failure(const std::string& key, const std::string& dependency) {
  return {key, "troupe::GraphError",
          "task " + key + " depends on key " + dependency +
              ", which is neither in its graph nor on the cluster",
          ""};
}

}  // namespace

// -- clients ------------------------------------------------------------------------------------

client_id SchedulerState::add_client(std::string) {
  auto id = next_client_++;
  clients_.insert(id);
  return id;
}

void SchedulerState::remove_client(client_id client) {
  if (clients_.erase(client) == 0) return;
  // A scan of the table: a client leaves rarely, and a set of its keys kept up to date cost a
  // node allocation per wanted key.
  std::vector<task_id> wanted;
  for (task_id id = 0; id < tasks_.size(); ++id)
    if (tasks_[id].state != task_state::forgotten &&
        find_want(tasks_[id], client) != tasks_[id].who_wants.end())
      wanted.push_back(id);
  for (auto id : wanted) {
    auto& t = task(id);
    auto entry = find_want(t, client);
    if (entry == t.who_wants.end()) continue;
    t.wanted -= entry->second;
    t.who_wants.erase(entry);
    release_if_unneeded(id);
  }
  dispatch_ready();
}

void SchedulerState::update_graph(client_id client, std::vector<task_spec> tasks,
                                  const std::vector<std::string>& wanted) {
  ++generation_;
  std::vector<task_id> added;
  added.reserve(tasks.size());
  with_lookahead(
      index_, tasks.size(), [&](std::size_t i) { return key_index::hash(tasks[i].key); },
      [&](task_id id) { return &tasks_[id].spec.key; },
      [&](std::size_t i, std::uint64_t h) {
        auto& spec = tasks[i];
        if (index_.find(spec.key, h, key_of{this}) != key_index::none)
          return;  // a key already known keeps its task
        auto id = add_record(h);
        auto& t = task(id);
        t.spec = std::move(spec);
        t.has_recipe = true;
        t.retries_left = t.spec.retries;
        t.priority = {-t.spec.priority, generation_, t.spec.order};
        added.push_back(id);
      });
  // Dependencies are linked once every new key is known: a graph lists keys in any order.
  for (auto id : added) {
    for (const auto& dependency : task(id).spec.dependencies) {
      auto found = lookup(dependency);
      if (!found) {
        auto& t = task(id);
        t.state = task_state::erred;
        t.failure = missing_dependency_failure(t.spec.key, dependency);
        t.missing_dependency = dependency;
        continue;
      }
      task(id).dependencies.push_back(*found);
      auto& input = task(*found);
      input.dependents.push_back({id, task(id).incarnation});
      ++input.live_dependents;
    }
  }
  auto wanted_ids = lookup_all(wanted);
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    const auto& key = wanted[i];
    auto found = wanted_ids[i];
    if (found == key_index::none) {
      task_record unknown;
      unknown.spec.key = key;
      unknown.failure = {key, "troupe::ArgumentError",
                         "key " + key + " is not on the cluster: it was released or never submitted",
                         ""};
      notify_client(client, unknown, client_event::erred);
      continue;
    }
    want(client, found);
  }
  // New tasks that nothing wants (a graph's unused branches) are forgotten at once.
  for (auto it = added.rbegin(); it != added.rend(); ++it) {
    if (task(*it).state == task_state::erred) release_if_unneeded(*it);
    forget_if_unreferenced(*it);
  }
  dispatch_ready();
}

void SchedulerState::release_keys(client_id client, const std::vector<std::string>& keys) {
  // Each key looked up just before its release, which forgets it: the index slot it erases is
  // still in the cache (looking every key up first, as lookup_all does, lost it).
  with_lookahead(
      index_, keys.size(), [&](std::size_t i) { return key_index::hash(keys[i]); },
      [&](task_id id) { return &tasks_[id].spec.key; },
      [&](std::size_t i, std::uint64_t h) {
        auto id = index_.find(keys[i], h, key_of{this});
        if (id == key_index::none) return;
        auto& t = task(id);
        auto entry = find_want(t, client);
        if (entry == t.who_wants.end()) return;  // already cancelled, or never wanted
        --t.wanted;
        if (--entry->second == 0) t.who_wants.erase(entry);
        release_if_unneeded(id);
      });
  dispatch_ready();
}

void SchedulerState::cancel_keys(client_id client, const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    auto found = lookup(key);
    if (!found) continue;
    auto id = *found;
    auto& t = task(id);
    auto entry = find_want(t, client);
    if (entry == t.who_wants.end()) continue;
    t.wanted -= entry->second;
    t.who_wants.erase(entry);
    notify_client(client, t, client_event::cancelled);
    release_if_unneeded(id);
  }
  dispatch_ready();
}

void SchedulerState::retry_keys(client_id, const std::vector<std::string>& keys) {
  std::vector<task_id> roots;
  std::vector<task_id> work;
  for (const auto& key : keys) {
    auto found = lookup(key);
    if (!found || task(*found).state != task_state::erred) continue;
    roots.push_back(*found);
    work.push_back(*found);
  }
  // The erred inputs that caused it run again too.
  while (!work.empty()) {
    auto id = work.back();
    work.pop_back();
    auto& t = task(id);
    if (t.state != task_state::erred) continue;
    t.state = task_state::released;
    t.failure = {};
    t.retries_left = t.spec.retries;
    t.deaths = 0;
    for (auto input : t.dependencies) work.push_back(input);
  }
  for (auto id : roots)
    if (needed(task(id))) activate(id);
  dispatch_ready();
}

void SchedulerState::data_placed(client_id client, const std::string& key, std::uint64_t nbytes,
                                 const std::vector<worker_id>& holders) {
  auto id = intern(key);
  auto& t = task(id);
  if (t.state == task_state::released || t.state == task_state::memory) {
    if (t.state == task_state::released && t.spec.function.function == nullptr)
      t.has_recipe = false;
    t.state = task_state::memory;
    t.nbytes = nbytes;
    for (auto w : holders) {
      auto worker = workers_.find(w);
      if (worker == workers_.end() ||
          std::find(t.who_has.begin(), t.who_has.end(), w) != t.who_has.end())
        continue;
      t.who_has.push_back(w);
    }
  }
  want(client, id);
  dispatch_ready();
}

// -- workers ------------------------------------------------------------------------------------

worker_id SchedulerState::add_worker(worker_info info) {
  auto id = next_worker_++;
  workers_[id].info = std::move(info);
  dispatch_ready();
  return id;
}

void SchedulerState::remove_worker(worker_id worker) {
  auto found = workers_.find(worker);
  if (found == workers_.end()) return;
  auto record = std::move(found->second);
  workers_.erase(found);
  outbox_.workers.erase(worker);
  // What it was running goes back to waiting (inputs counted as they are now: an input held
  // only by this worker is counted when it is lost just below).
  std::vector<task_id> rerun;
  for (auto id : std::vector<task_id>(record.processing_tasks)) {
    auto& t = task(id);
    if (t.state != task_state::processing || t.processing_on != worker) continue;
    drop_steal(t);
    t.processing_on = 0;
    if (++t.deaths > options_.allowed_failures) {
      t.state = task_state::waiting;
      mark_erred(id, {t.spec.key, "troupe::KilledWorker",
                      "task " + t.spec.key + " was running on " + std::to_string(t.deaths) +
                          " workers that died (last: " + record.info.address +
                          "); it may be crashing them",
                      ""});
      continue;
    }
    t.state = task_state::waiting;
    t.waiting_on = count_inputs_not_in_memory(t);
    rerun.push_back(id);
  }
  std::vector<task_id> to_activate;
  // What it held, by a scan of the table (a worker leaves rarely; a set of its keys kept up to
  // date cost a node allocation per result).
  for (task_id id = 0; id < tasks_.size(); ++id) {
    auto& t = task(id);
    if (t.state != task_state::memory) continue;
    auto held = std::find(t.who_has.begin(), t.who_has.end(), worker);
    if (held == t.who_has.end()) continue;
    t.who_has.erase(held);
    if (t.who_has.empty()) lose_key(id, to_activate);
  }
  for (auto id : rerun) {
    auto& t = task(id);
    if (t.state == task_state::waiting && t.waiting_on == 0) make_ready(id);
  }
  for (auto id : to_activate) {
    auto& t = task(id);
    if (t.state == task_state::released && needed(t)) activate(id);
    else release_if_unneeded(id);
  }
  dispatch_ready();
}

void SchedulerState::task_finished(worker_id worker, const std::string& key,
                                   std::uint64_t nbytes, std::uint64_t ref,
                                   std::int64_t payload) {
  auto found = find_reported(key, ref);
  if (!found) {
    send_release(worker, key);
    return;
  }
  auto id = *found;
  auto& t = task(id);
  if (t.state != task_state::processing || t.processing_on != worker) {
    // Released, cancelled or moved while it ran: the worker drops what it made.
    send_release(worker, key);
    return;
  }
  stop_processing(id);
  t.state = task_state::memory;
  t.nbytes = nbytes;
  t.who_has.assign(1, worker);
  for (const auto& l : t.dependents) {
    if (!live(l)) continue;
    auto& dependent = task(l.id);
    if (dependent.state == task_state::waiting && dependent.waiting_on > 0 &&
        --dependent.waiting_on == 0)
      make_ready(l.id);
  }
  finish_dependency_use(id);
  current_payload_ = payload;
  notify(task(id), client_event::finished);
  current_payload_ = -1;
  release_if_unneeded(id);
  dispatch_ready();
}

void SchedulerState::task_failed(worker_id worker, task_failure failure) {
  auto found = lookup(failure.key);
  if (!found) return;
  auto id = *found;
  auto& t = task(id);
  if (t.state != task_state::processing || t.processing_on != worker) return;
  stop_processing(id);
  if (t.retries_left > 0) {
    --t.retries_left;
    make_ready(id);
  } else {
    t.state = task_state::waiting;
    mark_erred(id, failure);
  }
  dispatch_ready();
}

std::size_t SchedulerState::worker_idle(worker_id worker) {
  auto found = workers_.find(worker);
  if (found == workers_.end()) return 0;
  auto lost = found->second.processing_tasks;
  for (auto id : lost) {
    stop_processing(id);
    auto& t = task(id);
    t.state = task_state::waiting;
    t.waiting_on = count_inputs_not_in_memory(t);
    if (t.waiting_on == 0) make_ready(id);
  }
  dispatch_ready();
  return lost.size();
}

void SchedulerState::task_missing(worker_id worker, const std::string& key,
                                  const std::string& input,
                                  const std::vector<worker_id>& failed_holders) {
  auto found = lookup(key);
  if (!found) return;
  auto id = *found;
  auto& t = task(id);
  if (t.state != task_state::processing || t.processing_on != worker) return;
  stop_processing(id);
  t.state = task_state::waiting;
  t.waiting_on = count_inputs_not_in_memory(t);
  auto failed_input = input.empty() ? std::optional<task_id>{} : lookup(input);
  // An input the scheduler believes this very worker holds was not there (the worker looks in
  // its own data first): that copy is gone. The holders the worker asked for the failed input
  // and got nothing from (dead, unreachable, or without it) are dropped as holders too, and
  // told to drop any copy they keep. With no holder left, the input is recomputed.
  std::vector<task_id> to_activate;
  for (auto dependency : std::vector<task_id>(t.dependencies)) {
    auto& d = task(dependency);
    if (d.state != task_state::memory) continue;
    bool failed = failed_input && *failed_input == dependency;
    std::vector<worker_id> gone;
    for (auto holder : d.who_has) {
      bool asked = failed && std::find(failed_holders.begin(), failed_holders.end(), holder) !=
                                 failed_holders.end();
      if (holder == worker || asked) gone.push_back(holder);
    }
    if (gone.empty()) continue;
    // The last copies of data a client placed (no recipe to make it again) are kept: the
    // holders may only have been slow, and the task asks them again.
    if (!d.has_recipe && gone.size() == d.who_has.size()) continue;
    for (auto holder : gone) {
      d.who_has.erase(std::find(d.who_has.begin(), d.who_has.end(), holder));
      if (holder != worker) send_release(holder, d.spec.key);
    }
    if (d.who_has.empty()) lose_key(dependency, to_activate);
  }
  for (auto dependency : to_activate)
    if (task(dependency).state == task_state::released && needed(task(dependency)))
      activate(dependency);
  if (task(id).state == task_state::waiting && task(id).waiting_on == 0) make_ready(id);
  dispatch_ready();
}

outbox SchedulerState::take_outbox() {
  outbox out;
  std::swap(out, outbox_);
  return out;
}

// -- inspection ---------------------------------------------------------------------------------

task_state SchedulerState::state_of(const std::string& key) const {
  auto found = lookup(key);
  return !found ? task_state::forgotten : tasks_[*found].state;
}

std::vector<worker_id> SchedulerState::who_has(const std::string& key) const {
  auto found = lookup(key);
  if (!found) return {};
  return tasks_[*found].who_has;
}

std::uint64_t SchedulerState::nbytes_of(const std::string& key) const {
  auto found = lookup(key);
  return found && tasks_[*found].state == task_state::memory ? tasks_[*found].nbytes : 0;
}

std::size_t SchedulerState::wanted_count(const std::string& key) const {
  auto found = lookup(key);
  return !found ? 0 : tasks_[*found].wanted;
}

std::size_t SchedulerState::processing_count(worker_id worker) const {
  auto found = workers_.find(worker);
  return found == workers_.end() ? 0 : found->second.processing;
}

std::vector<worker_id> SchedulerState::workers() const {
  std::vector<worker_id> ids;
  for (const auto& [id, record] : workers_) ids.push_back(id);
  return ids;
}

const worker_info* SchedulerState::info_of(worker_id worker) const {
  auto found = workers_.find(worker);
  return found == workers_.end() ? nullptr : &found->second.info;
}

std::string SchedulerState::describe(std::size_t examples) const {
  std::size_t counts[7] = {};
  for (const auto& t : tasks_) ++counts[static_cast<int>(t.state)];
  std::string out = "scheduler: " + std::to_string(index_.size()) + " tasks:";
  for (int s = 0; s < 6; ++s)
    out += std::string(" ") + to_string(static_cast<task_state>(s)) + " " +
           std::to_string(counts[s]);
  out += "; " + std::to_string(queue_.size()) + " queue entries\n";
  for (const auto& [id, w] : workers_) {
    std::size_t holds = 0;
    for (const auto& t : tasks_)
      holds += t.state == task_state::memory &&
               std::find(t.who_has.begin(), t.who_has.end(), id) != t.who_has.end();
    out += "  worker " + std::to_string(id) + " " + w.info.address + ": processing " +
           std::to_string(w.processing) + ", holds " + std::to_string(holds) + "\n";
  }
  std::size_t shown = 0;
  for (const auto& t : tasks_) {
    if (shown == examples) break;
    if (t.state != task_state::waiting && t.state != task_state::processing &&
        t.state != task_state::queued)
      continue;
    ++shown;
    out += "  " + t.spec.key + ": " + to_string(t.state) + " on " +
           std::to_string(t.processing_on) + ", waiting on " + std::to_string(t.waiting_on) +
           ", wanted " + std::to_string(t.wanted) + ", waiters " + std::to_string(t.waiters) +
           "; inputs:";
    std::size_t listed = 0;
    for (auto input : t.dependencies) {
      const auto& d = tasks_[input];
      if (d.state == task_state::memory && listed > 3) continue;
      if (++listed > 8) break;
      out += " " + d.spec.key + "=" + to_string(d.state);
    }
    out += "\n";
  }
  return out;
}

// -- transitions --------------------------------------------------------------------------------

std::optional<SchedulerState::task_id> SchedulerState::find_reported(const std::string& key,
                                                                    std::uint64_t ref) const {
  auto id = static_cast<task_id>(ref & 0xffffffffu);
  auto incarnation = static_cast<std::uint32_t>((ref >> 32) - 1);
  if (ref != 0 && id < tasks_.size() && tasks_[id].incarnation == incarnation &&
      tasks_[id].state != task_state::forgotten && tasks_[id].spec.key == key)
    return id;
  auto found = lookup(key);
  if (!found) return std::nullopt;
  return *found;
}

SchedulerState::task_id SchedulerState::intern(const std::string& key, bool* was_inserted) {
  const auto h = key_index::hash(key);
  auto existing = index_.find(key, h, key_of{this});
  if (was_inserted != nullptr) *was_inserted = existing == key_index::none;
  if (existing != key_index::none) return existing;
  auto id = add_record(h);
  tasks_[id].spec.key = key;
  return id;
}

SchedulerState::task_id SchedulerState::add_record(std::uint64_t h) {
  task_id id;
  if (!free_ids_.empty()) {
    // Already a default record (forget_if_unreferenced reset it), but for its incarnation.
    id = free_ids_.back();
    free_ids_.pop_back();
    tasks_[id].state = task_state::released;
  } else {
    id = static_cast<task_id>(tasks_.size());
    tasks_.emplace_back();
  }
  tasks_[id].key_hash = h;
  index_.insert(h, id);
  return id;
}

std::vector<SchedulerState::task_id> SchedulerState::lookup_all(
    const std::vector<std::string>& keys) const {
  std::vector<task_id> ids(keys.size());
  with_lookahead(
      index_, keys.size(), [&](std::size_t i) { return key_index::hash(keys[i]); },
      [&](task_id id) { return &tasks_[id].spec.key; },
      [&](std::size_t i, std::uint64_t h) { ids[i] = index_.find(keys[i], h, key_of{this}); });
  return ids;
}

std::optional<SchedulerState::task_id> SchedulerState::lookup(const std::string& key) const {
  auto id = index_.find(key, key_index::hash(key), key_of{this});
  if (id == key_index::none) return std::nullopt;
  return id;
}

void SchedulerState::want(client_id client, task_id id) {
  auto& t = task(id);
  auto entry = find_want(t, client);
  if (entry == t.who_wants.end()) t.who_wants.emplace_back(client, 1);
  else ++entry->second;
  ++t.wanted;
  switch (t.state) {
    case task_state::memory: notify_client(client, t, client_event::finished); break;
    case task_state::erred: notify_client(client, t, client_event::erred); break;
    case task_state::released: activate(id); break;
    default: break;
  }
}

// Depth-first from `root` through inputs that are released: each is marked waiting on the way
// down and made ready (or erred) on the way up, when its inputs have been seen.
void SchedulerState::activate(task_id root) {
  auto& stack = activate_stack_;
  stack.assign(1, {root, false});
  while (!stack.empty()) {
    auto [id, inputs_seen] = stack.back();
    stack.pop_back();
    auto& t = task(id);
    if (!inputs_seen) {
      if (t.state != task_state::released) continue;
      if (!t.missing_dependency.empty()) {  // can never run: err again, as when submitted
        t.state = task_state::waiting;
        mark_erred(id, missing_dependency_failure(t.spec.key, t.missing_dependency));
        continue;
      }
      if (!t.has_recipe) {
        t.state = task_state::waiting;
        mark_erred(id, {t.spec.key, "troupe::LostData",
                        "the workers holding scattered key " + t.spec.key +
                            " are gone and it has no recipe to recompute it: scatter it again",
                        ""});
        continue;
      }
      t.state = task_state::waiting;
      stack.emplace_back(id, true);
      for (auto input : t.dependencies) {
        auto& dependency = task(input);
        ++dependency.waiters;
        if (dependency.state == task_state::released) stack.emplace_back(input, false);
      }
      continue;
    }
    if (t.state != task_state::waiting) continue;
    const task_failure* failed = nullptr;
    for (auto input : t.dependencies)
      if (task(input).state == task_state::erred) failed = &task(input).failure;
    if (failed != nullptr) {
      auto failure = *failed;
      mark_erred(id, failure);
      continue;
    }
    t.waiting_on = count_inputs_not_in_memory(t);
    if (t.waiting_on == 0) make_ready(id);
  }
}

std::uint32_t SchedulerState::count_inputs_not_in_memory(const task_record& t) const {
  std::uint32_t count = 0;
  for (auto input : t.dependencies)
    if (tasks_[input].state != task_state::memory) ++count;
  return count;
}

void SchedulerState::make_ready(task_id id) {
  auto& t = task(id);
  t.state = task_state::queued;
  queue_.push({t.priority, id});
}

bool SchedulerState::has_room(const worker_record& w) const noexcept {
  return w.processing < std::max<std::size_t>(1, w.info.nthreads) * options_.tasks_per_thread;
}

void SchedulerState::dispatch_ready() {
  // Restricted tasks none of whose workers has room step aside for this pass, so that they do
  // not hold up the tasks behind them (Dask's no-worker state). Each pass looks at them again:
  // many such tasks at once make a pass cost as many steps (docs/architecture.md).
  std::vector<queued_entry> set_aside;
  while (!queue_.empty()) {
    auto entry = queue_.top();
    auto& t = task(entry.task);
    if (t.state != task_state::queued) {  // started, released or erred since it was queued
      queue_.pop();
      continue;
    }
    auto worker = choose_worker(t);
    if (worker == 0 && t.spec.workers.empty()) break;  // every worker is full: the rest wait
    queue_.pop();
    if (worker == 0) set_aside.push_back(entry);
    else start_on(entry.task, worker);
  }
  for (const auto& entry : set_aside) queue_.push(entry);
  if (options_.work_stealing) steal_for_idle_workers();
}

// Work stealing, once the scheduler's queue is empty: a worker with threads to spare takes
// half of what waits beyond the threads of the busiest worker. The victim is told to release
// the tasks; one it had already started is run twice and its late result dropped (the key is
// processing elsewhere by then), so a result is never lost, only sometimes computed twice. The
// tasks dispatched last (lowest priority) are taken: the likeliest not to have started.
void SchedulerState::steal_for_idle_workers() {
  for (auto& [thief_id, thief] : workers_) {
    const std::size_t threads = std::max(1u, thief.info.nthreads);
    if (thief.processing + thief.incoming >= threads) continue;
    worker_id victim_id = 0;
    std::size_t most_excess = 0;
    for (const auto& [id, w] : workers_) {
      const std::size_t own = std::max(1u, w.info.nthreads);
      if (id == thief_id || w.processing <= own + 1) continue;
      if (w.processing - own > most_excess) {
        most_excess = w.processing - own;
        victim_id = id;
      }
    }
    if (victim_id == 0) return;
    auto& victim = workers_[victim_id];
    std::size_t take =
        std::min(most_excess / 2 + 1, 2 * threads - thief.processing - thief.incoming);
    std::vector<task_id> candidates;
    for (auto id : victim.processing_tasks)
      if (tasks_[id].steal_to == 0 && may_run_on(tasks_[id], thief)) candidates.push_back(id);
    std::sort(candidates.begin(), candidates.end(), [&](task_id a, task_id b) {
      return tasks_[a].priority > tasks_[b].priority;  // lowest priority first
    });
    candidates.resize(std::min(take, candidates.size()));
    // Asked, not taken: the victim may have started one (a batch handed to its executors), and
    // moving it anyway ran it twice. It gives back the others (tasks_given_back).
    for (auto id : candidates) {
      auto& t = task(id);
      t.steal_to = thief_id;
      ++thief.incoming;
      outbox_.workers[victim_id].steal.push_back(t.spec.key);
    }
  }
}

void SchedulerState::tasks_given_back(worker_id worker, const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    auto id = lookup(key);
    if (!id) continue;
    auto& t = task(*id);
    if (t.state != task_state::processing || t.processing_on != worker || t.steal_to == 0) {
      drop_steal(t);
      continue;
    }
    auto thief = t.steal_to;
    drop_steal(t);
    stop_processing(*id);
    auto target = workers_.find(thief);
    if (target != workers_.end() && may_run_on(t, target->second)) {
      start_on(*id, thief);
      ++stolen_;
    } else {
      make_ready(*id);  // the thief left meanwhile: back to the queue
    }
  }
  dispatch_ready();
}

void SchedulerState::drop_steal(task_record& t) {
  if (t.steal_to == 0) return;
  if (auto thief = workers_.find(t.steal_to); thief != workers_.end() && thief->second.incoming > 0)
    --thief->second.incoming;
  t.steal_to = 0;
}

bool SchedulerState::may_run_on(const task_record& t, const worker_record& w) noexcept {
  const auto& allowed = t.spec.workers;
  return allowed.empty() ||
         std::find(allowed.begin(), allowed.end(), w.info.name) != allowed.end() ||
         std::find(allowed.begin(), allowed.end(), w.info.address) != allowed.end();
}

// Most bytes of the task's inputs already there, then the least occupied.
worker_id SchedulerState::choose_worker(const task_record& t) {
  worker_id best = 0;
  std::uint64_t best_bytes = 0;
  double best_occupancy = std::numeric_limits<double>::max();
  for (const auto& [id, w] : workers_) {
    if (!has_room(w) || !may_run_on(t, w)) continue;
    std::uint64_t bytes = 0;
    for (auto input : t.dependencies) {
      const auto& holders = tasks_[input].who_has;
      if (std::find(holders.begin(), holders.end(), id) != holders.end())
        bytes += tasks_[input].nbytes;
    }
    double occupancy =
        static_cast<double>(w.processing) / static_cast<double>(std::max(1u, w.info.nthreads));
    if (best == 0 || bytes > best_bytes || (bytes == best_bytes && occupancy < best_occupancy)) {
      best = id;
      best_bytes = bytes;
      best_occupancy = occupancy;
    }
  }
  return best;
}

void SchedulerState::start_on(task_id id, worker_id worker) {
  auto& t = task(id);
  auto& w = workers_[worker];
  t.state = task_state::processing;
  t.processing_on = worker;
  ++w.processing;
  t.processing_slot = static_cast<std::uint32_t>(w.processing_tasks.size());
  w.processing_tasks.push_back(id);
  dispatch d;
  d.spec = t.spec;
  // Reference 0 means "none", so the incarnation is stored plus one.
  d.spec.ref = (static_cast<std::uint64_t>(t.incarnation) + 1) << 32 | id;
  d.holders.reserve(t.dependencies.size());
  d.input_nbytes.reserve(t.dependencies.size());
  for (auto input : t.dependencies) {
    d.holders.push_back(tasks_[input].who_has);
    d.input_nbytes.push_back(tasks_[input].nbytes);
  }
  d.send_value = t.wanted > 0;
  outbox_.workers[worker].compute.push_back(std::move(d));
}

void SchedulerState::stop_processing(task_id id) {
  auto& t = task(id);
  drop_steal(t);
  auto found = workers_.find(t.processing_on);
  if (found != workers_.end()) {
    auto& w = found->second;
    --w.processing;
    // Swap-remove: the last entry takes this task's slot.
    auto last = w.processing_tasks.back();
    w.processing_tasks[t.processing_slot] = last;
    task(last).processing_slot = t.processing_slot;
    w.processing_tasks.pop_back();
  }
  t.processing_on = 0;
}

void SchedulerState::send_release(worker_id worker, const std::string& key) {
  if (workers_.count(worker) != 0) outbox_.workers[worker].release.push_back(key);
}

void SchedulerState::finish_dependency_use(task_id id) {
  // Safe by reference: releasing inputs never forgets `id` (it is their live dependent) and
  // never grows the task table.
  const auto& inputs = task(id).dependencies;
  for (auto input : inputs) --task(input).waiters;
  for (auto input : inputs) release_if_unneeded(input);
}

// `id` errs, and every active task downstream of it with the same failure.
void SchedulerState::mark_erred(task_id id, const task_failure& failure) {
  std::vector<task_id> work{id};
  std::vector<task_id> erred;
  while (!work.empty()) {
    auto x = work.back();
    work.pop_back();
    auto& t = task(x);
    bool active = t.state == task_state::waiting || t.state == task_state::queued ||
                  t.state == task_state::processing;
    if (!active) continue;
    if (t.state == task_state::processing) {
      send_release(t.processing_on, t.spec.key);
      stop_processing(x);
    }
    t.state = task_state::erred;
    t.failure = failure;
    for (auto input : t.dependencies) --task(input).waiters;
    notify(t, client_event::erred);
    erred.push_back(x);
    for (const auto& l : t.dependents)
      if (live(l)) work.push_back(l.id);
  }
  for (auto x : erred) {
    for (auto input : task(x).dependencies) release_if_unneeded(input);
    release_if_unneeded(x);
  }
}

void SchedulerState::release_if_unneeded(task_id id) {
  auto& work = release_work_;
  work.assign(1, id);
  while (!work.empty()) {
    auto x = work.back();
    work.pop_back();
    auto& t = task(x);
    if (t.state == task_state::forgotten || needed(t)) continue;
    switch (t.state) {
      case task_state::memory:
        for (auto w : t.who_has) send_release(w, t.spec.key);
        t.who_has.clear();
        t.state = task_state::released;
        break;
      case task_state::processing:
        send_release(t.processing_on, t.spec.key);
        stop_processing(x);
        [[fallthrough]];
      case task_state::queued:
      case task_state::waiting:
        t.state = task_state::released;
        for (auto input : t.dependencies) {
          --task(input).waiters;
          work.push_back(input);
        }
        break;
      case task_state::erred:
        // Forgotten as a failure: a later run starts afresh, with all its retries.
        t.state = task_state::released;
        t.failure = {};
        t.retries_left = t.spec.retries;
        t.deaths = 0;
        break;
      default:
        break;
    }
    forget_if_unreferenced(x);
  }
}

void SchedulerState::forget_if_unreferenced(task_id id) {
  auto& work = forget_work_;
  work.assign(1, id);
  while (!work.empty()) {
    auto x = work.back();
    work.pop_back();
    auto& t = task(x);
    if (t.state != task_state::released || needed(t) || t.live_dependents != 0) continue;
    for (auto input : t.dependencies) {
      auto& dependency = task(input);
      --dependency.live_dependents;
      // Sweep stale links once they outnumber the live ones (amortised O(1) per forget).
      if (dependency.dependents.size() > 2 * dependency.live_dependents + 8) {
        auto& links = dependency.dependents;
        links.erase(std::remove_if(links.begin(), links.end(),
                                   [&](const link& l) { return !live(l) || l.id == x; }),
                    links.end());
      }
      work.push_back(input);
    }
    index_.erase(t.key_hash, x);
    auto incarnation = t.incarnation + 1;
    t = task_record{};
    t.incarnation = incarnation;
    t.state = task_state::forgotten;
    free_ids_.push_back(x);
  }
}

void SchedulerState::lose_key(task_id id, std::vector<task_id>& to_activate) {
  auto& t = task(id);
  t.state = task_state::released;
  t.nbytes = 0;
  for (const auto& l : t.dependents) {
    if (!live(l)) continue;
    auto& dependent = task(l.id);
    if (dependent.state == task_state::waiting) {
      ++dependent.waiting_on;
    } else if (dependent.state == task_state::queued ||
               dependent.state == task_state::processing) {
      if (dependent.state == task_state::processing) {
        send_release(dependent.processing_on, dependent.spec.key);
        stop_processing(l.id);
      }
      dependent.state = task_state::waiting;
      dependent.waiting_on = 1;
    }
  }
  notify(t, client_event::lost);
  to_activate.push_back(id);
}

void SchedulerState::notify(const task_record& t, client_event::status_type status) {
  for (const auto& [client, count] : t.who_wants) notify_client(client, t, status);
}

void SchedulerState::notify_client(client_id client, const task_record& t,
                                   client_event::status_type status) {
  client_event event;
  event.key = t.spec.key;
  event.status = status;
  if (status == client_event::erred) event.failure = t.failure;
  if (status == client_event::finished) event.payload = current_payload_;
  outbox_.clients[client].push_back(std::move(event));
}

}  // namespace troupe::cluster
