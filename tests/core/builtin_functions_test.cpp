// The built-in functions follow Python's arithmetic on int64 and float64.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "core/builtin_functions.hpp"

using namespace troupe;

namespace {

Value call(const char* name, std::vector<Value> args) {
  auto fn = find_function(std::string(builtin_prefix) + name);
  REQUIRE(fn);
  return fn->call(args.data(), args.size());
}

Value list(std::vector<Value> items) { return Value(std::move(items)); }

}  // namespace

TEST_CASE("builtins: ints stay ints, any float makes a float", "[core]") {
  CHECK(call("add", {Value(2), Value(3)}).type_name() == "int64");
  CHECK(call("add", {Value(2), Value(3)}).as<std::int64_t>() == 5);
  CHECK(call("add", {Value(2), Value(0.5)}).as<double>() == 2.5);
  CHECK(call("mul", {Value(true), Value(7)}).as<std::int64_t>() == 7);
  CHECK(call("sub", {Value(1.5), Value(2)}).as<double>() == -0.5);
  CHECK(call("inc", {Value(41)}).as<std::int64_t>() == 42);
  CHECK(call("dec", {Value(0.5)}).as<double>() == -0.5);
  CHECK(call("neg", {Value(5)}).as<std::int64_t>() == -5);
  CHECK(std::signbit(call("neg", {Value(0.0)}).as<double>()));
}

TEST_CASE("builtins: mod takes the sign of the divisor", "[core]") {
  CHECK(call("mod", {Value(-7), Value(3)}).as<std::int64_t>() == 2);
  CHECK(call("mod", {Value(7), Value(-3)}).as<std::int64_t>() == -2);
  CHECK(call("mod", {Value(-7.5), Value(2)}).as<double>() == 0.5);
  CHECK(call("mod", {Value(7.5), Value(-2)}).as<double>() == -0.5);
  CHECK(call("mod", {Value(std::numeric_limits<std::int64_t>::min()), Value(-1)}).as<std::int64_t>() == 0);
  CHECK_THROWS_AS(call("mod", {Value(1), Value(0)}), ZeroDivisionError);
  CHECK_THROWS_AS(call("mod", {Value(1.0), Value(0.0)}), ZeroDivisionError);
}

TEST_CASE("builtins: int64 overflow is an error, not a wrap", "[core]") {
  CHECK_THROWS_AS(call("add", {Value(std::numeric_limits<std::int64_t>::max()), Value(1)}),
                  OverflowError);
  CHECK_THROWS_AS(call("mul", {Value(std::int64_t{1} << 62), Value(4)}), OverflowError);
}

TEST_CASE("builtins: sum, min and max over lists", "[core]") {
  CHECK(call("sum", {list({})}).as<std::int64_t>() == 0);
  CHECK(call("sum", {list({Value(1), Value(2), Value(3)})}).as<std::int64_t>() == 6);
  CHECK(call("sum", {list({Value(1), Value(0.5)})}).as<double>() == 1.5);
  // min/max return the first extreme element itself, keeping its type.
  Value m = call("max", {list({Value(1), Value(3.0), Value(3)})});
  CHECK(m.type_name() == "float64");
  CHECK(call("min", {list({Value(2), Value(-1), Value(-1.0)})}).type_name() == "int64");
  CHECK_THROWS_WITH(call("max", {list({})}), Catch::Contains("empty sequence"));
  CHECK_THROWS_AS(call("sum", {Value(3)}), TypeError);
  auto l = call("list", {Value(1), Value("a")});
  CHECK(l.get<std::vector<Value>>().size() == 2);
}

TEST_CASE("builtins: wrong arity and types are clear errors", "[core]") {
  CHECK_THROWS_WITH(call("add", {Value(1)}), "add takes 2 arguments, got 1");
  CHECK_THROWS_WITH(call("inc", {Value("x")}), "inc needs int64 or float64 arguments, got string");
}

TEST_CASE("builtins: min and max compare int64 and float64 exactly, as Python does", "[core]") {
  const std::int64_t above = 9007199254740993;  // 2^53 + 1: no double holds it
  const double two53 = 9007199254740992.0;
  Value low = call("min", {list({Value(above), Value(two53)})});
  CHECK(low.type_name() == "float64");
  CHECK(low.as<double>() == two53);
  Value high = call("max", {list({Value(above), Value(two53)})});
  CHECK(high.type_name() == "int64");
  CHECK(high.as<std::int64_t>() == above);
  CHECK(call("max", {list({Value(two53), Value(above)})}).type_name() == "int64");
  CHECK(call("min", {list({Value(two53), Value(above)})}).type_name() == "float64");
  // Equal values: the first one stays, with its type.
  CHECK(call("min", {list({Value(two53), Value(std::int64_t{9007199254740992})})}).type_name() ==
        "float64");
  // Past int64's range and at its ends.
  const auto int_max = std::numeric_limits<std::int64_t>::max();
  const auto int_min = std::numeric_limits<std::int64_t>::min();
  CHECK(call("max", {list({Value(int_max), Value(0x1p63)})}).type_name() == "float64");
  CHECK(call("min", {list({Value(int_max), Value(0x1p63)})}).as<std::int64_t>() == int_max);
  CHECK(call("min", {list({Value(int_min), Value(-0x1p63)})}).type_name() == "int64");
  CHECK(call("min", {list({Value(-0x1p63), Value(int_min)})}).type_name() == "float64");
  CHECK(call("min", {list({Value(int_min + 1), Value(-0x1p63)})}).type_name() == "float64");
  // Fractions on either side of a negative whole number.
  CHECK(call("max", {list({Value(-3), Value(-2.5)})}).as<double>() == -2.5);
  CHECK(call("min", {list({Value(-3), Value(-2.5)})}).as<std::int64_t>() == -3);
  CHECK(call("max", {list({Value(-2), Value(-2.5)})}).as<std::int64_t>() == -2);
  CHECK(call("min", {list({Value(-2), Value(-2.5)})}).as<double>() == -2.5);
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(call("min", {list({Value(5), Value(inf)})}).as<std::int64_t>() == 5);
  CHECK(std::isinf(call("max", {list({Value(5), Value(inf)})}).as<double>()));
  CHECK(call("max", {list({Value(5), Value(-inf)})}).as<std::int64_t>() == 5);
}

TEST_CASE("builtins: a comparison with NaN is false, as in Python", "[core]") {
  const double nan = std::nan("");
  // min(x) keeps the first item until a later one is smaller: NaN is never smaller, nor is
  // anything smaller than NaN.
  CHECK(std::isnan(call("min", {list({Value(nan), Value(1)})}).as<double>()));
  CHECK(std::isnan(call("max", {list({Value(nan), Value(1), Value(2.0)})}).as<double>()));
  CHECK(call("min", {list({Value(1), Value(nan)})}).as<std::int64_t>() == 1);
  CHECK(call("max", {list({Value(1.0), Value(nan)})}).as<double>() == 1.0);
  CHECK(call("max", {list({Value(1), Value(nan), Value(2)})}).as<std::int64_t>() == 2);
  CHECK(call("min", {list({Value(2), Value(nan), Value(1.5)})}).as<double>() == 1.5);
}
