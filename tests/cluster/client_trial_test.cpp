// Defects a new user's trial of the cluster found (2026-12-02), each kept fixed: an empty
// Future, as_completed over many futures, memory limits a worker cannot live with, a Client
// pointed at a worker or at another program's port, result() of a scattered value whose only
// holder dies while it is being fetched, a client whose scheduler freezes, and a value
// scattered again just after its future was dropped.

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <set>
#include <thread>

#include "collections/client.hpp"
#include "collections/local_cluster.hpp"
#include "core/config.hpp"
#include "net/address.hpp"

using namespace troupe;
using Catch::Contains;

namespace {

std::int64_t trial_inc(std::int64_t x) { return x + 1; }
TROUPE_FUNCTION(trial_inc);
double trial_total(const std::vector<double>& xs) {
  double total = 0;
  for (double x : xs) total += x;
  return total;
}
TROUPE_FUNCTION(trial_total);

/// A listening socket on loopback that accepts and never says a word.
struct silent_listener {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  std::string address;
  silent_listener() {
    sockaddr_in where{};
    where.sin_family = AF_INET;
    where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&where), sizeof where) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    socklen_t length = sizeof where;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&where), &length);
    address = net::address{"127.0.0.1", ntohs(where.sin_port)}.to_string();
  }
  ~silent_listener() { ::close(fd); }
};

}  // namespace

TEST_CASE("client trial: an empty Future says so instead of crashing", "[cluster]") {
  Future<std::int64_t> empty;
  CHECK_FALSE(empty.valid());
  CHECK_THROWS_WITH(empty.result(), Contains("this Future is empty"));
  CHECK_THROWS_AS(empty.value(), ArgumentError);
  CHECK_THROWS_AS(empty.wait(), ArgumentError);
  CHECK_THROWS_AS(empty.cancel(), ArgumentError);
  CHECK_THROWS_AS(empty.release(), ArgumentError);
}

TEST_CASE("client trial: as_completed hands out every future once, as each is done",
          "[cluster]") {
  Client client(LocalCluster{.n_workers = 1, .threads_per_worker = 2, .processes = false});
  std::vector<std::int64_t> xs(20000);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<std::int64_t>(i);
  auto futures = client.map(trial_inc, xs);
  as_completed completed(std::vector<Future<Value>>(futures.begin(), futures.end()));
  CHECK(completed.remaining() == xs.size());
  std::set<std::string> seen;
  std::int64_t total = 0;
  for (const auto& future : completed) {
    CHECK(future.done());
    CHECK(seen.insert(future.key()).second);
    total += future.value().as<std::int64_t>();
  }
  CHECK(seen.size() == xs.size());
  CHECK(total == static_cast<std::int64_t>(xs.size() * (xs.size() + 1) / 2));
  CHECK(completed.remaining() == 0);
  CHECK_FALSE(completed.next().has_value());
  // Futures added later, some done already, some not.
  completed.add(futures.front());
  completed.add(client.submit(trial_inc, std::int64_t{-1}));
  auto first = completed.next_with_result();
  auto second = completed.next_with_result();
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK(first->second.as<std::int64_t>() + second->second.as<std::int64_t>() == 1);
}

TEST_CASE("client trial: memory limits are sizes, fractions, or refused when too small",
          "[cluster]") {
  CHECK(parse_memory_limit("4GiB", 1) == (std::uint64_t{4} << 30));
  CHECK(parse_memory_limit("500 MB", 1) == 500'000'000);
  CHECK(parse_memory_limit("0", 1) == 0);
  CHECK(parse_memory_limit("none", 1) == 0);
  const auto physical = parse_memory_limit("auto", 1);
  CHECK(parse_memory_limit("auto", 4) == physical / 4);
  const auto half = parse_memory_limit("0.5", 1);
  CHECK(half > physical / 2 - (1u << 20));
  CHECK(half < physical / 2 + (1u << 20));
  CHECK_THROWS_WITH(parse_memory_limit("10B", 1), Contains("needs 128 MiB or more"));
  CHECK_THROWS_WITH(parse_memory_limit("100MB", 1), Contains("give at least 128MiB"));
  CHECK_THROWS_WITH(parse_memory_limit("lots", 1), Contains("bad memory limit 'lots'"));
}

