#pragma once
// What the cluster's state machines and messages are made of: tasks as the scheduler keeps
// them and workers run them, values and functions as they travel, and who a worker is. Plain
// structs with no CAF inside, so SchedulerState and WorkerState stay free of I/O; protocol.hpp
// gives them their CAF type ids and `inspect`.

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/function.hpp"
#include "core/value.hpp"

namespace troupe::cluster {

using client_id = std::uint64_t;
using worker_id = std::uint64_t;

/// A Value in a message: shared in one process, encoded (Value::encode) across processes. A
/// buffer that does not decode arrives as `error` instead of ending the receiving process.
struct wire_value {
  Value value;
  std::string error;  ///< why the received bytes did not decode ("" when they did)
};

/// A task's function: the function itself in one process, its registered name across
/// processes. A receiver that does not know the name gets nullptr and the name in `missing`.
struct wire_function {
  function_ref function;
  std::string missing;

  const std::string& name() const noexcept { return function ? function->name : missing; }
};

/// One argument of a task, flattened in pre-order: a literal, a reference to a key, or a list
/// whose items are the `items` entries that follow (each with its own items, recursively).
struct wire_arg {
  enum kind_type : std::uint8_t { literal = 0, ref = 1, list = 2 };
  std::uint8_t kind = literal;
  std::string key;
  wire_value value;
  std::uint32_t items = 0;
};

/// A task as the scheduler keeps it and workers run it.
struct task_spec {
  std::string key;
  wire_function function;
  std::vector<wire_arg> args;
  std::vector<std::string> dependencies;  ///< the keys the args refer to, each once
  std::int64_t priority = 0;              ///< the user's priority: higher runs first
  std::uint64_t order = 0;                ///< position in its graph's ordering: lower first
  std::uint32_t retries = 0;              ///< reruns allowed after the task raises
  /// Runs only on these workers (names or addresses), as Dask's workers=; empty: anywhere. A
  /// task no current worker may run waits for one that may.
  std::vector<std::string> workers;
  std::uint64_t ref = 0;  ///< set by the scheduler when it dispatches: its task's dense id
};

struct worker_info {
  std::string name;
  std::string address;  ///< where it serves: tcp://host:port, or inproc://NAME in one process
  std::string nanny;    ///< its nanny's address, "" without one
  std::string host;
  std::uint32_t nthreads = 1;
  std::uint64_t memory_limit = 0;  ///< bytes, 0 = none
  std::uint64_t pid = 0;
  std::string gpu;        ///< device name, "" without one
  std::string data_address;  ///< its data plane, tcp://host:port ("" in-process: none needed)
  std::string functions;  ///< fingerprint of its registered functions (function_fingerprint)
};

/// nanny -> scheduler, answered with "" once handled: the worker process the nanny watches
/// ended. `what` says how ("was killed by signal 9", "went past 95% of its memory limit ...");
/// `restarting` whether the nanny starts it again. The scheduler logs it and, if the worker
/// (by name and pid) still counts as a member, removes it at once instead of waiting for its
/// connection to drop.
struct nanny_report {
  std::string worker;
  std::uint64_t pid = 0;
  std::string nanny;
  std::string what;
  bool restarting = false;
};

}  // namespace troupe::cluster
