#include "cli/cluster_commands.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include "actors/cluster/node.hpp"
#include "collections/local_cluster.hpp"
#include "collections/nanny.hpp"
#include "core/error.hpp"
#include "net/address.hpp"

namespace troupe::cli {

namespace {

volatile std::sig_atomic_t describe_requested = 0;

int fail(std::ostream& err, const std::string& command, const std::string& message) {
  err << "troupe " << command << ": error: " << message << '\n';
  return 2;
}

// Parses with CLI11; true when --help was printed. ArgumentError for a bad flag.
bool parse(CLI::App& app, const std::vector<std::string>& args, std::ostream& out) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return true;
  } catch (const CLI::ParseError& e) {
    throw ArgumentError(std::string(e.what()) + " (see " + app.get_name() + " --help)");
  }
  return false;
}

}  // namespace

int scheduler_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string host;
  int port = 8786;
  CLI::App app("Runs a troupe scheduler: clients send it work and workers join it. It prints "
               "'Scheduler at: tcp://HOST:PORT' and serves until SIGINT or SIGTERM.",
               "troupe scheduler");
  app.add_option("--host", host, "address to serve on (default: every interface)");
  app.add_option("--port", port, "TCP port, 0 for any free one")
      ->check(CLI::Range(0, 65535))
      ->default_val(8786);
  try {
    if (parse(app, args, out)) return 0;
    install_stop_handlers();
    std::signal(SIGUSR1, [](int) { describe_requested = 1; });
    cluster::cluster_node node(2);
    auto address = node.start_scheduler(host, port);
    out << "Scheduler at: " << address << std::endl;
    while (!stop_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (describe_requested != 0) {  // kill -USR1: the scheduler's state on stderr
        describe_requested = 0;
        err << node.describe_scheduler() << std::flush;
      }
    }
    node.shutdown();
    out << "Scheduler at " << address << " stopped" << std::endl;
    return 0;
  } catch (const std::exception& e) {
    return fail(err, "scheduler", e.what());
  }
}

int worker_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  worker_process_options options;
  std::string memory = "auto";
  bool no_nanny = false;
  std::size_t nworkers = 1;
  CLI::App app("Runs troupe workers for the scheduler at ADDRESS (tcp://HOST:PORT). Each worker "
               "runs under a nanny process that restarts it when it dies, unless --no-nanny.",
               "troupe worker");
  app.add_option("ADDRESS", options.scheduler, "the scheduler, tcp://HOST:PORT")->required();
  app.add_option("--nthreads", options.nthreads, "threads per worker")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}))
      ->default_val(1);
  app.add_option("--nworkers", nworkers, "worker processes")
      ->check(CLI::Range(std::size_t{1}, std::size_t{256}))
      ->default_val(1);
  app.add_option("--memory-limit", memory,
                 "per worker: 4GiB, 500MB, auto (this machine's memory / workers), 0 for none")
      ->default_val("auto");
  app.add_option("--name", options.name, "the worker's name (default: worker-PID)");
  app.add_option("--host", options.host, "address to serve on and be reached at")
      ->default_val("127.0.0.1");
  app.add_flag("--no-nanny", no_nanny, "run the workers in this process, without nannies");
  app.add_option("--preload", options.preload, "load this library first (its TROUPE_FUNCTIONs)")
      ->allow_extra_args(false);
  try {
    if (parse(app, args, out)) return 0;
    options.scheduler = net::parse_address(options.scheduler).to_string();
    options.memory_limit = parse_memory_limit(memory, nworkers);
    if (options.name.empty()) options.name = "worker-" + std::to_string(getpid());
    for (const auto& library : options.preload)
      if (access(library.c_str(), R_OK) != 0)
        throw ArgumentError("cannot read the library '" + library + "' given to --preload");
    if (no_nanny) {
      options.nworkers = nworkers;
      return run_worker_process(options);
    }
    // A nanny process per worker, each running `troupe worker ... --no-nanny`.
    install_stop_handlers();
    std::vector<pid_t> nannies;
    for (std::size_t i = 0; i < nworkers; ++i) {
      auto name = nworkers > 1 ? options.name + "-" + std::to_string(i) : options.name;
      std::vector<std::string> command{self_executable(), "worker", options.scheduler,
                                       "--no-nanny", "--nthreads",
                                       std::to_string(options.nthreads), "--memory-limit",
                                       std::to_string(options.memory_limit), "--name", name,
                                       "--host", options.host};
      for (const auto& library : options.preload) {
        command.push_back("--preload");
        command.push_back(library);
      }
      auto pid = fork();
      if (pid == 0)
        std::_Exit(run_nanny({command, name, options.scheduler, options.memory_limit}));
      if (pid < 0) throw ArgumentError("cannot start a nanny process");
      nannies.push_back(pid);
    }
    int code = 0;
    for (auto pid : nannies) {
      int status = 0;
      while (waitpid(pid, &status, WNOHANG) == 0) {
        if (stop_requested())
          for (auto other : nannies) kill(other, SIGTERM);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (WIFEXITED(status) && WEXITSTATUS(status) != 0) code = WEXITSTATUS(status);
    }
    return code;
  } catch (const std::exception& e) {
    return fail(err, "worker", e.what());
  }
}

}  // namespace troupe::cli
