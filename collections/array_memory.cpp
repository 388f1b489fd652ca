#include "collections/array_memory.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "collections/client.hpp"
#include "collections/compute.hpp"
#include "collections/format_bytes.hpp"
#include "core/config.hpp"
#include "core/error.hpp"

namespace troupe::array::detail {

namespace {

struct limit {
  std::uint64_t bytes;
  std::string source;  ///< where it comes from, for the error
};

limit find_limit() {
  if (auto text = config::get("array.task-memory")) {
    try {
      std::size_t used = 0;
      const auto bytes = std::stoull(*text, &used);
      if (used == text->size() && bytes > 0) return {bytes, "array.task-memory"};
    } catch (const std::exception&) {
    }
    throw ArgumentError("array.task-memory (TROUPE_ARRAY_TASK_MEMORY) is '" + *text +
                        "': give a positive number of bytes, such as 1073741824");
  }
  if (auto* client = Client::current()) {
    std::uint64_t smallest = 0;
    for (const auto& w : client->info().workers) {
      if (w.memory_limit == 0) continue;
      const auto per_thread = w.memory_limit / std::max<std::uint32_t>(w.nthreads, 1);
      smallest = smallest == 0 ? per_thread : std::min(smallest, per_thread);
    }
    if (smallest > 0) return {smallest, "the smallest worker memory limit per thread"};
  }
  const auto pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  const std::uint64_t physical =
      pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page)
                            : std::uint64_t{1} << 40;
  return {physical / resolve_num_workers({}), "this machine's memory per thread"};
}

}  // namespace

std::uint64_t task_memory_limit() { return find_limit().bytes; }

void check_task_memory(std::uint64_t bytes, const std::string& what,
                       const std::vector<std::int64_t>& chunk) {
  const auto l = find_limit();
  if (bytes <= l.bytes) return;
  // Every term of a task's memory grows with its chunk's elements: scale each extent by the
  // n-th root of the ratio, with a margin.
  const double scale =
      std::pow(0.8 * static_cast<double>(l.bytes) / static_cast<double>(bytes),
               1.0 / static_cast<double>(std::max<std::size_t>(chunk.size(), 1)));
  std::string fits = "(";
  for (std::size_t d = 0; d < chunk.size(); ++d)
    fits += (d ? ", " : "") +
            std::to_string(std::max<std::int64_t>(
                1, static_cast<std::int64_t>(std::floor(static_cast<double>(chunk[d]) * scale))));
  fits += chunk.size() == 1 ? ",)" : ")";
  throw ArgumentError(what + " needs about " + format_bytes(static_cast<double>(bytes)) +
                      " a task, more than the " + format_bytes(static_cast<double>(l.bytes)) +
                      " a task may use (" + l.source + "); rechunk to chunks of at most " + fits +
                      ", or raise array.task-memory");
}

}  // namespace troupe::array::detail
