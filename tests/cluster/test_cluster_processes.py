"""`troupe scheduler`, `troupe worker` and `troupe run --address` as real processes on loopback.

Usage: test_cluster_processes.py PATH/TO/troupe

- bad input: a worker for an address where nothing listens, or for no address at all, a
  scheduler on port 99999: exit status 2 and one error line; --help of both exits 0;
- a scheduler (--port 0) and `troupe worker ADDR --nworkers 2 --nthreads 2`: every graph file
  of tests/cli/graphs that succeeds prints, with --address, what `--scheduler sync` prints, and
  a generated 5,000-task tree sum and 200 chains of incs give the values computed here;
- the same graphs on `--scheduler processes` (a local cluster of worker processes; none of its
  processes is left once `troupe run` is done);
- kill -9 of a worker process: its nanny starts a new one within seconds and tells the
  scheduler how the old one ended (the scheduler logs it), and the cluster
  still computes the graphs right; a graph of 200,000 tasks computes right though a worker
  process is killed while it runs;
- garbage on the scheduler's port (random bytes, an HTTP request) does not kill it: it still
  computes a graph afterwards;
- SIGTERM to the scheduler: it exits 0 within seconds, and the worker processes then exit too.

Every process started here runs in a session of its own and is killed with its process group
at the end, whatever happens; the test fails if any of them is left over.
"""

import glob
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_test_support import (Failures, data_plane_direct_copies, data_plane_fetches,  # noqa: E402
                                  kill_group, pgrep, read, tail)

HERE = os.path.dirname(os.path.abspath(__file__))
GRAPHS = os.path.join(HERE, "..", "cli", "graphs")
RUN_TIMEOUT_S = 30      # one `troupe run` (a few seconds at most when all is well)
JOIN_TIMEOUT_S = 60     # the workers joining the scheduler
RESTART_TIMEOUT_S = 10  # a nanny restarting its worker
STOP_TIMEOUT_S = 10     # the scheduler stopping on SIGTERM
WORKERS_STOP_TIMEOUT_S = 20  # the worker processes stopping once the scheduler is gone

TRIVIAL = {"graph": {"x": 1, "y": ["inc", "x"]}, "targets": ["y"]}


