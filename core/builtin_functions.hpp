#pragma once
// The functions every troupe process knows, for raw graphs (`troupe run`) and tests:
// list, inc, dec, add, sub, mul, neg, mod, sum, min, max. They follow Python's rules on int64
// and float64 (an int stays an int, any float makes a float, mod takes the divisor's sign,
// bool counts as an int); where Python's ints would grow past 64 bits they raise OverflowError.

#include <vector>

#include "core/error.hpp"  // ZeroDivisionError, OverflowError
#include "core/function.hpp"

namespace troupe {

/// The built-in functions, registered when the function registry is first used.
std::vector<task_function> builtin_functions();

}  // namespace troupe
