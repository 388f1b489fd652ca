#include "bench/common/futures_cluster.hpp"

namespace troupe::bench {

std::int64_t bench_inc(std::int64_t x) { return x + 1; }

}  // namespace troupe::bench

TROUPE_NAMED_FUNCTION("bench_inc", troupe::bench::bench_inc);
