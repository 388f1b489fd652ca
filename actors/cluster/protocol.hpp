#pragma once
// The messages between the client, scheduler and worker actors of a cluster. Every one has a
// CAF type id (add_protocol_types) and an `inspect`, so the same actors talk the same way in one
// actor system (where CAF does not serialise: values and functions stay shared pointers) and
// across processes and hosts (where values travel as their encoding and functions by name).
// No message holds a raw pointer.
//
// Include only from actors/cluster/*.cpp: this header pulls in CAF.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/cluster/spec.hpp"

namespace troupe {

// In troupe's namespace, where CAF's argument-dependent lookup finds it.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_failure& x) {
  return f(caf::meta::type_name("troupe.task_failure"), x.key, x.type_name, x.message,
           x.traceback);
}

}  // namespace troupe

namespace troupe::cluster {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_value& x) {
  if constexpr (Inspector::reads_state) {
    std::string bytes = x.error.empty() ? x.value.encode() : std::string();
    return f(caf::meta::type_name("troupe.wire_value"), bytes);
  } else {
    std::string bytes;
    return f(caf::meta::type_name("troupe.wire_value"), bytes,
             caf::meta::load_callback([&]() -> caf::error {
               try {
                 x.value = Value::decode(bytes);
               } catch (const std::exception& e) {
                 x.error = e.what();
               }
               return caf::none;
             }));
  }
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_function& x) {
  if constexpr (Inspector::reads_state) {
    std::string name = x.name();
    return f(caf::meta::type_name("troupe.wire_function"), name);
  } else {
    std::string name;
    return f(caf::meta::type_name("troupe.wire_function"), name,
             caf::meta::load_callback([&]() -> caf::error {
               try {
                 x.function = find_function(name);
               } catch (const std::exception&) {
                 x.function = nullptr;  // a name claimed twice: the worker reports it
               }
               if (!x.function) x.missing = name;
               return caf::none;
             }));
  }
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_arg& x) {
  return f(caf::meta::type_name("troupe.wire_arg"), x.kind, x.key, x.value, x.items);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_spec& x) {
  return f(caf::meta::type_name("troupe.task_spec"), x.key, x.function, x.args, x.dependencies,
           x.priority, x.order, x.retries, x.workers, x.ref);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_info& x) {
  return f(caf::meta::type_name("troupe.worker_info"), x.name, x.address, x.nanny, x.host,
           x.nthreads, x.memory_limit, x.pid, x.gpu, x.functions, x.data_address);
}

struct cluster_info {
  std::string scheduler;  ///< the scheduler's address
  std::vector<worker_info> workers;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_info& x) {
  return f(caf::meta::type_name("troupe.cluster_info"), x.scheduler, x.workers);
}

// --- client -> scheduler ------------------------------------------------------------------------

/// Request, answered with the client's id: a client joins.
struct client_hello {
  std::string name;
  caf::actor client;
  std::string functions;  ///< fingerprint of the client's registered functions
};

/// Add tasks (keys already known are not replaced) and want some keys (one count each).
struct update_graph {
  std::uint64_t client = 0;
  std::vector<task_spec> tasks;
  std::vector<std::string> wanted;
};

/// The client no longer wants these keys (one count each).
struct release_keys {
  std::uint64_t client = 0;
  std::vector<std::string> keys;
};

/// Stop computing these keys for the client; they complete as cancelled.
struct cancel_keys {
  std::uint64_t client = 0;
  std::vector<std::string> keys;
};

/// Run these erred keys again.
struct retry_keys {
  std::uint64_t client = 0;
  std::vector<std::string> keys;
};

/// The client put these values on workers itself (scatter): key i is on workers[i].
struct data_placed {
  std::uint64_t client = 0;
  std::vector<std::string> keys;
  std::vector<std::uint64_t> nbytes;
  std::vector<std::vector<std::uint64_t>> workers;
};

/// Request: which workers hold these keys; answered with holders (one list per key, empty for
/// a key held nowhere).
struct who_has_request {
  std::vector<std::string> keys;
};

