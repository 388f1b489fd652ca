// The cluster scheduler actor: turns messages into SchedulerState calls and sends what the
// state decides, batched per peer. It monitors every client and worker: a peer that goes away
// is removed from the state like any other event.

#include <algorithm>
#include <iostream>
#include <map>
#include <unordered_map>

#include "actors/cluster/actors.hpp"
#include "actors/cluster/batching.hpp"
#include "actors/cluster/scheduler_state.hpp"
#include "actors/cluster/tsan_marks.hpp"

namespace troupe::cluster {

namespace {

struct scheduler_actor_state {
  SchedulerState state;
  std::map<worker_id, caf::actor> workers;
  std::map<caf::actor_addr, worker_id> worker_ids;
  std::map<client_id, caf::actor> clients;
  std::map<caf::actor_addr, client_id> client_ids;
  std::map<client_id, std::string> client_functions;  ///< function_signatures() of each client
  std::map<worker_id, worker_orders> orders;
  std::map<worker_id, std::uint64_t> orders_sent;  ///< order messages sent, per worker
  std::map<client_id, key_events> events;
  /// The report being handled: its inline results go into the clients' events.
  worker_report* current_report = nullptr;
  bool flush_scheduled = false;
  /// Libraries uploaded by clients, sent to every worker that joins later.
  std::vector<upload_library> libraries;
  static inline const char* name = "troupe.scheduler";
};

using scheduler_self = caf::stateful_actor<scheduler_actor_state>;

// Room for `more` elements at once: a batch of 2,048 assignments grew by doubling, moving
// each assignment eleven times. Geometric still, so that many small additions stay linear.
template <class T>
void reserve_more(std::vector<T>& items, std::size_t more) {
  if (items.capacity() - items.size() < more)
    items.reserve(std::max(items.size() + more, 2 * items.capacity()));
}

// Moves the state's decisions into the per-peer batches.
void collect(scheduler_self* self) {
  auto& s = self->state;
  auto out = s.state.take_outbox();
  for (auto& [worker, commands] : out.workers) {
    auto& orders = s.orders[worker];
    reserve_more(orders.compute, commands.compute.size());
    for (auto& d : commands.compute) {
      task_assignment a;
      a.spec = std::move(d.spec);
      a.send_value = d.send_value;
      a.input_nbytes = std::move(d.input_nbytes);
      a.holders = std::move(d.holders);
      orders.compute.push_back(std::move(a));
    }
    for (auto& key : commands.release) orders.release.push_back(std::move(key));
    for (auto& key : commands.steal) orders.steal.push_back(std::move(key));
  }
  for (auto& [client, list] : out.clients) {
    auto& batch = s.events[client];
    reserve_more(batch.events, list.size());
    for (auto& e : list) {
      key_event event;
      event.key = std::move(e.key);
      event.status = static_cast<std::uint8_t>(e.status);
      if (e.status == client_event::erred) event.failure = std::move(e.failure);
      if (e.payload >= 0 && s.current_report != nullptr) {
        auto& done = s.current_report->finished[static_cast<std::size_t>(e.payload)];
        if (done.has_value) {
          event.has_value = true;
          event.value = done.value;  // shared: a Value copy is a reference count
        }
      }
      batch.events.push_back(std::move(event));
    }
  }
}

void flush(scheduler_self* self) {
  auto& s = self->state;
  for (auto& [worker, orders] : s.orders) {
    auto found = s.workers.find(worker);
    if (found != s.workers.end()) {
      TROUPE_CLUSTER_SEND();
      self->send(found->second, std::move(orders));
      ++s.orders_sent[worker];
    }
  }
  s.orders.clear();
  for (auto& [client, events] : s.events) {
    auto found = s.clients.find(client);
    TROUPE_CLUSTER_SEND();
    if (found != s.clients.end()) self->send(found->second, std::move(events));
  }
  s.events.clear();
}

void after(scheduler_self* self) {
  collect(self);
  flush_when_idle(self, self->state.flush_scheduled, [self] { flush(self); });
}

cluster_members members(scheduler_self* self) {
  auto& s = self->state;
  cluster_members m;
  m.tasks = s.state.task_count();
  for (const auto& [id, actor] : s.workers) {
    if (const auto* info = s.state.info_of(id)) m.info.workers.push_back(*info);
    m.ids.push_back(id);
    m.actors.push_back(actor);
  }
  return m;
}

// The worker is gone (its connection dropped, or its nanny said it ended).
void drop_worker(scheduler_self* self, worker_id id) {
  auto& s = self->state;
  auto found = s.workers.find(id);
  if (found == s.workers.end()) return;
  s.worker_ids.erase(found->second.address());
  s.workers.erase(found);
  s.orders.erase(id);
  s.orders_sent.erase(id);
  // Before the orders that follow from it, so fetches from it fail before they are redone.
  TROUPE_CLUSTER_SEND();
  for (const auto& [other, worker] : s.workers) self->send(worker, worker_gone{id});
  s.state.remove_worker(id);
}

caf::behavior scheduler_behavior(scheduler_self* self, scheduler_timeouts timeouts) {
  self->set_down_handler([self](const caf::down_msg& down) {
    TROUPE_CLUSTER_TURN();
    auto& s = self->state;
    if (auto w = s.worker_ids.find(down.source); w != s.worker_ids.end()) {
      drop_worker(self, w->second);
    } else if (auto c = s.client_ids.find(down.source); c != s.client_ids.end()) {
      auto id = c->second;
      s.client_ids.erase(c);
      s.clients.erase(id);
      s.client_functions.erase(id);
      s.events.erase(id);
      s.state.remove_client(id);
    }
    after(self);
  });
  return {
      [self](client_hello& hello) -> caf::result<std::uint64_t> {
        TROUPE_CLUSTER_TURN();
        auto& s = self->state;
        for (const auto& id : s.state.workers()) {
          const auto* info = s.state.info_of(id);
          auto differ = signature_differences(hello.functions, info->functions);
          if (!differ.empty())
            return caf::make_error(caf::sec::runtime_error,
                                   "worker " + info->address + " registers functions differently "
                                   "from this client: " + differ +
                                   "; run the same code on both (rebuild the workers)");
        }
        auto id = s.state.add_client(hello.name);
        s.client_functions[id] = hello.functions;
        s.clients[id] = hello.client;
        s.client_ids[hello.client.address()] = id;
        self->monitor(hello.client);
        return id;
      },
      [self](worker_hello& hello) -> caf::result<std::uint64_t> {
        TROUPE_CLUSTER_TURN();
        auto& s = self->state;
        for (const auto& [client, functions] : s.client_functions) {
          auto differ = signature_differences(hello.info.functions, functions);
          if (!differ.empty())
            return caf::make_error(caf::sec::runtime_error,
                                   "this worker registers functions differently from a client: " +
                                       differ + "; run the same code on both (rebuild the worker)");
        }
        auto id = s.state.add_worker(hello.info);
        s.workers[id] = hello.worker;
        s.worker_ids[hello.worker.address()] = id;
        self->monitor(hello.worker);
        // Who is who, before any order that names a worker: all to the new one, it to the rest.
        worker_directory everyone;
        for (const auto& [other, worker] : s.workers) {
          everyone.ids.push_back(other);
          everyone.actors.push_back(worker);
          everyone.data_addresses.push_back(s.state.info_of(other)->data_address);
          TROUPE_CLUSTER_SEND();
          if (other != id)
            self->send(worker, worker_directory{{id}, {hello.worker}, {hello.info.data_address}});
        }
        TROUPE_CLUSTER_SEND();
        self->send(hello.worker, std::move(everyone));
        TROUPE_CLUSTER_SEND();
        for (const auto& library : s.libraries) self->send(hello.worker, library);
        after(self);
        return id;
      },
      [self](update_graph& update) {
        TROUPE_CLUSTER_TURN();
        self->state.state.update_graph(update.client, std::move(update.tasks), update.wanted);
        after(self);
      },
      [self](release_keys& release) {
        TROUPE_CLUSTER_TURN();
        self->state.state.release_keys(release.client, release.keys);
        after(self);
      },
      [self](cancel_keys& cancel) {
        TROUPE_CLUSTER_TURN();
        self->state.state.cancel_keys(cancel.client, cancel.keys);
        after(self);
      },
      [self](retry_keys& retry) {
        TROUPE_CLUSTER_TURN();
        self->state.state.retry_keys(retry.client, retry.keys);
        after(self);
      },
      [self](data_placed& placed) {
        TROUPE_CLUSTER_TURN();
        for (std::size_t i = 0; i < placed.keys.size(); ++i)
          self->state.state.data_placed(placed.client, placed.keys[i], placed.nbytes[i],
                                        placed.workers[i]);
        after(self);
      },
      [self](worker_report& report) {
        TROUPE_CLUSTER_TURN();
        auto& s = self->state;
        for (std::size_t i = 0; i < report.finished.size(); ++i) {
          const auto& done = report.finished[i];
          s.state.task_finished(report.worker, done.key, done.nbytes, done.ref,
                                static_cast<std::int64_t>(i));
        }
        for (auto& failure : report.failed) s.state.task_failed(report.worker, std::move(failure));
        for (auto& missing : report.missing)
          s.state.task_missing(report.worker, missing.key, missing.input,
                               missing.failed_holders);
        if (!report.given_back.empty()) s.state.tasks_given_back(report.worker, report.given_back);
        s.current_report = &report;
        after(self);
        s.current_report = nullptr;
      },
      [self](const worker_idle& idle) {
        TROUPE_CLUSTER_TURN();
        auto& s = self->state;
        if (s.orders_sent[idle.worker] != idle.orders) return;  // orders still on the way
        if (s.state.processing_count(idle.worker) == 0) return;
        s.state.worker_idle(idle.worker);
        after(self);
      },
      [self](const who_has_request& request) -> holders {
        TROUPE_CLUSTER_TURN();
        auto& s = self->state;
        holders reply;
        for (const auto& key : request.keys) {
          std::vector<caf::actor> actors;
          std::string data_address;
          for (auto id : s.state.who_has(key)) {
            auto found = s.workers.find(id);
            if (found == s.workers.end()) continue;
            if (actors.empty()) data_address = s.state.info_of(id)->data_address;
            actors.push_back(found->second);
          }
          reply.actors.push_back(std::move(actors));
          reply.data_addresses.push_back(std::move(data_address));
          reply.nbytes.push_back(s.state.nbytes_of(key));
        }
        return reply;
      },
      [self](const info_request&) -> cluster_members {
        TROUPE_CLUSTER_TURN();
        return members(self);
      },
      [self, timeouts](upload_library& library) -> caf::result<std::string> {
        TROUPE_CLUSTER_TURN();
        auto& s = self->state;
        s.libraries.push_back(library);
        if (s.workers.empty()) return std::string();
        // Answered once every worker has loaded it (or failed to), naming those that failed.
        auto promise = self->make_response_promise<std::string>();
        auto pending = std::make_shared<std::size_t>(s.workers.size());
        auto failures = std::make_shared<std::string>();
        for (const auto& [id, worker] : s.workers) {
          auto address = s.state.info_of(id) ? s.state.info_of(id)->address : std::string("?");
          auto done = [promise, pending, failures, address](const std::string& why) mutable {
            TROUPE_CLUSTER_TURN();
            if (!why.empty()) *failures += (failures->empty() ? "" : "; ") + address + ": " + why;
            TROUPE_CLUSTER_SEND();
            if (--*pending == 0) promise.deliver(*failures);
          };
          TROUPE_CLUSTER_SEND();
          self->request(worker, timeouts.upload, library)
              .then([done](std::string& why) mutable { done(why); },
                    [done](caf::error& e) mutable { done("no answer (" + to_string(e) + ")"); });
        }
        return promise;
      },
      [self](flush_atom) {
        TROUPE_CLUSTER_TURN();
        self->state.flush_scheduled = false;
        flush(self);
      },
      [self](const nanny_report& report) -> std::string {
        TROUPE_CLUSTER_TURN();
        auto& s = self->state;
        std::cerr << "troupe scheduler: the nanny of " << report.worker << " (" << report.nanny
                  << ") says its worker process (pid " << report.pid << ") " << report.what
                  << (report.restarting ? "; it starts a new one" : "; it does not restart it")
                  << std::endl;
        for (const auto& id : s.state.workers()) {
          const auto* info = s.state.info_of(id);
          if (info->name == report.worker && info->pid == report.pid) {
            drop_worker(self, id);
            after(self);
            break;
          }
        }
        return "";
      },
      [self, timeouts](describe_atom) -> caf::result<std::string> {
        TROUPE_CLUSTER_TURN();
        // The scheduler's account, then each worker's, gathered with a short timeout.
        auto promise = self->make_response_promise<std::string>();
        auto text = std::make_shared<std::string>(self->state.state.describe());
        auto pending = std::make_shared<std::size_t>(self->state.workers.size());
        if (*pending == 0) return *text;
        for (const auto& [id, worker] : self->state.workers) {
          TROUPE_CLUSTER_SEND();
          self->request(worker, timeouts.describe, describe_atom::value)
              .then(
                  [promise, text, pending](std::string& part) mutable {
                    TROUPE_CLUSTER_TURN();
                    *text += part;
                    TROUPE_CLUSTER_SEND();
                    if (--*pending == 0) promise.deliver(*text);
                  },
                  [promise, text, pending](caf::error&) mutable {
                    TROUPE_CLUSTER_TURN();
                    *text += "  (a worker did not answer)\n";
                    TROUPE_CLUSTER_SEND();
                    if (--*pending == 0) promise.deliver(*text);
                  });
        }
        return promise;
      },
      [self](shutdown_atom) {
        TROUPE_CLUSTER_TURN();
        flush(self);
        TROUPE_CLUSTER_SEND();
        for (auto& [id, worker] : self->state.workers) self->send(worker, shutdown_atom::value);
        self->quit();
      },
  };
}

}  // namespace

caf::actor spawn_scheduler(caf::actor_system& system, scheduler_timeouts timeouts) {
  return system.spawn(scheduler_behavior, timeouts);
}

}  // namespace troupe::cluster
