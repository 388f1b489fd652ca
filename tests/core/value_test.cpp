// Value: boxing, conversions, codecs and tokenize.

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <tuple>

#include "core/register_type.hpp"
#include "core/tokenize.hpp"
#include "core/value.hpp"

struct sample_point {
  double x = 0;
  double y = 0;
  std::string label;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    archive & x & y & label;
  }
  bool operator==(const sample_point& other) const {
    return x == other.x && y == other.y && label == other.label;
  }
};
TROUPE_REGISTER_TYPE(sample_point)

struct not_codable {
  int n;
};

using namespace troupe;

namespace {

Value list(std::vector<Value> items) { return Value(std::move(items)); }

/// Depth of a chain of one-element lists or one-entry maps, walked without recursion.
std::size_t chain_depth(Value v) {
  std::size_t depth = 0;
  for (;;) {
    if (v.holds<std::vector<Value>>()) {
      v = v.get<std::vector<Value>>().at(0);
    } else if (v.holds<std::map<std::string, Value>>()) {
      v = v.get<std::map<std::string, Value>>().at("next");
    } else {
      return depth;
    }
    ++depth;
  }
}

template <class T>
T round_trip(const T& x) {
  Value decoded = Value::decode(make_value(x).encode());
  CHECK(decoded.type_name() == type_name<T>());
  return decoded.as<T>();
}

}  // namespace

TEST_CASE("value: scalars box inline and convert as Python would", "[core]") {
  CHECK(Value().is_none());
  CHECK(Value(true).type_name() == "bool");
  CHECK(Value(3).type_name() == "int64");
  CHECK(Value(2.5).type_name() == "float64");
  CHECK(Value(3).as<double>() == 3.0);
  CHECK(Value(true).as<std::int64_t>() == 1);
  CHECK_THROWS_WITH(Value(2.5).as<std::int64_t>(),
                    "expected a value of type int64, got float64");
  CHECK_THROWS_WITH(Value("s").as<double>(), "expected a value of type float64, got string");
}

TEST_CASE("value: objects are shared, never copied", "[core]") {
  Value a = make_value(std::vector<double>(1000, 1.5));
  Value b = a;
  CHECK(a.object_address() == b.object_address());
  CHECK(&a.get<std::vector<double>>() == &b.get<std::vector<double>>());
  CHECK(a.nbytes() >= 8000);
  CHECK(a.type_name() == "vector<float64>");
}

TEST_CASE("value: lists convert to and from typed vectors", "[core]") {
  Value list(std::vector<Value>{Value(1), Value(2), Value(3)});
  CHECK(list.type_name() == "list");
  CHECK(list.as<std::vector<std::int64_t>>() == std::vector<std::int64_t>{1, 2, 3});
  CHECK(list.as<std::vector<double>>() == std::vector<double>{1.0, 2.0, 3.0});
  Value mixed(std::vector<Value>{Value(1), Value("x")});
  CHECK_THROWS_AS(mixed.as<std::vector<std::int64_t>>(), TypeError);
}

TEST_CASE("value: built-in codecs round-trip", "[core]") {
  CHECK(round_trip(std::string("héllo\0world", 12)) == std::string("héllo\0world", 12));
  CHECK(round_trip(std::vector<double>{1.5, -2.25, 1e300}) ==
        std::vector<double>{1.5, -2.25, 1e300});
  CHECK(round_trip(std::vector<std::int64_t>{}) == std::vector<std::int64_t>{});
  CHECK(round_trip(std::vector<std::string>{"a", "", "ccc"}) ==
        std::vector<std::string>{"a", "", "ccc"});
  std::map<std::string, std::int64_t> m{{"a", 1}, {"b", -2}};
  CHECK(round_trip(m) == m);
  auto t = std::make_tuple(std::int64_t{7}, std::string("seven"), 7.5);
  CHECK(round_trip(t) == t);
  Value nested(std::vector<Value>{Value(1), Value("two"), Value(std::vector<Value>{Value(3.0)})});
  Value back = Value::decode(nested.encode());
  const auto& items = back.get<std::vector<Value>>();
  REQUIRE(items.size() == 3);
  CHECK(items[1].as<std::string>() == "two");
  CHECK(items[2].get<std::vector<Value>>()[0].as<double>() == 3.0);
  CHECK(Value::decode(Value(-5).encode()).as<std::int64_t>() == -5);
  CHECK(Value::decode(Value().encode()).is_none());
}

