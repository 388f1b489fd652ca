// WorkerState (a cluster worker's decisions) stepped call by call: which inputs it fetches
// from which peers, which tasks it hands out and in what order, and what data it keeps.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "actors/cluster/worker_state.hpp"
#include "core/function.hpp"

using troupe::Value;
using troupe::cluster::fetch_request;
using troupe::cluster::peer_id;
using troupe::cluster::runnable_task;
using troupe::cluster::task_spec;
using troupe::cluster::wire_arg;
using troupe::cluster::WorkerState;

namespace {

using strings = std::vector<std::string>;
using peers = std::vector<std::vector<peer_id>>;

wire_arg ref_arg(const std::string& key) {
  wire_arg a;
  a.kind = wire_arg::ref;
  a.key = key;
  return a;
}

wire_arg literal_arg(Value v) {
  wire_arg a;
  a.kind = wire_arg::literal;
  a.value.value = std::move(v);
  return a;
}

wire_arg list_arg(std::uint32_t items) {
  wire_arg a;
  a.kind = wire_arg::list;
  a.items = items;
  return a;
}

/// troupe.add over one ref per dependency (troupe.inc of a literal without any).
task_spec make_task(const std::string& key, const strings& deps = {}, std::int64_t priority = 0,
                    std::uint64_t order = 0) {
  task_spec s;
  s.key = key;
  s.function.function = troupe::find_function(deps.size() == 1 || deps.empty() ? "troupe.inc"
                                                                               : "troupe.add");
  if (deps.empty()) s.args.push_back(literal_arg(Value(std::int64_t{1})));
  for (const auto& d : deps) s.args.push_back(ref_arg(d));
  s.dependencies = deps;
  s.priority = priority;
  s.order = order;
  return s;
}

strings keys_of(const std::vector<troupe::cluster::missing_task>& tasks) {
  strings keys;
  for (const auto& t : tasks) keys.push_back(t.key);
  return keys;
}

strings keys_of(const std::vector<runnable_task>& tasks) {
  strings keys;
  for (const auto& t : tasks) keys.push_back(t.key);
  return keys;
}

std::int64_t as_int(const Value& v) { return v.as<std::int64_t>(); }

std::int64_t stored_int(const WorkerState& w, const std::string& key) {
  const Value* v = w.find(key);
  REQUIRE(v != nullptr);
  return as_int(*v);
}

bool same_requests(const std::vector<fetch_request>& got,
                   const std::vector<std::pair<peer_id, strings>>& expected) {
  if (got.size() != expected.size()) return false;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (got[i].peer != expected[i].first || got[i].keys != expected[i].second) return false;
  return true;
}

std::string describe(const std::vector<fetch_request>& requests) {
  std::string text;
  for (const auto& r : requests) {
    text += "peer " + std::to_string(r.peer) + ":";
    for (const auto& k : r.keys) text += " " + k;
    text += "; ";
  }
  return text;
}

}  // namespace

// -- local inputs ---------------------------------------------------------------------------------

TEST_CASE("worker_state: a task with local inputs is ready with its arguments resolved",
          "[cluster]") {
  WorkerState w;
  w.put("x", Value(std::int64_t{5}));
  auto spec = make_task("t");
  spec.function.function = troupe::find_function("troupe.add");
  // f(1, x, ["s", [x]]) flattened in pre-order.
  spec.args = {literal_arg(Value(std::int64_t{1})),
               ref_arg("x"),
               list_arg(2),
               literal_arg(Value("s")),
               list_arg(1),
               ref_arg("x")};
  spec.dependencies = {"x"};
  w.add_task(spec, {{}}, true);
  CHECK(w.take_fetches().empty());
  CHECK(w.ready_count() == 1);

  auto ready = w.take_ready(10);
  REQUIRE(ready.size() == 1);
  const auto& t = ready[0];
  CHECK(t.key == "t");
  CHECK(t.function == spec.function.function);
  CHECK(t.function_name == spec.function.name());
  CHECK(t.send_value);
  REQUIRE(t.args.size() == 3);
  CHECK(as_int(t.args[0]) == 1);
  CHECK(as_int(t.args[1]) == 5);
  REQUIRE(t.args[2].holds<std::vector<Value>>());
  const auto& outer = t.args[2].get<std::vector<Value>>();
  REQUIRE(outer.size() == 2);
  CHECK(outer[0].get<std::string>() == "s");
  REQUIRE(outer[1].holds<std::vector<Value>>());
  const auto& inner = outer[1].get<std::vector<Value>>();
  REQUIRE(inner.size() == 1);
  CHECK(as_int(inner[0]) == 5);

  CHECK(w.ready_count() == 0);
  CHECK(w.running_count() == 1);
  CHECK(w.take_ready(10).empty());

  CHECK(w.finish("t", Value(std::int64_t{7})));
  CHECK(w.running_count() == 0);
  CHECK(stored_int(w, "t") == 7);
  CHECK(stored_int(w, "x") == 5);
  CHECK(w.data_count() == 2);
  CHECK(w.data_nbytes() == w.find("t")->nbytes() + w.find("x")->nbytes());
}

