#pragma once
// numpy 2's dtype rules as the array collection applies them (collections/array.hpp).

#include "collections/array.hpp"

namespace troupe::array::detail {

inline bool is_float(dtype t) { return t == dtype::float32 || t == dtype::float64; }

/// numpy's promotion of two arrays' dtypes: bool < int64 < float64, float32 with int64 is
/// float64.
inline dtype promote(dtype a, dtype b) {
  if (a == b || b == dtype::boolean) return a;
  if (a == dtype::boolean) return b;
  return dtype::float64;
}

/// The dtype of a division's or a transcendental function's result.
inline dtype float_of(dtype t) { return t == dtype::float32 ? dtype::float32 : dtype::float64; }

/// The dtype sums and products of `t` have.
inline dtype sum_of(dtype t) { return t == dtype::boolean || t == dtype::int64 ? dtype::int64 : t; }

/// An array of `t` with a weak scalar (numpy 2, NEP 50): the scalar's kind raises bool to
/// int64 and integers to float64, but never widens a float.
inline dtype with_scalar(dtype t, scalar x) {
  switch (x.kind) {
    case scalar::number_kind::boolean: return t;
    case scalar::number_kind::integer: return t == dtype::boolean ? dtype::int64 : t;
    default: return is_float(t) ? t : dtype::float64;
  }
}

}  // namespace troupe::array::detail
