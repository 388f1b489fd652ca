"""A troupe cluster on three hosts: network namespaces joined by veth pairs and a bridge.

Usage: test_netns.py PATH/TO/troupe

  troupe-s   the scheduler, on 10.231.0.1 (a bridge, trp-br, with a veth to each worker)
  troupe-w1  a worker, --host 10.231.0.2
  troupe-w2  a worker, --host 10.231.0.3

The scheduler and the workers each run in their namespace (`ip netns exec`), so they can reach
each other only through those addresses, never through loopback. Once both workers joined,
`troupe run --address` in troupe-s computes graphs whose values are checked here exactly; the
bytes through each worker's veth (against an idle baseline) show that both took part in a wide
graph; two lists of 50,000 numbers made on the two hosts and joined on one cross between them
over the data plane (the scheduler's state dump counts the fetch); both workers stay up
throughout. SIGTERM to the scheduler stops it (exit 0) and then the
workers.

Where namespaces cannot be made (not root, no CAP_SYS_ADMIN, no veth or bridge support) it
prints "SKIP: <why>" and exits 0; ctest reports the test as skipped. The namespaces and links
are deleted at the end, and any left by an earlier run at the start; every process started
here is killed with its process group, and the test fails if any is left over.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_test_support import (Failures, data_plane_direct_copies, data_plane_fetches,  # noqa: E402
                                  data_plane_segmented, kill_group, pgrep, read, tail)

SCHEDULER_NS = "troupe-s"
WORKER_NS = ["troupe-w1", "troupe-w2"]
BRIDGE = "trp-br"
SUBNET_PREFIX = "10.231.0."
SCHEDULER_IP = SUBNET_PREFIX + "1"
WORKER_IPS = [SUBNET_PREFIX + "2", SUBNET_PREFIX + "3"]
# veth pairs: (end in troupe-s, on the bridge; end in the worker's namespace)
VETHS = [("trp-w1-s", "trp-w1-w"), ("trp-w2-s", "trp-w2-w")]

RUN_TIMEOUT_S = 30  # one `troupe run` (a few seconds at most when all is well)
JOIN_TIMEOUT_S = 60
STOP_TIMEOUT_S = 10
WORKERS_STOP_TIMEOUT_S = 20


class Skip(Exception):
    pass


def sh(*args, check=True):
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=30)
    if check and done.returncode != 0:
        raise RuntimeError(f"`{' '.join(args)}` failed ({done.returncode}): "
                           f"{(done.stderr or done.stdout).strip()}")
    return done


def namespace_pids(ns):
    done = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
    return sorted(int(p) for p in done.stdout.split()) if done.returncode == 0 else []


def existing_namespaces():
    done = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    return [line.split()[0] for line in done.stdout.splitlines() if line.strip()]


def tear_down_network():
    """Kills what runs in our namespaces and deletes them and our links; returns the pids
    that were still running in them."""
    killed = []
    for ns in [SCHEDULER_NS, *WORKER_NS]:
        if ns not in existing_namespaces():
            continue
        for pid in namespace_pids(ns):
            killed.append(pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while namespace_pids(ns) and time.monotonic() < deadline:
            time.sleep(0.05)
        sh("ip", "netns", "del", ns, check=False)
    # a veth end that never made it into a namespace stays in this one
    for pair in VETHS:
        for name in pair:
            if os.path.exists(f"/sys/class/net/{name}"):
                sh("ip", "link", "del", name, check=False)
    return killed


def set_up_network():
    """Raises Skip where namespaces or links cannot be made here."""
    if os.geteuid() != 0:
        raise Skip("not root: `ip netns add` needs CAP_SYS_ADMIN")
    if shutil.which("ip") is None:
        raise Skip("no `ip` command (iproute2)")
    leftovers = tear_down_network()
    if leftovers:
        print(f"     killed {leftovers}, left in the namespaces by an earlier run")
    done = subprocess.run(["ip", "netns", "add", SCHEDULER_NS], capture_output=True, text=True)
    if done.returncode != 0:
        raise Skip(f"`ip netns add {SCHEDULER_NS}` failed: {done.stderr.strip()}")
    try:
        for ns in WORKER_NS:
            sh("ip", "netns", "add", ns)
        sh("ip", "-n", SCHEDULER_NS, "link", "set", "lo", "up")
        sh("ip", "-n", SCHEDULER_NS, "link", "add", BRIDGE, "type", "bridge")
        sh("ip", "-n", SCHEDULER_NS, "addr", "add", SCHEDULER_IP + "/24", "dev", BRIDGE)
        sh("ip", "-n", SCHEDULER_NS, "link", "set", BRIDGE, "up")
        for ns, ip, (s_end, w_end) in zip(WORKER_NS, WORKER_IPS, VETHS):
            sh("ip", "link", "add", s_end, "type", "veth", "peer", "name", w_end)
            sh("ip", "link", "set", s_end, "netns", SCHEDULER_NS)
            sh("ip", "link", "set", w_end, "netns", ns)
            sh("ip", "-n", SCHEDULER_NS, "link", "set", s_end, "master", BRIDGE)
            sh("ip", "-n", SCHEDULER_NS, "link", "set", s_end, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "addr", "add", ip + "/24", "dev", w_end)
            sh("ip", "-n", ns, "link", "set", w_end, "up")
    except RuntimeError as e:
        raise Skip(f"cannot make the test network: {e}")


def wait_reachable(timeout=15):
    """Until each worker namespace reaches the scheduler's address (a TCP listener made here
    answers); returns a problem or None."""
    probe = ("import socket,sys,time\n"
             "deadline=time.time()+float(sys.argv[2])\n"
             "while True:\n"
             "  try:\n"
             "    socket.create_connection((sys.argv[1],int(sys.argv[3])),timeout=1).close()\n"
             "    break\n"
             "  except OSError as e:\n"
             "    if time.time()>deadline: sys.exit(f'cannot reach {sys.argv[1]}: {e}')\n"
             "    time.sleep(0.1)\n")
    listener = ("import socket,sys\n"
                "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                "s.bind((sys.argv[1],0)); s.listen(8); print(s.getsockname()[1],flush=True)\n"
                "s.settimeout(float(sys.argv[2]))\n"
                "try:\n"
                "  while True: s.accept()[0].close()\n"
                "except OSError: pass\n")
    server = subprocess.Popen(["ip", "netns", "exec", SCHEDULER_NS, sys.executable, "-c",
                               listener, SCHEDULER_IP, str(timeout)],
                              stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        port = server.stdout.readline().strip()
        if not port.isdigit():
            return f"no test listener on {SCHEDULER_IP} in {SCHEDULER_NS}"
        for ns in WORKER_NS:
            done = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", probe,
                                   SCHEDULER_IP, str(timeout), port],
                                  capture_output=True, text=True, timeout=timeout + 10)
            if done.returncode != 0:
                return f"from {ns}: {done.stderr.strip()}"
        return None
    finally:
        kill_group(server.pid)
        server.wait()


def in_ns(ns, args):
    return ["ip", "netns", "exec", ns, *args]


def run_in_ns(ns, args, timeout=RUN_TIMEOUT_S):
    """(status, stdout, stderr); status None when it hung (killed then)."""
    proc = subprocess.Popen(in_ns(ns, args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out, err
    except subprocess.TimeoutExpired:
        kill_group(proc.pid)
        out, err = proc.communicate()
        return None, out, err
    finally:
        kill_group(proc.pid)


def write_graph(folder, name, graph, targets):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        json.dump({"graph": graph, "targets": targets}, f)
    return path


def wide_graph(chains, length):
    graph, tops = {}, []
    for c in range(chains):
        graph[f"c{c}_0"] = c
        for i in range(1, length + 1):
            graph[f"c{c}_{i}"] = ["inc", f"c{c}_{i - 1}"]
        tops.append(f"c{c}_{length}")
    graph["total"] = ["sum", tops]
    return graph, "total", sum(c + length for c in range(chains))


def tree_sum_graph(leaves):
    graph, level = {}, []
    for i in range(leaves):
        graph[f"x_{i}"] = i
        graph[f"inc_{i}"] = ["inc", f"x_{i}"]
        level.append(f"inc_{i}")
    depth = 0
    while len(level) > 1:
        depth += 1
        nxt = [f"add_{depth}_{j // 2}" for j in range(0, len(level) - 1, 2)]
        for j, key in zip(range(0, len(level) - 1, 2), nxt):
            graph[key] = ["add", level[j], level[j + 1]]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return graph, level[0], sum(i + 1 for i in range(leaves))


def compute(troupe, address, path, key, value):
    args = [troupe, "run", path, "--address", address]
    status, out, err = run_in_ns(SCHEDULER_NS, args)
    command = f"ip netns exec {SCHEDULER_NS} {' '.join(args)}"
    if status is None:
        return [f"`{command}` hung: no answer within {RUN_TIMEOUT_S} s; stderr {tail(err)!r}"]
    if status != 0:
        return [f"`{command}` exit status {status}; stdout {tail(out)!r}; stderr {tail(err)!r}"]
    try:
        got = json.loads(out)
    except json.JSONDecodeError:
        got = None
    if got != {key: value}:
        return [f"`{command}` printed {tail(out)!r}, expected {json.dumps({key: value})}"]
    return []


def veth_bytes():
    """rx + tx bytes through each worker's veth, counted at its end on the bridge."""
    counts = []
    for s_end, _ in VETHS:
        done = sh("ip", "-n", SCHEDULER_NS, "-j", "-s", "link", "show", "dev", s_end)
        stats = json.loads(done.stdout)[0]["stats64"]
        counts.append(stats["rx"]["bytes"] + stats["tx"]["bytes"])
    return counts