struct holders {
  std::vector<std::vector<caf::actor>> actors;
  /// Per key, the data plane of its first holder ("" without one) and its size: values of at
  /// least data_plane_threshold bytes are fetched from there.
  std::vector<std::string> data_addresses;
  std::vector<std::uint64_t> nbytes;
};

/// Values this large or larger move over the data plane (net/data_plane.hpp) where the holder
/// has one; smaller ones inside a CAF message. Measured here (bench_transfer --kib, medians of
/// 7, worker to worker): with connections kept between fetches the data plane takes 1.20 ms
/// at 64 KiB and 1.25 ms at 256 KiB against 1.25 and 1.51 ms in a message; opening a
/// connection per fetch it was slower below 1 MiB. The same size as the inline result limit.
inline constexpr std::uint64_t data_plane_threshold = 1 << 16;

/// Request: the cluster's workers, answered with cluster_info plus their actors.
struct info_request {};

struct cluster_members {
  cluster_info info;
  std::uint64_t tasks = 0;  ///< keys in the scheduler's task table
  std::vector<std::uint64_t> ids;
  std::vector<caf::actor> actors;
};

// --- scheduler -> client ------------------------------------------------------------------------

struct key_event {
  enum status_type : std::uint8_t { finished = 0, erred = 1, cancelled = 2, lost = 3 };
  std::string key;
  std::uint8_t status = finished;
  bool has_value = false;  ///< a small result travels with the event
  wire_value value;
  task_failure failure;
};

struct key_events {
  std::vector<key_event> events;
};

// --- worker <-> scheduler -----------------------------------------------------------------------

/// Request, answered with the worker's id or an error (for example functions that differ).
struct worker_hello {
  worker_info info;
  caf::actor worker;
};

struct finished_task {
  std::string key;
  std::uint64_t ref = 0;  ///< the dispatched task_spec::ref
  std::uint64_t nbytes = 0;
  bool has_value = false;  ///< small results travel inline, for clients that want them
  wire_value value;
};

/// A task given back: its input `input` could not be fetched from any holder it was told of.
/// The holders that were asked and gave nothing are listed by worker id: the scheduler stops
/// counting them as holders (as Dask's missing-data report does), so the task is not sent
/// back to the same dead end.
struct missing_input {
  std::string key;
  std::string input;
  std::vector<std::uint64_t> failed_holders;
};

struct worker_report {
  std::uint64_t worker = 0;
  std::vector<finished_task> finished;
  std::vector<task_failure> failed;
  std::vector<missing_input> missing;  ///< tasks that could not fetch a dependency
  /// Tasks given back on a steal request (not started here); the rest of those asked for had
  /// started and stay.
  std::vector<std::string> given_back;
};

struct task_assignment {
  task_spec spec;
  /// Per dependency, the ids of the workers that hold it (worker_directory names them). Ids,
  /// not actor handles: a handle of a worker that died meanwhile made CAF drop the message.
  std::vector<std::vector<std::uint64_t>> holders;
  std::vector<std::uint64_t> input_nbytes;       ///< per dependency
  bool send_value = false;                      ///< report a small result inline
};

/// scheduler -> workers: the workers of the cluster by id (all of them to one that joins, the
/// new one to the others), sent before any order that names them.
struct worker_directory {
  std::vector<std::uint64_t> ids;
  std::vector<caf::actor> actors;
  std::vector<std::string> data_addresses;  ///< each one's data plane ("" without one)
};

/// scheduler -> workers: a worker left the cluster. Its peers fail their fetches from it at
/// once (they are not told by CAF when they reached it through the scheduler's node).
struct worker_gone {
  std::uint64_t worker = 0;
};

/// worker -> scheduler, about once a second while the worker has nothing assigned: after
/// `orders` order messages. When the scheduler sent exactly that many, whatever it still
/// counts as processing there was lost on the way (a race it did not foresee) and runs again.
struct worker_idle {
  std::uint64_t worker = 0;
  std::uint64_t orders = 0;
};

