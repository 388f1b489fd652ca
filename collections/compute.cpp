#include "collections/compute.hpp"

#include <charconv>
#include <thread>

#include "actors/sync_scheduler.hpp"
#include "actors/threads_runtime.hpp"
#include "core/config.hpp"

namespace troupe {

namespace {

std::size_t resolve_num_workers(const compute_options& options) {
  if (options.num_workers > 0) return options.num_workers;
  if (auto configured = config::get("num_workers")) {
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(configured->data(), configured->data() + configured->size(), n);
    if (ec != std::errc() || end != configured->data() + configured->size() || n == 0)
      throw ArgumentError("num_workers must be a positive integer, got '" + *configured +
                          "' (from troupe::config or TROUPE_NUM_WORKERS)");
    return n;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

std::string resolve_scheduler(const compute_options& options) {
  std::string name = options.scheduler;
  if (name.empty()) name = config::get("scheduler").value_or("threads");
  if (name == "sync" || name == "synchronous" || name == "single-threaded") return "sync";
  if (name == "threads" || name == "threading") return "threads";
  if (name == "processes" || name == "distributed")
    throw ArgumentError("scheduler '" + name +
                        "' is not part of this build yet; use scheduler \"sync\" or \"threads\"");
  throw ArgumentError("unknown scheduler '" + name +
                      "': choose \"sync\" or \"threads\" (per call, with "
                      "troupe::config::set(\"scheduler\", ...) or TROUPE_SCHEDULER)");
}

std::vector<Value> run_graph(std::shared_ptr<const task_graph> graph,
                             const compute_options& options) {
  if (resolve_scheduler(options) == "sync") return run_sync(*graph, options.sync_stats);
  return threads_runtime::shared(resolve_num_workers(options)).run(std::move(graph));
}

std::vector<Value> get(const Graph& graph, const std::vector<Key>& keys,
                       const compute_options& options) {
  return run_graph(compile(graph, keys), options);
}

}  // namespace troupe
