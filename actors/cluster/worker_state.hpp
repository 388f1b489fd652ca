#pragma once
// WorkerState: a cluster worker's decisions, free of I/O as SchedulerState is. It owns the
// worker's data by key, tracks which inputs of its tasks are missing and from which peers to
// fetch them, and hands out ready tasks in priority order. The worker actor moves the bytes
// and runs the tasks; peers are small numbers the actor maps to its actor handles.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/cluster/key_table.hpp"
#include "actors/cluster/priority_fifo.hpp"
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
  std::uint32_t slot = ~std::uint32_t{0};  ///< the worker's own id of the key (finish's hint)
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
  std::size_t ready_count() const noexcept { return ready_count_; }
  /// Tasks assigned and not yet running (waiting for inputs, or ready).
  std::size_t assigned_count() const noexcept { return assigned_; }
  std::size_t running_count() const noexcept { return running_; }

  /// A running task is done. Returns false when it was released while it ran (drop it).
  /// `slot` is its runnable_task's: a hint that spares the lookup of the key.
  bool finish(const std::string& key, Value result, std::uint32_t slot = ~std::uint32_t{0});
  bool fail(const std::string& key, std::uint32_t slot = ~std::uint32_t{0});

  /// The scheduler no longer needs the key here: its data, or the task if not yet running.
  void release(const std::string& key);
  /// release() of each key in turn, loading later keys' records ahead (at 100,000 keys each is
  /// a cache miss or two).
  void release(const std::vector<std::string>& keys);
  /// A hint for a loop of calls about many keys (assignments): starts loading where a lookup
  /// of `key` begins. Changes nothing.
  void prefetch(const std::string& key) const noexcept { keys_.prefetch(key); }
  /// A steal: drops the task and returns true when it has not started (waiting or ready);
  /// false when it runs, is done, or is not here.
  bool give_back(const std::string& key);

  /// Data put here by a client (scatter).
  void put(const std::string& key, Value value);
  const Value* find(const std::string& key) const;
  std::size_t data_count() const noexcept { return data_count_; }
  /// A readable account: tasks waiting (with their missing inputs), ready and running, and
  /// the fetches in flight.
  std::string describe(std::size_t examples = 5) const;
  std::uint64_t data_nbytes() const noexcept { return nbytes_; }

 private:
  enum class phase : std::uint8_t { none, waiting, ready, running };
  /// A ready task's place in the queue: higher user priority, then lower order, then earlier.
  struct ready_rank {
    std::int64_t user;  ///< negated user priority
    std::uint64_t order;
    std::uint64_t arrival;  ///< unique: tells a queue entry from a stale one (see ready_)
    bool operator>(const ready_rank& o) const noexcept {
      if (user != o.user) return user > o.user;
      if (order != o.order) return order > o.order;
      return arrival > o.arrival;
    }
  };
  /// Everything the worker knows of one key: its value, and its task while assigned here.
  struct key_record {
    Value data;
    bool has_data = false;
    std::uint32_t borrowed_uses = 0;  ///< a fetched copy: local tasks still needing it (0: own)
    phase task = phase::none;
    bool released_while_running = false;
    bool send_value = false;
    std::uint32_t missing = 0;  ///< inputs not here yet (while waiting)
    ready_rank rank{};          ///< set when it becomes ready
    // The task's spec, but for its key (the table's).
    wire_function function;
    std::vector<wire_arg> args;
    std::vector<std::string> dependencies;
    std::int64_t priority = 0;
    std::uint64_t order = 0;
    std::uint64_t ref = 0;
  };
  using key_id = key_table<key_record>::id_type;
  struct ready_entry {
    ready_rank rank;
    key_id id;
    bool operator>(const ready_entry& o) const noexcept { return rank > o.rank; }
  };
  struct fetch_state {
    std::vector<peer_id> holders;  ///< still to try, the next last (the one asked included)
    std::vector<peer_id> failed;   ///< asked, and gave nothing
    bool in_flight = false;
    peer_id peer = 0;  ///< the holder asked, while in flight
    std::uint64_t nbytes = 0;
    std::vector<std::string> waiting;  ///< tasks that need it
  };

  /// Keeps `value` as the key's data unless it has some; returns the key's id.
  key_id store(const std::string& key, Value value);
  /// The record's task moves to `to`, keeping the counts of each phase.
  void set_phase(key_record& record, phase to) noexcept;
  /// The task (waiting or ready) is dropped: its inputs' uses, its spec, and the key itself
  /// when nothing else is kept for it.
  void drop_task(key_id id);
  /// Forgets the key when it holds neither data nor a task.
  void forget_if_empty(key_id id);
  /// The task of `key` running here leaves the running phase, its inputs' uses dropped; its
  /// record's id, or none when no such task runs.
  key_id stop_running(const std::string& key, std::uint32_t slot);
  void release(key_id id);
  /// No holder is left for a fetch: the tasks that needed it go back to the scheduler.
  void give_up(std::unordered_map<std::string, fetch_state>::iterator fetch);
  void make_ready(key_id id);
  /// The argument at `position` (advanced past it); false when a referenced key is not here.
  bool resolve(const std::vector<wire_arg>& args, std::size_t& position, Value& out) const;
  void drop_input_uses(const key_record& task);

  /// Data and tasks by key.
  key_table<key_record> keys_;
  std::size_t data_count_ = 0;
  std::uint64_t nbytes_ = 0;
  std::size_t assigned_ = 0;  ///< tasks waiting or ready
  std::size_t ready_count_ = 0;
  std::size_t running_ = 0;
  /// Ready tasks, best first. A task dropped while ready leaves its entry behind: an entry
  /// whose record is not ready with the same arrival is stale and skipped.
  priority_fifo<ready_entry> ready_;
  std::unordered_map<std::string, fetch_state> fetches_;
  std::vector<std::string> to_fetch_;
  std::vector<missing_task> missing_;
  std::vector<std::pair<std::string, std::string>> unloadable_;
  std::vector<std::pair<std::string, std::uint64_t>> already_done_;
  std::uint64_t arrivals_ = 0;
};

}  // namespace troupe::cluster
