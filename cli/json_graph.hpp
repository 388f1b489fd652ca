#pragma once
// The JSON form of a Dask dict graph, as `troupe run` reads it (cli/json_output.hpp prints
// the values).
//
//   {"graph": {"x": 1, "y": 2, "z": ["add", "x", "y"], "w": ["sum", ["x", "y", "z"]]},
//    "targets": ["w"]}
//
// JSON has no tuples, so the rules are Dask's with an array standing in for a task tuple:
// - a graph value that is an array whose first item is a string is a task: the string names a
//   function (graph_function below), the other items are its arguments;
// - a graph value that is a string naming a key is an alias of that key; any other array is a
//   list whose items are arguments (keys inside are resolved, as Dask does);
// - an argument that is a string naming a key is that key's value; an array is a list of
//   arguments (never a task: give a nested task a key of its own); anything else is a literal;
// - literals: an integer is int64, any other number float64, true/false bool, null none, a
//   string that names no key a string. JSON objects are rejected (no map type is defined).
//   An integer beyond int64 and a number beyond float64's range are errors that name the key.
// - a key given twice keeps its first place in the file and its last value, as Python's json.
// A literal list that starts with a string is written as a call of `list`: ["list", "a", 1].

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/graph.hpp"

namespace troupe::cli {

/// A graph file, parsed.
struct json_graph {
  Graph graph;
  /// Every key, in the order of the file.
  std::vector<Key> keys;
  /// The file's "targets", when it has them (a file may leave them to `--keys`).
  std::optional<std::vector<Key>> targets;
};

/// Parses the text of a graph file. GraphError names what is wrong (invalid JSON, a wrong
/// shape, an unknown function, an unsupported literal), the key where it is, and the fix.
/// Time and memory are linear in the size of the file.
[[nodiscard]] json_graph parse_json_graph(std::string_view text);

/// The function a graph file's NAME calls: the built-in troupe.NAME, else the function
/// registered as NAME; nullptr when there is neither.
[[nodiscard]] function_ref graph_function(const std::string& name);

/// The names a graph file can call functions by, sorted, comma-separated: the registry's
/// names with the "troupe." of the built-ins left out ("add, dec, inc, list, ...").
[[nodiscard]] std::string graph_function_names();

}  // namespace troupe::cli
