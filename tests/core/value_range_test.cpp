// Numbers never narrow silently: Value::as<T>(), boxing, and typed task functions check ranges
// and raise OverflowError naming the value and the target's range.

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "collections/delayed.hpp"
#include "core/function.hpp"
#include "core/value.hpp"

using namespace troupe;
using Catch::Contains;

namespace {

constexpr std::int64_t two_to_40 = std::int64_t{1} << 40;

/// The int64 limits of T, clipped to int64.
template <class T>
void check_integer_limits() {
  using limits = std::numeric_limits<T>;
  INFO(type_name<T>());
  const auto lowest = static_cast<std::int64_t>(limits::min());
  CHECK(Value(lowest).as<T>() == limits::min());
  if constexpr (sizeof(T) < 8 || std::is_signed_v<T>) {
    const auto highest = static_cast<std::int64_t>(limits::max());
    CHECK(Value(highest).as<T>() == limits::max());
    if (highest < std::numeric_limits<std::int64_t>::max())
      CHECK_THROWS_AS(Value(highest + 1).as<T>(), OverflowError);
  } else {
    CHECK(Value(std::numeric_limits<std::int64_t>::max()).as<T>() ==
          static_cast<T>(std::numeric_limits<std::int64_t>::max()));
  }
  if (lowest > std::numeric_limits<std::int64_t>::min())
    CHECK_THROWS_AS(Value(lowest - 1).as<T>(), OverflowError);
  CHECK(Value(true).as<T>() == 1);
}

std::int64_t call(const function_ref& f, std::vector<Value> args) {
  return f->call(args.data(), args.size()).as<std::int64_t>();
}

}  // namespace

TEST_CASE("value range: as<T>() checks every integer width and signedness", "[core]") {
  check_integer_limits<std::int8_t>();
  check_integer_limits<std::int16_t>();
  check_integer_limits<std::int32_t>();
  check_integer_limits<std::int64_t>();
  check_integer_limits<std::uint8_t>();
  check_integer_limits<std::uint16_t>();
  check_integer_limits<std::uint32_t>();
  check_integer_limits<std::uint64_t>();
  check_integer_limits<char>();
  check_integer_limits<short>();
  check_integer_limits<long>();
  check_integer_limits<long long>();
  check_integer_limits<unsigned long long>();
}

TEST_CASE("value range: the overflow message names the value and the target's range", "[core]") {
  CHECK_THROWS_WITH(Value(two_to_40).as<int>(),
                    "1099511627776 (int64) is out of range for int32 [-2147483648, 2147483647]");
  CHECK_THROWS_WITH(Value(-1).as<std::uint64_t>(),
                    "-1 (int64) is out of range for uint64 [0, 18446744073709551615]");
  CHECK_THROWS_WITH(Value(256).as<std::uint8_t>(),
                    "256 (int64) is out of range for uint8 [0, 255]");
  CHECK_THROWS_AS(Value(-1).as<unsigned>(), OverflowError);
  CHECK_THROWS_AS(Value(two_to_40).as<int>(), troupe::error);  // OverflowError is a troupe::error
  CHECK_THROWS_AS(Value(std::vector<Value>{Value(1), Value(two_to_40)}).as<std::vector<int>>(),
                  OverflowError);
}

TEST_CASE("value range: float64 to float32 checks finite values only", "[core]") {
  CHECK_THROWS_WITH(
      Value(1e300).as<float>(),
      Contains("1e+300 (float64) is out of range for float32 [") && Contains("3.4028235e+38]"));
  CHECK_THROWS_AS(Value(-1e300).as<float>(), OverflowError);
  CHECK(Value(3.0e38).as<float>() == 3.0e38f);
  CHECK(Value(1e-300).as<float>() == 0.0f);  // underflow is rounding, not overflow
  CHECK(std::isinf(Value(std::numeric_limits<double>::infinity()).as<float>()));
  CHECK(std::isnan(Value(std::numeric_limits<double>::quiet_NaN()).as<float>()));
  CHECK(Value(two_to_40).as<float>() == 1099511627776.0f);
}

