// transfer_sizes: worker -> worker moves of float64 arrays from 1 KiB to 512 MiB on a
// LocalCluster of 2 worker processes x 1 thread, as bench/transfer_sizes/dask_bench.py does in
// Dask. Per size (1 KiB, 4 KiB, ... by fours, and --max-mib): the median seconds of --repeat
// moves (4x as many under 1 MiB; each the input of a task pinned to the other worker, the
// array scattered to the first one beforehand), and the CPU seconds the sending and the
// receiving worker process spent per GB moved (from /proc/PID/stat, in 10 ms ticks: read it
// for sizes of a few MiB and up). Then the
// delay a control message sees while a 512 MiB move runs: round trips of a tiny task on the
// sending worker, against the same with nothing moving. Prints one JSON line for bench/run.
//
//   bench_transfer_sizes [--max-mib N] [--repeat R]

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/common/flags.hpp"
#include "bench/common/futures_cluster.hpp"
#include "collections/client.hpp"
#include "core/ndarray.hpp"

namespace {

using troupe::bench::seconds_since;
using troupe::bench::usage_error;

std::int64_t size_of(const troupe::ndarray& xs) { return static_cast<std::int64_t>(xs.size()); }
TROUPE_FUNCTION(size_of);

/// utime + stime of a process in seconds.
double cpu_seconds(std::uint64_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  auto fields = std::istringstream(text.substr(text.rfind(')') + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt: fields 3 to 13
  double user = 0, system = 0;
  fields >> user >> system;
  return (user + system) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// A float64 array of n elements, each x (numpy's np.full, as the Dask side sends).
troupe::ndarray filled(std::size_t n, double x) {
  troupe::ndarray a(troupe::dtype::float64, {static_cast<std::int64_t>(n)});
  std::fill_n(a.mutable_data<double>(), n, x);
  return a;
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

/// Round trips of bench_inc on `worker`, in seconds: `count` of them, or as many as fit while
/// `busy` is not done (at least one).
template <class Busy>
std::vector<double> round_trips(troupe::Client& client, const troupe::submit_options& where,
                                std::size_t count, Busy&& busy) {
  std::vector<double> seconds;
  for (std::int64_t i = 0; seconds.size() < count || (count == 0 && (seconds.empty() || busy()));
       ++i) {
    auto t0 = std::chrono::steady_clock::now();
    if (client.submit(troupe::bench::bench_inc, i, where).result() != i + 1)
      throw std::runtime_error("bench_inc gave a wrong answer");
    seconds.push_back(seconds_since(t0));
  }
  return seconds;
}

nlohmann::json run(std::size_t max_mib, std::size_t repeat) {
  nlohmann::json report = {{"workload", "transfer_sizes"},
                           {"implementation", "troupe"},
                           {"n_workers", troupe::bench::futures_n_workers},
                           {"threads_per_worker", troupe::bench::futures_threads_per_worker},
                           {"sizes", nlohmann::json::array()}};
  auto start = std::chrono::steady_clock::now();
  troupe::Client client(troupe::bench::futures_cluster());
  report["startup_seconds"] = seconds_since(start);
  auto workers = client.info().workers;
  const auto sender = workers.at(0), receiver = workers.at(1);
  auto on = [](const troupe::cluster::worker_info& w) {
    return troupe::submit_options{.pure = false, .workers = {w.address}};
  };
  std::vector<std::size_t> sizes;
  for (std::size_t bytes = 1024; bytes < max_mib << 20; bytes *= 4) sizes.push_back(bytes);
  sizes.push_back(max_mib << 20);
  for (auto bytes : sizes) {
    const std::size_t n = bytes / sizeof(double);
    const std::size_t reps = bytes < (1 << 20) ? 4 * repeat : repeat;
    std::vector<double> seconds;
    double sender_cpu = 0, receiver_cpu = 0;
    for (std::size_t r = 0; r < reps; ++r) {
      // Scatter fills the workers round-robin from the first: the array is on the sender.
      auto array = client.scatter_one(filled(n, static_cast<double>(r)));
      std::this_thread::sleep_for(std::chrono::milliseconds(bytes >= (64 << 20) ? 300 : 20));
      auto send_before = cpu_seconds(sender.pid), receive_before = cpu_seconds(receiver.pid);
      auto t0 = std::chrono::steady_clock::now();
      auto got = client.submit(size_of, array, on(receiver)).result();
      seconds.push_back(seconds_since(t0));
      sender_cpu += cpu_seconds(sender.pid) - send_before;
      receiver_cpu += cpu_seconds(receiver.pid) - receive_before;
      if (got != static_cast<std::int64_t>(n))
        throw std::runtime_error("the receiver saw " + std::to_string(got) + " elements");
    }
    const double gb = static_cast<double>(reps * bytes) / 1e9;
    report["sizes"].push_back({{"bytes", bytes},
                               {"repeat", reps},
                               {"seconds", median(seconds)},
                               {"sender_cpu_seconds_per_gb", sender_cpu / gb},
                               {"receiver_cpu_seconds_per_gb", receiver_cpu / gb}});
  }
  // The delay of a control message (a tiny task's round trip on the sender) while the largest
  // array moves, against the same with nothing moving.
  report["idle_round_trip_seconds"] = round_trips(client, on(sender), 20, [] { return false; });
  auto array = client.scatter_one(filled((max_mib << 20) / sizeof(double), 1.0));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto moving = client.submit(size_of, array, on(receiver));
  report["busy_round_trip_seconds"] =
      round_trips(client, on(sender), 0, [&] { return !moving.done(); });
  moving.result();
  report["busy_bytes"] = max_mib << 20;
  client.close();
  return report;
}

}  // namespace

int main(int argc, char** argv) {
  return troupe::bench::cluster_benchmark_main(argc, argv, "[--max-mib N] [--repeat R]", [&] {
    std::size_t max_mib = 512, repeat = 3;
    troupe::bench::parse_count_flags(argc, argv, {{"--max-mib", &max_mib}, {"--repeat", &repeat}});
    if (max_mib < 1 || repeat < 1) throw usage_error("--max-mib and --repeat must be at least 1");
    return run(max_mib, repeat).dump();
  });
}
