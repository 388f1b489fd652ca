"""What the cluster integration tests share: reporting checks, and reading and stopping the
processes they start."""

import os
import re
import signal
import subprocess
import time


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


DATA_PLANE_MARKER = "inputs fetched over the data plane"


def data_plane_fetches(scheduler_pid, s_err, workers=2, timeout=5):
    """Asks the scheduler for its state dump (SIGUSR1, written to its stderr file s_err) and
    returns the inputs each of its `workers` workers says it fetched over the data plane, or
    None when no dump came within `timeout` seconds."""
    before = read(s_err).count(DATA_PLANE_MARKER)
    os.kill(scheduler_pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while read(s_err).count(DATA_PLANE_MARKER) < before + workers:
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)
    counts = re.findall(r"; (\d+) " + DATA_PLANE_MARKER, read(s_err))
    return [int(n) for n in counts[-workers:]]


def data_plane_direct_copies(s_err, workers=2):
    """Of the inputs in the last state dump's data-plane counts (data_plane_fetches asks for
    it), how many each worker copied straight from the holder's memory (same host)."""
    counts = re.findall(r"; \d+ " + DATA_PLANE_MARKER + r" \((\d+) copied", read(s_err))
    return [int(n) for n in counts[-workers:]]


def data_plane_segmented(s_err, workers=2):
    """Of the same, how many each worker received in segments over several connections."""
    counts = re.findall(r"; \d+ " + DATA_PLANE_MARKER + r" \(\d+ copied from the holder's "
                        r"memory, (\d+) in segments", read(s_err))
    return [int(n) for n in counts[-workers:]]


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
