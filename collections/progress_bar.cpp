#include "collections/progress_bar.hpp"

#include <algorithm>
#include <string>

#include "core/progress.hpp"

namespace troupe {

namespace {

constexpr auto first_draw = std::chrono::seconds(1);
constexpr auto redraw = std::chrono::milliseconds(500);
constexpr int width = 40;

}  // namespace

progress_bar::progress_bar(std::uint64_t total, std::FILE* out)
    : total_(total), start_count_(progress::tasks_run()), start_(std::chrono::steady_clock::now()),
      out_(out) {
  watcher_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex_);
    if (stop_.wait_for(lock, first_draw, [this] { return stopping_; })) return;
    do {
      draw(false);
    } while (!stop_.wait_for(lock, redraw, [this] { return stopping_; }));
  });
}

progress_bar::~progress_bar() {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  watcher_.join();
  if (drew_) draw(true);
}

void progress_bar::draw(bool last) {
  // A finished compute has run every task, whatever the counter saw of other computes.
  const auto counted = progress::tasks_run() - start_count_;
  const auto done = last ? total_ : std::min(counted, total_);
  const double fraction = total_ == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total_);
  const int filled = static_cast<int>(fraction * width);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::fprintf(out_, "\r[%s%s] %3d%% | %llu/%llu tasks | %.1f s%s",
               std::string(static_cast<std::size_t>(filled), '#').c_str(),
               std::string(static_cast<std::size_t>(width - filled), ' ').c_str(),
               static_cast<int>(fraction * 100), static_cast<unsigned long long>(done),
               static_cast<unsigned long long>(total_), seconds, last ? "\n" : "");
  std::fflush(out_);
  drew_ = true;
}

}  // namespace troupe
