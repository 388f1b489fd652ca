"""futures_map in Dask: client.map of N inc calls on a LocalCluster of 2 worker processes x 1
thread, then one gather of all N results: the timed part, --repeat times on the same cluster
(troupe.cpp here). bench/run gives Dask a smaller N than troupe (Dask runs about 600 tasks/s
on this cluster); the rates compare, the times do not.

    dask_bench.py [--tasks N] [--repeat R]

Each repetition maps over fresh values (r * N + i), so no key is left over from the one
before; a warm-up map first has both workers run a task. Prints one JSON line for bench/run.
"""

import argparse
import json
import sys
from pathlib import Path
import time

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from futures_cluster import futures_client, futures_report  # noqa: E402


def inc(x):
    return x + 1


def parse_options(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    options = parser.parse_args(argv)
    if options.tasks < 1 or options.repeat < 1:
        parser.error("--tasks and --repeat must be at least 1")
    return options


def map_and_gather(client, xs):
    """The timed part; the futures are released on return, as on the troupe side."""
    futures = client.map(inc, xs)
    return client.gather(futures)


def check(xs, values):
    if len(values) != len(xs):
        sys.exit(f"futures_map: gather returned {len(values)} values for {len(xs)} futures")
    for x, y in zip(xs, values):
        if y != x + 1:
            sys.exit(f"futures_map: inc({x}) came back as {y}")


def main():
    options = parse_options()
    n = options.tasks
    report = {**futures_report("futures_map", n), "seconds": []}
    start = time.perf_counter()
    with futures_client() as client:
        report["startup_seconds"] = time.perf_counter() - start
        warm_up = list(range(-100, 0))
        check(warm_up, map_and_gather(client, warm_up))
        for r in range(options.repeat):
            xs = list(range(r * n, (r + 1) * n))
            start = time.perf_counter()
            values = map_and_gather(client, xs)
            report["seconds"].append(time.perf_counter() - start)
            check(xs, values)
    print(json.dumps(report), flush=True)


if __name__ == "__main__":  # the worker processes import this file: run nothing there
    main()
