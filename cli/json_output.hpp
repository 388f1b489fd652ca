#pragma once
// Computed values as JSON text, as `troupe run` prints them, in the form Python's json module
// writes and reads: compact (no spaces), floats as Python's repr writes them, and NaN and the
// infinities as `NaN`, `Infinity` and `-Infinity` (which JSON lacks, but json.loads accepts).
//
// The writer keeps its own stack of open lists instead of recursing, so a value nested 50,000
// deep (tasks can build one: l_i = ["list", "l_{i-1}"]) prints as well as a flat one.

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "core/value.hpp"

namespace troupe::cli {

/// Writes a value as JSON: none -> null, bool, int64, float64 (the shortest text that reads
/// back as the same double, as Python's repr writes it: 1.0, 0.1, 1e+16, NaN, -Infinity),
/// string, list -> array, vector<int64> and vector<float64> -> array; any other type -> the
/// string "<TYPE_NAME>". Strings are written as UTF-8; invalid UTF-8 becomes U+FFFD.
void write_json(std::ostream& out, const Value& value);

/// write_json into a string.
[[nodiscard]] std::string to_json_text(const Value& value);

/// Writes {"KEY":VALUE,...}: keys[i] with values[i], in order (keys.size() == values.size()).
void write_json_object(std::ostream& out, const std::vector<std::string>& keys,
                       const std::vector<Value>& values);

/// Writes a string as a JSON string (quoted, escaped; invalid UTF-8 becomes U+FFFD).
void write_json_string(std::ostream& out, std::string_view text);

/// A double as Python's json writes it: as repr does ("1.0", "0.1", "1e+16"), and NaN and the
/// infinities as "NaN", "Infinity", "-Infinity".
[[nodiscard]] std::string json_number(double x);

}  // namespace troupe::cli
