#include "net/segmented_upload.hpp"

#include <random>

namespace troupe::net {

segmented_upload::segmented_upload(wire_receiver receiver, std::uint32_t segments)
    : receiver_(std::move(receiver)), arrived_(segments, 0) {
  arrived_.at(0) = 1;  // segment 0 comes on the put's own connection
}

bool segmented_upload::claim(std::uint32_t index) {
  std::lock_guard<std::mutex> guard(mutex_);
  if (failed_ || index == 0 || index >= arrived_.size() || arrived_[index] != 0) return false;
  arrived_[index] = 1;
  return true;
}

void segmented_upload::settle(std::uint32_t index, bool landed) {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    if (landed)
      arrived_[index] = 2;
    else
      failed_ = true;
  }
  changed_.notify_all();
}

bool segmented_upload::all_landed() const {
  for (std::size_t i = 1; i < arrived_.size(); ++i)
    if (arrived_[i] != 2) return false;
  return true;
}

std::uint64_t upload_table::begin(std::shared_ptr<segmented_upload> upload) {
  std::lock_guard<std::mutex> guard(mutex_);
  if (next_ == 0) next_ = std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32);
  // An odd step through all 2^64 values: unique, and not the next integer.
  next_ += 0x9e3779b97f4a7c15ull;
  uploads_[next_] = std::move(upload);
  return next_;
}

std::shared_ptr<segmented_upload> upload_table::find(std::uint64_t token) {
  std::lock_guard<std::mutex> guard(mutex_);
  auto it = uploads_.find(token);
  return it == uploads_.end() ? nullptr : it->second;
}

void upload_table::end(std::uint64_t token) {
  std::lock_guard<std::mutex> guard(mutex_);
  uploads_.erase(token);
}

}  // namespace troupe::net
