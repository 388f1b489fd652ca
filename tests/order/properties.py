"""What Dask's ordering tests demand of each order() call, restated per captured graph.

PROPERTIES maps (Dask test function, call index) to a function prop(o, peak, ctx):

* o     -- priorities keyed by the ORIGINAL Dask keys (tuple keys parsed back);
* peak  -- max_results_held of that order (order_measure.py has the rule);
* ctx   -- a Context: the fixture letters (ctx.letters, from the node id's abcde/edcba
           parameter), the other parameters, the number of keys, and Dask's own diagnostics
           recomputed for o (ctx.pressure, ctx.info), for the tests that assert on those.

A property raises Failure (via `need`) when the order breaks it. Each one is written from
the assertion in dask/tests/test_order.py (Dask 2026.8.0) that it stands for, not copied.

Pressure bounds. Dask's `diagnostics` samples the number of held outputs just before each
key runs and counts literals that have dependents; max_results_held (ours) counts the
results held while a task runs -- its inputs and its own output -- and never literals. At
step i ours is at most Dask's sample there plus one (the running task), so a Dask bound
`max(pressure) <= K` implies `peak <= K + 1`. Each such property asserts both: Dask's exact
measure on this order (ctx.pressure, the very number Dask checks) and the implied peak bound.
"""

from __future__ import annotations

import order_measure


class Failure(AssertionError):
    pass


def need(condition, what):
    if not condition:
        raise Failure(what)


class Context:
    def __init__(self, graph: dict, o: dict, node_id: str):
        self.graph = graph
        self.n = len(graph)
        param = node_id[node_id.index("[") + 1 : -1] if node_id.endswith("]") else ""
        self.params = param.split("-") if param else []
        letters = next((p for p in self.params if p in ("abcde", "edcba")), "abcde")
        self.letters = tuple(letters)
        self._o = o
        self._diag = None

    def _diagnostics(self):
        if self._diag is None:
            name = order_measure.original_key
            deps = order_measure.dependencies(self.graph)
            deps = {name(k): [name(d) for d in ds] for k, ds in deps.items()}
            self._diag = order_measure.DaskDiagnostics(deps, self._o)
        return self._diag

    @property
    def pressure(self) -> list:
        """Dask's memory-over-time list for this order (dask.order.diagnostics(...)[1])."""
        return self._diagnostics().pressure

    @property
    def info(self) -> dict:
        """Dask's per-key OrderInfo fields for this order, as dicts."""
        return self._diagnostics().info


def pressure_at_most(ctx, peak, bound):
    worst = max(ctx.pressure, default=0)
    need(worst <= bound, f"Dask's diagnostics pressure {worst} > {bound}")
    need(peak <= bound + 1, f"max_results_held {peak} > {bound + 1} (Dask's pressure bound {bound} + 1)")


PROPERTIES = {}


def prop(test, *calls):
    def register(fn):
        for call in calls:
            PROPERTIES[(test, call)] = fn
        return fn

    return register


def gap(o, x, y):
    return abs(o[x] - o[y])


# ---------------------------------------------------------------------------------------


@prop("test_ordering_keeps_groups_together", 0)
def _(o, peak, ctx):
    a = ctx.letters[0]
    # b0 needs a0,a1 and b1 needs a2,a3: each pair is computed back to back.
    need(gap(o, (a, 0), (a, 1)) == 1, "a0 and a1 are not adjacent")
    need(gap(o, (a, 2), (a, 3)) == 1, "a2 and a3 are not adjacent")


@prop("test_ordering_keeps_groups_together", 1)
def _(o, peak, ctx):
    a = ctx.letters[0]
    # Same with the pairs crossed: b0 needs a0,a2 and b1 needs a1,a3.
    need(gap(o, (a, 0), (a, 2)) == 1, "a0 and a2 are not adjacent")
    need(gap(o, (a, 1), (a, 3)) == 1, "a1 and a3 are not adjacent")


