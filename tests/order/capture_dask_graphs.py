"""Records the graphs that Dask's own ordering tests hand to dask.order.order.

Run by hand (not in CI), with the .venv that scripts/install-deps makes (dask, numpy, pytest):

    python tests/order/capture_dask_graphs.py [--out tests/order/graphs]

It runs dask/tests/test_order.py under pytest with dask.order.order wrapped, so every call
(direct ones, and those made by dask.order.diagnostics, dask.local and friends) is seen with
the pytest node id and its index within that test. Each graph that converts faithfully to
troupe's graph JSON is written to GRAPHS/<test>.<param-or-none>.<call>.json with Dask's
priorities and the max_results_held of Dask's order (order_measure.py). What could not be
converted, and duplicate files dropped, are printed at the end and written to
GRAPHS/../capture_log.txt.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True
sys.path.insert(0, str(HERE))

import order_measure  # noqa: E402

MAX_KEYS = 20_000


class Unconvertible(Exception):
    pass


def key_name(key) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, tuple):
        parts = []
        for item in key:
            if isinstance(item, (str, int, float, tuple)) and not isinstance(item, bool):
                parts.append(repr(item) if not isinstance(item, tuple) else key_name(item))
            elif callable(item):
                # Dask's str() would print a memory address; the function name is stable.
                parts.append(getattr(item, "__name__", "function"))
            else:
                raise Unconvertible(f"key part of type {type(item).__name__}: {key!r}")
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return str(key)
    raise Unconvertible(f"key of type {type(key).__name__}")


def convert_graph(dsk):
    """Dask legacy dict graph -> (troupe graph dict, {name: original key}). Raises Unconvertible."""
    from dask._task_spec import GraphNode
    from dask.core import istask

    if not isinstance(dsk, dict):
        dsk = dict(dsk)
    names = {}
    for k in dsk:
        name = key_name(k)
        if name in names:
            raise Unconvertible(f"keys {names[name]!r} and {k!r} both convert to {name!r}")
        names[name] = k
    name_of = {k: n for n, k in names.items()}

    def is_key(x):
        try:
            return x in dsk
        except TypeError:
            return False

    def literal(x):
        if x is None or isinstance(x, bool):
            return x
        if isinstance(x, int):
            return x if -(2**63) <= x < 2**63 else None
        if isinstance(x, float):
            return x if math.isfinite(x) else None
        if isinstance(x, str):
            # A literal string that names a key would be read as a reference.
            return None if x in names else x
        return None  # functions, tuples that are not tasks, dicts, numpy arrays, objects

    def refs_in(x):
        """The references inside x, in order, as keys_in_tasks finds them."""
        if isinstance(x, GraphNode):
            raise Unconvertible("holds a Task object of the new task spec")
        if type(x) is tuple and x and callable(x[0]):
            return [r for sub in x[1:] for r in refs_in(sub)]
        if type(x) is list:
            return [r for sub in x for r in refs_in(sub)]
        if type(x) is dict:
            return [r for sub in x.values() for r in refs_in(sub)]
        return [name_of[x]] if is_key(x) else []

    def arg(x, out):
        """Appends the JSON form of argument x to out (a nested task adds its references)."""
        if isinstance(x, GraphNode):
            raise Unconvertible("holds a Task object of the new task spec")
        if type(x) is tuple and x and callable(x[0]):
            out.extend(refs_in(x))
        elif is_key(x):
            out.append(name_of[x])
        elif type(x) is list:
            lst = []
            for item in x:
                arg(item, lst)
            out.append(lst)
        elif type(x) is dict:
            out.extend(refs_in(x))  # troupe has no map type; keep what the dict refers to
            if not refs_in(x):
                out.append(None)
        else:
            out.append(literal(x))

    graph = {}
    for k, v in dsk.items():
        name = name_of[k]
        if isinstance(v, GraphNode):
            raise Unconvertible("holds a Task object of the new task spec")
        if istask(v):
            items = ["list"]
            for a in v[1:]:
                arg(a, items)
            graph[name] = items
        elif is_key(v):
            graph[name] = ["list", name_of[v]]  # an alias, kept a task
        elif type(v) in (list, dict) and refs_in(v):
            items = ["list"]
            for a in (v if type(v) is list else list(v.values())):
                arg(a, items)
            graph[name] = items
        else:
            graph[name] = literal(v)

    # The dependencies must be Dask's own.
    from dask.core import get_dependencies

    deps = order_measure.dependencies(graph)
    for k, v in dsk.items():
        want = {name_of[d] for d in get_dependencies(dsk, task=v)}
        if set(deps[name_of[k]]) != want:
            raise Unconvertible(f"dependencies of {k!r} differ after conversion")
    return graph, names


def dump_record(record: dict) -> str:
    """The record as JSON with one graph entry (and one priority) per line, for review."""
    lines = ["{"]
    fields = list(record.items())
    for i, (field, value) in enumerate(fields):
        end = "," if i + 1 < len(fields) else ""
        if isinstance(value, dict) and value:
            lines.append(f"  {json.dumps(field)}: {{")
            items = list(value.items())
            for j, (k, v) in enumerate(items):
                sep = "," if j + 1 < len(items) else ""
                lines.append(f"    {json.dumps(k)}: {json.dumps(v)}{sep}")
            lines.append("  }" + end)
        else:
            lines.append(f"  {json.dumps(field)}: {json.dumps(value)}{end}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def diagnostics_mismatch(original, graph, name_of, prios):
    """Checks order_measure.DaskDiagnostics against dask.order.diagnostics on this graph."""
    from dask.order import diagnostics

    if not original:
        return None
    info, pressure = diagnostics(original, o=prios)
    mine = order_measure.DaskDiagnostics(
        order_measure.dependencies(graph), {name_of[k]: v for k, v in prios.items()}
    )
    if mine.pressure != pressure:
        return "pressure"
    for k, v in info.items():
        if mine.info[name_of[k]] != v._asdict():
            return f"info of {k!r}: {mine.info[name_of[k]]} != {v._asdict()}"
    return None


def safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_") or "none"


def param_of(nodeid: str) -> str:
    m = re.search(r"\[(.*)\]$", nodeid)
    return m.group(1) if m else ""


def test_name_of(nodeid: str) -> str:
    return re.sub(r"\[.*\]$", "", nodeid.split("::")[-1])


class Recorder:
    def __init__(self):
        self.nodeid = None
        self.calls = 0
        self.records = []  # (nodeid, call, converted graph or error, priorities, size, dsk)
        self.skipped = []  # tests pytest skipped (a missing optional package)

    # pytest hooks
    def pytest_runtest_setup(self, item):
        self.nodeid = item.nodeid.split("::")[-1]
        self.calls = 0
        mod = getattr(item, "module", None)
        if mod is not None and getattr(mod, "order", None) is not None:
            mod.order = self.wrapped

    def pytest_runtest_logreport(self, report):
        if report.skipped and not hasattr(report, "wasxfail"):
            reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else ""
            self.skipped.append(f"{report.nodeid.split('::')[-1]}: {reason}")

    def pytest_runtest_teardown(self, item):
        self.nodeid = None

    def install(self):
        import dask.local
        import dask.order

        self.real = dask.order.order
        real = self.real
        rec = self

        def wrapped(dsk, dependencies=None, *, return_stats=False):
            call = rec.calls
            rec.calls += 1
            snapshot = None
            try:
                snapshot = convert_graph(dsk)
            except Unconvertible as e:
                snapshot = e
            except Exception as e:  # a conversion bug must not change the test
                snapshot = Unconvertible(f"conversion failed: {type(e).__name__}: {e}")
            result = real(dsk, dependencies, return_stats=return_stats)
            prios = {
                k: (v.priority if return_stats else v) for k, v in result.items()
            }
            original = dict(dsk) if not isinstance(snapshot, Exception) else None
            rec.records.append((rec.nodeid, call, snapshot, prios, len(dsk), original))
            return result

        self.wrapped = wrapped
        dask.order.order = wrapped
        dask.local.order = wrapped


def main():
    # Dask's order breaks some ties by set iteration, which follows string hashing: pin the
    # hash seed so that a capture is reproducible (the properties hold for every seed tried).
    if os.environ.get("PYTHONHASHSEED") != "0":
        env = dict(os.environ, PYTHONHASHSEED="0")
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "graphs"))
    args, pytest_args = parser.parse_known_args()  # the rest goes to pytest (e.g. -k NAME)

    import dask
    import pytest

    test_file = Path(dask.__file__).parent / "tests" / "test_order.py"
    rec = Recorder()
    rec.install()
    rc = pytest.main(
        [str(test_file), "-q", "-p", "no:cacheprovider", "-W", "ignore", *pytest_args],
        plugins=[rec],
    )
    print(f"pytest exit code: {rc}")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.json"):
        old.unlink()

    log = []
    seen = {}  # (test, call, graph text) -> file kept
    written = 0
    for nodeid, call, snapshot, prios, size, original in rec.records:
        if nodeid is None:
            log.append(f"SKIP (order called outside a test) call {call}")
            continue
        where = f"{nodeid} call {call}"
        if isinstance(snapshot, Exception):
            log.append(f"SKIP {where}: {snapshot}")
            continue
        if size > MAX_KEYS:
            log.append(f"SKIP {where}: {size} keys (> {MAX_KEYS})")
            continue
        graph, names = snapshot
        name_of = {k: n for n, k in names.items()}
        dask_prios = {name_of[k]: v for k, v in prios.items()}
        problems = order_measure.order_problems(graph, dask_prios)
        if problems:
            log.append(f"SKIP {where}: Dask's own order fails the checks: {problems}")
            continue
        mismatch = diagnostics_mismatch(original, graph, name_of, prios)
        if mismatch:
            log.append(f"SKIP {where}: order_measure.DaskDiagnostics disagrees with Dask: {mismatch}")
            continue
        test = test_name_of(nodeid)
        graph_text = json.dumps(graph, sort_keys=False)
        dedupe_key = (test, call, graph_text)
        fname = f"{safe(test.removeprefix('test_'))}.{safe(param_of(nodeid))}.{call}.json"
        if dedupe_key in seen:
            log.append(f"DUPLICATE {where}: same graph as {seen[dedupe_key]}, not written")
            continue
        seen[dedupe_key] = fname
        record = {
            "dask_test": nodeid,
            "call": call,
            "graph": graph,
            "dask_priorities": dask_prios,
            "dask_max_results_held": order_measure.max_results_held(graph, dask_prios),
        }
        (out / fname).write_text(dump_record(record))
        written += 1

    for line in rec.skipped:
        log.append(f"NOT RUN {line}")
    called = {n for n, *_ in rec.records}
    try:
        shown = out.resolve().relative_to(HERE.parent.parent)
    except ValueError:
        shown = out
    log.append(f"{written} graph files written to {shown}")
    log.append(f"tests that called order: {len(called)}")
    text = "\n".join(log)
    print(text)
    (out.parent / "capture_log.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