class Processes:
    """The long-running processes this test starts, each in a session (process group) of its
    own, so that killing the group kills the nannies and workers it started too."""

    def __init__(self, folder):
        self.folder = folder
        self.started = []  # (name, Popen, stdout path, stderr path)

    def start(self, name, args):
        out = os.path.join(self.folder, f"{name}.{len(self.started)}.out")
        err = os.path.join(self.folder, f"{name}.{len(self.started)}.err")
        with open(out, "w") as o, open(err, "w") as e:
            proc = subprocess.Popen(args, stdout=o, stderr=e, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        self.started.append((name, proc, out, err))
        return proc, out, err

    def groups(self):
        return [proc.pid for _, proc, _, _ in self.started]

    def kill_all(self):
        for _, proc, _, _ in self.started:
            kill_group(proc.pid)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


def run(args, timeout=RUN_TIMEOUT_S):
    """Runs a command in a session of its own; returns (status, stdout, stderr, leftovers).
    status is None when it did not finish within timeout (it is killed then). leftovers: the
    pids still in its process group once it ended (killed here)."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        kill_group(proc.pid)
        out, err = proc.communicate()
        status = None
    leftovers = pgrep("-g", str(proc.pid))
    if leftovers:
        # give them a moment to go on their own (a parent-death signal), then kill them
        deadline = time.monotonic() + 5
        while leftovers and time.monotonic() < deadline:
            time.sleep(0.1)
            leftovers = pgrep("-g", str(proc.pid))
        kill_group(proc.pid)
    return status, out, err, leftovers


def describe(args, status, out, err, timeout=RUN_TIMEOUT_S):
    command = " ".join(args)
    if status is None:
        return (f"`{command}` hung: no answer within {timeout} s; stdout {tail(out)!r}, "
                f"stderr {tail(err)!r}")
    return f"`{command}` exit status {status}; stdout {tail(out)!r}; stderr {tail(err)!r}"


def write_graph(folder, name, graph, targets=None):
    path = os.path.join(folder, name)
    doc = {"graph": graph}
    if targets is not None:
        doc["targets"] = targets
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def success_cases():
    """(graph path, extra args) of every graph file whose .expected is a success."""
    cases = []
    for expected_path in sorted(glob.glob(os.path.join(GRAPHS, "*.expected"))):
        with open(expected_path) as f:
            expected = json.load(f)
        if expected.get("status", 0) == 0:
            cases.append((expected_path[: -len(".expected")] + ".json",
                          expected.get("args", [])))
    return cases


def tree_sum_graph(leaves):
    """inc of each of 0..leaves-1, then a binary tree of adds: 2 * leaves - 1 tasks, plus
    the literals. Returns (graph, root key, expected value)."""
    graph = {}
    level = []
    for i in range(leaves):
        graph[f"x_{i}"] = i
        graph[f"inc_{i}"] = ["inc", f"x_{i}"]
        level.append(f"inc_{i}")
    depth = 0
    while len(level) > 1:
        depth += 1
        nxt = []
        for j in range(0, len(level) - 1, 2):
            key = f"add_{depth}_{j // 2}"
            graph[key] = ["add", level[j], level[j + 1]]
            nxt.append(key)
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return graph, level[0], sum(i + 1 for i in range(leaves))


def wide_graph(chains, length):
    """`chains` independent chains of `length` incs, summed at the end."""
    graph = {}
    tops = []
    for c in range(chains):
        graph[f"c{c}_0"] = c
        for i in range(1, length + 1):
            graph[f"c{c}_{i}"] = ["inc", f"c{c}_{i - 1}"]
        tops.append(f"c{c}_{length}")
    graph["total"] = ["sum", tops]
    return graph, "total", sum(c + length for c in range(chains))


def compare_graph_files(troupe, scheduler_args, where, references):
    """Runs every success graph file with scheduler_args; problems where the output differs
    from the sync scheduler's (references: path -> sync stdout)."""
    problems = []
    for path, extra in success_cases():
        args = [troupe, "run", path, *extra, *scheduler_args]
        status, out, err, leftovers = run(args)
        name = os.path.basename(path)
        if status != 0:
            problems.append(f"{name}: {describe(args, status, out, err)}")
        elif out != references[path]:
            problems.append(f"{name}: {where} printed {out.strip()!r}, the sync scheduler "
                            f"{references[path].strip()!r}")
        if leftovers:
            problems.append(f"{name}: processes {leftovers} were left after `{' '.join(args)}` "
                            f"ended")
    return problems


def check_value(troupe, path, key, value, scheduler_args, timeout=RUN_TIMEOUT_S):
    args = [troupe, "run", path, *scheduler_args]
    status, out, err, leftovers = run(args, timeout)
    problems = []
    if status != 0:
        problems.append(describe(args, status, out, err, timeout))
    else:
        try:
            got = json.loads(out)
        except json.JSONDecodeError as e:
            got = f"not JSON ({e}): {out!r}"
        if got != {key: value}:
            problems.append(f"`{' '.join(args)}` printed {tail(out)!r}, expected "
                            f"{json.dumps({key: value})}")
    if leftovers:
        problems.append(f"processes {leftovers} were left after `{' '.join(args)}` ended")
    return problems


def check_data_plane(troupe, folder, scheduler_args, scheduler, s_err):
    """Two lists of 50,000 numbers made as two root tasks (so on the two workers) and joined
    into one by a third task: one of them crosses between the worker processes over the data
    plane (values of 64 KiB or more: a list of 50,000 holds 1.6 MB), and the joined list comes
    back to `troupe run` the same way. The output must be the sync scheduler's, and the scheduler's state dump (SIGUSR1)
    must count at least one input fetched over the data plane, copied straight from the
    holder's memory (both workers are on this host)."""
    graph = {"a": ["list", *range(50000)], "b": ["list", *range(50000, 100000)],
             "joined": ["list", "a", "b"]}
    path = write_graph(folder, "data-plane.json", graph, ["joined"])
    problems = []
    status, expected, err, _ = run([troupe, "run", path, "--scheduler", "sync"])
    if status != 0:
        return [f"the sync scheduler failed on data-plane.json: {tail(err)!r}"]
    args = [troupe, "run", path, *scheduler_args]
    status, out, err, leftovers = run(args)
    if status != 0:
        problems.append(describe(args, status, out, err))
    elif out != expected:
        problems.append(f"`{' '.join(args)}` printed {tail(out)!r}, the sync scheduler "
                        f"{tail(expected)!r}")
    counts = data_plane_fetches(scheduler.pid, s_err)
    if counts is None:
        problems.append(f"no state dump after SIGUSR1: {tail(read(s_err))!r}")
    elif sum(counts) < 1:
        problems.append(f"the workers fetched no input over the data plane: {counts}")
    elif sum(data_plane_direct_copies(s_err)) < 1:
        problems.append("no input was copied from the holder's memory although both workers "
                        f"run on this host: {tail(read(s_err))!r}")
    return problems


def expect_exit_2(troupe, args, command, fragments=()):
    status, out, err, leftovers = run([troupe, *args])
    problems = []
    if status != 2:
        problems.append(f"expected exit status 2: {describe([troupe, *args], status, out, err)}")
    lines = err.strip().splitlines()
    if len(lines) != 1 or not lines[0].startswith(f"troupe {command}: error: "):
        problems.append(f"stderr is not one 'troupe {command}: error: ' line: {tail(err)!r}")
    problems += [f"stderr lacks {f!r}: {tail(err)!r}" for f in fragments if f not in err]
    if leftovers:
        problems.append(f"processes {leftovers} were left after it ended")
    return problems


def expect_help(troupe, args):
    status, out, err, leftovers = run([troupe, *args])
    problems = []
    if status != 0:
        problems.append(f"expected exit status 0: {describe([troupe, *args], status, out, err)}")
    elif "--" not in out:
        problems.append(f"no options listed on stdout: {tail(out)!r}")
    if leftovers:
        problems.append(f"processes {leftovers} were left after it ended")
    return problems


def nothing_listens(port):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def wait_for_address(proc, out_path, err_path, timeout=JOIN_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in read(out_path).splitlines():
            if line.startswith("Scheduler at: "):
                return line[len("Scheduler at: "):].strip(), None
        if proc.poll() is not None:
            return None, (f"the scheduler exited ({proc.returncode}) before printing its "
                          f"address; stdout {tail(read(out_path))!r}, stderr "
                          f"{tail(read(err_path))!r}")
        time.sleep(0.05)
    return None, f"the scheduler printed no 'Scheduler at: ' line within {timeout} s"


def worker_pids(address):
    """The `troupe worker ADDRESS --no-nanny ...` processes that the nannies started."""
    return pgrep("-f", f"worker {address} --no-nanny")


def connected_pids(port):
    """pids of processes with an established TCP connection to the port on loopback."""
    done = subprocess.run(["ss", "-Htnp", "state", "established", "dst", f"127.0.0.1:{port}"],
                          capture_output=True, text=True)
    pids = set()
    for part in done.stdout.split("pid=")[1:]:
        digits = part.split(",")[0]
        if digits.isdigit():
            pids.add(int(digits))
    return pids


def wait_for_workers(troupe, address, n, trivial_path, timeout=JOIN_TIMEOUT_S):
    """Until n worker processes run and hold a connection to the scheduler, and a trivial
    graph computes. Returns a problem, or None."""
    port = int(address.rsplit(":", 1)[1])
    deadline = time.monotonic() + timeout
    while True:
        pids = worker_pids(address)
        connected = connected_pids(port)
        if len(pids) == n and all(p in connected for p in pids):
            break
        if time.monotonic() > deadline:
            return (f"{len(pids)} worker processes ({pids}), of which {len(set(pids) & connected)}"
                    f" connected to the scheduler, after {timeout} s; expected {n}")
        time.sleep(0.1)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return f"a trivial graph did not compute on {address} within {timeout} s"
        args = [troupe, "run", trivial_path, "--address", address]
        status, out, err, _ = run(args, timeout=min(left, 10))
        if status == 0 and json.loads(out) == {"y": 2}:
            return None
        if status not in (None, 0):
            return describe(args, status, out, err)


def garbage(port):
    """Random bytes, an HTTP request and a half-written header to the scheduler's port."""
    problems = []
    rng = random.Random(12)
    noise = bytes(rng.randrange(256) for _ in range(4096))

    def basp_header(operation, flags, payload_len):
        # CAF's BASP header, 32 bytes in network order: operation, 2 padding bytes, flags,
        # payload length, operation data, source and destination actor ids
        return (bytes([operation, 0, 0, flags]) + payload_len.to_bytes(4, "big")
                + bytes(24))

    payloads = [noise,
                b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                b"\xff" * 64,
                b"\x00" * 4096,
                # well-formed headers with payloads that are not: a handshake claiming 2 GiB,
                # a message to a named receiver and a routed message holding noise
                basp_header(0x01, 0, 0x7FFFFFFF) + noise[:1000],
                basp_header(0x02, 0x01, 1000) + noise[:1000],
                basp_header(0x03, 0, 1000) + noise[1000:2000],
                basp_header(0x00, 0, 1000) + noise[2000:3000]]
    for payload in payloads:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(payload)
                s.settimeout(1)
                try:
                    s.recv(4096)
                except (socket.timeout, OSError):
                    pass
        except OSError as e:
            problems.append(f"could not send {len(payload)} bytes to port {port}: {e}")
    # a connection left open after garbage, while a graph runs
    lingering = socket.create_connection(("127.0.0.1", port), timeout=5)
    lingering.sendall(b"\x00\x00\x10\x00" + bytes(rng.randrange(256) for _ in range(100)))
    return problems, lingering


def checks(troupe, folder, procs, failures, state):
    """The checks, in order; returns early when a later check cannot run."""
    trivial = write_graph(folder, "trivial.json", TRIVIAL["graph"], TRIVIAL["targets"])

    # --- bad input and --help -------------------------------------------------------
    if nothing_listens(1):
        failures.check("worker for an address where nothing listens exits 2",
                       expect_exit_2(troupe, ["worker", "tcp://127.0.0.1:1"], "worker",
                                     ["tcp://127.0.0.1:1"]))
        failures.check("worker --no-nanny for an address where nothing listens exits 2",
                       expect_exit_2(troupe, ["worker", "tcp://127.0.0.1:1", "--no-nanny"],
                                     "worker", ["tcp://127.0.0.1:1"]))
    else:
        print("skip worker for an address where nothing listens: port 1 is in use here")
    failures.check("worker notanaddress exits 2",
                   expect_exit_2(troupe, ["worker", "notanaddress"], "worker",
                                 ["notanaddress"]))
    failures.check("scheduler --port 99999 exits 2",
                   expect_exit_2(troupe, ["scheduler", "--port", "99999"], "scheduler",
                                 ["99999"]))
    failures.check("worker --help exits 0", expect_help(troupe, ["worker", "--help"]))
    failures.check("scheduler --help exits 0", expect_help(troupe, ["scheduler", "--help"]))

    # --- the sync scheduler's output: the reference ----------------------------------
    references = {}
    problems = []
    for path, extra in success_cases():
        args = [troupe, "run", path, *extra, "--scheduler", "sync"]
        status, out, err, _ = run(args)
        if status != 0:
            problems.append(describe(args, status, out, err))
        references[path] = out
    if not failures.check(f"the {len(references)} success graph files on the sync "
                          "scheduler", problems):
        return

    tree, tree_key, tree_value = tree_sum_graph(2500)
    tree_path = write_graph(folder, "tree.json", tree, [tree_key])
    wide, wide_key, wide_value = wide_graph(200, 20)
    wide_path = write_graph(folder, "wide.json", wide, [wide_key])

    # --- a scheduler and two workers under nannies ------------------------------------
    scheduler, s_out, s_err = procs.start(
        "scheduler", [troupe, "scheduler", "--host", "127.0.0.1", "--port", "0"])
    address, problem = wait_for_address(scheduler, s_out, s_err)
    if not failures.check("the scheduler prints its address", [problem]):
        return
    state["address"] = address
    print(f"     scheduler at {address}", flush=True)
    port = int(address.rsplit(":", 1)[1])
    worker, w_out, w_err = procs.start(
        "worker", [troupe, "worker", address, "--nworkers", "2", "--nthreads", "2",
                   "--host", "127.0.0.1"])
    problem = wait_for_workers(troupe, address, 2, trivial)
    if not failures.check("two worker processes join", [problem]):
        print(f"     worker stderr: {tail(read(w_err))!r}")
        return

    on_cluster = ["--address", address]
    failures.check("graph files with --address print what the sync scheduler prints",
                   compare_graph_files(troupe, on_cluster, "--address", references))
    failures.check(f"a tree sum of {len(tree)} keys with --address",
                   check_value(troupe, tree_path, tree_key, tree_value, on_cluster))
    failures.check(f"{len(wide)} keys in 200 chains with --address",
                   check_value(troupe, wide_path, wide_key, wide_value, on_cluster))
    failures.check("two lists of 50,000 numbers joined across the workers: the data plane "
                   "carries them, and the result is the sync scheduler's",
                   check_data_plane(troupe, folder, on_cluster, scheduler, s_err))

    # --- the processes scheduler -----------------------------------------------------
    processes = ["--scheduler", "processes"]
    failures.check("graph files on --scheduler processes print what the sync scheduler "
                   "prints", compare_graph_files(troupe, processes, "processes", references))
    failures.check(f"a tree sum of {len(tree)} keys on --scheduler processes",
                   check_value(troupe, tree_path, tree_key, tree_value, processes))
    failures.check(f"{len(wide)} keys in 200 chains on --scheduler processes",
                   check_value(troupe, wide_path, wide_key, wide_value, processes))

    # --- kill -9 of a worker: its nanny restarts it ---------------------------------
    before = worker_pids(address)
    problems = []
    if len(before) != 2:
        problems.append(f"expected 2 worker processes, found {before}")
    else:
        victim = before[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + RESTART_TIMEOUT_S
        after = worker_pids(address)
        while time.monotonic() < deadline:
            after = worker_pids(address)
            if len(after) == 2 and victim not in after:
                break
            time.sleep(0.1)
        if victim in after or len(after) != 2:
            problems.append(f"{RESTART_TIMEOUT_S} s after kill -9 of worker process {victim} "
                            f"the worker processes are {after} (before: {before}); worker "
                            f"stderr: {tail(read(w_err))!r}")
        else:
            print(f"     killed {victim}; worker processes now {after}", flush=True)
    failures.check("kill -9 of a worker process: its nanny starts a new one", problems)
    # The nanny tells the scheduler once the new worker runs: wait a little for the line.
    told = f"worker process (pid {before[0] if before else '?'}) ended (killed by signal 9)"
    deadline = time.monotonic() + RESTART_TIMEOUT_S
    while told not in read(s_err) and time.monotonic() < deadline:
        time.sleep(0.1)
    failures.check("the nanny tells the scheduler how its worker ended",
                   [] if told in read(s_err) else
                   [f"the scheduler's stderr lacks {told!r}: {tail(read(s_err))!r}"])
    problem = wait_for_workers(troupe, address, 2, trivial)
    failures.check("after the restart both workers are connected", [problem])
    failures.check("after the restart graph files with --address still print what the sync "
                   "scheduler prints",
                   compare_graph_files(troupe, on_cluster, "--address", references))
    failures.check(f"after the restart a tree sum of {len(tree)} keys with --address",
                   check_value(troupe, tree_path, tree_key, tree_value, on_cluster))

    # --- kill -9 while a graph runs, after the earlier kill and restart ---------------
    # (seconds of work for two workers; the victim is the worker not restarted yet, so both
    # are restarted ones afterwards: the case that once made fetches between them hang)
    problems = []
    big, big_key, big_value = wide_graph(4000, 50)
    big_path = write_graph(folder, "big.json", big, [big_key])
    runner = subprocess.Popen([troupe, "run", big_path, *on_cluster], text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              start_new_session=True)
    procs.started.append(("run-during-kill", runner, "", ""))
    time.sleep(0.6)
    victims = worker_pids(address)[:1]
    still_running = runner.poll() is None
    for victim in victims:
        os.kill(victim, signal.SIGKILL)
    command = f"`troupe run big.json --address {address}`"
    try:
        out, err = runner.communicate(timeout=RUN_TIMEOUT_S)
        try:
            got = json.loads(out)
        except json.JSONDecodeError:
            got = None
        if runner.returncode != 0 or got != {big_key: big_value}:
            problems.append(f"{command}, with worker process {victims} killed 0.6 s into it: "
                            f"exit status {runner.returncode}; stdout {tail(out)!r}; "
                            f"stderr {tail(err)!r} (expected {big_key} = {big_value})")
    except subprocess.TimeoutExpired:
        now = worker_pids(address)
        kill_group(runner.pid)
        out, err = runner.communicate()
        problems.append(f"{command} hung (over {RUN_TIMEOUT_S} s) after worker process "
                        f"{victims} was killed while it ran; stderr {tail(err)!r}; the worker "
                        f"processes then: {now}; scheduler "
                        f"{'running' if scheduler.poll() is None else 'exited'}; nanny "
                        f"messages: {tail(read(w_err))!r}")
    if not victims:
        problems.append("no worker process to kill")
    print(f"     killed {victims} {'while' if still_running else 'AFTER'} the graph of "
          f"{len(big)} keys ran", flush=True)
    failures.check("kill -9 of a worker while a graph runs: the graph still computes",
                   problems)
    problem = wait_for_workers(troupe, address, 2, trivial)
    failures.check("after that restart too both workers are connected", [problem])

    # --- garbage on the scheduler's port --------------------------------------------
    problems, lingering = garbage(port)
    try:
        time.sleep(0.5)
        if scheduler.poll() is not None:
            problems.append(f"the scheduler exited ({scheduler.returncode}) after garbage "
                            f"on its port; stderr {tail(read(s_err))!r}")
        else:
            problems += check_value(troupe, tree_path, tree_key, tree_value, on_cluster)
            problems += check_value(troupe, trivial, "y", 2, on_cluster)
    finally:
        lingering.close()
    failures.check("garbage on the scheduler's port: it still computes", problems)
    if scheduler.poll() is None:
        failures.check("after garbage, once the connection closed, it still computes",
                       check_value(troupe, trivial, "y", 2, on_cluster))

    # --- SIGTERM to the scheduler ---------------------------------------------------
    problems = []
    if scheduler.poll() is None:
        scheduler.send_signal(signal.SIGTERM)
        try:
            scheduler.wait(timeout=STOP_TIMEOUT_S)
            if scheduler.returncode != 0:
                problems.append(f"the scheduler exited {scheduler.returncode} on SIGTERM; "
                                f"stderr {tail(read(s_err))!r}")
        except subprocess.TimeoutExpired:
            problems.append(f"the scheduler still ran {STOP_TIMEOUT_S} s after SIGTERM")
    else:
        problems.append(f"the scheduler had already exited ({scheduler.returncode})")
    failures.check("SIGTERM: the scheduler exits 0", problems)
    problems = []
    deadline = time.monotonic() + WORKERS_STOP_TIMEOUT_S
    while time.monotonic() < deadline and (worker.poll() is None or
                                           pgrep("-g", str(worker.pid))):
        time.sleep(0.1)
    if worker.poll() is None or pgrep("-g", str(worker.pid)):
        problems.append(f"{WORKERS_STOP_TIMEOUT_S} s after the scheduler stopped, worker "
                        f"processes still run: {pgrep('-g', str(worker.pid))}")
    else:
        print(f"     `troupe worker` exited {worker.returncode}", flush=True)
    failures.check("the worker processes exit once the scheduler is gone", problems)


def main():
    args = sys.argv[1:]
    if len(args) != 1:
        sys.exit("usage: test_cluster_processes.py PATH/TO/troupe")
    troupe = os.path.abspath(args[0])
    failures = Failures()
    folder = tempfile.mkdtemp(prefix="troupe-cluster-")
    procs = Processes(folder)
    state = {}
    try:
        checks(troupe, folder, procs, failures, state)
    except Exception as e:  # a bug here, or an unforeseen answer: still clean up, and say so
        failures.check("the test ran to its end", [f"{type(e).__name__}: {e}"])
        raise
    finally:
        address = state.get("address")
        procs.kill_all()
        leftovers = []
        for pgid in procs.groups():
            leftovers += pgrep("-g", str(pgid))
        if address:
            leftovers += pgrep("-f", address.replace(".", "\\.") + "( |$)")
        leftovers += pgrep("-f", folder)
        failures.check("no process left over", [f"left over: {sorted(set(leftovers))}"
                                                if leftovers else None])
        for pid in set(leftovers):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if failures.items:
            print(f"--- logs in {folder}")
        else:
            subprocess.run(["rm", "-rf", folder])
    if failures.items:
        print(f"{len(failures.items)} problem(s):")
        for item in failures.items:
            print("  " + item[:2000])
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
