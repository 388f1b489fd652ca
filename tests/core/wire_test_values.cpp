#include "core/wire_test_values.hpp"

#include <limits>
#include <map>
#include <string>

#include "core/ndarray.hpp"
#include "core/register_type.hpp"

namespace {

struct wire_record {
  double weight = 0;
  std::string name;
  std::vector<std::int64_t> counts;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    archive& weight& name& counts;
  }
};

}  // namespace

TROUPE_REGISTER_TYPE(wire_record)

using namespace troupe;

Value make_wire_record(std::vector<std::int64_t> counts) {
  return make_value(wire_record{0.25, "rec", std::move(counts)});
}

std::vector<std::int64_t> wire_record_counts(const Value& record) {
  return record.get<wire_record>().counts;
}

std::vector<Value> wire_test_values() {
  Value nested = Value(std::vector<Value>{Value(1), Value("two"), Value(std::vector<Value>{})});
  std::vector<double> large(300000);
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<double>(i) * 0.5 - 7;
  // A 2.4 MB matrix, large enough for the data plane's direct copies between processes.
  std::vector<double> matrix(600 * 500);
  for (std::size_t i = 0; i < matrix.size(); ++i) matrix[i] = static_cast<double>(i) / 3 - 11;
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
      make_value(ndarray::from(matrix, {600, 500})),
      make_value(ndarray::from(std::vector<float>{1.5f, -0.0f, 3, 4, 5, 6}, {1, 2, 3})),
      make_value(ndarray::from(std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min()},
                               {})),
      make_value(ndarray::from(std::vector<bool>{true, false, true})),
      make_value(ndarray(dtype::float64, {0, 5})),
      make_wire_record({4, 5, 6}),
  };
}

