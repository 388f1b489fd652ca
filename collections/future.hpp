#pragma once
// Future<T>: a result that is being computed on a cluster, as dask.distributed's Future. It is
// completed by the client actor when the scheduler reports its key; every copy shares one
// want of the key, and dropping the last copy releases it on the cluster.
//
//   auto x = client.submit(inc, 1);        // Future<std::int64_t>
//   std::int64_t two = x.result();
//   x.status();                            // "finished"

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "actors/cluster/client_connection.hpp"
#include "core/error.hpp"
#include "core/value.hpp"

namespace troupe {

using clock_duration = std::chrono::steady_clock::duration;

/// How long result(), gather() and friends wait when no timeout is given: long enough for any
/// real task, short of forever, so a lost cluster surfaces as an error.
inline constexpr clock_duration default_result_timeout = std::chrono::hours(24);

namespace detail {

/// One want of a key on the cluster, shared by the copies of a Future.
struct future_handle {
  std::shared_ptr<cluster::client_connection> connection;
  std::shared_ptr<cluster::future_state> state;
  bool released = false;
  std::mutex release_mutex;

  future_handle(std::shared_ptr<cluster::client_connection> c,
                std::shared_ptr<cluster::future_state> s)
      : connection(std::move(c)), state(std::move(s)) {}
  ~future_handle() { release(); }
  void release() {
    std::lock_guard<std::mutex> guard(release_mutex);
    if (released) return;
    released = true;
    connection->unwant(state);
  }
};

template <class T>
T value_as(const Value& v) {
  if constexpr (std::is_same_v<T, Value>) return v;
  else if constexpr (std::is_void_v<T>) return;
  else return v.template as<T>();
}

}  // namespace detail

template <class T = Value>
class Future {
 public:
  using value_type = T;

  Future() = default;
  explicit Future(std::shared_ptr<detail::future_handle> handle) : handle_(std::move(handle)) {}

  /// The same future, seen as holding a Value (for lists of futures of several types).
  template <class U>
  Future(const Future<U>& other) requires std::is_same_v<T, Value>  // NOLINT
      : handle_(other.handle()) {}

  bool valid() const noexcept { return handle_ != nullptr; }
  const std::string& key() const { return state().key; }
  /// "pending", "finished", "error", "cancelled" or "lost" (the scheduler went away).
  std::string status() const {
    std::lock_guard<std::mutex> guard(shared().mutex);
    return cluster::to_string(state().status);
  }
  bool done() const {
    std::lock_guard<std::mutex> guard(shared().mutex);
    return state().status != cluster::future_status::pending;
  }
  /// Waits for the result; TaskError if the task raised, CancelledError if it was cancelled,
  /// TimeoutError when the timeout passes first.
  T result(clock_duration timeout = default_result_timeout) const {
    const auto& handle = checked();
    auto values = handle.connection->gather({handle.state}, timeout);
    return detail::value_as<T>(values.front());
  }
  Value value(clock_duration timeout = default_result_timeout) const {
    const auto& handle = checked();
    return handle.connection->gather({handle.state}, timeout).front();
  }
  /// The exception the task raised (as a TaskError), or nullptr when it did not raise; waits
  /// for the future to be done first.
  std::exception_ptr exception(clock_duration timeout = default_result_timeout) const {
    wait(timeout);
    std::lock_guard<std::mutex> guard(shared().mutex);
    if (state().status != cluster::future_status::error) return nullptr;
    return std::make_exception_ptr(TaskError(state().failure));
  }
  /// The remote stack where the task raised ("" when it did not raise or none is known).
  std::string traceback(clock_duration timeout = default_result_timeout) const {
    wait(timeout);
    std::lock_guard<std::mutex> guard(shared().mutex);
    return state().status == cluster::future_status::error ? state().failure.traceback : "";
  }
  /// Waits until done; false when the timeout passed first.
  bool wait(clock_duration timeout = default_result_timeout) const {
    return checked().connection->wait(state(), timeout);
  }
  void cancel() const { checked().connection->cancel({key()}); }
  bool cancelled() const {
    std::lock_guard<std::mutex> guard(shared().mutex);
    return state().status == cluster::future_status::cancelled;
  }
  /// Runs an erred task (and the erred tasks it depends on) again.
  void retry() const { checked().connection->retry({key()}); }
  /// Gives up this future's want of the key now (the copies of this future share it).
  void release() const { checked().release(); }
  /// Calls `callback(*this)` once the future is done (at once if it is), on the client's
  /// thread; an exception it throws is dropped.
  void add_done_callback(std::function<void(const Future&)> callback) const {
    Future self = *this;
    std::unique_lock<std::mutex> lock(shared().mutex);
    if (state().status == cluster::future_status::pending) {
      state().callbacks.push_back([self, callback] { callback(self); });
      return;
    }
    lock.unlock();
    callback(self);
  }

  const std::shared_ptr<detail::future_handle>& handle() const noexcept { return handle_; }

 private:
  /// The handle; ArgumentError for an empty (default-constructed) future.
  detail::future_handle& checked() const {
    if (!handle_)
      throw ArgumentError("this Future is empty (default-constructed): it stands for no task; "
                          "assign it what client.submit, map or scatter returns first");
    return *handle_;
  }
  cluster::future_state& state() const { return *checked().state; }
  cluster::client_shared& shared() const { return checked().connection->shared(); }
  std::shared_ptr<detail::future_handle> handle_;
};

}  // namespace troupe
