#include "cli/json_graph.hpp"

#include <catch2/catch.hpp>
#include <limits>

#include "cli/json_output.hpp"
#include "collections/compute.hpp"

namespace {

using troupe::Value;
using troupe::cli::parse_json_graph;
using troupe::cli::to_json_text;

// The values of `keys` computed on the sync scheduler.
std::vector<Value> compute(const troupe::cli::json_graph& file,
                           const std::vector<troupe::Key>& keys) {
  return troupe::get(file.graph, keys, {.scheduler = "sync"});
}

std::string message_of(std::string_view text) {
  try {
    (void)parse_json_graph(text);
  } catch (const troupe::GraphError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("json_graph: the seed graph computes w = 6", "[cli]") {
  auto file = parse_json_graph(R"({"graph": {"x": 1, "y": 2, "z": ["add", "x", "y"],
                                             "w": ["sum", ["x", "y", "z"]]},
                                   "targets": ["w"]})");
  REQUIRE(file.targets == std::vector<troupe::Key>{"w"});
  CHECK(compute(file, *file.targets)[0].as<std::int64_t>() == 6);
}

TEST_CASE("json_graph: keys keep the file's order and targets may be left out", "[cli]") {
  auto file = parse_json_graph(R"({"graph": {"b": 1, "a": 2, "c": 3}})");
  CHECK(file.keys == std::vector<troupe::Key>{"b", "a", "c"});
  CHECK_FALSE(file.targets.has_value());
}

TEST_CASE("json_graph: literals keep their JSON types", "[cli]") {
  auto file = parse_json_graph(
      R"({"graph": {"i": -3, "u": 9223372036854775807, "f": 2.0, "t": true, "n": null, "s": "text"}})");
  auto values = compute(file, {"i", "u", "f", "t", "n", "s"});
  CHECK(values[0].as<std::int64_t>() == -3);
  CHECK(values[1].as<std::int64_t>() == std::numeric_limits<std::int64_t>::max());
  CHECK(values[2].type_name() == "float64");
  CHECK(values[2].as<double>() == 2.0);
  CHECK(values[3].type_name() == "bool");
  CHECK(values[4].is_none());
  CHECK(values[5].get<std::string>() == "text");
}

TEST_CASE("json_graph: an argument string is a key where the graph has it, else a string",
          "[cli]") {
  auto file = parse_json_graph(R"({"graph": {"x": 1, "l": ["list", "x", "y", ["x", 2]]}})");
  auto items = compute(file, {"l"})[0].get<std::vector<Value>>();
  REQUIRE(items.size() == 3);
  CHECK(items[0].as<std::int64_t>() == 1);
  CHECK(items[1].get<std::string>() == "y");
  CHECK(items[2].as<std::vector<std::int64_t>>() == std::vector<std::int64_t>{1, 2});
}

TEST_CASE("json_graph: a graph string naming a key is an alias, as in Dask", "[cli]") {
  auto file = parse_json_graph(R"({"graph": {"x": 5, "y": "x", "z": ["inc", "y"]}})");
  auto values = compute(file, {"y", "z"});
  CHECK(values[0].as<std::int64_t>() == 5);
  CHECK(values[1].as<std::int64_t>() == 6);
}

TEST_CASE("json_graph: an array that is not a task is a list with its keys resolved", "[cli]") {
  auto file = parse_json_graph(R"({"graph": {"x": 1, "l": [1.5, "x", [null, "x"]], "e": []}})");
  CHECK(to_json_text(compute(file, {"l"})[0]) == "[1.5,1,[null,1]]");
  CHECK(to_json_text(compute(file, {"e"})[0]) == "[]");
}

TEST_CASE("json_graph: an unknown function is named with the known ones", "[cli]") {
  auto message = message_of(R"({"graph": {"k": ["frobnicate", 1]}})");
  CHECK_THAT(message, Catch::Contains("key 'k'") && Catch::Contains("'frobnicate'") &&
                          Catch::Contains("add, dec, identity, inc, list") && Catch::Contains("[\"list\""));
}

TEST_CASE("json_graph: a file of the wrong shape says what a graph file is", "[cli]") {
  CHECK_THAT(message_of(R"({"graph": {"a": 1})"), Catch::StartsWith("not valid JSON: parse error"));
  CHECK_THAT(message_of("[1, 2]"), Catch::Contains("JSON array, not an object"));
  CHECK_THAT(message_of(R"({"targets": []})"), Catch::Contains("no \"graph\""));
  CHECK_THAT(message_of(R"({"graph": [1]})"), Catch::Contains("\"graph\" is a JSON array"));
  CHECK_THAT(message_of(R"({"graph": {}, "target": ["a"]})"),
             Catch::Contains("unknown member 'target'"));
  CHECK_THAT(message_of(R"({"graph": {}, "targets": "a"})"),
             Catch::Contains("\"targets\" is a JSON string"));
  CHECK_THAT(message_of(R"({"graph": {}, "targets": ["a", 1]})"),
             Catch::Contains("\"targets\" holds 1"));
}

TEST_CASE("json_graph: objects and integers beyond int64 are rejected with the key", "[cli]") {
  CHECK_THAT(message_of(R"({"graph": {"m": ["list", {"a": 1}]}})"),
             Catch::Contains("key 'm': a JSON object"));
  CHECK_THAT(message_of(R"({"graph": {"big": 9223372036854775808}})"),
             Catch::Contains("key 'big'") && Catch::Contains("does not fit in int64"));
}

TEST_CASE("json_graph: lists nested past the bound are rejected, not recursed into", "[cli]") {
  std::string deep = std::string(5000, '[') + std::string(5000, ']');
  CHECK_THAT(message_of(R"({"graph": {"d": )" + deep + "}}"),
             Catch::Contains("key 'd': lists are nested more than"));
}

TEST_CASE(
    "json_graph: an integer beyond int64 is an error that names the key and says to write a float",
    "[cli]") {
  for (std::string number : {"9223372036854775808", "18446744073709551616", "100000000000000000000",
                             "-9223372036854775809"}) {
    INFO(number);
    auto message = message_of(R"({"graph": {"ok": 1, "big": ["add", "ok", [1, )" + number + "]]}}");
    CHECK_THAT(message,
               Catch::StartsWith("key 'big': the integer " + number + " does not fit in int64") &&
                   Catch::Contains("write it as a float (" + number + ".0)"));
  }
  CHECK_THAT(message_of(R"({"graph": {"top": 18446744073709551616}})"),
             Catch::StartsWith("key 'top': the integer"));
  // The ends of int64 are fine, and so is a float written with a fraction or an exponent.
  auto file = parse_json_graph(
      R"({"graph": {"min": -9223372036854775808, "f": 100000000000000000000.0, "e": 1e20}})");
  auto values = compute(file, {"min", "f", "e"});
  CHECK(values[0].as<std::int64_t>() == std::numeric_limits<std::int64_t>::min());
  CHECK(values[1].as<double>() == 1e20);
  CHECK(values[2].as<double>() == 1e20);
}

TEST_CASE("json_graph: a number beyond float64's range names the key and the fix", "[cli]") {
  for (std::string number : {"1e400", "-1e400", "1.5E+999"}) {
    INFO(number);
    auto message = message_of(R"({"graph": {"huge": ["mul", 2, )" + number + "]}}");
    CHECK_THAT(message, Catch::StartsWith("key 'huge': the number " + number +
                                          " is out of float64's range") &&
                            Catch::Contains("write a number of smaller magnitude"));
  }
  // Far below the smallest double is zero, as in Python.
  auto file = parse_json_graph(R"({"graph": {"tiny": 1e-400}})");
  CHECK(compute(file, {"tiny"})[0].as<double>() == 0.0);
}

TEST_CASE(
    "json_graph: a key given twice keeps its first place and its last value, as Python's json",
    "[cli]") {
  auto file = parse_json_graph(R"({"graph": {"a": 1, "b": ["inc", "a"], "a": [2, 3], "a": 10},
                                   "targets": ["b"], "targets": ["a", "b"]})");
  CHECK(file.keys == std::vector<troupe::Key>{"a", "b"});
  REQUIRE(file.targets == std::vector<troupe::Key>{"a", "b"});
  auto values = compute(file, *file.targets);
  CHECK(values[0].as<std::int64_t>() == 10);
  CHECK(values[1].as<std::int64_t>() == 11);
  // A second "graph" replaces the first.
  auto replaced = parse_json_graph(R"({"graph": {"x": 1, "y": 2}, "graph": {"z": 3}})");
  CHECK(replaced.keys == std::vector<troupe::Key>{"z"});
  CHECK_FALSE(replaced.graph.contains("x"));
}

