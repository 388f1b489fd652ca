// cluster_node: the actor system of a cluster role, and the client_connection calls that
// talk to schedulers and workers (scatter, gather, info).

#include "actors/cluster/node.hpp"

#include <unistd.h>

#include <algorithm>
#include <map>
#include <thread>

#include <caf/io/all.hpp>
#include <caf/logger.hpp>

#include "actors/cluster/actors.hpp"
#include "actors/cluster/client_impl.hpp"
#include "actors/cluster/tsan_marks.hpp"
#include "net/address.hpp"
#include "net/data_plane.hpp"
#include "net/socket_io.hpp"

namespace troupe::cluster {

void add_protocol_types(caf::actor_system_config& config) {
  config.add_message_type<wire_value>("troupe.wire_value");
  config.add_message_type<task_failure>("troupe.task_failure");
  config.add_message_type<worker_info>("troupe.worker_info");
  config.add_message_type<cluster_info>("troupe.cluster_info");
  config.add_message_type<client_hello>("troupe.client_hello");
  config.add_message_type<update_graph>("troupe.update_graph");
  config.add_message_type<release_keys>("troupe.release_keys");
  config.add_message_type<cancel_keys>("troupe.cancel_keys");
  config.add_message_type<retry_keys>("troupe.retry_keys");
  config.add_message_type<data_placed>("troupe.data_placed");
  config.add_message_type<who_has_request>("troupe.who_has_request");
  config.add_message_type<holders>("troupe.holders");
  config.add_message_type<info_request>("troupe.info_request");
  config.add_message_type<cluster_members>("troupe.cluster_members");
  config.add_message_type<key_events>("troupe.key_events");
  config.add_message_type<worker_hello>("troupe.worker_hello");
  config.add_message_type<worker_report>("troupe.worker_report");
  config.add_message_type<worker_orders>("troupe.worker_orders");
  config.add_message_type<get_data>("troupe.get_data");
  config.add_message_type<data_reply>("troupe.data_reply");
  config.add_message_type<put_data>("troupe.put_data");
  config.add_message_type<put_reply>("troupe.put_reply");
  config.add_message_type<upload_library>("troupe.upload_library");
  config.add_message_type<worker_gone>("troupe.worker_gone");
  config.add_message_type<worker_directory>("troupe.worker_directory");
  config.add_message_type<worker_idle>("troupe.worker_idle");
  config.add_message_type<nanny_report>("troupe.nanny_report");
}

namespace {

struct node_config : caf::actor_system_config {
  explicit node_config(std::size_t threads) {
    load<caf::io::middleman>();
    add_protocol_types(*this);
    set("scheduler.max-threads", std::max<std::size_t>(2, threads));
    // One shared queue with a condition variable: idle threads sleep instead of polling,
    // which on a small host steals the cores the other processes of the cluster need.
    set("scheduler.policy", caf::atom("sharing"));
    // On small hosts deserialising on the network thread is faster than handing it to
    // workers (caf-0.17-notes.md: ~124 µs against ~260 µs a round trip).
    set("middleman.workers", std::size_t{0});
    // Workers that learn of each other through the scheduler connect directly.
    set("middleman.enable-automatic-connections", false);
    set("logger.verbosity", caf::atom("quiet"));
  }
};

bool is_inproc(const std::string& address) { return address.rfind("inproc://", 0) == 0; }

// CAF's remote_actor waits without a limit for the peer's handshake, so a port where another
// program accepts and stays silent would hang the caller forever. A scheduler greets a new
// connection at once (a BASP server handshake: a 32-byte header whose first byte, the
// operation, is 0), so that greeting is looked for first, on a connection of its own.
void expect_scheduler_greeting(const net::address& where,
                               std::chrono::steady_clock::duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto connection = net::connect_to(where, deadline, "the scheduler");
  char header[32];
  try {
    net::read_exact(connection.get(), header, sizeof header, deadline);
  } catch (const net::peer_closed&) {
    throw ConnectionError("the program at " + where.to_string() + " is not a troupe scheduler: "
                          "it sent no greeting within " +
                          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout)
                                             .count()) +
                          " s (connect to the address `troupe scheduler` prints)");
  }
  if (header[0] != 0)
    throw ConnectionError("the program at " + where.to_string() + " is not a troupe scheduler: "
                          "it greets in another protocol (connect to the address `troupe "
                          "scheduler` prints)");
}

}  // namespace

