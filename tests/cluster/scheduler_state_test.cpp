// SchedulerState (the cluster scheduler's decisions) stepped call by call: what each call
// dispatches to workers, asks them to release, and tells clients.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "actors/cluster/priority_fifo.hpp"
#include "actors/cluster/scheduler_state.hpp"
#include "core/function.hpp"

using troupe::cluster::client_event;
using troupe::cluster::client_id;
using troupe::cluster::dispatch;
using troupe::cluster::outbox;
using troupe::cluster::scheduler_options;
using troupe::cluster::SchedulerState;
using troupe::cluster::task_spec;
using troupe::cluster::task_state;
using troupe::cluster::wire_arg;
using troupe::cluster::worker_id;
using troupe::cluster::worker_info;

namespace {

using strings = std::vector<std::string>;
using holder_lists = std::vector<std::vector<worker_id>>;

wire_arg ref_arg(const std::string& key) {
  wire_arg a;
  a.kind = wire_arg::ref;
  a.key = key;
  return a;
}

wire_arg literal_arg(troupe::Value v) {
  wire_arg a;
  a.kind = wire_arg::literal;
  a.value.value = std::move(v);
  return a;
}

/// A task: troupe.inc of a literal without inputs, troupe.inc of its input, troupe.add of two.
task_spec make_task(const std::string& key, const strings& deps = {}, std::uint64_t order = 0) {
  task_spec s;
  s.key = key;
  s.function.function = troupe::find_function(deps.size() >= 2 ? "troupe.add" : "troupe.inc");
  if (deps.empty()) s.args.push_back(literal_arg(troupe::Value(std::int64_t{1})));
  for (const auto& d : deps) s.args.push_back(ref_arg(d));
  s.dependencies = deps;
  s.order = order;
  return s;
}

worker_info make_worker(const std::string& name, std::uint32_t nthreads = 1) {
  worker_info info;
  info.name = name;
  info.address = "inproc://" + name;
  info.host = "localhost";
  info.nthreads = nthreads;
  return info;
}

troupe::task_failure failure_of(const std::string& key, const std::string& message = "boom") {
  return {key, "std::runtime_error", message, ""};
}

/// Keys dispatched to `w`, in order.
strings computed(const outbox& o, worker_id w) {
  strings keys;
  auto found = o.workers.find(w);
  if (found == o.workers.end()) return keys;
  for (const auto& d : found->second.compute) keys.push_back(d.spec.key);
  return keys;
}

/// Independent tasks t0 .. t{n-1}, ordered by their number, and their keys.
std::pair<std::vector<task_spec>, strings> numbered_tasks(int n) {
  std::vector<task_spec> tasks;
  strings keys;
  for (int i = 0; i < n; ++i) {
    keys.push_back("t" + std::to_string(i));
    tasks.push_back(make_task(keys.back()));
    tasks.back().order = static_cast<std::uint64_t>(i);
  }
  return {tasks, keys};
}

/// Keys `w` is told to release, in order.
strings released(const outbox& o, worker_id w) {
  auto found = o.workers.find(w);
  return found == o.workers.end() ? strings{} : found->second.release;
}

const dispatch& dispatched(const outbox& o, worker_id w, const std::string& key) {
  const auto& compute = o.workers.at(w).compute;
  auto found = std::find_if(compute.begin(), compute.end(),
                            [&](const dispatch& d) { return d.spec.key == key; });
  REQUIRE(found != compute.end());
  return *found;
}

const char* status_name(client_event::status_type s) {
  switch (s) {
    case client_event::finished: return "finished";
    case client_event::erred: return "erred";
    case client_event::cancelled: return "cancelled";
    case client_event::lost: return "lost";
  }
  return "?";
}

/// What the client hears, as "key status" lines in order.
strings events(const outbox& o, client_id c) {
  strings lines;
  auto found = o.clients.find(c);
  if (found == o.clients.end()) return lines;
  for (const auto& e : found->second) lines.push_back(e.key + " " + status_name(e.status));
  return lines;
}

const client_event& event(const outbox& o, client_id c, std::size_t i) {
  return o.clients.at(c).at(i);
}

}  // namespace

// -- chains and release --------------------------------------------------------------------------

TEST_CASE("scheduler_state: a chain runs link by link and is forgotten once released",
          "[cluster]") {
  SchedulerState s;
  auto w1 = s.add_worker(make_worker("w1"));
  auto w2 = s.add_worker(make_worker("w2"));
  auto c = s.add_client("client");
  REQUIRE(s.workers() == std::vector<worker_id>{w1, w2});
  CHECK(s.take_outbox().empty());

  s.update_graph(c, {make_task("a", {}, 0), make_task("b", {"a"}, 1), make_task("c", {"b"}, 2)},
                 {"c"});
  CHECK(s.task_count() == 3);
  auto out = s.take_outbox();
  CHECK(computed(out, w1) == strings{"a"});
  CHECK(computed(out, w2).empty());
  CHECK(out.clients.empty());
  const auto& a = dispatched(out, w1, "a");
  CHECK(a.holders.empty());
  CHECK_FALSE(a.send_value);  // nobody wants a itself
  CHECK(a.spec.function.name() == "troupe.inc");
  CHECK(s.state_of("a") == task_state::processing);
  CHECK(s.state_of("b") == task_state::waiting);
  CHECK(s.state_of("c") == task_state::waiting);
  CHECK(s.processing_count(w1) == 1);
  CHECK(s.wanted_count("c") == 1);
  CHECK(s.wanted_count("a") == 0);

  s.task_finished(w1, "a", 8);
  out = s.take_outbox();
  CHECK(s.state_of("a") == task_state::memory);
  CHECK(s.who_has("a") == std::vector<worker_id>{w1});
  REQUIRE(computed(out, w1) == strings{"b"});  // where its input is
  CHECK(dispatched(out, w1, "b").holders == holder_lists{{w1}});
  CHECK_FALSE(dispatched(out, w1, "b").send_value);
  CHECK(released(out, w1).empty());  // b still needs a
  CHECK(out.clients.empty());          // nobody wants a
  CHECK(s.state_of("b") == task_state::processing);

  s.task_finished(w1, "b", 8);
  out = s.take_outbox();
  REQUIRE(computed(out, w1) == strings{"c"});
  CHECK(dispatched(out, w1, "c").holders == holder_lists{{w1}});
  CHECK(dispatched(out, w1, "c").send_value);  // the client wants c
  CHECK(released(out, w1) == strings{"a"});    // a's only dependent is done
  CHECK(out.clients.empty());
  CHECK(s.state_of("a") == task_state::released);
  CHECK(s.who_has("a").empty());
  CHECK(s.state_of("b") == task_state::memory);

  s.task_finished(w1, "c", 8);
  out = s.take_outbox();
  CHECK(computed(out, w1).empty());
  CHECK(released(out, w1) == strings{"b"});
  CHECK(events(out, c) == strings{"c finished"});
  CHECK(s.state_of("b") == task_state::released);
  CHECK(s.state_of("c") == task_state::memory);
  CHECK(s.processing_count(w1) == 0);
  CHECK(s.task_count() == 3);  // a and b stay known while c, made from them, is

  s.release_keys(c, {"c"});
  out = s.take_outbox();
  CHECK(released(out, w1) == strings{"c"});
  CHECK(computed(out, w1).empty());
  CHECK(out.clients.empty());
  CHECK(s.task_count() == 0);
  CHECK(s.state_of("a") == task_state::forgotten);
  CHECK(s.state_of("b") == task_state::forgotten);
  CHECK(s.state_of("c") == task_state::forgotten);
  CHECK(s.wanted_count("c") == 0);
}