TEST_CASE("worker_state: a ref argument shares the stored object", "[cluster]") {
  WorkerState w;
  w.put("xs", Value(std::vector<Value>{Value(1), Value(2), Value(3)}));
  w.add_task(make_task("t", {"xs"}), {{}}, false);
  auto ready = w.take_ready(1);
  REQUIRE(ready.size() == 1);
  REQUIRE(ready[0].args.size() == 1);
  CHECK_FALSE(ready[0].send_value);
  CHECK(ready[0].args[0].object_address() != nullptr);
  CHECK(ready[0].args[0].object_address() == w.find("xs")->object_address());
}

TEST_CASE("worker_state: a task assigned twice is taken once", "[cluster]") {
  WorkerState w;
  w.add_task(make_task("t"), {}, false);
  w.add_task(make_task("t"), {}, false);  // waiting: ignored
  CHECK(w.take_ready(10).size() == 1);
  w.add_task(make_task("t"), {}, false);  // running: ignored
  CHECK(w.take_ready(10).empty());
  CHECK(w.finish("t", Value(1)));
  w.add_task(make_task("t"), {}, false);  // in memory: ignored
  CHECK(w.take_ready(10).empty());
  CHECK(w.ready_count() == 0);
}

// -- fetching -------------------------------------------------------------------------------------

TEST_CASE("worker_state: missing inputs are fetched grouped by peer", "[cluster]") {
  WorkerState w;
  w.add_task(make_task("t1", {"a", "b"}), peers{{1, 2}, {1}}, false);
  w.add_task(make_task("t2", {"c"}), peers{{2}}, false);
  CHECK(w.ready_count() == 0);
  auto requests = w.take_fetches();
  INFO(describe(requests));
  CHECK(same_requests(requests, {{1, {"a", "b"}}, {2, {"c"}}}));
  CHECK(w.take_fetches().empty());  // in flight: asked once

  w.fetched("a", Value(std::int64_t{10}));
  CHECK(w.ready_count() == 0);  // still missing b
  w.fetched("b", Value(std::int64_t{20}));
  CHECK(w.ready_count() == 1);
  auto ready = w.take_ready(10);
  REQUIRE(keys_of(ready) == strings{"t1"});
  REQUIRE(ready[0].args.size() == 2);
  CHECK(as_int(ready[0].args[0]) == 10);
  CHECK(as_int(ready[0].args[1]) == 20);
  CHECK(w.data_count() == 2);
  CHECK(w.take_missing().empty());

  // A fetch nobody asked for is ignored.
  w.fetched("zzz", Value(1));
  CHECK(w.find("zzz") == nullptr);
}

TEST_CASE("worker_state: a key two tasks need is fetched once", "[cluster]") {
  WorkerState w;
  w.add_task(make_task("t1", {"a"}), peers{{1}}, false);
  w.add_task(make_task("t2", {"a"}), peers{{2}}, false);  // fetch already planned: same peer
  auto requests = w.take_fetches();
  INFO(describe(requests));
  CHECK(same_requests(requests, {{1, {"a"}}}));
  w.add_task(make_task("t3", {"a"}), peers{{3, 1}}, false);  // in flight from 1: joins it
  CHECK(w.take_fetches().empty());
  w.fetched("a", Value(std::int64_t{4}));
  CHECK(keys_of(w.take_ready(10)) == strings{"t1", "t2", "t3"});
  CHECK(w.data_count() == 1);
}

TEST_CASE("worker_state: a fetch from a peer the scheduler no longer names moves on",
          "[cluster]") {
  // Peer 1 died while asked; the scheduler assigns a task needing `a` again, naming peer 2
  // only: the fetch goes to 2 at once, and peer 1's late failure changes nothing.
  WorkerState w;
  w.add_task(make_task("t1", {"a"}), peers{{1}}, false);
  CHECK(same_requests(w.take_fetches(), {{1, {"a"}}}));
  w.add_task(make_task("t2", {"a"}), peers{{2}}, false);
  CHECK(same_requests(w.take_fetches(), {{2, {"a"}}}));
  w.fetch_failed("a", 1);
  CHECK(w.take_fetches().empty());
  CHECK(w.take_missing().empty());
  w.fetched("a", Value(std::int64_t{4}));
  CHECK(keys_of(w.take_ready(10)) == strings{"t1", "t2"});
}

