"""futures_roundtrip in Dask: the latency of one task on a LocalCluster of 2 worker processes
x 1 thread: the wall time of client.submit(inc, x, pure=False).result(), one call at a time,
--tasks times after --warm-up untimed calls (troupe.cpp here). pure=False gives every call a
fresh key, so each one is really computed on a worker.

    dask_bench.py [--tasks N] [--warm-up W]

Prints one JSON line for bench/run; "seconds" holds every timed round trip.
"""

import argparse
import json
import logging
import sys
import time

import dask
import distributed
from distributed import Client, LocalCluster

N_WORKERS = 2
THREADS_PER_WORKER = 1


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
    report = {"workload": "futures_roundtrip", "implementation": "dask", "api": "futures",
              "scheduler": "distributed", "version": dask.__version__,
              "distributed_version": distributed.__version__, "n_workers": N_WORKERS,
              "threads_per_worker": THREADS_PER_WORKER, "tasks": options.tasks,
              "warm_up": options.warm_up, "seconds": []}
    start = time.perf_counter()
    with LocalCluster(n_workers=N_WORKERS, threads_per_worker=THREADS_PER_WORKER,
                      processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        client.wait_for_workers(N_WORKERS)
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