TEST_CASE("scheduler_state: tasks nothing wants are forgotten at once", "[cluster]") {
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c = s.add_client("client");
  s.update_graph(c, {make_task("x"), make_task("unused", {"x"}), make_task("y")}, {"y"});
  auto out = s.take_outbox();
  CHECK(computed(out, w) == strings{"y"});
  CHECK(s.task_count() == 1);
  CHECK(s.state_of("x") == task_state::forgotten);
  CHECK(s.state_of("unused") == task_state::forgotten);
}

TEST_CASE("scheduler_state: a graph may list a task before its inputs", "[cluster]") {
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c = s.add_client("client");
  s.update_graph(c, {make_task("z", {"x", "y"}), make_task("y"), make_task("x")}, {"z"});
  auto out = s.take_outbox();
  auto first = computed(out, w);
  std::sort(first.begin(), first.end());
  CHECK(first == strings{"x", "y"});
  s.task_finished(w, "x", 8);
  CHECK(computed(s.take_outbox(), w).empty());
  s.task_finished(w, "y", 8);
  out = s.take_outbox();
  REQUIRE(computed(out, w) == strings{"z"});
  CHECK(dispatched(out, w, "z").holders == holder_lists{{w}, {w}});
  CHECK(dispatched(out, w, "z").spec.function.name() == "troupe.add");
}

// -- shared keys ---------------------------------------------------------------------------------

TEST_CASE("scheduler_state: a key two clients submit is one task computed once", "[cluster]") {
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c1 = s.add_client("one");
  auto c2 = s.add_client("two");
  s.update_graph(c1, {make_task("x")}, {"x"});
  s.update_graph(c2, {make_task("x")}, {"x"});
  CHECK(s.task_count() == 1);
  CHECK(s.wanted_count("x") == 2);
  auto out = s.take_outbox();
  CHECK(computed(out, w) == strings{"x"});  // once
  CHECK(dispatched(out, w, "x").send_value);
  CHECK(out.clients.empty());

  s.task_finished(w, "x", 8);
  out = s.take_outbox();
  CHECK(events(out, c1) == strings{"x finished"});
  CHECK(events(out, c2) == strings{"x finished"});
  CHECK(computed(out, w).empty());

  s.release_keys(c1, {"x"});
  out = s.take_outbox();
  CHECK(out.empty());  // c2 still wants it: no release
  CHECK(s.state_of("x") == task_state::memory);
  CHECK(s.wanted_count("x") == 1);

  s.release_keys(c1, {"x"});  // c1 no longer wants it: nothing changes
  CHECK(s.take_outbox().empty());
  CHECK(s.wanted_count("x") == 1);

  s.release_keys(c2, {"x"});
  out = s.take_outbox();
  CHECK(released(out, w) == strings{"x"});
  CHECK(s.task_count() == 0);
}

TEST_CASE("scheduler_state: one client submitting a key twice wants it twice", "[cluster]") {
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c = s.add_client("client");
  s.update_graph(c, {make_task("x")}, {"x"});
  s.update_graph(c, {make_task("x")}, {"x"});
  CHECK(s.wanted_count("x") == 2);
  CHECK(computed(s.take_outbox(), w) == strings{"x"});
  s.task_finished(w, "x", 8);
  CHECK(events(s.take_outbox(), c) == strings{"x finished"});

  // Submitted again once it is in memory: the client hears at once, nothing runs.
  s.update_graph(c, {make_task("x")}, {"x"});
  auto out = s.take_outbox();
  CHECK(events(out, c) == strings{"x finished"});
  CHECK(computed(out, w).empty());
  CHECK(s.wanted_count("x") == 3);

  s.release_keys(c, {"x"});
  s.release_keys(c, {"x"});
  CHECK(s.take_outbox().empty());
  CHECK(s.state_of("x") == task_state::memory);
  s.release_keys(c, {"x"});
  CHECK(released(s.take_outbox(), w) == strings{"x"});
  CHECK(s.task_count() == 0);
}

TEST_CASE("scheduler_state: a shared input computed for one graph serves the next", "[cluster]") {
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c1 = s.add_client("one");
  auto c2 = s.add_client("two");
  s.update_graph(c1, {make_task("base"), make_task("left", {"base"})}, {"left"});
  CHECK(computed(s.take_outbox(), w) == strings{"base"});
  s.task_finished(w, "base", 8);
  CHECK(computed(s.take_outbox(), w) == strings{"left"});
  // A second client's graph uses base while left runs: base is not recomputed.
  s.update_graph(c2, {make_task("base"), make_task("right", {"base"})}, {"right"});
  auto out = s.take_outbox();
  REQUIRE(computed(out, w) == strings{"right"});
  CHECK(dispatched(out, w, "right").holders == holder_lists{{w}});
  s.task_finished(w, "left", 8);
  out = s.take_outbox();
  CHECK(events(out, c1) == strings{"left finished"});
  CHECK(released(out, w).empty());  // right still needs base
  s.task_finished(w, "right", 8);
  out = s.take_outbox();
  CHECK(events(out, c2) == strings{"right finished"});
  CHECK(released(out, w) == strings{"base"});
}

TEST_CASE("scheduler_state: removing a client releases what it wanted", "[cluster]") {
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c1 = s.add_client("one");
  auto c2 = s.add_client("two");
  s.update_graph(c1, {make_task("x"), make_task("y")}, {"x", "y"});
  s.update_graph(c2, {make_task("y")}, {"y"});
  s.take_outbox();
  s.task_finished(w, "x", 8);
  s.take_outbox();
  s.remove_client(c1);
  auto out = s.take_outbox();
  CHECK(released(out, w) == strings{"x"});  // c2 still wants y, which keeps running
  CHECK(s.state_of("x") == task_state::forgotten);
  CHECK(s.state_of("y") == task_state::processing);
  CHECK(s.wanted_count("y") == 1);
  s.remove_client(c2);
  out = s.take_outbox();
  CHECK(released(out, w) == strings{"y"});  // stopped where it runs
  CHECK(s.task_count() == 0);
  CHECK(s.processing_count(w) == 0);
  s.task_finished(w, "y", 8);  // it finished anyway: the worker drops it
  out = s.take_outbox();
  CHECK(released(out, w) == strings{"y"});
  CHECK(out.clients.empty());
}

// -- errors, retries -----------------------------------------------------------------------------

