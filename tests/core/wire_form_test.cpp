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

#include "core/wire_form.hpp"
#include "core/wire_test_values.hpp"

using namespace troupe;
using Catch::Contains;

namespace {

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
  for (const auto& value : wire_test_values()) {
    INFO(value.type_name());
    auto back = wire_round_trip(value);
    CHECK(back.type_name() == value.type_name());
    CHECK(back.encode() == value.encode());
  }
  // A type whose name another one shares (long long is int64 too) goes encoded, and comes
  // back as the type of that name.
  auto long_longs = make_value(std::vector<long long>{1, -2, 3});
  CHECK(to_wire_form(long_longs).encoded != nullptr);
  CHECK(wire_round_trip(long_longs).get<std::vector<std::int64_t>>() ==
        std::vector<std::int64_t>{1, -2, 3});
  auto chars = make_value(std::vector<char>{'a', 'b'});
  CHECK(wire_round_trip(chars).encode() == chars.encode());
  auto record = wire_round_trip(make_wire_record({4, 5, 6}));
  CHECK(wire_record_counts(record) == std::vector<std::int64_t>{4, 5, 6});
}

TEST_CASE("wire form: numeric vectors and strings go from the value's own memory", "[wire]") {
  auto doubles = make_value(std::vector<double>(1000, 2.5));
  auto form = to_wire_form(doubles);
  REQUIRE(form.buffers.size() == 1);
  CHECK(form.buffers[0].data ==
        reinterpret_cast<const char*>(doubles.get<std::vector<double>>().data()));
  CHECK(form.buffers[0].size == 8000);
  CHECK(form.header.size() < 64);
  CHECK(form.encoded == nullptr);

  Value text(std::string(100, 'x'));
  CHECK(to_wire_form(text).buffers[0].data == text.get<std::string>().data());
  // A list has no buffer of its own: it goes encoded.
  auto list = to_wire_form(Value(std::vector<Value>{Value(1)}));
  CHECK(list.buffers[0].data == list.encoded->data());
  // The form may move (a vector of forms grows): its buffers still point at its bytes.
  std::vector<wire_form> forms;
  for (int i = 0; i < 10; ++i) forms.push_back(to_wire_form(Value()));  // 12 encoded bytes
  for (int i = 0; i < 10; ++i) CHECK(forms[i].buffers[0].data == forms[i].encoded->data());
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
