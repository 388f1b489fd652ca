"""futures_roundtrip in Dask: the latency of one task on a LocalCluster of 2 worker processes
x 1 thread: the wall time of client.submit(inc, x, pure=False).result(), one call at a time,
--tasks times after --warm-up untimed calls (troupe.cpp here). pure=False gives every call a
fresh key, so each one is really computed on a worker.

    dask_bench.py [--tasks N] [--warm-up W]

Prints one JSON line for bench/run; "seconds" holds every timed round trip.
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
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--warm-up", type=int, default=20)
    options = parser.parse_args(argv)
    if options.tasks < 1 or options.warm_up < 0:
        parser.error("--tasks must be at least 1 and --warm-up at least 0")
    return options


def check(x, y):
    if y != x + 1:
        sys.exit(f"futures_roundtrip: inc({x}) came back as {y}")


def main():
    options = parse_options()
    report = {**futures_report("futures_roundtrip", options.tasks),
              "warm_up": options.warm_up, "seconds": []}
    start = time.perf_counter()
    with futures_client() as client:
        report["startup_seconds"] = time.perf_counter() - start
        x = 0
        for _ in range(options.warm_up):
            check(x, client.submit(inc, x, pure=False).result())
            x += 1
        for _ in range(options.tasks):
            start = time.perf_counter()
            # the future is dropped (released) within the statement, as on the troupe side
            y = client.submit(inc, x, pure=False).result()
            report["seconds"].append(time.perf_counter() - start)
            check(x, y)
            x += 1
    print(json.dumps(report), flush=True)


if __name__ == "__main__":  # the worker processes import this file: run nothing there
    main()
