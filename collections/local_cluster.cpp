#include "collections/local_cluster.hpp"

#include <dlfcn.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "collections/client.hpp"
#include "collections/nanny.hpp"
#include "core/buffer_pool.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "gpu/nvml.hpp"

namespace troupe {

namespace {

volatile std::sig_atomic_t stop_signal = 0;

void on_stop_signal(int) { stop_signal = 1; }

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool stop_requested() noexcept { return stop_signal != 0; }

std::string self_executable() {
  char path[4096];
  auto n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) throw ArgumentError("cannot find this program's path in /proc/self/exe");
  return std::string(path, static_cast<std::size_t>(n));
}

pid_t spawn_child(const std::vector<std::string>& argv,
                  const std::vector<std::pair<std::string, std::string>>& env) {
  auto parent = getpid();
  auto pid = fork();
  if (pid < 0) throw ArgumentError(std::string("cannot start a process: ") + std::strerror(errno));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);  // the parent died before prctl
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

void stop_child(pid_t pid, std::chrono::milliseconds grace) {
  kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, nullptr, WNOHANG) != 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "exit code " + std::to_string(WEXITSTATUS(status));
}

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value ? value : fallback;
}

std::uint64_t physical_memory() {
  return static_cast<std::uint64_t>(sysconf(_SC_PHYS_PAGES)) *
         static_cast<std::uint64_t>(sysconf(_SC_PAGE_SIZE));
}

}  // namespace

std::uint64_t parse_memory_limit(const std::string& text, std::size_t workers_sharing) {
  std::string t;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) t += static_cast<char>(std::tolower(c));
  if (t == "auto") return physical_memory() / std::max<std::size_t>(1, workers_sharing);
  if (t == "0" || t == "none" || t.empty()) return 0;
  auto fail = [&]() -> std::uint64_t {
    throw ArgumentError("bad memory limit '" + text +
                        "': write a size such as 4GiB, 500MB or 2e9, or auto, or 0 for none");
  };
  std::size_t used = 0;
  double number = 0;
  try {
    number = std::stod(t, &used);
  } catch (const std::exception&) {
    return fail();
  }
  auto unit = t.substr(used);
  double scale = 0;
  if (unit.empty() || unit == "b") scale = 1;
  else if (unit == "kb") scale = 1e3;
  else if (unit == "mb") scale = 1e6;
  else if (unit == "gb") scale = 1e9;
  else if (unit == "tb") scale = 1e12;
  else if (unit == "kib") scale = 1024.0;
  else if (unit == "mib") scale = 1024.0 * 1024;
  else if (unit == "gib") scale = 1024.0 * 1024 * 1024;
  else if (unit == "tib") scale = 1024.0 * 1024 * 1024 * 1024;
  else return fail();
  if (!std::isfinite(number) || number < 0) return fail();
  // A plain number up to 1 is a fraction of this machine's memory, as in Dask.
  const auto bytes = unit.empty() && number <= 1
                         ? static_cast<std::uint64_t>(number * static_cast<double>(physical_memory()))
                         : static_cast<std::uint64_t>(number * scale);
  if (bytes < minimum_memory_limit)
    throw ArgumentError("memory limit '" + text + "' is " + std::to_string(bytes >> 20) +
                        " MiB: a worker needs " + std::to_string(minimum_memory_limit >> 20) +
                        " MiB or more to start (its code, threads and buffers), and the nanny "
                        "would restart it forever; give at least " +
                        std::to_string(minimum_memory_limit >> 20) + "MiB, auto, or 0 for none");
  return bytes;
}

void load_library(const std::string& path) {
  if (dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr)
    throw ArgumentError("cannot load '" + path + "': " + dlerror());
}

void running_cluster::stop() {
  if (node) node->shutdown();
  stop_children();
  node.reset();
}

void running_cluster::stop_children() noexcept {
  for (auto pid : children) stop_child(pid, std::chrono::seconds(5));
  children.clear();
}