TEST_CASE("value: user types go through Boost.Serialization", "[core]") {
  sample_point p{1.5, -3.0, "corner"};
  CHECK(round_trip(p) == p);
  CHECK(make_value(p).type_name() == "sample_point");
}

TEST_CASE("value: encoding errors name the type and the fix", "[core]") {
  CHECK_THROWS_WITH(make_value(not_codable{1}).encode(),
                    Catch::Contains("not_codable") && Catch::Contains("TROUPE_REGISTER_TYPE"));
  byte_writer w;
  w.write_string("no_such_type");
  CHECK_THROWS_WITH(Value::decode(w.bytes()), Catch::Contains("'no_such_type'") &&
                                                  Catch::Contains("not known in this process"));
  std::string bytes = make_value(std::vector<double>{1, 2, 3}).encode();
  CHECK_THROWS_WITH(Value::decode(bytes.substr(0, bytes.size() - 4)),
                    Catch::Contains("corrupt encoded value"));
  CHECK_THROWS_WITH(Value::decode(bytes + "x"), Catch::Contains("trailing bytes"));
  std::string flag = Value(true).encode();
  flag.back() = 2;
  CHECK_THROWS_WITH(Value::decode(flag), Catch::Contains("a bool byte is 2"));
}

TEST_CASE("value: integer type names depend only on width and signedness", "[core]") {
  CHECK(type_name<long>() == "int64");
  CHECK(type_name<long long>() == "int64");
  CHECK(type_name<unsigned char>() == "uint8");
  CHECK(type_name<std::vector<long long>>() == "vector<int64>");
}

TEST_CASE("tokenize: equal calls give equal keys, different calls differ", "[core]") {
  CHECK(tokenize("inc", {Value(1)}) == tokenize("inc", {Value(1)}));
  CHECK(tokenize("inc", {Value(1)}) != tokenize("inc", {Value(2)}));
  CHECK(tokenize("inc", {Value(1)}) != tokenize("dec", {Value(1)}));
  CHECK(tokenize("inc", {Value(1)}) != tokenize("inc", {Value(1.0)}));
  CHECK(tokenize("f", {Value("ab"), Value("c")}) != tokenize("f", {Value("a"), Value("bc")}));
  CHECK(tokenize("inc", {Value(1)}).rfind("inc-", 0) == 0);
  CHECK(unique_key("x") != unique_key("x"));
}

TEST_CASE("tokenize: large arrays and strings are told apart by every element", "[core]") {
  // Values past token_builder::large_value_bytes are hashed in place, by buffer.
  std::vector<double> xs(100000, 1.0);
  auto ys = xs;
  ys[54321] = 2.0;
  auto zs = std::vector<float>(200000, 1.0f);  // the same bytes count, another type
  CHECK(tokenize("f", {make_value(xs)}) == tokenize("f", {make_value(std::vector<double>(xs))}));
  CHECK(tokenize("f", {make_value(xs)}) != tokenize("f", {make_value(ys)}));
  CHECK(tokenize("f", {make_value(xs)}) != tokenize("f", {make_value(zs)}));
  std::string text(100000, 'a');
  auto other = text;
  other.back() = 'b';
  CHECK(tokenize("f", {Value(text)}) != tokenize("f", {Value(other)}));
  CHECK(tokenize("f", {Value(text), Value(1)}) != tokenize("f", {Value(text), Value(2)}));
}

