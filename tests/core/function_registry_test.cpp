// The function registry: users' names never clash with troupe's built-ins, and a name claimed
// twice is an error the program can see and handle, never std::terminate before main.

#include <catch2/catch.hpp>

#include <algorithm>

#include "collections/delayed.hpp"

using namespace troupe;

namespace user_code {

// The names of troupe's own built-ins, taken by a user's program (as the README's example does).
std::int64_t inc(std::int64_t x) { return x + 100; }
std::int64_t add(std::int64_t a, std::int64_t b) { return a * b; }
std::int64_t sum(std::int64_t x) { return -x; }
std::int64_t min(std::int64_t x) { return x - 1; }
std::int64_t max(std::int64_t x) { return x + 1; }
std::string list(std::int64_t x) { return std::to_string(x); }
TROUPE_FUNCTION(inc);
TROUPE_FUNCTION(add);
TROUPE_FUNCTION(sum);
TROUPE_FUNCTION(min);
TROUPE_FUNCTION(max);
TROUPE_FUNCTION(list);

// Registered twice by different functions before main.
std::int64_t first_twin(std::int64_t x) { return x; }
std::int64_t second_twin(std::int64_t x) { return -x; }
TROUPE_NAMED_FUNCTION("twin", first_twin);
TROUPE_NAMED_FUNCTION("twin", second_twin);

// A reserved name, before main.
std::int64_t squatter(std::int64_t x) { return x; }
TROUPE_NAMED_FUNCTION("troupe.squat", squatter);

// The same function registered twice under one name is one registration.
std::int64_t once(std::int64_t x) { return x; }
TROUPE_NAMED_FUNCTION("once", once);
TROUPE_NAMED_FUNCTION("once", once);

}  // namespace user_code

TEST_CASE("function registry: a user's inc, add, sum, min, max and list do not clash with the "
          "built-ins",
          "[core]") {
  CHECK(delayed(user_code::inc)(1).compute({"sync"}).as<std::int64_t>() == 101);
  CHECK(delayed("inc")(1).compute({"sync"}).as<std::int64_t>() == 101);
  CHECK(delayed("troupe.inc")(1).compute({"sync"}).as<std::int64_t>() == 2);
  CHECK(delayed(user_code::add)(3, 4).compute({"sync"}).as<std::int64_t>() == 12);
  CHECK(delayed("troupe.add")(3, 4).compute({"sync"}).as<std::int64_t>() == 7);
  CHECK(delayed("sum")(5).compute({"sync"}).as<std::int64_t>() == -5);
  CHECK(delayed("min")(5).compute({"sync"}).as<std::int64_t>() == 4);
  CHECK(delayed("max")(5).compute({"sync"}).as<std::int64_t>() == 6);
  CHECK(delayed("list")(5).compute({"sync"}).as<std::string>() == "5");
  CHECK(find_function("troupe.list")->arity == task_function::variadic);
}

TEST_CASE("function registry: a name registered twice before main is reported, not fatal",
          "[core]") {
  auto errors = registration_errors();
  auto twin = std::find_if(errors.begin(), errors.end(), [](const std::string& e) {
    return e.find("'twin'") != std::string::npos;
  });
  REQUIRE(twin != errors.end());
  CHECK_THAT(*twin, Catch::Contains("TROUPE_NAMED_FUNCTION"));
  // Every use of the name or of either function raises the clash.
  CHECK_THROWS_WITH(find_function("twin"), Catch::Contains("two different functions"));
  CHECK_THROWS_AS(delayed(user_code::first_twin), ArgumentError);
  CHECK_THROWS_AS(delayed(user_code::second_twin), ArgumentError);
  CHECK_THROWS_AS(delayed("twin"), ArgumentError);
  // A reserved name is refused, and says so where it is used.
  CHECK_THROWS_WITH(delayed(user_code::squatter), Catch::Contains("reserved"));
  CHECK_THROWS_WITH(find_function("troupe.squat"), Catch::Contains("reserved"));
  // The same function twice is fine.
  CHECK(delayed("once")(7).compute({"sync"}).as<std::int64_t>() == 7);
  CHECK(std::none_of(errors.begin(), errors.end(), [](const std::string& e) {
    return e.find("'once'") != std::string::npos;
  }));
}

TEST_CASE("function registry: registering at run time throws for taken and reserved names",
          "[core]") {
  auto identity = [](const Value* args, std::size_t) { return args[0]; };
  CHECK_THROWS_WITH(register_function("inc", identity, 1),
                    Catch::Contains("two different functions are registered as 'inc'"));
  CHECK_THROWS_WITH(register_function("troupe.mine", identity, 1),
                    Catch::Contains("reserved for troupe's built-ins"));
  CHECK_THROWS_AS(register_function("", identity, 1), ArgumentError);
  auto fresh = register_function("registry_test.fresh", identity, 1);
  CHECK(find_function("registry_test.fresh") == fresh);
  // Typed, at run time (a plugin's registrations): the same rules.
  auto typed = register_typed_function("registry_test.typed", [](std::int64_t x) { return 2 * x; });
  CHECK(delayed("registry_test.typed")(21).compute({"sync"}).as<std::int64_t>() == 42);
  CHECK(typed->arity == 1);
  CHECK_THROWS_AS(register_typed_function("registry_test.typed", [](std::int64_t x) { return x; }),
                  ArgumentError);
  CHECK_THROWS_WITH(delayed("frobnicate"), Catch::Contains("TROUPE_FUNCTION"));
}
