// The cluster worker actor: keeps data by key (WorkerState), fetches missing inputs straight
// from the peers that hold them, runs ready tasks in batches on executor threads of its own,
// and reports to the scheduler in batches. Small results a client wants go inline.

#include <dlfcn.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <system_error>

#include "actors/cluster/actors.hpp"
#include "actors/cluster/batching.hpp"
#include "actors/cluster/client_impl.hpp"
#include "actors/cluster/tsan_marks.hpp"
#include "actors/cluster/worker_state.hpp"
#include "actors/execute.hpp"
#include "actors/graph_task.hpp"
#include "actors/task_context.hpp"
#include "actors/threads_runtime.hpp"
#include "core/progress.hpp"
#include "core/stack_trace.hpp"
#include "net/data_plane.hpp"
#include "net/fetch_pool.hpp"

namespace troupe::cluster {

namespace {

using clock_type = std::chrono::steady_clock;

/// Results up to this size travel inside the completion message.
constexpr std::uint64_t inline_value_limit = 64 * 1024;
/// How long a peer has to answer a fetch before the next holder is tried (and, with none
/// left, the task goes back to the scheduler): a few seconds plus the time the bytes take at
/// a pessimistic 50 MB/s. Short, because a lost message must not stall a computation: a rare
/// request lost between workers reached only through the scheduler's node was seen here.
std::chrono::milliseconds fetch_timeout(std::uint64_t nbytes) {
  return std::chrono::milliseconds(5000 + nbytes / 50'000);
}
/// How long the scheduler has to accept the worker.
constexpr auto register_timeout = std::chrono::seconds(30);
/// How often an idle worker tells the scheduler it has nothing (worker_idle).
constexpr auto idle_check_interval = std::chrono::seconds(1);
/// At most this many tasks in one batch for an executor, and two batches per executor.
constexpr std::size_t max_batch = 64;
constexpr int batches_per_executor = 2;

/// A fetch over the data plane, done: sent by the fetch pool's thread that made it (in-process
/// only).
struct data_plane_reply {
  std::uint64_t number = 0;
  std::vector<std::string> keys;
  std::vector<std::optional<Value>> values;  ///< nullopt: the peer does not have it
  std::string error;                         ///< the fetch failed as a whole
  bool undecodable = false;                  ///< ... on what the holder sent, not the link
  std::size_t direct = 0;                    ///< values copied from the holder's memory
  std::size_t segmented = 0;                 ///< values that came in segments
};

struct task_outcome {
  std::string key;
  std::uint64_t ref = 0;
  std::uint32_t slot = ~std::uint32_t{0};  ///< runnable_task::slot
  Value value;
  std::optional<task_failure> failure;
  bool send_value = false;
};

// Worker -> executor and back: in-process only (one worker's own threads).
struct run_batch {
  std::vector<runnable_task> tasks;
};
struct batch_done {
  std::size_t executor = 0;
  std::vector<task_outcome> outcomes;
};

}  // namespace
}  // namespace troupe::cluster

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::cluster::run_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::cluster::batch_done)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::cluster::data_plane_reply)

namespace troupe::cluster {

namespace {

using secede_atom = caf::atom_constant<caf::atom("secede")>;

/// What the executors of one worker share, each made on first use (from an executor thread,
/// which may block): the client a compute() inside a task uses to send its graph to the
/// cluster, and the threads engine that runs graph tasks (actors/graph_task.hpp) and computes
/// that name the threads scheduler.
struct worker_client {
  caf::actor_system* system = nullptr;
  caf::actor scheduler;
  std::string address;
  std::size_t nthreads = 1;
  std::mutex mutex;
  std::shared_ptr<client_connection> connection;
  /// Lives until the last executor that may be running a graph on it is gone.
  std::unique_ptr<threads_runtime> engine;

