"""delayed_noop in Dask: N independent inc(i) tasks computed in one call (troupe.cpp here)."""

import sys
from pathlib import Path

import dask

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from dask_harness import compute_delayed, compute_graph, run_benchmark, sum_equals  # noqa: E402


def inc(x):
    return x + 1


def expected_sum(n):  # inc(0) + ... + inc(n - 1)
    return n * (n + 1) // 2


def build_graph(options):
    n = options.tasks
    dsk = {f"inc-{i}": (inc, i) for i in range(n)}
    return n, compute_graph(dsk, list(dsk)), sum_equals(expected_sum(n))


def build_delayed(options):
    n = options.tasks
    lazy_inc = dask.delayed(inc)
    targets = [lazy_inc(i) for i in range(n)]
    return n, compute_delayed(targets), sum_equals(expected_sum(n))


if __name__ == "__main__":
    run_benchmark("delayed_noop", {"graph": build_graph, "delayed": build_delayed})