TEST_CASE("scheduler_state: an erred task errs its dependents with the same failure",
          "[cluster]") {
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c1 = s.add_client("wants c");
  auto c2 = s.add_client("wants b");
  s.update_graph(c1, {make_task("a", {}, 0), make_task("b", {"a"}, 1), make_task("c", {"b"}, 2)},
                 {"c"});
  s.update_graph(c2, {}, {"b"});
  CHECK(s.wanted_count("b") == 1);
  CHECK(computed(s.take_outbox(), w) == strings{"a"});

  s.task_failed(w, failure_of("a", "a broke"));
  auto out = s.take_outbox();
  CHECK(out.workers.empty());  // nothing runs, nothing to release: a failed where it ran
  REQUIRE(events(out, c1) == strings{"c erred"});
  REQUIRE(events(out, c2) == strings{"b erred"});
  for (const auto& e : {event(out, c1, 0), event(out, c2, 0)}) {
    CHECK(e.failure.key == "a");  // the task that raised, not the one the client wants
    CHECK(e.failure.type_name == "std::runtime_error");
    CHECK(e.failure.message == "a broke");
  }
  CHECK(s.state_of("b") == task_state::erred);
  CHECK(s.state_of("c") == task_state::erred);
  CHECK(s.state_of("a") == task_state::released);  // nobody wants a itself
  CHECK(s.processing_count(w) == 0);

  // A client that asks for an erred key hears so at once.
  auto c3 = s.add_client("late");
  s.update_graph(c3, {}, {"c"});
  out = s.take_outbox();
  REQUIRE(events(out, c3) == strings{"c erred"});
  CHECK(event(out, c3, 0).failure.key == "a");
  CHECK(out.workers.empty());

  // A late report from the worker is ignored.
  s.task_finished(w, "b", 8);
  out = s.take_outbox();
  CHECK(released(out, w) == strings{"b"});
  CHECK(out.clients.empty());
  CHECK(s.state_of("b") == task_state::erred);

  s.release_keys(c1, {"c"});
  s.release_keys(c3, {"c"});
  s.release_keys(c2, {"b"});
  CHECK(s.task_count() == 0);
}

TEST_CASE("scheduler_state: a task with retries runs again before it errs", "[cluster]") {
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c = s.add_client("client");
  auto flaky = make_task("flaky");
  flaky.retries = 2;
  s.update_graph(c, {flaky, make_task("after", {"flaky"})}, {"after"});
  CHECK(computed(s.take_outbox(), w) == strings{"flaky"});

  s.task_failed(w, failure_of("flaky", "first"));
  auto out = s.take_outbox();
  CHECK(computed(out, w) == strings{"flaky"});
  CHECK(out.clients.empty());
  CHECK(s.state_of("flaky") == task_state::processing);

  s.task_failed(w, failure_of("flaky", "second"));
  out = s.take_outbox();
  CHECK(computed(out, w) == strings{"flaky"});
  CHECK(out.clients.empty());

  s.task_failed(w, failure_of("flaky", "third"));
  out = s.take_outbox();
  CHECK(computed(out, w).empty());
  REQUIRE(events(out, c) == strings{"after erred"});
  CHECK(event(out, c, 0).failure.key == "flaky");
  CHECK(event(out, c, 0).failure.message == "third");
  CHECK(s.state_of("after") == task_state::erred);
}

TEST_CASE("scheduler_state: a retried task that then succeeds finishes normally", "[cluster]") {
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c = s.add_client("client");
  auto flaky = make_task("flaky");
  flaky.retries = 1;
  s.update_graph(c, {flaky}, {"flaky"});
  s.take_outbox();
  s.task_failed(w, failure_of("flaky"));
  CHECK(computed(s.take_outbox(), w) == strings{"flaky"});
  s.task_finished(w, "flaky", 8);
  auto out = s.take_outbox();
  CHECK(events(out, c) == strings{"flaky finished"});
  CHECK(s.state_of("flaky") == task_state::memory);
}

TEST_CASE("scheduler_state: a failure from another worker or an unknown key is ignored",
          "[cluster]") {
  SchedulerState s;
  auto w1 = s.add_worker(make_worker("w1"));
  auto w2 = s.add_worker(make_worker("w2"));
  auto c = s.add_client("client");
  s.update_graph(c, {make_task("x")}, {"x"});
  CHECK(computed(s.take_outbox(), w1) == strings{"x"});
  s.task_failed(w2, failure_of("x"));
  s.task_failed(w1, failure_of("nobody"));
  CHECK(s.take_outbox().empty());
  CHECK(s.state_of("x") == task_state::processing);
}

TEST_CASE("scheduler_state: retry_keys reruns an erred key", "[cluster]") {
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c = s.add_client("client");
  s.update_graph(c, {make_task("x")}, {"x"});
  s.take_outbox();
  s.task_failed(w, failure_of("x"));
  auto out = s.take_outbox();
  CHECK(events(out, c) == strings{"x erred"});
  CHECK(s.state_of("x") == task_state::erred);

  s.retry_keys(c, {"x"});
  out = s.take_outbox();
  CHECK(computed(out, w) == strings{"x"});
  CHECK(out.clients.empty());
  CHECK(s.state_of("x") == task_state::processing);
  s.task_finished(w, "x", 8);
  CHECK(events(s.take_outbox(), c) == strings{"x finished"});

  // Retrying what did not err, or is unknown, does nothing.
  s.retry_keys(c, {"x", "ghost"});
  CHECK(s.take_outbox().empty());
  CHECK(s.state_of("x") == task_state::memory);
}

TEST_CASE("scheduler_state: retry_keys on a dependent reruns the chain that erred",
          "[cluster]") {
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c = s.add_client("client");
  s.update_graph(c, {make_task("a", {}, 0), make_task("b", {"a"}, 1), make_task("c", {"b"}, 2)},
                 {"c"});
  s.take_outbox();
  s.task_failed(w, failure_of("a"));
  CHECK(events(s.take_outbox(), c) == strings{"c erred"});

  s.retry_keys(c, {"c"});
  auto out = s.take_outbox();
  CHECK(computed(out, w) == strings{"a"});
  CHECK(s.state_of("b") == task_state::waiting);
  CHECK(s.state_of("c") == task_state::waiting);
  s.task_finished(w, "a", 8);
  CHECK(computed(s.take_outbox(), w) == strings{"b"});
  s.task_finished(w, "b", 8);
  CHECK(computed(s.take_outbox(), w) == strings{"c"});
  s.task_finished(w, "c", 8);
  CHECK(events(s.take_outbox(), c) == strings{"c finished"});
}

TEST_CASE("scheduler_state: retry_keys gives the rerun input its retries again",
          "[cluster]") {
  // The input that raised was released (nobody wants it) rather than kept erred; released,
  // it gets its retries back, so a retry of its dependent runs it as the first run did.
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c = s.add_client("client");
  auto flaky = make_task("flaky");
  flaky.retries = 1;
  s.update_graph(c, {flaky, make_task("after", {"flaky"})}, {"after"});
  s.take_outbox();
  s.task_failed(w, failure_of("flaky"));
  s.take_outbox();
  s.task_failed(w, failure_of("flaky"));
  CHECK(events(s.take_outbox(), c) == strings{"after erred"});

  s.retry_keys(c, {"after"});
  CHECK(computed(s.take_outbox(), w) == strings{"flaky"});
  s.task_failed(w, failure_of("flaky"));
  auto out = s.take_outbox();
  CHECK(computed(out, w) == strings{"flaky"});  // its one retry, as on the first run
  CHECK(out.clients.empty());
}

// -- unknown keys --------------------------------------------------------------------------------

TEST_CASE("scheduler_state: a task on an unknown key errs naming the key", "[cluster]") {
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c = s.add_client("client");
  s.update_graph(c, {make_task("t", {"nope"}), make_task("u", {"t"})}, {"t", "u"});
  auto out = s.take_outbox();
  CHECK(out.workers.empty());
  REQUIRE(events(out, c) == strings{"t erred", "u erred"});
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& e = event(out, c, i);
    CHECK(e.failure.key == "t");
    CHECK(e.failure.type_name == "troupe::GraphError");
    CHECK_THAT(e.failure.message, Catch::Contains("nope"));
  }
  CHECK(s.state_of("t") == task_state::erred);
  CHECK(s.state_of("u") == task_state::erred);
  CHECK(s.state_of("nope") == task_state::forgotten);
  (void)w;
  s.release_keys(c, {"u", "t"});
  CHECK(s.take_outbox().empty());
  CHECK(s.task_count() == 0);
}

