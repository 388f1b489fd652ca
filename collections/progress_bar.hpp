#pragma once
// A terminal progress line for a compute, as dask.diagnostics.ProgressBar draws one:
//
//   [##########################              ] 65% | 260/400 tasks | 4.1 s
//
// on standard error, redrawn twice a second once the compute has run for a second (short
// computes print nothing), and finished with a newline. It counts the tasks this process runs
// (core/progress.hpp): the sync and threads schedulers and in-process clusters.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <thread>

namespace troupe {

class progress_bar {
 public:
  /// Starts watching a compute of `total` tasks; draws on `out`.
  explicit progress_bar(std::uint64_t total, std::FILE* out = stderr);
  /// Draws the last state when it drew at all.
  ~progress_bar();
  progress_bar(const progress_bar&) = delete;
  progress_bar& operator=(const progress_bar&) = delete;

 private:
  void draw(bool last);

  std::uint64_t total_;
  std::uint64_t start_count_;
  std::chrono::steady_clock::time_point start_;
  std::FILE* out_;
  bool drew_ = false;
  std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread watcher_;
};

}  // namespace troupe
