#pragma once
// The nanny: a process that runs one worker process, watches it, and starts it again when it
// dies or goes past its memory limit, telling the scheduler each time (as Dask's nanny does).

#include <cstdint>
#include <string>
#include <vector>

namespace troupe {

struct nanny_options {
  std::vector<std::string> command;  ///< the worker process's argv
  std::string worker_name;
  std::string scheduler;  ///< tcp://HOST:PORT, told when the worker ends ("" = nobody)
  /// The worker's memory limit in bytes (0 = none): past `terminate_fraction` of it, measured
  /// as the process's resident memory, the nanny kills and restarts the worker.
  std::uint64_t memory_limit = 0;
  double terminate_fraction = 0.95;  ///< Dask's distributed.worker.memory.terminate
};

/// Runs the worker again and again until it exits with 0 (stopped cleanly) or 2 (a setting no
/// restart can fix), it fails 5 times within 2 s of starting, or this process gets SIGINT or
/// SIGTERM (then it stops the worker). Returns 0, or the worker's last failing code.
int run_nanny(const nanny_options& options);

/// Resident memory of a process in bytes (from /proc/PID/statm), 0 when it cannot be read.
std::uint64_t resident_bytes(int pid);

}  // namespace troupe