def worker_pid(address, ip):
    """The `troupe worker ADDRESS --no-nanny ... --host IP` process a nanny started."""
    pattern = f"worker {address} --no-nanny .*--host {ip.replace('.', '[.]')}( |$)"
    return pgrep("-f", pattern)


def connected_workers(port):
    """Peer addresses of the established connections to the scheduler's port, in troupe-s."""
    done = sh("ip", "netns", "exec", SCHEDULER_NS, "ss", "-Htn", "state", "established",
              "src", f"{SCHEDULER_IP}:{port}", check=False)
    peers = set()
    for line in done.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 4:
            peers.add(fields[-1].rsplit(":", 1)[0])
    return peers


def checks(troupe, folder, procs, failures, state):
    problem = wait_reachable()
    if not failures.check("the namespaces reach each other over the bridge", [problem]):
        return

    # the scheduler, in troupe-s
    s_out, s_err = os.path.join(folder, "scheduler.out"), os.path.join(folder, "scheduler.err")
    with open(s_out, "w") as o, open(s_err, "w") as e:
        scheduler = subprocess.Popen(
            in_ns(SCHEDULER_NS, [troupe, "scheduler", "--host", SCHEDULER_IP, "--port", "0"]),
            stdout=o, stderr=e, stdin=subprocess.DEVNULL, start_new_session=True)
    procs.append(scheduler)
    address = None
    deadline = time.monotonic() + JOIN_TIMEOUT_S
    while address is None and time.monotonic() < deadline and scheduler.poll() is None:
        for line in read(s_out).splitlines():
            if line.startswith("Scheduler at: "):
                address = line[len("Scheduler at: "):].strip()
        time.sleep(0.05)
    if not failures.check("the scheduler prints its address in troupe-s",
                          [None if address else f"no address; scheduler exit status "
                           f"{scheduler.poll()}; stdout {tail(read(s_out))!r}; stderr "
                           f"{tail(read(s_err))!r}"]):
        return
    state["address"] = address
    print(f"     scheduler at {address}", flush=True)
    port = int(address.rsplit(":", 1)[1])
    failures.check("the scheduler's address is the one it serves on",
                   [None if address == f"tcp://{SCHEDULER_IP}:{port}" else
                    f"it printed {address}, expected tcp://{SCHEDULER_IP}:{port}"])

    # a worker in each worker namespace, under its nanny
    workers = []
    for ns, ip in zip(WORKER_NS, WORKER_IPS):
        err = os.path.join(folder, f"{ns}.err")
        with open(os.path.join(folder, f"{ns}.out"), "w") as o, open(err, "w") as e:
            worker = subprocess.Popen(
                in_ns(ns, [troupe, "worker", address, "--nthreads", "2", "--host", ip,
                           "--name", ns]),
                stdout=o, stderr=e, stdin=subprocess.DEVNULL, start_new_session=True)
        procs.append(worker)
        workers.append((ns, ip, worker, err))

    problems = []
    while True:
        peers = connected_workers(port)
        pids = {ip: worker_pid(address, ip) for ip in WORKER_IPS}
        if all(ip in peers and len(pids[ip]) == 1 for ip in WORKER_IPS):
            break
        if time.monotonic() > deadline:
            problems.append(f"after {JOIN_TIMEOUT_S} s the scheduler has connections from "
                            f"{sorted(peers)}, worker processes {pids}; expected one from each "
                            f"of {WORKER_IPS}; worker stderr: "
                            + "; ".join(f"{ns}: {tail(read(err))!r}" for ns, _, _, err in workers))
            break
        time.sleep(0.1)
    if not problems:
        trivial = write_graph(folder, "trivial.json", {"x": 1, "y": ["inc", "x"]}, ["y"])
        problems = compute(troupe, address, trivial, "y", 2)
    if not failures.check("both workers join from their namespaces", problems):
        return
    first_pids = {ip: worker_pid(address, ip) for ip in WORKER_IPS}

    # graphs, computed from troupe-s
    tree, tree_key, tree_value = tree_sum_graph(2500)
    tree_path = write_graph(folder, "tree.json", tree, [tree_key])
    failures.check(f"a tree sum of {len(tree)} keys across the namespaces",
                   compute(troupe, address, tree_path, tree_key, tree_value))

    wide, wide_key, wide_value = wide_graph(400, 10)
    wide_path = write_graph(folder, "wide.json", wide, [wide_key])
    idle_before = veth_bytes()
    time.sleep(2)
    idle_after = veth_bytes()
    idle = [a - b for a, b in zip(idle_after, idle_before)]
    problems = compute(troupe, address, wide_path, wide_key, wide_value)
    busy_after = veth_bytes()
    busy = [a - b for a, b in zip(busy_after, idle_after)]
    print(f"     bytes through each worker's veth: idle 2 s {idle}, during the wide graph "
          f"{busy}", flush=True)
    failures.check(f"a wide graph ({len(wide)} keys, 400 chains) across the namespaces",
                   problems)
    # Each task of a chain goes to the worker that runs it, so a worker that ran part of the
    # graph received at least some kilobytes more than an idle worker does in 2 s.
    failures.check("both workers took part in the wide graph (bytes through each veth)",
                   [f"{ns} ({ip}): {b} bytes during the wide graph, {i} in 2 idle seconds"
                    for ns, ip, b, i in zip(WORKER_NS, WORKER_IPS, busy, idle)
                    if b < max(20_000, 5 * i)])

    # Two lists of 50,000 numbers made on the two hosts and joined on one: one crosses
    # between the hosts over the data plane (TCP between the namespaces).
    joined = {"a": ["list", *range(50000)], "b": ["list", *range(50000, 100000)],
              "joined": ["list", "a", "b"]}
    joined_path = write_graph(folder, "joined.json", joined, ["joined"])
    problems = compute(troupe, address, joined_path, "joined",
                       [list(range(50000)), list(range(50000, 100000))])
    counts = data_plane_fetches(scheduler.pid, s_err) or []
    if sum(counts) < 1:
        problems.append(f"no input crossed over the data plane (state dump counts {counts}): "
                        f"{tail(read(s_err))!r}")
    elif sum(data_plane_direct_copies(s_err)) != 0:
        problems.append("an input was copied from another host's memory: hosts in separate "
                        f"network namespaces must use TCP: {tail(read(s_err))!r}")
    failures.check("two lists of 50,000 numbers joined across the hosts over the data plane",
                   problems)

    # Two lists of 2,200,000 numbers (about 20 MB each in their wire form, past the 16 MiB
    # segmented_threshold): the one that crosses between the hosts comes in segments over two
    # connections at once, and so does the joined list that `troupe run` gathers.
    n = 2_200_000
    big = {"a": ["list", *range(n)], "b": ["list", *range(n, 2 * n)], "joined": ["list", "a", "b"]}
    big_path = write_graph(folder, "joined-big.json", big, ["joined"])
    args = [troupe, "run", big_path, "--address", address]
    # About 20 s here, most of it the graph's 4.4M literals going to the workers in CAF
    # messages (--scheduler sync takes 1.7 s): a longer limit than one small run's.
    status, out, err = run_in_ns(SCHEDULER_NS, args, timeout=180)
    problems = []
    if status != 0:
        problems.append(f"`{' '.join(args)}` exit status {status}; stderr {tail(err)!r}")
    else:
        try:
            got = json.loads(out)["joined"]
        except (json.JSONDecodeError, KeyError, TypeError):
            got = None
        if got != [list(range(n)), list(range(n, 2 * n))]:
            problems.append(f"`{' '.join(args)}` printed other lists: {tail(out, 200)!r}")
    counts = data_plane_fetches(scheduler.pid, s_err) or []
    segmented = data_plane_segmented(s_err)
    if not problems and sum(segmented) < 1:
        problems.append(f"no input came in segments (state dump: {counts} fetched, {segmented} "
                        f"in segments): {tail(read(s_err))!r}")
    failures.check("two lists of 2,200,000 numbers joined across the hosts, in segments over "
                   "two connections", problems)

    problems = []
    for ns, ip, worker, err in workers:
        pids = worker_pid(address, ip)
        if worker.poll() is not None:
            problems.append(f"`troupe worker` in {ns} exited ({worker.returncode}); stderr "
                            f"{tail(read(err))!r}")
        elif pids != first_pids[ip]:
            problems.append(f"the worker process in {ns} was {first_pids[ip]}, now {pids} "
                            f"(restarted by its nanny?); stderr {tail(read(err))!r}")
    failures.check("both workers stayed up", problems)

    # SIGTERM: the scheduler stops, then the workers
    problems = []
    scheduler.send_signal(signal.SIGTERM)  # `ip netns exec` has exec'd troupe: this is it
    try:
        scheduler.wait(timeout=STOP_TIMEOUT_S)
        if scheduler.returncode != 0:
            problems.append(f"exit status {scheduler.returncode}; stderr {tail(read(s_err))!r}")
    except subprocess.TimeoutExpired:
        problems.append(f"still running {STOP_TIMEOUT_S} s after SIGTERM")
    failures.check("SIGTERM: the scheduler exits 0", problems)
    deadline = time.monotonic() + WORKERS_STOP_TIMEOUT_S

    def running():
        return [ns for ns, _, w, _ in workers if w.poll() is None or pgrep("-g", str(w.pid))]

    while running() and time.monotonic() < deadline:
        time.sleep(0.1)
    failures.check("the workers exit once the scheduler is gone",
                   [f"{WORKERS_STOP_TIMEOUT_S} s after the scheduler stopped, still running in "
                    f"{running()}" if running() else None])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: test_netns.py PATH/TO/troupe")
    troupe = os.path.abspath(sys.argv[1])
    try:
        set_up_network()
    except Skip as why:
        if os.geteuid() == 0:
            tear_down_network()
        print(f"SKIP: {why}")
        return 0
    failures = Failures()
    folder = tempfile.mkdtemp(prefix="troupe-netns-")
    procs = []
    state = {}
    try:
        checks(troupe, folder, procs, failures, state)
    except Exception as e:
        failures.check("the test ran to its end", [f"{type(e).__name__}: {e}"])
        raise
    finally:
        for proc in procs:
            kill_group(proc.pid)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        leftovers = []
        for proc in procs:
            leftovers += pgrep("-g", str(proc.pid))
        for ns in [SCHEDULER_NS, *WORKER_NS]:
            leftovers += namespace_pids(ns)
        if state.get("address"):
            leftovers += pgrep("-f", state["address"].replace(".", "[.]") + "( |$)")
        leftovers += pgrep("-f", folder)
        leftovers = sorted(set(leftovers))
        for pid in leftovers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        tear_down_network()
        left_ns = [ns for ns in existing_namespaces() if ns in [SCHEDULER_NS, *WORKER_NS]]
        failures.check("no process, namespace or link left over",
                       [f"processes left over: {leftovers}" if leftovers else None,
                        f"namespaces left over: {left_ns}" if left_ns else None])
        if failures.items:
            print(f"--- logs in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    if failures.items:
        print(f"{len(failures.items)} problem(s):")
        for item in failures.items:
            print("  " + item[:2000])
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
