#include "cli/run_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

// A graph file in the temporary directory, removed at the end of the test.
class graph_file {
 public:
  explicit graph_file(std::string_view text)
      : path_(std::filesystem::temp_directory_path() /
              ("troupe_cli_test_" + std::to_string(::getpid()) + "_" + std::to_string(next_id_++) +
               ".json")) {
    std::ofstream(path_) << text;
  }
  ~graph_file() { std::filesystem::remove(path_); }
  graph_file(const graph_file&) = delete;
  graph_file& operator=(const graph_file&) = delete;
  std::string path() const { return path_.string(); }

 private:
  static inline int next_id_ = 0;
  std::filesystem::path path_;
};

struct outcome {
  int status;
  std::string out;
  std::string err;
};

outcome run(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int status = troupe::cli::run_command(args, out, err);
  return {status, out.str(), err.str()};
}

constexpr std::string_view seed =
    R"({"graph": {"x": 1, "y": 2, "z": ["add", "x", "y"], "w": ["sum", ["x", "y", "z"]]},
        "targets": ["w"]})";

}  // namespace

TEST_CASE("run_command: prints the targets as one JSON object on one line", "[cli]") {
  graph_file file(seed);
  for (const char* scheduler : {"sync", "threads"}) {
    auto result = run({file.path(), "--scheduler", scheduler, "--num-workers", "2"});
    CHECK(result.status == 0);
    CHECK(result.out == "{\"w\":6}\n");
    CHECK(result.err.empty());
  }
}

TEST_CASE("run_command: --keys replaces the targets, in order, each key once", "[cli]") {
  graph_file file(seed);
  auto result = run({file.path(), "--keys", "z,x", "--keys=w,z", "--scheduler=sync"});
  CHECK(result.status == 0);
  CHECK(result.out == "{\"z\":3,\"x\":1,\"w\":6}\n");
}

TEST_CASE("run_command: with neither --keys nor targets every key is computed", "[cli]") {
  graph_file file(R"({"graph": {"b": 2, "a": ["inc", "b"]}})");
  CHECK(run({file.path()}).out == "{\"b\":2,\"a\":3}\n");
}

TEST_CASE("run_command: --order prints every key's priority and the results held", "[cli]") {
  // A diamond under a sink, plus a literal: priorities are a run order of all five keys.
  graph_file file(R"({"graph": {"x": 1, "a": ["inc", "x"], "b": ["inc", "a"],
                                "c": ["inc", "a"], "d": ["add", "b", "c"]}})");
  auto result = run({file.path(), "--order"});
  REQUIRE(result.status == 0);
  CHECK(result.err.empty());
  // x before a, a before b and c, both before d; while the second of b and c runs, a (still
  // needed by it), the first and the second are held: 3.
  const bool b_first = result.out.find("\"b\":2") != std::string::npos;
  CHECK(result.out == (b_first ? R"({"priorities":{"x":0,"a":1,"b":2,"c":3,"d":4},"max_results_held":3})"
                                 "\n"
                               : R"({"priorities":{"x":0,"a":1,"c":2,"b":3,"d":4},"max_results_held":3})"
                                 "\n"));
  // --keys culls as for a compute; an empty graph has an empty order.
  CHECK(run({file.path(), "--order", "--keys", "b"}).out ==
        "{\"priorities\":{\"x\":0,\"a\":1,\"b\":2},\"max_results_held\":1}\n");
  graph_file empty(R"({"graph": {}})");
  CHECK(run({empty.path(), "--order"}).out == "{\"priorities\":{},\"max_results_held\":0}\n");
}

TEST_CASE("run_command: --help prints the usage and succeeds", "[cli]") {
  auto result = run({"--help"});
  CHECK(result.status == 0);
  CHECK_THAT(result.out, Catch::StartsWith("usage: troupe run GRAPH.json"));
}

