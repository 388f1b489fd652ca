"""The data plane between two processes: every built-in value type, a registered user type and
three values past the segmented threshold go byte for byte from a data server in one process to
a reader in another, and back as puts (tests/net/wire_peer.cpp does both ends).

  processes  both on this host over loopback: every value of 1 MiB or more is copied straight
             out of the other process's memory, fetched and put, and none goes in segments
  hosts      in two network namespaces (those of tests/cluster/test_netns.py: the two worker
             hosts, joined through the bridge of the third), over TCP: no direct copy, and the
             values of 16 MiB or more in segments over two connections, fetched and put; where
             namespaces cannot be made it prints "SKIP: <why>"

Usage: test_wire_between.py processes|hosts PATH/TO/wire_peer
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cluster"))
import test_netns as net  # noqa: E402
from cluster_test_support import kill_group  # noqa: E402

TIMEOUT_S = 120
STREAMS = 2  # data_limits::streams


def numbers(line, names):
    """The counts named in a wire_peer summary line, or None when it is not one."""
    found = {}
    for name in names:
        match = re.search(rf"\b{name} (\d+)", line)
        if not match:
            return None
        found[name] = int(match.group(1))
    return found


def round_trip(peer, server_host, wrap_server, wrap_reader, between_hosts, problems):
    server = subprocess.Popen(wrap_server([peer, "serve", server_host]), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        banner = server.stdout.readline().split()
        if len(banner) != 2 or banner[0] != "address":
            problems.append(f"the server did not start: {banner!r}")
            return
        reader = subprocess.run(wrap_reader([peer, "fetch", banner[1]]), capture_output=True,
                                text=True, timeout=TIMEOUT_S)
        fetched = reader.stdout.strip()
        print(f"     reader: {fetched}", flush=True)
        server.stdin.close()
        put = server.stdout.read().strip()
        server.wait(timeout=TIMEOUT_S)
        print(f"     server: {put}", flush=True)
        if reader.returncode != 0:
            problems.append(f"fetch and put: exit status {reader.returncode}: {fetched} "
                            f"{reader.stderr.strip()}")
            return
        if server.returncode != 0:
            problems.append(f"the puts that reached the server: {put}")
            return
        got = numbers(fetched, ["large", "huge", "direct", "segmented"])
        kept = numbers(put, ["segments", "copied"])
        if got is None or kept is None:
            problems.append(f"unreadable summaries: {fetched!r}, {put!r}")
            return
        if between_hosts:
            want = {"direct": 0, "segmented": got["huge"]}
            want_kept = {"segments": STREAMS * got["huge"], "copied": 0}
        else:
            want = {"direct": got["large"], "segmented": 0}
            # The server counts copies both ways: those readers made from it, those it made.
            want_kept = {"segments": 0, "copied": 2 * got["large"]}
        for name, value in want.items():
            if got[name] != value:
                problems.append(f"fetch: {name} {got[name]}, expected {value}: {fetched!r}")
        for name, value in want_kept.items():
            if kept[name] != value:
                problems.append(f"put: {name} {kept[name]}, expected {value}: {put!r}")
    except subprocess.TimeoutExpired:
        problems.append(f"no end within {TIMEOUT_S} s")
    finally:
        kill_group(server.pid)
        server.wait()


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("processes", "hosts"):
        sys.exit("usage: test_wire_between.py processes|hosts PATH/TO/wire_peer")
    mode, peer = sys.argv[1], os.path.abspath(sys.argv[2])
    problems = []
    if mode == "processes":
        round_trip(peer, "127.0.0.1", list, list, False, problems)
    else:
        try:
            net.set_up_network()
        except net.Skip as why:
            if os.geteuid() == 0:
                net.tear_down_network()
            print(f"SKIP: {why}")
            return 0
        try:
            unreachable = net.wait_reachable()
            if unreachable:
                problems.append(f"the namespaces cannot reach each other: {unreachable}")
            else:
                server_ns, reader_ns = net.WORKER_NS
                round_trip(peer, net.WORKER_IPS[0], lambda args: net.in_ns(server_ns, args),
                           lambda args: net.in_ns(reader_ns, args), True, problems)
        finally:
            net.tear_down_network()
    for problem in problems:
        print(f"FAILED: {problem}")
    if problems:
        return 1
    print(f"ok: every value type went byte for byte between two {mode}, fetched and put")
    return 0


if __name__ == "__main__":
    sys.exit(main())
