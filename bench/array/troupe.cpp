// The array workloads of the arrays issue on troupe's threads scheduler, as
// bench/array/dask_bench.py runs them on Dask's:
//
//   seed000      (x + 1)[::2, ::2].sum(), x = normal(10, 1) of 10000² in 1000² chunks
//   seed001_40k  (x * x[::-1, ::-1]).sum(), x = ones of 40000² in 4000² chunks
//   seed001_full the same over 200000² in 10000² chunks (298 GiB of ones, never all made)
//   seed003_20k  x.mean(axis=1), x = normal(0, 1) of 20000² in 5000² chunks
//
// --quick divides every extent by 10. Prints one JSON line: the seconds of each repetition
// and the result (a number; for seed003 the mean of the row means). Nothing is constant-folded:
// every element is generated, combined and reduced.
//
//   bench_array --case NAME [--repeat R] [--quick] [--num-workers N]

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/common/flags.hpp"
#include "collections/array.hpp"

namespace da = troupe::array;

namespace {

struct sizes {
  std::int64_t n, chunk;
};

double run_case(const std::string& name, const sizes& s, const troupe::compute_options& options) {
  if (name == "seed000") {
    auto x = da::random::RandomState(42).normal(10, 1, {s.n, s.n}, {s.chunk, s.chunk});
    return (x + 1).slice({{{}, {}, 2}, {{}, {}, 2}}).sum().compute(options);
  }
  if (name == "seed001_40k" || name == "seed001_full") {
    auto x = da::ones({s.n, s.n}, {s.chunk, s.chunk});
    return (x * x.reversed()).sum().compute(options);
  }
  auto x = da::random::RandomState(42).normal(0, 1, {s.n, s.n}, {s.chunk, s.chunk});
  auto means = x.mean({1}).compute(options);
  double total = 0;
  for (std::size_t i = 0; i < means.size(); ++i) total += means.data<double>()[i];
  return total / static_cast<double>(means.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::string name;
  std::size_t repeat = 3, workers = 0;
  bool quick = false;
  std::vector<char*> counts{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--case" && i + 1 < argc) {
      name = argv[++i];
    } else if (a == "--quick") {
      quick = true;
    } else {
      counts.push_back(argv[i]);
    }
  }
  try {
    troupe::bench::parse_count_flags(static_cast<int>(counts.size()), counts.data(),
                                     {{"--repeat", &repeat}, {"--num-workers", &workers}});
  } catch (const troupe::bench::usage_error& e) {
    std::fprintf(stderr, "bench_array: %s\n", e.what());
    return 2;
  }
  sizes s;
  if (name == "seed000") s = {10000, 1000};
  else if (name == "seed001_40k") s = {40000, 4000};
  else if (name == "seed001_full") s = {200000, 10000};
  else if (name == "seed003_20k") s = {20000, 5000};
  else {
    std::fprintf(stderr, "usage: bench_array --case seed000|seed001_40k|seed001_full|seed003_20k "
                         "[--repeat R] [--quick] [--num-workers N]\n");
    return 2;
  }
  if (quick) s = {s.n / 10, s.chunk / 10};
  const troupe::compute_options options{.scheduler = "threads", .num_workers = workers};
  nlohmann::json report = {{"workload", name}, {"implementation", "troupe"}, {"n", s.n},
                           {"chunk", s.chunk}, {"seconds", nlohmann::json::array()}};
  for (std::size_t r = 0; r < repeat; ++r) {
    auto start = std::chrono::steady_clock::now();
    report["result"] = run_case(name, s, options);
    report["seconds"].push_back(troupe::bench::seconds_since(start));
  }
  std::printf("%s\n", report.dump().c_str());
}