@prop("test_avoid_broker_nodes", 0)
def _(o, peak, ctx):
    a, b = ctx.letters[:2]
    # Whichever root starts, its branch is finished before the other root is loaded.
    a1_first_then_b0 = o[(a, 1)] < o[(b, 0)]
    a1_branch_done_before_a0 = o[(b, 1)] < o[(a, 0)] and o[(b, 2)] < o[(a, 0)]
    need(a1_first_then_b0 or a1_branch_done_before_a0, "a branch is left half done")


@prop("test_base_of_reduce_preferred", 0)
def _(o, peak, ctx):
    b = ctx.letters[1]
    need(o[(b, 0)] <= 1, f"b0 at {o[(b, 0)]}, want <= 1")
    need(o[(b, 1)] <= 3, f"b1 at {o[(b, 1)]}, want <= 3")


@prop("test_avoid_upwards_branching", 0)
def _(o, peak, ctx):
    b, d = ctx.letters[1], ctx.letters[3]
    need(o[(d, 1)] < o[(b, 1)], "d1 should run before b1")


@prop("test_avoid_upwards_branching_complex", 0)
def _(o, peak, ctx):
    b, c, d = ctx.letters[1:4]
    need(o[(c, 1)] < o[(b, 1)], "c1 should run before b1")
    need(gap(o, (d, 2), (d, 3)) == 1, "d2 and d3 are not adjacent")


@prop("test_deep_bases_win_over_dependents", 0)
def _(o, peak, ctx):
    b, c = ctx.letters[1:3]
    need(o[b] < o[c], "b should run before c")


@prop("test_prefer_deep", 0)
def _(o, peak, ctx):
    a, b, _, d, _ = ctx.letters
    need(o[a] < o[d], "the longer chain (a) should start before d")
    need(o[b] < o[d], "b should run before d")


@prop("test_break_ties_by_str", 0)
def _(o, peak, ctx):
    # Ten independent ("x", i) feeding "y": run in reverse key order, then y.
    want = {("x", i): 9 - i for i in range(10)}
    want["y"] = 10
    need(o == want, f"order {o} != {want}")


@prop("test_favor_longest_critical_path", 0)
def _(o, peak, ctx):
    a, b, c, d, e = ctx.letters
    need(o[d] > o[b], "b (on the long path) should run before d")
    need(o[e] > o[b], "b (on the long path) should run before e")


@prop("test_run_smaller_sections", 1)  # the order() made inside diagnostics(dsk)
def _(o, peak, ctx):
    # Dask wants the pressure to be exactly its optimum, 3.
    worst = max(ctx.pressure)
    need(worst == 3, f"Dask's diagnostics pressure {worst} != 3")
    need(peak <= 4, f"max_results_held {peak} > 4 (Dask's pressure 3 + 1)")


@prop("test_local_parents_of_reduction", 0)
def _(o, peak, ctx):
    # Dask checks the run log of dask.get (the sync scheduler, which runs tasks in the
    # order of order()'s priorities on the same graph); here: the priority sequence itself.
    a, b, c = ctx.letters[:3]
    want = [a + "3", a + "2", a + "1", b + "3", b + "2", b + "1", c + "3", c + "2", c + "1"]
    got = sorted(o, key=o.__getitem__)
    need(got == want, f"run sequence {got} != {want}")


@prop("test_nearest_neighbor", 0)
def _(o, peak, ctx):
    a, b = ctx.letters[:2]
    half = len(o) / 2
    early_a = sum(o[a + i] < half for i in "123456789")
    early_b = sum(o[b + i] < half for i in "1234")
    need(3 < early_a < 7, f"{early_a} of the a's in the first half, want 4..6")
    need(1 < early_b < 4, f"{early_b} of the b's in the first half, want 2..3")


