#include "core/critical_path_order.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <deque>
#include <limits>
#include <unordered_map>

namespace troupe {

namespace {

constexpr std::uint32_t not_run = std::numeric_limits<std::uint32_t>::max();

// The roots each node reaches (for graphs with more than 64 roots), listed up to reach_cap, in
// one arena: a set is a span of it, shared by every node that reaches exactly what one of its
// inputs reaches (most nodes of a deep graph). Set 0 stands for "many". The arena has a budget linear in the graph,
// so a graph whose sets keep growing costs O(n·reach_cap) at most; past the budget new unions
// count as many (Dask's test graphs stay far below it).
class reach_sets {
 public:
  static constexpr std::uint32_t many = 0;

  explicit reach_sets(std::size_t nodes) : budget_(16 * nodes + 4096) { spans_.push_back({0, 0}); }

  std::uint32_t single(task_index v) {
    data_.push_back(v);
    return add_span(data_.size() - 1);
  }

  /// The union of distinct sets `parts`.
  std::uint32_t merge(const std::vector<std::uint32_t>& parts) {
    std::uint32_t largest = parts.front();
    for (std::uint32_t p : parts) {
      if (p == many) return many;
      if (size(p) > size(largest)) largest = p;
    }
    bool covers_all = true;
    for (std::uint32_t p : parts) {
      if (p != largest && !std::includes(begin(largest), end(largest), begin(p), end(p))) {
        covers_all = false;
        break;
      }
    }
    if (covers_all) return largest;
    scratch_.assign(begin(largest), end(largest));
    for (std::uint32_t p : parts) {
      if (p == largest) continue;
      merged_.clear();
      std::set_union(scratch_.begin(), scratch_.end(), begin(p), end(p),
                     std::back_inserter(merged_));
      scratch_.swap(merged_);
      if (scratch_.size() > reach_cap) return many;
    }
    if (data_.size() + scratch_.size() > budget_) return many;
    const std::size_t first = data_.size();
    data_.insert(data_.end(), scratch_.begin(), scratch_.end());
    return add_span(first);
  }

  std::size_t count(std::uint32_t set) const { return set == many ? reach_cap + 1 : size(set); }
  const task_index* begin(std::uint32_t set) const { return data_.data() + spans_[set].first; }
  const task_index* end(std::uint32_t set) const { return data_.data() + spans_[set].second; }

 private:
  std::size_t size(std::uint32_t set) const { return spans_[set].second - spans_[set].first; }

  std::uint32_t add_span(std::size_t first) {
    spans_.emplace_back(static_cast<std::uint32_t>(first), static_cast<std::uint32_t>(data_.size()));
    return static_cast<std::uint32_t>(spans_.size() - 1);
  }

  std::size_t budget_;
  std::vector<task_index> data_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> spans_;
  std::vector<task_index> scratch_;
  std::vector<task_index> merged_;
};

class critical_path_orderer {
 public:
  explicit critical_path_orderer(const task_graph& g) : g_(g), n_(g.size()) {
    count_edges();
    compute_sort_metrics();
    compute_reached_sinks();
    position_.assign(n_, not_run);
    in_runnable_hull_.assign(n_, 0);
    in_reachable_hull_.assign(n_, 0);
    has_known_paths_.assign(n_, 0);
    num_needed_ = num_dependencies_;
    sequence_.reserve(n_);
    set_up_targets();
  }

  std::vector<task_index> run() {
    while (tasks_run_ < num_tasks_) {
      const task_index target = next_target();
      build_critical_path(target);
      walk_critical_path();
      process_runnables();
    }
    for (task_index v = 0; v < n_; ++v)  // kept for safety: every node has run by now
      if (position_[v] == not_run) emit(v);
    return std::move(sequence_);
  }

 private:
  // --- the graph the order sees ------------------------------------------------------------
  // Its nodes ("tasks" below): the tasks, and the literals that feed at most one task (as
  // dask.order keeps data nodes with one dependent: they lengthen that task's chain). A literal
  // shared by several tasks takes no part: it runs just before its first user, and holding it
  // costs nothing.
  bool takes_part(task_index v) const { return takes_part_[v] != 0; }

