#pragma once
// key_table<T>: records by key, as a vector of (key, record) entries found through a
// key_index. A lookup touches one index slot and the entry, whose key sits next to its record;
// a dropped entry's id (and its string's storage) goes to the next key added, so once the
// vector has grown, adding and dropping keys allocates nothing for short keys. The worker kept
// its data and tasks in five std::unordered_map<std::string, ...>, a node allocation and a
// bucket-node-string walk per table per key, and those were its largest cost.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/detail/key_index.hpp"

namespace troupe::cluster {

using detail::key_index;
using detail::with_lookahead;

template <class T>
class key_table {
 public:
  using id_type = key_index::id_type;
  static constexpr id_type none = key_index::none;

  /// The id of `key`, or none.
  id_type find(std::string_view key) const noexcept {
    return index_.find(key, key_index::hash(key), key_of{this});
  }

  /// The id of `key`, added with a default record when new (`inserted` says which). Adding may
  /// move every entry: ids stay valid, references to records do not.
  id_type insert(std::string_view key, bool* inserted = nullptr) {
    const auto h = key_index::hash(key);
    auto id = index_.find(key, h, key_of{this});
    if (inserted != nullptr) *inserted = id == none;
    if (id != none) return id;
    if (free_.empty()) {
      id = static_cast<id_type>(entries_.size());
      entries_.emplace_back();
    } else {
      id = free_.back();
      free_.pop_back();
    }
    auto& e = entries_[id];
    e.key.assign(key.data(), key.size());  // keeps the storage of the key last held here
    e.hash = h;
    e.live = true;
    index_.insert(h, id);
    return id;
  }

  /// Drops the entry: its record is reset and its id may be given to the next key added.
  void erase(id_type id) {
    auto& e = entries_[id];
    index_.erase(e.hash, id);
    e.key.clear();
    e.live = false;
    e.value = T{};
    free_.push_back(id);
  }

  /// The id of `key`, trying `hint` first (an id the key had: if that entry still holds the
  /// key it is the key's, so a stale hint only costs the lookup it would have spared).
  id_type find(std::string_view key, id_type hint) const noexcept {
    if (hint < entries_.size() && entries_[hint].live && entries_[hint].key == key) return hint;
    return find(key);
  }

  /// Runs step(i, id of key_at(i), or none) for i in [0, n) in order, loading the index slots
  /// and entries of later keys ahead (with_lookahead). Steps may change the table.
  template <class KeyAt, class Step>
  void find_each(std::size_t n, KeyAt&& key_at, Step&& step) const {
    with_lookahead(
        index_, n, [&](std::size_t i) { return key_index::hash(key_at(i)); },
        [&](id_type id) { return &entries_[id]; },
        [&](std::size_t i, std::uint64_t h) { step(i, index_.find(key_at(i), h, key_of{this})); });
  }

  /// Starts loading the index slot of `key`, for a loop that will look it up soon.
  void prefetch(std::string_view key) const noexcept { index_.prefetch(key_index::hash(key)); }

  T& operator[](id_type id) noexcept { return entries_[id].value; }
  const T& operator[](id_type id) const noexcept { return entries_[id].value; }
  const std::string& key(id_type id) const noexcept { return entries_[id].key; }
  std::size_t size() const noexcept { return index_.size(); }

  /// f(id, key, record) for every entry, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    for (id_type id = 0; id < entries_.size(); ++id)
      if (entries_[id].live) f(id, entries_[id].key, entries_[id].value);
  }

 private:
  struct entry {
    std::string key;
    std::uint64_t hash = 0;
    bool live = false;
    T value{};
  };
  struct key_of {
    const key_table* table;
    std::string_view operator()(id_type id) const noexcept { return table->entries_[id].key; }
  };

  key_index index_;
  std::vector<entry> entries_;
  std::vector<id_type> free_;
};

}  // namespace troupe::cluster
