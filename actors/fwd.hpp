#pragma once
// Forward declarations of actors/.

#include <cstdint>

namespace troupe {

using worker_id = std::uint32_t;
using run_id = std::uint64_t;
using executor_id = std::uint32_t;

class SchedulerState;
class WorkerState;
struct run_memory;
class threads_runtime;
class task_context;

}  // namespace troupe