TEST_CASE("worker_state: an input that does not decode fails its tasks, not fetched again",
          "[cluster]") {
  // Fetching it again, or having it recomputed (as a missing input would be), gets the same
  // bytes: a user function that made a corrupt value looped forever that way.
  WorkerState w;
  w.add_task(make_task("t1", {"bad", "ok"}), peers{{1, 2}, {1}}, false);
  w.add_task(make_task("t2", {"bad"}), peers{{1, 2}}, false);
  CHECK(same_requests(w.take_fetches(), {{1, {"bad", "ok"}}}));
  w.fetch_undecodable("bad", 2, "stale");  // not the peer asked: nothing
  CHECK(w.take_unloadable().empty());
  w.fetch_undecodable("bad", 1, "corrupt ndarray");
  auto failed = w.take_unloadable();
  REQUIRE(failed.size() == 2);
  CHECK(failed[0].first == "t1");
  CHECK(failed[0].second == "its input bad did not decode: corrupt ndarray");
  CHECK(failed[1].first == "t2");
  CHECK(w.take_fetches().empty());  // the other holder is not asked
  CHECK(w.take_missing().empty());  // nor is the input reported missing
  w.fetched("ok", Value(1));
  CHECK(w.take_ready(10).empty());
}

TEST_CASE("worker_state: a lost peer fails its fetches at once", "[cluster]") {
  WorkerState w;
  w.add_task(make_task("t", {"a", "b"}), peers{{1, 2}, {1}}, false);
  CHECK(same_requests(w.take_fetches(), {{1, {"a", "b"}}}));  // the first holder of each
  w.peer_lost(3);  // asked nothing: no change
  CHECK(w.take_fetches().empty());
  w.peer_lost(1);  // `a` goes to its next holder; `b` has none, so `t` goes back
  CHECK(same_requests(w.take_fetches(), {{2, {"a"}}}));
  CHECK(keys_of(w.take_missing()) == strings{"t"});
}

TEST_CASE("worker_state: a failed fetch tries the next holder then gives the task back",
          "[cluster]") {
  WorkerState w;
  w.add_task(make_task("t", {"d"}), peers{{4, 5}}, false);
  auto requests = w.take_fetches();
  INFO(describe(requests));
  CHECK(same_requests(requests, {{4, {"d"}}}));  // holders in the scheduler's order

  w.fetch_failed("d", 4);
  CHECK(w.take_missing().empty());
  requests = w.take_fetches();
  INFO(describe(requests));
  CHECK(same_requests(requests, {{5, {"d"}}}));

  w.fetch_failed("d", 5);
  CHECK(w.take_fetches().empty());
  auto missing = w.take_missing();
  REQUIRE(keys_of(missing) == strings{"t"});
  CHECK(missing[0].input == "d");  // what could not be fetched, and from whom
  CHECK(missing[0].failed_holders == std::vector<peer_id>{4, 5});
  CHECK(w.take_missing().empty());
  CHECK(w.ready_count() == 0);
  CHECK(w.take_ready(10).empty());

  // The scheduler assigns it again with a holder that has it.
  w.add_task(make_task("t", {"d"}), peers{{6}}, false);
  requests = w.take_fetches();
  INFO(describe(requests));
  CHECK(same_requests(requests, {{6, {"d"}}}));
  w.fetched("d", Value(std::int64_t{1}));
  CHECK(keys_of(w.take_ready(10)) == strings{"t"});
}

TEST_CASE("worker_state: an input with no holder at all gives the task back", "[cluster]") {
  WorkerState w;
  w.add_task(make_task("t", {"here", "nowhere"}), peers{{3}}, false);  // one list short
  auto requests = w.take_fetches();
  INFO(describe(requests));
  CHECK(same_requests(requests, {{3, {"here"}}}));
  CHECK(keys_of(w.take_missing()) == strings{"t"});
  // The copy of `here` still coming is not kept for a task that is gone.
  w.fetched("here", Value(1));
  CHECK(w.data_count() == 0);
}