// Making an actor system, and spawning in it, make the calling thread hold the system's
// logger (a thread-local reference), and the system's destructor waits for its logger to go:
// destroyed on another thread while this one lived (a Client, or the threads runtime, made by
// one thread and stopped by another), it waited for ever. The callers log nothing through CAF,
// so the node's calls let go of it before they return.
struct release_logger_on_return {
  release_logger_on_return() = default;
  release_logger_on_return(const release_logger_on_return&) = delete;
  release_logger_on_return& operator=(const release_logger_on_return&) = delete;
  ~release_logger_on_return() { caf::logger::set_current_actor_system(nullptr); }
};

struct cluster_node::impl {
  node_config config;
  caf::actor_system system;
  caf::actor scheduler;
  std::string scheduler_address;
  std::vector<caf::actor> workers;
  /// Each worker process's data plane; destroyed before the actor system they ask.
  std::vector<std::unique_ptr<net::data_server>> data_servers;

  explicit impl(std::size_t threads) : config(threads), system(config) {
    release_logger_on_return release;
  }

  caf::actor resolve(const std::string& address, std::chrono::seconds timeout) {
    if (address == scheduler_address && scheduler) return scheduler;
    if (is_inproc(address))
      throw ConnectionError("no scheduler at " + address + " in this process");
    auto where = net::parse_address(address);
    // A busy scheduler (its network thread reading a large message) may greet late: wait as
    // long as the caller would, unless scheduler-timeout says less.
    expect_scheduler_greeting(where, std::min<std::chrono::steady_clock::duration>(
                                         timeout, scheduler_timeout()));
    auto remote = system.middleman().remote_actor(where.host, where.port);
    if (!remote)
      throw ConnectionError("cannot reach the scheduler at " + address + ": " +
                            system.render(remote.error()) +
                            " (is `troupe scheduler` running there, and the port open?)");
    return *remote;
  }
};

cluster_node::cluster_node(std::size_t threads) : impl_(std::make_shared<impl>(threads)) {}

cluster_node::~cluster_node() { shutdown(); }

std::string cluster_node::start_scheduler(const std::string& host, int port, bool serve) {
  release_logger_on_return release;
  if (!serve) {
    impl_->scheduler_address = "inproc://scheduler";
    impl_->scheduler = spawn_scheduler(impl_->system);
    return impl_->scheduler_address;
  }
  if (port < 0 || port > 65535)
    throw ArgumentError("port " + std::to_string(port) + " is not a port number (0 to 65535)");
  auto scheduler = spawn_scheduler(impl_->system);
  auto bind_host = host.empty() ? std::string("0.0.0.0") : host;
  auto bound = impl_->system.middleman().publish(scheduler, static_cast<std::uint16_t>(port),
                                                  bind_host.c_str(), false);
  if (!bound) {
    caf::anon_send_exit(scheduler, caf::exit_reason::user_shutdown);
    const auto why = port != 0 && net::port_in_use(bind_host, static_cast<std::uint16_t>(port))
                         ? "port " + std::to_string(port) + " is already in use"
                         : impl_->system.render(bound.error());
    throw ArgumentError("cannot serve the scheduler on " + bind_host + ":" +
                        std::to_string(port) + ": " + why +
                        " (choose another port: `--port` of troupe scheduler, `scheduler_port` "
                        "of a LocalCluster; 0 takes any free one)");
  }
  impl_->scheduler = scheduler;
  impl_->scheduler_address = net::address{net::reachable_host(host), *bound}.to_string();
  return impl_->scheduler_address;
}

