#!/usr/bin/env python3
"""bench_transfer between hosts: a scheduler and the client in one network namespace, a worker
in each of two others, joined by veth pairs and a bridge (the network of
tests/cluster/test_netns.py). Scatter and gather cross between the client's host and the first
worker's, the worker -> worker move between the two workers' hosts: every byte goes over TCP
on the veths, none by the direct copies a single host uses.

    bench/netns_transfer.py [--build-dir build-bench] [--mib 128] [--repeat 5]

Needs root (ip netns); prints SKIP and exits 0 where namespaces cannot be made. Prints
bench_transfer's JSON line with the median GB/s of each path added.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "cluster"))
import test_netns as net  # noqa: E402

PORT = 8797


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default="build-bench")
    parser.add_argument("--mib", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    build = (ROOT / args.build_dir).resolve()
    troupe = build / "cli" / "troupe"
    bench = build / "bench" / "bench_transfer"
    for path in (troupe, bench):
        if not path.exists():
            sys.exit(f"netns_transfer: {path} is missing: build {args.build_dir} first")
    try:
        net.set_up_network()
    except net.Skip as why:
        print(f"SKIP: {why}")
        return 0
    address = f"tcp://{net.SCHEDULER_IP}:{PORT}"
    procs = []
    try:
        problem = net.wait_reachable()
        if problem:
            sys.exit(f"netns_transfer: {problem}")
        procs.append(subprocess.Popen(
            ["ip", "netns", "exec", net.SCHEDULER_NS, str(troupe), "scheduler",
             "--host", net.SCHEDULER_IP, "--port", str(PORT)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True))
        banner = procs[0].stdout.readline()  # "Scheduler at: ..." once it listens
        if not banner.startswith("Scheduler at:"):
            sys.exit(f"netns_transfer: the scheduler did not start ({banner.strip()!r})")
        for i, (ns, ip) in enumerate(zip(net.WORKER_NS, net.WORKER_IPS)):
            env = dict(os.environ, TROUPE_ROLE="worker", TROUPE_SCHEDULER_ADDRESS=address,
                       TROUPE_WORKER_NAME=f"netns-{i}", TROUPE_WORKER_HOST=ip)
            procs.append(subprocess.Popen(["ip", "netns", "exec", ns, str(bench)], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          start_new_session=True))
        deadline = time.monotonic() + 60
        while len(net.connected_workers(PORT)) < 2:
            if time.monotonic() > deadline:
                sys.exit("netns_transfer: the two workers did not join within 60 s")
            time.sleep(0.2)
        env = dict(os.environ, TROUPE_BENCH_ADDRESS=address)
        done = subprocess.run(["ip", "netns", "exec", net.SCHEDULER_NS, str(bench),
                               "--mib", str(args.mib), "--repeat", str(args.repeat)],
                              env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            sys.exit(f"netns_transfer: bench_transfer failed: {done.stderr.strip()[-2000:]}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        report["hosts"] = "ip netns: client and scheduler, worker 1, worker 2 (veth + bridge)"
        for path, moved in (("scatter_gather", 2), ("worker_to_worker", 1)):
            seconds = statistics.median(report[f"{path}_seconds"])
            report[f"{path}_gbps"] = round(moved * report["bytes"] / seconds / 1e9, 3)
        print(json.dumps(report))
        return 0
    finally:
        for p in procs:
            net.kill_group(p.pid)
        net.tear_down_network()


if __name__ == "__main__":
    sys.exit(main())
