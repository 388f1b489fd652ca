#include "actors/threads_runtime.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <system_error>

#include "actors/local_actors.hpp"
#include "actors/messages.hpp"
#include "actors/task_context.hpp"
#include "core/assert.hpp"

namespace troupe {

namespace {

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

struct threads_runtime::impl {
  impl(caf::actor_system& on, threads_runtime* owner, std::size_t threads)
      : nthreads(threads), system(on) {
    scheduler = spawn_scheduler(system, scheduler_options{});
    worker = spawn_worker(system, 0, worker_options{nthreads}, scheduler, owner);
    std::string failure = await_worker();
    if (!failure.empty()) {
      stop_actors();
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
  caf::actor_system& system;
  caf::actor scheduler;
  caf::actor worker;
  std::atomic<run_id> next_run{1};
};

threads_runtime::threads_runtime(caf::actor_system& system, std::size_t nthreads) {
  TROUPE_CHECK_ARG(nthreads > 0, "the threads scheduler needs num_workers >= 1");
  if (auto shortfall = address_space_shortfall(nthreads); !shortfall.empty())
    throw error("the threads scheduler could not start " + std::to_string(nthreads) +
                " threads (" + shortfall +
                "): use fewer workers (num_workers, --num-workers, TROUPE_NUM_WORKERS) or "
                "raise the system's limits (ulimit -v for memory)");
  try {
    impl_ = std::make_unique<impl>(system, this, nthreads);
  } catch (const std::system_error& e) {  // CAF's own threads
    throw error(std::string("the threads scheduler could not start its threads (") + e.what() +
                "): raise the system's limits (ulimit -u for threads, ulimit -v for memory)");
  }
}

threads_runtime::~threads_runtime() = default;

std::size_t threads_runtime::nthreads() const noexcept { return impl_->nthreads; }

std::vector<Value> threads_runtime::run(std::shared_ptr<const task_graph> graph) {
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
