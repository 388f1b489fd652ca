#include "core/graph.hpp"

#include <string_view>

#include "core/detail/depth_first.hpp"
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

template <class Node>
void Graph::insert_or_assign(Key key, Node node) {
  const auto h = detail::key_index::hash(key);
  const auto at = index_.find(key, h, [this](auto id) -> const Key& { return entries_[id].first; });
  if (at != detail::key_index::none) {
    entries_[at].second = std::move(node);
    return;
  }
  if (entries_.size() >= detail::key_index::none)
    throw GraphError("a graph holds at most " + std::to_string(detail::key_index::none) + " keys");
  index_.insert(h, static_cast<detail::key_index::id_type>(entries_.size()));
  entries_.emplace_back(std::move(key), std::move(node));
}

void Graph::add(Key key, Value literal) { insert_or_assign(std::move(key), std::move(literal)); }

void Graph::add(Key key, Task task) {
  if (!task.function) throw GraphError("task '" + key + "' has no function");
  insert_or_assign(std::move(key), std::move(task));
}

void Graph::reserve(std::size_t keys) {
  entries_.reserve(keys);
  index_.reserve(keys);
}

std::size_t Graph::position(const Key& key) const noexcept {
  const auto at = index_.find(key, detail::key_index::hash(key),
                              [this](auto id) -> const Key& { return entries_[id].first; });
  return at == detail::key_index::none ? npos : at;
}

const Graph::node* Graph::find(const Key& key) const {
  const auto at = position(key);
  return at == npos ? nullptr : &entries_[at].second;
}

namespace {

// Compiles a Graph: an entry's id is its position in the graph, each task's references are
// resolved to ids once when the depth-first walk
// (core/detail/depth_first.hpp) first reaches it, and the walk itself runs on ids, never
// hashing. A task's child ids come back in argument order, so its arguments are resolved by
// walking them again with a cursor.
class graph_compiler {
 public:
  explicit graph_compiler(const Graph& graph)
      : graph_(graph), entries_(graph.nodes()), builder_(graph.size()) {
    state_.assign(entries_.size(), detail::walk_state::fresh);
    index_.resize(entries_.size());
  }

  std::shared_ptr<const task_graph> run(const std::vector<Key>& targets) {
    if (targets.empty()) throw GraphError("no keys requested: name at least one target key");
    std::vector<task_index> target_indices;
    target_indices.reserve(targets.size());
    for (const auto& key : targets) {
      const auto at = graph_.position(key);
      if (at == Graph::npos) throw GraphError("requested key '" + key + "' is not in the graph");
      const auto id = static_cast<std::uint32_t>(at);
      walk_.run(id, *this);
      target_indices.push_back(index_[id]);
    }
    return builder_.finish(std::move(target_indices));
  }

  // --- the walk's visitor -----------------------------------------------------------------
  detail::walk_state state(std::uint32_t id) const { return state_[id]; }

  void enter(std::uint32_t id, std::vector<std::uint32_t>& children) {
    if (const auto* task = std::get_if<Task>(&entries_[id].second)) {
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
    const Graph::entry& e = entries_[id];
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
  const Key& key_of(std::uint32_t id) const { return entries_[id].first; }

  void collect_children(const Key& parent, const Arg& arg, std::vector<std::uint32_t>& out) {
    if (arg.type_kind() == Arg::kind::ref) {
      const auto at = graph_.position(arg.key());
      if (at == Graph::npos)
        throw GraphError("task '" + parent + "' depends on '" + arg.key() +
                         "', which is not in the graph");
      out.push_back(static_cast<std::uint32_t>(at));
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

  const Graph& graph_;
  const std::vector<Graph::entry>& entries_;
  task_graph_builder builder_;
  std::vector<detail::walk_state> state_;
  std::vector<task_index> index_;
  detail::depth_first_walk<std::uint32_t> walk_;
};

}  // namespace

std::shared_ptr<const task_graph> compile(const Graph& graph, const std::vector<Key>& targets) {
  return graph_compiler(graph).run(targets);
}

}  // namespace troupe
