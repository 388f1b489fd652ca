"""chain in Dask: N dependent inc tasks in a line, computed in one call (troupe.cpp here)."""

import sys
from pathlib import Path

import dask

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from dask_harness import compute_delayed, compute_graph, run_benchmark, sum_equals  # noqa: E402


def inc(x):
    return x + 1


def key_of(i):
    return f"inc-{i}"


def build_graph(options):
    n = options.tasks
    dsk = {key_of(0): 0}
    for i in range(1, n):
        dsk[key_of(i)] = (inc, key_of(i - 1))
    return n, compute_graph(dsk, [key_of(n - 1)]), sum_equals(n - 1)


def build_delayed(options):
    n = options.tasks
    lazy_inc = dask.delayed(inc)
    x = dask.delayed(0)
    for _ in range(1, n):
        x = lazy_inc(x)
    return n, compute_delayed([x]), sum_equals(n - 1)


if __name__ == "__main__":
    run_benchmark("chain", {"graph": build_graph, "delayed": build_delayed})
