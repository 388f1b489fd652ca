#include "cli/json_graph.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "collections/compute.hpp"

namespace {

using troupe::Value;
using troupe::cli::parse_json_graph;
using troupe::cli::to_json;

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
  CHECK(to_json(compute(file, {"l"})[0]).dump() == "[1.5,1,[null,1]]");
  CHECK(to_json(compute(file, {"e"})[0]).dump() == "[]");
}

TEST_CASE("json_graph: an unknown function is named with the known ones", "[cli]") {
  auto message = message_of(R"({"graph": {"k": ["frobnicate", 1]}})");
  CHECK_THAT(message, Catch::Contains("key 'k'") && Catch::Contains("'frobnicate'") &&
                          Catch::Contains("add, dec, inc, list") && Catch::Contains("[\"list\""));
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

TEST_CASE("json_graph: values print as JSON that reads back the same", "[cli]") {
  CHECK(to_json(Value()).dump() == "null");
  CHECK(to_json(Value(true)).dump() == "true");
  CHECK(to_json(Value(std::int64_t{-42})).dump() == "-42");
  CHECK(to_json(Value(0.1)).dump() == "0.1");
  CHECK(to_json(Value(1.0)).dump() == "1.0");
  CHECK(to_json(Value(1e300)).get<double>() == 1e300);
  CHECK(to_json(Value(std::nan(""))).dump() == "null");
  CHECK(to_json(Value("a\"b")).dump() == R"("a\"b")");
  CHECK(
      to_json(Value(std::vector<Value>{Value(1), Value(std::vector<Value>{Value("x")})})).dump() ==
      R"([1,["x"]])");
  CHECK(to_json(Value::from(std::vector<std::int64_t>{1, 2})).dump() == "[1,2]");
  CHECK(to_json(Value::from(std::vector<double>{0.5})).dump() == "[0.5]");
  CHECK(to_json(Value::from(std::map<std::string, std::int64_t>{})).dump() ==
        R"("<map<string,int64>>")");
}
