"""troupe's arrays against numpy on the same inputs: runs tests/array/numpy_expressions.cpp's
program (on sync and on threads) and evaluates each of its expressions with numpy; the
shapes and dtypes must be equal, int64 and bool values exactly, float64 ones within 1e-12
relative (sums may add in another order), float32 ones within 2 ulp (troupe folds float32
partials in float64, numpy in float32).

Usage: check_against_numpy.py PATH/TO/array_numpy_expressions
"""

import json
import subprocess
import sys

import numpy as np


def make_input(shape, phase):
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (np.sin(0.37 * i + phase) * 3 + 0.1 * (i % 7)).reshape(shape)


def integer_input(shape):
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    return ((i * 7919) % 23 - 11).reshape(shape)


def agrees(values, want):
    if want.dtype == np.float64:
        return np.allclose(values, want, rtol=1e-12, atol=1e-12)
    if want.dtype == np.float32:
        return np.allclose(values, want, rtol=2.5e-7, atol=1e-7)
    return np.array_equal(values, want)


def main():
    program = sys.argv[1]
    x = make_input((13, 11), 0.0)
    y = make_input((13, 11), 1.0)
    v = make_input((11,), 2.0)
    row = make_input((11,), 3.0)
    xi = integer_input((13, 11))
    xf = x.astype(np.float32)
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
        "int_arith": xi * 3 + xi - 2,
        "int_div": xi / 4,
        "int_sum0": xi.sum(axis=0),
        "int_mean1": xi.mean(axis=1),
        "int_max": np.asarray(xi.max()),
        "int_prod0": xi.prod(axis=0),
        "int_var0": xi.var(axis=0),
        "int_float": xi + x,
        "int_dot": xi.T.dot(xi),
        "int_neg_abs": -np.abs(xi[::-2]),
        "bool_and": (x > 0) * (y > 0),
        "bool_or": (x > 0) + (y < 0),
        "bool_sum1": (x > y).sum(axis=1),
        "bool_plus_int": (x > 0) + 1,
        "bool_min0": (x > -2).min(axis=0),
        "f32_arith": xf * 0.1 + xf / 3,
        "f32_sqrt": np.sqrt(np.abs(xf)),
        "f32_sum0": xf.sum(axis=0),
        "f32_mean1": xf.mean(axis=1),
        "f32_f64": xf + x,
        "f32_int": xf + xi,
        "astype_int": (x * 3).astype(np.int64),
        "astype_bool": (x * 0 + xi).astype(bool),
        "where_mixed": np.where(x > 0, xi, xf),
        "linspace": np.linspace(-1, 2.5, 13),
        "linspace_open": np.linspace(0, 1, 10, endpoint=False),
        "arange_int": np.arange(-5, 40, 3),
        "lists_arith": x * 2.0 + y,
        "lists_sum1": x.sum(axis=1),
        "lists_var0": x.var(axis=0),
        "lists_dot": x.T.dot(y),
        "lists_slice": x[::-2, 1:],
        "lists_rechunk": y - x,
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
            dtype = got[name]["dtype"]
            if shape != want.shape:
                failures.append(f"{scheduler} {name}: shape {shape}, numpy {want.shape}")
            elif dtype != str(want.dtype):
                failures.append(f"{scheduler} {name}: dtype {dtype}, numpy {want.dtype}")
            else:
                values = np.array(got[name]["values"], dtype=want.dtype)
                if not agrees(values, want.ravel()):
                    worst = np.max(np.abs(values.astype(np.float64) - want.ravel()))
                    failures.append(f"{scheduler} {name}: differs from numpy by up to {worst:g}")
    for f in failures:
        print("FAIL:", f)
    print(f"{len(expected)} expressions x 2 schedulers against numpy {np.__version__}: "
          f"{'all agree' if not failures else f'{len(failures)} differ'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
