#include "net/fetch_pool.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>

#include "net/data_plane.hpp"

namespace troupe::net {

struct fetch_pool::shared {
  struct job {
    std::string address;
    std::vector<std::string> keys;
    std::chrono::milliseconds timeout;
    std::function<void(fetch_result)> done;
  };
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<job> jobs;
  bool stopping = false;
  std::size_t threads = 0;  ///< started
  std::size_t idle = 0;     ///< waiting for a job
  std::size_t max_threads = 1;

  // Each thread holds the shared state, so the pool may go first: a thread ends after the
  // fetch it is running.
  static void run(std::shared_ptr<shared> self) {
    for (;;) {
      job next;
      {
        std::unique_lock<std::mutex> lock(self->mutex);
        ++self->idle;
        self->wake.wait(lock, [&] { return self->stopping || !self->jobs.empty(); });
        --self->idle;
        if (self->stopping) return;
        next = std::move(self->jobs.front());
        self->jobs.pop_front();
      }
      fetch_result result;
      try {
        fetch_counts counts;
        result.values = fetch_values(next.address, next.keys, next.timeout, {}, &counts);
        result.direct = counts.direct;
        result.segmented = counts.segmented;
      } catch (const ConnectionError& e) {
        result.error = e.what();
      } catch (const std::exception& e) {
        result.error = e.what();
        result.undecodable = true;
      }
      next.done(std::move(result));
    }
  }
};

fetch_pool::fetch_pool(std::size_t threads) : shared_(std::make_shared<shared>()) {
  shared_->max_threads = std::max<std::size_t>(1, threads);
}

fetch_pool::~fetch_pool() {
  {
    std::lock_guard<std::mutex> guard(shared_->mutex);
    shared_->stopping = true;
    shared_->jobs.clear();
  }
  shared_->wake.notify_all();
}

void fetch_pool::fetch(std::string address, std::vector<std::string> keys,
                       std::chrono::milliseconds timeout, std::function<void(fetch_result)> done) {
  {
    std::lock_guard<std::mutex> guard(shared_->mutex);
    shared_->jobs.push_back({std::move(address), std::move(keys), timeout, std::move(done)});
    // One more thread when every running one is busy, up to the maximum.
    if (shared_->idle < shared_->jobs.size() && shared_->threads < shared_->max_threads) {
      try {
        std::thread(shared::run, shared_).detach();
        ++shared_->threads;
      } catch (const std::system_error&) {
        if (shared_->threads == 0) {
          shared_->jobs.pop_back();
          throw;
        }
      }
    }
  }
  shared_->wake.notify_one();
}

}  // namespace troupe::net
