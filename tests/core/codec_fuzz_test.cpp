// Decoders face the network: whatever the bytes, Value::decode returns a value or throws a
// troupe::error, never anything else, never allocating far beyond its input, never recursing
// without bound. Fixed seeds, so every run checks the same cases.

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/ndarray.hpp"
#include "core/register_type.hpp"
#include "core/value.hpp"

struct fuzz_record {
  double weight = 0;
  std::int64_t count = 0;
  std::string name;
  std::vector<double> samples;
  std::map<std::string, int> tags;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    archive& weight& count& name& samples& tags;
  }
  bool operator==(const fuzz_record&) const = default;
};
TROUPE_REGISTER_TYPE(fuzz_record)

using namespace troupe;
using Catch::Contains;

namespace {

Value list(std::vector<Value> items) {
  return Value(std::move(items));
}

/// Valid encodings of every built-in type and of a TROUPE_REGISTER_TYPE type.
std::vector<std::string> seed_encodings() {
  Value nested = list({Value(1), Value("two"), list({Value(3.0), list({Value(), Value(true)})})});
  std::vector<Value> values = {
      Value(),
      Value(true),
      Value(-42),
      Value(2.5),
      Value("hello, world"),
      list({}),
      list({Value(1), Value(2.5), Value("x")}),
      nested,
      list({nested, nested}),
      make_value(std::vector<double>{1.5, -2.0, 1e300}),
      make_value(std::vector<float>{1.5f, -2.0f}),
      make_value(std::vector<std::int64_t>{1, -2, 3}),
      make_value(std::vector<std::int32_t>{7, 8}),
      make_value(std::vector<std::uint8_t>{0, 255, 7}),
      make_value(std::vector<bool>{true, false, true}),
      make_value(std::vector<std::string>{"a", "", "ccc"}),
      make_value(std::map<std::string, Value>{{"a", Value(1)}, {"b", nested}}),
      make_value(std::map<std::string, std::int64_t>{{"x", 1}, {"yy", -2}}),
      make_value(std::map<std::string, double>{{"pi", 3.14}}),
      make_value(ndarray::from(std::vector<double>{1.5, -2.0, 1e300, 4, 5, 6}, {2, 3})),
      make_value(ndarray::from(std::vector<bool>{true, false, true, true})),
      list({make_value(ndarray::from(std::vector<std::int64_t>{9}, {})), Value("after")}),
      make_value(fuzz_record{0.5, 9, "rec", {1.0, 2.0}, {{"t", 1}, {"u", 2}}}),
      list({make_value(fuzz_record{}), Value("after")}),
  };
  std::vector<std::string> encodings;
  for (const auto& v : values) encodings.push_back(v.encode());
  return encodings;
}

/// Decodes; a troupe::error is a fine answer, anything else fails the test. A decoded value
/// must encode again, and that encoding must be stable. True when the bytes decoded.
bool decode_must_behave(const std::string& bytes) {
  try {
    Value v = Value::decode(bytes);
    std::string again = v.encode();
    CHECK(Value::decode(again).encode() == again);
    return true;
  } catch (const troupe::error&) {
    return false;
  } catch (const std::exception& e) {
    FAIL("decode threw a non-troupe exception: " << e.what());
  } catch (...) {
    FAIL("decode threw something that is not a std::exception");
  }
  return false;
}

/// One random change to a valid encoding.
std::string mutate(std::string bytes, std::mt19937_64& random) {
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  switch (pick(5)) {
    case 0: {  // flip a few bits
      for (std::size_t flips = 1 + pick(3); flips > 0 && !bytes.empty(); --flips)
        bytes[pick(bytes.size())] ^= static_cast<char>(1u << pick(8));
      break;
    }
    case 1:  // truncate
      bytes.resize(pick(bytes.size() + 1));
      break;
    case 2: {  // insert random bytes
      std::string extra(1 + pick(16), '\0');
      for (auto& c : extra) c = static_cast<char>(random());
      bytes.insert(pick(bytes.size() + 1), extra);
      break;
    }
    case 3: {  // overwrite 8 bytes with a huge or borderline length field
      if (bytes.size() < 8) break;
      const std::uint64_t lengths[] = {std::numeric_limits<std::uint64_t>::max(),
                                       std::uint64_t{1} << 63,
                                       std::uint64_t{1} << 40,
                                       std::uint64_t{1} << 32,
                                       std::uint64_t{1} << 31,
                                       bytes.size(),
                                       bytes.size() + 1,
                                       bytes.size() / 8 + 1,
                                       random()};
      std::uint64_t length = lengths[pick(std::size(lengths))];
      std::memcpy(bytes.data() + pick(bytes.size() - 7), &length, 8);
      break;
    }
    default:  // delete a range
      if (!bytes.empty()) {
        std::size_t at = pick(bytes.size());
        bytes.erase(at, 1 + pick(bytes.size() - at));
      }
      break;
  }
  return bytes;
}

}  // namespace

TEST_CASE("codec fuzz: mutated encodings of every type decode or raise troupe errors", "[core]") {
  std::mt19937_64 random(20240601);
  const auto seeds = seed_encodings();
  int decoded = 0, rejected = 0;
  for (const auto& seed : seeds) {
    CHECK(decode_must_behave(seed));
    for (int i = 0; i < 200; ++i) {
      std::string bytes = mutate(seed, random);
      if (random() % 4 == 0) bytes = mutate(bytes, random);  // sometimes two changes
      (decode_must_behave(bytes) ? decoded : rejected) += 1;
    }
  }
  // Both outcomes are exercised (the counts are fixed by the seed).
  CHECK(decoded > 100);
  CHECK(rejected > 2000);
}

