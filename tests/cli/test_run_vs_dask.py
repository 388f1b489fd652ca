"""`troupe run` against Dask on the same random dict graphs.

Usage: test_run_vs_dask.py PATH/TO/troupe

Builds seeded random DAGs of 10,000 tasks (literals, inc, dec, neg, add, sub, mod by a literal
divisor, sum/min/max over lists, list nodes, aliases; some DAGs with float literals), writes
each as a troupe JSON graph, runs `troupe run` on the sync and threads schedulers, and checks
every target's value, with its exact type and bits, against dask.get and dask.threaded.get on
the same graph written as a Python dict graph. The values the generator computes as it goes
are a third opinion, so a mistake in the test itself shows up too.
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import time

import dask
import dask.threaded

from dask_reference import FUNCTIONS, same

TASKS_PER_DAG = 10_000
TARGETS_PER_DAG = 300
BOUND = 2**40  # past this a value is wrapped in mod 997, so int64 never overflows


class DagBuilder:
    """One random DAG, written three ways: troupe JSON, a Dask dict graph, and its values."""

    def __init__(self, seed, floats, locality):
        self.rng = random.Random(seed)
        self.floats = floats
        self.locality = locality  # chance an input is one of the last 50 numbers (deep DAGs)
        self.json_graph = {}
        self.dask_graph = {}
        self.values = {}
        self.numbers = []  # keys with numeric values of at most BOUND: usable as inputs
        self.lists = []    # keys holding lists of numbers

    def key(self):
        return f"t{len(self.json_graph)}"

    def number_key(self):
        if len(self.numbers) > 50 and self.rng.random() < self.locality:
            return self.rng.choice(self.numbers[-50:])
        return self.rng.choice(self.numbers)

    def literal(self):
        rng = self.rng
        if self.floats and rng.random() < 0.4:
            return rng.choice([rng.uniform(-1000, 1000), rng.choice([0.1, 0.5, 2.5, -0.3, 1e-3])])
        return rng.randint(-1000, 1000)

    def divisor(self):
        rng = self.rng
        if self.floats and rng.random() < 0.3:
            return rng.choice([7.25, -3.5, 0.1, 997.0])
        return rng.choice([d for d in range(-97, 98) if d != 0])

    def number_args(self, count):
        """Keys of numbers, with a literal mixed in now and then (a list argument's items)."""
        return [self.literal() if self.rng.random() < 0.1 else self.number_key()
                for _ in range(count)]

    def resolve(self, arg):
        if isinstance(arg, list):
            return [self.resolve(a) for a in arg]
        if isinstance(arg, str):
            return self.values[arg]
        return arg

    def add_task(self, name, args):
        key = self.key()
        self.json_graph[key] = [name, *args]
        self.dask_graph[key] = (FUNCTIONS[name], *args)
        self.values[key] = FUNCTIONS[name](*(self.resolve(a) for a in args))
        return key

    def add_number(self, key):
        value = self.values[key]
        if abs(value) <= BOUND:
            self.numbers.append(key)
        else:
            self.numbers.append(self.add_task("mod", [key, 997]))

    def add_node(self):
        rng = self.rng
        r = rng.random()
        if not self.numbers or r < 0.10:
            key, value = self.key(), self.literal()
            self.json_graph[key] = self.dask_graph[key] = self.values[key] = value
            self.add_number(key)
        elif r < 0.20:
            self.add_number(self.add_task("inc", [self.number_key()]))
        elif r < 0.25:
            self.add_number(self.add_task("dec", [self.number_key()]))
        elif r < 0.30:
            self.add_number(self.add_task("neg", [self.number_key()]))
        elif r < 0.45:
            other = self.literal() if rng.random() < 0.2 else self.number_key()
            self.add_number(self.add_task("add", [self.number_key(), other]))
        elif r < 0.55:
            self.add_number(self.add_task("sub", [self.number_key(), self.number_key()]))
        elif r < 0.65:
            self.add_number(self.add_task("mod", [self.number_key(), self.divisor()]))
        elif r < 0.85:
            name = rng.choice(["sum", "sum", "min", "max"])
            if self.lists and rng.random() < 0.3:
                arg = rng.choice(self.lists)  # a key whose value is a list
            else:
                arg = self.number_args(rng.randint(1, 8))
            self.add_number(self.add_task(name, [arg]))
        elif r < 0.92:
            self.lists.append(self.add_task("list", self.number_args(rng.randint(1, 6))))
        else:
            key, target = self.key(), self.number_key()
            self.json_graph[key] = self.dask_graph[key] = target  # an alias, as Dask has them
            self.values[key] = self.values[target]
            self.add_number(key)

    def build(self):
        while len(self.json_graph) < TASKS_PER_DAG:
            self.add_node()
        keys = list(self.json_graph)
        targets = self.rng.sample(keys, TARGETS_PER_DAG)
        if keys[-1] not in targets:
            targets[-1] = keys[-1]
        return targets


def run_troupe(troupe, path, flags):
    started = time.perf_counter()
    done = subprocess.run([troupe, "run", path, *flags], capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise AssertionError(f"troupe run {' '.join(flags)} exited {done.returncode}: {done.stderr}")
    return json.loads(done.stdout), elapsed


def check(label, targets, expected, got, failures):
    if isinstance(got, dict):
        if list(got) != targets:
            failures.append(f"{label}: printed keys are not the targets in order")
            return
        got = [got[k] for k in targets]
    bad = [(k, e, g) for k, e, g in zip(targets, expected, got) if not same(e, g)]
    for k, e, g in bad[:5]:
        failures.append(f"{label}: key {k}: expected {e!r} ({type(e).__name__}), "
                        f"got {g!r} ({type(g).__name__})")
    if len(bad) > 5:
        failures.append(f"{label}: ... and {len(bad) - 5} more keys differ")


# (seed, floats, locality): wide and deep DAGs, integers only and with floats.
DAGS = [(1, False, 0.2), (2, False, 0.9), (3, True, 0.5), (4, True, 0.9)]
RUNS = [["--scheduler", "sync"],
        ["--scheduler", "threads", "--num-workers", "2"],
        ["--scheduler", "threads", "--num-workers", "4"]]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: test_run_vs_dask.py PATH/TO/troupe")
    troupe = sys.argv[1]
    failures = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="troupe_run_vs_dask_") as tmp:
        for seed, floats, locality in DAGS:
            builder = DagBuilder(seed, floats, locality)
            targets = builder.build()
            name = f"dag {seed} ({'floats' if floats else 'ints'}, locality {locality})"
            # One file leaves its targets to --keys, to exercise that path too.
            use_keys = seed == 2
            path = os.path.join(tmp, f"dag{seed}.json")
            with open(path, "w") as f:
                doc = {"graph": builder.json_graph}
                if not use_keys:
                    doc["targets"] = targets
                json.dump(doc, f)

            t0 = time.perf_counter()
            dask_sync = list(dask.get(builder.dask_graph, targets))
            t1 = time.perf_counter()
            dask_threads = list(dask.threaded.get(builder.dask_graph, targets, num_workers=4))
            t2 = time.perf_counter()
            reference = [builder.values[k] for k in targets]
            check(f"{name}: generator vs dask.get", targets, dask_sync, reference, failures)
            check(f"{name}: dask.threaded.get", targets, dask_sync, dask_threads, failures)
            timings = [f"dask.get {t1 - t0:.2f}s", f"dask.threaded.get {t2 - t1:.2f}s"]
            for flags in RUNS:
                label = " ".join(flags)
                flags = flags + (["--keys", ",".join(targets)] if use_keys else [])
                got, elapsed = run_troupe(troupe, path, flags)
                check(f"{name}: troupe run {label}", targets, dask_sync, got, failures)
                timings.append(f"troupe {label} {elapsed:.2f}s")
            print(f"{name}: {len(builder.json_graph)} tasks, {len(targets)} targets; "
                  + ", ".join(timings))
    print(f"total {time.perf_counter() - started:.1f}s")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print("all values match Dask")


if __name__ == "__main__":
    main()
