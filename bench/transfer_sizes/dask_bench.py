"""transfer_sizes in Dask: worker -> worker moves of float64 arrays from 1 KiB to 512 MiB on a
LocalCluster of 2 worker processes x 1 thread, as troupe.cpp here does. Per size (1 KiB,
4 KiB, ... by fours, and --max-mib): the median seconds of --repeat moves (4x as many under
1 MiB; each the input of a task pinned to the other worker, the array scattered to the first
one beforehand) and the CPU seconds the sending and the receiving worker process spent per GB
moved. Then the delay a control message sees while the largest array moves: round trips of a
tiny task on the sender, against the same with nothing moving. Prints one JSON line.

    dask_bench.py [--max-mib N] [--repeat R]
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from futures_cluster import futures_client, futures_report  # noqa: E402


def inc(x):
    return x + 1


def cpu_seconds():
    times = os.times()
    return times.user + times.system


def round_trips(client, worker, count, busy):
    seconds = []
    i = 0
    while len(seconds) < count or (count == 0 and (not seconds or busy())):
        t0 = time.perf_counter()
        if client.submit(inc, i, workers=[worker], pure=False).result() != i + 1:
            sys.exit("transfer_sizes: inc gave a wrong answer")
        seconds.append(time.perf_counter() - t0)
        i += 1
    return seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-mib", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    report = {**futures_report("transfer_sizes", 1), "sizes": []}
    start = time.perf_counter()
    with futures_client() as client:
        report["startup_seconds"] = time.perf_counter() - start
        sender, receiver = sorted(client.scheduler_info()["workers"])
        sizes = []
        size = 1024
        while size < options.max_mib << 20:
            sizes.append(size)
            size *= 4
        sizes.append(options.max_mib << 20)
        for size in sizes:
            n = size // 8
            reps = 4 * options.repeat if size < (1 << 20) else options.repeat
            seconds, sender_cpu, receiver_cpu = [], 0.0, 0.0
            for r in range(reps):
                array = client.scatter(np.full(n, float(r)), workers=[sender])
                time.sleep(0.3 if size >= (64 << 20) else 0.02)
                before = client.run(cpu_seconds)
                t0 = time.perf_counter()
                got = client.submit(len, array, workers=[receiver], pure=False).result()
                seconds.append(time.perf_counter() - t0)
                after = client.run(cpu_seconds)
                sender_cpu += after[sender] - before[sender]
                receiver_cpu += after[receiver] - before[receiver]
                if got != n:
                    sys.exit(f"transfer_sizes: the receiver saw {got} elements")
                del array
            gb = reps * size / 1e9
            report["sizes"].append({"bytes": size, "repeat": reps,
                                    "seconds": statistics.median(seconds),
                                    "sender_cpu_seconds_per_gb": sender_cpu / gb,
                                    "receiver_cpu_seconds_per_gb": receiver_cpu / gb})
        report["idle_round_trip_seconds"] = round_trips(client, sender, 20, lambda: False)
        array = client.scatter(np.full((options.max_mib << 20) // 8, 1.0), workers=[sender])
        time.sleep(0.3)
        moving = client.submit(len, array, workers=[receiver], pure=False)
        report["busy_round_trip_seconds"] = round_trips(client, sender, 0,
                                                        lambda: not moving.done())
        moving.result()
        report["busy_bytes"] = options.max_mib << 20
    print(json.dumps(report), flush=True)


if __name__ == "__main__":  # the worker processes import this file: run nothing there
    main()
