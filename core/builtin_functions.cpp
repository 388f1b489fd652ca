#include "core/builtin_functions.hpp"

#include <cmath>
#include <compare>

namespace troupe {

namespace {

// A Python number: int64 (bool counts as int) or float64.
struct number {
  bool is_int;
  std::int64_t i;
  double f;
  double as_double() const { return is_int ? static_cast<double>(i) : f; }
};

number to_number(const Value& v, const char* function) {
  switch (v.type_kind()) {
    case Value::kind::int64:
    case Value::kind::boolean:
      return {true, v.as<std::int64_t>(), 0.0};
    case Value::kind::float64:
      return {false, 0, v.as<double>()};
    default:
      throw TypeError(std::string(function) + " needs int64 or float64 arguments, got " +
                      v.type_name());
  }
}

Value box(const number& n) { return n.is_int ? Value(n.i) : Value(n.f); }

[[noreturn]] void overflow(const char* function) {
  throw OverflowError(std::string(function) + ": result does not fit in int64");
}

number add(number a, number b) {
  if (a.is_int && b.is_int) {
    std::int64_t r;
    if (__builtin_add_overflow(a.i, b.i, &r)) overflow("add");
    return {true, r, 0.0};
  }
  return {false, 0, a.as_double() + b.as_double()};
}

number sub(number a, number b) {
  if (a.is_int && b.is_int) {
    std::int64_t r;
    if (__builtin_sub_overflow(a.i, b.i, &r)) overflow("sub");
    return {true, r, 0.0};
  }
  return {false, 0, a.as_double() - b.as_double()};
}

number mul(number a, number b) {
  if (a.is_int && b.is_int) {
    std::int64_t r;
    if (__builtin_mul_overflow(a.i, b.i, &r)) overflow("mul");
    return {true, r, 0.0};
  }
  return {false, 0, a.as_double() * b.as_double()};
}

number mod(number a, number b) {
  if (a.is_int && b.is_int) {
    if (b.i == 0) throw ZeroDivisionError("integer modulo by zero");
    if (b.i == -1) return {true, 0, 0.0};  // avoids INT64_MIN % -1
    std::int64_t r = a.i % b.i;
    if (r != 0 && ((r < 0) != (b.i < 0))) r += b.i;
    return {true, r, 0.0};
  }
  double x = a.as_double(), y = b.as_double();
  if (y == 0.0) throw ZeroDivisionError("float modulo");
  double r = std::fmod(x, y);
  if (r != 0.0) {
    if ((r < 0) != (y < 0)) r += y;
  } else {
    r = std::copysign(0.0, y);
  }
  return {false, 0, r};
}

// An int64 against a float64, exactly, as Python compares int and float (converting the int
// to a double would round it above 2^53: 2^53 + 1 would equal 2^53). Unordered when f is NaN.
std::partial_ordering compare(std::int64_t i, double f) {
  if (std::isnan(f)) return std::partial_ordering::unordered;
  if (f >= 0x1p63) return std::partial_ordering::less;  // above every int64; +inf too
  if (f < -0x1p63) return std::partial_ordering::greater;
  double whole = std::trunc(f);  // within int64 now
  auto w = static_cast<std::int64_t>(whole);
  if (i != w) return i <=> w;
  return 0.0 <=> f - whole;  // the same whole part: f's fraction (exact) decides
}

std::partial_ordering compare(number a, number b) {
  if (a.is_int && b.is_int) return a.i <=> b.i;
  if (a.is_int) return compare(a.i, b.f);
  if (b.is_int) return 0 <=> compare(b.i, a.f);
  return a.f <=> b.f;
}

// a < b as Python has it: exact between int and float, false whenever NaN is involved.
bool less(number a, number b) {
  return compare(a, b) == std::partial_ordering::less;
}

const std::vector<Value>& list_argument(const Value* args, std::size_t count, const char* function) {
  if (count != 1) detail::throw_arity_error(function, 1, count);
  if (!args[0].holds<std::vector<Value>>())
    throw TypeError(std::string(function) + " takes one list argument, got " + args[0].type_name());
  return args[0].get<std::vector<Value>>();
}

template <class Op>
task_function binary(const char* name, Op op) {
  return {name, 2,
          [name, op](const Value* args, std::size_t count) {
            if (count != 2) detail::throw_arity_error(name, 2, count);
            return box(op(to_number(args[0], name), to_number(args[1], name)));
          },
          true};
}

template <class Op>
task_function unary(const char* name, Op op) {
  return {name, 1,
          [name, op](const Value* args, std::size_t count) {
            if (count != 1) detail::throw_arity_error(name, 1, count);
            return box(op(to_number(args[0], name)));
          },
          true};
}

// min and max return the first extreme element itself, as Python does.
template <class Better>
task_function extreme(const char* name, Better better) {
  return {name, 1,
          [name, better](const Value* args, std::size_t count) {
            const auto& items = list_argument(args, count, name);
            if (items.empty()) throw ArgumentError(std::string(name) + "() arg is an empty sequence");
            std::size_t best = 0;
            number best_number = to_number(items[0], name);
            for (std::size_t i = 1; i < items.size(); ++i) {
              number n = to_number(items[i], name);
              if (better(n, best_number)) {
                best = i;
                best_number = n;
              }
            }
            return items[best];
          },
          true};
}

}  // namespace

std::vector<task_function> builtin_functions() {
  std::vector<task_function> fns;
  fns.push_back({"list", task_function::variadic,
                 [](const Value* args, std::size_t count) {
                   return Value(std::vector<Value>(args, args + count));
                 },
                 true});
  // A literal that is itself a target of a graph sent to a cluster becomes this task.
  fns.push_back({"identity", 1,
                 [](const Value* args, std::size_t) { return args[0]; }, true});
  fns.push_back(unary("inc", [](number a) { return add(a, {true, 1, 0.0}); }));
  fns.push_back(unary("dec", [](number a) { return sub(a, {true, 1, 0.0}); }));
  fns.push_back(unary("neg", [](number a) {
    return a.is_int ? sub({true, 0, 0.0}, a) : number{false, 0, -a.f};
  }));
  fns.push_back(binary("add", add));
  fns.push_back(binary("sub", sub));
  fns.push_back(binary("mul", mul));
  fns.push_back(binary("mod", mod));
  fns.push_back({"sum", 1,
                 [](const Value* args, std::size_t count) {
                   number total{true, 0, 0.0};
                   for (const auto& item : list_argument(args, count, "sum"))
                     total = add(total, to_number(item, "sum"));
                   return box(total);
                 },
                 true});
  fns.push_back(extreme("min", [](number a, number b) { return less(a, b); }));
  fns.push_back(extreme("max", [](number a, number b) { return less(b, a); }));
  return fns;
}

}  // namespace troupe
