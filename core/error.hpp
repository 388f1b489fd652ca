#pragma once
// The exceptions troupe throws at its user-facing API. Across actors errors travel as values
// (task_failure); they become exceptions only at the caller, here.

#include <stdexcept>
#include <string>

#include "core/fwd.hpp"

namespace troupe {

/// Base of every troupe exception.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A malformed graph: a cycle, a missing dependency, an unknown function, a bad target.
class GraphError : public error {
 public:
  using error::error;
};

/// A value of one type was used where another was expected.
class TypeError : public error {
 public:
  using error::error;
};

/// A number does not fit where it is going: an int64 into an int32 or an unsigned parameter, an
/// unsigned above INT64_MAX into a Value, or an int64 result that would outgrow 64 bits (where
/// Python's ints would just grow). The message names the value and the target's range.
class OverflowError : public error {
 public:
  using error::error;
};

/// Division or modulo by zero (Python's ZeroDivisionError).
class ZeroDivisionError : public error {
 public:
  using error::error;
};

/// Bad arguments to a troupe call (wrong arity, bad option, unknown scheduler name).
class ArgumentError : public error {
 public:
  using error::error;
};

/// A wait passed its timeout (Future::result, gather, wait, a scheduler that does not answer).
class TimeoutError : public error {
 public:
  using error::error;
};

/// The result of a cancelled future was asked for.
class CancelledError : public error {
 public:
  using error::error;
};

/// A peer of the cluster (scheduler, worker) cannot be reached or went away; the message
/// names its address.
class ConnectionError : public error {
 public:
  using error::error;
};

/// What a failed task leaves behind, as a value: it crosses actors and (later) the wire,
/// and becomes a TaskError only where the user asked for the result.
struct task_failure {
  Key key;                  ///< the task that raised
  std::string type_name;    ///< demangled type of the exception it raised
  std::string message;      ///< its what()
  std::string traceback;    ///< stack at the throw, one frame a line ("" when unknown)
};

/// A task raised an exception; compute() rethrows it here, on the caller's thread.
class TaskError : public error {
 public:
  explicit TaskError(task_failure failure);

  const Key& key() const noexcept { return failure_.key; }
  const std::string& type_name() const noexcept { return failure_.type_name; }
  const std::string& message() const noexcept { return failure_.message; }
  const std::string& traceback() const noexcept { return failure_.traceback; }
  const task_failure& failure() const noexcept { return failure_; }

 private:
  task_failure failure_;
};

}  // namespace troupe
