"""What every Dask benchmark script shares; the same loop as bench/common/harness.cpp.

Each repetition builds a fresh graph (timed apart), runs it in one call (timed), checks the
results, and the script prints one JSON line for bench/run. A warm-up run first starts the
scheduler's thread pool (and imports what dask.compute imports), as the troupe side starts
its runtime. Two APIs, as on the troupe side:

  graph    a dict graph of tuple tasks (docs.dask.org "Custom Graphs") run by the scheduler's
           get: dask.get (sync) or dask.threaded.get; Dask's per-task scheduling cost.
  delayed  dask.delayed values and one dask.compute(*values) call, as users write it.
"""

import argparse
import json
import os
import sys
import time

import dask
import dask.threaded


def parse_options(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", default="graph", choices=["graph", "delayed"])
    parser.add_argument("--scheduler", default="threads", choices=["sync", "threads"])
    parser.add_argument("--num-workers", type=int, default=0,
                        help="threads of the threads scheduler (0: all cores)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--dag", help="a random DAG file written by bench/random_dag.py")
    return parser.parse_args(argv)


def _num_workers(options):
    return options.num_workers or len(os.sched_getaffinity(0))


def compute_graph(dsk, keys):
    """The timed call of the graph API: a function of the options."""
    def run(options):
        if options.scheduler == "sync":
            return dask.get(dsk, keys)
        return dask.threaded.get(dsk, keys, num_workers=_num_workers(options))
    return run


def compute_delayed(targets):
    """The timed call of the delayed API: a function of the options."""
    def run(options):
        if options.scheduler == "sync":
            return dask.compute(*targets, scheduler="sync")
        return dask.compute(*targets, scheduler="threads", num_workers=_num_workers(options))
    return run


def sum_equals(expected):
    def check(results):
        total = sum(results)
        return "" if total == expected else f"sum {total}, expected {expected}"
    return check


def _inc(x):
    return x + 1


def _warm_up(options):
    compute_graph({"warm-up": (_inc, 0)}, ["warm-up"])(options)
    compute_delayed([dask.delayed(_inc)(0)])(options)


def run_benchmark(name, builders, argv=None):
    """builders[api](options) -> (tasks, run, check): run(options) computes the whole graph,
    check(results) is "" when the results are right."""
    options = parse_options(argv)
    _warm_up(options)
    report = {"workload": name, "implementation": "dask", "api": options.api,
              "version": dask.__version__, "scheduler": options.scheduler,
              "num_workers": options.num_workers, "seconds": [], "build_seconds": []}
    for _ in range(options.repeat):
        start = time.perf_counter()
        tasks, run, check = builders[options.api](options)
        report["build_seconds"].append(time.perf_counter() - start)
        start = time.perf_counter()
        results = run(options)
        report["seconds"].append(time.perf_counter() - start)
        wrong = check(results)
        if wrong:
            sys.exit(f"{name} computed a wrong result: {wrong}")
        report["tasks"] = tasks
    print(json.dumps(report), flush=True)