  /// Calls f on each of v's dependencies that takes part.
  template <class F>
  void for_each_input(task_index v, F&& f) const {
    for (task_index d : g_.dependencies_of(v))
      if (takes_part(d)) f(d);
  }

  void count_edges() {
    takes_part_.resize(n_);
    for (task_index v = 0; v < n_; ++v)
      takes_part_[v] = !g_.is_literal(v) || g_.dependents_of(v).size() <= 1;
    num_dependencies_.assign(n_, 0);
    for (task_index v = 0; v < n_; ++v) {
      if (!takes_part(v)) continue;
      ++num_tasks_;
      for_each_input(v, [&](task_index) { ++num_dependencies_[v]; });
    }
  }

  bool is_root(task_index v) const { return takes_part(v) && num_dependencies_[v] == 0; }
  bool is_sink(task_index v) const { return takes_part(v) && g_.dependents_of(v).size() == 0; }

  // --- static metrics (index order is topological) ------------------------------------------
  void compute_sort_metrics() {
    sort_fields_.assign(n_, {});
    std::vector<task_index> roots;
    for (task_index v = 0; v < n_; ++v) {
      if (!takes_part(v)) continue;
      if (num_dependencies_[v] == 0) {
        roots.push_back(v);
        sort_fields_[v].total_dependencies = 1;
        sort_fields_[v].max_dependents = static_cast<std::uint32_t>(g_.dependents_of(v).size());
        continue;
      }
      double total = 1;
      std::uint32_t most = 0;
      for_each_input(v, [&](task_index d) {
        total += sort_fields_[d].total_dependencies;
        most = std::max(most, sort_fields_[d].max_dependents);
      });
      sort_fields_[v].total_dependencies = total;
      sort_fields_[v].max_dependents = most;
    }
    // A root reaches no root but itself and counts none, as in dask.order.
    if (roots.size() <= 64) {
      count_roots_reached_by_bits(roots);
    } else {
      count_roots_reached_by_sets();
    }
  }

  // Few roots (the common case of a graph fed by a few inputs): one bit per root.
  void count_roots_reached_by_bits(const std::vector<task_index>& roots) {
    std::vector<std::uint64_t> reach(n_, 0);
    for (std::size_t i = 0; i < roots.size(); ++i) reach[roots[i]] = std::uint64_t{1} << i;
    for (task_index v = 0; v < n_; ++v) {
      if (!takes_part(v) || num_dependencies_[v] == 0) continue;
      std::uint64_t bits = 0;
      for_each_input(v, [&](task_index d) { bits |= reach[d]; });
      reach[v] = bits;
      sort_fields_[v].roots_reached = static_cast<std::uint32_t>(std::popcount(bits));
    }
  }

  void count_roots_reached_by_sets() {
    reach_sets sets(n_);
    std::vector<std::uint32_t> reach(n_, reach_sets::many);
    std::vector<std::uint32_t> parts;
    for (task_index v = 0; v < n_; ++v) {
      if (!takes_part(v)) continue;
      if (num_dependencies_[v] == 0) {
        reach[v] = sets.single(v);
        continue;
      }
      parts.clear();
      for_each_input(v, [&](task_index d) { parts.push_back(reach[d]); });
      // Distinct sets only (sorting: a node may have a million inputs).
      std::sort(parts.begin(), parts.end());
      parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
      reach[v] = parts.size() == 1 ? parts.front() : sets.merge(parts);
      sort_fields_[v].roots_reached = static_cast<std::uint32_t>(sets.count(reach[v]));
    }
  }