TEST_CASE("worker_state: a lost input gives back every task that waited on it", "[cluster]") {
  WorkerState w;
  w.add_task(make_task("t1", {"a", "b"}), peers{{1}, {2}}, false);
  w.add_task(make_task("t2", {"b"}), peers{{2}}, false);
  w.take_fetches();
  w.fetched("a", Value(1));
  CHECK(w.data_count() == 1);
  w.fetch_failed("b", 2);
  auto missing = keys_of(w.take_missing());
  std::sort(missing.begin(), missing.end());
  CHECK(missing == strings{"t1", "t2"});
  CHECK(w.data_count() == 0);  // t1's copy of a is no longer needed
  CHECK(w.ready_count() == 0);
}

// -- order ----------------------------------------------------------------------------------------

TEST_CASE("worker_state: ready tasks leave by priority then order then arrival", "[cluster]") {
  WorkerState w;
  w.add_task(make_task("p0", {}, 0, 5), {}, false);
  w.add_task(make_task("p1", {}, 1, 9), {}, false);
  w.add_task(make_task("p2", {}, 0, 1), {}, false);
  w.add_task(make_task("p3", {}, 1, 3), {}, false);
  w.add_task(make_task("p4", {}, 0, 1), {}, false);  // as p2, but later
  w.add_task(make_task("neg", {}, -1, 0), {}, false);
  CHECK(w.ready_count() == 6);
  CHECK(keys_of(w.take_ready(2)) == strings{"p3", "p1"});
  CHECK(w.running_count() == 2);
  CHECK(keys_of(w.take_ready(10)) == strings{"p2", "p4", "p0", "neg"});
  CHECK(w.running_count() == 6);
  CHECK(w.take_ready(0).empty());
}

TEST_CASE("worker_state: a task made ready by a fetch takes its place by priority",
          "[cluster]") {
  WorkerState w;
  w.add_task(make_task("later", {}, 0, 10), {}, false);
  w.add_task(make_task("urgent", {"x"}, 5, 20), peers{{1}}, false);
  w.take_fetches();
  w.fetched("x", Value(1));
  CHECK(keys_of(w.take_ready(10)) == strings{"urgent", "later"});
}

// -- release --------------------------------------------------------------------------------------

TEST_CASE("worker_state: a task released while running is dropped when it ends",
          "[cluster]") {
  WorkerState w;
  w.add_task(make_task("t"), {}, false);
  w.add_task(make_task("u"), {}, false);
  REQUIRE(w.take_ready(2).size() == 2);
  w.release("t");
  w.release("u");
  CHECK(w.running_count() == 2);  // still running: the executor has them
  CHECK_FALSE(w.finish("t", Value(1)));
  CHECK(w.find("t") == nullptr);
  CHECK_FALSE(w.fail("u"));
  CHECK(w.running_count() == 0);
  CHECK(w.data_count() == 0);
  // Unknown keys: nothing to finish.
  CHECK_FALSE(w.finish("t", Value(1)));
  CHECK_FALSE(w.fail("nope"));
}

TEST_CASE("worker_state: a failed task is reported once", "[cluster]") {
  WorkerState w;
  w.add_task(make_task("t", {"x"}), peers{{1}}, false);
  w.take_fetches();
  w.fetched("x", Value(1));
  REQUIRE(w.take_ready(1).size() == 1);
  CHECK(w.fail("t"));
  CHECK(w.find("t") == nullptr);
  CHECK(w.data_count() == 0);  // its fetched input goes with it
  CHECK_FALSE(w.fail("t"));
}

TEST_CASE("worker_state: a released waiting task is not handed out", "[cluster]") {
  WorkerState w;
  w.add_task(make_task("gone"), {}, false);
  w.add_task(make_task("stays", {}, 0, 1), {}, false);
  w.release("gone");
  CHECK(keys_of(w.take_ready(10)) == strings{"stays"});
  CHECK(w.running_count() == 1);
}

TEST_CASE("worker_state: a released task skipped by take_ready does not use up its count",
          "[cluster]") {
  // The worker actor's feed_executors asks for ready_count() / slots (often 1) and stops at
  // an empty batch: a released task must leave the ready queue, or a ready one waits unfed.
  WorkerState w;
  w.add_task(make_task("gone", {}, 1), {}, false);
  w.add_task(make_task("stays"), {}, false);
  w.release("gone");
  CHECK(w.ready_count() == 1);
  CHECK(keys_of(w.take_ready(1)) == strings{"stays"});
}

TEST_CASE("worker_state: releasing data removes it", "[cluster]") {
  WorkerState w;
  w.put("x", Value(std::int64_t{3}));
  w.put("y", Value(std::vector<Value>{Value(1), Value(2)}));
  CHECK(w.data_count() == 2);
  const auto y_bytes = w.find("y")->nbytes();
  CHECK(w.data_nbytes() == w.find("x")->nbytes() + y_bytes);
  w.release("x");
  CHECK(w.find("x") == nullptr);
  CHECK(w.data_count() == 1);
  CHECK(w.data_nbytes() == y_bytes);
  w.release("y");
  w.release("y");
  w.release("never");
  CHECK(w.data_count() == 0);
  CHECK(w.data_nbytes() == 0);
}

