#pragma once
// The one depth-first walk that compiles every graph, from a Graph (core/graph.cpp) and from
// Delayed values (collections/delayed.cpp) alike: it culls to what the targets need, finds
// cycles, and emits nodes in depth-first post-order from each target in turn, visiting a
// node's children in argument order. That is a topological order; the priorities are then
// the frugal order's (core/order.hpp), which takes this order as one of its two candidates.
//
// The walk keeps its own stack (graphs may be millions of nodes deep) and calls a visitor:
//   walk_state state(Node)                    fresh, open (on the stack) or closed (emitted)
//   void enter(Node, std::vector<Node>& out)  appends the node's children in argument order
//   void leave(Node, const Node* children, std::size_t count)   emits the node
//   [[noreturn]] void cycle(Node, const std::vector<Node>& open)   a child that is open
// A visitor whose graphs cannot have cycles never reports a node as open.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace troupe::detail {

enum class walk_state : std::uint8_t { fresh, open, closed };

template <class Node>
class depth_first_walk {
 public:
  /// Emits, through `visitor`, every node reachable from `root` that is not yet closed.
  template <class Visitor>
  void run(Node root, Visitor& visitor) {
    if (visitor.state(root) != walk_state::fresh) return;
    push(root, visitor);
    while (!stack_.empty()) {
      frame& top = stack_.back();
      if (top.next < children_.size()) {
        const Node child = children_[top.next++];
        switch (visitor.state(child)) {
          case walk_state::closed:
            break;
          case walk_state::open:
            visitor.cycle(child, open_nodes());
            break;
          case walk_state::fresh:
            push(child, visitor);  // invalidates `top`
            break;
        }
        continue;
      }
      visitor.leave(top.node, children_.data() + top.children_begin,
                    children_.size() - top.children_begin);
      children_.resize(top.children_begin);
      stack_.pop_back();
    }
  }

 private:
  struct frame {
    Node node;
    std::size_t children_begin;  ///< the node's children are children_[children_begin, ...)
    std::size_t next;            ///< the next child to look at
  };

  template <class Visitor>
  void push(Node node, Visitor& visitor) {
    const std::size_t begin = children_.size();
    visitor.enter(node, children_);
    stack_.push_back({node, begin, begin});
  }

  std::vector<Node> open_nodes() const {
    std::vector<Node> nodes;
    nodes.reserve(stack_.size());
    for (const auto& f : stack_) nodes.push_back(f.node);
    return nodes;
  }

  std::vector<frame> stack_;
  std::vector<Node> children_;
};

}  // namespace troupe::detail
