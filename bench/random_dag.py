"""The random DAG of the random_dag workloads, written to a file that troupe and Dask both read.

Task i < ROOTS is the literal i + 1; every later task i is (a + b) % MODULUS of two distinct
earlier tasks a and b, drawn with splitmix64 from SEED. The file (format in
bench/common/random_dag.hpp) carries the checksum: the sum of the values of the sinks, the
tasks nothing depends on, which both sides compute.
"""

from pathlib import Path

MODULUS = 1_000_003
ROOTS = 8
SEED = 2026
MAGIC = "troupe-random-dag 1"
_MASK = (1 << 64) - 1


def _splitmix64(seed):
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) & _MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        yield z ^ (z >> 31)


def generate(tasks, seed=SEED):
    """The dependency pairs of tasks ROOTS .. tasks - 1."""
    draws = _splitmix64(seed)
    pairs = []
    for i in range(ROOTS, tasks):
        a = next(draws) % i
        b = next(draws) % (i - 1)
        pairs.append((a, b + 1 if b >= a else b))
    return pairs


def sinks(roots, pairs):
    has_dependent = [False] * (roots + len(pairs))
    for a, b in pairs:
        has_dependent[a] = has_dependent[b] = True
    return [i for i, used in enumerate(has_dependent) if not used]


def checksum(roots, pairs):
    """The expected result, computed directly: the sum of the sinks' values."""
    values = list(range(1, roots + 1))
    for a, b in pairs:
        values.append((values[a] + values[b]) % MODULUS)
    return sum(values[i] for i in sinks(roots, pairs))


def write(path, tasks):
    pairs = generate(tasks)
    lines = [MAGIC, f"tasks {tasks} roots {ROOTS} checksum {checksum(ROOTS, pairs)}"]
    lines += [f"{a} {b}" for a, b in pairs]
    Path(path).write_text("\n".join(lines) + "\n")


def read(path):
    """(roots, pairs, checksum) of a file written by write()."""
    lines = Path(path).read_text().splitlines()
    if len(lines) < 2 or lines[0] != MAGIC:
        raise ValueError(f"{path}: not a random DAG file (write it with bench/random_dag.py)")
    _, tasks, _, roots, _, expected = lines[1].split()
    pairs = [tuple(map(int, line.split())) for line in lines[2:]]
    if int(roots) + len(pairs) != int(tasks):
        raise ValueError(f"{path}: {len(pairs)} dependency lines for {tasks} tasks")
    return int(roots), pairs, int(expected)
