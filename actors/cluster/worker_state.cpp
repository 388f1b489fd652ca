#include "actors/cluster/worker_state.hpp"

#include <algorithm>
#include <utility>

namespace troupe::cluster {

void WorkerState::add_task(task_spec spec, std::vector<std::vector<peer_id>> holders,
                           bool send_value, const std::vector<std::uint64_t>& input_nbytes) {
  const auto id = keys_.insert(spec.key);
  auto& task = keys_[id];
  if (task.task == phase::running) {
    task.released_while_running = false;  // the run under way now serves this assignment
    return;
  }
  if (task.task != phase::none) return;
  if (task.has_data) {
    task.borrowed_uses = 0;  // a fetched copy becomes this worker's own result
    already_done_.emplace_back(std::move(spec.key), task.data.nbytes());
    return;
  }
  task.function = std::move(spec.function);
  task.args = std::move(spec.args);
  task.dependencies = std::move(spec.dependencies);
  task.priority = spec.priority;
  task.order = spec.order;
  task.ref = spec.ref;
  task.send_value = send_value;
  task.missing = 0;
  for (std::size_t i = 0; i < task.dependencies.size(); ++i) {
    const auto& input = task.dependencies[i];
    if (auto found = keys_.find(input); found != keys_.none && keys_[found].has_data) {
      if (keys_[found].borrowed_uses > 0) ++keys_[found].borrowed_uses;
      continue;
    }
    ++task.missing;
    auto& fetch = fetches_[input];
    fetch.waiting.push_back(spec.key);
    if (i < input_nbytes.size()) fetch.nbytes = input_nbytes[i];
    auto given = i < holders.size() ? std::move(holders[i]) : std::vector<peer_id>{};
    std::reverse(given.begin(), given.end());
    if (!fetch.in_flight) {
      if (fetch.holders.empty()) {
        fetch.holders = std::move(given);
        to_fetch_.push_back(input);
      }
    } else if (!given.empty() &&
               std::find(given.begin(), given.end(), fetch.peer) == given.end()) {
      // The scheduler no longer names the peer being asked (it died, and this task was
      // assigned again): ask the holders it names now; a late answer is ignored.
      fetch.holders = std::move(given);
      fetch.in_flight = false;
      to_fetch_.push_back(input);
    }
  }
  set_phase(task, phase::waiting);
  if (task.missing == 0) make_ready(id);
}

std::vector<fetch_request> WorkerState::take_fetches() {
  std::map<peer_id, fetch_request> by_peer;
  for (auto& key : to_fetch_) {
    auto found = fetches_.find(key);
    if (found == fetches_.end() || found->second.in_flight) continue;
    auto& fetch = found->second;
    if (fetch.holders.empty()) {
      give_up(found);
      continue;
    }
    fetch.in_flight = true;
    fetch.peer = fetch.holders.back();
    auto& request = by_peer[fetch.peer];
    request.peer = fetch.peer;
    request.keys.push_back(key);
    request.nbytes += fetch.nbytes;
  }
  to_fetch_.clear();
  std::vector<fetch_request> requests;
  for (auto& [peer, request] : by_peer) requests.push_back(std::move(request));
  return requests;
}

void WorkerState::fetched(const std::string& key, Value value) {
  auto found = fetches_.find(key);
  if (found == fetches_.end()) return;
  auto waiting = std::move(found->second.waiting);
  fetches_.erase(found);
  std::uint32_t uses = 0;
  std::vector<key_id> now_ready;
  for (const auto& name : waiting) {
    auto id = keys_.find(name);
    if (id == keys_.none) continue;  // released meanwhile
    auto& task = keys_[id];
    if (task.task != phase::waiting && task.task != phase::ready) continue;
    ++uses;
    if (--task.missing == 0) now_ready.push_back(id);
  }
  if (uses == 0) return;
  keys_[store(key, std::move(value))].borrowed_uses = uses;
  for (auto id : now_ready) make_ready(id);
}

void WorkerState::fetch_failed(const std::string& key, peer_id peer) {
  auto found = fetches_.find(key);
  if (found == fetches_.end()) return;
  auto& fetch = found->second;
  if (!fetch.in_flight || fetch.peer != peer) return;  // stale: the fetch has moved on
  fetch.in_flight = false;
  fetch.failed.push_back(peer);
  if (!fetch.holders.empty()) fetch.holders.pop_back();
  if (!fetch.holders.empty()) {
    to_fetch_.push_back(key);
    return;
  }
  give_up(found);
}

void WorkerState::fetch_undecodable(const std::string& key, peer_id peer, const std::string& why) {
  auto found = fetches_.find(key);
  if (found == fetches_.end()) return;
  auto& fetch = found->second;
  if (!fetch.in_flight || fetch.peer != peer) return;  // stale: the fetch has moved on
  for (const auto& name : fetch.waiting) {
    auto id = keys_.find(name);
    if (id == keys_.none) continue;
    if (keys_[id].task != phase::waiting && keys_[id].task != phase::ready) continue;
    drop_task(id);
    unloadable_.push_back({name, "its input " + key + " did not decode: " + why});
  }
  fetches_.erase(found);
}

std::vector<std::pair<std::string, std::string>> WorkerState::take_unloadable() {
  return std::exchange(unloadable_, {});
}

void WorkerState::peer_lost(peer_id peer) {
  std::vector<std::string> keys;
  for (const auto& [key, fetch] : fetches_)
    if (fetch.in_flight && fetch.peer == peer) keys.push_back(key);
  for (const auto& key : keys) fetch_failed(key, peer);
}

void WorkerState::give_up(std::unordered_map<std::string, fetch_state>::iterator found) {
  auto& fetch = found->second;
  for (const auto& name : fetch.waiting) {
    auto id = keys_.find(name);
    if (id == keys_.none) continue;
    if (keys_[id].task != phase::waiting && keys_[id].task != phase::ready) continue;
    drop_task(id);
    missing_.push_back({name, found->first, fetch.failed});
  }
  fetches_.erase(found);
}

std::string WorkerState::describe(std::size_t examples) const {
  std::size_t in_flight = 0;
  for (const auto& [key, fetch] : fetches_) in_flight += fetch.in_flight ? 1 : 0;
  std::string out = std::to_string(assigned_) + " assigned (" + std::to_string(ready_count_) +
                    " ready), " + std::to_string(running_) + " running, " +
                    std::to_string(data_count_) + " keys held, " +
                    std::to_string(fetches_.size()) + " fetches (" + std::to_string(in_flight) +
                    " in flight)\n";
  std::size_t shown = 0;
  for (const auto& [key, fetch] : fetches_) {
    if (shown++ == examples) break;
    out += "    fetch " + key + (fetch.in_flight ? " in flight from peer " : " waiting, ") +
           (fetch.in_flight ? std::to_string(fetch.peer) : "") + ", " +
           std::to_string(fetch.holders.size()) + " holders left, for " +
           std::to_string(fetch.waiting.size()) + " tasks\n";
  }
  shown = 0;
  keys_.for_each([&](key_id, const std::string& key, const key_record& task) {
    if (task.task != phase::waiting && task.task != phase::ready) return;
    if (shown++ >= examples) return;
    out += "    task " + key + ": " + std::to_string(task.missing) + " inputs missing\n";
  });
  keys_.for_each([&](key_id, const std::string& key, const key_record& task) {
    if (task.task == phase::running) out += "    running " + key + "\n";
  });
  return out;
}

std::vector<missing_task> WorkerState::take_missing() {
  std::vector<missing_task> out;
  std::swap(out, missing_);
  return out;
}

std::vector<runnable_task> WorkerState::take_ready(std::size_t count) {
  std::vector<runnable_task> out;
  out.reserve(std::min(count, ready_count_));
  while (out.size() < count && !ready_.empty()) {
    auto entry = ready_.top();
    ready_.pop();
    auto& task = keys_[entry.id];
    if (task.task != phase::ready || task.rank.arrival != entry.rank.arrival) continue;  // stale
    runnable_task run;
    run.key = keys_.key(entry.id);
    run.ref = task.ref;
    run.slot = entry.id;
    run.function = task.function.function;
    run.function_name = task.function.name();
    run.send_value = task.send_value;
    std::size_t position = 0;
    bool complete = true;
    run.args.reserve(task.args.size());
    while (complete && position < task.args.size()) {
      Value arg;
      complete = resolve(task.args, position, arg);
      run.args.push_back(std::move(arg));
    }
    if (!complete) {  // an input went missing: the scheduler assigns it again
      drop_task(entry.id);
      missing_.push_back({std::move(run.key), {}, {}});
      continue;
    }
    set_phase(task, phase::running);
    task.function = {};  // a running task needs only its dependencies (drop_input_uses)
    task.args = {};
    out.push_back(std::move(run));
  }
  return out;
}

std::vector<std::pair<std::string, std::uint64_t>> WorkerState::take_already_done() {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  std::swap(out, already_done_);
  return out;
}

WorkerState::key_id WorkerState::stop_running(const std::string& key, std::uint32_t slot) {
  auto id = keys_.find(key, slot);
  if (id == keys_.none || keys_[id].task != phase::running) return keys_.none;
  auto& task = keys_[id];
  drop_input_uses(task);
  set_phase(task, phase::none);
  task.dependencies = {};
  return id;
}

bool WorkerState::finish(const std::string& key, Value result, std::uint32_t slot) {
  auto id = stop_running(key, slot);
  if (id == keys_.none) return false;
  auto& task = keys_[id];
  if (std::exchange(task.released_while_running, false)) {
    forget_if_empty(id);
    return false;
  }
  if (!task.has_data) {
    task.has_data = true;
    task.data = std::move(result);
    nbytes_ += task.data.nbytes();
    ++data_count_;
  }
  return true;
}

bool WorkerState::fail(const std::string& key, std::uint32_t slot) {
  auto id = stop_running(key, slot);
  if (id == keys_.none) return false;
  const bool released = std::exchange(keys_[id].released_while_running, false);
  forget_if_empty(id);
  return !released;
}

void WorkerState::release(const std::string& key) {
  if (auto id = keys_.find(key); id != keys_.none) release(id);
}

void WorkerState::release(const std::vector<std::string>& keys) {
  keys_.find_each(
      keys.size(), [&](std::size_t i) -> const std::string& { return keys[i]; },
      [&](std::size_t, key_id id) {
        if (id != keys_.none) release(id);
      });
}

void WorkerState::release(key_id id) {
  auto& record = keys_[id];
  if (record.task == phase::running) {
    record.released_while_running = true;
    return;
  }
  if (record.task != phase::none) {
    drop_task(id);
    return;
  }
  if (record.borrowed_uses > 0 || !record.has_data) return;  // a local task needs this copy
  nbytes_ -= record.data.nbytes();
  --data_count_;
  keys_.erase(id);
}

bool WorkerState::give_back(const std::string& key) {
  auto id = keys_.find(key);
  if (id == keys_.none) return false;
  if (keys_[id].task != phase::waiting && keys_[id].task != phase::ready) return false;
  drop_task(id);
  return true;
}

void WorkerState::put(const std::string& key, Value value) {
  if (auto id = keys_.find(key); id != keys_.none) keys_[id].borrowed_uses = 0;
  store(key, std::move(value));
}

const Value* WorkerState::find(const std::string& key) const {
  auto id = keys_.find(key);
  return id == keys_.none || !keys_[id].has_data ? nullptr : &keys_[id].data;
}

// Keeps the first value stored for a key.
WorkerState::key_id WorkerState::store(const std::string& key, Value value) {
  const auto id = keys_.insert(key);
  auto& record = keys_[id];
  if (record.has_data) return id;
  record.has_data = true;
  record.data = std::move(value);
  nbytes_ += record.data.nbytes();
  ++data_count_;
  return id;
}

void WorkerState::set_phase(key_record& record, phase to) noexcept {
  auto count = [&](phase p, int by) {
    if (p == phase::waiting || p == phase::ready) assigned_ += by;
    if (p == phase::ready) ready_count_ += by;
    if (p == phase::running) running_ += by;
  };
  count(record.task, -1);
  count(to, +1);
  record.task = to;
}

void WorkerState::drop_task(key_id id) {
  auto& task = keys_[id];
  drop_input_uses(task);
  set_phase(task, phase::none);
  task.function = {};
  task.args = {};
  task.dependencies = {};
  if (ready_count_ == 0) ready_ = {};  // only stale entries are left
  forget_if_empty(id);
}

void WorkerState::forget_if_empty(key_id id) {
  const auto& record = keys_[id];
  if (!record.has_data && record.task == phase::none) keys_.erase(id);
}

void WorkerState::make_ready(key_id id) {
  auto& task = keys_[id];
  task.rank = {-task.priority, task.order, arrivals_++};
  set_phase(task, phase::ready);
  ready_.push({task.rank, id});
}

bool WorkerState::resolve(const std::vector<wire_arg>& args, std::size_t& position,
                          Value& out) const {
  if (position >= args.size()) return false;  // a list claims more items than there are
  const auto& arg = args[position++];
  switch (arg.kind) {
    case wire_arg::ref: {
      const auto* found = find(arg.key);
      if (found == nullptr) return false;
      out = *found;
      return true;
    }
    case wire_arg::list: {
      std::vector<Value> items;
      items.reserve(std::min<std::size_t>(arg.items, args.size()));
      for (std::uint32_t i = 0; i < arg.items; ++i) {
        Value item;
        if (!resolve(args, position, item)) return false;
        items.push_back(std::move(item));
      }
      out = Value(std::move(items));
      return true;
    }
    default:
      out = arg.value.value;
      return true;
  }
}

// A task no longer needs its inputs: fetched copies nobody else here needs are dropped.
void WorkerState::drop_input_uses(const key_record& task) {
  for (const auto& input : task.dependencies) {
    auto id = keys_.find(input);
    if (id == keys_.none) continue;
    auto& record = keys_[id];
    if (record.borrowed_uses == 0 || --record.borrowed_uses > 0) continue;
    if (record.has_data) {
      nbytes_ -= record.data.nbytes();
      --data_count_;
      record.has_data = false;
      record.data = Value();
    }
    forget_if_empty(id);
  }
}

}  // namespace troupe::cluster
