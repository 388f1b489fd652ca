#pragma once
// SchedulerState: the cluster scheduler's decisions, as in dask.distributed's scheduler, with
// no I/O, threads or clocks inside. The scheduler actor turns messages into calls here and
// sends what take_outbox() returns; tests drive it by hand.
//
// One task table for every graph of every client, keyed by interned keys (dense ids inside):
// the same key submitted twice is one task, computed once and kept while anyone wants it.
//
//   released --(wanted, or needed by a wanted task)--> waiting --(inputs in memory)--> queued
//   queued --(a worker has room)--> processing --> memory | erred
//   memory/waiting/... --(nobody wants it, no dependent waits on it)--> released --> forgotten
//
// A task is needed while a client wants it (`who_wants`) or an active dependent waits on it
// (`waiters`). A key held only by a worker that dies goes back to released and, when still
// needed, is recomputed from its recipe; a task running on it is rerun elsewhere, and marked
// erred (KilledWorker) after `allowed_failures` such deaths.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/detail/key_index.hpp"
#include "actors/cluster/priority_fifo.hpp"
#include "actors/cluster/spec.hpp"

namespace troupe::cluster {

using detail::key_index;
using detail::with_lookahead;

enum class task_state : std::uint8_t {
  released,
  waiting,
  queued,
  processing,
  memory,
  erred,
  forgotten,  ///< not in the table (state_of's answer for an unknown key)
};

const char* to_string(task_state state) noexcept;

/// What a client hears about a key it wants.
struct client_event {
  enum status_type : std::uint8_t { finished, erred, cancelled, lost };
  std::string key;
  status_type status = finished;
  task_failure failure;  ///< for erred
  /// For finished: the `payload` given to the task_finished call that made it, -1 otherwise
  /// (the actor attaches the inline result it received with that report).
  std::int64_t payload = -1;
};

/// Run a task on a worker; `holders` lists, per dependency, the workers that hold it.
struct dispatch {
  task_spec spec;
  std::vector<std::vector<worker_id>> holders;
  std::vector<std::uint64_t> input_nbytes;  ///< per dependency (sizes the fetch timeout)
  bool send_value = false;  ///< a client wants the result: send it inline when small
};

struct worker_commands {
  std::vector<dispatch> compute;
  std::vector<std::string> release;
  /// Give these tasks back if they have not started (a steal; the worker answers with the
  /// ones it gave back, and a task that had started stays where it runs).
  std::vector<std::string> steal;
};

/// What the scheduler must send after a call: per worker and per client.
struct outbox {
  std::unordered_map<worker_id, worker_commands> workers;
  std::unordered_map<client_id, std::vector<client_event>> clients;
  bool empty() const noexcept { return workers.empty() && clients.empty(); }
};

struct scheduler_options {
  /// Tasks handed to a worker ahead of its threads: enough to cover a round trip and a batch
  /// at microsecond task times (256 gave 160k tasks/s on futures_map_100k here, 1024 200k);
  /// the rest wait in the scheduler (root-task queuing).
  std::size_t tasks_per_thread = 1024;
  /// Worker deaths while running a task before it is erred as KilledWorker (Dask's default).
  std::size_t allowed_failures = 3;
  /// Move tasks waiting on a busy worker to idle ones (newly joined, or done early).
  bool work_stealing = true;
};

class SchedulerState {
 public:
  explicit SchedulerState(scheduler_options options = {});

  // -- clients --------------------------------------------------------------------------------
  client_id add_client(std::string name);
  /// Everything the client wanted is released.
  void remove_client(client_id client);
  /// Adds tasks (a key already known keeps its task) and wants `wanted` once each. A task
  /// whose dependency is not known errs, naming it.
  void update_graph(client_id client, std::vector<task_spec> tasks,
                    const std::vector<std::string>& wanted);
  void release_keys(client_id client, const std::vector<std::string>& keys);
  /// The client stops wanting the keys at all; it hears `cancelled` for each.
  void cancel_keys(client_id client, const std::vector<std::string>& keys);
  /// Erred keys (and the erred tasks they depend on) run again.
  void retry_keys(client_id client, const std::vector<std::string>& keys);
  /// The client put a value on workers itself (scatter); it wants the key once.
  void data_placed(client_id client, const std::string& key, std::uint64_t nbytes,
                   const std::vector<worker_id>& holders);

