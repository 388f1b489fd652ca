#include "core/graph.hpp"

#include <string_view>
#include <unordered_set>

#include "core/task_graph.hpp"

namespace troupe {

Arg Arg::ref(Key key) {
  Arg a;
  a.kind_ = kind::ref;
  a.key_ = std::move(key);
  return a;
}

Arg Arg::list(std::vector<Arg> items) {
  Arg a;
  a.kind_ = kind::list;
  a.items_ = std::move(items);
  return a;
}

void Graph::add(Key key, Value literal) { nodes_.insert_or_assign(std::move(key), std::move(literal)); }

void Graph::add(Key key, Task task) {
  if (!task.function) throw GraphError("task '" + key + "' has no function");
  nodes_.insert_or_assign(std::move(key), std::move(task));
}

const Graph::node* Graph::find(const Key& key) const {
  auto i = nodes_.find(key);
  return i == nodes_.end() ? nullptr : &i->second;
}

namespace {

void collect_refs(const Arg& arg, std::vector<const Key*>& out) {
  if (arg.type_kind() == Arg::kind::ref) {
    out.push_back(&arg.key());
  } else if (arg.type_kind() == Arg::kind::list) {
    for (const auto& item : arg.items()) collect_refs(item, out);
  }
}

compiled_arg resolve(const Arg& arg, const std::unordered_map<std::string_view, task_index>& index,
                     task_graph_builder& builder) {
  switch (arg.type_kind()) {
    case Arg::kind::literal:
      return {Arg::kind::literal, 0, arg.value()};
    case Arg::kind::ref:
      return {Arg::kind::ref, index.at(arg.key()), {}};
    case Arg::kind::list: {
      std::vector<compiled_arg> items;
      items.reserve(arg.items().size());
      for (const auto& item : arg.items()) items.push_back(resolve(item, index, builder));
      return builder.make_list(std::move(items));
    }
  }
  return {};
}

// Depth-first post-order from the targets. A key met again while it is still on the stack
// closes a cycle; the stack then holds the cycle's path for the error message.
class graph_compiler {
 public:
  explicit graph_compiler(const Graph& graph) : graph_(graph), builder_(graph.size()) {}

  std::shared_ptr<const task_graph> run(const std::vector<Key>& targets) {
    if (targets.empty()) throw GraphError("no keys requested: name at least one target key");
    std::vector<task_index> target_indices;
    target_indices.reserve(targets.size());
    for (const auto& key : targets) {
      if (!graph_.contains(key))
        throw GraphError("requested key '" + key + "' is not in the graph");
      visit(key);
      target_indices.push_back(done_.at(key));
    }
    return builder_.finish(std::move(target_indices));
  }

 private:
  struct frame {
    const Key* key;
    const Graph::node* node;
    std::vector<const Key*> refs;
    std::size_t next = 0;
  };

  void visit(const Key& root) {
    if (done_.count(root)) return;
    push(root);
    while (!stack_.empty()) {
      auto& top = stack_.back();
      if (top.next < top.refs.size()) {
        const Key& child = *top.refs[top.next++];
        if (done_.count(child)) continue;
        if (on_stack_.count(child)) throw_cycle(child);
        if (!graph_.contains(child))
          throw GraphError("task '" + *top.key + "' depends on '" + child +
                           "', which is not in the graph");
        push(child);
        continue;
      }
      emit(top);
      on_stack_.erase(std::string_view(*top.key));
      stack_.pop_back();
    }
  }

  void push(const Key& key) {
    frame f{&key, graph_.find(key), {}, 0};
    if (const auto* task = std::get_if<Task>(f.node)) {
      for (const auto& arg : task->args) collect_refs(arg, f.refs);
      const auto& fn = *task->function;
      if (fn.arity != task_function::variadic && static_cast<std::size_t>(fn.arity) != task->args.size())
        throw GraphError("task '" + key + "': " + fn.name + " takes " + std::to_string(fn.arity) +
                         " arguments, got " + std::to_string(task->args.size()));
    }
    on_stack_.insert(key);
    stack_.push_back(std::move(f));
  }

  void emit(const frame& f) {
    task_index index;
    if (const auto* literal = std::get_if<Value>(f.node)) {
      index = builder_.add_literal(*f.key, *literal);
    } else {
      const auto& task = std::get<Task>(*f.node);
      builder_.begin_task(*f.key, task.function);
      for (const auto& arg : task.args) builder_.add_arg(resolve(arg, done_, builder_));
      index = builder_.end_task();
    }
    done_.emplace(*f.key, index);
  }

  [[noreturn]] void throw_cycle(const Key& closing) {
    std::string path;
    bool in_cycle = false;
    for (const auto& f : stack_) {
      if (*f.key == closing) in_cycle = true;
      if (in_cycle) path += "'" + *f.key + "' -> ";
    }
    throw GraphError("cycle in the graph through key '" + closing + "': " + path + "'" + closing +
                     "'");
  }

  const Graph& graph_;
  task_graph_builder builder_;
  std::vector<frame> stack_;
  std::unordered_map<std::string_view, task_index> done_;
  std::unordered_set<std::string_view> on_stack_;
};

}  // namespace

std::shared_ptr<const task_graph> compile(const Graph& graph, const std::vector<Key>& targets) {
  return graph_compiler(graph).run(targets);
}

}  // namespace troupe
