#include "collections/client.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <thread>

#include "actors/cluster/graph_specs.hpp"
#include "actors/cluster/node.hpp"
#include "collections/format_bytes.hpp"
#include "collections/local_cluster.hpp"
#include "core/tokenize.hpp"

namespace troupe {

namespace {

std::mutex current_mutex;
std::vector<Client*> active_clients;  // the last one is current

/// A memory limit: its size, or "no limit" for 0.
std::string limit_text(std::uint64_t bytes) {
  return bytes == 0 ? "no limit" : format_bytes(static_cast<double>(bytes));
}

}  // namespace

struct Client::impl {
  std::unique_ptr<running_cluster> cluster;  ///< what this Client started, if anything
  std::unique_ptr<cluster::cluster_node> node;  ///< for a Client of an outside scheduler
  std::shared_ptr<cluster::client_connection> connection;
  bool in_process = false;
  bool closed = false;
};

Client::Client(const std::string& address) : impl_(std::make_unique<impl>()) {
  impl_->node = std::make_unique<cluster::cluster_node>(2);
  impl_->connection = impl_->node->connect(address, "client");
  std::lock_guard<std::mutex> guard(current_mutex);
  active_clients.push_back(this);
}

Client::Client(LocalCluster cluster) : impl_(std::make_unique<impl>()) {
  impl_->in_process = !cluster.processes;
  impl_->cluster = start_local_cluster(cluster);
  impl_->connection = impl_->cluster->node->connect(impl_->cluster->address, "client");
  std::lock_guard<std::mutex> guard(current_mutex);
  active_clients.push_back(this);
}

Client::Client() : Client(LocalCluster{}) {}

Client::~Client() { close(); }

void Client::close() {
  if (impl_->closed) return;
  impl_->closed = true;
  deactivate();
  impl_->connection->close();
  if (impl_->cluster) impl_->cluster->stop();
}

Client* Client::current() noexcept {
  std::lock_guard<std::mutex> guard(current_mutex);
  return active_clients.empty() ? nullptr : active_clients.back();
}

void Client::stop_processes() noexcept {
  if (impl_->cluster) impl_->cluster->stop_children();
}

void Client::deactivate() noexcept {
  std::lock_guard<std::mutex> guard(current_mutex);
  active_clients.erase(std::remove(active_clients.begin(), active_clients.end(), this),
                       active_clients.end());
}

const std::string& Client::scheduler_address() const {
  return impl_->connection->scheduler_address();
}

cluster::cluster_summary Client::info() const {
  return impl_->connection->info(std::chrono::seconds(30));
}

void Client::wait_for_workers(std::size_t n, clock_duration timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (info().workers.size() < n) {
    if (std::chrono::steady_clock::now() > deadline)
      throw TimeoutError("wait_for_workers: fewer than " + std::to_string(n) +
                         " workers joined " + scheduler_address() + " within the timeout");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string Client::summary() const {
  auto summary = info();
  std::sort(summary.workers.begin(), summary.workers.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  std::size_t threads = 0;
  std::uint64_t memory = 0;
  for (const auto& w : summary.workers) {
    threads += w.nthreads;
    memory += w.memory_limit;
  }
  std::ostringstream out;
  out << "<Client: scheduler='" << summary.scheduler << "' processes=" << summary.workers.size()
      << " threads=" << threads << ", memory=" << limit_text(memory) << ">\n";
  for (const auto& w : summary.workers) {
    out << "  worker " << w.name << " at " << w.address << ": " << w.nthreads << " threads, "
        << limit_text(w.memory_limit) << ", pid " << w.pid;
    if (!w.nanny.empty()) out << ", nanny " << w.nanny;
    if (!w.gpu.empty()) out << ", GPU " << w.gpu;
    out << '\n';
  }
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Client& client) {
  return out << client.summary();
}

void Client::check_shippable(const function_ref& function) const {
  if (impl_->closed) throw ArgumentError("the client is closed: make a new Client");
  if (impl_->in_process || function->registered) return;
  throw ArgumentError("cannot send '" + function->name + "' to the workers of " +
                      scheduler_address() +
                      ": functions travel by name, so only functions registered with "
                      "TROUPE_FUNCTION(f) (or TROUPE_NAMED_FUNCTION) can run in other "
                      "processes; register it, or use LocalCluster{.processes = false}");
}

void Client::upload_file(const std::string& path) {
  if (impl_->in_process) {  // the workers are in this process: load it here, once
    load_library(path);
    return;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ArgumentError("upload_file: cannot read '" + path + "'");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  impl_->connection->upload_library(path, bytes, std::chrono::seconds(120));
}

Future<Value> Client::submit_prepared(cluster::task_spec spec) {
  auto futures = submit_prepared(std::vector<cluster::task_spec>{std::move(spec)});
  return futures.front();
}

std::vector<Future<Value>> Client::submit_prepared(std::vector<cluster::task_spec> specs) {
  auto& connection = impl_->connection;
  std::vector<std::string> wanted;
  wanted.reserve(specs.size());
  for (const auto& spec : specs) wanted.push_back(spec.key);
  std::vector<Future<Value>> futures;
  futures.reserve(specs.size());
  for (auto& state : connection->want(wanted))
    futures.emplace_back(std::make_shared<detail::future_handle>(connection, std::move(state)));
  connection->submit(std::move(specs), std::move(wanted));
  return futures;
}

namespace detail {

void finish_spec(cluster::task_spec& spec, const std::vector<Value>& token,
                 const submit_options& options) {
  const auto& name = spec.function.function->name;
  if (!options.key.empty()) spec.key = options.key;
  else if (options.pure) spec.key = tokenize(name, token);
  else spec.key = unique_key(name);
  if (options.retries < 0) throw ArgumentError("submit: retries must be 0 or more");
  spec.retries = static_cast<std::uint32_t>(options.retries);
  spec.priority = options.priority;
  spec.workers = options.workers;
  std::sort(spec.dependencies.begin(), spec.dependencies.end());
  spec.dependencies.erase(std::unique(spec.dependencies.begin(), spec.dependencies.end()),
                          spec.dependencies.end());
}

std::vector<std::shared_ptr<future_handle>> scatter_values(Client& client,
                                                           std::vector<Value> values,
                                                           scatter_options options) {
  // A fresh key per value and call (Dask's hash=False), not the value's token: with content
  // keys, scattering a value again just after its future was dropped raced with the release
  // of the same key, which could reach the worker after the new copy and drop it while the
  // new future said finished. A fresh key also spares hashing the data.
  std::vector<std::string> keys;
  keys.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) keys.push_back(unique_key("scatter"));
  auto connection = client.connection();
  auto states = connection->scatter(keys, values, options.broadcast, std::chrono::seconds(60));
  std::vector<std::shared_ptr<future_handle>> handles;
  for (auto& s : states) handles.push_back(std::make_shared<future_handle>(connection, s));
  return handles;
}

}  // namespace detail

const std::shared_ptr<cluster::client_connection>& Client::connection() const {
  return impl_->connection;
}

// -- graphs on the cluster ------------------------------------------------------------------------

std::vector<Future<Value>> Client::run_graph(const task_graph& graph,
                                             const submit_options& options) {
  for (task_index i = 0; i < graph.size(); ++i)
    if (!graph.is_literal(i)) check_shippable(graph.functions[i]);
  auto specs = cluster::to_specs(graph, options.priority,
                                static_cast<std::uint32_t>(std::max(0, options.retries)));
  std::vector<std::string> wanted;
  std::vector<Future<Value>> futures;
  for (auto target : graph.targets) {
    wanted.push_back(graph.keys[target]);
    futures.emplace_back(std::make_shared<detail::future_handle>(
        impl_->connection, impl_->connection->want(graph.keys[target])));
  }
  impl_->connection->submit(std::move(specs), std::move(wanted));
  return futures;
}

std::vector<Future<Value>> Client::compute(const std::vector<Delayed>& values,
                                           const submit_options& options) {
  return run_graph(*troupe::compile(values), options);
}

Future<Value> Client::compute(const Delayed& value, const submit_options& options) {
  return compute(std::vector<Delayed>{value}, options).front();
}

std::vector<Value> Client::get(const Graph& graph, const std::vector<Key>& keys) {
  return gather(run_graph(*troupe::compile(graph, keys), {}));
}

std::vector<Value> Client::gather_values(const task_graph& graph) {
  for (task_index i = 0; i < graph.size(); ++i)
    if (!graph.is_literal(i)) check_shippable(graph.functions[i]);
  return run_graph_on(*impl_->connection, graph);
}

std::vector<Value> run_graph_on(cluster::client_connection& connection, const task_graph& graph,
                                clock_duration timeout) {
  auto keys = cluster::target_keys(graph);
  auto states = connection.want(keys);
  // Each want is given back however this ends.
  struct release_all {
    cluster::client_connection& connection;
    std::vector<std::shared_ptr<cluster::future_state>>& states;
    ~release_all() {
      for (auto& state : states) connection.unwant(state);
    }
  } releaser{connection, states};
  connection.submit(cluster::to_specs(graph), keys);
  return connection.gather(states, timeout);
}

// -- waiting on many futures ----------------------------------------------------------------------

void fire_and_forget(const Future<Value>& future) {
  // The callback holds a copy of the future, and with it the want, until the task is done.
  future.add_done_callback([keep = future](const Future<Value>&) { (void)keep; });
}

wait_result wait(const std::vector<Future<Value>>& futures, wait_options options) {
  wait_result result;
  if (futures.empty()) return result;
  auto& shared = futures.front().handle()->connection->shared();
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  std::unique_lock<std::mutex> lock(shared.mutex);
  auto satisfied = [&] {
    std::size_t done = 0;
    for (const auto& f : futures) {
      auto status = f.handle()->state->status;
      if (status == cluster::future_status::pending) continue;
      ++done;
      if (options.when == return_when::FIRST_COMPLETED) return true;
      if (options.when == return_when::FIRST_EXCEPTION && status == cluster::future_status::error)
        return true;
    }
    return done == futures.size();
  };
  if (!shared.changed.wait_until(lock, deadline, satisfied))
    throw TimeoutError("wait: the futures were not done within the timeout");
  for (const auto& f : futures) {
    if (f.handle()->state->status == cluster::future_status::pending) result.not_done.push_back(f);
    else result.done.push_back(f);
  }
  return result;
}

struct as_completed::completions {
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Future<Value>> done;
  std::size_t remaining = 0;  ///< added and not yet handed out
};

as_completed::as_completed(std::vector<Future<Value>> futures, clock_duration timeout)
    : completions_(std::make_shared<completions>()), timeout_(timeout) {
  for (auto& future : futures) add(std::move(future));
}

void as_completed::add(Future<Value> future) {
  {
    std::lock_guard<std::mutex> guard(completions_->mutex);
    ++completions_->remaining;
  }
  // Runs at once when the future is done already: the lock above must be free by then.
  future.add_done_callback([completions = completions_](const Future<Value>& done) {
    {
      std::lock_guard<std::mutex> guard(completions->mutex);
      completions->done.push_back(done);
    }
    completions->changed.notify_all();
  });
}

std::size_t as_completed::remaining() const {
  std::lock_guard<std::mutex> guard(completions_->mutex);
  return completions_->remaining;
}

std::optional<std::pair<Future<Value>, Value>> as_completed::next_with_result() {
  auto done = next();
  if (!done) return std::nullopt;
  auto value = done->value(timeout_);
  return std::make_pair(std::move(*done), std::move(value));
}

std::optional<Future<Value>> as_completed::next() {
  std::unique_lock<std::mutex> lock(completions_->mutex);
  if (completions_->remaining == 0) return std::nullopt;
  if (!completions_->changed.wait_for(lock, timeout_, [&] { return !completions_->done.empty(); }))
    throw TimeoutError("as_completed: no future finished within the timeout");
  auto found = std::move(completions_->done.front());
  completions_->done.pop_front();
  --completions_->remaining;
  return found;
}

}  // namespace troupe
