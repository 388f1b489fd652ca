"""transfer in Dask: a float64 array of --mib MiB (128 for transfer_128mib) between the
processes of a LocalCluster of 2 worker processes x 1 thread, as troupe.cpp here does:

  scatter_gather    client.scatter(array), then client.gather of it (2 x its bytes move)
  worker_to_worker  the array held by one worker is the input of a task restricted to the
                    other (len: O(1), so the time is the move)

Each repetition sends fresh contents (so a fresh key), after an untimed one; each timed part
starts after a 0.5 s pause (the previous repetition's arrays are freed meanwhile, on both
sides). The results are checked. Prints one JSON line for bench/run.

    dask_bench.py [--mib N] [--repeat R]
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from futures_cluster import futures_client, futures_report  # noqa: E402


def parse_options(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args(argv)
    if options.mib < 1 or options.repeat < 1:
        parser.error("--mib and --repeat must be at least 1")
    return options


def main():
    options = parse_options()
    n = options.mib * (1 << 20) // 8
    report = {**futures_report("transfer", 1), "bytes": n * 8,
              "scatter_gather_seconds": [], "worker_to_worker_seconds": []}
    start = time.perf_counter()
    with futures_client() as client:
        report["startup_seconds"] = time.perf_counter() - start
        for r in range(options.repeat + 1):  # repetition 0 warms up, untimed
            data = np.arange(n, dtype=np.float64) + 0.5 * r
            time.sleep(0.5)
            t0 = time.perf_counter()
            future = client.scatter(data)
            back = client.gather(future)
            scatter_gather = time.perf_counter() - t0
            if not np.array_equal(back, data):
                sys.exit("transfer: gather returned other numbers than scattered")
            holders = client.who_has(future)[future.key]
            other = next(w for w in client.scheduler_info()["workers"] if w not in holders)
            time.sleep(0.5)
            t0 = time.perf_counter()
            length = client.submit(len, future, workers=[other], pure=False).result()
            worker_to_worker = time.perf_counter() - t0
            if length != n:
                sys.exit(f"transfer: the other worker saw {length} elements")
            del future, back
            if r == 0:
                continue
            report["scatter_gather_seconds"].append(scatter_gather)
            report["worker_to_worker_seconds"].append(worker_to_worker)
    print(json.dumps(report), flush=True)


if __name__ == "__main__":  # the worker processes import this file: run nothing there
    main()
