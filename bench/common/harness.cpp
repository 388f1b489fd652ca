#include "bench/common/harness.hpp"

#include "bench/common/flags.hpp"

#include <charconv>
#include <chrono>
#include <exception>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>

namespace troupe::bench {

namespace {

bench_options parse_options(int argc, char** argv) {
  bench_options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (i + 1 == argc) throw usage_error(std::string(flag) + " needs a value");
    std::string_view value = argv[++i];
    if (flag == "--api") {
      if (value != "graph" && value != "delayed")
        throw usage_error("--api is graph or delayed, got '" + std::string(value) + "'");
      options.api = value;
    } else if (flag == "--scheduler") {
      options.scheduler = value;
    } else if (flag == "--num-workers") {
      options.num_workers = parse_count(flag, value);
    } else if (flag == "--repeat") {
      options.repeat = static_cast<int>(parse_count(flag, value));
    } else if (flag == "--tasks") {
      options.tasks = parse_count(flag, value);
    } else if (flag == "--dag") {
      options.dag = value;
    } else {
      throw usage_error("unknown option " + std::string(flag));
    }
  }
  if (options.repeat < 1) throw usage_error("--repeat must be at least 1");
  return options;
}

// The first compute on `threads` starts the runtime's actor system; Dask's first compute
// starts its thread pool. Neither is per-task cost, so both harnesses pay it before timing.
void warm_up(const compute_options& options) {
  auto inc = delayed("troupe.inc");
  if (compute({inc(0)}, options).front().as<std::int64_t>() != 1)
    throw std::runtime_error("the warm-up task inc(0) did not return 1");
}

nlohmann::json run(const bench_workload& workload, const bench_options& options) {
  compute_options scheduler{options.scheduler, options.num_workers};
  warm_up(scheduler);
  const graph_builder& build =
      options.api == "graph" ? workload.build_graph : workload.build_delayed;
  nlohmann::json report = {{"workload", workload.name},
                           {"implementation", "troupe"},
                           {"api", options.api},
                           {"scheduler", resolve_scheduler(scheduler)},
                           {"num_workers", options.num_workers},
                           {"seconds", nlohmann::json::array()},
                           {"build_seconds", nlohmann::json::array()}};
  for (int r = 0; r < options.repeat; ++r) {
    auto build_start = std::chrono::steady_clock::now();
    bench_graph graph = build(options);
    report["build_seconds"].push_back(seconds_since(build_start));
    auto compute_start = std::chrono::steady_clock::now();
    auto results = graph.compute(scheduler);
    report["seconds"].push_back(seconds_since(compute_start));
    if (auto wrong = graph.check(results); !wrong.empty())
      throw std::runtime_error(workload.name + " computed a wrong result: " + wrong);
    report["tasks"] = graph.tasks;
  }
  return report;
}

}  // namespace

int run_benchmark(int argc, char** argv, const bench_workload& workload) {
  try {
    std::cout << run(workload, parse_options(argc, argv)).dump() << std::endl;
    return 0;
  } catch (const usage_error& e) {
    std::cerr << argv[0] << ": " << e.what() << "\nusage: " << argv[0]
              << " [--api graph|delayed] [--scheduler sync|threads] [--num-workers N]"
                 " [--repeat R] [--tasks N] [--dag FILE]\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << argv[0] << ": " << e.what() << "\n";
    return 1;
  }
}

std::function<std::string(const std::vector<Value>&)> sum_equals(std::int64_t expected) {
  return [expected](const std::vector<Value>& results) {
    std::int64_t sum = 0;
    for (const auto& v : results) sum += v.as<std::int64_t>();
    return sum == expected
               ? std::string()
               : "sum " + std::to_string(sum) + ", expected " + std::to_string(expected);
  };
}

}  // namespace troupe::bench