TEST_CASE("client trial: a Client of a worker's address or of another program fails at once",
          "[cluster][processes]") {
  Client cluster(LocalCluster{.n_workers = 1, .threads_per_worker = 1});
  const auto worker = cluster.info().workers.at(0).address;
  auto started = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(Client(worker), Contains("is not a troupe scheduler"));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
  // A port where something accepts and stays silent: the error comes when the greeting does
  // not (CAF itself would wait for it forever).
  silent_listener silent;
  config::set("scheduler-timeout", "2");  // the greeting's wait (30 s for a Client otherwise)
  CHECK_THROWS_WITH(Client(silent.address), Contains("it sent no greeting"));
  config::unset("scheduler-timeout");
  // The cluster is untouched.
  CHECK(cluster.submit(trial_inc, std::int64_t{41}).result() == 42);
}

TEST_CASE("client trial: a scattered value whose holder dies while fetched fails at once",
          "[cluster][processes]") {
  Client client(LocalCluster{.n_workers = 2, .threads_per_worker = 1});
  auto workers = client.info().workers;
  REQUIRE(workers.size() == 2);
  // 512 MiB on one worker (round robin: the first); its only copy dies mid-fetch.
  auto big = client.scatter_one(std::vector<double>(64 << 20, 3.0));
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    for (const auto& w : workers) ::kill(static_cast<pid_t>(w.pid), SIGKILL);
  });
  const auto started = std::chrono::steady_clock::now();
  try {
    auto values = big.result(std::chrono::seconds(60));
    CHECK(values.size() == (64u << 20));  // fetched before the kill: whole
    CHECK(values.back() == 3.0);
  } catch (const TaskError& e) {
    CHECK_THAT(e.what(), Contains("LostData"));
  }
  killer.join();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
  CHECK(client.submit(trial_inc, std::int64_t{1}).result(std::chrono::seconds(60)) == 2);
}

TEST_CASE("client trial: a client whose scheduler freezes gets an error, not a hang",
          "[cluster][processes]") {
  // A `troupe scheduler` of its own, stopped (SIGSTOP) once the client is connected: its
  // connection stays open, so only the client's heartbeat can tell.
  int out[2];
  REQUIRE(::pipe(out) == 0);
  const pid_t scheduler = ::fork();
  REQUIRE(scheduler >= 0);
  if (scheduler == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::execl(TROUPE_CLI, TROUPE_CLI, "scheduler", "--host", "127.0.0.1", "--port", "0",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  FILE* banner = ::fdopen(out[0], "r");
  char line[256] = {};
  REQUIRE(std::fgets(line, sizeof line, banner) != nullptr);
  std::string address = line;
  address = address.substr(address.find("tcp://"));
  address.erase(address.find_last_not_of(" \n") + 1);
  config::set("scheduler-timeout", "2");
  {
    Client client(address);
    REQUIRE(::kill(scheduler, SIGSTOP) == 0);
    const auto started = std::chrono::steady_clock::now();
    auto pending = client.submit(trial_inc, std::int64_t{1});  // no worker: it never runs
    CHECK_THROWS_WITH(pending.result(std::chrono::seconds(60)), Contains("answered nothing"));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
    CHECK(pending.status() == "lost");
    ::kill(scheduler, SIGCONT);
  }
  config::unset("scheduler-timeout");
  ::kill(scheduler, SIGTERM);
  int status = 0;
  ::waitpid(scheduler, &status, 0);
  std::fclose(banner);
}

TEST_CASE("client trial: a value scattered again just after its future was dropped stays",
          "[cluster][processes]") {
  // With content keys the second scatter had the key whose release was still on its way:
  // the release could reach the worker after the new copy and drop it, while the new future
  // said finished (result() then waited out its timeout). Each scatter has a key of its own.
  Client client(LocalCluster{.n_workers = 2, .threads_per_worker = 1});
  std::vector<double> values(10000);  // 80 KB: over the data plane
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i) * 0.5;
  const double total = trial_total(values);
  for (int round = 0; round < 60; ++round) {
    INFO("round " << round);
    std::string first_key;
    {
      auto first = client.scatter_one(values);
      first_key = first.key();
    }
    auto again = client.scatter_one(values);
    CHECK(again.key() != first_key);
    CHECK(again.result(std::chrono::seconds(30)) == values);
    CHECK(client.submit(trial_total, again, submit_options{.pure = false})
              .result(std::chrono::seconds(30)) == total);
  }
}

TEST_CASE("client trial: a Client made by one thread closes on another while the first lives",
          "[cluster]") {
  // The thread that made the Client's actor system held its logger, which the system's
  // destructor waits for: destroyed elsewhere while that thread lived, it hung for ever.
  auto client = std::make_unique<Client>(
      LocalCluster{.n_workers = 1, .threads_per_worker = 1, .processes = false});
  CHECK(client->submit(trial_inc, std::int64_t{41}).result() == 42);
  auto closed = std::async(std::launch::async, [&] { client.reset(); });
  REQUIRE(closed.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
}