@prop("test_string_ordering", 0)
def _(o, peak, ctx):
    forward = {("a", 1): 0, ("a", 2): 1, ("a", 3): 2}
    backward = {("a", 1): 2, ("a", 2): 1, ("a", 3): 0}
    need(o in (forward, backward), f"{o} follows neither key order")


@prop("test_prefer_short_narrow", 0)
def _(o, peak, ctx):
    a, b, c = ctx.letters[:3]
    need(o[(b, 0)] < o[(b, 1)], "b0 should come before b1")
    need(o[(b, 0)] < o[(c, 2)], "b0 should come before c2")
    need(o[(c, 1)] < o[(c, 2)], "c1 should come before c2")


@prop("test_prefer_short_ancestor", 0)
def _(o, peak, ctx):
    a, b, c = ctx.letters[:3]
    need(o[(a, 0)] < o[(a, 1)], "a0 should come before a1")
    need(o[(b, 0)] < o[(b, 1)], "b0 should come before b1")
    need(o[(b, 0)] < o[(c, 2)], "b0 should come before c2")
    need(o[(c, 1)] < o[(c, 2)], "c1 should come before c2")
    need(o[(c, 1)] < o[(a, 1)], "c1 should come before a1 (frees a0 and b0 first)")


@prop("test_map_overlap", 0)
def _(o, peak, ctx):
    b, e = ctx.letters[1], ctx.letters[4]
    # One end of the overlap chain is finished before the far end's root is loaded.
    need(
        o[(b, 1)] < o[(e, 5)] or o[(b, 5)] < o[(e, 1)],
        "neither b1 before e5 nor b5 before e1",
    )


@prop("test_use_structure_not_keys", 0)
def _(o, peak, ctx):
    a, b = ctx.letters[:2]
    # Dask asserts pressure == 3; some b needs three inputs held at once, so 3 is the least
    # possible and "== 3" is the same as "<= 3".
    worst = max(ctx.pressure)
    need(worst == 3, f"Dask's diagnostics pressure {worst} != 3")
    need(peak <= 4, f"max_results_held {peak} > 4 (Dask's pressure 3 + 1)")
    a_slots = sorted(v for k, v in o.items() if k[0] == a)
    b_slots = sorted(v for k, v in o.items() if k[0] == b)
    need(b_slots[0] in (1, 3), f"the first b runs at {b_slots[0]}, want 1 or 3")
    if b_slots[0] == 3:
        need(a_slots == [0, 1, 2] + list(range(4, 17, 2)), f"a slots {a_slots}")
        need(b_slots == list(range(3, 18, 2)) + [18, 19], f"b slots {b_slots}")
    else:
        need(a_slots == list(range(0, 19, 2)), f"a slots {a_slots}")
        need(b_slots == list(range(1, 20, 2)), f"b slots {b_slots}")


@prop("test_dont_run_all_dependents_too_early", 0)
def _(o, peak, ctx):
    d = ctx.letters[3]
    got = sorted(v for k, v in o.items() if k[0] == d)
    need(got == list(range(3, 31, 3)), f"d slots {got}, want every third from 3 to 30")


@prop("test_many_branches_use_ndependencies", 0)
def _(o, peak, ctx):
    a, b, c, d, e = ctx.letters
    heavy = {d, d + d, e, e + e}
    got = sorted(v for k, v in o.items() if k[0] in heavy)
    need(got == list(range(1, 11)), f"the d/dd/e/ee branches took slots {got}, want 1..10")
    need(o[(c, 1)] == o[(a, 3)] - 1, "c1 (thin and short) should run just before a3")


@prop("test_order_empty", 0)
def _(o, peak, ctx):
    need(o == {}, "an empty graph has an empty order")


def _bundle_spread(o, letters, left, right):
    total = 0
    for x in letters:
        for i in range(len(letters)):
            total += abs(o[left(x, i)] - o[right(x, i)])
    return total