TEST_CASE("scheduler_state: a task erred for an unknown key does not run on retry",
          "[cluster]") {
  // The unknown dependency is never linked: the task remembers it and errs again.
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c = s.add_client("client");
  s.update_graph(c, {make_task("t", {"nope"})}, {"t"});
  CHECK(events(s.take_outbox(), c) == strings{"t erred"});
  s.retry_keys(c, {"t"});
  auto out = s.take_outbox();
  CHECK(computed(out, w).empty());
  CHECK(s.state_of("t") == task_state::erred);
}

TEST_CASE("scheduler_state: wanting an unknown key gives the client an erred event",
          "[cluster]") {
  SchedulerState s;
  s.add_worker(make_worker("w"));
  auto c = s.add_client("client");
  s.update_graph(c, {}, {"ghost"});
  auto out = s.take_outbox();
  REQUIRE(events(out, c) == strings{"ghost erred"});
  CHECK(event(out, c, 0).failure.key == "ghost");
  CHECK(event(out, c, 0).failure.type_name == "troupe::ArgumentError");
  CHECK_THAT(event(out, c, 0).failure.message, Catch::Contains("ghost"));
  CHECK(out.workers.empty());
  CHECK(s.task_count() == 0);
  CHECK(s.wanted_count("ghost") == 0);
}

// -- cancel ---------------------------------------------------------------------------------------

TEST_CASE("scheduler_state: a cancelled running task is released and forgotten", "[cluster]") {
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c = s.add_client("client");
  s.update_graph(c, {make_task("x")}, {"x"});
  CHECK(computed(s.take_outbox(), w) == strings{"x"});
  s.cancel_keys(c, {"x"});
  auto out = s.take_outbox();
  CHECK(events(out, c) == strings{"x cancelled"});
  CHECK(released(out, w) == strings{"x"});
  CHECK(computed(out, w).empty());
  CHECK(s.state_of("x") == task_state::forgotten);
  CHECK(s.task_count() == 0);
  CHECK(s.processing_count(w) == 0);

  // Its result arrives after all: the worker is told to drop it, the client hears nothing.
  s.task_finished(w, "x", 8);
  out = s.take_outbox();
  CHECK(released(out, w) == strings{"x"});
  CHECK(out.clients.empty());

  // Cancelling again, or releasing afterwards, does nothing.
  s.cancel_keys(c, {"x"});
  s.release_keys(c, {"x"});
  CHECK(s.take_outbox().empty());
}

TEST_CASE("scheduler_state: cancelling a waiting chain releases its running input",
          "[cluster]") {
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c = s.add_client("client");
  s.update_graph(c, {make_task("a"), make_task("b", {"a"})}, {"b"});
  CHECK(computed(s.take_outbox(), w) == strings{"a"});
  s.cancel_keys(c, {"b"});
  auto out = s.take_outbox();
  CHECK(events(out, c) == strings{"b cancelled"});
  CHECK(released(out, w) == strings{"a"});
  CHECK(s.task_count() == 0);
}

TEST_CASE("scheduler_state: cancelling a key in memory releases it on its holder",
          "[cluster]") {
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c1 = s.add_client("one");
  auto c2 = s.add_client("two");
  s.update_graph(c1, {make_task("x")}, {"x"});
  s.update_graph(c1, {make_task("x")}, {"x"});
  s.update_graph(c2, {make_task("x")}, {"x"});
  s.take_outbox();
  s.task_finished(w, "x", 8);
  s.take_outbox();
  // c1 wanted it twice: one cancel ends both; c2 still wants it.
  s.cancel_keys(c1, {"x"});
  auto out = s.take_outbox();
  CHECK(events(out, c1) == strings{"x cancelled"});
  CHECK(released(out, w).empty());
  CHECK(s.wanted_count("x") == 1);
  s.cancel_keys(c2, {"x"});
  out = s.take_outbox();
  CHECK(events(out, c2) == strings{"x cancelled"});
  CHECK(released(out, w) == strings{"x"});
  CHECK(s.task_count() == 0);
}

// -- workers leaving -----------------------------------------------------------------------------

TEST_CASE("scheduler_state: a key lost with its only holder is recomputed for its dependent",
          "[cluster]") {
  SchedulerState s;
  auto w1 = s.add_worker(make_worker("w1"));
  auto w2 = s.add_worker(make_worker("w2"));
  auto c = s.add_client("client");
  s.update_graph(c, {make_task("a", {}, 0), make_task("b", {}, 1), make_task("sum", {"a", "b"}, 2)},
                 {"sum"});
  auto out = s.take_outbox();
  CHECK(computed(out, w1) == strings{"a"});
  CHECK(computed(out, w2) == strings{"b"});  // the emptier worker

  s.task_finished(w1, "a", 8);
  CHECK(s.take_outbox().empty());
  CHECK(s.state_of("sum") == task_state::waiting);

  s.remove_worker(w1);
  out = s.take_outbox();
  CHECK(s.workers() == std::vector<worker_id>{w2});
  CHECK(out.workers.count(w1) == 0);
  REQUIRE(computed(out, w2) == strings{"a"});  // recomputed on the worker left
  CHECK(dispatched(out, w2, "a").holders.empty());
  CHECK(out.clients.empty());  // nobody wants a itself: no `lost` event
  CHECK(s.state_of("a") == task_state::processing);
  CHECK(s.who_has("a").empty());
  CHECK(s.state_of("sum") == task_state::waiting);

  // sum waits for both inputs again: b alone does not make it ready.
  s.task_finished(w2, "b", 8);
  out = s.take_outbox();
  CHECK(computed(out, w2).empty());
  CHECK(s.state_of("sum") == task_state::waiting);
  s.task_finished(w2, "a", 8);
  out = s.take_outbox();
  REQUIRE(computed(out, w2) == strings{"sum"});
  CHECK(dispatched(out, w2, "sum").holders == holder_lists{{w2}, {w2}});
  s.task_finished(w2, "sum", 8);
  out = s.take_outbox();
  CHECK(events(out, c) == strings{"sum finished"});
  auto gone = released(out, w2);
  std::sort(gone.begin(), gone.end());
  CHECK(gone == strings{"a", "b"});
}

TEST_CASE("scheduler_state: a wanted key lost with its holder is announced and recomputed",
          "[cluster]") {
  SchedulerState s;
  auto w1 = s.add_worker(make_worker("w1"));
  auto c = s.add_client("client");
  s.update_graph(c, {make_task("x")}, {"x"});
  s.take_outbox();
  s.task_finished(w1, "x", 8);
  CHECK(events(s.take_outbox(), c) == strings{"x finished"});
  s.remove_worker(w1);
  auto out = s.take_outbox();
  CHECK(events(out, c) == strings{"x lost"});
  CHECK(out.workers.empty());  // no worker to run it on
  CHECK(s.state_of("x") == task_state::queued);
  auto w2 = s.add_worker(make_worker("w2"));
  out = s.take_outbox();
  CHECK(computed(out, w2) == strings{"x"});
  s.task_finished(w2, "x", 8);
  CHECK(events(s.take_outbox(), c) == strings{"x finished"});
}

