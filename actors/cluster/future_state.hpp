#pragma once
// The state of a future on the client side, shared by its Future handles and completed by the
// client actor when the scheduler's event for its key arrives. No CAF inside: the user-facing
// Future (collections/future.hpp) waits on it from any thread.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/detail/key_index.hpp"
#include "core/error.hpp"
#include "core/value.hpp"

namespace troupe::cluster {

using detail::key_index;
using detail::with_lookahead;

enum class future_status : std::uint8_t { pending, finished, error, cancelled, lost };

const char* to_string(future_status status) noexcept;

struct future_state {
  std::string key;
  std::uint64_t key_hash = 0;  ///< key_index::hash(key), set by the future_table
  future_status status = future_status::pending;
  bool has_value = false;  ///< the value is here (inline in the event, or fetched)
  Value value;
  task_failure failure;
  std::size_t wants = 0;  ///< Future handles that hold a want of the key
  std::vector<std::function<void()>> callbacks;
};

/// A client's futures by key, on the scheduler's flat key_index. Every future of a map of
/// 100,000 calls is looked up three or four times (wanted, completed, released), and
/// std::unordered_map<std::string, ...> made those lookups the client's largest cost (a bucket,
/// a node and a string, each a cache miss). Here a lookup touches one slot and the state.
class future_table {
  struct key_of_slot {
    const future_table* table;
    std::string_view operator()(key_index::id_type id) const noexcept {
      return table->slots_[id]->key;
    }
  };
  key_of_slot key_of() const noexcept { return {this}; }

 public:
  /// The state of `key`, or nullptr.
  future_state* find(std::string_view key) const noexcept {
    auto id = index_.find(key, key_index::hash(key), key_of());
    return id == key_index::none ? nullptr : slots_[id].get();
  }

  /// Runs step(i, state of key_at(i) or nullptr) for i in [0, n) in order, loading the index
  /// slots and states of later keys ahead (with_lookahead). Steps may change the table.
  template <class KeyAt, class Step>
  void find_each(std::size_t n, KeyAt&& key_at, Step&& step) const {
    with_lookahead(
        index_, n, [&](std::size_t i) { return key_index::hash(key_at(i)); },
        [&](key_index::id_type id) { return &slots_[id]; },
        [&](std::size_t i, std::uint64_t h) {
          auto id = index_.find(key_at(i), h, key_of());
          step(i, id == key_index::none ? nullptr : slots_[id].get());
        });
  }

  /// The states of `keys`, made (pending, no wants) where there is none; `with(state)` is
  /// called on each in order. Loads later keys' slots ahead.
  template <class With>
  void get_or_add_each(const std::vector<std::string>& keys, With&& with) {
    with_lookahead(
        index_, keys.size(), [&](std::size_t i) { return key_index::hash(keys[i]); },
        [&](key_index::id_type id) { return &slots_[id]; },
        [&](std::size_t i, std::uint64_t h) { with(get_or_add(keys[i], h)); });
  }

  /// The state of `key`, made (pending, no wants) if there is none.
  const std::shared_ptr<future_state>& get_or_add(const std::string& key) {
    return get_or_add(key, key_index::hash(key));
  }

  /// The same, for a key whose hash (key_index::hash) is known.
  const std::shared_ptr<future_state>& get_or_add(const std::string& key, std::uint64_t h) {
    auto id = index_.find(key, h, key_of());
    if (id != key_index::none) return slots_[id];
    auto state = std::make_shared<future_state>();
    state->key = key;
    state->key_hash = h;
    if (free_.empty()) {
      id = static_cast<key_index::id_type>(slots_.size());
      slots_.push_back(std::move(state));
    } else {
      id = free_.back();
      free_.pop_back();
      slots_[id] = std::move(state);
    }
    index_.insert(h, id);
    return slots_[id];
  }

  /// Drops `state` if it is the one held for its key.
  void erase(const future_state& state) noexcept {
    auto id = index_.find(state.key, state.key_hash, key_of());
    if (id == key_index::none || slots_[id].get() != &state) return;
    index_.erase(state.key_hash, id);
    slots_[id].reset();
    free_.push_back(id);
  }

  template <class F>
  void for_each(F&& f) const {
    for (const auto& state : slots_)
      if (state) f(*state);
  }

 private:
  key_index index_;
  std::vector<std::shared_ptr<future_state>> slots_;
  std::vector<key_index::id_type> free_;
};

/// What the client actor and the user's threads share: one mutex for every future of the
/// client, and one condition for "some future changed" (wait and as_completed use it).
struct client_shared {
  std::mutex mutex;
  std::condition_variable changed;
  std::uint64_t completions = 0;
  future_table futures;
  bool connected = true;
  std::string lost_reason;  ///< why the scheduler is gone
  /// One entry per dropped want, for the client actor to release in one message (a gather of
  /// 100,000 futures going out of scope is one message, not 100,000) and to drop from
  /// `futures` when no want is left (off the user's thread).
  std::vector<std::shared_ptr<future_state>> pending_releases;
};

}  // namespace troupe::cluster
