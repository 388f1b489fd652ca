#!/usr/bin/env python3
"""How `troupe run` scales with the size of a graph file: a measurement, not a test.

    .venv/bin/python bench/scaling.py build/cli/troupe [--repeat 3] [--timeout 120] [CASE ...]

Writes graph files into a temporary folder and times the whole command (read, compile, run,
print) on each case, in a fresh process per run; prints the median of --repeat runs. A run
that passes --timeout is stopped and reported as "> N s" (the case's other runs are skipped);
one killed by a signal is reported as "crash (SIGNAL)", one that exits with an error or prints
a wrong value as "error".

Cases (all chains are k_0 = 0, k_i = ["inc", "k_{i-1}"]):
  chain_1m_read       the 1M-key chain with --keys k_0: reading it, next to nothing to run
  chain_1m_sync       the 1M-key chain up to k_999999 on --scheduler sync (read + run)
  literals_25k/100k/200k  that many literal keys, each computed and printed, on sync
  chain_1m_threads1   the 1M-key chain on --scheduler threads --num-workers 1
  chain_1m_threads2   the same on --num-workers 2
  deep_50k_print      l_0 = ["list"], l_i = ["list", "l_{i-1}"]: printing l_50000, a list
                      nested 50,001 deep, on sync
"""

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def chain(n):
    graph = {"k_0": 0}
    for i in range(1, n):
        graph[f"k_{i}"] = ["inc", f"k_{i - 1}"]
    return {"graph": graph, "targets": [f"k_{n - 1}"]}


def literals(n):
    return {"graph": {f"x_{i}": i for i in range(n)}}


def deep(n):
    graph = {"l_0": ["list"]}
    for i in range(1, n + 1):
        graph[f"l_{i}"] = ["list", f"l_{i - 1}"]
    return {"graph": graph, "targets": [f"l_{n}"]}


def check_chain(n):
    return lambda out: json.loads(out) == {f"k_{n - 1}": n - 1}


def check_literals(n):
    def check(out):
        values = json.loads(out)
        return len(values) == n and values[f"x_{n - 1}"] == n - 1
    return check


def check_deep(n):
    expected = '{"l_%d":%s%s}\n' % (n, "[" * (n + 1), "]" * (n + 1))
    return lambda out: out == expected


# name: (file, its maker, extra arguments, output check)
CASES = {
    "chain_1m_read": ("chain_1m", lambda: chain(1_000_000), ["--keys", "k_0", "--scheduler", "sync"],
                      lambda out: json.loads(out) == {"k_0": 0}),
    "chain_1m_sync": ("chain_1m", lambda: chain(1_000_000), ["--scheduler", "sync"],
                      check_chain(1_000_000)),
    "literals_25k": ("literals_25k", lambda: literals(25_000), ["--scheduler", "sync"],
                     check_literals(25_000)),
    "literals_100k": ("literals_100k", lambda: literals(100_000), ["--scheduler", "sync"],
                      check_literals(100_000)),
    "literals_200k": ("literals_200k", lambda: literals(200_000), ["--scheduler", "sync"],
                      check_literals(200_000)),
    "chain_1m_threads1": ("chain_1m", lambda: chain(1_000_000),
                          ["--scheduler", "threads", "--num-workers", "1"], check_chain(1_000_000)),
    "chain_1m_threads2": ("chain_1m", lambda: chain(1_000_000),
                          ["--scheduler", "threads", "--num-workers", "2"], check_chain(1_000_000)),
    "deep_50k_print": ("deep_50k", lambda: deep(50_000), ["--scheduler", "sync"],
                       check_deep(50_000)),
}


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("troupe", type=Path, help="the troupe executable (e.g. build/cli/troupe)")
    parser.add_argument("cases", nargs="*", metavar="CASE",
                        help="cases to run (default: all): " + ", ".join(CASES))
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (default 3)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds before a run is stopped (default 120)")
    options = parser.parse_args()
    unknown = [c for c in options.cases if c not in CASES]
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; the cases are {', '.join(CASES)}")
    if not options.troupe.is_file():
        parser.error(f"{options.troupe} is not a file: build troupe first "
                     f"(cmake --build build --target troupe)")
    options.cases = options.cases or list(CASES)
    return options


def time_case(troupe, path, args, check, options):
    """The median seconds as text, or why there is none."""
    seconds = []
    for _ in range(options.repeat):
        start = time.perf_counter()
        try:
            done = subprocess.run([str(troupe), "run", str(path), *args], capture_output=True,
                                  text=True, timeout=options.timeout)
        except subprocess.TimeoutExpired:
            return f"> {options.timeout:g} s", seconds
        elapsed = time.perf_counter() - start
        if done.returncode < 0:
            return f"crash ({signal.Signals(-done.returncode).name})", seconds
        if done.returncode != 0:
            return f"error: {done.stderr.strip()[:60]}", seconds
        if not check(done.stdout):
            return "error: wrong output", seconds
        seconds.append(elapsed)
    return f"{statistics.median(seconds):.3f} s", seconds


def main():
    options = parse_options()
    print(f"troupe run scaling: {options.troupe}, median of {options.repeat}, "
          f"timeout {options.timeout:g} s")
    print(f"{'case':<20} {'median':>16}  runs (s)")
    with tempfile.TemporaryDirectory(prefix="troupe-scaling-") as scratch:
        written = {}
        for name in options.cases:
            file, make, args, check = CASES[name]
            if file not in written:
                written[file] = Path(scratch) / f"{file}.json"
                with open(written[file], "w") as f:
                    json.dump(make(), f)
            median, runs = time_case(options.troupe, written[file], args, check, options)
            print(f"{name:<20} {median:>16}  {' '.join(f'{s:.3f}' for s in runs)}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
