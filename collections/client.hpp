#pragma once
// Client: dask.distributed's Client in C++. It connects to a scheduler (an address, or a
// LocalCluster it starts and owns) and submits work that runs on the cluster's workers:
//
//   troupe::Client client(troupe::LocalCluster{.n_workers = 2, .threads_per_worker = 2});
//   auto x = client.submit(inc, 1);                       // Future<std::int64_t>
//   auto ys = client.map(inc, std::vector<std::int64_t>{1, 2, 3});
//   auto total = client.submit(sum, ys).result();
//
// Functions travel by name: register them with TROUPE_FUNCTION, and call troupe::init(argc,
// argv) first thing in main so that a LocalCluster of processes can run this program as its
// workers. While a Client is active, compute() and get() run on its cluster.

#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "collections/delayed.hpp"
#include "collections/future.hpp"

namespace troupe {

/// A cluster on this machine, started and owned by the Client made from it.
struct LocalCluster {
  std::size_t n_workers = 0;           ///< 0: as many as fit the cores (at most 4)
  std::size_t threads_per_worker = 0;  ///< 0: cores / n_workers
  bool processes = true;               ///< worker processes (with nannies), or in-process actors
  std::string memory_limit = "auto";   ///< per worker: "4GiB", "500MB", "auto" (RAM / workers), "0"
  std::string host = "127.0.0.1";
  int scheduler_port = 0;  ///< 0: any free port
  bool nanny = true;       ///< a nanny process per worker process restarts it when it dies
};

struct submit_options {
  std::string key;   ///< "" = from the function and arguments (pure) or fresh (impure)
  bool pure = true;  ///< the same call twice is one task (Dask's default)
  int retries = 0;   ///< reruns after the task raises
  int priority = 0;  ///< higher runs first
  /// Run only on these workers (names or addresses, as client.info() lists them); empty:
  /// anywhere. Dask's workers=.
  std::vector<std::string> workers;
};

struct scatter_options {
  bool broadcast = false;  ///< put the data on every worker
};

class Client {
 public:
  /// Connects to a running scheduler, tcp://HOST:PORT.
  explicit Client(const std::string& address);
  /// Starts the cluster and connects to it; close() (or the destructor) stops it.
  explicit Client(LocalCluster cluster);
  /// A LocalCluster with its defaults.
  Client();
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Leaves the scheduler and stops what this Client started. Idempotent.
  void close();

  const std::string& scheduler_address() const;
  /// The workers as the scheduler knows them now.
  cluster::cluster_summary info() const;
  /// Waits until the cluster has at least `n` workers; TimeoutError when it passes first.
  void wait_for_workers(std::size_t n, clock_duration timeout = std::chrono::seconds(60)) const;
  /// Dask's repr: scheduler, workers, threads, memory, and a line per worker.
  std::string summary() const;

  /// Runs f(args...) on the cluster. Arguments may be values, Futures (their results are
  /// passed), or vectors of Futures (passed as lists). A submit_options may come last.
  template <class F, class... Args>
  auto submit(F f, Args&&... args);

  /// f over one or more sequences of equal length: f(a[i], b[i], ...) for each i.
  template <class F, class... Seqs>
  auto map(F f, const Seqs&... sequences);

  template <class T>
  std::vector<T> gather(const std::vector<Future<T>>& futures,
                        clock_duration timeout = default_result_timeout) const;

  /// Puts values on the workers; the futures name them in later submits.
  template <class T>
  std::vector<Future<T>> scatter(const std::vector<T>& data, scatter_options options = {});
  template <class T>
  Future<T> scatter_one(T data, scatter_options options = {});

  /// Starts computing Delayed values on the cluster; their futures.
  std::vector<Future<Value>> compute(const std::vector<Delayed>& values,
                                     const submit_options& options = {});
  Future<Value> compute(const Delayed& value, const submit_options& options = {});
  /// persist: as compute, the results staying on the cluster while the futures live.
  std::vector<Future<Value>> persist(const std::vector<Delayed>& values) { return compute(values); }

  /// Loads a shared library (its TROUPE_FUNCTIONs) on every current and later worker, as
  /// Client.upload_file does; ArgumentError names the workers that could not load it.
  void upload_file(const std::string& path);

  /// Runs a graph on the cluster and returns the values of `keys` (as troupe::get does).
  std::vector<Value> get(const Graph& graph, const std::vector<Key>& keys);

  /// The active client (the most recent one not closed), or nullptr.
  static Client* current() noexcept;
  /// Stops the worker processes this Client started, touching nothing else (for exit).
  void stop_processes() noexcept;
  /// This client stops being the active one (compute() no longer goes to it by default).
  void deactivate() noexcept;

