#include "actors/graph_task.hpp"

#include <optional>

#include "actors/task_context.hpp"
#include "actors/threads_runtime.hpp"
#include "core/tokenize.hpp"

namespace troupe {

namespace {

/// The graph task's argument: the graph, shared with the caller.
struct graph_argument {
  std::shared_ptr<const task_graph> graph;
};

/// The graph task's value. A failure inside the graph is a value too: thrown, it would be
/// reported under the graph task's key instead of the failing task's.
struct graph_outcome {
  std::vector<Value> values;
  std::optional<task_failure> failure;  ///< the graph's first failing task
  std::string engine_error;             ///< the engine could not run it ("" when it did)
};

graph_outcome run_graph_task(const graph_argument& argument) {
  graph_outcome outcome;
  auto* context = current_task_context();
  if (context == nullptr) {
    outcome.engine_error = "a graph task runs only on a cluster worker";
    return outcome;
  }
  try {
    outcome.values = context->runtime()->run(argument.graph);
  } catch (TaskError& e) {
    outcome.failure = e.failure();
  } catch (const error& e) {
    outcome.engine_error = e.what();
  }
  return outcome;
}

const function_ref& graph_task_function() {
  // In-process only (it is not registered), as its argument is. Never destroyed: at exit an
  // executor may still start a graph task while static destructors run.
  static const auto* function =
      new function_ref(local_function("troupe.run_graph", run_graph_task));
  return *function;
}

}  // namespace

std::shared_ptr<task_graph> make_graph_task(std::shared_ptr<const task_graph> graph) {
  auto task = std::make_shared<task_graph>();
  task->keys.push_back(unique_key("graph"));
  task->functions.push_back(graph_task_function());
  task->args.push_back(
      compiled_arg{Arg::kind::literal, 0, Value::from(graph_argument{std::move(graph)})});
  task->arg_offsets.push_back(1);
  task->dependency_offsets.push_back(0);
  task->targets.push_back(0);
  link_dependents(*task);
  return task;
}

bool is_graph_task(const function_ref& function) noexcept {
  return function == graph_task_function();
}

std::vector<Value> graph_task_values(const Value& result) {
  const auto& outcome = result.get<graph_outcome>();
  if (outcome.failure) throw TaskError(*outcome.failure);
  if (!outcome.engine_error.empty()) throw error(outcome.engine_error);
  return outcome.values;
}

}  // namespace troupe
