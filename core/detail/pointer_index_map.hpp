#pragma once
// A flat open-addressing map from pointers to task indices, for compiling graphs: one probe
// sequence in one array, no allocation per entry. std::unordered_map costs a node allocation
// and a cache miss per lookup, which dominated compiling 100k-task graphs.

#include <cstdint>
#include <vector>

namespace troupe::detail {

class pointer_index_map {
 public:
  static constexpr std::uint32_t absent = UINT32_MAX;

  explicit pointer_index_map(std::size_t expected = 16) { rehash(capacity_for(expected)); }

  /// The index stored for `key`, or `absent`.
  std::uint32_t find(const void* key) const noexcept {
    for (std::size_t i = slot_of(key);; i = (i + 1) & mask_) {
      const auto& s = slots_[i];
      if (s.key == key) return s.value;
      if (s.key == nullptr) return absent;
    }
  }

  /// Stores `value` for `key` (which must not be stored yet).
  void insert(const void* key, std::uint32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
    place(key, value);
    ++size_;
  }

 private:
  struct slot {
    const void* key = nullptr;
    std::uint32_t value = absent;
  };

  static std::size_t capacity_for(std::size_t expected) {
    std::size_t capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    return capacity;
  }

  std::size_t slot_of(const void* key) const noexcept {
    // Fibonacci hashing of the address: pointers from one allocator differ in low bits.
    auto bits = reinterpret_cast<std::uintptr_t>(key);
    return static_cast<std::size_t>((bits * 0x9E3779B97F4A7C15ull) >> shift_) & mask_;
  }

  void place(const void* key, std::uint32_t value) {
    std::size_t i = slot_of(key);
    while (slots_[i].key != nullptr) i = (i + 1) & mask_;
    slots_[i] = {key, value};
  }

  void rehash(std::size_t capacity) {
    std::vector<slot> old = std::move(slots_);
    slots_.assign(capacity, slot{});
    mask_ = capacity - 1;
    shift_ = 64;
    for (std::size_t c = capacity; c > 1; c >>= 1) --shift_;
    for (const auto& s : old)
      if (s.key != nullptr) place(s.key, s.value);
  }

  std::vector<slot> slots_;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
};

}  // namespace troupe::detail
