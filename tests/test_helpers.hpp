#pragma once
// Shared helpers for troupe's tests: random DAGs and an independent evaluator.

#include <cstdint>
#include <vector>

#include "core/graph.hpp"

namespace troupe::testing {

/// A deterministic random DAG of `n` tasks over earlier tasks (a seeded generator chooses):
/// literals, inc, add, sub, sum of a list, and mod 997 wherever a value would grow past 2^40.
struct random_dag {
  struct node {
    int op;  // 0: literal, 1: inc(a), 2: add(a, b), 3: sub(a, b), 4: sum([a, b, c]), 5: mod(a, literal)
    std::int64_t literal;
    std::vector<std::size_t> inputs;
  };
  std::vector<node> nodes;

  static random_dag make(std::size_t n, std::uint64_t seed);
  Graph graph() const;
  static Key key(std::size_t i) { return "t" + std::to_string(i); }
  /// Brute force: evaluates every node in index order with plain integer arithmetic.
  std::vector<std::int64_t> evaluate() const;
};

}  // namespace troupe::testing
