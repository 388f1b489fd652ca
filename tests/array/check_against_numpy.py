"""troupe's arrays against numpy on the same inputs: runs tests/array/numpy_expressions.cpp's
program (on sync and on threads) and evaluates each of its expressions with numpy; the
shapes must be equal and the values within 1e-12 relative (sums may add in another order).

Usage: check_against_numpy.py PATH/TO/array_numpy_expressions
"""

import json
import subprocess
import sys

import numpy as np


def make_input(shape, phase):
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (np.sin(0.37 * i + phase) * 3 + 0.1 * (i % 7)).reshape(shape)


def main():
    program = sys.argv[1]
    x = make_input((13, 11), 0.0)
    y = make_input((13, 11), 1.0)
    v = make_input((11,), 2.0)
    row = make_input((11,), 3.0)
    expected = {
        "arith": x + y * 2.0 - 1.0 / (x * x + 1.0),
        "slice_neg": x[::-1, 2:-1:3],
        "slice_sum0": x[1::2, ::-2].sum(axis=0),
        "centred": x - x.mean(axis=1, keepdims=True),
        "t_dot": x.T.dot(y),
        "var0_ddof1": x.var(axis=0, ddof=1),
        "std_all": np.asarray(x.std()),
        "where": np.where(x > 0, x, y),
        "funcs": np.sqrt(np.abs(x)) + np.exp(x / 10.0) + np.log(np.abs(y) + 1.0),
        "max1": x.max(axis=1),
        "min_all": np.asarray(x.min()),
        "prod0": (x / 3.0).prod(axis=0),
        "select3": x[3],
        "last_col": x[:, -1],
        "mat_vec": x.dot(v),
        "vec_vec": np.asarray(v.dot(v)),
        "rechunk_rev": x[::-1, ::-1],
        "broadcast_row": x * row + (x < y),
        "mean_keep": y.mean(axis=0, keepdims=True),
    }
    failures = []
    for scheduler in ("sync", "threads"):
        done = subprocess.run([program, scheduler], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            sys.exit(f"{program} {scheduler} failed: {done.stderr.strip()}")
        got = json.loads(done.stdout)
        if set(got) != set(expected):
            failures.append(f"{scheduler}: expressions {sorted(set(got) ^ set(expected))} "
                            "are on one side only")
        for name, want in expected.items():
            if name not in got:
                continue
            shape = tuple(got[name]["shape"])
            values = np.array(got[name]["values"], dtype=np.float64)
            if shape != want.shape:
                failures.append(f"{scheduler} {name}: shape {shape}, numpy {want.shape}")
            elif not np.allclose(values, want.ravel(), rtol=1e-12, atol=1e-12):
                worst = np.max(np.abs(values - want.ravel()))
                failures.append(f"{scheduler} {name}: differs from numpy by up to {worst:g}")
    for f in failures:
        print("FAIL:", f)
    print(f"{len(expected)} expressions x 2 schedulers against numpy {np.__version__}: "
          f"{'all agree' if not failures else f'{len(failures)} differ'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