TEST_CASE("scheduler_state: a key with a second holder is not recomputed", "[cluster]") {
  SchedulerState s;
  auto w1 = s.add_worker(make_worker("w1"));
  auto w2 = s.add_worker(make_worker("w2"));
  auto c = s.add_client("client");
  s.data_placed(c, "d", 100, {w1, w2});
  CHECK(events(s.take_outbox(), c) == strings{"d finished"});
  CHECK(s.who_has("d") == std::vector<worker_id>{w1, w2});
  s.remove_worker(w1);
  CHECK(s.take_outbox().empty());
  CHECK(s.who_has("d") == std::vector<worker_id>{w2});
  CHECK(s.state_of("d") == task_state::memory);
}

TEST_CASE("scheduler_state: a task running on a worker that dies runs elsewhere", "[cluster]") {
  SchedulerState s;
  auto w1 = s.add_worker(make_worker("w1"));
  auto w2 = s.add_worker(make_worker("w2"));
  auto c = s.add_client("client");
  s.update_graph(c, {make_task("x", {}, 0), make_task("y", {}, 1)}, {"x", "y"});
  auto out = s.take_outbox();
  CHECK(computed(out, w1) == strings{"x"});
  CHECK(computed(out, w2) == strings{"y"});

  s.remove_worker(w2);
  out = s.take_outbox();
  CHECK(computed(out, w1) == strings{"y"});
  CHECK(out.clients.empty());
  CHECK(s.processing_count(w1) == 2);
  CHECK(s.processing_count(w2) == 0);

  // A stale report from the dead worker changes nothing.
  s.task_finished(w2, "y", 8);
  CHECK(s.take_outbox().empty());
  CHECK(s.state_of("y") == task_state::processing);
  s.task_finished(w1, "y", 8);
  CHECK(events(s.take_outbox(), c) == strings{"y finished"});
  CHECK(s.who_has("y") == std::vector<worker_id>{w1});
}

TEST_CASE("scheduler_state: a dependent running when its input is lost stops and waits",
          "[cluster]") {
  SchedulerState s;
  auto w1 = s.add_worker(make_worker("w1"));
  auto w2 = s.add_worker(make_worker("w2"));
  auto c = s.add_client("client");
  s.update_graph(c, {make_task("a", {}, 0), make_task("b", {}, 1), make_task("sum", {"a", "b"}, 2)},
                 {"sum"});
  s.take_outbox();
  s.task_finished(w1, "a", 10);
  s.task_finished(w2, "b", 1000);  // the bigger input: sum goes to w2
  auto out = s.take_outbox();
  REQUIRE(computed(out, w2) == strings{"sum"});
  CHECK(dispatched(out, w2, "sum").holders == holder_lists{{w1}, {w2}});

  s.remove_worker(w1);  // a's only copy
  out = s.take_outbox();
  CHECK(released(out, w2) == strings{"sum"});  // it cannot fetch a any more
  CHECK(computed(out, w2) == strings{"a"});
  CHECK(s.state_of("sum") == task_state::waiting);
  CHECK(s.processing_count(w2) == 1);

  s.task_finished(w2, "sum", 8);  // its result from before is dropped
  out = s.take_outbox();
  CHECK(released(out, w2) == strings{"sum"});
  CHECK(out.clients.empty());
  s.task_finished(w2, "a", 10);
  out = s.take_outbox();
  REQUIRE(computed(out, w2) == strings{"sum"});
  CHECK(dispatched(out, w2, "sum").holders == holder_lists{{w2}, {w2}});
}

TEST_CASE("scheduler_state: a task running on too many dying workers errs as KilledWorker",
          "[cluster]") {
  scheduler_options options;
  options.allowed_failures = 2;
  SchedulerState s(options);
  auto c = s.add_client("client");
  auto current = s.add_worker(make_worker("w0"));
  s.update_graph(c, {make_task("crash"), make_task("after", {"crash"})}, {"after"});
  CHECK(computed(s.take_outbox(), current) == strings{"crash"});
  for (std::size_t death = 1; death <= options.allowed_failures; ++death) {
    auto next = s.add_worker(make_worker("w" + std::to_string(death)));
    CHECK(s.take_outbox().empty());  // crash already runs: nothing for the newcomer
    s.remove_worker(current);
    auto out = s.take_outbox();
    CHECK(computed(out, next) == strings{"crash"});
    CHECK(out.clients.empty());
    current = next;
  }
  auto spare = s.add_worker(make_worker("spare"));
  s.remove_worker(current);  // death allowed_failures + 1
  auto out = s.take_outbox();
  CHECK(computed(out, spare).empty());
  REQUIRE(events(out, c) == strings{"after erred"});
  CHECK(event(out, c, 0).failure.key == "crash");
  CHECK(event(out, c, 0).failure.type_name == "troupe::KilledWorker");
  CHECK_THAT(event(out, c, 0).failure.message, Catch::Contains("inproc://w2"));
  CHECK(s.state_of("after") == task_state::erred);
  CHECK(s.processing_count(spare) == 0);
}

TEST_CASE("scheduler_state: the default allows three deaths before KilledWorker", "[cluster]") {
  SchedulerState s;
  auto c = s.add_client("client");
  auto current = s.add_worker(make_worker("w0"));
  s.update_graph(c, {make_task("crash")}, {"crash"});
  s.take_outbox();
  for (int death = 1; death <= 4; ++death) {
    auto next = s.add_worker(make_worker("w" + std::to_string(death)));
    s.remove_worker(current);
    auto out = s.take_outbox();
    if (death <= 3) {
      CHECK(computed(out, next) == strings{"crash"});
      CHECK(out.clients.empty());
    } else {
      CHECK(computed(out, next).empty());
      REQUIRE(events(out, c) == strings{"crash erred"});
      CHECK(event(out, c, 0).failure.type_name == "troupe::KilledWorker");
    }
    current = next;
  }
  CHECK(s.state_of("crash") == task_state::erred);
  // retry_keys gives it its deaths back.
  s.retry_keys(c, {"crash"});
  CHECK(computed(s.take_outbox(), current) == strings{"crash"});
}

TEST_CASE("scheduler_state: a worker missing an input gets the task again", "[cluster]") {
  SchedulerState s;
  auto w1 = s.add_worker(make_worker("w1"));
  auto w2 = s.add_worker(make_worker("w2"));
  auto c = s.add_client("client");
  s.data_placed(c, "d", 100, {w1, w2});
  s.take_outbox();
  s.update_graph(c, {make_task("t", {"d"})}, {"t"});
  auto first = s.take_outbox();
  auto runs_on = computed(first, w1) == strings{"t"} ? w1 : w2;
  auto other = runs_on == w1 ? w2 : w1;
  REQUIRE(computed(first, runs_on) == strings{"t"});
  s.task_missing(other, "t");  // not where it runs: ignored
  CHECK(s.take_outbox().empty());
  // Where it runs, `d` was not there after all: that copy is forgotten, and t goes to the
  // worker that still holds d.
  s.task_missing(runs_on, "t");
  auto out = s.take_outbox();
  REQUIRE(computed(out, other) == strings{"t"});
  CHECK(dispatched(out, other, "t").holders == holder_lists{{other}});
  CHECK(s.who_has("d") == std::vector<worker_id>{other});
}

