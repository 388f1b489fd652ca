#pragma once
// delayed: build task graphs lazily from ordinary function calls, as dask.delayed does.
//
//   auto inc = troupe::delayed([](std::int64_t x) { return x + 1; });
//   auto add = troupe::delayed([](std::int64_t a, std::int64_t b) { return a + b; });
//   troupe::Delayed z = add(inc(1), inc(2));
//   std::int64_t five = z.compute().as<std::int64_t>();
//
// Arguments may be plain values, other Delayed values, or vectors of Delayed (which the task
// receives as a list). compute(a, b, ...) runs them in one graph, computing shared parts once.
// Tasks are impure by default, as in Dask: each call is a new task with a fresh key; with
// delayed_options{.pure = true} the key is a hash of the function name and arguments, so
// equal calls are one task.

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "collections/compute.hpp"
#include "core/function.hpp"
#include "core/tokenize.hpp"
#include "core/value.hpp"

namespace troupe {

namespace detail {

struct delayed_node;

struct delayed_arg {
  Arg::kind kind = Arg::kind::literal;
  Value literal;
  std::shared_ptr<const delayed_node> ref;
  std::vector<delayed_arg> items;
};

struct delayed_node {
  delayed_node() = default;
  delayed_node(const delayed_node&) = delete;
  delayed_node& operator=(const delayed_node&) = delete;
  ~delayed_node();  ///< iterative: a long chain of nodes is freed without recursion

  Key key;
  bool pure = false;      ///< the key is a hash of the call: equal calls share it
  function_ref function;  ///< nullptr: a literal
  Value literal;
  std::vector<delayed_arg> args;
};

}  // namespace detail

/// A lazy value: the result of a task not yet run.
class Delayed {
 public:
  explicit Delayed(std::shared_ptr<const detail::delayed_node> node) : node_(std::move(node)) {}

  const Key& key() const noexcept { return node_->key; }
  /// Runs the graph behind this value and returns it.
  Value compute(const compute_options& options = {}) const;
  /// The compiled graph that computes this value (for inspection and visualisation).
  std::shared_ptr<const task_graph> graph() const;
  const std::shared_ptr<const detail::delayed_node>& node() const noexcept { return node_; }

 private:
  std::shared_ptr<const detail::delayed_node> node_;
};

struct delayed_options {
  bool pure = false;  ///< key from function name and arguments (equal calls are one task)
  std::string name;   ///< key prefix and display name ("" = the function's own name)
};

namespace detail {

template <class T>
delayed_arg to_delayed_arg(T&& x) {
  using U = std::decay_t<T>;
  delayed_arg arg;
  if constexpr (std::is_same_v<U, Delayed>) {
    arg.kind = Arg::kind::ref;
    arg.ref = x.node();
  } else if constexpr (std::is_same_v<U, std::vector<Delayed>>) {
    arg.kind = Arg::kind::list;
    arg.items.reserve(x.size());
    for (const auto& d : x) arg.items.push_back(to_delayed_arg(d));
  } else {
    arg.literal = make_value(std::forward<T>(x));
  }
  return arg;
}

Key delayed_key(const function_ref& function, const std::vector<delayed_arg>& args,
                const delayed_options& options);

}  // namespace detail

/// A function whose calls build Delayed tasks instead of running.
class delayed_function {
 public:
  delayed_function(function_ref function, delayed_options options)
      : function_(std::move(function)), options_(std::move(options)) {}

  template <class... Args>
  Delayed operator()(Args&&... args) const {
    std::vector<detail::delayed_arg> converted;
    converted.reserve(sizeof...(Args));
    (converted.push_back(detail::to_delayed_arg(std::forward<Args>(args))), ...);
    return call(std::move(converted));
  }

  const function_ref& function() const noexcept { return function_; }

 private:
  Delayed call(std::vector<detail::delayed_arg> args) const;
  function_ref function_;
  delayed_options options_;
};

/// delayed(f): f may be a function registered with TROUPE_FUNCTION (its tasks can be shipped
/// by name), an unregistered function pointer, a lambda or any callable (in-process only).
template <class F, std::enable_if_t<!std::is_convertible_v<F, std::string_view>, int> = 0>
delayed_function delayed(F f, delayed_options options = {}) {
  using U = std::decay_t<F>;
  if constexpr (std::is_pointer_v<U>) {
    if (auto registered = find_function_by_address(reinterpret_cast<const void*>(f)))
      return delayed_function(std::move(registered), std::move(options));
    std::string name = symbol_name(reinterpret_cast<const void*>(f));
    return delayed_function(local_function(name.empty() ? "function" : name, f),
                            std::move(options));
  } else {
    std::string name = options.name.empty() ? "lambda" : options.name;
    return delayed_function(local_function(std::move(name), std::move(f)), std::move(options));
  }
}

/// delayed("inc"): a registered function by name; ArgumentError lists the known names.
delayed_function delayed(std::string_view registered_name, delayed_options options = {});

/// A literal wrapped as a Delayed (dask.delayed(obj)).
Delayed delayed_value(Value value, delayed_options options = {});

/// Computes several Delayed values in one graph; shared parts run once.
std::vector<Value> compute(const std::vector<Delayed>& values, const compute_options& options = {});

namespace detail {
template <class T>
constexpr bool is_delayed_v = std::is_same_v<std::decay_t<T>, Delayed>;
template <class T>
constexpr bool is_compute_options_v = std::is_same_v<std::decay_t<T>, compute_options>;
}  // namespace detail

/// compute(a, b, ...) or compute(a, b, ..., compute_options{.scheduler = "sync"}): the values
/// of a, b, ... in one graph, as an array for structured bindings:
///
///   auto [x, y] = troupe::compute(a, b, troupe::compute_options{.scheduler = "sync"});
template <class... Args,
          std::enable_if_t<(sizeof...(Args) > 0) &&
                               ((detail::is_delayed_v<Args> || detail::is_compute_options_v<Args>) &&
                                ...),
                           int> = 0>
auto compute(const Args&... args) {
  constexpr std::size_t count = (std::size_t{0} + ... + (detail::is_delayed_v<Args> ? 1 : 0));
  using last = std::tuple_element_t<sizeof...(Args) - 1, std::tuple<Args...>>;
  static_assert(count == sizeof...(Args) ||
                    (count + 1 == sizeof...(Args) && detail::is_compute_options_v<last>),
                "compute(a, b, ..., options): at least one Delayed value, then at most one "
                "compute_options, last");
  std::vector<Delayed> values;
  values.reserve(count);
  compute_options options;
  (
      [&](const auto& arg) {
        if constexpr (detail::is_delayed_v<decltype(arg)>)
          values.push_back(arg);
        else
          options = arg;
      }(args),
      ...);
  auto results = compute(values, options);
  std::array<Value, count> out;
  for (std::size_t i = 0; i < count; ++i) out[i] = std::move(results[i]);
  return out;
}

/// Compiles Delayed values into one graph (culled, ordered), without running it.
std::shared_ptr<const task_graph> compile(const std::vector<Delayed>& values);

}  // namespace troupe
