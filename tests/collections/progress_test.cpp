// The progress line (collections/progress_bar.hpp) and the task counts under it
// (core/progress.hpp): every task a scheduler runs is counted once, a compute of a second or
// more draws a line that ends at 100%, and a short one draws nothing.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "collections/compute.hpp"
#include "collections/progress_bar.hpp"
#include "core/graph.hpp"
#include "core/progress.hpp"

using namespace troupe;
using Catch::Contains;

namespace {

std::int64_t nap_then_one(std::int64_t ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return 1;
}
TROUPE_FUNCTION(nap_then_one);

/// n independent nap_then_one(ms) tasks and a key naming each.
std::pair<Graph, std::vector<Key>> naps(int n, std::int64_t ms) {
  Graph g;
  std::vector<Key> keys;
  auto f = find_function("nap_then_one");
  for (int i = 0; i < n; ++i) {
    keys.push_back("nap-" + std::to_string(i));
    g.add(keys.back(), Task{f, {Value(ms)}});
  }
  return {std::move(g), std::move(keys)};
}

std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string text;
  for (int c; (c = std::fgetc(f)) != EOF;) text += static_cast<char>(c);
  return text;
}

}  // namespace

TEST_CASE("progress: every task run is counted once, on sync and threads", "[collections]") {
  auto [g, keys] = naps(50, 0);
  for (const char* scheduler : {"sync", "threads"}) {
    INFO(scheduler);
    const auto before = progress::tasks_run();
    get(g, keys, {.scheduler = scheduler, .num_workers = 2});
    CHECK(progress::tasks_run() - before == 50);
  }
}

TEST_CASE("progress: a line for a compute of a second or more, ending at 100%",
          "[collections]") {
  std::FILE* out = std::tmpfile();
  REQUIRE(out != nullptr);
  {
    progress_bar bar(40, out);
    for (int i = 0; i < 40; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(40));
      progress::count_task();
    }
  }
  const auto text = contents(out);
  CHECK_THAT(text, Contains("] 100% | 40/40 tasks | "));
  CHECK(text.back() == '\n');
  CHECK(text.front() == '\r');
  std::fclose(out);
  // A short compute draws nothing.
  std::FILE* quiet = std::tmpfile();
  { progress_bar bar(5, quiet); }
  CHECK(contents(quiet).empty());
  std::fclose(quiet);
  // compute(..., {.progress = true}) draws on standard error.
  auto [g, keys] = naps(24, 100);
  std::FILE* err = std::tmpfile();
  const int saved = ::dup(2);
  ::dup2(::fileno(err), 2);
  get(g, keys, {.scheduler = "threads", .num_workers = 2, .progress = true});
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  CHECK_THAT(contents(err), Contains("] 100% | 24/24 tasks | "));
  std::fclose(err);
}