std::unique_ptr<running_cluster> start_local_cluster(const LocalCluster& options) {
  if (std::getenv("TROUPE_ROLE") != nullptr)
    throw ArgumentError(
        "this process was started by a LocalCluster as a worker, but its main did not call "
        "troupe::init(argc, argv) first: add it at the top of main");
  const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  std::size_t n = options.n_workers;
  if (n == 0) n = options.processes ? std::min<std::size_t>(cores, 4) : 1;
  std::size_t threads = options.threads_per_worker;
  if (threads == 0) threads = std::max<std::size_t>(1, cores / n);
  if (n > 256 || threads > 1024)
    throw ArgumentError("LocalCluster: n_workers must be 1 to 256 and threads_per_worker 1 to "
                        "1024");
  auto memory = parse_memory_limit(options.memory_limit, n);

  auto cluster = std::make_unique<running_cluster>();
  cluster->node = std::make_unique<cluster::cluster_node>(2);
  if (!options.processes) {
    cluster->address = cluster->node->start_scheduler("", 0, false);
    for (std::size_t i = 0; i < n; ++i) {
      cluster::worker_info info;
      info.name = "worker-" + std::to_string(i);
      info.nthreads = static_cast<std::uint32_t>(threads);
      info.memory_limit = memory;
      info.gpu = gpu::describe(gpu::visible_gpus());
      cluster->node->start_worker(cluster->address, info);
    }
    return cluster;
  }
  cluster->address = cluster->node->start_scheduler(options.host, options.scheduler_port);
  auto exe = self_executable();
  for (std::size_t i = 0; i < n; ++i) {
    cluster->children.push_back(spawn_child(
        {exe}, {{"TROUPE_ROLE", options.nanny ? "nanny" : "worker"},
                {"TROUPE_SCHEDULER_ADDRESS", cluster->address},
                {"TROUPE_WORKER_NAME", "worker-" + std::to_string(i)},
                {"TROUPE_WORKER_THREADS", std::to_string(threads)},
                {"TROUPE_WORKER_MEMORY", std::to_string(memory)},
                {"TROUPE_WORKER_HOST", options.host}}));
  }
  // Wait for every worker to join; a child that ends first is an error that says why.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (cluster->node->scheduler_worker_count() < n) {
    for (auto pid : cluster->children) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        cluster->children.erase(std::find(cluster->children.begin(), cluster->children.end(), pid));
        throw ArgumentError("a LocalCluster worker process ended before joining (" +
                            describe_exit(status) + "); its messages are above");
      }
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw TimeoutError("the LocalCluster's " + std::to_string(n) +
                         " workers did not all join within 60 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cluster;
}

namespace {

/// How long a worker that is told to stop, or whose scheduler went away, waits for its
/// running tasks before it leaves anyway: they go to other workers, as after a crash.
constexpr auto worker_stop_grace = std::chrono::seconds(3);

/// Ends the process once `grace` has passed, unless it ended before.
void exit_after(std::chrono::seconds grace) {
  std::thread([grace] {
    std::this_thread::sleep_for(grace);
    std::_Exit(0);
  }).detach();
}

/// A worker asked to stop (SIGINT, SIGTERM, or its parent's death) leaves within the grace even
/// when a task still runs or it is still connecting to its scheduler.
void exit_soon_after_stop_request() {
  std::thread([] {
    while (!stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    exit_after(worker_stop_grace);
  }).detach();
}

}  // namespace

int run_worker_process(const worker_process_options& options) {
  install_stop_handlers();
  exit_soon_after_stop_request();
  for (const auto& library : options.preload) load_library(library);
  // Freed chunk buffers the pool keeps count against the worker's memory like any other: at
  // most an eighth of its limit, unless the pool's limit was set explicitly.
  if (options.memory_limit > 0 && !config::get("buffer-pool-limit"))
    buffer_pool::set_limit(std::min<std::size_t>(buffer_pool::limit(), options.memory_limit / 8));
  cluster::cluster_node node(2);
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options.nworkers); ++i) {
    cluster::worker_info info;
    info.name = options.nworkers > 1 ? options.name + "-" + std::to_string(i) : options.name;
    info.nthreads = static_cast<std::uint32_t>(std::max<std::size_t>(1, options.nthreads));
    info.memory_limit = options.memory_limit;
    info.gpu = gpu::describe(gpu::visible_gpus());
    info.host = options.host;
    info.nanny = options.nanny.empty() ? env_or("TROUPE_WORKER_NANNY", "") : options.nanny;
    node.start_worker(options.scheduler, info);
  }
  while (!stop_requested() && node.running_workers() > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // A LocalCluster's workers (TROUPE_ROLE set) end this way whenever it closes: say it only
  // for a worker started by hand, where the scheduler going away is news.
  if (!stop_requested() && std::getenv("TROUPE_ROLE") == nullptr)
    std::cerr << "troupe worker " << options.name << ": the scheduler at " << options.scheduler
              << " is gone; stopping" << std::endl;
  exit_after(worker_stop_grace);  // a task still running must not hold the process
  node.shutdown();
  return 0;
}

void init(int, char**) {
  const char* role = std::getenv("TROUPE_ROLE");
  if (role == nullptr) return;
  std::string r = role;
  int code = 2;
  try {
    if (r == "nanny") {
      setenv("TROUPE_ROLE", "worker", 1);
      nanny_options nanny;
      nanny.command = {self_executable()};
      nanny.worker_name = env_or("TROUPE_WORKER_NAME", "worker");
      nanny.scheduler = env_or("TROUPE_SCHEDULER_ADDRESS", "");
      nanny.memory_limit = std::stoull(env_or("TROUPE_WORKER_MEMORY", "0"));
      code = run_nanny(nanny);
    } else if (r == "worker") {
      worker_process_options options;
      options.scheduler = env_or("TROUPE_SCHEDULER_ADDRESS", "");
      options.name = env_or("TROUPE_WORKER_NAME", "worker");
      options.nthreads = std::stoul(env_or("TROUPE_WORKER_THREADS", "1"));
      options.memory_limit = std::stoull(env_or("TROUPE_WORKER_MEMORY", "0"));
      options.host = env_or("TROUPE_WORKER_HOST", "127.0.0.1");
      code = run_worker_process(options);
    } else {
      std::cerr << "troupe: unknown TROUPE_ROLE '" << r << "' (worker or nanny)\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "troupe " << r << ": " << e.what() << '\n';
    code = 2;
  }
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(code);  // without static destructors: the user's main never ran
}

}  // namespace troupe
