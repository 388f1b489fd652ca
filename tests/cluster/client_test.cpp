#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "collections/client.hpp"

namespace {

std::int64_t cl_inc(std::int64_t x) { return x + 1; }
std::int64_t cl_add(std::int64_t a, std::int64_t b) { return a + b; }
std::int64_t cl_total(const std::vector<std::int64_t>& xs) {
  std::int64_t t = 0;
  for (auto x : xs) t += x;
  return t;
}
std::int64_t fail_on_three(std::int64_t x) {
  if (x == 3) throw std::invalid_argument("three is not allowed");
  return x;
}
TROUPE_FUNCTION(cl_inc);
TROUPE_FUNCTION(cl_add);
TROUPE_FUNCTION(cl_total);
TROUPE_FUNCTION(fail_on_three);

}  // namespace

using namespace troupe;

TEST_CASE("client: submit, map and gather on an in-process cluster", "[cluster]") {
  Client client(LocalCluster{.n_workers = 2, .threads_per_worker = 2, .processes = false});
  auto x = client.submit(cl_inc, std::int64_t{1});
  CHECK(x.result() == 2);
  CHECK(x.status() == "finished");
  auto y = client.submit(cl_add, x, std::int64_t{10});
  CHECK(y.result() == 12);
  std::vector<std::int64_t> xs(1000);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<std::int64_t>(i);
  auto futures = client.map(cl_inc, xs);
  auto values = client.gather(futures);
  REQUIRE(values.size() == xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) CHECK(values[i] == xs[i] + 1);
  auto sum = client.submit(cl_total, futures);
  CHECK(sum.result() == 1000 * 1001 / 2);
}

TEST_CASE("client: a task's exception reaches result() as TaskError", "[cluster]") {
  Client client(LocalCluster{.n_workers = 1, .threads_per_worker = 1, .processes = false});
  auto bad = client.submit(fail_on_three, std::int64_t{3});
  CHECK_THROWS_AS(bad.result(), TaskError);
  CHECK(bad.status() == "error");
  auto downstream = client.submit(cl_inc, bad);
  CHECK_THROWS_WITH(downstream.result(), Catch::Contains("three is not allowed"));
}

TEST_CASE("client: a LocalCluster of processes", "[cluster][processes]") {
  Client client(LocalCluster{.n_workers = 2, .threads_per_worker = 1});
  auto info = client.info();
  CHECK(info.workers.size() == 2);
  std::vector<std::int64_t> xs(200);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<std::int64_t>(i);
  auto futures = client.map(cl_inc, xs);
  auto sum = client.submit(cl_total, futures);
  CHECK(sum.result() == 200 * 201 / 2);
}
