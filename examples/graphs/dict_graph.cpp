// Seed 004: a raw graph written as a dictionary, as in Dask's "custom graphs".
//
//   x = 1 ----+------------+
//   y = 2 ----+            |
//             z = add(x, y)|
//                  |       |
//   w = sum([x, y, z]) <---+
//
// The same graph is examples/graphs/dict_graph.json, for `troupe run`. Prints z and w.

#include <cstdio>
#include <troupe/troupe.hpp>

int main() {
  using troupe::Arg;
  troupe::Graph graph;
  graph.add("x", 1);
  graph.add("y", 2);
  graph.add("z", troupe::Task{troupe::find_function("troupe.add"), {Arg::ref("x"), Arg::ref("y")}});
  graph.add("w", troupe::Task{troupe::find_function("troupe.sum"),
                              {Arg::list({Arg::ref("x"), Arg::ref("y"), Arg::ref("z")})}});

  auto results = troupe::get(graph, {"z", "w"});
  std::printf("dict graph: z = %lld, w = %lld\n", static_cast<long long>(results[0].as<std::int64_t>()),
              static_cast<long long>(results[1].as<std::int64_t>()));
  return 0;
}
