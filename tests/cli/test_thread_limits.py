"""`troupe run` when the threads it is asked for cannot be had.

Usage: test_thread_limits.py PATH/TO/troupe

- TROUPE_NUM_WORKERS beyond the bound (or not a number) is refused like --num-workers is: one
  error line naming the source and the bound, exit status 2;
- when the system will not start the threads (here: an address-space limit too small for
  1024 thread stacks), the run fails at once with one error line saying so and how to fix it,
  exit status 2, instead of an unhandled std::system_error and a hang.
"""

import os
import resource
import subprocess
import sys
import tempfile

TIMEOUT_S = 60
GRAPH = '{"graph": {"x": 1, "y": ["inc", "x"]}, "targets": ["y"]}'


def run(troupe, path, args, env=None, limit_bytes=None):
    def limit():
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    try:
        done = subprocess.run([troupe, "run", path, *args], capture_output=True, text=True,
                              timeout=TIMEOUT_S, env=env, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        return None, "", f"hung: no answer within {TIMEOUT_S} s"
    return done.returncode, done.stdout, done.stderr


def expect_error(name, outcome, *fragments):
    status, out, err = outcome
    problems = []
    if status != 2:
        problems.append(f"exit status {status}, expected 2")
    lines = err.strip().splitlines()
    if len(lines) != 1 or not lines[0].startswith("troupe run: error: "):
        problems.append(f"stderr is not one error line: {err.strip()[:300]!r}")
    for fragment in fragments:
        if fragment not in err:
            problems.append(f"stderr lacks {fragment!r}: {err.strip()[:300]}")
    if out:
        problems.append(f"stdout is not empty: {out[:100]!r}")
    print(("FAIL " if problems else "ok   ") + name)
    for p in problems:
        print("     " + p)
    return not problems


def main():
    troupe = sys.argv[1]
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "graph.json")
        with open(path, "w") as f:
            f.write(GRAPH)
        for value in ["100000", "0", "many"]:
            env = dict(os.environ, TROUPE_NUM_WORKERS=value)
            ok &= expect_error(f"TROUPE_NUM_WORKERS={value}", run(troupe, path, [], env=env),
                               "TROUPE_NUM_WORKERS", "1 to 1024")
        # 1024 stacks of 8 MiB cannot fit in 1.5 GB of address space; a few threads can.
        limited = 1_500_000_000
        ok &= expect_error("1024 threads under a 1.5 GB address-space limit",
                           run(troupe, path, ["--num-workers", "1024"], limit_bytes=limited),
                           "could not start 1024 threads", "ulimit")
        status, out, err = run(troupe, path, ["--num-workers", "2"], limit_bytes=limited)
        fine = status == 0 and out.strip() == '{"y":2}'
        print(("ok   " if fine else "FAIL ") + "2 threads under the same limit")
        if not fine:
            print(f"     exit status {status}: {out.strip()[:100]} {err.strip()[:300]}")
        ok &= fine
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
