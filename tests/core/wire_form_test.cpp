// The wire form (core/wire_form.hpp): every built-in type and a TROUPE_REGISTER_TYPE type comes
// back from header + buffers byte for byte (compared through Value::encode, an independent
// path), numeric vectors and strings are sent from the value's own memory, and headers that lie
// are refused before anything is allocated.

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/register_type.hpp"
#include "core/wire_form.hpp"

struct wire_record {
  double weight = 0;
  std::string name;
  std::vector<std::int64_t> counts;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    archive& weight& name& counts;
  }
};
TROUPE_REGISTER_TYPE(wire_record)

using namespace troupe;
using Catch::Contains;

namespace {

std::vector<Value> every_type() {
  Value nested = Value(std::vector<Value>{Value(1), Value("two"), Value(std::vector<Value>{})});
  std::vector<double> large(300000);
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<double>(i) * 0.5 - 7;
  return {
      Value(),
      Value(true),
      Value(std::numeric_limits<std::int64_t>::min()),
      Value(std::numeric_limits<double>::quiet_NaN()),
      Value(""),
      Value("short"),
      Value(std::string("with\0nul and more than fifteen characters", 41)),
      nested,
      make_value(std::move(large)),
      make_value(std::vector<double>{}),
      make_value(std::vector<float>{1.5f, -0.0f}),
      make_value(std::vector<std::int8_t>{-128, 127}),
      make_value(std::vector<std::int16_t>{-3}),
      make_value(std::vector<std::int32_t>{7, 8}),
      make_value(std::vector<std::int64_t>{1, -2, 3}),
      make_value(std::vector<std::uint8_t>{0, 255, 7}),
      make_value(std::vector<std::uint16_t>{65535}),
      make_value(std::vector<std::uint32_t>{1u << 31}),
      make_value(std::vector<std::uint64_t>{~0ull}),
      make_value(std::vector<bool>{true, false, true}),
      make_value(std::vector<std::string>{"a", "", "ccc"}),
      make_value(std::map<std::string, Value>{{"a", Value(1)}, {"b", nested}}),
      make_value(wire_record{0.25, "rec", {4, 5, 6}}),
  };
}

std::string header_with(char kind, const std::string& name, std::uint64_t size,
                        std::uint32_t buffers = 1) {
  std::string h = "TRW1";
  h += kind;
  auto n = static_cast<std::uint16_t>(name.size());
  h.append(reinterpret_cast<const char*>(&n), sizeof n);
  h += name;
  h.append(reinterpret_cast<const char*>(&buffers), sizeof buffers);
  for (std::uint32_t i = 0; i < buffers; ++i)
    h.append(reinterpret_cast<const char*>(&size), sizeof size);
  return h;
}

}  // namespace

TEST_CASE("wire form: every built-in type and a registered type round-trip", "[wire]") {
  for (const auto& value : every_type()) {
    INFO(value.type_name());
    auto back = wire_round_trip(value);
    CHECK(back.type_name() == value.type_name());
    CHECK(back.encode() == value.encode());
  }
  auto record = wire_round_trip(make_value(wire_record{0.25, "rec", {4, 5, 6}}));
  CHECK(record.get<wire_record>().counts == std::vector<std::int64_t>{4, 5, 6});
}

TEST_CASE("wire form: numeric vectors and strings go from the value's own memory", "[wire]") {
  auto doubles = make_value(std::vector<double>(1000, 2.5));
  auto form = to_wire_form(doubles);
  REQUIRE(form.buffers.size() == 1);
  CHECK(form.buffers[0].data ==
        reinterpret_cast<const char*>(doubles.get<std::vector<double>>().data()));
  CHECK(form.buffers[0].size == 8000);
  CHECK(form.header.size() < 64);
  CHECK(form.encoded.empty());

  Value text(std::string(100, 'x'));
  CHECK(to_wire_form(text).buffers[0].data == text.get<std::string>().data());
  // A list has no buffer of its own: it goes encoded.
  auto list = to_wire_form(Value(std::vector<Value>{Value(1)}));
  CHECK(list.buffers[0].data == list.encoded.data());
}

TEST_CASE("wire form: headers that lie are refused before allocating", "[wire]") {
  const std::uint64_t limit = 1 << 20;
  CHECK_THROWS_WITH(wire_receiver("TRW", limit), Contains("ends early"));
  CHECK_THROWS_WITH(wire_receiver("XXXX", limit), Contains("TRW1"));
  CHECK_THROWS_WITH(wire_receiver(header_with(1, "vector<float64>", 64).substr(0, 20), limit),
                    Contains("ends early"));
  CHECK_THROWS_WITH(wire_receiver(header_with(1, "vector<float64>", 1ull << 40), limit),
                    Contains("over the limit"));
  CHECK_THROWS_WITH(wire_receiver(header_with(1, "vector<float64>", 12), limit),
                    Contains("whole number"));
  CHECK_THROWS_WITH(wire_receiver(header_with(1, "vector<widget>", 8), limit),
                    Contains("not a raw vector type"));
  CHECK_THROWS_WITH(wire_receiver(header_with(9, "", 8), limit), Contains("unknown kind"));
  CHECK_THROWS_WITH(wire_receiver(header_with(3, "", 8, 2), limit), Contains("buffers"));
  CHECK_THROWS_WITH(wire_receiver(header_with(3, "", 8) + "!", limit), Contains("after"));
  CHECK_THROWS_WITH(wire_receiver(std::string(max_wire_header_size + 1, 'T'), limit),
                    Contains("limit"));

  // A body that does not decode is refused when the value is finished.
  wire_receiver receiver(header_with(3, "", 5), limit);
  std::memcpy(receiver.buffers()[0].data, "junk!", 5);
  CHECK_THROWS_AS(receiver.finish(), TypeError);
}
