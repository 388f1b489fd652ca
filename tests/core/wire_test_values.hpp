#pragma once
// A value of every built-in type and of a TROUPE_REGISTER_TYPE type, with the edge cases the
// wire form must carry: empty, short and long strings (one with a NUL), NaN, int64's minimum,
// every raw vector element type, a 2.4 MB vector, nested lists and maps. The registered type
// is known to wire_test_values.cpp only (a registration belongs in one translation unit).

#include <cstdint>
#include <vector>

#include "core/value.hpp"

std::vector<troupe::Value> wire_test_values();

/// A registered user type holding these counts, and the counts back from such a value.
troupe::Value make_wire_record(std::vector<std::int64_t> counts);
std::vector<std::int64_t> wire_record_counts(const troupe::Value& record);