  client_connection* get() {
    std::lock_guard<std::mutex> guard(mutex);
    if (!connection)
      connection = connect_client(*system, scheduler, address, "worker-client",
                                  std::chrono::seconds(30), nullptr);
    return connection.get();
  }
  threads_runtime* threads_engine() {
    std::lock_guard<std::mutex> guard(mutex);
    if (!engine) engine = std::make_unique<threads_runtime>(*system, nthreads);
    return engine.get();
  }
  void close() {
    std::lock_guard<std::mutex> guard(mutex);
    if (connection) connection->close();
  }
};

/// The context of a task on a cluster executor: a compute() inside it secedes the executor
/// (the worker starts another, so its thread count holds) and goes to the cluster.
struct cluster_task_context final : task_context {
  caf::actor worker;
  std::size_t executor = 0;
  std::shared_ptr<worker_client> client;
  bool seceded = false;

  void secede() override {
    if (seceded) return;
    seceded = true;
    TROUPE_CLUSTER_SEND();
    caf::anon_send(worker, secede_atom::value, executor);
  }
  threads_runtime* runtime() override { return client->threads_engine(); }
  client_connection* cluster() override { return client->get(); }
};

task_outcome run_one(runnable_task& task) {
  task_outcome outcome;
  outcome.key = task.key;
  outcome.ref = task.ref;
  outcome.slot = task.slot;
  outcome.send_value = task.send_value;
  if (!task.function) {
    outcome.failure = task_failure{
        task.key, "troupe::ArgumentError",
        "function '" + task.function_name +
            "' is not registered on this worker: register it with TROUPE_FUNCTION in code the "
            "worker runs (the program itself for a LocalCluster, `troupe worker --preload "
            "LIB.so`, or client.upload_file(\"LIB.so\"))",
        ""};
    return outcome;
  }
  try {
    throw_trace_scope traces;
    outcome.value = task.function->call(task.args.data(), task.args.size());
  } catch (...) {
    outcome.failure = describe_current_exception(task.key);
  }
  // A graph task's own tasks are counted as they run; it is not one of them.
  if (!is_graph_task(task.function)) progress::count_task();
  return outcome;
}

caf::behavior executor_behavior(caf::event_based_actor* self, std::size_t index,
                                caf::actor worker, std::shared_ptr<worker_client> client) {
  auto context = std::make_shared<cluster_task_context>();
  context->worker = worker;
  context->executor = index;
  context->client = std::move(client);
  return {
      [self, index, worker, context](run_batch& batch) {
        TROUPE_CLUSTER_TURN();
        // A batch comes only while the worker counts this executor as not seceded.
        context->seceded = false;
        batch_done done;
        done.executor = index;
        done.outcomes.reserve(batch.tasks.size());
        task_context_scope scope(context.get());
        for (auto& task : batch.tasks) done.outcomes.push_back(run_one(task));
        TROUPE_CLUSTER_SEND();
        self->send(worker, std::move(done));
      },
  };
}

// Writes an uploaded library to a private directory and loads it; "" or what went wrong.
std::string load_uploaded(const upload_library& library) {
  auto slash = library.name.find_last_of('/');
  auto base = slash == std::string::npos ? library.name : library.name.substr(slash + 1);
  if (base.empty() || base == "." || base == "..") return "bad file name '" + library.name + "'";
  char directory[] = "/tmp/troupe-upload-XXXXXX";
  if (mkdtemp(directory) == nullptr) return std::string("cannot make a directory: ") + strerror(errno);
  auto path = std::string(directory) + "/" + base;
  {
    std::ofstream out(path, std::ios::binary);
    out.write(library.bytes.data(), static_cast<std::streamsize>(library.bytes.size()));
    if (!out) return "cannot write " + path;
  }
  const auto errors_before = registration_errors().size();
  if (dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) return dlerror();
  auto errors = registration_errors();
  return errors.size() == errors_before ? std::string() : errors.back();
}

struct worker_actor_state {
  WorkerState state;
  worker_info info;
  caf::actor scheduler;
  worker_id id = 0;
  std::vector<caf::actor> peers;
  std::map<caf::actor_addr, peer_id> peer_ids;
  std::map<std::uint64_t, peer_id> peer_of_worker;  ///< from the scheduler's worker_directory
  std::vector<std::uint64_t> worker_of_peer;        ///< the other way (0: not a worker)
  std::vector<std::string> peer_data_addresses;     ///< by peer ("" without a data plane)
  std::vector<caf::actor> executors;
  std::vector<int> executor_batches;  ///< batches sent and not yet done, per executor
  std::vector<bool> seceded;          ///< blocked in a nested compute: gets no more batches
  std::shared_ptr<worker_client> client;
  worker_report report;
  bool flush_scheduled = false;
  std::uint64_t orders_received = 0;
  struct fetch_in_flight {
    peer_id peer;
    std::vector<std::string> keys;
    clock_type::time_point deadline;
  };
  std::map<std::uint64_t, fetch_in_flight> fetches_in_flight;  ///< by request number
  std::uint64_t fetch_number = 0;
  std::uint64_t data_plane_values = 0;  ///< inputs fetched over the data plane so far
  std::uint64_t direct_values = 0;      ///< of those, copied from the holder's memory
  std::uint64_t segmented_values = 0;   ///< of those, in segments over several connections
  /// Where the fetch pool's threads deliver: the worker while it lives. The state's
  /// destructor closes it under the mutex, so no thread sends to a worker that is gone.
  struct reply_sink {
    std::mutex mutex;
    caf::actor worker;
  };
  std::shared_ptr<reply_sink> sink = std::make_shared<reply_sink>();
  net::fetch_pool fetchers{4};
  ~worker_actor_state() {
    std::lock_guard<std::mutex> guard(sink->mutex);
    sink->worker = nullptr;
  }
  static inline const char* name = "troupe.worker";
};

using worker_self = caf::stateful_actor<worker_actor_state>;

peer_id peer_of(worker_self* self, const caf::actor& actor) {
  auto& s = self->state;
  auto [it, inserted] = s.peer_ids.try_emplace(actor.address(), 0);
  if (inserted) {
    it->second = static_cast<peer_id>(s.peers.size());
    s.peers.push_back(actor);
    self->monitor(actor);  // a peer that dies fails its fetches at once, not at their timeout
  }
  return it->second;
}

void flush_report(worker_self* self) {
  auto& s = self->state;
  if (s.report.finished.empty() && s.report.failed.empty() && s.report.missing.empty() &&
      s.report.given_back.empty())
    return;
  s.report.worker = s.id;
  TROUPE_CLUSTER_SEND();
  self->send(s.scheduler, std::move(s.report));
  s.report = worker_report{};
}

void start_fetches(worker_self* self);

void spawn_executor(worker_self* self) {
  auto& s = self->state;
  auto index = s.executors.size();
  s.executors.push_back(self->spawn<caf::detached + caf::linked>(executor_behavior, index,
                                                                caf::actor(self), s.client));
  s.executor_batches.push_back(0);
  s.seceded.push_back(false);
}

// Executors that take batches: started and not seceded.
std::size_t active_executors(const worker_actor_state& s) {
  std::size_t active = 0;
  for (std::size_t i = 0; i < s.executors.size(); ++i) active += !s.seceded[i] && s.executors[i];
  return active;
}

// Hands ready tasks to executors with room, fewest batches first. Executors start as work
// comes, up to the worker's thread count (seceded ones aside): a worker that runs only graph
// tasks, each seceding at once for the engine's threads, keeps one.
void feed_executors(worker_self* self) {
  auto& s = self->state;
  const auto n = std::max<std::size_t>(1, s.info.nthreads);
  while (s.state.ready_count() > 0) {
    std::size_t least = s.executors.size();
    for (std::size_t i = 0; i < s.executors.size(); ++i)
      if (!s.seceded[i] && s.executors[i] &&
          (least == s.executors.size() || s.executor_batches[i] < s.executor_batches[least]))
        least = i;
    if ((least == s.executors.size() || s.executor_batches[least] > 0) &&
        active_executors(s) < n) {
      try {
        spawn_executor(self);
        least = s.executors.size() - 1;
      } catch (const std::system_error&) {
        // No thread to be had: the executors already started take the work.
      }
    }
    if (least == s.executors.size() || s.executor_batches[least] >= batches_per_executor) break;
    auto size = std::clamp<std::size_t>(s.state.ready_count() / (n * batches_per_executor), 1,
                                        max_batch);
    run_batch batch{s.state.take_ready(size)};
    if (batch.tasks.empty()) break;
    ++s.executor_batches[least];
    TROUPE_CLUSTER_SEND();
    self->send(s.executors[least], std::move(batch));
  }
}

void after(worker_self* self) {
  auto& s = self->state;
  start_fetches(self);
  feed_executors(self);
  for (auto& task : s.state.take_missing()) {
    missing_input missing{std::move(task.key), std::move(task.input), {}};
    for (auto peer : task.failed_holders)
      if (peer < s.worker_of_peer.size() && s.worker_of_peer[peer] != 0)
        missing.failed_holders.push_back(s.worker_of_peer[peer]);
    s.report.missing.push_back(std::move(missing));
  }
  for (auto& [key, why] : s.state.take_unloadable())
    s.report.failed.push_back(task_failure{std::move(key), "troupe::TypeError", std::move(why), ""});
  for (auto& [key, nbytes] : s.state.take_already_done()) {
    finished_task done;
    done.key = std::move(key);
    done.nbytes = nbytes;
    s.report.finished.push_back(std::move(done));
  }
  flush_when_idle(self, self->state.flush_scheduled, [self] { flush_report(self); });
}

// Fetches large inputs over the peer's data plane on the worker's fetch pool, which reports
// back with a data_plane_reply. False when the pool cannot take it (no thread to be had): the
// caller fetches through CAF instead.
bool fetch_over_data_plane(worker_self* self, std::uint64_t number, const std::string& address,
                           const std::vector<std::string>& keys,
                           std::chrono::milliseconds timeout) {
  auto& s = self->state;
  {
    std::lock_guard<std::mutex> guard(s.sink->mutex);
    if (!s.sink->worker) s.sink->worker = caf::actor(self);
  }
  try {
    s.fetchers.fetch(address, keys, timeout,
                     [sink = s.sink, number, keys](net::fetch_result result) mutable {
                       data_plane_reply reply{number,        std::move(keys),
                                              std::move(result.values), std::move(result.error),
                                              result.undecodable, result.direct,
                                              result.segmented};
                       std::lock_guard<std::mutex> guard(sink->mutex);
                       TROUPE_CLUSTER_SEND();
                       if (sink->worker) caf::anon_send(sink->worker, std::move(reply));
                     });
    return true;
  } catch (const std::system_error&) {
    return false;
  }
}

void start_fetches(worker_self* self) {
  auto& s = self->state;
  for (auto& request : s.state.take_fetches()) {
    auto peer = s.peers[request.peer];
    auto keys = request.keys;
    auto timeout = fetch_timeout(request.nbytes);
    auto number = ++s.fetch_number;
    s.fetches_in_flight[number] = {request.peer, keys, clock_type::now() + timeout};
    if (request.nbytes >= data_plane_threshold && request.peer < s.peer_data_addresses.size() &&
        !s.peer_data_addresses[request.peer].empty() &&
        fetch_over_data_plane(self, number, s.peer_data_addresses[request.peer], request.keys,
                              timeout))
      continue;
    TROUPE_CLUSTER_SEND();
    self->request(peer, timeout, get_data{std::move(request.keys)})
        .then(
            [self, peer = request.peer, number](data_reply& reply) {
              TROUPE_CLUSTER_TURN();
              if (self->state.fetches_in_flight.erase(number) == 0) return;  // expired

              for (std::size_t i = 0; i < reply.keys.size(); ++i) {
                if (reply.values[i].error.empty())
                  self->state.state.fetched(reply.keys[i], std::move(reply.values[i].value));
                else
                  self->state.state.fetch_undecodable(reply.keys[i], peer, reply.values[i].error);
              }
              for (auto& key : reply.missing) self->state.state.fetch_failed(key, peer);
              after(self);
            },
            [self, peer = request.peer, keys, number](caf::error&) {
              TROUPE_CLUSTER_TURN();
              if (self->state.fetches_in_flight.erase(number) == 0) return;
              for (auto& key : keys) self->state.state.fetch_failed(key, peer);
              after(self);
            });
  }
}

// Fails fetches whose answer is overdue. CAF's request timeout should do it, but a request to
// a peer reached through the scheduler's node was seen to get neither an answer nor its
// timeout; checked every idle_check_interval.
void expire_fetches(worker_self* self) {
  auto& s = self->state;
  auto now = clock_type::now();
  bool expired = false;
  for (auto it = s.fetches_in_flight.begin(); it != s.fetches_in_flight.end();) {
    if (it->second.deadline + idle_check_interval > now) {
      ++it;
      continue;
    }
    for (auto& key : it->second.keys) s.state.fetch_failed(key, it->second.peer);
    it = s.fetches_in_flight.erase(it);
    expired = true;
  }
  if (expired) after(self);
}

void handle_outcomes(worker_self* self, batch_done& done) {
  auto& s = self->state;
  // A seceded executor that has run all it was given takes batches again while the worker
  // has fewer than its threads; otherwise it retires (another took its place).
  if (--s.executor_batches[done.executor] == 0 && s.seceded[done.executor] &&
      s.executors[done.executor]) {
    if (active_executors(s) < std::max<std::size_t>(1, s.info.nthreads)) {
      s.seceded[done.executor] = false;
    } else {
      self->unlink_from(s.executors[done.executor]);
      caf::anon_send_exit(s.executors[done.executor], caf::exit_reason::user_shutdown);
      s.executors[done.executor] = nullptr;
    }
  }
  for (auto& outcome : done.outcomes) {
    if (outcome.failure) {
      if (s.state.fail(outcome.key, outcome.slot))
        s.report.failed.push_back(std::move(*outcome.failure));
      continue;
    }
    finished_task finished;
    finished.key = outcome.key;
    finished.ref = outcome.ref;
    finished.nbytes = outcome.value.nbytes();
    if (outcome.send_value && finished.nbytes <= inline_value_limit) {
      finished.has_value = true;
      finished.value.value = outcome.value;
    }
    if (s.state.finish(outcome.key, std::move(outcome.value), outcome.slot))
      s.report.finished.push_back(std::move(finished));
  }
}

// Starts the executors and registers with the scheduler.
void start(worker_self* self, worker_info info,
           std::shared_ptr<std::promise<std::string>> registered) {
  auto& s = self->state;
  s.info = info;
  TROUPE_CLUSTER_SEND();
  self->delayed_send(self, idle_check_interval, idle_check_atom::value);
  s.client = std::make_shared<worker_client>();
  s.client->system = &self->system();
  s.client->scheduler = s.scheduler;
  s.client->address = "the scheduler of worker " + info.address;
  s.client->nthreads = std::max<std::size_t>(1, info.nthreads);
  self->attach_functor([client = s.client] { client->close(); });
  spawn_executor(self);  // the others as work comes (feed_executors)
  TROUPE_CLUSTER_SEND();
  self->request(s.scheduler, register_timeout, worker_hello{info, caf::actor(self)})
      .then(
          [self, registered](std::uint64_t id) {
            TROUPE_CLUSTER_TURN();
            self->state.id = id;
            registered->set_value("");
          },
          [self, registered](caf::error& error) {
            TROUPE_CLUSTER_TURN();
            registered->set_value("the scheduler did not accept this worker: " +
                                  self->system().render(error));
            self->quit(caf::exit_reason::user_shutdown);
          });
}

caf::behavior worker_behavior(worker_self* self, caf::actor scheduler,
                              std::shared_ptr<std::promise<std::string>> registered) {
  self->state.scheduler = scheduler;
  self->monitor(scheduler);
  self->set_down_handler([self](const caf::down_msg& down) {
    TROUPE_CLUSTER_TURN();
    auto& s = self->state;
    if (down.source == s.scheduler.address()) {
      self->quit(caf::exit_reason::user_shutdown);
      return;
    }
    if (auto peer = s.peer_ids.find(down.source); peer != s.peer_ids.end()) {
      s.state.peer_lost(peer->second);
      after(self);
    }
  });
  return {
      [self, registered](worker_info& info) {
        TROUPE_CLUSTER_TURN();
        if (self->state.executors.empty()) start(self, std::move(info), registered);
      },
      [self](worker_orders& orders) {
        TROUPE_CLUSTER_TURN();
        auto& s = self->state;
        ++s.orders_received;
        // Releases first: a batch may hold a release and a later compute of the same key (a
        // task stolen away and back); applied the other way round, the task would be lost.
        // A compute followed by a release only runs a task the scheduler then drops.
        s.state.release(orders.release);
        // A steal: what has not started goes back (the scheduler moves it); what runs stays.
        for (auto& key : orders.steal)
          if (s.state.give_back(key)) s.report.given_back.push_back(std::move(key));
        constexpr std::size_t ahead = 8;  // assignments whose keys are prefetched
        for (std::size_t i = 0; i < orders.compute.size(); ++i) {
          if (i + ahead < orders.compute.size())
            s.state.prefetch(orders.compute[i + ahead].spec.key);
          auto& a = orders.compute[i];
          std::vector<std::vector<peer_id>> holders;
          holders.reserve(a.holders.size());
          for (auto& workers : a.holders) {
            std::vector<peer_id> ids;
            for (auto worker : workers)
              if (auto peer = s.peer_of_worker.find(worker); peer != s.peer_of_worker.end())
                ids.push_back(peer->second);
            holders.push_back(std::move(ids));
          }
          s.state.add_task(std::move(a.spec), std::move(holders), a.send_value, a.input_nbytes);
        }
        after(self);
      },
      [self](batch_done& done) {
        TROUPE_CLUSTER_TURN();
        handle_outcomes(self, done);
        after(self);
      },
      [self](data_plane_reply& reply) {
        TROUPE_CLUSTER_TURN();
        auto& s = self->state;
        auto fetch = s.fetches_in_flight.find(reply.number);
        if (fetch == s.fetches_in_flight.end()) return;  // expired meanwhile
        auto peer = fetch->second.peer;
        s.fetches_in_flight.erase(fetch);
        if (reply.error.empty()) {
          s.direct_values += reply.direct;
          s.segmented_values += reply.segmented;
        }
        for (std::size_t i = 0; i < reply.keys.size(); ++i) {
          if (reply.error.empty() && i < reply.values.size() && reply.values[i]) {
            s.state.fetched(reply.keys[i], std::move(*reply.values[i]));
            ++s.data_plane_values;
          } else if (reply.undecodable) {
            s.state.fetch_undecodable(reply.keys[i], peer, reply.error);
          } else {
            s.state.fetch_failed(reply.keys[i], peer);
          }
        }
        after(self);
      },
      [self](const worker_gone& gone) {
        TROUPE_CLUSTER_TURN();
        auto& s = self->state;
        if (auto peer = s.peer_of_worker.find(gone.worker); peer != s.peer_of_worker.end()) {
          s.state.peer_lost(peer->second);
          after(self);
        }
      },
      [self](const worker_directory& directory) {
        TROUPE_CLUSTER_TURN();
        auto& s = self->state;
        for (std::size_t i = 0; i < directory.ids.size() && i < directory.actors.size(); ++i) {
          auto peer = peer_of(self, directory.actors[i]);
          s.peer_of_worker[directory.ids[i]] = peer;
          if (s.worker_of_peer.size() <= peer) {
            s.worker_of_peer.resize(peer + 1, 0);
            s.peer_data_addresses.resize(peer + 1);
          }
          s.worker_of_peer[peer] = directory.ids[i];
          if (i < directory.data_addresses.size())
            s.peer_data_addresses[peer] = directory.data_addresses[i];
        }
      },
      [self](secede_atom, std::size_t executor) {
        TROUPE_CLUSTER_TURN();
        // The executor blocks in a nested compute: another takes its place (feed_executors)
        // until it is done.
        auto& s = self->state;
        if (executor >= s.seceded.size() || s.seceded[executor]) return;
        s.seceded[executor] = true;
        after(self);
      },
      [self](const get_data& request) -> data_reply {
        TROUPE_CLUSTER_TURN();
        data_reply reply;
        for (const auto& key : request.keys) {
          if (const auto* value = self->state.state.find(key)) {
            reply.keys.push_back(key);
            reply.values.push_back(wire_value{*value, {}});
          } else {
            reply.missing.push_back(key);
          }
        }
        return reply;
      },
      [self](put_data& put) -> put_reply {
        TROUPE_CLUSTER_TURN();
        put_reply reply;
        for (std::size_t i = 0; i < put.keys.size() && i < put.values.size(); ++i) {
          reply.nbytes.push_back(put.values[i].value.nbytes());
          self->state.state.put(put.keys[i], std::move(put.values[i].value));
        }
        return reply;
      },
      [](const upload_library& library) -> std::string {
        TROUPE_CLUSTER_TURN();
        return load_uploaded(library);
      },
      [self](describe_atom) -> std::string {
        TROUPE_CLUSTER_TURN();
        auto& s = self->state;
        std::string batches;
        for (std::size_t i = 0; i < s.executors.size(); ++i)
          batches += " " + std::to_string(s.executor_batches[i]) + (s.seceded[i] ? "s" : "");
        std::string requests;
        for (const auto& [number, f] : s.fetches_in_flight)
          requests += " #" + std::to_string(number) + " to peer " + std::to_string(f.peer) + " (" +
                      std::to_string(f.keys.size()) + " keys, due in " +
                      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         f.deadline - clock_type::now())
                                         .count()) +
                      " ms)";
        return "  worker " + s.info.address + ": batches per executor" + batches +
               "; requests" + requests + "; " + std::to_string(s.data_plane_values) +
               " inputs fetched over the data plane (" + std::to_string(s.direct_values) +
               " copied from the holder's memory, " + std::to_string(s.segmented_values) +
               " in segments); " + s.state.describe();
      },
      [self](flush_atom) {
        TROUPE_CLUSTER_TURN();
        self->state.flush_scheduled = false;
        flush_report(self);
      },
      [self](idle_check_atom) {
        TROUPE_CLUSTER_TURN();
        auto& s = self->state;
        expire_fetches(self);
        if (s.id != 0 && s.state.assigned_count() == 0 && s.state.running_count() == 0) {
          flush_report(self);  // before the idle note, so the scheduler sees them in order
          TROUPE_CLUSTER_SEND();
          self->send(s.scheduler, worker_idle{s.id, s.orders_received});
        }
        TROUPE_CLUSTER_SEND();
        self->delayed_send(self, idle_check_interval, idle_check_atom::value);
      },
      [self](shutdown_atom) {
        TROUPE_CLUSTER_TURN();
        flush_report(self);
        self->quit(caf::exit_reason::user_shutdown);
      },
  };
}

}  // namespace

caf::actor spawn_worker(caf::actor_system& system, caf::actor scheduler,
                        std::shared_ptr<std::promise<std::string>> registered) {
  return system.spawn(worker_behavior, std::move(scheduler), std::move(registered));
}

}  // namespace troupe::cluster
