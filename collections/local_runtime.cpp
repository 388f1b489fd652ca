#include "collections/local_runtime.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include "actors/cluster/node.hpp"
#include "actors/graph_task.hpp"
#include "actors/task_context.hpp"
#include "collections/client.hpp"

namespace troupe {

namespace {

/// A threads compute waits as long as its tasks run, as Dask's threads scheduler does: no
/// limit, written as a century (a deadline must stay within the clock's range).
constexpr auto no_time_limit = std::chrono::hours(24 * 365 * 100);

}  // namespace

struct local_runtime::impl {
  std::unique_ptr<cluster::cluster_node> node;
  std::shared_ptr<cluster::client_connection> connection;
  std::atomic<int> active_runs{0};

  ~impl() {
    if (connection) connection->close();
    connection.reset();  // the node's actor system goes with the last of its users
    node.reset();
  }
};

local_runtime::local_runtime(std::size_t nthreads) : impl_(std::make_unique<impl>()) {
  try {
    // What LocalCluster{.n_workers = 1, .processes = false} starts, without what a cluster
    // for futures needs: no memory limit, no GPU survey.
    impl_->node = std::make_unique<cluster::cluster_node>(2);
    const auto address = impl_->node->start_scheduler("", 0, false);
    cluster::worker_info info;
    info.name = "threads";
    info.nthreads = static_cast<std::uint32_t>(nthreads);
    impl_->node->start_worker(address, info);
    impl_->connection = impl_->node->connect(address, "threads");
  } catch (const std::system_error& e) {  // CAF's own threads
    throw error(std::string("the threads scheduler could not start its threads (") + e.what() +
                "): raise the system's limits (ulimit -u for threads, ulimit -v for memory)");
  }
}

local_runtime::~local_runtime() = default;

std::vector<Value> local_runtime::run(std::shared_ptr<const task_graph> graph) {
  struct active_run {
    explicit active_run(std::atomic<int>& count) : count(count) { ++count; }
    ~active_run() { --count; }
    std::atomic<int>& count;
  } active(impl_->active_runs);
  // A compute inside a task: the task's thread blocks here, so its worker takes another.
  if (auto* context = current_task_context()) context->secede();
  auto task = make_graph_task(std::move(graph));
  return graph_task_values(run_graph_on(*impl_->connection, *task, no_time_limit).at(0));
}

bool local_runtime::idle() const noexcept { return impl_->active_runs.load() == 0; }

std::string local_runtime::describe_scheduler() const {
  return impl_->node->describe_scheduler();
}

namespace {

struct shared_runtimes {
  std::mutex mutex;
  std::map<std::size_t, std::shared_ptr<local_runtime>> by_threads;
};

// Never destroyed by a static destructor. At exit, the main thread's thread-local objects are
// gone before any static destructor or atexit handler runs, and an actor_system's destructor
// touches CAF's thread-locals: so an atexit handler (registered after the first runtime
// started, hence run before the statics that start created) stops the runtimes on a fresh
// thread of its own. It waits a little only: a task blocked for good (one that called exit
// itself, a compute still in flight on another thread) would hold the stop, and the exit, for
// ever. An actor system cannot simply be left running instead: its detached threads (the
// executors) end only when their actors do.
shared_runtimes& runtimes() {
  static auto* all = new shared_runtimes;
  return *all;
}

constexpr auto exit_stop_wait = std::chrono::seconds(2);

void stop_shared_runtimes() {
  auto& all = runtimes();
  auto stopping = std::make_shared<std::map<std::size_t, std::shared_ptr<local_runtime>>>();
  {
    std::lock_guard<std::mutex> guard(all.mutex);
    stopping->swap(all.by_threads);
  }
  if (stopping->empty()) return;
  try {
    auto done = std::make_shared<std::promise<void>>();
    auto stopped = done->get_future();
    std::thread([stopping, done]() mutable {
      stopping->clear();
      done->set_value();
    }).detach();
    (void)stopped.wait_for(exit_stop_wait);
  } catch (const std::system_error&) {
    // No thread to be had (the process is at its limit): the process is ending anyway, so
    // the runtimes are left to it rather than ending it in std::terminate.
  }
}

// Moves the runtimes only the table holds and that run nothing into `idle`. Only the table
// holds such a runtime (use_count() == 1), and it hands out references under its lock only: no
// one can start a run on it while it is stopped.
void take_idle(shared_runtimes& all, std::vector<std::shared_ptr<local_runtime>>& idle,
               std::size_t keep) {
  for (auto i = all.by_threads.begin(); i != all.by_threads.end();) {
    if (i->first != keep && i->second.use_count() == 1 && i->second->idle()) {
      idle.push_back(std::move(i->second));
      i = all.by_threads.erase(i);
    } else {
      ++i;
    }
  }
}

}  // namespace

std::shared_ptr<local_runtime> local_runtime::shared(std::size_t nthreads) {
  auto& all = runtimes();
  std::vector<std::shared_ptr<local_runtime>> idle;  // stopped after the lock is released
  std::lock_guard<std::mutex> guard(all.mutex);
  if (auto found = all.by_threads.find(nthreads); found != all.by_threads.end())
    return found->second;
  take_idle(all, idle, nthreads);
  auto runtime = std::make_shared<local_runtime>(nthreads);
  all.by_threads.emplace(nthreads, runtime);
  static const bool stopped_at_exit = std::atexit(stop_shared_runtimes) == 0;
  (void)stopped_at_exit;
  return runtime;
}

std::size_t local_runtime::stop_idle() {
  auto& all = runtimes();
  std::vector<std::shared_ptr<local_runtime>> idle;  // stopped after the lock is released
  {
    std::lock_guard<std::mutex> guard(all.mutex);
    take_idle(all, idle, 0);  // no runtime has 0 threads: none is kept
  }
  return idle.size();
}

}  // namespace troupe
