#include "cli/json_output.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

namespace {

using troupe::Value;
using troupe::cli::json_number;
using troupe::cli::to_json_text;

constexpr double inf = std::numeric_limits<double>::infinity();

}  // namespace

TEST_CASE("json_output: values print as JSON that reads back the same", "[cli]") {
  CHECK(to_json_text(Value()) == "null");
  CHECK(to_json_text(Value(true)) == "true");
  CHECK(to_json_text(Value(std::int64_t{-42})) == "-42");
  CHECK(to_json_text(Value(std::numeric_limits<std::int64_t>::min())) == "-9223372036854775808");
  CHECK(to_json_text(Value(0.1)) == "0.1");
  CHECK(to_json_text(Value(1.0)) == "1.0");
  CHECK(to_json_text(Value("a\"b")) == R"("a\"b")");
  CHECK(to_json_text(Value("tab\there\n")) == R"("tab\there\n")");
  CHECK(to_json_text(Value("caf\xc3\xa9")) == "\"caf\xc3\xa9\"");
  CHECK(to_json_text(Value("bad \xff byte")) == "\"bad \xef\xbf\xbd byte\"");
  CHECK(to_json_text(Value(std::vector<Value>{Value(1), Value(std::vector<Value>{Value("x")})})) ==
        R"([1,["x"]])");
  CHECK(to_json_text(Value(std::vector<Value>{})) == "[]");
  CHECK(to_json_text(Value(std::vector<Value>{Value(std::vector<Value>{}), Value()})) ==
        "[[],null]");
  CHECK(to_json_text(Value::from(std::vector<std::int64_t>{1, 2})) == "[1,2]");
  CHECK(to_json_text(Value::from(std::vector<double>{0.5, 2.0})) == "[0.5,2.0]");
  CHECK(to_json_text(Value::from(std::map<std::string, std::int64_t>{})) ==
        R"("<map<string,int64>>")");
}

TEST_CASE("json_output: NaN and infinities print as Python's json writes them", "[cli]") {
  CHECK(to_json_text(Value(std::nan(""))) == "NaN");
  CHECK(to_json_text(Value(-std::nan(""))) == "NaN");
  CHECK(to_json_text(Value(inf)) == "Infinity");
  CHECK(to_json_text(Value(-inf)) == "-Infinity");
  CHECK(to_json_text(Value(std::vector<Value>{Value(inf), Value(std::nan(""))})) ==
        "[Infinity,NaN]");
  CHECK(to_json_text(Value::from(std::vector<double>{-inf, std::nan("")})) == "[-Infinity,NaN]");
}

TEST_CASE("json_output: floats print as Python's repr writes them", "[cli]") {
  CHECK(json_number(0.0) == "0.0");
  CHECK(json_number(-0.0) == "-0.0");
  CHECK(json_number(100.0) == "100.0");
  CHECK(json_number(-2.5) == "-2.5");
  CHECK(json_number(0.1 + 0.2) == "0.30000000000000004");
  CHECK(json_number(123456789.125) == "123456789.125");
  CHECK(json_number(1e15) == "1000000000000000.0");
  CHECK(json_number(1e16) == "1e+16");
  CHECK(json_number(1.5e300) == "1.5e+300");
  CHECK(json_number(0.0001) == "0.0001");
  CHECK(json_number(0.00012) == "0.00012");
  CHECK(json_number(1e-5) == "1e-05");
  CHECK(json_number(-1.25e-7) == "-1.25e-07");
  CHECK(json_number(5e-324) == "5e-324");
  CHECK(json_number(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
  CHECK(json_number(9007199254740993.0) == "9007199254740992.0");
  // Every one reads back as the same double.
  for (double x : {0.1, 1.0 / 3, 2.0 / 3e10, 6.02214076e23, 1e-300, 4.35e-5}) {
    INFO(x);
    CHECK(std::stod(json_number(x)) == x);
  }
}

TEST_CASE("json_output: a list nested 50,000 deep prints without recursing", "[cli]") {
  constexpr int depth = 50'000;
  Value nested{std::vector<Value>{}};
  for (int i = 1; i < depth; ++i) nested = Value(std::vector<Value>{nested, Value(i)});
  std::string text = to_json_text(nested);
  REQUIRE(text.size() > 2 * depth);
  CHECK(text.substr(0, 4) == "[[[[");
  CHECK(text.find_first_not_of('[') == depth);
  CHECK(text.substr(depth, 6) == "],1],2");
  CHECK(text.substr(text.size() - 7) == ",49999]");
}

TEST_CASE("json_output: an object prints its keys in the order given", "[cli]") {
  std::ostringstream out;
  troupe::cli::write_json_object(out, {"b", "a\"", "c"},
                                 {Value(1), Value(std::vector<Value>{Value(2.0)}), Value("x")});
  CHECK(out.str() == R"({"b":1,"a\"":[2.0],"c":"x"})");
  std::ostringstream empty;
  troupe::cli::write_json_object(empty, {}, {});
  CHECK(empty.str() == "{}");
}
