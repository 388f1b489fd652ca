#pragma once
// Segmented puts on a data server. A writer on another host sends a large value's body in
// segments over several connections at once, as a reader fetches one (one TCP stream between
// two hosts here moves about half of what two do). The put's own connection registers the value
// (`begin`, which hands out a token), reads segment 0 and waits for the others; each other
// connection names the token and a segment index and reads its bytes straight into their place
// in the value's storage.
//
// The value's storage is owned by the upload, which the segment connections share, so a put
// abandoned half-way (its writer gone) never leaves a connection writing into freed memory.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "core/wire_form.hpp"

namespace troupe::net {

class segmented_upload {
 public:
  segmented_upload(wire_receiver receiver, std::uint32_t segments);

  std::uint32_t segments() const noexcept { return arrived_.size(); }
  wire_receiver& receiver() noexcept { return receiver_; }

  /// A segment connection takes segment `index` before reading it: false when the index is
  /// out of range, already taken, or the upload was abandoned.
  bool claim(std::uint32_t index);
  /// The claimed segment landed whole (true) or its connection broke (false: the put fails).
  void settle(std::uint32_t index, bool landed);
  /// Waits until every segment other than 0 landed (true), one failed, or `writer_gone()`
  /// says the put's own connection closed (checked every few milliseconds); false then, and
  /// the upload is abandoned.
  template <class Gone>
  bool wait(Gone&& writer_gone);

 private:
  bool all_landed() const;

  wire_receiver receiver_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::uint8_t> arrived_;  ///< per segment: 0 not yet, 1 claimed, 2 landed
  bool failed_ = false;
};

/// The uploads in progress on one server, by token.
class upload_table {
 public:
  /// Registers an upload; returns its token, hard to guess so a stray connection cannot write
  /// into someone else's value.
  std::uint64_t begin(std::shared_ptr<segmented_upload> upload);
  std::shared_ptr<segmented_upload> find(std::uint64_t token);
  void end(std::uint64_t token);

 private:
  std::mutex mutex_;
  std::map<std::uint64_t, std::shared_ptr<segmented_upload>> uploads_;
  std::uint64_t next_ = 0;
};

template <class Gone>
bool segmented_upload::wait(Gone&& writer_gone) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (!failed_ && all_landed()) return true;
    if (failed_) return false;
    if (changed_.wait_for(lock, std::chrono::milliseconds(20)) == std::cv_status::timeout &&
        writer_gone()) {
      failed_ = true;
      return false;
    }
  }
}

}  // namespace troupe::net
