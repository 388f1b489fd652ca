#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <algorithm>

#include "collections/client.hpp"
#include "actors/cluster/node.hpp"
#include "core/graph.hpp"
#include "core/ndarray.hpp"
#include "core/wire_form.hpp"
#include "net/raw_peer.hpp"

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

namespace {

std::int64_t slow_square(std::int64_t x) {
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return x * x;
}
std::int64_t sleep_ms(std::int64_t ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}
TROUPE_FUNCTION(slow_square);
TROUPE_FUNCTION(sleep_ms);

}  // namespace

TEST_CASE("client: futures API on an in-process cluster", "[cluster]") {
  Client client(LocalCluster{.n_workers = 2, .threads_per_worker = 2, .processes = false});

  SECTION("the same pure call twice is one task, an impure one is new") {
    auto a = client.submit(cl_inc, std::int64_t{41});
    auto b = client.submit(cl_inc, std::int64_t{41});
    auto c = client.submit(cl_inc, std::int64_t{41}, submit_options{.pure = false});
    CHECK(a.key() == b.key());
    CHECK(a.key() != c.key());
    CHECK(c.result() == 42);
    auto named = client.submit(cl_inc, std::int64_t{1}, submit_options{.key = "my-key"});
    CHECK(named.key() == "my-key");
    CHECK(named.result() == 2);
  }

  SECTION("map over two sequences; gather; scatter and broadcast") {
    std::vector<std::int64_t> xs{1, 2, 3}, ys{10, 20, 30};
    auto sums = client.gather(client.map(cl_add, xs, ys));
    CHECK(sums == std::vector<std::int64_t>{11, 22, 33});
    CHECK_THROWS_AS(client.map(cl_add, xs, std::vector<std::int64_t>{1}), ArgumentError);
    auto data = client.scatter(std::vector<std::int64_t>{5, 6, 7});
    auto plus = client.map(cl_inc, data);
    CHECK(client.gather(plus) == std::vector<std::int64_t>{6, 7, 8});
    auto shared = client.scatter_one(std::int64_t{100}, scatter_options{.broadcast = true});
    CHECK(client.submit(cl_add, shared, std::int64_t{1}).result() == 101);
  }

  SECTION("wait, as_completed and done callbacks") {
    std::vector<Future<Value>> futures;
    for (std::int64_t ms : {30, 1, 10}) futures.push_back(client.submit(sleep_ms, ms));
    auto first = wait(futures, wait_options{.when = return_when::FIRST_COMPLETED});
    CHECK(!first.done.empty());
    auto all = wait(futures);
    CHECK(all.done.size() == 3);
    CHECK(all.not_done.empty());
    std::vector<std::int64_t> order;
    for (const auto& f : as_completed(futures)) order.push_back(f.value().as<std::int64_t>());
    std::sort(order.begin(), order.end());
    CHECK(order == std::vector<std::int64_t>{1, 10, 30});
    as_completed with_results(futures);
    std::int64_t total = 0;
    while (auto done = with_results.next_with_result()) total += done->second.as<std::int64_t>();
    CHECK(total == 41);
    std::atomic<int> called{0};
    auto f = client.submit(sleep_ms, std::int64_t{5}, submit_options{.pure = false});
    f.add_done_callback([&](const Future<std::int64_t>& done) {
      if (done.status() == "finished") ++called;
    });
    f.wait();
    for (int i = 0; i < 100 && called == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    CHECK(called == 1);
  }

  SECTION("a timeout is an error, not a hang; cancel; exception and traceback") {
    auto slow = client.submit(sleep_ms, std::int64_t{300}, submit_options{.pure = false});
    CHECK_THROWS_AS(slow.result(std::chrono::milliseconds(10)), TimeoutError);
    CHECK(!slow.wait(std::chrono::milliseconds(1)));
    auto cancelled = client.submit(sleep_ms, std::int64_t{200}, submit_options{.pure = false});
    cancelled.cancel();
    CHECK(cancelled.wait(std::chrono::seconds(10)));
    CHECK(cancelled.cancelled());
    CHECK_THROWS_AS(cancelled.result(), CancelledError);
    auto bad = client.submit(fail_on_three, std::int64_t{3}, submit_options{.pure = false});
    CHECK(bad.exception() != nullptr);
    CHECK_THROWS_WITH(std::rethrow_exception(bad.exception()),
                      Catch::Contains("three is not allowed"));
    CHECK(client.submit(cl_inc, std::int64_t{0}).exception() == nullptr);
  }

  SECTION("retries rerun a failing task; retry() reruns an erred one") {
    auto attempts = std::make_shared<std::atomic<int>>(0);
    auto flaky = local_function("flaky", [attempts](std::int64_t x) -> std::int64_t {
      if (++*attempts < 3) throw std::runtime_error("not yet");
      return x;
    });
    cluster::task_spec spec;
    spec.key = "flaky-1";
    spec.function.function = flaky;
    spec.retries = 2;
    cluster::wire_arg arg;
    arg.value.value = Value(std::int64_t{7});
    spec.args.push_back(arg);
    auto f = client.submit_prepared(spec);
    CHECK(f.value().as<std::int64_t>() == 7);
    CHECK(*attempts == 3);
  }

  SECTION("delayed compute and troupe::get go to the active client") {
    auto inc = delayed(cl_inc);
    auto x = inc(inc(std::int64_t{1}));
    CHECK(x.compute().as<std::int64_t>() == 3);
    auto futures = client.compute(std::vector<Delayed>{x, inc(x)});
    CHECK(futures[1].value().as<std::int64_t>() == 4);
    Graph g;
    g.add("a", Value(std::int64_t{4}));
    g.add("b", Task{find_function("troupe.inc"), {Arg::ref("a")}});
    auto values = get(g, {"b", "a"});
    CHECK(values[0].as<std::int64_t>() == 5);
    CHECK(values[1].as<std::int64_t>() == 4);
  }
}

TEST_CASE("client: dropped futures and closed clients release their keys",
          "[cluster][processes]") {
  Client client(LocalCluster{.n_workers = 1, .threads_per_worker = 2});
  auto tasks_left = [&] {
    // Releases are batched: give them a moment to arrive.
    for (int i = 0; i < 400; ++i) {
      if (client.info().tasks == 0) return std::uint64_t{0};
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return client.info().tasks;
  };
  {
    std::vector<std::int64_t> xs(500, 1);
    for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<std::int64_t>(i);
    auto futures = client.map(cl_inc, xs);
    auto sum = client.submit(cl_total, futures);
    CHECK(sum.result() == 500 * 501 / 2);
    CHECK(client.info().tasks > 0);
  }
  CHECK(tasks_left() == 0);
  {
    Client other(client.scheduler_address());
    auto f = other.submit(cl_inc, std::int64_t{5});
    CHECK(f.result() == 6);
    other.close();  // the future still lives, but its client left
  }
  CHECK(tasks_left() == 0);
}

namespace {

// fib by compute() inside tasks: on a one-thread worker this deadlocks unless the waiting task
// secedes and its compute goes to the cluster.
std::int64_t cluster_fib(std::int64_t n) {
  if (n < 2) return n;
  auto fib = delayed(cluster_fib);
  auto [a, b] = troupe::compute(fib(n - 1), fib(n - 2));
  return a.as<std::int64_t>() + b.as<std::int64_t>();
}
TROUPE_FUNCTION(cluster_fib);

}  // namespace

TEST_CASE("client: compute inside a task goes to the cluster it runs on",
          "[cluster][processes]") {
  Client client(LocalCluster{.n_workers = 1, .threads_per_worker = 1});
  CHECK(client.submit(cluster_fib, std::int64_t{7}).result(std::chrono::seconds(120)) == 13);
  Client local(LocalCluster{.n_workers = 1, .threads_per_worker = 1, .processes = false});
  CHECK(local.submit(cluster_fib, std::int64_t{6}).result(std::chrono::seconds(120)) == 8);
}

TEST_CASE("client: lambdas cannot be sent to worker processes", "[cluster][processes]") {
  Client client(LocalCluster{.n_workers = 1, .threads_per_worker = 1});
  auto lambda = [](std::int64_t x) { return x * 2; };
  CHECK_THROWS_WITH(client.submit(lambda, std::int64_t{1}),
                    Catch::Contains("TROUPE_FUNCTION") && Catch::Contains("cannot send"));
  // In-process workers take them.
  Client local(LocalCluster{.n_workers = 1, .threads_per_worker = 1, .processes = false});
  CHECK(local.submit(lambda, std::int64_t{21}).result() == 42);
}

TEST_CASE("client: a worker process killed mid-run loses no result", "[cluster][processes]") {
  Client client(LocalCluster{.n_workers = 3, .threads_per_worker = 1});
  std::vector<std::int64_t> xs(3000);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<std::int64_t>(i);
  auto squares = client.map(slow_square, xs);
  // A tree of sums over the squares, so that lost intermediate results must be recomputed.
  std::vector<Future<std::int64_t>> level(squares.begin(), squares.end());
  while (level.size() > 1) {
    std::vector<Future<std::int64_t>> next;
    for (std::size_t i = 0; i < level.size(); i += 10) {
      std::vector<Future<std::int64_t>> group(level.begin() + static_cast<std::ptrdiff_t>(i),
                                              level.begin() + static_cast<std::ptrdiff_t>(
                                                                  std::min(level.size(), i + 10)));
      next.push_back(client.submit(cl_total, group));
    }
    level = std::move(next);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  auto workers = client.info().workers;
  REQUIRE(workers.size() == 3);
  REQUIRE(kill(static_cast<pid_t>(workers[1].pid), SIGKILL) == 0);
  std::int64_t expected = 0;
  for (auto x : xs) expected += x * x;
  CHECK(level.front().result(std::chrono::seconds(120)) == expected);
}

namespace {

// Touches `mb` MiB of fresh memory and keeps it for a while.
std::int64_t hold_memory(std::int64_t mb) {
  std::vector<char> block(static_cast<std::size_t>(mb) << 20);
  for (std::size_t i = 0; i < block.size(); i += 4096) block[i] = static_cast<char>(i);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  return mb + block[4096];
}
TROUPE_FUNCTION(hold_memory);

}  // namespace

TEST_CASE("client: a worker past its memory limit is restarted by its nanny",
          "[cluster][processes]") {
  // The nanny kills the worker at 95% of 200 MB: each attempt dies, and after the allowed
  // failures the task errs as KilledWorker; the restarted worker still serves.
  Client client(LocalCluster{.n_workers = 1, .threads_per_worker = 1, .memory_limit = "200MB"});
  auto first_pid = client.info().workers.at(0).pid;
  auto hog = client.submit(hold_memory, std::int64_t{400});
  CHECK_THROWS_WITH(hog.result(std::chrono::seconds(120)),
                    Catch::Contains("KilledWorker") && Catch::Contains("workers that died"));
  CHECK(client.submit(cl_inc, std::int64_t{41}).result(std::chrono::seconds(60)) == 42);
  client.wait_for_workers(1, std::chrono::seconds(30));
  CHECK(client.info().workers.at(0).pid != first_pid);
  // Under the limit the same task finishes.
  CHECK(client.submit(hold_memory, std::int64_t{20}).result(std::chrono::seconds(60)) == 20);
}

namespace {

std::vector<double> ramp(std::int64_t n, double start) {
  std::vector<double> xs(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = start + static_cast<double>(i) * 0.25;
  return xs;
}
double weighted_total(const std::vector<double>& a, const std::vector<double>& b) {
  double total = 0;
  for (double x : a) total += x;
  for (double x : b) total += 2 * x;
  return total;
}
TROUPE_FUNCTION(ramp);
TROUPE_FUNCTION(weighted_total);

/// A rows x 300 array of `code`'s dtype whose element i is a function of (i, seed).
ndarray nd_pattern(std::int64_t rows, std::int64_t code, std::int64_t seed) {
  ndarray a(static_cast<dtype>(code), {rows, 300});
  auto fill = [&](auto* out, auto element) {
    for (std::size_t i = 0; i < a.size(); ++i) out[i] = element(static_cast<std::int64_t>(i));
  };
  switch (a.type()) {
    case dtype::float64: fill(a.mutable_data<double>(), [&](auto i) { return i * 0.5 + seed; }); break;
    case dtype::float32: fill(a.mutable_data<float>(), [&](auto i) { return float(i % 1000) - seed; }); break;
    case dtype::int64: fill(a.mutable_data<std::int64_t>(), [&](auto i) { return i * seed - (1LL << 40); }); break;
    case dtype::boolean: fill(a.mutable_data<bool>(), [&](auto i) { return (i + seed) % 3 == 0; }); break;
  }
  return a;
}
/// The array as it came, for comparing on the client: its encoding (dtype, shape, bytes).
std::string nd_encoding(const ndarray& a) { return make_value(a).encode(); }
TROUPE_FUNCTION(nd_pattern);
TROUPE_FUNCTION(nd_encoding);

}  // namespace

TEST_CASE("client: ndarrays of every dtype move between worker processes byte for byte",
          "[cluster][processes]") {
  // 2,000 x 300 elements (4.8 MB as float64, 0.6 MB as bool: both sides of the data plane's
  // direct-copy threshold): made on one worker, read by a task on the other, gathered, and
  // scattered from the client and gathered back.
  Client client(LocalCluster{.n_workers = 2, .threads_per_worker = 1});
  auto workers = client.info().workers;
  REQUIRE(workers.size() == 2);
  for (std::int64_t code = 1; code <= 4; ++code) {
    INFO(dtype_name(static_cast<dtype>(code)));
    auto expected = nd_pattern(2000, code, 7);
    auto made = client.submit(nd_pattern, std::int64_t{2000}, code, std::int64_t{7},
                              submit_options{.workers = {workers[0].name}});
    auto seen = client.submit(nd_encoding, made, submit_options{.workers = {workers[1].name}});
    CHECK(seen.result(std::chrono::seconds(60)) == make_value(expected).encode());
    CHECK(made.result(std::chrono::seconds(60)) == expected);
    auto scattered = client.scatter_one(nd_pattern(2000, code, 9));
    CHECK(client.submit(nd_encoding, scattered).result(std::chrono::seconds(60)) ==
          make_value(nd_pattern(2000, code, 9)).encode());
    CHECK(scattered.result(std::chrono::seconds(60)) == nd_pattern(2000, code, 9));
  }
}

TEST_CASE("client: large values move between worker processes and to the client",
          "[cluster][processes]") {
  // a (16 MB) is made on one worker and used on the other, which fetches it over the data
  // plane; both results come back to the client the same way. Restrictions pin each task.
  Client client(LocalCluster{.n_workers = 2, .threads_per_worker = 1});
  auto workers = client.info().workers;
  REQUIRE(workers.size() == 2);
  auto first = workers[0].name, second = workers[1].address;  // by name and by address
  auto a = client.submit(ramp, std::int64_t{2'000'000}, 0.5, submit_options{.workers = {first}});
  auto b = client.submit(ramp, std::int64_t{1'000'000}, -3.0, submit_options{.workers = {second}});
  auto total = client.submit(weighted_total, a, b, submit_options{.workers = {second}});
  CHECK(total.result(std::chrono::seconds(60)) ==
        weighted_total(ramp(2'000'000, 0.5), ramp(1'000'000, -3.0)));
  CHECK(a.result(std::chrono::seconds(60)) == ramp(2'000'000, 0.5));
  CHECK(client.gather(std::vector<Future<std::vector<double>>>{b, a})[0] == ramp(1'000'000, -3.0));
  // Scattered (one to each worker, round-robin, over the data plane), used by a task on one
  // of them, and gathered back.
  auto scattered = client.scatter(std::vector<std::vector<double>>{ramp(1'500'000, 7.0),
                                                                   ramp(500'000, 1.0)});
  auto mixed = client.submit(weighted_total, scattered[0], scattered[1]);
  CHECK(mixed.result(std::chrono::seconds(60)) ==
        weighted_total(ramp(1'500'000, 7.0), ramp(500'000, 1.0)));
  CHECK(client.gather(scattered)[0] == ramp(1'500'000, 7.0));
}

TEST_CASE("client: a holder killed while a large input moves from it: the result is right",
          "[cluster][processes]") {
  // 256 MB made on worker-0 is the input of a task pinned to worker-1; worker-0 is killed
  // (kill -9) while the bytes are on their way. The fetch fails cleanly, the input is made
  // again on the restarted worker-0 (same name), and the task still gets the right numbers.
  Client client(LocalCluster{.n_workers = 2, .threads_per_worker = 1});
  auto workers = client.info().workers;
  REQUIRE(workers.size() == 2);
  const std::int64_t n = 32'000'000;
  auto a = client.submit(ramp, n, 0.5, submit_options{.workers = {workers[0].name}});
  auto small = client.submit(ramp, std::int64_t{10}, 1.0, submit_options{.workers = {workers[1].name}});
  REQUIRE(a.wait(std::chrono::seconds(60)));
  auto total = client.submit(weighted_total, a, small, submit_options{.workers = {workers[1].name}});
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  REQUIRE(kill(static_cast<pid_t>(workers[0].pid), SIGKILL) == 0);
  CHECK(total.result(std::chrono::seconds(120)) == weighted_total(ramp(n, 0.5), ramp(10, 1.0)));
}

TEST_CASE("client: a worker whose functions differ from the client's is refused", "[cluster]") {
  CHECK(signature_differences("a/1\nb/2\n", "a/1\nb/3\nc/1\n") == "b (arity 2 here, 3 there)");
  CHECK(signature_differences("a/1\n", "a/1\n").empty());
  cluster::cluster_node node(2);
  auto address = node.start_scheduler("", 0, false);
  auto connection = node.connect(address, "client");
  cluster::worker_info info;
  info.name = "odd";
  info.functions = "cl_inc/2\n";  // cl_inc takes one argument in this program
  CHECK_THROWS_WITH(node.start_worker(address, info, std::chrono::seconds(10)),
                    Catch::Contains("cl_inc (arity 2 here, 1 there)"));
  info.functions = "";  // this program's own functions
  node.start_worker(address, info, std::chrono::seconds(10));
  CHECK(node.scheduler_worker_count() == 1);
}

TEST_CASE("client: many values just over the data plane's threshold scatter and gather",
          "[cluster][processes]") {
  // 2,000 arrays of 80 KiB (each over the 64 KiB threshold: one put request per worker
  // carries a thousand values), one of exactly 64 KiB, and an empty one.
  Client client(LocalCluster{.n_workers = 2, .threads_per_worker = 1});
  std::vector<std::vector<double>> arrays;
  for (int i = 0; i < 2000; ++i) arrays.push_back(ramp(10240, i));
  arrays.push_back(ramp(8192, -1.0));
  arrays.push_back({});
  auto futures = client.scatter(arrays);
  auto back = client.gather(futures);
  REQUIRE(back.size() == arrays.size());
  for (std::size_t i = 0; i < arrays.size(); ++i) REQUIRE(back[i] == arrays[i]);
  // And used by tasks on the other worker: every pair summed where one of them is not.
  std::vector<Future<double>> totals;
  for (std::size_t i = 0; i + 1 < 2000; i += 2)
    totals.push_back(client.submit(weighted_total, futures[i], futures[i + 1]));
  auto sums = client.gather(totals);
  for (std::size_t i = 0; i < sums.size(); ++i)
    REQUIRE(sums[i] == weighted_total(arrays[2 * i], arrays[2 * i + 1]));
  // Made on the workers (not scattered: the client has no copy) and gathered: a thousand
  // values over the data plane from each worker.
  std::vector<std::int64_t> lengths(2000, 10240);
  std::vector<double> starts(2000);
  for (std::size_t i = 0; i < starts.size(); ++i) starts[i] = 0.5 * static_cast<double>(i);
  auto made = client.gather(client.map(ramp, lengths, starts));
  for (std::size_t i = 0; i < made.size(); ++i) REQUIRE(made[i] == ramp(10240, starts[i]));
}

TEST_CASE("client: garbage and a truncated transfer on a worker's data plane leave it serving",
          "[cluster][processes]") {
  Client client(LocalCluster{.n_workers = 2, .threads_per_worker = 1});
  auto workers = client.info().workers;
  REQUIRE(workers.size() == 2);
  auto send_to = [](const std::string& address, const std::string& bytes) {
    int fd = connect_raw(address);
    ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    ::close(fd);
  };
  // A put announcing 8 MB that stops after 1,000 bytes, and plain garbage, to each worker.
  auto form = to_wire_form(make_value(std::vector<double>(1 << 20, 1.0)));
  std::string truncated = "TRP1" + u32_bytes(1) + u32_bytes(1) + "k" +
                          u32_bytes(static_cast<std::uint32_t>(form.header.size())) + form.header +
                          std::string(1000, 'x');
  for (const auto& w : workers) {
    REQUIRE_FALSE(w.data_address.empty());
    send_to(w.data_address, truncated);
    send_to(w.data_address, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  // Both still serve: a large value made on one is used on the other and gathered.
  auto a = client.submit(ramp, std::int64_t{300'000}, 2.0, submit_options{.workers = {workers[0].name}});
  auto b = client.submit(ramp, std::int64_t{300'000}, 3.0, submit_options{.workers = {workers[1].name}});
  auto total = client.submit(weighted_total, a, b, submit_options{.workers = {workers[1].name}});
  CHECK(total.result(std::chrono::seconds(60)) ==
        weighted_total(ramp(300'000, 2.0), ramp(300'000, 3.0)));
  CHECK(a.result(std::chrono::seconds(60)) == ramp(300'000, 2.0));
  CHECK(client.info().workers.size() == 2);
  CHECK(client.info().workers[0].pid == workers[0].pid);  // not restarted
}
