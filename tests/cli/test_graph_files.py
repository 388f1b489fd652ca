"""`troupe run` on the graph files in a folder, each with its expected outcome.

Usage: test_graph_files.py PATH/TO/troupe GRAPHS_FOLDER

For every NAME.expected in the folder, runs `troupe run NAME.json ARGS...` on the sync and the
threads scheduler. NAME.expected is JSON:
  {"args": [...], "stdout": {KEY: VALUE, ...}}            a success: exit 0, exactly this output,
                                                          as json.dumps writes it (compact)
  {"args": [...], "status": 2, "stderr": ["text", ...]}   a failure: one error line holding each text
("args" may be left out.) The expected output of a success is checked against dask.get on the
same graph too, so the files cannot drift from Dask's semantics.
"""

import glob
import json
import os
import subprocess
import sys

import dask

from dask_reference import same, to_dask_graph

SCHEDULERS = [["--scheduler", "sync"], ["--scheduler", "threads", "--num-workers", "2"]]


def check_against_dask(graph_path, keys, expected):
    with open(graph_path) as f:
        json_graph = json.load(f)["graph"]
    values = dask.get(to_dask_graph(json_graph), list(keys))
    return [f"dask.get gives {k} = {v!r}, the file expects {expected[k]!r}"
            for k, v in zip(keys, values) if not same(v, expected[k])]


def python_text(value):
    """The value as Python's json module writes it, compactly (NaN, Infinity included)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False) + "\n"


def check_case(troupe, expected_path):
    graph_path = expected_path[: -len(".expected")] + ".json"
    with open(expected_path) as f:
        expected = json.load(f)
    problems = []
    if "stdout" in expected:
        problems += check_against_dask(graph_path, list(expected["stdout"]), expected["stdout"])
    for scheduler in SCHEDULERS:
        args = [troupe, "run", graph_path, *expected.get("args", []), *scheduler]
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
        where = " ".join(scheduler)
        status = expected.get("status", 0)
        if done.returncode != status:
            problems.append(f"{where}: exit status {done.returncode}, expected {status}; "
                            f"stderr: {done.stderr.strip()}")
            continue
        if "stdout" in expected:
            try:
                got = json.loads(done.stdout)
            except json.JSONDecodeError as e:
                problems.append(f"{where}: stdout is not JSON ({e}): {done.stdout!r}")
                continue
            if not same(got, expected["stdout"]) or done.stdout.count("\n") != 1:
                problems.append(f"{where}: printed {done.stdout.strip()}")
            elif done.stdout != python_text(expected["stdout"]):
                problems.append(f"{where}: printed {done.stdout.strip()}, not as Python's json "
                                f"writes it: {python_text(expected['stdout']).strip()}")
        else:
            err = done.stderr
            if not err.startswith("troupe run: error: ") or err.count("\n") != 1:
                problems.append(f"{where}: stderr is not one 'troupe run: error: ' line: {err!r}")
            problems += [f"{where}: stderr lacks {text!r}: {err.strip()}"
                         for text in expected["stderr"] if text not in err]
            if done.stdout:
                problems.append(f"{where}: a failure printed to stdout: {done.stdout!r}")
    return problems


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: test_graph_files.py PATH/TO/troupe GRAPHS_FOLDER")
    troupe, folder = sys.argv[1], sys.argv[2]
    cases = sorted(glob.glob(os.path.join(folder, "*.expected")))
    if not cases:
        sys.exit(f"no *.expected files in {folder}")
    failed = 0
    for path in cases:
        problems = check_case(troupe, path)
        name = os.path.basename(path)[: -len(".expected")]
        print(f"{'FAIL' if problems else 'ok  '} {name}")
        for problem in problems:
            print(f"     {problem}")
        failed += bool(problems)
    print(f"{len(cases) - failed} of {len(cases)} graph files as expected")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
