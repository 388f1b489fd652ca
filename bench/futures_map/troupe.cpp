// futures_map: client.map of N inc calls on a LocalCluster of 2 worker processes x 1 thread,
// then one gather of all N results: the timed part, `--repeat` times on the same cluster.
// It measures the cluster runtime's per-task cost (client -> scheduler -> workers -> client).
// Dask runs the same with dask.distributed in dask_bench.py here.
//
//   bench_futures_map [--tasks N] [--repeat R]
//
// Each repetition maps over fresh values (r * N + i), so no key is left over from the one
// before; a warm-up map first has both workers run a task. Prints one JSON line for bench/run.

#include <charconv>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "collections/client.hpp"

namespace {

std::int64_t bench_inc(std::int64_t x) { return x + 1; }
TROUPE_FUNCTION(bench_inc);

constexpr std::size_t n_workers = 2;
constexpr std::size_t threads_per_worker = 1;

struct usage_error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct options {
  std::size_t tasks = 100000;
  std::size_t repeat = 1;
};

std::size_t parse_count(std::string_view flag, std::string_view text) {
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size())
    throw usage_error(std::string(flag) + " needs a non-negative integer, got '" +
                                std::string(text) + "'");
  return n;
}

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (i + 1 == argc) throw usage_error(std::string(flag) + " needs a value");
    std::string_view value = argv[++i];
    if (flag == "--tasks") o.tasks = parse_count(flag, value);
    else if (flag == "--repeat") o.repeat = parse_count(flag, value);
    else throw usage_error("unknown option " + std::string(flag));
  }
  if (o.tasks < 1 || o.repeat < 1)
    throw usage_error("--tasks and --repeat must be at least 1");
  return o;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// The timed part: map bench_inc over xs, then gather every result.
std::vector<std::int64_t> map_and_gather(troupe::Client& client,
                                         const std::vector<std::int64_t>& xs) {
  auto futures = client.map(bench_inc, xs);
  return client.gather(futures);
}

void check(const std::vector<std::int64_t>& xs, const std::vector<std::int64_t>& values) {
  if (values.size() != xs.size())
    throw std::runtime_error("gather returned " + std::to_string(values.size()) + " values for " +
                             std::to_string(xs.size()) + " futures");
  for (std::size_t i = 0; i < xs.size(); ++i)
    if (values[i] != xs[i] + 1)
      throw std::runtime_error("bench_inc(" + std::to_string(xs[i]) + ") came back as " +
                               std::to_string(values[i]));
}

nlohmann::json run(const options& o) {
  nlohmann::json report = {{"workload", "futures_map"},
                           {"implementation", "troupe"},
                           {"api", "futures"},
                           {"scheduler", "distributed"},
                           {"n_workers", n_workers},
                           {"threads_per_worker", threads_per_worker},
                           {"tasks", o.tasks},
                           {"seconds", nlohmann::json::array()}};
  auto start = std::chrono::steady_clock::now();
  troupe::Client client(
      troupe::LocalCluster{.n_workers = n_workers, .threads_per_worker = threads_per_worker});
  report["startup_seconds"] = seconds_since(start);
  {  // warm-up: values below 0, which no timed repetition maps over
    std::vector<std::int64_t> xs(100);
    for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = -1 - static_cast<std::int64_t>(i);
    check(xs, map_and_gather(client, xs));
  }
  std::vector<std::int64_t> xs(o.tasks);
  for (std::size_t r = 0; r < o.repeat; ++r) {
    for (std::size_t i = 0; i < o.tasks; ++i) xs[i] = static_cast<std::int64_t>(r * o.tasks + i);
    auto t0 = std::chrono::steady_clock::now();
    auto values = map_and_gather(client, xs);  // the futures are released on return
    report["seconds"].push_back(seconds_since(t0));
    check(xs, values);
  }
  client.close();
  return report;
}

}  // namespace

int main(int argc, char** argv) {
  troupe::init(argc, argv);  // a worker process started by the LocalCluster runs here and exits
  try {
    std::cout << run(parse_options(argc, argv)).dump() << std::endl;
    return 0;
  } catch (const usage_error& e) {
    std::cerr << argv[0] << ": " << e.what() << "\nusage: " << argv[0]
              << " [--tasks N] [--repeat R]\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << argv[0] << ": " << e.what() << "\n";
    return 1;
  }
}
