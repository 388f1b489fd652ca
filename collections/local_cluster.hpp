#pragma once
// LocalCluster's moving parts, and the worker and nanny processes: a scheduler in this
// process, and workers either as actors here or as child processes (each under a nanny that
// restarts it when it dies). Child processes are this same executable, diverted into worker
// or nanny mode by troupe::init(argc, argv) through TROUPE_ROLE in their environment.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "actors/cluster/node.hpp"

namespace troupe {

struct LocalCluster;

struct running_cluster {
  std::unique_ptr<cluster::cluster_node> node;
  std::string address;
  std::vector<pid_t> children;  ///< nannies (or workers without nannies)
  /// Stops the scheduler and the workers, and waits for the child processes (SIGKILL after
  /// a grace period). Idempotent.
  void stop();
  /// Stops the child processes only (safe at exit, where the actor system must be left be).
  void stop_children() noexcept;
  ~running_cluster() { stop(); }
};

std::unique_ptr<running_cluster> start_local_cluster(const LocalCluster& options);

/// The smallest memory limit a worker takes: below it a worker could not even start, and its
/// nanny would restart it forever.
inline constexpr std::uint64_t minimum_memory_limit = std::uint64_t{128} << 20;

/// "4GiB", "500 MB", "2e9", "0.5" (a fraction of this machine's memory, as in Dask), "auto"
/// (this machine's memory / workers), "0" or "none" (no limit): bytes. ArgumentError names a
/// bad value, or one below minimum_memory_limit, and the accepted forms.
std::uint64_t parse_memory_limit(const std::string& text, std::size_t workers_sharing);

struct worker_process_options {
  std::string scheduler;
  std::string name;
  std::size_t nthreads = 1;
  std::size_t nworkers = 1;  ///< workers in this process (each with nthreads threads)
  std::uint64_t memory_limit = 0;
  std::string host = "127.0.0.1";
  std::string nanny;                 ///< the nanny's description, "" without one
  std::vector<std::string> preload;  ///< libraries to load first
};

/// Runs a worker in this process until its scheduler goes away, it is told to stop, or
/// SIGINT/SIGTERM. Returns the process's exit code (0 when stopped cleanly).
int run_worker_process(const worker_process_options& options);

/// Sends SIGTERM, waits up to `grace`, then SIGKILL; reaps the child.
void stop_child(pid_t pid, std::chrono::milliseconds grace);
/// "exit code N" or "killed by signal N", from a waitpid status.
std::string describe_exit(int status);

/// SIGINT and SIGTERM set a flag that stop_requested() reads, instead of ending the process.
void install_stop_handlers();
bool stop_requested() noexcept;

/// This program's path (/proc/self/exe), to start it again as a child.
std::string self_executable();

/// Starts `argv` as a child process that gets SIGTERM when this process ends.
pid_t spawn_child(const std::vector<std::string>& argv,
                  const std::vector<std::pair<std::string, std::string>>& env = {});

/// Loads a shared library so its TROUPE_FUNCTION registrations run; ArgumentError on failure.
void load_library(const std::string& path);

}  // namespace troupe
