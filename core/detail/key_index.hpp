#pragma once
// key_index: a map from key to dense id, as a flat open-addressing table of (hash, id) slots.
// The keys themselves live in the owner's table (a Graph's entries, the cluster scheduler's
// tasks, a client's futures), so a lookup touches one slot and one key;
// std::unordered_map<std::string, id> touched a bucket, a node and a string, and its cache
// misses were the cluster scheduler's largest cost at 100,000 futures and most of compiling a
// 100,000-task random graph.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::detail {

class key_index {
 public:
  using id_type = std::uint32_t;
  static constexpr id_type none = ~id_type{0};

  static std::uint64_t hash(std::string_view key) noexcept {
    return std::hash<std::string_view>{}(key) | 1;  // 0 marks an empty slot
  }

  /// The id of `key`, or none. `key_of(id)` gives the key stored for an id.
  template <class KeyOf>
  id_type find(std::string_view key, std::uint64_t h, const KeyOf& key_of) const noexcept {
    if (slots_.empty()) return none;
    for (auto i = h & mask_;; i = (i + 1) & mask_) {
      const auto& slot = slots_[i];
      if (slot.hash == 0) return none;
      if (slot.hash == h && key_of(slot.id) == key) return slot.id;
    }
  }

  /// Starts loading the slot where a lookup of hash `h` begins.
  void prefetch(std::uint64_t h) const noexcept {
    if (!slots_.empty()) __builtin_prefetch(&slots_[h & mask_]);
  }

  /// The id in the slot where a lookup of `h` begins if that slot holds `h`, else none: a guess
  /// at the answer, to prefetch what it names.
  id_type home_id(std::uint64_t h) const noexcept {
    if (slots_.empty()) return none;
    const auto& slot = slots_[h & mask_];
    return slot.hash == h ? slot.id : none;
  }

  /// Adds a key known to be absent.
  void insert(std::uint64_t h, id_type id) {
    // At most half full: with linear probing a lookup of an absent key (every new key) and an
    // erase walk the run of taken slots, about 8 slots at 3/4 full and 2.5 at 1/2.
    if ((size_ + 1) * 2 > slots_.size()) grow();
    place(h, id);
    ++size_;
  }

  /// Removes the entry (h, id); backward-shift deletion keeps probe chains whole.
  void erase(std::uint64_t h, id_type id) noexcept {
    auto i = h & mask_;
    while (!(slots_[i].hash == h && slots_[i].id == id)) {
      if (slots_[i].hash == 0) return;
      i = (i + 1) & mask_;
    }
    for (auto j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      if (slots_[j].hash == 0) break;
      auto home = slots_[j].hash & mask_;
      // Move slot j back into the hole at i unless its home lies cyclically in (i, j].
      bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (stays) continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i] = slot{};
    --size_;
  }

  std::size_t size() const noexcept { return size_; }

  /// Makes room for `keys` entries without growing again.
  void reserve(std::size_t keys) {
    std::size_t slots = slots_.empty() ? 64 : slots_.size();
    while (keys * 2 > slots) slots *= 2;  // at most half full, as insert keeps it
    if (slots != slots_.size()) rehash(slots);
  }

 private:
  struct slot {
    std::uint64_t hash = 0;
    id_type id = 0;
  };

  void place(std::uint64_t h, id_type id) noexcept {
    auto i = h & mask_;
    while (slots_[i].hash != 0) i = (i + 1) & mask_;
    slots_[i] = {h, id};
  }

  void grow() { rehash(slots_.empty() ? 64 : slots_.size() * 2); }

  void rehash(std::size_t slots) {
    std::vector<slot> old = std::move(slots_);
    slots_.assign(slots, slot{});
    mask_ = slots_.size() - 1;
    for (const auto& s : old)
      if (s.hash != 0) place(s.hash, s.id);
  }

  std::vector<slot> slots_;
  std::uint64_t mask_ = 0;
  std::size_t size_ = 0;
};

/// Runs step(i, hash of key i) for i in [0, n) in order, loading ahead what later lookups
/// touch: the index slot of key i + 16, and the entry that the slot of key i + 8 names
/// (`entry_of(id)` gives its address; pass nullptr-returning one to skip). At 100,000 keys a
/// lookup is two cache misses, the slot and then the key it names, which a plain loop takes
/// one after the other. `hash_at(i)` is called once per key. Steps may change the index.
template <class HashAt, class EntryOf, class Step>
void with_lookahead(const key_index& index, std::size_t n, HashAt&& hash_at, EntryOf&& entry_of,
                    Step&& step) {
  constexpr std::size_t ahead = 16;  // a power of two: the ring below
  std::uint64_t ring[ahead];
  for (std::size_t i = 0; i < n && i < ahead; ++i) {
    ring[i] = hash_at(i);
    index.prefetch(ring[i]);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (i + ahead / 2 < n) {
      auto id = index.home_id(ring[(i + ahead / 2) % ahead]);
      if (id != key_index::none) __builtin_prefetch(entry_of(id));
    }
    const auto h = ring[i % ahead];
    if (i + ahead < n) {
      ring[i % ahead] = hash_at(i + ahead);
      index.prefetch(ring[i % ahead]);
    }
    step(i, h);
  }
}

}  // namespace troupe::detail