  /// Submits a compiled graph; the futures of its targets, in order.
  std::vector<Future<Value>> run_graph(const task_graph& graph, const submit_options& options);
  /// Runs a compiled graph and returns its targets' values (compute() with a Client active).
  std::vector<Value> gather_values(const task_graph& graph);

  /// For the typed front ends above.
  struct impl;
  const std::shared_ptr<cluster::client_connection>& connection() const;
  Future<Value> submit_prepared(cluster::task_spec spec);
  std::vector<Future<Value>> submit_prepared(std::vector<cluster::task_spec> specs);
  /// ArgumentError when the function cannot run on this cluster's workers.
  void check_shippable(const function_ref& function) const;

 private:
  std::unique_ptr<impl> impl_;
};

std::ostream& operator<<(std::ostream& out, const Client& client);

/// Runs a compiled graph through a cluster connection and returns its targets' values, waiting
/// at most `timeout`; the keys are released afterwards, also when it throws.
std::vector<Value> run_graph_on(cluster::client_connection& connection, const task_graph& graph,
                                clock_duration timeout = default_result_timeout);

/// fire_and_forget: the task runs even when the future is dropped.
void fire_and_forget(const Future<Value>& future);

enum class return_when { ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION };

struct wait_options {
  return_when when = return_when::ALL_COMPLETED;
  clock_duration timeout = default_result_timeout;
};

struct wait_result {
  std::vector<Future<Value>> done;
  std::vector<Future<Value>> not_done;
};

/// Waits for futures as dask.distributed's wait(); TimeoutError when the timeout passes first.
wait_result wait(const std::vector<Future<Value>>& futures, wait_options options = {});

/// Futures in the order they finish, as dask.distributed's as_completed:
///
///   for (auto& f : troupe::as_completed(futures)) use(f.result());
class as_completed {
 public:
  explicit as_completed(std::vector<Future<Value>> futures, clock_duration timeout =
                                                                default_result_timeout);
  /// The next done future; TimeoutError when none finishes within the timeout.
  std::optional<Future<Value>> next();
  /// The next done future with its result (as_completed(..., with_results=True)): the result
  /// is fetched here; a task's exception is thrown here as by result().
  std::optional<std::pair<Future<Value>, Value>> next_with_result();
  void add(Future<Value> future);
  /// Futures added and not yet handed out by next().
  std::size_t remaining() const;

  class iterator {
   public:
    iterator(as_completed* owner) : owner_(owner) { advance(); }  // NOLINT
    const Future<Value>& operator*() const { return *current_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    bool operator!=(std::nullptr_t) const { return current_.has_value(); }

   private:
    void advance() { current_ = owner_ ? owner_->next() : std::nullopt; }
    as_completed* owner_;
    std::optional<Future<Value>> current_;
  };
  iterator begin() { return iterator(this); }
  std::nullptr_t end() const { return nullptr; }

  /// Futures in the order they were done, filled by their done callbacks: next() takes the
  /// first without looking at the futures still pending.
  struct completions;

