#include "actors/cluster/worker_state.hpp"

#include <algorithm>
#include <utility>

namespace troupe::cluster {

void WorkerState::add_task(task_spec spec, std::vector<std::vector<peer_id>> holders,
                           bool send_value, const std::vector<std::uint64_t>& input_nbytes) {
  const auto& key = spec.key;
  if (running_.count(key) != 0) {
    released_while_running_.erase(key);  // the run under way now serves this assignment
    return;
  }
  if (waiting_.count(key) != 0) return;
  if (auto held = data_.find(key); held != data_.end()) {
    borrowed_uses_.erase(key);  // a fetched copy becomes this worker's own result
    already_done_.emplace_back(key, held->second.nbytes());
    return;
  }
  waiting_task task{std::move(spec), send_value, 0};
  for (std::size_t i = 0; i < task.spec.dependencies.size(); ++i) {
    const auto& input = task.spec.dependencies[i];
    auto found = data_.find(input);
    auto borrowed = borrowed_uses_.find(input);
    if (found != data_.end()) {
      if (borrowed != borrowed_uses_.end()) ++borrowed->second;
      continue;
    }
    ++task.missing;
    auto& fetch = fetches_[input];
    fetch.waiting.push_back(task.spec.key);
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
  auto name = task.spec.key;
  bool ready = task.missing == 0;
  waiting_.emplace(name, std::move(task));
  if (ready) make_ready(name);
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
  std::vector<std::string> now_ready;
  for (const auto& name : waiting) {
    auto task = waiting_.find(name);
    if (task == waiting_.end()) continue;  // released meanwhile
    ++uses;
    if (--task->second.missing == 0) now_ready.push_back(name);
  }
  if (uses == 0) return;
  store(key, std::move(value), false);
  borrowed_uses_[key] = uses;
  for (const auto& name : now_ready) make_ready(name);
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
    auto task = waiting_.find(name);
    if (task == waiting_.end()) continue;
    drop_input_uses(task->second.spec);
    waiting_.erase(task);
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
    auto task = waiting_.find(name);
    if (task == waiting_.end()) continue;
    drop_input_uses(task->second.spec);
    waiting_.erase(task);
    missing_.push_back({name, found->first, fetch.failed});
  }
  fetches_.erase(found);
}

std::string WorkerState::describe(std::size_t examples) const {
  std::size_t in_flight = 0;
  for (const auto& [key, fetch] : fetches_) in_flight += fetch.in_flight ? 1 : 0;
  std::string out = std::to_string(waiting_.size()) + " assigned (" +
                    std::to_string(ready_.size()) + " ready), " +
                    std::to_string(running_.size()) + " running, " +
                    std::to_string(data_.size()) + " keys held, " +
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
  for (const auto& [key, task] : waiting_) {
    if (shown++ == examples) break;
    out += "    task " + key + ": " + std::to_string(task.missing) + " inputs missing\n";
  }
  for (const auto& [key, spec] : running_) out += "    running " + key + "\n";
  return out;
}

std::vector<missing_task> WorkerState::take_missing() {
  std::vector<missing_task> out;
  std::swap(out, missing_);
  return out;
}

std::vector<runnable_task> WorkerState::take_ready(std::size_t count) {
  std::vector<runnable_task> out;
  while (out.size() < count && !ready_.empty()) {
    auto entry = ready_.begin();
    auto key = std::move(entry->second);
    ready_.erase(entry);
    ready_index_.erase(key);
    auto found = waiting_.find(key);
    if (found == waiting_.end()) continue;
    auto& spec = found->second.spec;
    runnable_task task;
    task.key = key;
    task.ref = spec.ref;
    task.function = spec.function.function;
    task.function_name = spec.function.name();
    task.send_value = found->second.send_value;
    std::size_t position = 0;
    bool complete = true;
    while (complete && position < spec.args.size()) {
      Value arg;
      complete = resolve(spec.args, position, arg);
      task.args.push_back(std::move(arg));
    }
    if (!complete) {  // an input went missing: the scheduler assigns it again
      drop_input_uses(spec);
      waiting_.erase(found);
      missing_.push_back({key, {}, {}});
      continue;
    }
    running_.emplace(key, std::move(spec));
    waiting_.erase(found);
    out.push_back(std::move(task));
  }
  return out;
}

std::vector<std::pair<std::string, std::uint64_t>> WorkerState::take_already_done() {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  std::swap(out, already_done_);
  return out;
}

bool WorkerState::finish(const std::string& key, Value result) {
  auto found = running_.find(key);
  if (found == running_.end()) return false;
  drop_input_uses(found->second);
  running_.erase(found);
  if (released_while_running_.erase(key) != 0) return false;
  store(key, std::move(result), true);
  return true;
}

bool WorkerState::fail(const std::string& key) {
  auto found = running_.find(key);
  if (found == running_.end()) return false;
  drop_input_uses(found->second);
  running_.erase(found);
  return released_while_running_.erase(key) == 0;
}

void WorkerState::release(const std::string& key) {
  if (running_.count(key) != 0) {
    released_while_running_.insert(key);
    return;
  }
  auto task = waiting_.find(key);
  if (task != waiting_.end()) {
    drop_input_uses(task->second.spec);
    waiting_.erase(task);
    if (auto entry = ready_index_.find(key); entry != ready_index_.end()) {
      ready_.erase(entry->second);
      ready_index_.erase(entry);
    }
    return;
  }
  if (borrowed_uses_.count(key) != 0) return;  // a local task still needs this copy
  auto found = data_.find(key);
  if (found == data_.end()) return;
  nbytes_ -= found->second.nbytes();
  data_.erase(found);
}

bool WorkerState::give_back(const std::string& key) {
  if (running_.count(key) != 0 || waiting_.count(key) == 0) return false;
  release(key);
  return true;
}

void WorkerState::put(const std::string& key, Value value) {
  borrowed_uses_.erase(key);
  store(key, std::move(value), true);
}

const Value* WorkerState::find(const std::string& key) const {
  auto found = data_.find(key);
  return found == data_.end() ? nullptr : &found->second;
}

void WorkerState::store(const std::string& key, Value value, bool) {
  auto [it, inserted] = data_.try_emplace(key, std::move(value));
  if (inserted) nbytes_ += it->second.nbytes();
}

void WorkerState::make_ready(const std::string& key) {
  auto& spec = waiting_.at(key).spec;
  ready_entry entry{-spec.priority, spec.order, arrivals_++};
  ready_.emplace(entry, key);
  ready_index_.emplace(key, std::move(entry));
}

bool WorkerState::resolve(const std::vector<wire_arg>& args, std::size_t& position,
                          Value& out) const {
  if (position >= args.size()) return false;  // a list claims more items than there are
  const auto& arg = args[position++];
  switch (arg.kind) {
    case wire_arg::ref: {
      auto found = data_.find(arg.key);
      if (found == data_.end()) return false;
      out = found->second;
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
void WorkerState::drop_input_uses(const task_spec& spec) {
  for (const auto& input : spec.dependencies) {
    auto borrowed = borrowed_uses_.find(input);
    if (borrowed == borrowed_uses_.end()) continue;
    if (--borrowed->second > 0) continue;
    borrowed_uses_.erase(borrowed);
    auto found = data_.find(input);
    if (found != data_.end()) {
      nbytes_ -= found->second.nbytes();
      data_.erase(found);
    }
  }
}

}  // namespace troupe::cluster