TEST_CASE("scheduler_state: holders a worker could not fetch from are no longer named",
          "[cluster]") {
  // d is on w1, w2 and w3; t runs on one of them, which then says d was not there and that
  // one other holder gave nothing. Both stop counting as holders (the unreachable one is told
  // to drop its copy), and t goes to the one holder left.
  SchedulerState s;
  std::vector<worker_id> workers{s.add_worker(make_worker("w1")),
                                 s.add_worker(make_worker("w2")),
                                 s.add_worker(make_worker("w3"))};
  auto c = s.add_client("client");
  s.data_placed(c, "d", 8, workers);
  s.take_outbox();
  s.update_graph(c, {make_task("t", {"d"})}, {"t"});
  auto first = s.take_outbox();
  std::vector<worker_id> others;
  worker_id runs_on = 0;
  for (auto w : workers) {
    if (computed(first, w) == strings{"t"})
      runs_on = w;
    else
      others.push_back(w);
  }
  REQUIRE(runs_on != 0);
  REQUIRE(others.size() == 2);
  auto unreachable = others[0], left = others[1];

  s.task_missing(unreachable, "t", "d", {left});  // not where t runs: ignored
  CHECK(s.who_has("d").size() == 3);
  CHECK(s.take_outbox().empty());

  s.task_missing(runs_on, "t", "d", {unreachable});
  auto out = s.take_outbox();
  CHECK(released(out, unreachable) == strings{"d"});
  CHECK(released(out, runs_on).empty());  // it said it has none
  CHECK(s.who_has("d") == std::vector<worker_id>{left});
  REQUIRE(computed(out, left) == strings{"t"});
  CHECK(dispatched(out, left, "t").holders == holder_lists{{left}});
}

TEST_CASE("scheduler_state: the last holders of scattered data are not dropped", "[cluster]") {
  // d has no recipe: a worker that could not fetch it from its only holder does not make the
  // scheduler forget that copy (the holder may only have been slow); the task runs again with
  // the same holder named.
  SchedulerState s;
  auto w1 = s.add_worker(make_worker("w1"));
  auto w2 = s.add_worker(make_worker("w2"));
  auto c = s.add_client("client");
  s.data_placed(c, "d", 8, {w1});
  s.take_outbox();
  auto t = make_task("t", {"d"});
  t.workers = {"w2"};
  s.update_graph(c, {t}, {"t"});
  REQUIRE(computed(s.take_outbox(), w2) == strings{"t"});
  s.task_missing(w2, "t", "d", {w1});
  auto out = s.take_outbox();
  CHECK(released(out, w1).empty());
  CHECK(s.who_has("d") == std::vector<worker_id>{w1});
  REQUIRE(computed(out, w2) == strings{"t"});
  CHECK(dispatched(out, w2, "t").holders == holder_lists{{w1}});
}

TEST_CASE("scheduler_state: an input its own worker lacks is recomputed", "[cluster]") {
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c = s.add_client("client");
  s.update_graph(c, {make_task("a"), make_task("b", {"a"})}, {"b"});
  CHECK(computed(s.take_outbox(), w) == strings{"a"});
  s.task_finished(w, "a", 8);
  CHECK(computed(s.take_outbox(), w) == strings{"b"});
  s.task_missing(w, "b");  // `a` should be on w but is not: computed again, then b
  CHECK(computed(s.take_outbox(), w) == strings{"a"});
  CHECK(s.state_of("b") == task_state::waiting);
  s.task_finished(w, "a", 8);
  CHECK(computed(s.take_outbox(), w) == strings{"b"});
}

TEST_CASE("scheduler_state: a worker that joins steals from a busy one", "[cluster]") {
  SchedulerState s;
  auto w1 = s.add_worker(make_worker("w1"));
  auto c = s.add_client("client");
  auto [tasks, keys] = numbered_tasks(10);
  s.update_graph(c, tasks, keys);
  CHECK(computed(s.take_outbox(), w1).size() == 10);
  auto w2 = s.add_worker(make_worker("w2"));  // one thread, idle: asks for up to two
  auto out = s.take_outbox();
  // The victim is asked for exactly the last two in priority order; nothing moves yet (one of
  // them may already run there: moving it anyway ran it twice).
  auto asked = out.workers[w1].steal;
  std::sort(asked.begin(), asked.end());
  CHECK(asked == strings{"t8", "t9"});
  CHECK(computed(out, w2).empty());
  CHECK(out.workers[w1].release.empty());
  CHECK(s.stolen_count() == 0);
  // Asked once: another pass does not ask again while the answer is on its way.
  s.task_finished(w1, "t0", 8);
  CHECK(s.take_outbox().workers[w1].steal.empty());
  // It gives back t8; t9 had started and stays.
  s.tasks_given_back(w1, {"t8"});
  CHECK(computed(s.take_outbox(), w2) == strings{"t8"});
  CHECK(s.stolen_count() == 1);
  CHECK(s.processing_count(w1) == 8);
  CHECK(s.processing_count(w2) == 1);
  s.task_finished(w1, "t9", 8);  // where it ran: kept, nothing released
  CHECK(s.take_outbox().workers[w1].release.empty());
  CHECK(s.state_of("t9") == task_state::memory);
  s.task_finished(w2, "t8", 8);
  CHECK(s.state_of("t8") == task_state::memory);
  // A give-back for a task that finished meanwhile, or that was never asked for, changes
  // nothing.
  s.tasks_given_back(w1, {"t9", "t1", "no-such-key"});
  CHECK(computed(s.take_outbox(), w2).empty());
  CHECK(s.state_of("t1") == task_state::processing);
  CHECK(s.processing_count(w1) == 7);
}

TEST_CASE("scheduler_state: a steal whose thief leaves puts the task back in the queue",
          "[cluster]") {
  SchedulerState s;
  auto w1 = s.add_worker(make_worker("w1"));
  auto c = s.add_client("client");
  auto [tasks, keys] = numbered_tasks(6);
  s.update_graph(c, tasks, keys);
  s.take_outbox();
  auto w2 = s.add_worker(make_worker("w2"));
  auto asked = s.take_outbox().workers[w1].steal;
  REQUIRE(!asked.empty());
  s.remove_worker(w2);
  s.take_outbox();
  s.tasks_given_back(w1, {asked.front()});
  // w1 is the only worker left: the task runs there again.
  CHECK(computed(s.take_outbox(), w1) == strings{asked.front()});
  CHECK(s.state_of(asked.front()) == task_state::processing);
}

TEST_CASE("scheduler_state: tasks an idle worker does not have run again", "[cluster]") {
  SchedulerState s;
  auto w = s.add_worker(make_worker("w"));
  auto c = s.add_client("client");
  s.update_graph(c, {make_task("a"), make_task("b")}, {"a", "b"});
  CHECK(computed(s.take_outbox(), w) == strings{"a", "b"});
  s.task_finished(w, "a", 8);
  s.take_outbox();
  CHECK(s.worker_idle(w) == 1);  // "b" was lost on the way: dispatched again
  CHECK(computed(s.take_outbox(), w) == strings{"b"});
  CHECK(s.state_of("b") == task_state::processing);
  s.task_finished(w, "b", 8);
  CHECK(events(s.take_outbox(), c) == strings{"b finished"});
  CHECK(s.worker_idle(w) == 0);
}

// -- placement -----------------------------------------------------------------------------------

