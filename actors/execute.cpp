#include "actors/execute.hpp"

#include <cxxabi.h>

#include <array>
#include <typeinfo>

#include "core/progress.hpp"
#include "core/stack_trace.hpp"

namespace troupe {

namespace {

Value resolve(const compiled_arg& arg, const task_graph& graph, const std::vector<Value>& results) {
  switch (arg.kind) {
    case Arg::kind::literal:
      return arg.literal;
    case Arg::kind::ref:
      return results[arg.ref];
    case Arg::kind::list: {
      const auto& list = graph.lists[arg.ref];
      std::vector<Value> items;
      items.reserve(list.size());
      for (const auto& item : list) items.push_back(resolve(item, graph, results));
      return Value(std::move(items));
    }
  }
  return Value();
}

constexpr std::size_t inline_args = 4;

}  // namespace

task_failure describe_current_exception(const Key& key) {
  task_failure failure{key, "unknown exception", "", last_throw_trace()};
  try {
    throw;
  } catch (const std::exception& e) {
    failure.type_name = demangle(typeid(e).name());
    failure.message = e.what();
  } catch (...) {
    if (auto* type = abi::__cxa_current_exception_type()) failure.type_name = demangle(type->name());
  }
  return failure;
}

execution_result execute_task(const task_graph& graph, task_index task,
                              std::vector<Value>& results) {
  execution_result outcome;
  auto args = graph.args_of(task);
  const std::size_t count = args.size();
  try {
    throw_trace_scope traces;
    Value result;
    if (count <= inline_args) {
      std::array<Value, inline_args> values;
      for (std::size_t i = 0; i < count; ++i) values[i] = resolve(args.first[i], graph, results);
      result = graph.functions[task]->call(values.data(), count);
    } else {
      std::vector<Value> values;
      values.reserve(count);
      for (const auto& arg : args) values.push_back(resolve(arg, graph, results));
      result = graph.functions[task]->call(values.data(), count);
    }
    outcome.nbytes = result.nbytes();
    results[task] = std::move(result);
  } catch (...) {
    outcome.failure = describe_current_exception(graph.keys[task]);
  }
  progress::count_task();
  return outcome;
}

}  // namespace troupe