  // The sinks each root reaches (for the sinks' count of roots still to run), found by a walk
  // forward from the root that stops once it has seen more than reach_cap of them. The walks
  // share one budget linear in the graph; past it a root counts as reaching many.
  void compute_reached_sinks() {
    root_sinks_.assign(n_, {0, 0});
    std::vector<task_index> seen_by(n_, not_run);
    std::vector<task_index> stack;
    std::size_t budget = 16 * n_ + 4096;
    for (task_index r = 0; r < n_; ++r) {
      if (!is_root(r) || g_.dependents_of(r).size() == 0) continue;
      const auto first = static_cast<std::uint32_t>(sink_lists_.size());
      bool many = budget == 0;
      stack.assign(1, r);
      seen_by[r] = r;
      while (!many && !stack.empty()) {
        const task_index v = stack.back();
        stack.pop_back();
        const auto dependents = g_.dependents_of(v);
        if (dependents.size() == 0) {
          sink_lists_.push_back(v);
          many = sink_lists_.size() - first > reach_cap;
          continue;
        }
        for (task_index d : dependents) {
          if (seen_by[d] == r) continue;
          seen_by[d] = r;
          stack.push_back(d);
          if (--budget == 0) {
            many = true;
            break;
          }
        }
      }
      if (many) {
        sink_lists_.resize(first);
        root_sinks_[r] = {first, many_sinks};
      } else {
        root_sinks_[r] = {first, static_cast<std::uint32_t>(sink_lists_.size())};
      }
    }
  }

  static constexpr std::uint32_t many_sinks = not_run;

  std::size_t sinks_reached(task_index root) const {
    const auto [first, last] = root_sinks_[root];
    return last == many_sinks ? reach_cap + 1 : last - first;
  }

  // Smallest first: less work behind, fewer dependencies, fewer roots, roots with more
  // dependents, then the key.
  bool key_less(task_index a, task_index b) const {
    const sort_fields& x = sort_fields_[a];
    const sort_fields& y = sort_fields_[b];
    if (x.total_dependencies != y.total_dependencies)
      return x.total_dependencies < y.total_dependencies;
    if (num_dependencies_[a] != num_dependencies_[b])
      return num_dependencies_[a] < num_dependencies_[b];
    if (x.roots_reached != y.roots_reached) return x.roots_reached < y.roots_reached;
    if (x.max_dependents != y.max_dependents) return x.max_dependents > y.max_dependents;
    return g_.keys[a] < g_.keys[b];
  }

  void sort_by_key(std::vector<task_index>& nodes) const {
    std::sort(nodes.begin(), nodes.end(),
              [this](task_index a, task_index b) { return key_less(a, b); });
  }

  // --- targets -----------------------------------------------------------------------------
  // Sinks that are not roots wait in buckets by the number of their roots not yet run.
  void set_up_targets() {
    std::vector<task_index> roots;
    std::vector<task_index> sinks;
    for (task_index v = 0; v < n_; ++v) {
      if (is_root(v)) roots.push_back(v);
      if (is_sink(v)) sinks.push_back(v);
    }
    pending_sink_.assign(n_, 0);
    sink_degree_.assign(n_, 0);
    slot_in_bucket_.assign(n_, not_run);
    buckets_.assign(reach_cap + 2, {});
    min_degree_ = no_degree();
    for (task_index s : sinks) {
      pending_sink_[s] = 1;
      if (is_root(s)) continue;
      const auto degree = sort_fields_[s].roots_reached;
      sink_degree_[s] = degree;
      add_to_bucket(s);
      min_degree_ = std::min(min_degree_, degree);
    }
    sorted_sinks_ = std::move(sinks);
    sort_by_key(sorted_sinks_);
    // Graphs that stay about as wide as they start and are symmetric take the quickest sink
    // first; reducers and splitters take the one with the longest path behind it first.
    if (!prefers_longest_path(roots)) std::reverse(sorted_sinks_.begin(), sorted_sinks_.end());
  }

  bool prefers_longest_path(const std::vector<task_index>& roots) const {
    if (roots.empty()) return true;
    const double roots_count = static_cast<double>(roots.size());
    const double change =
        std::abs(roots_count - static_cast<double>(sorted_sinks_.size())) / roots_count;
    if (change >= 0.8) return true;
    std::size_t size = 0;
    for (task_index r : roots) {
      const std::size_t reached = sinks_reached(r);
      if (size == 0) {
        size = reached;
      } else if (size != reached) {
        return false;
      }
    }
    return true;
  }

  std::uint32_t no_degree() const { return static_cast<std::uint32_t>(buckets_.size()); }

  void add_to_bucket(task_index s) {
    auto& bucket = buckets_[sink_degree_[s]];
    slot_in_bucket_[s] = static_cast<std::uint32_t>(bucket.size());
    bucket.push_back(s);
  }

