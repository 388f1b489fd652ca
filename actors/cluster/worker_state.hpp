#pragma once
// WorkerState: a cluster worker's decisions, free of I/O as SchedulerState is. It owns the
// worker's data by key, tracks which inputs of its tasks are missing and from which peers to
// fetch them, and hands out ready tasks in priority order. The worker actor moves the bytes
// and runs the tasks; peers are small numbers the actor maps to its actor handles.

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/cluster/spec.hpp"

namespace troupe::cluster {

using peer_id = std::uint32_t;

/// A task whose inputs are all here, with its arguments resolved.
struct runnable_task {
  std::string key;
  function_ref function;
  std::string function_name;  ///< for the error when `function` is unknown here
  std::vector<Value> args;
  bool send_value = false;
  std::uint64_t ref = 0;  ///< the scheduler's reference, sent back with the result
};

/// A task given back because an input could not be fetched: the input, and the peers that were
/// asked for it and failed (no answer, or no such key), so the scheduler stops naming them.
struct missing_task {
  std::string key;
  std::string input;
  std::vector<peer_id> failed_holders;
};

struct fetch_request {
  peer_id peer;
  std::vector<std::string> keys;
  std::uint64_t nbytes = 0;  ///< their sizes as the scheduler knows them
};

class WorkerState {
 public:
  /// The scheduler assigns a task; holders[i] are the peers holding its i-th dependency.
  void add_task(task_spec spec, std::vector<std::vector<peer_id>> holders, bool send_value,
                const std::vector<std::uint64_t>& input_nbytes = {});
  /// Fetches to start now, grouped by peer (at most one in flight per key).
  std::vector<fetch_request> take_fetches();
  void fetched(const std::string& key, Value value);
  /// The peer could not give the key: the next holder is tried, and when none is left the
  /// tasks that needed it are dropped and listed by take_missing().
  void fetch_failed(const std::string& key, peer_id peer);
  /// The peer sent the key's value but it did not decode (`why`): the tasks waiting on it
  /// fail with that (see take_unloadable) instead of fetching it again, which would get the
  /// same bytes, or having it recomputed, which would make them again.
  void fetch_undecodable(const std::string& key, peer_id peer, const std::string& why);
  /// Tasks whose input did not decode, and why, since the last call.
  std::vector<std::pair<std::string, std::string>> take_unloadable();
  /// The peer is gone: every fetch from it fails at once (the next holder is tried).
  void peer_lost(peer_id peer);
  std::vector<missing_task> take_missing();

  /// Up to `count` ready tasks, highest priority first; they count as running.
  std::vector<runnable_task> take_ready(std::size_t count);
  /// Assigned keys that were already here (a fetched copy, or a result kept): done at once,
  /// with their nbytes, to report as finished.
  std::vector<std::pair<std::string, std::uint64_t>> take_already_done();
  std::size_t ready_count() const noexcept { return ready_.size(); }
  /// Tasks assigned and not yet running (waiting for inputs, or ready).
  std::size_t assigned_count() const noexcept { return waiting_.size(); }
  std::size_t running_count() const noexcept { return running_.size(); }

  /// A running task is done. Returns false when it was released while it ran (drop it).
  bool finish(const std::string& key, Value result);
  bool fail(const std::string& key);

  /// The scheduler no longer needs the key here: its data, or the task if not yet running.
  void release(const std::string& key);
  /// A steal: drops the task and returns true when it has not started (waiting or ready);
  /// false when it runs, is done, or is not here.
  bool give_back(const std::string& key);

  /// Data put here by a client (scatter).
  void put(const std::string& key, Value value);
  const Value* find(const std::string& key) const;
  std::size_t data_count() const noexcept { return data_.size(); }
  /// A readable account: tasks waiting (with their missing inputs), ready and running, and
  /// the fetches in flight.
  std::string describe(std::size_t examples = 5) const;
  std::uint64_t data_nbytes() const noexcept { return nbytes_; }

 private:
  struct waiting_task {
    task_spec spec;
    bool send_value = false;
    std::uint32_t missing = 0;
  };
  struct fetch_state {
    std::vector<peer_id> holders;  ///< still to try, the next last (the one asked included)
    std::vector<peer_id> failed;   ///< asked, and gave nothing
    bool in_flight = false;
    peer_id peer = 0;  ///< the holder asked, while in flight
    std::uint64_t nbytes = 0;
    std::vector<std::string> waiting;  ///< tasks that need it
  };
  struct ready_entry {
    std::int64_t user;  ///< negated user priority
    std::uint64_t order;
    std::uint64_t arrival;
    bool operator<(const ready_entry& o) const noexcept {
      if (user != o.user) return user < o.user;
      if (order != o.order) return order < o.order;
      return arrival < o.arrival;
    }
  };

  void store(const std::string& key, Value value, bool owned);
  /// No holder is left for a fetch: the tasks that needed it go back to the scheduler.
  void give_up(std::unordered_map<std::string, fetch_state>::iterator fetch);
  std::vector<std::pair<std::string, std::string>> unloadable_;
  void make_ready(const std::string& key);
  /// The argument at `position` (advanced past it); false when a referenced key is not here.
  bool resolve(const std::vector<wire_arg>& args, std::size_t& position, Value& out) const;
  void drop_input_uses(const task_spec& spec);

  std::unordered_map<std::string, Value> data_;
  std::unordered_map<std::string, std::uint32_t> borrowed_uses_;  ///< fetched inputs: tasks left
  std::uint64_t nbytes_ = 0;
  std::unordered_map<std::string, waiting_task> waiting_;
  std::map<ready_entry, std::string> ready_;
  std::unordered_map<std::string, ready_entry> ready_index_;  ///< to take a released task out
  std::unordered_map<std::string, task_spec> running_;
  std::set<std::string> released_while_running_;
  std::unordered_map<std::string, fetch_state> fetches_;
  std::vector<std::string> to_fetch_;
  std::vector<missing_task> missing_;
  std::vector<std::pair<std::string, std::uint64_t>> already_done_;
  std::uint64_t arrivals_ = 0;
};

}  // namespace troupe::cluster
