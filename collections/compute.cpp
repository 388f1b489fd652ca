#include "collections/compute.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

#include "actors/sync_scheduler.hpp"
#include "actors/task_context.hpp"
#include "actors/threads_runtime.hpp"
#include "collections/client.hpp"
#include "collections/local_runtime.hpp"
#include "collections/progress_bar.hpp"
#include "core/config.hpp"

namespace troupe {

namespace {

std::size_t checked_num_workers(std::size_t n, const std::string& text, const char* source) {
  if (n == 0 || n > max_num_workers)
    throw ArgumentError("num_workers must be a whole number from 1 to " +
                        std::to_string(max_num_workers) + ", got " + text + " (from " + source +
                        ")");
  return n;
}

}  // namespace

std::size_t resolve_num_workers(const compute_options& options) {
  if (options.num_workers > 0)
    return checked_num_workers(options.num_workers, std::to_string(options.num_workers),
                               "compute_options::num_workers");
  if (auto configured = config::get("num_workers")) {
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(configured->data(), configured->data() + configured->size(), n);
    if (ec != std::errc() || end != configured->data() + configured->size()) n = 0;  // refused
    return checked_num_workers(n, "'" + *configured + "'", "troupe::config or TROUPE_NUM_WORKERS");
  }
  return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, max_num_workers);
}

std::string resolve_scheduler(const compute_options& options) {
  std::string name = options.scheduler;
  // An active Client takes a compute that names no scheduler, as in dask.distributed.
  if (name.empty() && Client::current() != nullptr) return "distributed";
  if (name.empty()) name = config::get("scheduler").value_or("threads");
  if (name == "sync" || name == "synchronous" || name == "single-threaded") return "sync";
  if (name == "threads" || name == "threading") return "threads";
  if (name == "processes" || name == "multiprocessing") return "processes";
  if (name == "distributed" || name == "dask.distributed") {
    if (Client::current() == nullptr)
      throw ArgumentError("scheduler 'distributed' needs a Client: make a troupe::Client first "
                          "(of a scheduler address, or of a LocalCluster)");
    return "distributed";
  }
  throw ArgumentError("unknown scheduler '" + name +
                      "': choose \"sync\", \"threads\", \"processes\" or \"distributed\" "
                      "(per call, with troupe::config::set(\"scheduler\", ...) or "
                      "TROUPE_SCHEDULER)");
}

namespace {

// The `processes` scheduler: a LocalCluster of worker processes started on first use and kept
// until exit, as Dask keeps its process pool. It is never destroyed: an actor system torn down
// among the static destructors at exit would use CAF objects already gone. At exit only its
// worker processes are stopped.
Client& processes_client() {
  static std::mutex mutex;
  static Client* client = nullptr;
  std::lock_guard<std::mutex> guard(mutex);
  if (client == nullptr) {
    client = new Client(LocalCluster{});
    // Not the active client: only computes that ask for `processes` go to it.
    client->deactivate();
    std::atexit([] { client->stop_processes(); });
  }
  return *client;
}

}  // namespace

namespace {

std::uint64_t tasks_in(const task_graph& graph) {
  std::uint64_t n = 0;
  for (task_index i = 0; i < graph.size(); ++i) n += graph.is_literal(i) ? 0 : 1;
  return n;
}

bool wants_progress(const compute_options& options) {
  if (options.progress) return true;
  const auto setting = config::get("progress");
  return setting && (*setting == "1" || *setting == "true");
}

}  // namespace

std::vector<Value> run_graph(std::shared_ptr<const task_graph> graph,
                             const compute_options& options) {
  // A compute inside a task on a cluster worker goes to that cluster (as worker_client).
  if (options.scheduler.empty() && options.num_workers == 0)
    if (auto* context = current_task_context())
      if (auto* cluster = context->cluster()) {
        context->secede();
        return run_graph_on(*cluster, *graph);
      }
  auto scheduler = resolve_scheduler(options);
  std::optional<progress_bar> bar;
  if ((scheduler == "sync" || scheduler == "threads") && wants_progress(options))
    bar.emplace(tasks_in(*graph));
  if (scheduler == "sync") return run_sync(*graph, options.sync_stats);
  if (scheduler == "distributed") return Client::current()->gather_values(*graph);
  if (scheduler == "processes") return processes_client().gather_values(*graph);
  // A compute inside a task runs on the runtime of the worker running that task (as
  // dask.distributed's worker_client does), unless the call names a thread count.
  if (options.num_workers == 0)
    if (auto* context = current_task_context())
      if (auto* runtime = context->runtime()) return runtime->run(std::move(graph));
  return local_runtime::shared(resolve_num_workers(options))->run(std::move(graph));
}

std::size_t shutdown() { return local_runtime::stop_idle(); }

std::vector<Value> get(const Graph& graph, const std::vector<Key>& keys,
                       const compute_options& options) {
  return run_graph(compile(graph, keys), options);
}

}  // namespace troupe