TEST_CASE("codec fuzz: random buffers decode or raise troupe errors", "[core]") {
  std::mt19937_64 random(7);
  const char* names[] = {"list",
                         "string",
                         "vector<float64>",
                         "vector<int64>",
                         "vector<bool>",
                         "vector<string>",
                         "map<string,value>",
                         "map<string,int64>",
                         "fuzz_record",
                         "int64",
                         "bool"};
  for (int i = 0; i < 1000; ++i) {
    std::string bytes(random() % 64, '\0');
    for (auto& c : bytes) c = static_cast<char>(random());
    if (i % 2 == 1) {  // behind a known type name, so the bytes reach that type's decoder
      byte_writer out;
      out.write_string(names[random() % std::size(names)]);
      bytes = out.take() + bytes;
    }
    decode_must_behave(bytes);
  }
}

TEST_CASE("codec: a count is checked against the bytes left, at the element's smallest size",
          "[core]") {
  auto with_count = [](const char* type, std::uint64_t count, std::size_t payload) {
    byte_writer out;
    out.write_string(type);
    out.write_pod(count);
    out.write_bytes(std::string(payload, '\0').data(), payload);
    return out.take();
  };
  CHECK_THROWS_WITH(Value::decode(with_count("list", std::uint64_t{1} << 40, 16)),
                    "corrupt encoded value: a count of 1099511627776 elements (at least 8 bytes "
                    "each) exceeds the 16 bytes left");
  // 3 doubles need 24 bytes: 23 are refused before anything is allocated, 24 decode.
  CHECK_THROWS_WITH(Value::decode(with_count("vector<float64>", 3, 23)),
                    Contains("a count of 3 elements (at least 8 bytes each) exceeds the 23"));
  CHECK(Value::decode(with_count("vector<float64>", 3, 24)).get<std::vector<double>>().size() == 3);
  CHECK_THROWS_WITH(Value::decode(with_count("vector<string>", 3, 23)),
                    Contains("exceeds the 23 bytes left"));
  CHECK_THROWS_WITH(Value::decode(with_count("map<string,int64>", 2, 31)),
                    Contains("(at least 16 bytes each) exceeds the 31 bytes left"));
  CHECK_THROWS_WITH(Value::decode(with_count("string", 100, 99)),
                    Contains("a count of 100 elements (at least 1 byte each)"));
}

TEST_CASE("codec: values nest at most Value::max_decode_depth levels deep", "[core]") {
  auto nested = [](std::size_t levels) {  // `levels` Values, the innermost a scalar
    Value v(1);
    for (std::size_t i = 1; i < levels; ++i) v = list({v});
    return v.encode();
  };
  const std::string deepest = nested(Value::max_decode_depth);
  CHECK(Value::decode(deepest).holds<std::vector<Value>>());
  // One level more is refused when written, so no process sends what none would read ...
  Value too_deep(1);
  for (std::size_t i = 1; i <= Value::max_decode_depth; ++i) too_deep = list({too_deep});
  CHECK_THROWS_WITH(too_deep.encode(), Contains("cannot encode a value nested more than 1000"));
  // ... and when read from a buffer made by hand.
  byte_writer one_more;
  one_more.write_string("list");
  one_more.write_size(1);
  one_more.write_bytes(deepest.data(), deepest.size());
  CHECK_THROWS_WITH(Value::decode(one_more.bytes()),
                    "cannot decode a value nested 1001 levels deep: the limit is 1000 levels "
                    "(Value::max_decode_depth)");
  // A hostile buffer: a list of one list of one list ..., far deeper than the limit.
  byte_writer out;
  for (int i = 0; i < 100000; ++i) {
    out.write_string("list");
    out.write_size(1);
  }
  out.write_string("none");
  CHECK_THROWS_WITH(Value::decode(out.bytes()), Contains("nested 1001 levels deep"));
}

TEST_CASE("codec: Boost's failures on a registered type become TypeError", "[core]") {
  fuzz_record record{0.5, 9, "rec", {1.0, 2.0}, {{"t", 1}}};
  const std::string bytes = make_value(record).encode();
  CHECK(Value::decode(bytes).get<fuzz_record>() == record);
  // Truncating the Boost payload (and its length prefix to match) makes Boost run out of input.
  byte_writer short_payload;
  short_payload.write_string("fuzz_record");
  const std::size_t header = short_payload.bytes().size() + 8;
  const std::string payload = bytes.substr(header, bytes.size() - header - 3);
  short_payload.write_string(payload);
  CHECK_THROWS_WITH(
      Value::decode(short_payload.bytes()),
      Contains("corrupt encoded value of type fuzz_record: ") && Contains("input stream error"));
  // A string length inside the payload far beyond its size fails before allocating it.
  std::string huge = bytes;
  const std::size_t name_length_at = huge.find(std::string("\x03\0\0\0\0\0\0\0rec", 11));
  REQUIRE(name_length_at != std::string::npos);
  const std::uint64_t length = std::uint64_t{1} << 40;
  std::memcpy(huge.data() + name_length_at, &length, 8);
  CHECK_THROWS_WITH(Value::decode(huge), Contains("a string length of 1099511627776 exceeds"));
}