 private:
  std::shared_ptr<completions> completions_;
  clock_duration timeout_;
};

/// At the top of main: a process started by a LocalCluster as a worker (or nanny) runs as one
/// here and exits; any other process returns at once.
void init(int argc, char** argv);

// -- templates ------------------------------------------------------------------------------------

namespace detail {

template <class T>
struct is_future : std::false_type {};
template <class T>
struct is_future<Future<T>> : std::true_type {};
template <class T>
struct is_future_vector : std::false_type {};
template <class T>
struct is_future_vector<std::vector<Future<T>>> : std::true_type {};

/// Adds one submit argument to a task: a literal, a future's key, or a list of keys. `token`
/// gets what the pure key is computed from.
template <class A>
void add_submit_arg(cluster::task_spec& spec, std::vector<Value>& token, A&& arg) {
  using U = std::decay_t<A>;
  cluster::wire_arg w;
  if constexpr (is_future<U>::value) {
    w.kind = cluster::wire_arg::ref;
    w.key = arg.key();
    spec.dependencies.push_back(w.key);
    token.push_back(Value(std::string("future:") + w.key));
    spec.args.push_back(std::move(w));
  } else if constexpr (is_future_vector<U>::value) {
    w.kind = cluster::wire_arg::list;
    w.items = static_cast<std::uint32_t>(arg.size());
    spec.args.push_back(std::move(w));
    std::vector<Value> keys;
    for (const auto& f : arg) {
      cluster::wire_arg item;
      item.kind = cluster::wire_arg::ref;
      item.key = f.key();
      spec.dependencies.push_back(item.key);
      keys.push_back(Value(std::string("future:") + item.key));
      spec.args.push_back(std::move(item));
    }
    token.push_back(Value(std::move(keys)));
  } else {
    w.kind = cluster::wire_arg::literal;
    w.value.value = make_value(std::forward<A>(arg));
    token.push_back(w.value.value);
    spec.args.push_back(std::move(w));
  }
}

/// The spec of a call: the key, the function, the arguments and the options.
void finish_spec(cluster::task_spec& spec, const std::vector<Value>& token,
                 const submit_options& options);

template <class F>
using submit_result_t = std::decay_t<typename callable_traits<std::decay_t<F>>::result>;

template <class T>
constexpr bool is_submit_options_v = std::is_same_v<std::decay_t<T>, submit_options>;

template <class R>
using future_of_t = Future<std::conditional_t<std::is_void_v<R>, Value, R>>;

}  // namespace detail

template <class F, class... Args>
auto Client::submit(F f, Args&&... args) {
  using R = detail::submit_result_t<F>;
  auto function = delayed(f).function();
  check_shippable(function);
  cluster::task_spec spec;
  spec.function.function = function;
  std::vector<Value> token;
  submit_options options;
  (
      [&](auto&& arg) {
        if constexpr (detail::is_submit_options_v<decltype(arg)>)
          options = arg;
        else
          detail::add_submit_arg(spec, token, std::forward<decltype(arg)>(arg));
      }(std::forward<Args>(args)),
      ...);
  detail::finish_spec(spec, token, options);
  return detail::future_of_t<R>(submit_prepared(std::move(spec)).handle());
}

template <class F, class... Seqs>
auto Client::map(F f, const Seqs&... sequences) {
  using R = detail::submit_result_t<F>;
  static_assert(sizeof...(Seqs) > 0, "map(f, sequence, ...) needs at least one sequence");
  auto function = delayed(f).function();
  check_shippable(function);
  const std::size_t n = std::get<0>(std::forward_as_tuple(sequences...)).size();
  if (((sequences.size() != n) || ...))
    throw ArgumentError("map: the sequences differ in length; pass sequences of equal length");
  // Sent in chunks while the rest is built, so the cluster starts on the first calls at once.
  constexpr std::size_t chunk = 2048;
  std::vector<detail::future_of_t<R>> out;
  out.reserve(n);
  std::vector<cluster::task_spec> specs;
  specs.reserve(std::min(n, chunk));
  for (std::size_t i = 0; i < n; ++i) {
    cluster::task_spec spec;
    spec.function.function = function;
    std::vector<Value> token;
    (detail::add_submit_arg(spec, token, sequences[i]), ...);
    detail::finish_spec(spec, token, submit_options{});
    spec.order = i;
    specs.push_back(std::move(spec));
    if (specs.size() == chunk || i + 1 == n) {
      for (auto& f : submit_prepared(std::move(specs))) out.emplace_back(f.handle());
      specs.clear();
    }
  }
  return out;
}

template <class T>
std::vector<T> Client::gather(const std::vector<Future<T>>& futures, clock_duration timeout) const {
  if (futures.empty()) return {};
  std::vector<std::shared_ptr<cluster::future_state>> states;
  states.reserve(futures.size());
  for (const auto& f : futures) states.push_back(f.handle()->state);
  auto values = futures.front().handle()->connection->gather(states, timeout);
  std::vector<T> out;
  out.reserve(values.size());
  for (const auto& v : values) out.push_back(detail::value_as<T>(v));
  return out;
}

namespace detail {
std::vector<std::shared_ptr<future_handle>> scatter_values(Client& client,
                                                           std::vector<Value> values,
                                                           scatter_options options);
}  // namespace detail

template <class T>
std::vector<Future<T>> Client::scatter(const std::vector<T>& data, scatter_options options) {
  std::vector<Value> values;
  values.reserve(data.size());
  for (const auto& x : data) values.push_back(make_value(x));
  auto handles = detail::scatter_values(*this, std::move(values), options);
  std::vector<Future<T>> out;
  for (auto& h : handles) out.emplace_back(std::move(h));
  return out;
}

template <class T>
Future<T> Client::scatter_one(T data, scatter_options options) {
  std::vector<Value> values;
  values.push_back(make_value(std::move(data)));  // moved in: a large array is not copied
  return Future<T>(std::move(detail::scatter_values(*this, std::move(values), options).front()));
}

}  // namespace troupe
