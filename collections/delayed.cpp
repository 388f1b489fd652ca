#include "collections/delayed.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "core/detail/depth_first.hpp"
#include "core/detail/pointer_index_map.hpp"
#include "core/task_graph.hpp"

namespace troupe {

namespace detail {

namespace {

// Moves the nodes `args` refer to onto `doomed`, leaving the arguments without references.
void take_references(std::vector<delayed_arg>& args,
                     std::vector<std::shared_ptr<const delayed_node>>& doomed) {
  for (auto& arg : args) {
    if (arg.ref) doomed.push_back(std::move(arg.ref));
    take_references(arg.items, doomed);  // vectors of Delayed: one level deep
  }
}

}  // namespace

// Destroying the last Delayed of x = inc(x) repeated 200,000 times would recurse once per
// link. Instead each node this one alone owns is emptied of its references before it goes,
// so the chain is freed by this loop. (Nodes are made non-const, so the const_cast is sound;
// use_count() == 1 means no one else can reach the node.)
delayed_node::~delayed_node() {
  std::vector<std::shared_ptr<const delayed_node>> doomed;
  take_references(args, doomed);
  while (!doomed.empty()) {
    std::shared_ptr<const delayed_node> node = std::move(doomed.back());
    doomed.pop_back();
    if (node.use_count() == 1) {
      // use_count() is a relaxed load: order our writes after other threads' last use.
      std::atomic_thread_fence(std::memory_order_acquire);
      take_references(const_cast<delayed_node&>(*node).args, doomed);
    }
  }
}

namespace {

void add_tokens(token_builder& tokens, const delayed_arg& arg) {
  switch (arg.kind) {
    case Arg::kind::literal:
      tokens.add_value(arg.literal);
      break;
    case Arg::kind::ref:
      tokens.add_key(arg.ref->key);
      break;
    case Arg::kind::list:
      tokens.begin_list(arg.items.size());
      for (const auto& item : arg.items) add_tokens(tokens, item);
      break;
  }
}

}  // namespace

Key delayed_key(const function_ref& function, const std::vector<delayed_arg>& args,
                const delayed_options& options) {
  const std::string& prefix = options.name.empty() ? function->name : options.name;
  if (!options.pure) return unique_key(prefix);
  token_builder tokens(function->name);
  // Lambdas all share a name and unregistered functions may share one: only a registered
  // name identifies the code.
  if (!function->registered) tokens.add_identity(function.get());
  for (const auto& arg : args) add_tokens(tokens, arg);
  return tokens.key(prefix);
}

}  // namespace detail

Delayed delayed_function::call(std::vector<detail::delayed_arg> args) const {
  if (function_->arity != task_function::variadic &&
      static_cast<std::size_t>(function_->arity) != args.size())
    detail::throw_arity_error(function_->name, static_cast<std::size_t>(function_->arity),
                              args.size());
  auto node = std::make_shared<detail::delayed_node>();
  node->key = detail::delayed_key(function_, args, options_);
  node->pure = options_.pure;
  node->function = function_;
  node->args = std::move(args);
  return Delayed(std::move(node));
}

delayed_function delayed(std::string_view registered_name, delayed_options options) {
  auto function = find_function(registered_name);
  if (!function) {
    const std::string builtin = std::string(builtin_prefix) + std::string(registered_name);
    if (find_function(builtin))
      throw ArgumentError("no function named '" + std::string(registered_name) +
                          "' is registered; troupe's built-in of that name is '" + builtin + "'");
    throw ArgumentError("no function named '" + std::string(registered_name) +
                        "' is registered (register it with TROUPE_FUNCTION); known: " +
                        registered_function_names());
  }
  return delayed_function(std::move(function), std::move(options));
}

Delayed delayed_value(Value value, delayed_options options) {
  auto node = std::make_shared<detail::delayed_node>();
  node->pure = options.pure;
  if (options.pure) {
    token_builder tokens("literal");
    tokens.add_value(value);
    node->key = tokens.key(options.name.empty() ? "literal" : options.name);
  } else {
    node->key = unique_key(options.name.empty() ? "literal" : options.name);
  }
  node->literal = std::move(value);
  return Delayed(std::move(node));
}

namespace {

using detail::delayed_arg;
using detail::delayed_node;

// Compiles Delayed values with the depth-first walk every graph is ordered by
// (core/detail/depth_first.hpp). The nodes form a DAG by construction (a node can only refer to
// nodes built before it), so no node is ever open when met again. Distinct nodes with the same
// key (equal pure calls) become one task; impure keys are unique, so only pure ones are looked
// up by key.
class delayed_compiler {
 public:
  std::shared_ptr<const task_graph> run(const std::vector<Delayed>& values) {
    if (values.empty()) throw ArgumentError("compute() needs at least one Delayed value");
    std::vector<task_index> targets;
    targets.reserve(values.size());
    builder_.reserve(values.size());  // at least one task per target
    for (const auto& v : values) {
      walk_.run(v.node().get(), *this);
      targets.push_back(index_.find(v.node().get()));
    }
    return builder_.finish(std::move(targets));
  }