  // -- workers --------------------------------------------------------------------------------
  worker_id add_worker(worker_info info);
  /// The worker is gone: what it ran goes elsewhere, what only it held is recomputed.
  void remove_worker(worker_id worker);
  /// `ref` is the dispatch's task_spec::ref (0 if unknown): it spares a lookup by key.
  void task_finished(worker_id worker, const std::string& key, std::uint64_t nbytes,
                     std::uint64_t ref = 0, std::int64_t payload = -1);
  void task_failed(worker_id worker, task_failure failure);
  /// The worker gave these tasks back on a steal request: they run on the worker that asked.
  void tasks_given_back(worker_id worker, const std::vector<std::string>& keys);
  /// The worker has nothing assigned although tasks count as processing there: they were lost
  /// on the way and run again. Returns how many.
  std::size_t worker_idle(worker_id worker);
  /// The worker could not fetch `input` of `key` from any holder: `failed_holders` (and the
  /// worker itself) no longer count as holding it, so with none left it is computed again;
  /// `key` runs again once its inputs are there.
  void task_missing(worker_id worker, const std::string& key, const std::string& input = {},
                    const std::vector<worker_id>& failed_holders = {});

  // -- what to send ---------------------------------------------------------------------------
  outbox take_outbox();

  // -- inspection -----------------------------------------------------------------------------
  task_state state_of(const std::string& key) const;
  std::vector<worker_id> who_has(const std::string& key) const;
  /// The size of a key's value as reported (0 when unknown or not in memory).
  std::uint64_t nbytes_of(const std::string& key) const;
  std::size_t wanted_count(const std::string& key) const;
  std::size_t task_count() const noexcept { return index_.size(); }
  std::size_t processing_count(worker_id worker) const;
  /// Tasks moved from one worker to another by work stealing, so far.
  std::size_t stolen_count() const noexcept { return stolen_; }
  std::vector<worker_id> workers() const;
  const worker_info* info_of(worker_id worker) const;
  /// A readable account of the state: tasks per state, what each worker runs, and up to
  /// `examples` tasks that are not done with their inputs (for `kill -USR1` on a scheduler).
  std::string describe(std::size_t examples = 10) const;

 private:
  using task_id = std::uint32_t;

  struct priority_key {
    std::int64_t user;  ///< negated user priority: lower first
    std::uint64_t generation;
    std::uint64_t order;
    bool operator>(const priority_key& other) const noexcept {
      if (user != other.user) return user > other.user;
      if (generation != other.generation) return generation > other.generation;
      return order > other.order;
    }
  };

  /// A dependent, named by id and incarnation: forgetting a task does not search its inputs'
  /// dependents (a value used by 100,000 tasks would make that quadratic); stale links are
  /// skipped and swept out when they outnumber the live ones.
  struct link {
    task_id id;
    std::uint32_t incarnation;
  };

  struct task_record {
    task_spec spec;
    std::uint64_t key_hash = 0;  ///< key_index::hash(spec.key)
    bool has_recipe = false;  ///< false for data a client placed (scatter)
    std::string missing_dependency;  ///< a dependency key unknown when it was submitted
    task_state state = task_state::released;
    std::uint32_t incarnation = 0;  ///< bumped when the id is freed: stale links see it
    std::vector<task_id> dependencies;
    std::vector<link> dependents;   ///< may hold links to forgotten tasks (see live())
    std::uint32_t live_dependents = 0;
    std::uint32_t waiting_on = 0;  ///< inputs not in memory (while waiting)
    std::uint32_t waiters = 0;     ///< active dependents that still need this
    std::uint32_t wanted = 0;      ///< sum of who_wants
    std::vector<std::pair<client_id, std::uint32_t>> who_wants;
    std::vector<worker_id> who_has;
    worker_id processing_on = 0;
    std::uint32_t processing_slot = 0;  ///< its place in the worker's processing_tasks
    worker_id steal_to = 0;  ///< asked back from processing_on for this worker (0: not)
    std::uint64_t nbytes = 0;
    std::uint32_t retries_left = 0;
    std::uint32_t deaths = 0;  ///< workers that died running it
    priority_key priority{};
    task_failure failure;
  };

