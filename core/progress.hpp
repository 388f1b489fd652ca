#pragma once
// How many tasks this process has run, for progress bars: every scheduler's executors count
// the tasks they run, each in a counter of its own thread (no shared cache line on the hot
// path), and a reader sums them.

#include <cstdint>

namespace troupe::progress {

/// One more task run on this thread.
void count_task() noexcept;
/// Tasks run in this process so far, by every thread (those that ended included).
std::uint64_t tasks_run() noexcept;

}  // namespace troupe::progress