  // --- the walk's visitor -----------------------------------------------------------------
  detail::walk_state state(const delayed_node* node) {
    return known(node) ? detail::walk_state::closed : detail::walk_state::fresh;
  }

  void enter(const delayed_node* node, std::vector<const delayed_node*>& children) {
    for (const auto& arg : node->args) collect_children(arg, children);
  }

  void leave(const delayed_node* node, const delayed_node* const* /*children*/,
             std::size_t /*count*/) {
    task_index index;
    if (!node->function) {
      index = builder_.add_literal(node->key, node->literal);
    } else {
      builder_.begin_task(node->key, node->function);
      for (const auto& arg : node->args) builder_.add_arg(resolve(arg));
      index = builder_.end_task();
    }
    index_.insert(node, index);
    if (node->pure) pure_keys_.emplace(node->key, index);
  }

  [[noreturn]] void cycle(const delayed_node*, const std::vector<const delayed_node*>&) {
    std::fputs("troupe: invariant broken: a cycle among Delayed nodes\n", stderr);
    std::abort();
  }

 private:
  static void collect_children(const delayed_arg& arg, std::vector<const delayed_node*>& out) {
    if (arg.kind == Arg::kind::ref) {
      out.push_back(arg.ref.get());
    } else if (arg.kind == Arg::kind::list) {
      for (const auto& item : arg.items) collect_children(item, out);
    }
  }

  // True when the node already has an index (or shares a key with one that has).
  bool known(const delayed_node* node) {
    if (index_.find(node) != detail::pointer_index_map::absent) return true;
    if (!node->pure) return false;
    auto same_key = pure_keys_.find(node->key);
    if (same_key == pure_keys_.end()) return false;
    index_.insert(node, same_key->second);
    return true;
  }

  compiled_arg resolve(const delayed_arg& arg) {
    switch (arg.kind) {
      case Arg::kind::literal:
        return {Arg::kind::literal, 0, arg.literal};
      case Arg::kind::ref:
        return {Arg::kind::ref, index_.find(arg.ref.get()), {}};
      case Arg::kind::list: {
        std::vector<compiled_arg> items;
        items.reserve(arg.items.size());
        for (const auto& item : arg.items) items.push_back(resolve(item));
        return builder_.make_list(std::move(items));
      }
    }
    return {};
  }

  task_graph_builder builder_;
  detail::depth_first_walk<const delayed_node*> walk_;
  detail::pointer_index_map index_;
  std::unordered_map<std::string_view, task_index> pure_keys_;
};

}  // namespace

std::shared_ptr<const task_graph> compile(const std::vector<Delayed>& values) {
  return delayed_compiler().run(values);
}

std::vector<Value> compute(const std::vector<Delayed>& values, const compute_options& options) {
  return run_graph(compile(values), options);
}

Value Delayed::compute(const compute_options& options) const {
  return run_graph(graph(), options).front();
}

std::shared_ptr<const task_graph> Delayed::graph() const { return troupe::compile({*this}); }

}  // namespace troupe
