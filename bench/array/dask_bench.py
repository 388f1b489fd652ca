"""The array workloads of bench/array/troupe.cpp on Dask's threads scheduler (dask.array)."""

import argparse
import json
import time

import dask
import dask.array as da


def run_case(name, n, chunk):
    if name == "seed000":
        x = da.random.RandomState(42).normal(10, 1, size=(n, n), chunks=(chunk, chunk))
        return float((x + 1)[::2, ::2].sum().compute())
    if name in ("seed001_40k", "seed001_full"):
        x = da.ones((n, n), chunks=(chunk, chunk))
        return float((x * x[::-1, ::-1]).sum().compute())
    x = da.random.RandomState(42).normal(0, 1, size=(n, n), chunks=(chunk, chunk))
    return float(x.mean(axis=1).compute().mean())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", required=True,
                        choices=["seed000", "seed001_40k", "seed001_full", "seed003_20k"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--num-workers", type=int, default=0)
    options = parser.parse_args()
    n, chunk = {"seed000": (10000, 1000), "seed001_40k": (40000, 4000),
                "seed001_full": (200000, 10000), "seed003_20k": (20000, 5000)}[options.case]
    if options.quick:
        n, chunk = n // 10, chunk // 10
    config = {"scheduler": "threads"}
    if options.num_workers:
        config["num_workers"] = options.num_workers
    report = {"workload": options.case, "implementation": "dask", "n": n, "chunk": chunk,
              "seconds": []}
    with dask.config.set(config):
        for _ in range(options.repeat):
            start = time.perf_counter()
            report["result"] = run_case(options.case, n, chunk)
            report["seconds"].append(time.perf_counter() - start)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