void cluster_node::start_worker(const std::string& scheduler, worker_info info,
                                std::chrono::seconds timeout) {
  release_logger_on_return release;
  auto target = impl_->resolve(scheduler, timeout);
  if (info.host.empty()) info.host = "127.0.0.1";
  if (info.pid == 0) info.pid = static_cast<std::uint64_t>(::getpid());
  if (info.functions.empty()) info.functions = function_signatures();
  auto registered = std::make_shared<std::promise<std::string>>();
  auto answer = registered->get_future();
  auto worker = spawn_worker(impl_->system, target, registered);
  if (is_inproc(scheduler) || scheduler == impl_->scheduler_address) {
    info.address = "inproc://worker-" + std::to_string(impl_->workers.size() + 1);
  } else {
    // Served so that peers can connect to it directly; the port is its address.
    auto port = impl_->system.middleman().publish(worker, 0, info.host.c_str(), true);
    if (!port) {
      caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
      throw ConnectionError("cannot serve the worker on " + info.host + ": " +
                            impl_->system.render(port.error()));
    }
    info.address = net::address{info.host, *port}.to_string();
    // Its data plane serves the worker's values to peers and clients and takes scattered
    // ones, asking the worker actor for each (in this process: the value itself, by shared
    // pointer, never serialised).
    auto* system = &impl_->system;
    auto find = [system, worker](const std::string& key) -> std::optional<Value> {
      caf::scoped_actor self{*system};
      std::optional<Value> value;
      TROUPE_CLUSTER_SEND();
      self->request(worker, std::chrono::seconds(10), get_data{{key}})
          .receive(
              [&](data_reply& reply) {
                TROUPE_CLUSTER_RECEIVED();
                if (!reply.values.empty() && reply.values[0].error.empty())
                  value = std::move(reply.values[0].value);
              },
              [](caf::error&) {});
      return value;
    };
    auto store = [system, worker](const std::string& key, Value value) {
      caf::scoped_actor self{*system};
      bool kept = false;
      TROUPE_CLUSTER_SEND();
      self->request(worker, std::chrono::seconds(10), put_data{{key}, {wire_value{value, {}}}})
          .receive([&](put_reply&) { kept = true; }, [](caf::error&) {});
      return kept;
    };
    try {
      impl_->data_servers.push_back(
          std::make_unique<net::data_server>(info.host, find, net::data_limits{}, store));
    } catch (...) {
      caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
      throw;
    }
    info.data_address = impl_->data_servers.back()->address();
  }
  TROUPE_CLUSTER_SEND();
  caf::anon_send(worker, std::move(info));  // registers with the scheduler
  if (answer.wait_for(timeout) != std::future_status::ready) {
    caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
    throw TimeoutError("the scheduler at " + scheduler + " did not accept the worker within " +
                       std::to_string(timeout.count()) + " s");
  }
  auto why = answer.get();
  if (!why.empty()) throw ConnectionError(why);
  impl_->workers.push_back(worker);
}

std::shared_ptr<client_connection> cluster_node::connect(const std::string& scheduler,
                                                         std::string name,
                                                         std::chrono::seconds timeout) {
  release_logger_on_return release;
  auto target = impl_->resolve(scheduler, timeout);
  return connect_client(impl_->system, target, scheduler, std::move(name), timeout, impl_);
}

std::shared_ptr<client_connection> connect_client(caf::actor_system& system, caf::actor scheduler,
                                                  const std::string& address, std::string name,
                                                  std::chrono::seconds timeout,
                                                  std::shared_ptr<void> keep_alive) {
  auto inner = std::make_unique<client_connection::impl>();
  inner->node = std::move(keep_alive);
  inner->system = &system;
  inner->scheduler = scheduler;
  inner->address = address;
  inner->shared = std::make_shared<client_shared>();
  inner->client = spawn_client(system, scheduler, inner->shared);
  try {
    inner->id = inner->ask<std::uint64_t>(
        scheduler, "the scheduler at " + address,
        client_hello{std::move(name), inner->client, function_signatures()},
        std::chrono::steady_clock::now() + timeout);
  } catch (const std::exception& e) {
    // The client actor monitors what answered; left alive, it would keep the actor system
    // (and the process, at exit) waiting for it forever.
    caf::anon_send_exit(inner->client, caf::exit_reason::user_shutdown);
    const std::string what = e.what();
    if (what.find("unexpected_message") != std::string::npos)
      throw ConnectionError("the actor at " + address + " is not a troupe scheduler (it refused "
                            "a client's hello: is it a worker's address?): connect to the "
                            "address `troupe scheduler` prints");
    throw;
  }
  return std::shared_ptr<client_connection>(new client_connection(std::move(inner)));
}

bool cluster_node::report_to_scheduler(const std::string& scheduler, nanny_report report,
                                       std::chrono::seconds timeout) {
  caf::actor target;
  try {
    target = impl_->resolve(scheduler, timeout);
  } catch (const std::exception&) {
    return false;
  }
  caf::scoped_actor self{impl_->system};
  bool answered = false;
  TROUPE_CLUSTER_SEND();
  self->request(target, timeout, std::move(report))
      .receive([&](std::string&) { answered = true; }, [&](caf::error&) {});
  return answered;
}