TEST_CASE("scheduler_state: a task goes where its big input is even when busier",
          "[cluster]") {
  SchedulerState s;
  auto w1 = s.add_worker(make_worker("w1"));
  auto w2 = s.add_worker(make_worker("w2"));
  auto c = s.add_client("client");
  s.update_graph(c,
                 {make_task("r1", {}, 1), make_task("r2", {}, 2), make_task("r3", {}, 3),
                  make_task("r4", {}, 4)},
                 {"r1", "r2", "r3", "r4"});
  auto out = s.take_outbox();
  CHECK(computed(out, w1) == strings{"r1", "r3"});  // spread by occupancy
  CHECK(computed(out, w2) == strings{"r2", "r4"});
  s.task_finished(w1, "r1", 8);
  s.task_finished(w1, "r3", 8);
  s.take_outbox();
  REQUIRE(s.processing_count(w1) == 0);
  REQUIRE(s.processing_count(w2) == 2);

  s.data_placed(c, "small", 10, {w1});
  s.data_placed(c, "big", 1'000'000, {w2});
  s.take_outbox();
  s.update_graph(c, {make_task("free"), make_task("near_big", {"small", "big"})},
                 {"free", "near_big"});
  out = s.take_outbox();
  CHECK(computed(out, w1) == strings{"free"});  // no inputs: the emptier worker
  REQUIRE(computed(out, w2) == strings{"near_big"});
  CHECK(dispatched(out, w2, "near_big").holders == holder_lists{{w1}, {w2}});
  CHECK(s.processing_count(w2) == 3);
}

TEST_CASE("scheduler_state: root tasks beyond the worker slots stay queued", "[cluster]") {
  scheduler_options options;
  options.tasks_per_thread = 2;
  SchedulerState s(options);
  auto w1 = s.add_worker(make_worker("w1", 2));  // room for 2 * 2
  auto c = s.add_client("client");
  std::vector<task_spec> tasks;
  strings keys;
  for (int i = 0; i < 6; ++i) {
    keys.push_back("r" + std::to_string(i));
    tasks.push_back(make_task(keys.back(), {}, static_cast<std::uint64_t>(i)));
  }
  s.update_graph(c, tasks, keys);
  auto out = s.take_outbox();
  CHECK(computed(out, w1) == strings{"r0", "r1", "r2", "r3"});
  CHECK(s.processing_count(w1) == 4);
  CHECK(s.state_of("r4") == task_state::queued);
  CHECK(s.state_of("r5") == task_state::queued);

  s.task_finished(w1, "r2", 8);  // a slot frees: the next in order takes it
  out = s.take_outbox();
  CHECK(computed(out, w1) == strings{"r4"});
  CHECK(events(out, c) == strings{"r2 finished"});
  CHECK(s.state_of("r5") == task_state::queued);

  auto w2 = s.add_worker(make_worker("w2"));  // a new worker takes the rest
  out = s.take_outbox();
  CHECK(computed(out, w2) == strings{"r5"});
  CHECK(s.state_of("r5") == task_state::processing);
}

TEST_CASE("scheduler_state: queued tasks leave in priority order", "[cluster]") {
  scheduler_options options;
  options.tasks_per_thread = 1;
  SchedulerState s(options);
  auto c = s.add_client("client");
  auto low = make_task("low", {}, 0);
  auto high = make_task("high", {}, 5);
  high.priority = 10;
  s.update_graph(c, {make_task("first", {}, 0), make_task("second", {}, 1)}, {"first", "second"});
  s.update_graph(c, {low, high}, {"low", "high"});
  CHECK(s.take_outbox().empty());  // no worker yet
  CHECK(s.state_of("first") == task_state::queued);
  auto w = s.add_worker(make_worker("w"));
  CHECK(computed(s.take_outbox(), w) == strings{"high"});  // user priority first
  s.task_finished(w, "high", 8);
  CHECK(computed(s.take_outbox(), w) == strings{"first"});  // then older graphs
  s.task_finished(w, "first", 8);
  CHECK(computed(s.take_outbox(), w) == strings{"second"});  // then graph order
  s.task_finished(w, "second", 8);
  CHECK(computed(s.take_outbox(), w) == strings{"low"});
}

// -- scattered data ------------------------------------------------------------------------------

TEST_CASE("scheduler_state: a task runs on scattered data where it lies", "[cluster]") {
  SchedulerState s;
  auto w1 = s.add_worker(make_worker("w1"));
  auto w2 = s.add_worker(make_worker("w2"));
  auto c = s.add_client("client");
  s.data_placed(c, "d", 100, {w2});
  auto out = s.take_outbox();
  CHECK(events(out, c) == strings{"d finished"});
  CHECK(out.workers.empty());
  CHECK(s.state_of("d") == task_state::memory);
  CHECK(s.who_has("d") == std::vector<worker_id>{w2});
  CHECK(s.wanted_count("d") == 1);

  s.update_graph(c, {make_task("t", {"d"})}, {"t"});
  out = s.take_outbox();
  CHECK(computed(out, w1).empty());
  REQUIRE(computed(out, w2) == strings{"t"});
  CHECK(dispatched(out, w2, "t").holders == holder_lists{{w2}});
  s.task_finished(w2, "t", 8);
  CHECK(events(s.take_outbox(), c) == strings{"t finished"});

  s.release_keys(c, {"d"});
  CHECK(released(s.take_outbox(), w2) == strings{"d"});
  CHECK(s.state_of("d") == task_state::released);  // t, made from it, is still known
  s.release_keys(c, {"t"});
  CHECK(released(s.take_outbox(), w2) == strings{"t"});
  CHECK(s.task_count() == 0);
}

TEST_CASE("scheduler_state: data placed on an unknown worker is not held there", "[cluster]") {
  SchedulerState s;
  auto w1 = s.add_worker(make_worker("w1"));
  auto c = s.add_client("client");
  s.data_placed(c, "d", 100, {w1, 99, w1});
  CHECK(s.who_has("d") == std::vector<worker_id>{w1});
}

TEST_CASE("scheduler_state: scattered data lost with its only holder errs its dependents",
          "[cluster]") {
  SchedulerState s;
  auto w1 = s.add_worker(make_worker("w1"));
  auto w2 = s.add_worker(make_worker("w2"));
  auto c = s.add_client("client");
  s.data_placed(c, "d", 100, {w1});
  s.update_graph(c, {make_task("slow")}, {"slow"});
  s.update_graph(c, {make_task("t", {"d", "slow"})}, {"t"});
  auto out = s.take_outbox();
  CHECK(computed(out, w1) == strings{"slow"});
  CHECK(s.state_of("t") == task_state::waiting);
  s.release_keys(c, {"d", "slow"});  // the client keeps only t
  CHECK(s.take_outbox().empty());

  s.remove_worker(w1);
  out = s.take_outbox();
  CHECK(computed(out, w2).empty());  // slow is not rerun for an erred dependent
  REQUIRE(events(out, c) == strings{"t erred"});
  CHECK(event(out, c, 0).failure.key == "d");
  CHECK(event(out, c, 0).failure.type_name == "troupe::LostData");
  CHECK_THAT(event(out, c, 0).failure.message, Catch::Contains("scattered key d "));
  CHECK(s.state_of("t") == task_state::erred);
  s.release_keys(c, {"t"});
  CHECK(s.task_count() == 0);
}

