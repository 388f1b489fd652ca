#pragma once
// Runs one task of a run: resolves its arguments from the results of its dependencies, calls
// the function, stores the result. An exception becomes a task_failure value (key, type,
// message and the stack where it was thrown); it is never rethrown here.

#include <optional>
#include <vector>

#include "core/error.hpp"
#include "core/task_graph.hpp"

namespace troupe {

struct execution_result {
  std::size_t nbytes = 0;
  std::optional<task_failure> failure;
};

execution_result execute_task(const task_graph& graph, task_index task,
                              std::vector<Value>& results);

/// The failure for the exception being handled now (call inside a catch block).
task_failure describe_current_exception(const Key& key);

}  // namespace troupe
