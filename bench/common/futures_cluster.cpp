#include "bench/common/futures_cluster.hpp"

#include <exception>
#include <iostream>

#include "bench/common/flags.hpp"

namespace troupe::bench {

std::int64_t bench_inc(std::int64_t x) { return x + 1; }

int cluster_benchmark_main(int argc, char** argv, const std::string& usage,
                           const std::function<std::string()>& run) {
  troupe::init(argc, argv);
  try {
    std::cout << run() << std::endl;
    return 0;
  } catch (const usage_error& e) {
    std::cerr << argv[0] << ": " << e.what() << "\nusage: " << argv[0] << " " << usage << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << argv[0] << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace troupe::bench

TROUPE_NAMED_FUNCTION("bench_inc", troupe::bench::bench_inc);