TEST_CASE("scheduler_state: a scattered key lost while running its dependent errs both",
          "[cluster]") {
  SchedulerState s;
  auto w1 = s.add_worker(make_worker("w1"));
  auto w2 = s.add_worker(make_worker("w2"));
  auto c = s.add_client("client");
  s.data_placed(c, "d", 100, {w1});
  s.update_graph(c, {make_task("t", {"d"})}, {"t"});
  auto out = s.take_outbox();
  CHECK(computed(out, w1) == strings{"t"});
  s.remove_worker(w1);
  out = s.take_outbox();
  CHECK(computed(out, w2).empty());
  auto heard = events(out, c);
  std::sort(heard.begin(), heard.end());
  CHECK(heard == strings{"d erred", "d lost", "t erred"});
  for (const auto& e : out.clients.at(c))
    if (e.status == client_event::erred) {
      CHECK(e.failure.key == "d");
      CHECK(e.failure.type_name == "troupe::LostData");
    }
  CHECK(s.state_of("d") == task_state::erred);
  CHECK(s.state_of("t") == task_state::erred);
}

// -- scale ---------------------------------------------------------------------------------------

TEST_CASE("scheduler_state: a value used by 20000 dependents is forgotten after them",
          "[cluster]") {
  constexpr std::size_t n = 20'000;
  SchedulerState s;
  auto w = s.add_worker(make_worker("w", 4));
  auto c = s.add_client("client");
  std::vector<task_spec> tasks{make_task("v", {}, 0)};
  strings wanted;
  for (std::size_t i = 0; i < n; ++i) {
    wanted.push_back("d" + std::to_string(i));
    tasks.push_back(make_task(wanted.back(), {"v"}, i + 1));
  }
  s.update_graph(c, std::move(tasks), wanted);
  CHECK(s.task_count() == n + 1);
  CHECK(computed(s.take_outbox(), w) == strings{"v"});
  s.task_finished(w, "v", 1 << 20);

  std::size_t dispatched_count = 0;
  std::size_t finished_count = 0;
  std::size_t v_releases = 0;
  bool holders_ok = true;
  bool all_finished_before_v_released = true;
  for (;;) {
    auto out = s.take_outbox();
    for (const auto& e : out.clients[c]) finished_count += e.status == client_event::finished;
    for (const auto& key : released(out, w)) {
      if (key == "v") {
        ++v_releases;
        all_finished_before_v_released = finished_count == n;
      }
    }
    auto keys = computed(out, w);
    if (keys.empty()) break;
    for (const auto& d : out.workers[w].compute) holders_ok &= d.holders == holder_lists{{w}};
    dispatched_count += keys.size();
    for (const auto& key : keys) s.task_finished(w, key, 8);
  }
  CHECK(dispatched_count == n);
  CHECK(finished_count == n);
  CHECK(holders_ok);
  CHECK(v_releases == 1);
  CHECK(all_finished_before_v_released);
  CHECK(s.state_of("v") == task_state::released);
  CHECK(s.processing_count(w) == 0);

  // Released half at a time: v is forgotten only with its last dependent.
  strings first_half(wanted.begin(), wanted.begin() + n / 2);
  strings second_half(wanted.begin() + n / 2, wanted.end());
  s.release_keys(c, first_half);
  CHECK(released(s.take_outbox(), w).size() == n / 2);
  CHECK(s.task_count() == n / 2 + 1);
  CHECK(s.state_of("v") == task_state::released);
  s.release_keys(c, second_half);
  CHECK(released(s.take_outbox(), w).size() == n / 2);
  CHECK(s.task_count() == 0);
  CHECK(s.state_of("v") == task_state::forgotten);

  // The freed ids are reused cleanly: the same keys run again from scratch.
  s.update_graph(c, {make_task("v"), make_task("d0", {"v"})}, {"d0"});
  CHECK(computed(s.take_outbox(), w) == strings{"v"});
  s.task_finished(w, "v", 8);
  auto out = s.take_outbox();
  CHECK(computed(out, w) == strings{"d0"});
  s.task_finished(w, "d0", 8);
  out = s.take_outbox();
  CHECK(events(out, c) == strings{"d0 finished"});
  CHECK(released(out, w) == strings{"v"});
  CHECK(s.task_count() == 2);
}

TEST_CASE("scheduler_state: worker information and inspection", "[cluster]") {
  SchedulerState s;
  CHECK(s.workers().empty());
  auto w = s.add_worker(make_worker("alpha", 3));
  REQUIRE(s.info_of(w) != nullptr);
  CHECK(s.info_of(w)->name == "alpha");
  CHECK(s.info_of(w)->nthreads == 3);
  CHECK(s.info_of(w + 1) == nullptr);
  CHECK(s.state_of("none") == task_state::forgotten);
  CHECK(s.who_has("none").empty());
  CHECK(s.processing_count(w + 1) == 0);
  CHECK(std::string(troupe::cluster::to_string(task_state::queued)) == "queued");
  s.remove_worker(w);
  s.remove_worker(w);  // twice: nothing
  CHECK(s.workers().empty());
  CHECK(s.info_of(w) == nullptr);
}

TEST_CASE("priority_fifo: pops in priority order, whatever the order of pushes", "[cluster]") {
  // Runs in order, out of order and interleaved pops, against a sorted copy.
  std::mt19937 random(12);
  for (int round = 0; round < 50; ++round) {
    troupe::cluster::priority_fifo<int> queue;
    std::vector<int> pushed, popped;
    int next = 0;
    for (int step = 0; step < 400; ++step) {
      if (random() % 3 != 0) {
        // Mostly ascending values, sometimes one from anywhere.
        int value = random() % 5 == 0 ? static_cast<int>(random() % 1000) : (next += 3);
        queue.push(value);
        pushed.push_back(value);
      } else if (!queue.empty()) {
        // What is popped must be the least of what is in the queue now.
        auto least = std::min_element(pushed.begin(), pushed.end());
        REQUIRE(queue.top() == *least);
        popped.push_back(queue.top());
        queue.pop();
        pushed.erase(least);
      }
      REQUIRE(queue.size() == pushed.size());
    }
    std::sort(pushed.begin(), pushed.end());
    for (auto value : pushed) {
      REQUIRE(queue.top() == value);
      queue.pop();
    }
    CHECK(queue.empty());
  }
}

TEST_CASE("scheduler_state: tasks restricted to workers run only there", "[cluster]") {
  SchedulerState s;
  auto w1 = s.add_worker(make_worker("w1"));
  auto w2 = s.add_worker(make_worker("w2"));
  auto c = s.add_client("client");
  s.data_placed(c, "d", 1000, {w1});
  s.take_outbox();
  // Locality would put t on w1, which holds d: restricted to w2 (by name), it runs there.
  auto t = make_task("t", {"d"});
  t.workers = {"w2"};
  // Restricted to a worker not in the cluster: it waits, and does not hold up `free`.
  auto later = make_task("later");
  later.workers = {"inproc://w3"};
  s.update_graph(c, {t, later, make_task("free")}, {"t", "later", "free"});
  auto out = s.take_outbox();
  CHECK(computed(out, w2) == strings{"t"});
  CHECK(dispatched(out, w2, "t").holders == holder_lists{{w1}});
  CHECK(computed(out, w1).size() + computed(out, w2).size() == 2);  // t and free
  CHECK(s.state_of("later") == task_state::queued);
  // Work stealing does not move it to a worker it may not run on either.
  auto w4 = s.add_worker(make_worker("w4"));
  CHECK(computed(s.take_outbox(), w4).empty());
  // A worker it may run on joins (named by address): it runs there.
  auto w3 = s.add_worker(make_worker("w3"));
  CHECK(computed(s.take_outbox(), w3) == strings{"later"});
}
