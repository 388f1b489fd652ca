#include "actors/threads_runtime.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include "actors/local_actors.hpp"
#include "actors/messages.hpp"
#include "actors/task_context.hpp"
#include "core/assert.hpp"

namespace troupe {

namespace {

caf::actor_system_config& configure(caf::actor_system_config& cfg) {
  // The scheduler and worker actors share a small pool; executors are detached threads of
  // their own, since a task may block (a nested compute) without stalling the pool. The pool
  // shares one queue and sleeps when idle: work stealing polls, which on two cores takes
  // time from the executors (measured: 100k no-op tasks ran ~15% faster shared).
  cfg.set("scheduler.max-threads", std::size_t{2});
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("logger.verbosity", caf::atom("quiet"));
  return cfg;
}

// Bytes of address space this process maps now (VmSize), or 0 when unknown.
std::uint64_t mapped_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0;
  if (!(statm >> pages)) return 0;
  return pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

// Under an address-space limit (ulimit -v) too small for `nthreads` more thread stacks, says
// so before any thread starts. Found by trying, the last threads that did start ran with the
// space used up, and one could abort the process outright (glibc: "failed to register TLS
// destructor: out of memory") before the failure was reported.
std::string address_space_shortfall(std::size_t nthreads) {
  rlimit limit{};
  if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return {};
  pthread_attr_t attr;
  std::size_t stack = 8 << 20;
  if (pthread_getattr_default_np(&attr) == 0) {
    pthread_attr_getstacksize(&attr, &stack);
    pthread_attr_destroy(&attr);
  }
  const std::uint64_t needed = mapped_bytes() + static_cast<std::uint64_t>(nthreads) * stack;
  if (needed <= limit.rlim_cur) return {};
  const std::uint64_t mib = 1 << 20;
  return "the address-space limit of " + std::to_string(limit.rlim_cur / mib) +
         " MiB leaves no room for " + std::to_string(nthreads) + " thread stacks of " +
         std::to_string(stack / mib) + " MiB";
}

}  // namespace

// The actor system of a runtime, on the heap so that a runtime that failed to start can leave
// it behind (see threads_runtime::impl).
struct actor_system_box {
  actor_system_box() : system(configure(config)) {}
  caf::actor_system_config config;
  caf::actor_system system;
};

struct threads_runtime::impl {
  impl(threads_runtime* owner, std::size_t threads)
      : nthreads(threads), box(std::make_unique<actor_system_box>()), system(box->system) {
    scheduler = spawn_scheduler(system, scheduler_options{});
    worker = spawn_worker(system, 0, worker_options{nthreads}, scheduler, owner);
    std::string failure = await_worker();
    if (!failure.empty()) {
      stop_actors();
      // CAF counts a detached actor whose thread failed to start as running forever, and an
      // actor_system's destructor waits for it: the failed system is left behind, idle.
      (void)box.release();
      throw error("the threads scheduler could not start " + std::to_string(nthreads) +
                  " threads (" + failure +
                  "): use fewer workers (num_workers, --num-workers, TROUPE_NUM_WORKERS) or "
                  "raise the system's limits (ulimit -u for threads, ulimit -v for memory)");
    }
  }
  ~impl() { stop_actors(); }

  // "" once every executor thread runs, else why not.
  std::string await_worker() {
    std::string failure;
    caf::scoped_actor self{system};
    TROUPE_TSAN_RELEASE(tsan_sync(worker));
    self->request(worker, std::chrono::seconds(60), message::ready_atom::value)
        .receive([&](std::string& reason) {
                   TROUPE_TSAN_ACQUIRE(tsan_sync(worker));
                   failure = std::move(reason);
                 },
                 [&](caf::error& e) { failure = "the worker did not answer: " + system.render(e); });
    return failure;
  }