  void remove_from_bucket(task_index s) {
    auto& bucket = buckets_[sink_degree_[s]];
    const std::uint32_t slot = slot_in_bucket_[s];
    bucket[slot] = bucket.back();
    slot_in_bucket_[bucket[slot]] = slot;
    bucket.pop_back();
    slot_in_bucket_[s] = not_run;
  }

  void raise_min_degree() {
    while (min_degree_ < no_degree() && buckets_[min_degree_].empty()) ++min_degree_;
  }

  // A root ran: every sink it reaches needs one root fewer.
  void root_ran(task_index root) {
    const auto [first, last] = root_sinks_[root];
    if (last == many_sinks) return;
    for (std::uint32_t i = first; i < last; ++i) {
      const task_index s = sink_lists_[i];
      if (slot_in_bucket_[s] == not_run) continue;
      remove_from_bucket(s);
      if (sink_degree_[s] > 1) {
        --sink_degree_[s];
        add_to_bucket(s);
        min_degree_ = std::min(min_degree_, sink_degree_[s]);
      }
    }
    raise_min_degree();
  }

  // Scanning a whole bucket per target would be quadratic on graphs with many sinks; the
  // first ones of a big bucket stand for it.
  static constexpr std::size_t bucket_scan_limit = 32;

  task_index next_target() {
    if (reachable_count_ > 0 && min_degree_ < no_degree()) {
      const auto& bucket = buckets_[min_degree_];
      const std::size_t scan = std::min(bucket.size(), bucket_scan_limit);
      task_index best = not_run;
      for (std::size_t i = 0; i < scan; ++i)
        if (in_reachable_hull_[bucket[i]] && (best == not_run || key_less(bucket[i], best)))
          best = bucket[i];
      if (best == not_run)
        for (std::size_t i = 0; i < scan; ++i)
          if (best == not_run || key_less(bucket[i], best)) best = bucket[i];
      return best;
    }
    while (!sorted_sinks_.empty()) {
      const task_index s = sorted_sinks_.back();
      sorted_sinks_.pop_back();
      if (position_[s] == not_run) return s;
    }
    // Every sink has run, so every task has; kept for safety against a broken invariant.
    for (task_index v = 0; v < n_; ++v)
      if (takes_part(v) && position_[v] == not_run) return v;
    return 0;
  }

  // --- emitting -----------------------------------------------------------------------------
  void emit(task_index v) {
    position_[v] = static_cast<std::uint32_t>(sequence_.size());
    sequence_.push_back(v);
  }

  void mark_reachable(task_index v) {
    if (!in_reachable_hull_[v]) {
      in_reachable_hull_[v] = 1;
      ++reachable_count_;
    }
  }

  void unmark_reachable(task_index v) {
    if (in_reachable_hull_[v]) {
      in_reachable_hull_[v] = 0;
      --reachable_count_;
    }
  }

  // Runs `item`, and with it each dependent that it alone completes (a chain).
  void add_to_result(task_index item) {
    std::vector<task_index>& next = add_stack_;
    const std::size_t base = next.size();
    next.push_back(item);
    while (next.size() > base) {
      const task_index v = next.back();
      next.pop_back();
      in_runnable_hull_[v] = 0;
      unmark_reachable(v);
      if (position_[v] != not_run) continue;
      for (task_index d : g_.dependencies_of(v))  // its literals just before it
        if (!takes_part(d) && position_[d] == not_run) emit(d);
      emit(v);
      ++tasks_run_;
      if (pending_sink_[v]) {
        pending_sink_[v] = 0;
        if (slot_in_bucket_[v] != not_run) {
          remove_from_bucket(v);
          raise_min_degree();
        }
      }
      if (num_dependencies_[v] == 0) root_ran(v);
      const auto dependents = g_.dependents_of(v);
      for (task_index d : dependents) {
        mark_reachable(d);
        if (--num_needed_[d] == 0) {
          if (dependents.size() == 1) {
            next.push_back(d);
          } else {
            runnable_.push_back(d);
          }
        }
      }
    }
  }

  void add_path(const std::vector<task_index>& path) {
    for (task_index k : path) add_to_result(k);
  }

  // --- the critical path ----------------------------------------------------------------------
  void unrun_task_dependencies(task_index v, std::vector<task_index>& out) const {
    out.clear();
    for_each_input(v, [&](task_index d) {
      if (position_[d] == not_run) out.push_back(d);
    });
  }