TEST_CASE("worker_state: a fetched copy is dropped after the last local task using it",
          "[cluster]") {
  WorkerState w;
  w.add_task(make_task("t1", {"a"}), peers{{1}}, false);
  w.add_task(make_task("t2", {"a"}), peers{{1}}, false);
  w.take_fetches();
  w.fetched("a", Value(std::int64_t{100}));
  CHECK(w.data_count() == 1);
  auto ready = w.take_ready(2);
  CHECK(keys_of(ready) == strings{"t1", "t2"});

  CHECK(w.finish("t1", Value(std::int64_t{101})));
  CHECK(w.find("a") != nullptr);  // t2 still uses it
  w.release("a");                 // the scheduler is done with it: t2 still needs the copy
  CHECK(w.find("a") != nullptr);
  CHECK(w.data_count() == 2);

  // A task assigned while the copy is here uses it without fetching.
  w.add_task(make_task("t3", {"a"}), peers{{1}}, false);
  CHECK(w.take_fetches().empty());
  auto t3 = w.take_ready(1);
  REQUIRE(keys_of(t3) == strings{"t3"});
  CHECK(as_int(t3[0].args[0]) == 100);

  CHECK(w.finish("t2", Value(std::int64_t{102})));
  CHECK(w.find("a") != nullptr);  // t3 uses it
  CHECK(w.finish("t3", Value(std::int64_t{103})));
  CHECK(w.find("a") == nullptr);
  CHECK(w.data_count() == 3);  // t1, t2, t3: results are kept
  CHECK(w.data_nbytes() ==
        w.find("t1")->nbytes() + w.find("t2")->nbytes() + w.find("t3")->nbytes());
  CHECK(stored_int(w, "t3") == 103);
}

TEST_CASE("worker_state: a local input is not dropped when its dependent finishes",
          "[cluster]") {
  WorkerState w;
  w.put("mine", Value(std::int64_t{1}));
  w.add_task(make_task("t", {"mine"}), {{}}, false);
  REQUIRE(w.take_ready(1).size() == 1);
  CHECK(w.finish("t", Value(2)));
  CHECK(w.find("mine") != nullptr);
  CHECK(w.data_count() == 2);
}

TEST_CASE("worker_state: a released waiting task lets go of its fetched inputs",
          "[cluster]") {
  WorkerState w;
  w.add_task(make_task("t", {"a", "b"}), peers{{1}, {2}}, false);
  w.take_fetches();
  w.fetched("a", Value(1));
  CHECK(w.data_count() == 1);
  w.release("t");
  CHECK(w.data_count() == 0);  // a was only here for t
  w.fetched("b", Value(2));    // arrives after all: nobody needs it
  CHECK(w.data_count() == 0);
  CHECK(w.ready_count() == 0);
  CHECK(w.take_missing().empty());
}

TEST_CASE("worker_state: a task released while running and assigned again is not lost",
          "[cluster]") {
  // The scheduler releases a running task (say its input's holder died) and assigns it again
  // before the first run ends: the run under way serves the new assignment.
  WorkerState w;
  w.add_task(make_task("t"), {}, false);
  REQUIRE(w.take_ready(1).size() == 1);
  w.release("t");
  w.add_task(make_task("t"), {}, true);
  CHECK(w.finish("t", Value(1)));
  CHECK(w.take_ready(1).empty());
}

TEST_CASE("worker_state: a task assigned for a key held as a fetched copy is not lost",
          "[cluster]") {
  // The worker fetched `a` for a local task; a's holder dies and the scheduler, which does not
  // know of this copy, assigns `a` itself here: the copy becomes the worker's own result, is
  // reported done at once, and stays when the local task ends.
  WorkerState w;
  w.add_task(make_task("t", {"a"}), peers{{1}}, false);
  w.take_fetches();
  w.fetched("a", Value(std::int64_t{5}));
  REQUIRE(w.take_ready(1).size() == 1);
  w.add_task(make_task("a"), {}, false);
  CHECK(w.take_ready(1).empty());
  auto done = w.take_already_done();
  REQUIRE(done.size() == 1);
  CHECK(done.front().first == "a");
  CHECK(w.finish("t", Value(std::int64_t{6})));
  REQUIRE(w.find("a") != nullptr);
  CHECK(w.find("a")->as<std::int64_t>() == 5);
}
