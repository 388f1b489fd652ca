#include "test_helpers.hpp"

#include <random>

namespace troupe::testing {

namespace {

std::int64_t evaluate_node(const random_dag::node& x, const std::vector<std::int64_t>& v) {
  switch (x.op) {
    case 0: return x.literal;
    case 1: return v[x.inputs[0]] + 1;
    case 2: return v[x.inputs[0]] + v[x.inputs[1]];
    case 3: return v[x.inputs[0]] - v[x.inputs[1]];
    case 4: return v[x.inputs[0]] + v[x.inputs[1]] + v[x.inputs[2]];
    case 5: {  // Python's mod: the sign of the divisor
      std::int64_t r = v[x.inputs[0]] % x.literal;
      return r < 0 ? r + x.literal : r;
    }
  }
  return 0;
}

}  // namespace

random_dag random_dag::make(std::size_t n, std::uint64_t seed) {
  random_dag dag;
  std::mt19937_64 rng(seed);
  dag.nodes.reserve(n);
  std::vector<std::int64_t> values;  // to keep every value far from int64 overflow
  values.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    node x{0, 0, {}};
    if (i < 8 || rng() % 16 == 0) {
      x.literal = static_cast<std::int64_t>(rng() % 1000) - 500;
    } else {
      x.op = 1 + static_cast<int>(rng() % 4);
      std::size_t inputs = x.op == 1 ? 1 : x.op == 4 ? 3 : 2;
      for (std::size_t k = 0; k < inputs; ++k) {
        // Mostly recent tasks (long chains), sometimes anything earlier (wide fan-in).
        std::size_t back = rng() % 4 == 0 ? rng() % i : rng() % std::min<std::size_t>(i, 32);
        x.inputs.push_back(i - 1 - back % i);
      }
    }
    std::int64_t value = evaluate_node(x, values);
    if (value > (std::int64_t{1} << 40) || value < -(std::int64_t{1} << 40)) {
      x = node{5, 997, {x.inputs[0]}};
      value = evaluate_node(x, values);
    }
    values.push_back(value);
    dag.nodes.push_back(std::move(x));
  }
  return dag;
}

Graph random_dag::graph() const {
  Graph g;
  static const char* names[] = {"", "troupe.inc", "troupe.add", "troupe.sub", "troupe.sum", "troupe.mod"};
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const auto& x = nodes[i];
    if (x.op == 0) {
      g.add(key(i), Value(x.literal));
      continue;
    }
    std::vector<Arg> args;
    if (x.op == 5) {
      args.push_back(Arg::ref(key(x.inputs[0])));
      args.push_back(Arg(Value(x.literal)));
    } else if (x.op == 4) {
      std::vector<Arg> items;
      for (auto in : x.inputs) items.push_back(Arg::ref(key(in)));
      args.push_back(Arg::list(std::move(items)));
    } else {
      for (auto in : x.inputs) args.push_back(Arg::ref(key(in)));
    }
    g.add(key(i), Task{find_function(names[x.op]), std::move(args)});
  }
  return g;
}

std::vector<std::int64_t> random_dag::evaluate() const {
  std::vector<std::int64_t> v(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) v[i] = evaluate_node(nodes[i], v);
  return v;
}

}  // namespace troupe::testing