  void build_critical_path(task_index target) {
    path_.clear();
    path_.push_back(target);
    std::vector<task_index>& deps = deps_;
    deps.clear();
    for_each_input(target, [&](task_index d) { deps.push_back(d); });
    while (!deps.empty()) {
      task_index item = deps.front();
      for (task_index d : deps)
        if (key_less(item, d)) item = d;
      path_.push_back(item);
      unrun_task_dependencies(item, deps);
      sort_by_key(deps);
      path_.insert(path_.end(), deps.begin(), deps.end());
    }
  }

  void walk_critical_path() {
    bool walked_back = false;
    std::vector<task_index>& deps = deps_;
    std::vector<task_index>& unknown = unknown_;
    std::vector<task_index>& known = known_;
    while (!path_.empty()) {
      const task_index item = path_.back();
      path_.pop_back();
      if (position_[item] != not_run) continue;
      if (num_needed_[item] > 0) {
        path_.push_back(item);
        unrun_task_dependencies(item, deps);
        sort_by_key(deps);
        unknown.clear();
        known.clear();
        for (task_index d : deps) (has_known_paths_[d] ? known : unknown).push_back(d);
        if (unknown.size() > 1) walked_back = true;
        path_.insert(path_.end(), unknown.begin(), unknown.end());
        for (task_index d : known) {
          auto paths = take_known_paths(d);
          for (const auto& p : paths) path_.insert(path_.end(), p.rbegin(), p.rend());
        }
        continue;
      }
      if (walked_back && runnable_.size() < path_.size()) process_runnables();
      add_to_result(item);
    }
  }

  // --- runnable tasks off the critical path -------------------------------------------------
  using path_t = std::vector<task_index>;

  void process_runnables() {
    while (!runnable_.empty()) {
      std::vector<task_index> candidates;
      candidates.swap(runnable_);
      while (!candidates.empty()) {
        const task_index key = candidates.back();
        candidates.pop_back();
        if (in_runnable_hull_[key] || position_[key] != not_run) continue;
        if (pending_sink_[key]) {
          add_to_result(key);
          continue;
        }
        follow_runnable(key);
      }
    }
  }

  // Follows a runnable task forward along chains and through splitters, until each branch
  // ends in a sink or reaches a task with other inputs; see the header for what happens then.
  void follow_runnable(task_index key) {
    if (splits_nowhere(key)) {
      in_runnable_hull_[key] = 1;  // what the walk below would conclude, without its lists
      return;
    }
    auto& branches = branches_;  // empty between calls; a member to keep its memory
    branches.emplace_back(0, path_t{key});
    while (!branches.empty()) {
      auto [splits, path] = std::move(branches.front());
      branches.pop_front();
      while (true) {
        const task_index current = path.back();
        in_runnable_hull_[current] = 1;
        const auto downstream = g_.dependents_of(current);
        if (downstream.size() == 0) {
          if (num_needed_[current] <= 1) {
            add_path(path);
          } else {
            in_runnable_hull_[current] = 0;
          }
        } else if (path.size() == 1 || num_dependencies_[current] == 1) {
          if (downstream.size() > 1) {
            ++splits;
            std::vector<task_index>& next = next_;
            next.assign(downstream.begin(), downstream.end());
            sort_by_key(next);
            for (task_index d : next) {
              if (num_dependencies_[d] != 1) continue;  // splitting, not interleaving
              path_t branch = path;
              branch.push_back(d);
              branches.emplace_back(splits, std::move(branch));
            }
            break;
          }
          path.push_back(*downstream.begin());
          continue;
        } else if (has_known_paths_[current]) {
          auto& known = known_paths_[current];
          known.push_back(std::move(path));
          in_runnable_hull_[current] = 0;
          if (known.size() >= num_needed_[current]) {
            std::deque<path_t> pruned;
            for (auto& p : take_known_paths(current))
              if (position_[p[p.size() - 2]] == not_run) pruned.push_back(std::move(p));
            if (pruned.size() < num_needed_[current]) {
              for (auto& p : pruned) remember_path(current, std::move(p));
            } else if (splits > 1) {
              path_t joined;
              for (const auto& p : pruned) joined.insert(joined.end(), p.begin(), p.end());
              branches.emplace_back(splits - 1, std::move(joined));
              break;
            } else {
              run_paths(pruned);
            }
          }
        } else if (num_dependencies_[current] > 1 && num_needed_[current] <= 1) {
          add_path(path);
        } else {
          remember_path(current, std::move(path));
          in_runnable_hull_[current] = 0;
        }
        break;
      }
    }
  }

