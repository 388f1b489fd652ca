#include "core/graph.hpp"

#include <string_view>

#include "core/detail/depth_first.hpp"
#include "core/detail/pointer_index_map.hpp"
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

// Compiles a Graph: every entry gets a dense id up front (kept in a flat map from the entry's
// address, so a key costs one lookup in the graph's own table and no second string hash),
// each task's references are resolved to ids once when the depth-first walk
// (core/detail/depth_first.hpp) first reaches it, and the walk itself runs on ids, never
// hashing. A task's child ids come back in argument order, so its arguments are resolved by
// walking them again with a cursor.
class graph_compiler {
 public:
  explicit graph_compiler(const Graph& graph)
      : nodes_(graph.nodes()), builder_(graph.size()), ids_(graph.size()) {
    entries_.reserve(graph.size());
    for (const auto& entry : nodes_) {
      ids_.insert(&entry, static_cast<std::uint32_t>(entries_.size()));
      entries_.push_back(&entry);
    }
    state_.assign(entries_.size(), detail::walk_state::fresh);
    index_.resize(entries_.size());
  }

  std::shared_ptr<const task_graph> run(const std::vector<Key>& targets) {
    if (targets.empty()) throw GraphError("no keys requested: name at least one target key");
    std::vector<task_index> target_indices;
    target_indices.reserve(targets.size());
    for (const auto& key : targets) {
      auto entry = nodes_.find(key);
      if (entry == nodes_.end())
        throw GraphError("requested key '" + key + "' is not in the graph");
      const std::uint32_t id = ids_.find(&*entry);
      walk_.run(id, *this);
      target_indices.push_back(index_[id]);
    }
    return builder_.finish(std::move(target_indices));
  }

  // --- the walk's visitor -----------------------------------------------------------------
  detail::walk_state state(std::uint32_t id) const { return state_[id]; }

  void enter(std::uint32_t id, std::vector<std::uint32_t>& children) {
    if (const auto* task = std::get_if<Task>(&entries_[id]->second)) {
      const auto& fn = *task->function;
      if (fn.arity != task_function::variadic &&
          static_cast<std::size_t>(fn.arity) != task->args.size())
        throw GraphError("task '" + key_of(id) + "': " + fn.name + " takes " +
                         std::to_string(fn.arity) + " arguments, got " +
                         std::to_string(task->args.size()));
      for (const auto& arg : task->args) collect_children(key_of(id), arg, children);
    }
    state_[id] = detail::walk_state::open;
  }

  void leave(std::uint32_t id, const std::uint32_t* children, std::size_t /*count*/) {
    const entry& e = *entries_[id];
    state_[id] = detail::walk_state::closed;
    if (const auto* literal = std::get_if<Value>(&e.second)) {
      index_[id] = builder_.add_literal(e.first, *literal);
      return;
    }
    const auto& task = std::get<Task>(e.second);
    builder_.begin_task(e.first, task.function);
    for (const auto& arg : task.args) builder_.add_arg(resolve(arg, children));
    index_[id] = builder_.end_task();
  }

  [[noreturn]] void cycle(std::uint32_t closing, const std::vector<std::uint32_t>& open) {
    std::string path;
    bool in_cycle = false;
    for (std::uint32_t id : open) {
      if (id == closing) in_cycle = true;
      if (in_cycle) path += "'" + key_of(id) + "' -> ";
    }
    throw GraphError("cycle in the graph through key '" + key_of(closing) + "': " + path + "'" +
                     key_of(closing) + "'");
  }

 private:
  using entry = std::pair<const Key, Graph::node>;

  const Key& key_of(std::uint32_t id) const { return entries_[id]->first; }

  void collect_children(const Key& parent, const Arg& arg, std::vector<std::uint32_t>& out) {
    if (arg.type_kind() == Arg::kind::ref) {
      auto entry = nodes_.find(arg.key());
      if (entry == nodes_.end())
        throw GraphError("task '" + parent + "' depends on '" + arg.key() +
                         "', which is not in the graph");
      out.push_back(ids_.find(&*entry));
    } else if (arg.type_kind() == Arg::kind::list) {
      for (const auto& item : arg.items()) collect_children(parent, item, out);
    }
  }

  // `cursor` walks the task's child ids, which are in argument order.
  compiled_arg resolve(const Arg& arg, const std::uint32_t*& cursor) {
    switch (arg.type_kind()) {
      case Arg::kind::literal:
        return {Arg::kind::literal, 0, arg.value()};
      case Arg::kind::ref:
        return {Arg::kind::ref, index_[*cursor++], {}};
      case Arg::kind::list: {
        std::vector<compiled_arg> items;
        items.reserve(arg.items().size());
        for (const auto& item : arg.items()) items.push_back(resolve(item, cursor));
        return builder_.make_list(std::move(items));
      }
    }
    return {};
  }

  const std::unordered_map<Key, Graph::node>& nodes_;
  task_graph_builder builder_;
  std::vector<const entry*> entries_;
  detail::pointer_index_map ids_;
  std::vector<detail::walk_state> state_;
  std::vector<task_index> index_;
  detail::depth_first_walk<std::uint32_t> walk_;
};

}  // namespace

std::shared_ptr<const task_graph> compile(const Graph& graph, const std::vector<Key>& targets) {
  return graph_compiler(graph).run(targets);
}

}  // namespace troupe