# Per call of test_order_with_equal_dependents with a spread bound: the levels of the pairs
# (x, LEFT, i, 1) and (x, RIGHT, i, 0) whose distances in the order add up to at most BOUND.
_EQUAL_DEPENDENTS_SPREAD = {0: (6, 6, 32), 1: (6, 7, 48), 2: (5, 6, 32)}


def _equal_dependents(call):
    left_level, right_level, bound = _EQUAL_DEPENDENTS_SPREAD[call]

    def check(o, peak, ctx):
        abc = ctx.letters[:4]
        total = _bundle_spread(o, abc, lambda x, i: (x, left_level, i, 1),
                               lambda x, i: (x, right_level, i, 0))
        need(total <= bound, f"(x,{left_level},i,1) and (x,{right_level},i,0) are {total} "
                             f"apart in all, want <= {bound}")
        pressure_at_most(ctx, peak, 10)

    return check


for _call in _EQUAL_DEPENDENTS_SPREAD:
    prop("test_order_with_equal_dependents", _call)(_equal_dependents(_call))


@prop("test_order_with_equal_dependents", 3)
def _(o, peak, ctx):
    abc = ctx.letters[:4]
    pressure_at_most(ctx, peak, 10)
    for x in abc:
        for i in range(len(abc)):
            need(
                abs(o[(x, 5, i, 1)] - o[(x, 5, i, 0)]) <= 2,
                f"({x!r}, 5, {i}, 0/1) are more than 2 apart",
            )


@prop("test_terminal_node_backtrack", 0)
def _(o, peak, ctx):
    need(o[("a", 2)] < o[("a", 3)], "the left half (a2) should finish before the right (a3)")


@prop("test_eager_to_compute_dependent_to_free_parent", 0)
def _(o, peak, ctx):
    pressure_at_most(ctx, peak, 8)
    shallow = min(o[r] for r in ("a64", "a66"))
    for roots in (["a68", "a63", "a65", "a67"], ["a69", "a70", "a71", "a62"]):
        need(max(o[r] for r in roots) < shallow, f"deep roots {roots} not all before the shallow ones")
    for red in ("a06", "a41", "a39", "a00"):
        need(o[red] < shallow, f"reducer {red} should run before the shallow roots")


@prop("test_diagnostics", 0, 1)  # call 1 is the order() inside diagnostics(dsk): the same order
def _(o, peak, ctx):
    a, b, c, d, e = ctx.letters
    info, memory = ctx.info, ctx.pressure
    keys = [(x, i) for i in (0, 1) for x in ctx.letters]

    def field(name):
        return {k: info[k][name] for k in keys}

    def table(row0, row1):
        return {**{(x, 0): v for x, v in zip(ctx.letters, row0)},
                **{(x, 1): v for x, v in zip(ctx.letters, row1)}}

    n = len(o)
    if o[(e, 1)] == 1:  # started from the e end
        need(o[(d, 1)] == 3 and o[(c, 1)] == 5, "d1 at 3 and c1 at 5 expected")
        need(memory == [0, 1, 1, 2, 2, 3, 2, 3, 2, 3], f"pressure {memory}")
        need(field("age") == table([1, 3, 5, 5, 5], [0] * 5), "ages")
        need(field("num_dependencies_freed") == table([0] * 5, [3, 1, 1, 0, 0]), "freed")
        need(field("num_data_when_run") == table([2, 2, 2, 1, 0], [3, 3, 3, 2, 1]), "data when run")
        need(field("num_data_when_released") == table([3] * 5, [3, 3, 3, 2, 1]), "data when released")
    else:
        need(o[(e, 1)] == n - 1 and o[(d, 1)] == n - 2 and o[(c, 1)] == n - 3,
             "e1, d1, c1 should be the last three")
        need(memory == [0, 1, 2, 3, 2, 3, 2, 3, 2, 1], f"pressure {memory}")
        need(field("age") == table([3, 4, 5, 4, 3], [0] * 5), "ages")
        need(field("num_dependencies_freed") == table([0] * 5, [1] * 5), "freed")
        need(field("num_data_when_run") == table([0, 1, 2, 2, 2], [3, 3, 3, 2, 1]), "data when run")
        need(field("num_data_when_released") == table([3, 3, 3, 2, 1], [3, 3, 3, 2, 1]),
             "data when released")


