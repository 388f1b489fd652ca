"""random_dag in Dask: the DAG of a bench/random_dag.py file, all sinks computed in one call."""

import sys
from pathlib import Path

import dask

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import random_dag  # noqa: E402
from dask_harness import compute_delayed, compute_graph, run_benchmark, sum_equals  # noqa: E402


def add_mod(a, b):
    return (a + b) % random_dag.MODULUS


def read_dag(options):
    if not options.dag:
        sys.exit("random_dag needs --dag FILE")
    return random_dag.read(options.dag)


def build_graph(options):
    roots, pairs, expected = read_dag(options)
    keys = [f"add_mod-{i}" for i in range(roots + len(pairs))]
    dsk = {keys[i]: i + 1 for i in range(roots)}
    for key, (a, b) in zip(keys[roots:], pairs):
        dsk[key] = (add_mod, keys[a], keys[b])
    sinks = [keys[i] for i in random_dag.sinks(roots, pairs)]
    return len(keys), compute_graph(dsk, sinks), sum_equals(expected)


def build_delayed(options):
    roots, pairs, expected = read_dag(options)
    lazy_add = dask.delayed(add_mod)
    nodes = [dask.delayed(i + 1) for i in range(roots)]
    for a, b in pairs:
        nodes.append(lazy_add(nodes[a], nodes[b]))
    sinks = [nodes[i] for i in random_dag.sinks(roots, pairs)]
    return len(nodes), compute_delayed(sinks), sum_equals(expected)


if __name__ == "__main__":
    run_benchmark("random_dag", {"graph": build_graph, "delayed": build_delayed})