  struct worker_record {
    worker_info info;
    std::size_t processing = 0;
    std::size_t incoming = 0;  ///< tasks asked back from other workers for this one
    std::vector<task_id> processing_tasks;  ///< unordered; task_record::processing_slot indexes it
  };

  struct queued_entry {
    priority_key priority;
    task_id task;
    bool operator>(const queued_entry& other) const noexcept { return priority > other.priority; }
  };

  task_record& task(task_id id) { return tasks_[id]; }
  /// The id of `key`, made when new (`inserted` says which).
  task_id intern(const std::string& key, bool* inserted = nullptr);
  /// A new record (released, no spec yet) for a key of hash `h`, in the index.
  task_id add_record(std::uint64_t h);
  std::optional<task_id> lookup(const std::string& key) const;
  /// The ids of many keys (key_index::none for an unknown one), loaded ahead (with_lookahead).
  std::vector<task_id> lookup_all(const std::vector<std::string>& keys) const;
  /// The task a worker's report names: by the reference it was dispatched with when that is
  /// still the same task, else by key; nullopt when unknown.
  std::optional<task_id> find_reported(const std::string& key, std::uint64_t ref) const;
  bool needed(const task_record& t) const noexcept { return t.wanted > 0 || t.waiters > 0; }

  void want(client_id client, task_id id);
  /// The client's entry in t.who_wants, or its end().
  static std::vector<std::pair<client_id, std::uint32_t>>::iterator find_want(task_record& t,
                                                                              client_id client);
  void activate(task_id root);
  void make_ready(task_id id);
  void dispatch_ready();
  void steal_for_idle_workers();
  worker_id choose_worker(const task_record& t);
  /// The task's worker restrictions (task_spec::workers) allow `w`.
  static bool may_run_on(const task_record& t, const worker_record& w) noexcept;
  void start_on(task_id id, worker_id worker);
  void stop_processing(task_id id);
  /// The task's steal request is answered or moot: the thief stops counting it.
  void drop_steal(task_record& t);
  void finish_dependency_use(task_id id);
  void mark_erred(task_id id, const task_failure& failure);
  void release_if_unneeded(task_id id);
  void forget_if_unreferenced(task_id id);
  void lose_key(task_id id, std::vector<task_id>& to_activate);
  void notify(const task_record& t, client_event::status_type status);
  void notify_client(client_id client, const task_record& t, client_event::status_type status);
  void send_release(worker_id worker, const std::string& key);
  bool live(const link& l) const noexcept { return tasks_[l.id].incarnation == l.incarnation; }
  std::uint32_t count_inputs_not_in_memory(const task_record& t) const;
  bool has_room(const worker_record& w) const noexcept;

  scheduler_options options_;
  std::vector<task_record> tasks_;
  std::vector<task_id> free_ids_;
  key_index index_;
  /// The key of a task id, for index_ to compare against.
  struct key_of {
    const SchedulerState* state;
    std::string_view operator()(task_id id) const noexcept { return state->tasks_[id].spec.key; }
  };
  std::map<worker_id, worker_record> workers_;  ///< ordered: choices do not depend on hashing
  std::set<client_id> clients_;
  priority_fifo<queued_entry> queue_;
  std::uint64_t next_client_ = 1;
  std::uint64_t next_worker_ = 1;
  std::uint64_t generation_ = 0;
  std::size_t stolen_ = 0;
  outbox outbox_;
  // Work lists reused across calls (a call per finished task allocated three). Each belongs
  // to one function, and none of those functions re-enters itself.
  std::vector<std::pair<task_id, bool>> activate_stack_;
  std::vector<task_id> release_work_;
  std::vector<task_id> forget_work_;
  std::int64_t current_payload_ = -1;  ///< task_finished's payload, for its events
};

}  // namespace troupe::cluster