@prop("test_xarray_like_reduction", 0)
def _(o, peak, ctx):
    pressure_at_most(ctx, peak, 9)


@prop("test_anom_mean_raw", 0)
def _(o, peak, ctx):
    a, b, c, d, e = ctx.letters
    h = "h"
    # The left computation branch completes before more data (a1, a3) is loaded.
    for node in [(h, 1, 0), (d, 0, 0), (d, 2, 0), (d, 4, 0)]:
        need(o[node] < o[(a, 1, 0)], f"{node} should run before {(a, 1, 0)}")
        need(o[node] < o[(a, 3, 0)], f"{node} should run before {(a, 3, 0)}")


@prop("test_flox_reduction", 0)
def _(o, peak, ctx):
    g = "g"
    first = [o[(g, 1, ix)] for ix in range(3)]
    second = [o[(g, 2, ix)] for ix in range(3)]
    need(max(first) < min(second) or max(second) < min(first), "the g1 and g2 groups interleave")


@prop("test_doublediff", 0)  # the order() inside diagnostics(dsk)
def _(o, peak, ctx):
    pressure_at_most(ctx, peak, 11)


@prop("test_recursion_depth_long_linear_chains", 0)
def _(o, peak, ctx):
    need(len(o) == ctx.n, "every key gets a priority")


@prop("test_gh_3055_explicit", 0)
def _(o, peak, ctx):
    a, b, c, d, e = ctx.letters
    pressure_at_most(ctx, peak, 5)
    need(o[(e, 0)] < o[(a, 3)] < o[(a, 4)], "want e0 < a3 < a4")
    need(o[(a, 2)] < o[(a, 3)] < o[(a, 4)], "want a2 < a3 < a4")


def _steps(o, keys):
    ranked = sorted(keys, key=o.__getitem__)
    return [o[y] - o[x] for x, y in zip(ranked, ranked[1:])]


@prop("test_order_flox_reduction_2", 0)
def _(o, peak, ctx):
    d = ctx.letters[3]
    steps = _steps(o, [(d, i, j) for i in range(2) for j in range(2)])
    need(all(s == 5 for s in steps), f"the final nodes are {steps} apart, want 5 each")


@prop("test_xarray_map_reduce_with_slicing", 0)
def _(o, peak, ctx):
    steps = _steps(o, [("transpose", 0, i, j) for i in range(2) for j in range(2)])
    need(set(steps) == {8}, f"the transposes are {steps} apart, want 8 each")
    pressure_at_most(ctx, peak, 5)


@prop("test_xarray_rechunk_map_reduce_cohorts", 0)
def _(o, peak, ctx):
    # Dask bounds only the first 99 samples (to leave out the trailing dummy tasks), which
    # has no counterpart for max_results_held: only Dask's own measure is checked here (the
    # checker still holds peak to Dask's peak for every graph).
    worst = max(ctx.pressure[:99])
    need(worst <= 7, f"Dask's diagnostics pressure over the first 99 steps is {worst} > 7")
    steps = _steps(o, [("transpose", i, j, 0) for i in range(2) for j in range(2)])
    need(steps == [10, 39, 10], f"the transposes are {steps} apart, want [10, 39, 10]")


@prop("test_stackstac", 1)  # the order() inside diagnostics(dsk)
def _(o, peak, ctx):
    pressure_at_most(ctx, peak, 9)


def property_for(node_id: str, call: int):
    """The property of a Dask test's call: node_id like 'test_x[abcde]'; None when it has none."""
    test = node_id.split("[", 1)[0]
    return PROPERTIES.get((test, call))