TEST_CASE("json_graph: built-ins are found by their short names", "[cli]") {
  for (const char* name :
       {"list", "inc", "dec", "add", "sub", "mul", "neg", "mod", "sum", "min", "max"}) {
    INFO(name);
    CHECK(troupe::cli::graph_function(name) != nullptr);
  }
  CHECK(troupe::cli::graph_function("frobnicate") == nullptr);
  CHECK_THAT(troupe::cli::graph_function_names(),
             Catch::StartsWith("add, dec, identity, inc, list, max, min, mod, mul, neg, sub, sum") &&
                 !Catch::Contains("troupe."));
}

TEST_CASE("json_graph: a chain of 300k keys reads whole, in file order", "[cli]") {
  // Reading took minutes at this size when each key was found by a linear search (speed is
  // measured by bench/scaling.py, not here; cli.large_graphs guards against a hang).
  constexpr int n = 300'000;
  std::string text = R"({"graph": {"k_0": 0)";
  for (int i = 1; i < n; ++i)
    text += ", \"k_" + std::to_string(i) + "\": [\"inc\", \"k_" + std::to_string(i - 1) + "\"]";
  text += "}}";
  auto file = parse_json_graph(text);
  REQUIRE(file.keys.size() == n);
  CHECK(file.keys[1] == "k_1");
  CHECK(file.keys[n - 1] == "k_" + std::to_string(n - 1));
  CHECK(compute(file, {"k_" + std::to_string(n - 1)})[0].as<std::int64_t>() == n - 1);
}
