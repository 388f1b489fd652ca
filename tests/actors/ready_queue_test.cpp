// ready_queue: pops in (generation, priority) order whatever order entries arrive in.

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "actors/ready_queue.hpp"

using namespace troupe;

TEST_CASE("ready_queue: pops in priority order for in-order and shuffled pushes", "[actors]") {
  using queue = ready_queue<int>;
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    queue q;
    std::vector<queue::entry> pushed;
    // Mostly ascending runs with stragglers, as tasks become ready in a scheduler.
    for (task_index i = 0; i < 500; ++i) {
      task_index task = rng() % 5 == 0 ? static_cast<task_index>(rng() % 500) : i;
      queue::entry e{rng() % 3, task, static_cast<int>(i)};
      pushed.push_back(e);
      q.push(e);
      if (rng() % 4 == 0) {  // interleave pops: each must be the smallest still queued
        auto smallest = std::min_element(pushed.begin(), pushed.end());
        CHECK_FALSE(q.top() < *smallest);
        CHECK_FALSE(*smallest < q.top());
        auto same = std::find_if(pushed.begin(), pushed.end(), [&](const queue::entry& x) {
          return x.generation == q.top().generation && x.task == q.top().task;
        });
        pushed.erase(same);
        q.pop();
      }
    }
    std::sort(pushed.begin(), pushed.end());
    REQUIRE(q.size() == pushed.size());
    for (const auto& expected : pushed) {
      CHECK(q.top().generation == expected.generation);
      CHECK(q.top().task == expected.task);
      q.pop();
    }
    CHECK(q.empty());
  }
}

TEST_CASE("ready_queue: remove_if drops entries from both halves", "[actors]") {
  ready_queue<int> q;
  for (task_index i = 0; i < 10; ++i) q.push({0, i, static_cast<int>(i % 2)});
  q.push({0, 3, 1});  // out of order: goes to the heap
  q.remove_if([](const auto& e) { return e.payload == 1; });
  CHECK(q.size() == 5);
  for (task_index expected : {0u, 2u, 4u, 6u, 8u}) {
    CHECK(q.top().task == expected);
    q.pop();
  }
}