TEST_CASE("value: dropping a 200,000-deep list or map releases it without recursion", "[core]") {
  constexpr std::size_t depth = 200000;
  Value kept;  // a part in the middle that someone else still holds
  {
    Value v(1);
    for (std::size_t i = 0; i < depth; ++i) {
      v = list({v});
      if (i == depth / 2) kept = v;
    }
    CHECK(chain_depth(v) == depth);
  }  // the last reference goes here: recursive destructors would overflow the stack
  CHECK(chain_depth(kept) == depth / 2 + 1);  // the shared part was left whole
  {
    Value v(1);
    for (std::size_t i = 0; i < depth; ++i)
      v = make_value(std::map<std::string, Value>{{"next", v}});
    CHECK(chain_depth(v) == depth);
  }
  {
    // Each level holds the level below twice: the two references are one object's.
    Value v = list({Value(1)});
    for (std::size_t i = 0; i < depth; ++i) v = list({v, v});
  }
  kept = Value();
  CHECK(list({Value(1), Value("still fine")}).get<std::vector<Value>>()[1].as<std::string>() ==
        "still fine");
}

TEST_CASE("value: nbytes counts a list's slots and each distinct item object once", "[core]") {
  constexpr std::size_t list_size = sizeof(std::vector<Value>);
  constexpr std::size_t slot = sizeof(Value);
  const std::size_t hello = sizeof(std::string) + 5;  // what the string "hello" holds
  Value s("hello");
  CHECK(s.nbytes() == hello);
  CHECK(Value(7).nbytes() == slot);
  CHECK(list({}).nbytes() == list_size);
  CHECK(list({Value(1), Value(2.5), Value(true)}).nbytes() == list_size + 3 * slot);
  // One object held by three items is counted once; two equal strings are two objects.
  CHECK(list({s, s, s}).nbytes() == list_size + 3 * slot + hello);
  CHECK(list({s, Value("hello")}).nbytes() == list_size + 2 * slot + 2 * hello);
  // Sharing reached through different items is not deduplicated: s counts twice here.
  Value inner = list({s, Value(1)});
  CHECK(inner.nbytes() == list_size + 2 * slot + hello);
  CHECK(list({inner, s}).nbytes() == list_size + 2 * slot + inner.nbytes() + hello);
  CHECK(make_value(std::map<std::string, Value>{{"a", s}, {"bb", s}}).nbytes() ==
        sizeof(std::map<std::string, Value>) + 2 * slot + (sizeof(std::string) + 1) +
            (sizeof(std::string) + 2) + hello);
  CHECK(make_value(std::vector<double>(1000, 1.0)).nbytes() == sizeof(std::vector<double>) + 8000);
}

TEST_CASE("value: nbytes of shared structure is linear, computed once per value", "[core]") {
  constexpr std::size_t list_size = sizeof(std::vector<Value>);
  constexpr std::size_t slot = sizeof(Value);
  // x_i = list(x_{i-1}, x_{i-1}): walking it would take 2^40 steps.
  Value x = list({Value(1)});
  for (std::size_t i = 1; i <= 40; ++i) x = list({x, x});
  CHECK(x.nbytes() == (list_size + slot) + 40 * (list_size + 2 * slot));

  // A 100,000-deep chain with nbytes asked at every level, as the executor does per result.
  Value c = list({Value(1)});
  bool every_level_right = c.nbytes() == list_size + slot;
  for (std::size_t i = 1; i <= 100000; ++i) {
    c = list({c});
    every_level_right = every_level_right && c.nbytes() == (i + 1) * (list_size + slot);
  }
  CHECK(every_level_right);
}

TEST_CASE("value: nbytes saturates instead of wrapping", "[core]") {
  // x_i = list(x_{i-1}, list(x_{i-1})) doubles through different items: no dedup there.
  Value x = list({Value(1)});
  std::size_t previous = x.nbytes();
  bool grows = true;
  for (int i = 0; i < 70; ++i) {
    x = list({x, list({x})});
    grows = grows && x.nbytes() >= previous;
    previous = x.nbytes();
  }
  CHECK(grows);
  CHECK(x.nbytes() == std::numeric_limits<std::size_t>::max());
}