std::size_t cluster_node::running_workers() const {
  std::size_t running = 0;
  for (const auto& worker : impl_->workers) {
    caf::scoped_actor self{impl_->system};
    // An actor that has terminated drops requests with an error at once.
    bool alive = false;
    self->request(worker, std::chrono::seconds(5), get_data{})
        .receive([&](data_reply&) { alive = true; }, [&](caf::error&) {});
    if (alive) ++running;
  }
  return running;
}

std::string cluster_node::describe_scheduler() const {
  if (!impl_->scheduler) return "";
  caf::scoped_actor self{impl_->system};
  std::string text;
  self->request(impl_->scheduler, std::chrono::seconds(5), describe_atom::value)
      .receive(
          [&](std::string& s) {
            TROUPE_CLUSTER_RECEIVED();
            text = std::move(s);
          },
          [&](caf::error&) {});
  return text;
}

std::size_t cluster_node::scheduler_worker_count() const {
  if (!impl_->scheduler) return 0;
  caf::scoped_actor self{impl_->system};
  std::size_t count = 0;
  self->request(impl_->scheduler, std::chrono::seconds(5), info_request{})
      .receive(
          [&](cluster_members& m) {
            TROUPE_CLUSTER_RECEIVED();
            count = m.actors.size();
          },
          [&](caf::error&) {});
  return count;
}

void cluster_node::shutdown() {
  if (!impl_) return;
  if (impl_->scheduler) {
    caf::anon_send(impl_->scheduler, shutdown_atom::value);
    impl_->scheduler = nullptr;
  }
  for (auto& worker : impl_->workers) caf::anon_send(worker, shutdown_atom::value);
  impl_->workers.clear();
}

// -- client_connection calls that reach workers ------------------------------------------------

void client_connection::impl::check_connected() const {
  if (closed) throw ArgumentError("the client is closed: make a new Client");
  std::lock_guard<std::mutex> guard(shared->mutex);
  if (!shared->connected)
    throw ConnectionError("lost the scheduler at " + address + ": " + shared->lost_reason);
}

void client_connection::impl::throw_if_failed(const future_state& state) const {
  switch (state.status) {
    case future_status::error: throw TaskError(state.failure);
    case future_status::cancelled: throw CancelledError("future " + state.key + " was cancelled");
    case future_status::lost:
      throw ConnectionError("lost the scheduler at " + address + " before " + state.key +
                            " finished: " + shared->lost_reason);
    default: return;
  }
}

