#include "collections/nanny.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <utility>
#include <thread>

#include "actors/cluster/node.hpp"
#include "collections/local_cluster.hpp"

namespace troupe {

namespace {

using clock_type = std::chrono::steady_clock;

std::string megabytes(std::uint64_t bytes) {
  return std::to_string((bytes + (1u << 19)) >> 20) + " MiB";
}

// One actor system for the message, made only when there is something to say: the nanny has
// no threads of its own while it starts worker processes.
void tell_scheduler(const nanny_options& options, pid_t worker, const std::string& what,
                    bool restarting) {
  if (options.scheduler.empty()) return;
  cluster::nanny_report report;
  report.worker = options.worker_name;
  report.pid = static_cast<std::uint64_t>(worker);
  report.nanny = "pid " + std::to_string(getpid());
  report.what = what;
  report.restarting = restarting;
  try {
    cluster::cluster_node node(1);
    if (!node.report_to_scheduler(options.scheduler, std::move(report)))
      std::cerr << "troupe nanny " << options.worker_name << ": could not tell the scheduler at "
                << options.scheduler << '\n';
  } catch (const std::exception& e) {
    std::cerr << "troupe nanny " << options.worker_name << ": could not tell the scheduler: "
              << e.what() << '\n';
  }
}

}  // namespace

std::uint64_t resident_bytes(int pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  std::uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

int run_nanny(const nanny_options& options) {
  install_stop_handlers();
  const auto terminate_at =
      static_cast<std::uint64_t>(static_cast<double>(options.memory_limit) *
                                 options.terminate_fraction);
  int quick_failures = 0;
  // How the previous worker ended, told to the scheduler once its successor runs: the
  // message may wait on a connection, and the restart must not.
  std::optional<std::pair<pid_t, std::string>> untold;
  for (;;) {
    auto started = clock_type::now();
    auto pid = spawn_child(options.command,
                           {{"TROUPE_WORKER_NANNY", "pid " + std::to_string(getpid())}});
    if (untold) tell_scheduler(options, untold->first, untold->second, true);
    untold.reset();
    int status = 0;
    std::string over_memory;  // why the nanny killed it, "" when it did not
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (stop_requested()) {
        stop_child(pid, std::chrono::seconds(5));
        return 0;
      }
      if (options.memory_limit > 0 && over_memory.empty()) {
        auto resident = resident_bytes(pid);
        if (resident > terminate_at) {
          over_memory = "used " + megabytes(resident) + ", past " +
                        std::to_string(static_cast<int>(options.terminate_fraction * 100 + 0.5)) +
                        "% of its " + megabytes(options.memory_limit) +
                        " memory limit, and was killed";
          kill(pid, SIGKILL);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 2))
      return WEXITSTATUS(status);  // stopped cleanly, or a setting that a restart cannot fix
    // A worker the nanny killed for its memory ran tasks: that is no failure to start.
    bool quick = over_memory.empty() && clock_type::now() - started < std::chrono::seconds(2);
    quick_failures = quick ? quick_failures + 1 : 0;
    auto what = over_memory.empty() ? "ended (" + describe_exit(status) + ")" : over_memory;
    if (quick_failures >= 5) {
      std::cerr << "troupe nanny " << options.worker_name << ": the worker failed 5 times at start ("
                << describe_exit(status) << "); giving up\n";
      tell_scheduler(options, pid, what + ", the fifth time within 2 s of starting", false);
      return 1;
    }
    std::cerr << "troupe nanny " << options.worker_name << ": the worker " << what
              << "; restarting it\n";
    untold = std::make_pair(pid, what);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace troupe
