"""`troupe run` on graphs too large to keep as files: generated here, run on the sync scheduler.

Usage: test_large_graphs.py PATH/TO/troupe

- a list nested 50,001 deep, built by 50,000 tasks (l_i = ["list", "l_{i-1}"]), prints (the
  printer recursed once per level and overflowed the stack) as JSON that Python's json reads;
- a 300,000-key chain (k_i = ["inc", "k_{i-1}"]) reads and runs well inside the timeout (reading
  was quadratic in the number of keys: minutes for this file).
"""

import json
import os
import subprocess
import sys
import tempfile
import threading

TIMEOUT_S = 60


def write_graph(folder, name, graph, targets):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        json.dump({"graph": graph, "targets": targets}, f)
    return path


def run(troupe, path):
    done = subprocess.run([troupe, "run", path, "--scheduler", "sync"], capture_output=True,
                          text=True, timeout=TIMEOUT_S)
    if done.returncode != 0:
        return None, f"exit status {done.returncode}: {done.stderr.strip()[:200]}"
    return done.stdout, None


def deep_list(troupe, folder):
    depth = 50_000
    graph = {"l_0": ["list"]}
    for i in range(1, depth + 1):
        graph[f"l_{i}"] = ["list", f"l_{i - 1}"]
    out, problem = run(troupe, write_graph(folder, "deep.json", graph, [f"l_{depth}"]))
    if problem:
        return problem
    # json.loads recurses once per level too: give it the room in a thread of its own.
    parsed = {}
    def parse():
        sys.setrecursionlimit(10 * depth)
        parsed["value"] = json.loads(out)
    threading.stack_size(512 << 20)
    reader = threading.Thread(target=parse)
    reader.start()
    reader.join()
    if "value" not in parsed:
        return "Python's json could not read the output"
    value, levels = parsed["value"][f"l_{depth}"], 0
    while value:
        value, levels = value[0], levels + 1
    if levels != depth:
        return f"the printed list is nested {levels + 1} deep, not {depth + 1}"
    return None


def long_chain(troupe, folder):
    n = 300_000
    graph = {"k_0": 0}
    for i in range(1, n):
        graph[f"k_{i}"] = ["inc", f"k_{i - 1}"]
    out, problem = run(troupe, write_graph(folder, "chain.json", graph, [f"k_{n - 1}"]))
    if problem:
        return problem
    if json.loads(out) != {f"k_{n - 1}": n - 1}:
        return f"printed {out.strip()[:200]}"
    return None


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: test_large_graphs.py PATH/TO/troupe")
    troupe = sys.argv[1]
    failed = 0
    with tempfile.TemporaryDirectory(prefix="troupe-large-") as folder:
        for check in (deep_list, long_chain):
            try:
                problem = check(troupe, folder)
            except subprocess.TimeoutExpired:
                problem = f"took more than {TIMEOUT_S} s"
            print(f"{'FAIL' if problem else 'ok  '} {check.__name__}")
            if problem:
                print(f"     {problem}")
            failed += bool(problem)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