  // A runnable task with several dependents, none of which depends on it alone: following it
  // opens no branch (the common case in dense graphs).
  bool splits_nowhere(task_index key) const {
    const auto downstream = g_.dependents_of(key);
    if (downstream.size() < 2) return false;
    for (task_index d : downstream)
      if (num_dependencies_[d] == 1) return false;
    return true;
  }

  // Paths that end at a reducer still waiting for other inputs, kept until it can run.
  void remember_path(task_index reducer, path_t path) {
    has_known_paths_[reducer] = 1;
    known_paths_[reducer].push_back(std::move(path));
  }

  std::vector<path_t> take_known_paths(task_index reducer) {
    has_known_paths_[reducer] = 0;
    auto node = known_paths_.extract(reducer);
    return node ? std::move(node.mapped()) : std::vector<path_t>{};
  }

  // Runs each path up to the first task still waiting for inputs; paths that stop early go
  // round again once the others have run. A round without progress ends it (the remaining
  // tasks run later, from the critical path).
  void run_paths(std::deque<path_t>& paths) {
    std::size_t stalled = 0;
    while (!paths.empty() && stalled <= paths.size()) {
      path_t path = std::move(paths.front());
      paths.pop_front();
      bool blocked = false;
      bool progressed = false;
      for (task_index k : path) {
        if (position_[k] != not_run) continue;
        if (num_needed_[k] > 0) {
          blocked = true;
          break;
        }
        add_to_result(k);
        progressed = true;
      }
      if (blocked) paths.push_back(std::move(path));
      stalled = progressed ? 0 : stalled + 1;
    }
  }

  const task_graph& g_;
  const std::size_t n_;
  std::size_t num_tasks_ = 0;
  std::size_t tasks_run_ = 0;

  std::vector<char> takes_part_;                 ///< see is_task
  std::vector<std::uint32_t> num_dependencies_;  ///< task dependencies only
  // The numbers of the sort key, side by side: comparing two nodes touches two cache lines.
  struct sort_fields {
    double total_dependencies = 0;  ///< tasks behind the node, counted with repeats
    std::uint32_t roots_reached = 0;
    std::uint32_t max_dependents = 0;  ///< the most dependents of a root it reaches
  };
  std::vector<sort_fields> sort_fields_;
  /// Per root, its sinks as a span [first, last) of sink_lists_; last == many_sinks: too many.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> root_sinks_;
  std::vector<task_index> sink_lists_;

  std::vector<std::uint32_t> position_;
  std::vector<task_index> sequence_;
  std::vector<std::uint32_t> num_needed_;
  std::vector<task_index> runnable_;
  std::vector<char> in_runnable_hull_;
  std::vector<char> in_reachable_hull_;
  std::size_t reachable_count_ = 0;
  std::unordered_map<task_index, std::vector<path_t>> known_paths_;
  std::vector<char> has_known_paths_;
  std::deque<std::pair<std::size_t, std::vector<task_index>>> branches_;
  std::vector<task_index> path_;
  std::vector<task_index> deps_;  ///< scratch lists of the walk, kept to reuse their memory
  std::vector<task_index> unknown_;
  std::vector<task_index> known_;
  std::vector<task_index> next_;
  std::vector<task_index> add_stack_;

  std::vector<char> pending_sink_;
  std::vector<std::uint32_t> sink_degree_;
  std::vector<std::uint32_t> slot_in_bucket_;
  std::vector<std::vector<task_index>> buckets_;
  std::uint32_t min_degree_ = 0;
  std::vector<task_index> sorted_sinks_;
};

}  // namespace

std::vector<task_index> critical_path_order(const task_graph& graph) {
  return critical_path_orderer(graph).run();
}

}  // namespace troupe
