#pragma once
// The registered task functions that run array plans on any scheduler, and the boxing of a
// plan into a Value (its type registration lives in array_tasks.cpp alone).
//
//   troupe.array.eval(plan, start, count, data)        -> ndarray: the root's box (step 1)
//   troupe.array.reduce(plan, start, count, data, op)  -> float64: the box folded by op
//   troupe.array.combine(op, partials)                  -> float64: partials folded by op
//   troupe.array.concatenate(shape, chunk, chunks)      -> ndarray: regular chunks, C order
//
// `data` is a list of the float64 ndarrays the plan's data nodes name.

#include "core/function.hpp"
#include "core/value.hpp"
#include "kernels/array_plan.hpp"

namespace troupe::kernels {

struct array_task_functions {
  function_ref eval, reduce, combine, concatenate;
};

/// The functions (registered when this library's array tasks are linked in).
const array_task_functions& array_tasks();

/// The plan as a Value, to pass to those functions.
Value plan_value(array_plan plan);

}  // namespace troupe::kernels
