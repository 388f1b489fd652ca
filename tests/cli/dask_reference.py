"""What both `troupe run` tests share: troupe's builtins as Python functions, and a strict
comparison of values."""

import builtins
import math
import operator

# The Python functions of the same names as troupe's builtins, as Dask would call them.
FUNCTIONS = {
    "inc": lambda x: x + 1,
    "dec": lambda x: x - 1,
    "neg": operator.neg,
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "mod": operator.mod,
    "sum": builtins.sum,
    "min": builtins.min,
    "max": builtins.max,
    "list": lambda *items: list(items),
}


def same(a, b):
    """Equal with the same type, floats bit for bit (the sign of zero included; NaN equals
    NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return a == b


def to_dask_graph(json_graph):
    """A troupe JSON graph as a Dask dict graph: a top-level list that starts with a string is
    a task tuple; everything else (keys inside lists included) Dask reads as troupe does."""
    return {key: (FUNCTIONS[value[0]], *value[1:])
            if isinstance(value, list) and value and isinstance(value[0], str) else value
            for key, value in json_graph.items()}
