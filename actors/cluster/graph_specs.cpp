#include "actors/cluster/graph_specs.hpp"

#include <algorithm>

namespace troupe::cluster {

namespace {

void add_compiled_arg(const task_graph& graph, const compiled_arg& arg, task_spec& spec) {
  wire_arg w;
  switch (arg.kind) {
    case Arg::kind::literal:
      w.kind = wire_arg::literal;
      w.value.value = arg.literal;
      spec.args.push_back(std::move(w));
      return;
    case Arg::kind::ref:
      if (graph.is_literal(arg.ref)) {  // literals travel inside the tasks that use them
        w.kind = wire_arg::literal;
        w.value.value = graph.literal_of(arg.ref);
      } else {
        w.kind = wire_arg::ref;
        w.key = graph.keys[arg.ref];
        spec.dependencies.push_back(w.key);
      }
      spec.args.push_back(std::move(w));
      return;
    case Arg::kind::list: {
      const auto& items = graph.lists[arg.ref];
      w.kind = wire_arg::list;
      w.items = static_cast<std::uint32_t>(items.size());
      spec.args.push_back(std::move(w));
      for (const auto& item : items) add_compiled_arg(graph, item, spec);
      return;
    }
  }
}

}  // namespace

std::vector<task_spec> to_specs(const task_graph& graph, std::int64_t priority,
                                std::uint32_t retries) {
  std::vector<task_spec> specs;
  specs.reserve(graph.size());
  static const auto identity = find_function("troupe.identity");
  for (task_index i = 0; i < graph.size(); ++i) {
    task_spec spec;
    spec.key = graph.keys[i];
    spec.order = i;
    spec.priority = priority;
    spec.retries = retries;
    if (graph.is_literal(i)) {
      if (!graph.is_target[i]) continue;
      spec.function.function = identity;
      wire_arg w;
      w.value.value = graph.literal_of(i);
      spec.args.push_back(std::move(w));
    } else {
      spec.function.function = graph.functions[i];
      for (const auto& arg : graph.args_of(i)) add_compiled_arg(graph, arg, spec);
      std::sort(spec.dependencies.begin(), spec.dependencies.end());
      spec.dependencies.erase(std::unique(spec.dependencies.begin(), spec.dependencies.end()),
                              spec.dependencies.end());
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}


std::vector<std::string> target_keys(const task_graph& graph) {
  std::vector<std::string> keys;
  keys.reserve(graph.targets.size());
  for (auto target : graph.targets) keys.push_back(graph.keys[target]);
  return keys;
}

}  // namespace troupe::cluster
