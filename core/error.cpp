#include "core/error.hpp"

namespace troupe {

namespace {

std::string describe(const task_failure& f) {
  std::string text = "task '" + f.key + "' raised " + f.type_name + ": " + f.message;
  if (!f.traceback.empty()) text += "\nTraceback (most recent call first):\n" + f.traceback;
  return text;
}

}  // namespace

TaskError::TaskError(task_failure failure)
    : error(describe(failure)), failure_(std::move(failure)) {}

}  // namespace troupe
