// Seed 002, the Dask futures tutorial, in C++: submit and result, futures as arguments of
// later submits, map and gather, as_completed, wait, scatter, exceptions with their remote
// traceback, cancel, fire_and_forget, and delayed values computed on the cluster.
//
//   futures_tutorial             starts a LocalCluster of 2 worker processes x 5 threads
//   futures_tutorial tcp://H:P [N]  uses a running cluster, once N workers joined (default 1)
//                                (cli-cluster.sh beside this file)
//
// The example checks its answers; a wrong one ends it with status 1.

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <numeric>

#include <troupe/troupe.hpp>

#include "tasks.hpp"

using namespace futures_tasks;
using std::chrono::steady_clock;

namespace {

double seconds_since(steady_clock::time_point start) {
  return std::chrono::duration<double>(steady_clock::now() - start).count();
}

void expect(bool ok, const std::string& what) {
  if (ok) return;
  std::cerr << "futures: wrong result: " << what << '\n';
  std::exit(1);
}

std::int64_t power(std::int64_t x, int y) {
  std::int64_t p = 1;
  while (y-- > 0) p *= x;
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  troupe::init(argc, argv);  // a LocalCluster's worker processes run this program too
  auto client = argc > 1 ? std::make_unique<troupe::Client>(argv[1])
                         : std::make_unique<troupe::Client>(troupe::LocalCluster{
                               .n_workers = 2, .threads_per_worker = 5});
  if (argc > 1) client->wait_for_workers(argc > 2 ? std::stoul(argv[2]) : 1);
  std::cout << *client;

  // submit returns at once with a future; result() waits for it.
  auto future = client->submit(inc, 1);
  std::cout << "submit: inc(1) is " << future.status();
  auto one_more = future.result();
  std::cout << ", then " << one_more << " (" << future.status() << ")\n";
  expect(one_more == 2, "inc(1)");

  // Futures are arguments of later submits; their data stays on the workers.
  auto x = client->submit(inc, 1);
  auto y = client->submit(double_it, 2);
  auto z = client->submit(add, x, y);
  std::cout << "add(inc(1), double(2)) = " << z.result() << '\n';
  expect(z.result() == 6, "add(inc(1), double(2))");

  // Ten one-second calls on ten threads take about one second.
  auto start = steady_clock::now();
  std::vector<troupe::Future<std::int64_t>> powers;
  for (std::int64_t i = 0; i < 10; ++i) powers.push_back(client->submit(slow_pow, i, 10));
  auto values = client->gather(powers);
  std::int64_t total = std::accumulate(values.begin(), values.end(), std::int64_t{0});
  std::cout << "10 x slow_pow(i, 10) = " << total << " in " << seconds_since(start) << " s\n";
  std::int64_t expected = 0;
  for (int i = 0; i < 10; ++i) expected += power(i, 10);
  expect(total == expected, "the sum of slow_pow(i, 10)");

  // map over sequences; a reduction that takes the futures themselves.
  std::vector<std::int64_t> numbers(30);
  std::iota(numbers.begin(), numbers.end(), 0);
  auto incremented = client->map(inc, numbers);
  auto doubled = client->map(double_it, incremented);
  auto summed = client->submit(sum_all, doubled);
  std::cout << "sum(double(inc(i)) for i < 30) = " << summed.result() << '\n';
  expect(summed.result() == 2 * (30 * 31 / 2), "sum of doubled increments");

  // as_completed hands futures over as they finish.
  std::vector<troupe::Future<troupe::Value>> racing;
  for (std::int64_t i : {3, 1, 2}) racing.push_back(client->submit(slow_pow, i, 2));
  std::cout << "as_completed:";
  for (const auto& done : troupe::as_completed(racing))
    std::cout << ' ' << done.value().as<std::int64_t>();
  std::cout << '\n';

  // wait for the first one, then for all.
  auto pending = client->map(inc, std::vector<std::int64_t>{100, 200, 300});
  std::vector<troupe::Future<troupe::Value>> as_values(pending.begin(), pending.end());
  auto first = troupe::wait(as_values, {.when = troupe::return_when::FIRST_COMPLETED});
  auto all = troupe::wait(as_values);
  std::cout << "wait: first " << first.done.size() << " done, then " << all.done.size()
            << " of 3\n";
  expect(all.done.size() == 3, "wait for all");

  // scatter puts data on the workers once; futures of it are cheap to pass around.
  auto data = client->scatter(std::vector<std::int64_t>{10, 20, 30, 40});
  auto scattered_total = client->submit(sum_all, data);
  auto broadcast = client->scatter_one(std::int64_t{1000}, {.broadcast = true});
  auto shifted = client->map(add, data, std::vector<troupe::Future<std::int64_t>>(4, broadcast));
  std::cout << "scatter: sum " << scattered_total.result() << ", shifted "
            << client->gather(shifted)[3] << '\n';
  expect(scattered_total.result() == 100 && client->gather(shifted)[3] == 1040, "scatter");

  // A task that raises: result() rethrows on the client, with the remote traceback.
  auto failing = client->submit(safe_inverse, 0.0);
  try {
    failing.result();
    expect(false, "safe_inverse(0) should raise");
  } catch (const troupe::TaskError& e) {
    std::cout << "exception: " << e.type_name() << ": " << e.message() << " (status "
              << failing.status() << ", traceback of "
              << std::count(e.traceback().begin(), e.traceback().end(), '\n') << " lines)\n";
  }

  // cancel stops a task; fire_and_forget runs one even after its future is dropped.
  auto slow = client->submit(slow_pow, 7, 7, troupe::submit_options{.pure = false});
  slow.cancel();
  slow.wait(std::chrono::seconds(10));
  std::cout << "cancel: " << slow.status() << '\n';
  expect(slow.cancelled(), "cancel");
  troupe::fire_and_forget(client->submit(inc, 41, troupe::submit_options{.pure = false}));

  // Delayed values computed on the cluster: compute() goes to the active client.
  auto d_inc = troupe::delayed(inc);
  auto d_add = troupe::delayed(add);
  auto delayed_total = d_add(d_inc(10), d_inc(20));
  auto computed = delayed_total.compute().as<std::int64_t>();
  auto persisted = client->persist({delayed_total});
  std::cout << "delayed: add(inc(10), inc(20)) = " << computed << " (persisted: "
            << persisted[0].value().as<std::int64_t>() << ")\n";
  expect(computed == 32, "delayed compute on the cluster");
  std::cout << "futures: done\n";
  return 0;
}
