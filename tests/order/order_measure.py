"""Reading troupe graph JSON and measuring an order of it.

Shared by capture_dask_graphs.py (which records Dask's numbers) and test_order_graphs.py
(which checks troupe's). Only the standard library is used, so the checker runs anywhere.

The graph is the "graph" member of a troupe graph file, read the way `troupe run` reads it:

* a value that is a JSON array is a task (an array starting with a string calls that
  function; any other array is a list built from its items);
* a value that is a string naming a key is an alias, which is a task too;
* anything else is a literal.

Inside a task, a string naming a key is a reference to it and an array is a list whose
items are read the same way.

max_results_held: run the keys one at a time in priority order. A task's result is held
from the moment the task runs until its last dependent has run (so while a task runs, its
own result and all its inputs are held). A key no other key depends on (a sink) is handed
to the caller and never counts; a literal never counts. The measure is the largest number
of results held at any moment.
"""

from __future__ import annotations

import ast


def is_task(graph: dict, key: str) -> bool:
    value = graph[key]
    if isinstance(value, list):
        return True
    return isinstance(value, str) and value in graph


def references(graph: dict, key: str) -> list:
    """The keys that key's value refers to, in argument order (repeats kept)."""
    value = graph[key]
    if isinstance(value, str):
        return [value] if value in graph else []
    if not isinstance(value, list):
        return []
    out: list = []
    start = 1 if value and isinstance(value[0], str) else 0

    def walk(item):
        if isinstance(item, str):
            if item in graph:
                out.append(item)
        elif isinstance(item, list):
            for sub in item:
                walk(sub)

    for arg in value[start:]:
        walk(arg)
    return out


def dependencies(graph: dict) -> dict:
    """Every key's distinct dependencies, in first-reference order."""
    return {k: list(dict.fromkeys(references(graph, k))) for k in graph}


def dependents(deps: dict) -> dict:
    out: dict = {k: [] for k in deps}
    for k, ds in deps.items():
        for d in ds:
            out[d].append(k)
    return out


def max_results_held(graph: dict, priorities: dict) -> int:
    """The peak number of task results held at once when the keys run in priority order."""
    deps = dependencies(graph)
    remaining = {k: 0 for k in graph}
    for ds in deps.values():
        for d in ds:
            remaining[d] += 1
    counts = {k: is_task(graph, k) and remaining[k] > 0 for k in graph}
    held = peak = 0
    for key in sorted(graph, key=priorities.__getitem__):
        if counts[key]:
            held += 1
            peak = max(peak, held)
        for d in deps[key]:
            remaining[d] -= 1
            if remaining[d] == 0 and counts[d]:
                held -= 1
    return peak


def order_problems(graph: dict, priorities: dict) -> list:
    """Why `priorities` is not a valid run order of `graph` (empty when it is)."""
    problems = []
    if set(priorities) != set(graph):
        missing = [k for k in graph if k not in priorities]
        extra = [k for k in priorities if k not in graph]
        if missing:
            problems.append(f"priorities miss {len(missing)} keys, e.g. {missing[:3]}")
        if extra:
            problems.append(f"priorities name {len(extra)} unknown keys, e.g. {extra[:3]}")
        return problems
    values = sorted(priorities.values())
    if values != list(range(len(graph))) or not all(type(v) is int for v in values):
        problems.append("priorities are not exactly 0..n-1")
        return problems
    deps = dependencies(graph)
    for key, ds in deps.items():
        for d in ds:
            if priorities[d] >= priorities[key]:
                problems.append(
                    f"not topological: {key!r} (priority {priorities[key]}) runs before "
                    f"its dependency {d!r} (priority {priorities[d]})"
                )
                if len(problems) >= 5:
                    return problems
    return problems


def original_key(name: str):
    """The Dask key a JSON key stands for: tuple reprs are parsed back, others stay strings."""
    if name.startswith("(") and name.endswith(")"):
        try:
            value = ast.literal_eval(name)
        except (ValueError, SyntaxError):
            return name
        if isinstance(value, tuple):
            return value
    return name


class DaskDiagnostics:
    """What dask.order.diagnostics reports for an order, recomputed from the graph alone.

    Dask's measure differs from max_results_held: it samples the number of outputs held just
    before each key runs, and it counts every key that has dependents (literals included).
    `pressure[i]` is that number before the key at position i runs; `info[key]` has
    order, age, num_data_when_run, num_data_when_released and num_dependencies_freed.
    """

    def __init__(self, deps: dict, priorities: dict):
        users = dependents(deps)
        needed = {k: len(v) for k, v in users.items()}
        held = 0
        self.pressure = []
        self.info = {k: {"order": priorities[k]} for k in deps}
        for i, key in enumerate(sorted(deps, key=priorities.__getitem__)):
            self.pressure.append(held)
            self.info[key]["num_data_when_run"] = held
            released = 0
            for d in deps[key]:
                needed[d] -= 1
                if needed[d] == 0:
                    self.info[d]["age"] = i - priorities[d]
                    self.info[d]["num_data_when_released"] = held
                    released += 1
            self.info[key]["num_dependencies_freed"] = released
            if users[key]:
                held += 1 - released
            else:
                self.info[key]["age"] = 0
                self.info[key]["num_data_when_released"] = held
                held -= released