TEST_CASE("run_command: every failure is one error line and exit status 2", "[cli]") {
  graph_file good(seed);
  graph_file cycle(R"({"graph": {"a": ["inc", "b"], "b": ["inc", "a"]}})");
  graph_file raises(R"({"graph": {"a": ["inc", "nokey"]}})");
  struct error_case {
    std::vector<std::string> args;
    std::string expected;
  };
  std::vector<error_case> cases = {
      {{}, "no graph file given"},
      {{good.path(), "other.json"}, "unexpected argument 'other.json'"},
      {{good.path(), "--verbose"}, "unknown option '--verbose'"},
      {{good.path(), "--scheduler"}, "--scheduler: 1 required"},
      {{good.path(), "--scheduler", "gpu-magic"}, "gpu-magic not in {sync,threads,processes}"},
      {{good.path(), "--num-workers", "0"}, "--num-workers: Value 0 not in range 1 to 1024"},
      {{good.path(), "--num-workers", "4x"}, "Value 4x not in range"},
      {{good.path(), "--num-workers", "100000"}, "Value 100000 not in range"},
      {{good.path(), "--num-workers"}, "(see troupe run --help)"},
      {{good.path(), "--keys", "w,,z"}, "empty key"},
      {{good.path(), "--keys", "q"}, "'q' (from --keys) is not a key of the graph"},
      {{"/nonexistent/graph.json"}, "cannot open the graph file '/nonexistent/graph.json'"},
      {{cycle.path()}, "cycle in the graph through key"},
      {{raises.path()}, "task 'a' raised troupe::TypeError"},
      {{raises.path()}, "'nokey' names no key of the graph"},
      {{good.path(), "--order", "--scheduler", "sync"}, "--order computes nothing"},
      {{good.path(), "--order", "--address", "tcp://127.0.0.1:8786"}, "--order computes nothing"},
      {{cycle.path(), "--order"}, "cycle in the graph through key"},
  };
  for (const auto& c : cases) {
    INFO(c.expected);
    auto result = run(c.args);
    CHECK(result.status == 2);
    CHECK(result.out.empty());
    CHECK_THAT(result.err, Catch::StartsWith("troupe run: error: ") && Catch::Contains(c.expected));
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  }
}

TEST_CASE("run_command: a value nested 50,000 deep by tasks prints, without recursing", "[cli]") {
  // l_0 = [], l_i = [l_{i-1}]: printing l_50000 recursed once per level and overflowed the stack.
  constexpr int depth = 50'000;
  std::string text = R"({"graph": {"l_0": ["list"])";
  for (int i = 1; i <= depth; ++i)
    text += ", \"l_" + std::to_string(i) + "\": [\"list\", \"l_" + std::to_string(i - 1) + "\"]";
  text += R"(}, "targets": ["l_50000"]})";
  graph_file file(text);
  for (const char* scheduler : {"sync", "threads"}) {
    INFO(scheduler);
    auto result = run({file.path(), "--scheduler", scheduler, "--num-workers", "2"});
    REQUIRE(result.status == 0);
    std::string expected =
        "{\"l_50000\":" + std::string(depth + 1, '[') + std::string(depth + 1, ']') + "}\n";
    CHECK(result.out == expected);
  }
}

TEST_CASE("run_command: NaN and infinities print as Python's json writes them", "[cli]") {
  graph_file file(R"({"graph": {"big": 1e308, "inf": ["mul", "big", 10.0], "ninf": ["neg", "inf"],
                                 "nan": ["sub", "inf", "inf"], "all": ["list", "inf", "nan", 0.5]},
                      "targets": ["inf", "ninf", "nan", "all"]})");
  auto result = run({file.path(), "--scheduler", "sync"});
  CHECK(result.status == 0);
  CHECK(result.out ==
        "{\"inf\":Infinity,\"ninf\":-Infinity,\"nan\":NaN,\"all\":[Infinity,NaN,0.5]}\n");
}

TEST_CASE("run_command: numbers troupe cannot hold are errors naming the key", "[cli]") {
  graph_file big(R"({"graph": {"a": 1, "b": ["add", "a", 18446744073709551616]}})");
  graph_file huge(R"({"graph": {"a": 1, "c": ["add", "a", 1e400]}})");
  auto result = run({big.path()});
  CHECK(result.status == 2);
  CHECK_THAT(result.err, Catch::StartsWith("troupe run: error: " + big.path() +
                                           ": key 'b': the integer 18446744073709551616 does "
                                           "not fit in int64; write it as a float"));
  result = run({huge.path()});
  CHECK(result.status == 2);
  CHECK_THAT(result.err, Catch::StartsWith("troupe run: error: " + huge.path() +
                                           ": key 'c': the number 1e400 is out of float64's "
                                           "range"));
  CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
}

TEST_CASE("run_command: --help lists the functions by their short names", "[cli]") {
  auto result = run({"--help"});
  CHECK_THAT(result.out, Catch::Contains("Functions: add, dec, identity, inc, list, max, min, mod, mul, neg, "
                                         "sub, sum") &&
                             !Catch::Contains("troupe.add"));
}

TEST_CASE("run_command: after -- the argument is the graph file", "[cli]") {
  graph_file file(seed);
  auto result = run({"--scheduler", "sync", "--", file.path()});
  CHECK(result.status == 0);
  CHECK(result.out == "{\"w\":6}\n");
  CHECK(run({"--", file.path(), "more.json"}).status == 2);
}
