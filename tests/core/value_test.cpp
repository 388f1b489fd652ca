// Value: boxing, conversions, codecs and tokenize.

#include <catch2/catch.hpp>

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