  void stop_actors() {
    TROUPE_TSAN_RELEASE(tsan_sync(worker));
    TROUPE_TSAN_RELEASE(tsan_sync(scheduler));
    caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(scheduler, caf::exit_reason::user_shutdown);
  }
  std::size_t nthreads;
  std::unique_ptr<actor_system_box> box;
  caf::actor_system& system;
  caf::actor scheduler;
  caf::actor worker;
  std::atomic<run_id> next_run{1};
  std::atomic<int> active_runs{0};  ///< runs in progress (shared() stops only idle runtimes)
};

threads_runtime::threads_runtime(std::size_t nthreads) {
  TROUPE_CHECK_ARG(nthreads > 0, "the threads scheduler needs num_workers >= 1");
  if (auto shortfall = address_space_shortfall(nthreads); !shortfall.empty())
    throw error("the threads scheduler could not start " + std::to_string(nthreads) +
                " threads (" + shortfall +
                "): use fewer workers (num_workers, --num-workers, TROUPE_NUM_WORKERS) or "
                "raise the system's limits (ulimit -v for memory)");
  try {
    impl_ = std::make_unique<impl>(this, nthreads);
  } catch (const std::system_error& e) {  // CAF's own threads
    throw error(std::string("the threads scheduler could not start its threads (") + e.what() +
                "): raise the system's limits (ulimit -u for threads, ulimit -v for memory)");
  }
}

threads_runtime::~threads_runtime() = default;

namespace {

struct shared_runtimes {
  std::mutex mutex;
  std::map<std::size_t, std::shared_ptr<threads_runtime>> by_threads;
};

// Never destroyed by a static destructor. At exit, the main thread's thread-local objects are
// gone before any static destructor or atexit handler runs, and an actor_system's destructor
// touches CAF's thread-locals: so an atexit handler (registered after the first runtime
// started, hence run before the statics that start created) stops the runtimes on a fresh
// thread of its own.
shared_runtimes& runtimes() {
  static auto* all = new shared_runtimes;
  return *all;
}

void stop_shared_runtimes() {
  auto& all = runtimes();
  std::map<std::size_t, std::shared_ptr<threads_runtime>> stopping;
  {
    std::lock_guard<std::mutex> guard(all.mutex);
    stopping.swap(all.by_threads);
  }
  for (auto& [threads, runtime] : stopping) runtime->abandon_actors_at_shutdown();
  if (stopping.empty()) return;
  try {
    std::thread([&] { stopping.clear(); }).join();
  } catch (const std::system_error&) {
    // No thread to be had (the process is at its limit): the process is ending anyway, so
    // the runtimes are left to it rather than ending it in std::terminate.
    for (auto& [threads, runtime] : stopping) new std::shared_ptr(std::move(runtime));
  }
}

}  // namespace

namespace {

// Moves the runtimes only the table holds and that run nothing into `idle`. Only the table
// holds such a runtime (use_count() == 1), and it hands out references under its lock only: no
// one can start a run on it while it is stopped.
void take_idle(shared_runtimes& all, std::vector<std::shared_ptr<threads_runtime>>& idle,
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

std::shared_ptr<threads_runtime> threads_runtime::shared(std::size_t nthreads) {
  auto& all = runtimes();
  std::vector<std::shared_ptr<threads_runtime>> idle;  // stopped after the lock is released
  std::lock_guard<std::mutex> guard(all.mutex);
  if (auto found = all.by_threads.find(nthreads); found != all.by_threads.end())
    return found->second;
  take_idle(all, idle, nthreads);
  auto runtime = std::make_shared<threads_runtime>(nthreads);
  all.by_threads.emplace(nthreads, runtime);
  static const bool stopped_at_exit = std::atexit(stop_shared_runtimes) == 0;
  (void)stopped_at_exit;
  return runtime;
}

std::size_t threads_runtime::stop_idle() {
  auto& all = runtimes();
  std::vector<std::shared_ptr<threads_runtime>> idle;  // stopped after the lock is released
  {
    std::lock_guard<std::mutex> guard(all.mutex);
    take_idle(all, idle, 0);  // no runtime has 0 threads: none is kept
  }
  return idle.size();
}

bool threads_runtime::idle() const noexcept { return impl_->active_runs.load() == 0; }

std::size_t threads_runtime::nthreads() const noexcept { return impl_->nthreads; }

void threads_runtime::abandon_actors_at_shutdown() {
  impl_->system.await_actors_before_shutdown(false);
}

std::vector<Value> threads_runtime::run(std::shared_ptr<const task_graph> graph) {
  struct active_run {
    explicit active_run(std::atomic<int>& count) : count(count) { ++count; }
    ~active_run() { --count; }
    std::atomic<int>& count;
  } active(impl_->active_runs);
  auto memory = std::make_shared<run_memory>(impl_->next_run++, std::move(graph));
  if (auto* context = current_task_context()) context->secede();
  message::run_outcome outcome;
  {
    caf::scoped_actor self{impl_->system};
    auto submit = caf::make_message(message::submit_run{memory});
    TROUPE_TSAN_RELEASE(tsan_sync(impl_->scheduler));
    self->request(impl_->scheduler, caf::infinite, std::move(submit))
        .receive([&](message::run_outcome& o) {
                   TROUPE_TSAN_ACQUIRE(memory.get());
                   outcome = std::move(o);
                 },
                 [&](caf::error& e) {
                   outcome.ok = false;
                   outcome.runtime_failed = true;
                   outcome.failure.message =
                       "the threads scheduler failed: " + impl_->system.render(e);
                 });
  }
  if (!outcome.ok) {
    if (outcome.runtime_failed) throw error(outcome.failure.message);
    throw TaskError(std::move(outcome.failure));
  }
  std::vector<Value> out;
  out.reserve(memory->graph->targets.size());
  for (task_index t : memory->graph->targets) out.push_back(memory->results[t]);
  return out;
}

}  // namespace troupe
