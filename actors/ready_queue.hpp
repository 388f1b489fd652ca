#pragma once
// The scheduler's queue of ready tasks: lowest (generation, priority) first. Tasks mostly
// become ready in priority order (all roots of a graph at submit, dependents as the branch
// before them finishes), so entries that arrive in order go to a FIFO in O(1) and only the
// stragglers pay for a binary heap. pop() takes the smaller of the two fronts.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <vector>

#include "core/task_graph.hpp"

namespace troupe {

template <class Payload>
class ready_queue {
 public:
  struct entry {
    std::uint64_t generation;
    task_index task;
    Payload payload;
    bool operator<(const entry& other) const noexcept {
      return generation != other.generation ? generation < other.generation : task < other.task;
    }
  };

  bool empty() const noexcept { return in_order_.empty() && heap_.empty(); }
  std::size_t size() const noexcept { return in_order_.size() + heap_.size(); }

  void push(const entry& e) {
    if (in_order_.empty() || !(e < in_order_.back())) {
      in_order_.push_back(e);
    } else {
      heap_.push_back(e);
      std::push_heap(heap_.begin(), heap_.end(), later);
    }
  }

  const entry& top() const noexcept {
    if (heap_.empty()) return in_order_.front();
    if (in_order_.empty() || heap_.front() < in_order_.front()) return heap_.front();
    return in_order_.front();
  }

  void pop() {
    if (!heap_.empty() && (in_order_.empty() || heap_.front() < in_order_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      heap_.pop_back();
    } else {
      in_order_.pop_front();
    }
  }

  /// Drops every entry for which `drop` is true.
  template <class Predicate>
  void remove_if(Predicate drop) {
    in_order_.erase(std::remove_if(in_order_.begin(), in_order_.end(), drop), in_order_.end());
    auto kept = std::remove_if(heap_.begin(), heap_.end(), drop);
    if (kept != heap_.end()) {
      heap_.erase(kept, heap_.end());
      std::make_heap(heap_.begin(), heap_.end(), later);
    }
  }

 private:
  static bool later(const entry& a, const entry& b) noexcept { return b < a; }
  std::deque<entry> in_order_;  ///< ascending
  std::vector<entry> heap_;     ///< min-heap
};

}  // namespace troupe