TEST_CASE("value range: boxing an unsigned above INT64_MAX raises OverflowError", "[core]") {
  constexpr auto max64 = std::numeric_limits<std::uint64_t>::max();
  CHECK_THROWS_WITH(Value(max64),
                    "18446744073709551615 (uint64) is out of range for int64 "
                    "[-9223372036854775808, 9223372036854775807]");
  CHECK_THROWS_AS(make_value(std::uint64_t{1} << 63), OverflowError);
  CHECK(Value(std::uint64_t{std::numeric_limits<std::int64_t>::max()}).as<std::int64_t>() ==
        std::numeric_limits<std::int64_t>::max());
  CHECK(Value(std::uint32_t{4000000000u}).as<std::int64_t>() == 4000000000);
  // Only the types that may not fit can throw.
  STATIC_REQUIRE_FALSE(std::is_nothrow_constructible_v<Value, std::uint64_t>);
  STATIC_REQUIRE_FALSE(std::is_nothrow_constructible_v<Value, unsigned long long>);
  STATIC_REQUIRE_FALSE(std::is_nothrow_constructible_v<Value, long double>);
  STATIC_REQUIRE(std::is_nothrow_constructible_v<Value, std::int64_t>);
  STATIC_REQUIRE(std::is_nothrow_constructible_v<Value, std::uint32_t>);
  STATIC_REQUIRE(std::is_nothrow_constructible_v<Value, bool>);
  STATIC_REQUIRE(std::is_nothrow_constructible_v<Value, float>);
  STATIC_REQUIRE(std::is_nothrow_constructible_v<Value, double>);
  CHECK_THROWS_AS(Value(std::numeric_limits<long double>::max()), OverflowError);
}

TEST_CASE("value range: typed functions name the argument, its C++ type and the value", "[core]") {
  auto takes_int = local_function("takes_int", [](int x) { return std::int64_t{x}; });
  CHECK(call(takes_int, {Value(-5)}) == -5);
  CHECK_THROWS_AS(call(takes_int, {Value(two_to_40)}), OverflowError);
  CHECK_THROWS_WITH(call(takes_int, {Value(two_to_40)}),
                    "argument 1 of takes_int (int): 1099511627776 (int64) is out of range for "
                    "int32 [-2147483648, 2147483647]");
  auto takes_u64 = local_function("takes_u64", [](std::int64_t a, std::uint64_t b) {
    return a + static_cast<std::int64_t>(b % 100);
  });
  CHECK_THROWS_WITH(call(takes_u64, {Value(1), Value(-1)}),
                    Contains("argument 2 of takes_u64 (unsigned long): -1 (int64)") &&
                        Contains("uint64 [0, 18446744073709551615]"));
  auto big = local_function("big", [] { return std::numeric_limits<std::uint64_t>::max(); });
  CHECK_THROWS_WITH(big->call(nullptr, 0),
                    Contains("result of big: 18446744073709551615 (uint64) is out of range for "
                             "int64"));
  auto fits = local_function("fits", [] { return std::uint64_t{42}; });
  CHECK(fits->call(nullptr, 0).as<std::int64_t>() == 42);
}

TEST_CASE("value range: a task fed an out-of-range value fails with a TaskError naming it",
          "[core]") {
  auto narrow = delayed([](int x) { return std::int64_t{x} + 1; });
  try {
    narrow(two_to_40).compute({.scheduler = "sync"});
    FAIL("expected TaskError");
  } catch (const TaskError& e) {
    CHECK(e.key().rfind("lambda-", 0) == 0);
    CHECK_THAT(e.type_name(), Contains("OverflowError"));
    CHECK_THAT(e.message(), Contains("argument 1 of lambda (int)") && Contains("1099511627776") &&
                                Contains("int32"));
    CHECK_THAT(std::string(e.what()), Contains(e.key()));
  }
  auto unsigned_task = delayed([](std::uint64_t x) { return static_cast<std::int64_t>(x / 2); });
  try {
    unsigned_task(-1).compute({.scheduler = "sync"});
    FAIL("expected TaskError");
  } catch (const TaskError& e) {
    CHECK_THAT(e.message(), Contains("argument 1 of lambda (unsigned long): -1 (int64)"));
  }
  CHECK(narrow(41).compute({.scheduler = "sync"}).as<std::int64_t>() == 42);
}