/// The worker applies `release` before `compute` (see worker_actor.cpp for why).
struct worker_orders {
  std::vector<task_assignment> compute;
  std::vector<std::string> release;  ///< drop these keys (data, or tasks not yet run)
  std::vector<std::string> steal;    ///< give these back if not started (worker_report)
};

// --- data between workers and clients --------------------------------------------------------------

/// Request, answered with data_reply: the values of these keys.
struct get_data {
  std::vector<std::string> keys;
};

struct data_reply {
  std::vector<std::string> keys;
  std::vector<wire_value> values;
  std::vector<std::string> missing;
};

/// Request, answered with nbytes per key: keep these values (scatter).
struct put_data {
  std::vector<std::string> keys;
  std::vector<wire_value> values;
};

struct put_reply {
  std::vector<std::uint64_t> nbytes;
};

/// Request, answered with "" or what went wrong: load this library (client -> scheduler ->
/// every worker, and every later worker when it joins), as Client.upload_file does.
struct upload_library {
  std::string name;   ///< its file name, for messages and the local copy
  std::string bytes;  ///< the file
};

// Field lists for CAF.
#define TROUPE_INSPECT(type, ...)                                                  \
  template <class Inspector>                                                       \
  typename Inspector::result_type inspect(Inspector& f, type& x) {                 \
    return f(caf::meta::type_name("troupe." #type), __VA_ARGS__);                 \
  }
TROUPE_INSPECT(client_hello, x.name, x.client, x.functions)
TROUPE_INSPECT(update_graph, x.client, x.tasks, x.wanted)
TROUPE_INSPECT(release_keys, x.client, x.keys)
TROUPE_INSPECT(cancel_keys, x.client, x.keys)
TROUPE_INSPECT(retry_keys, x.client, x.keys)
TROUPE_INSPECT(data_placed, x.client, x.keys, x.nbytes, x.workers)
TROUPE_INSPECT(who_has_request, x.keys)
TROUPE_INSPECT(holders, x.actors, x.data_addresses, x.nbytes)
TROUPE_INSPECT(cluster_members, x.info, x.tasks, x.ids, x.actors)
TROUPE_INSPECT(key_event, x.key, x.status, x.has_value, x.value, x.failure)
TROUPE_INSPECT(key_events, x.events)
TROUPE_INSPECT(worker_hello, x.info, x.worker)
TROUPE_INSPECT(finished_task, x.key, x.ref, x.nbytes, x.has_value, x.value)
TROUPE_INSPECT(nanny_report, x.worker, x.pid, x.nanny, x.what, x.restarting)
TROUPE_INSPECT(missing_input, x.key, x.input, x.failed_holders)
TROUPE_INSPECT(worker_report, x.worker, x.finished, x.failed, x.missing, x.given_back)
TROUPE_INSPECT(task_assignment, x.spec, x.holders, x.input_nbytes, x.send_value)
TROUPE_INSPECT(worker_orders, x.compute, x.release, x.steal)
TROUPE_INSPECT(get_data, x.keys)
TROUPE_INSPECT(data_reply, x.keys, x.values, x.missing)
TROUPE_INSPECT(put_data, x.keys, x.values)
TROUPE_INSPECT(put_reply, x.nbytes)
TROUPE_INSPECT(upload_library, x.name, x.bytes)
TROUPE_INSPECT(worker_gone, x.worker)
TROUPE_INSPECT(worker_directory, x.ids, x.actors, x.data_addresses)
TROUPE_INSPECT(worker_idle, x.worker, x.orders)
#undef TROUPE_INSPECT

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, info_request&) {
  return f(caf::meta::type_name("troupe.info_request"));
}

/// Registers every message type above with a config, before its actor system is made.
void add_protocol_types(caf::actor_system_config& config);

using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using describe_atom = caf::atom_constant<caf::atom("describe")>;
using idle_check_atom = caf::atom_constant<caf::atom("idlecheck")>;

}  // namespace troupe::cluster
