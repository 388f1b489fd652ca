#pragma once
// Functions are shipped by name, never by code. TROUPE_FUNCTION(f) registers a typed wrapper
// that unpacks Value arguments into f's parameter types and boxes its result; every process
// that links the same code has the same names.
//
//   std::int64_t inc(std::int64_t x) { return x + 1; }
//   TROUPE_FUNCTION(inc);

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/value.hpp"

namespace troupe {

/// The uniform calling convention of every task: the arguments as Values, the result boxed.
using task_callable = std::function<Value(const Value* args, std::size_t count)>;

struct task_function {
  static constexpr int variadic = -1;
  std::string name;  ///< registry name, and the prefix of its tasks' keys
  int arity;         ///< number of arguments, or variadic
  task_callable call;
  bool registered;   ///< known by name in every process that links the same code
};

using function_ref = std::shared_ptr<const task_function>;

/// troupe's own functions are registered as "troupe.NAME" (troupe.inc, troupe.add, ...), so a
/// user's function never clashes with them; names with this prefix are reserved.
inline constexpr std::string_view builtin_prefix = "troupe.";

/// Registers a function under a name. ArgumentError when the name is empty, reserved, or
/// already taken by another function (registering the same function again is allowed).
function_ref register_function(std::string name, task_callable call, int arity,
                               const void* address = nullptr);

/// The registered function of that name, or nullptr. ArgumentError when two functions were
/// registered under the name (see registration_errors()).
function_ref find_function(std::string_view name);

/// The registered function whose address is `address`, or nullptr. ArgumentError when its
/// name is claimed by two functions.
function_ref find_function_by_address(const void* address);

/// What went wrong in the TROUPE_FUNCTION registrations that ran before main (a name
/// registered twice, a reserved name), one message each. They cannot throw there, so each
/// is kept here and raised again when the name or function is used.
std::vector<std::string> registration_errors();

/// Names of all registered functions, sorted (for error messages).
std::string registered_function_names();

/// "name/arity" of every registered function, one a line, sorted: what a worker and a client
/// compare to find a function registered differently on the two sides.
std::string function_signatures();

/// The functions registered differently in two function_signatures() lists (same name,
/// other arity), as "NAME (arity A here, B there)" joined by ", "; "" when none.
std::string signature_differences(const std::string& here, const std::string& there);

/// The symbol name of a function pointer (via the dynamic symbol table), "" when unknown.
std::string symbol_name(const void* address);

namespace detail {

template <class>
inline constexpr bool always_false_v = false;

/// Result and parameter types of a task function: a function, a function pointer, or an
/// object with one const operator() (a non-mutable lambda, a const functor).
template <class F>
struct callable_traits : callable_traits<decltype(&F::operator())> {};
template <class R, class... Args>
struct callable_traits<R (*)(Args...)> {
  using result = R;
  using arguments = std::tuple<Args...>;
};
template <class R, class... Args>
struct callable_traits<R (*)(Args...) noexcept> : callable_traits<R (*)(Args...)> {};
template <class R, class... Args>
struct callable_traits<R(Args...)> : callable_traits<R (*)(Args...)> {};
template <class R, class... Args>
struct callable_traits<R(Args...) noexcept> : callable_traits<R (*)(Args...)> {};
template <class C, class R, class... Args>
struct callable_traits<R (C::*)(Args...) const> : callable_traits<R (*)(Args...)> {};
template <class C, class R, class... Args>
struct callable_traits<R (C::*)(Args...) const noexcept> : callable_traits<R (*)(Args...)> {};
// A task function runs on several executor threads at once, so it must not change its own
// state: a mutable lambda (or a functor with a non-const operator()) would be a data race.
template <class C, class R, class... Args>
struct callable_traits<R (C::*)(Args...)> : callable_traits<R (*)(Args...)> {
  static_assert(always_false_v<C>,
                "troupe: a task function must not be a mutable lambda or a functor with a "
                "non-const operator(): tasks run on several threads at once, so changing the "
                "function's own state is a data race. To share state between calls, capture a "
                "std::shared_ptr to a std::atomic (or to a mutex-guarded object) by value in a "
                "non-mutable lambda.");
};
template <class C, class R, class... Args>
struct callable_traits<R (C::*)(Args...) noexcept> : callable_traits<R (C::*)(Args...)> {};

/// One unpacked argument: a reference into the Value when it holds exactly T, else a converted
/// copy it owns. Movable (into the tuple of a call's arguments), keeping `pointer_` valid.
template <class T>
class argument {
 public:
  argument(const Value& v, std::string_view function, std::size_t position) {
    try {
      if constexpr (!std::is_arithmetic_v<T> && !std::is_same_v<T, Value>) {
        if (v.holds<T>()) {
          pointer_ = &v.get<T>();
          return;
        }
      }
      pointer_ = &owned_.emplace(v.as<T>());
    } catch (const TypeError& e) {
      throw TypeError("argument " + std::to_string(position + 1) + " of " + std::string(function) +
                      ": " + e.what());
    } catch (const OverflowError& e) {
      throw OverflowError("argument " + std::to_string(position + 1) + " of " +
                          std::string(function) + " (" + demangle(typeid(T).name()) +
                          "): " + e.what());
    }
  }
  argument(argument&& other) noexcept(std::is_nothrow_move_constructible_v<T>)
      : pointer_(other.pointer_) {
    if (other.owned_) pointer_ = &owned_.emplace(std::move(*other.owned_));
  }
  argument(const argument&) = delete;
  argument& operator=(const argument&) = delete;
  argument& operator=(argument&&) = delete;

