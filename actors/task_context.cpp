#include "actors/task_context.hpp"

namespace troupe {

namespace {
thread_local task_context* current = nullptr;
}  // namespace

task_context* current_task_context() noexcept { return current; }

task_context_scope::task_context_scope(task_context* context) noexcept : previous_(current) {
  current = context;
}

task_context_scope::~task_context_scope() { current = previous_; }

}  // namespace troupe