std::vector<Value> client_connection::impl::fetch(const std::vector<std::string>& keys,
                                                  std::chrono::steady_clock::time_point deadline,
                                                  const std::function<void()>& before_retry) {
  std::vector<Value> values(keys.size());
  std::vector<bool> have(keys.size(), false);
  // A holder can die between the scheduler's answer and the fetch: ask again, while time
  // is left (the scheduler recomputes what died with it).
  for (int attempt = 0;; ++attempt) {
    if (attempt > 0) before_retry();
    std::vector<std::string> wanted;
    std::vector<std::size_t> positions;
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (!have[i]) {
        wanted.push_back(keys[i]);
        positions.push_back(i);
      }
    if (wanted.empty()) return values;
    auto where = ask<holders>(scheduler, "the scheduler at " + address, who_has_request{wanted},
                              deadline);
    std::map<caf::actor, std::vector<std::size_t>> by_worker;
    std::map<std::string, std::vector<std::size_t>> by_data_plane;  // large values
    for (std::size_t j = 0; j < wanted.size(); ++j) {
      if (j >= where.actors.size() || where.actors[j].empty()) continue;
      if (j < where.nbytes.size() && where.nbytes[j] >= data_plane_threshold &&
          !where.data_addresses[j].empty())
        by_data_plane[where.data_addresses[j]].push_back(positions[j]);
      else
        by_worker[where.actors[j].front()].push_back(positions[j]);
    }
    for (auto& [data_address, indices] : by_data_plane) {
      std::vector<std::string> request;
      for (auto i : indices) request.push_back(keys[i]);
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      try {
        auto got = net::fetch_values(data_address, request,
                                     std::max(left, std::chrono::milliseconds(1)));
        for (std::size_t j = 0; j < indices.size(); ++j) {
          if (!got[j]) continue;
          values[indices[j]] = std::move(*got[j]);
          have[indices[j]] = true;
        }
      } catch (const ConnectionError&) {
        continue;  // its holder died: asked again below
      }
    }
    for (auto& [worker, indices] : by_worker) {
      get_data request;
      for (auto i : indices) request.keys.push_back(keys[i]);
      data_reply reply;
      try {
        reply = ask<data_reply>(worker, "a worker", std::move(request), deadline);
      } catch (const ConnectionError&) {
        continue;
      }
      for (std::size_t j = 0; j < reply.keys.size(); ++j) {
        auto found = std::find(keys.begin(), keys.end(), reply.keys[j]);
        if (found == keys.end()) continue;
        auto i = static_cast<std::size_t>(found - keys.begin());
        if (!reply.values[j].error.empty())
          throw TypeError("the value of " + keys[i] + " did not decode: " + reply.values[j].error);
        values[i] = std::move(reply.values[j].value);
        have[i] = true;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline)
      throw TimeoutError("could not fetch the values of " + std::to_string(wanted.size()) +
                         " keys within the timeout");
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::vector<std::shared_ptr<future_state>> client_connection::scatter(
    const std::vector<std::string>& keys, const std::vector<Value>& values, bool broadcast,
    duration timeout) {
  impl_->check_connected();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto members = impl_->ask<cluster_members>(impl_->scheduler, "the scheduler at " + impl_->address,
                                             info_request{}, deadline);
  if (members.actors.empty())
    throw ArgumentError("cannot scatter: the cluster at " + impl_->address +
                        " has no workers yet (start some, or wait for them)");
  // Round-robin over the workers, or every worker with broadcast; values of at least
  // data_plane_threshold bytes go over the worker's data plane, the rest in one message.
  std::map<std::size_t, put_data> puts;
  std::map<std::size_t, put_data> large_puts;
  std::vector<std::vector<std::uint64_t>> placed(keys.size());
  std::vector<bool> sent_large(keys.size(), false);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    for (std::size_t w = 0; w < members.actors.size(); ++w) {
      if (!broadcast && w != i % members.actors.size()) continue;
      bool large = values[i].nbytes() >= data_plane_threshold &&
                   !members.info.workers[w].data_address.empty();
      if (large) sent_large[i] = true;
      auto& put = large ? large_puts[w] : puts[w];
      put.keys.push_back(keys[i]);
      put.values.push_back(wire_value{values[i], {}});
      placed[i].push_back(members.ids[w]);
    }
  }
  for (auto& [w, put] : puts)
    impl_->ask<put_reply>(members.actors[w], "worker " + members.info.workers[w].address,
                          std::move(put), deadline);
  for (auto& [w, put] : large_puts) {
    std::vector<Value> large;
    for (auto& v : put.values) large.push_back(std::move(v.value));
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto kept = net::put_values(members.info.workers[w].data_address, put.keys, large,
                                std::max(left, std::chrono::milliseconds(1)));
    if (std::find(kept.begin(), kept.end(), false) != kept.end())
      throw ConnectionError("worker " + members.info.workers[w].address +
                            " did not keep the values scattered to it");
  }
  std::vector<std::shared_ptr<future_state>> states;
  data_placed message;
  message.client = impl_->id;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto state = want(keys[i]);
    // A value that went to another process over the data plane is the cluster's now, as in
    // Dask: the client does not hold a second copy of it (result() fetches it back). Small
    // values, and values shared by pointer in one process, cost nothing to keep.
    if (!sent_large[i]) {
      std::lock_guard<std::mutex> guard(impl_->shared->mutex);
      state->has_value = true;
      state->value = values[i];
    }
    states.push_back(state);
    message.keys.push_back(keys[i]);
    message.nbytes.push_back(values[i].nbytes());
    message.workers.push_back(placed[i]);
  }
  TROUPE_CLUSTER_SEND();
  caf::anon_send(impl_->scheduler, std::move(message));
  return states;
}

void client_connection::upload_library(const std::string& name, const std::string& bytes,
                                       duration timeout) {
  impl_->check_connected();
  auto why = impl_->ask<std::string>(impl_->scheduler, "the scheduler at " + impl_->address,
                                     cluster::upload_library{name, bytes},
                                     std::chrono::steady_clock::now() + timeout);
  if (!why.empty()) throw ArgumentError("upload_file(" + name + "): " + why);
}

cluster_summary client_connection::info(duration timeout) {
  impl_->check_connected();
  auto members = impl_->ask<cluster_members>(impl_->scheduler, "the scheduler at " + impl_->address,
                                             info_request{},
                                             std::chrono::steady_clock::now() + timeout);
  return {impl_->address, std::move(members.info.workers), members.tasks};
}

}  // namespace troupe::cluster
