"""What the cluster integration tests share: reporting checks, and reading and stopping the
processes they start."""

import os
import signal
import subprocess


def kill_group(pgid, sig=signal.SIGKILL):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def pgrep(*args):
    done = subprocess.run(["pgrep", *args], capture_output=True, text=True)
    return sorted(int(p) for p in done.stdout.split())


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def tail(text, n=600):
    text = text.strip()
    return text if len(text) <= n else "..." + text[-n:]


class Failures:
    def __init__(self):
        self.items = []

    def check(self, name, problems):
        """Prints ok/FAIL for one check; problems is a list of strings."""
        problems = [p for p in problems if p]
        print(("FAIL " if problems else "ok   ") + name, flush=True)
        for p in problems:
            print("     " + p.replace("\n", "\n     "), flush=True)
        self.items += [f"{name}: {p}" for p in problems]
        return not problems
