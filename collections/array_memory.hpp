#pragma once
// What a chunk task of an array may use, known before anything runs (as Cubed projects it from
// the plan): each lowering adds up a task's output, its inputs and its tiles, and a task that
// cannot fit is refused with the operation and a chunking that would fit.

#include <cstdint>
#include <string>
#include <vector>

namespace troupe::array::detail {

/// Bytes one chunk task may use: the config key "array.task-memory" (TROUPE_ARRAY_TASK_MEMORY,
/// bytes) when set; else, with a Client active, the smallest worker memory limit of its
/// cluster divided by that worker's threads; else this machine's memory divided by the
/// threads scheduler's threads.
std::uint64_t task_memory_limit();

/// ArgumentError when a task of `bytes` exceeds the limit: it names `what` (the operation and
/// its chunk), the limit and where it comes from, and chunk extents that would fit (`chunk`
/// scaled down alike in every dimension).
void check_task_memory(std::uint64_t bytes, const std::string& what,
                       const std::vector<std::int64_t>& chunk);

}  // namespace troupe::array::detail