  const T& get() const noexcept { return *pointer_; }

 private:
  std::optional<T> owned_;
  const T* pointer_ = nullptr;  ///< into the Value, or into owned_
};

[[noreturn]] void throw_arity_error(std::string_view function, std::size_t expected,
                                    std::size_t given);

/// The result boxed; an OverflowError (an unsigned above INT64_MAX) names the function.
template <class R>
Value box_result(R&& result, std::string_view function) {
  using U = std::decay_t<R>;
  if constexpr (std::is_arithmetic_v<U> && !boxes_exactly_v<U>) {
    try {
      return Value(result);
    } catch (const OverflowError& e) {
      throw OverflowError("result of " + std::string(function) + ": " + e.what());
    }
  } else {
    return Value::from(std::forward<R>(result));
  }
}

template <class F, class R, class... Args, std::size_t... I>
Value invoke_unpacked(const F& f, std::string_view name, const Value* args,
                      std::index_sequence<I...>) {
  std::tuple<argument<std::decay_t<Args>>...> unpacked{
      argument<std::decay_t<Args>>(args[I], name, I)...};
  if constexpr (std::is_void_v<R>) {
    f(std::get<I>(unpacked).get()...);
    return Value();
  } else {
    return box_result<R>(f(std::get<I>(unpacked).get()...), name);
  }
}

template <class R, class... Args>
constexpr bool parameters_are_values(std::tuple<Args...>*) {
  return ((!std::is_lvalue_reference_v<Args> || std::is_const_v<std::remove_reference_t<Args>>) &&
          ...);
}

}  // namespace detail

/// Wraps a typed callable into the uniform calling convention.
template <class F>
std::pair<task_callable, int> wrap_callable(std::string name, F f) {
  using traits = detail::callable_traits<std::decay_t<F>>;
  using arguments = typename traits::arguments;
  constexpr std::size_t arity = std::tuple_size_v<arguments>;
  static_assert(detail::parameters_are_values<void>(static_cast<arguments*>(nullptr)),
                "task functions take their arguments by value or by const reference");
  // Not mutable: the wrapper and f are called as const, from several threads at once.
  task_callable call = [f = std::move(f), name = std::move(name)](const Value* args,
                                                                  std::size_t count) {
    if (count != arity) detail::throw_arity_error(name, arity, count);
    return [&]<class... Args>(std::tuple<Args...>*) {
      return detail::invoke_unpacked<F, typename traits::result, Args...>(
          f, name, args, std::index_sequence_for<Args...>{});
    }(static_cast<arguments*>(nullptr));
  };
  return {std::move(call), static_cast<int>(arity)};
}

namespace detail {

/// register_function for registrations before main: never throws (an exception there would
/// end the program before the user can handle it); a failure is kept for
/// registration_errors() and the result is nullptr. `troupes_own`: a name under the reserved
/// "troupe." prefix, taken by one of troupe's own libraries (the array kernels).
function_ref register_at_startup(std::string name, task_callable call, int arity,
                                 const void* address, bool troupes_own = false) noexcept;

template <class F>
const void* address_of(const F& f) {
  if constexpr (std::is_pointer_v<std::decay_t<F>>) return reinterpret_cast<const void*>(f);
  return nullptr;
}

}  // namespace detail

/// Registers a typed function; throws ArgumentError as register_function does.
template <class F>
function_ref register_typed_function(std::string name, F f) {
  auto [call, arity] = wrap_callable(name, f);
  return register_function(std::move(name), std::move(call), arity, detail::address_of(f));
}

namespace detail {

/// What TROUPE_FUNCTION expands to (and troupe's own libraries use, with `troupes_own`).
template <class F>
function_ref register_typed_function_at_startup(std::string name, F f,
                                                bool troupes_own = false) noexcept {
  try {
    auto [call, arity] = wrap_callable(name, f);
    return register_at_startup(std::move(name), std::move(call), arity, address_of(f),
                               troupes_own);
  } catch (...) {
    return nullptr;
  }
}

}  // namespace detail

/// A function usable in this process only (a lambda, a std::function, an unregistered pointer).
template <class F>
function_ref local_function(std::string name, F f) {
  auto [call, arity] = wrap_callable(name, std::move(f));
  return std::make_shared<const task_function>(
      task_function{std::move(name), arity, std::move(call), false});
}

}  // namespace troupe

#define TROUPE_DETAIL_CAT2(a, b) a##b
#define TROUPE_DETAIL_CAT(a, b) TROUPE_DETAIL_CAT2(a, b)

/// Registers a function by its own name: TROUPE_FUNCTION(inc);
#define TROUPE_FUNCTION(f)                                                          \
  [[maybe_unused]] static const ::troupe::function_ref TROUPE_DETAIL_CAT(           \
      troupe_function_, __COUNTER__) = ::troupe::detail::register_typed_function_at_startup(#f, f)

/// Registers a callable under a chosen name: TROUPE_NAMED_FUNCTION("scale", [](double x) {...});
#define TROUPE_NAMED_FUNCTION(name, f)                                              \
  [[maybe_unused]] static const ::troupe::function_ref TROUPE_DETAIL_CAT(           \
      troupe_function_, __COUNTER__) = ::troupe::detail::register_typed_function_at_startup(name, f)
