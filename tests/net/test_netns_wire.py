"""The data plane between two hosts: every built-in value type, a registered user type and
three values past the segmented threshold go byte for byte from a data server in one network
namespace to a reader in another over TCP, and back as puts (tests/net/wire_peer.cpp does both
ends). The namespaces are those of tests/cluster/test_netns.py (the two worker hosts, joined
through the bridge of the third); where they cannot be made it prints "SKIP: <why>".

Usage: test_netns_wire.py PATH/TO/wire_peer
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cluster"))
import test_netns as net  # noqa: E402
from cluster_test_support import kill_group  # noqa: E402

TIMEOUT_S = 120


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: test_netns_wire.py PATH/TO/wire_peer")
    peer = os.path.abspath(sys.argv[1])
    try:
        net.set_up_network()
    except net.Skip as why:
        if os.geteuid() == 0:
            net.tear_down_network()
        print(f"SKIP: {why}")
        return 0
    server = None
    problems = []
    try:
        unreachable = net.wait_reachable()
        if unreachable:
            problems.append(f"the namespaces cannot reach each other: {unreachable}")
            return 1
        server_ns, reader_ns = net.WORKER_NS
        server = subprocess.Popen(net.in_ns(server_ns, [peer, "serve", net.WORKER_IPS[0]]),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  start_new_session=True)
        banner = server.stdout.readline().split()
        if len(banner) != 2 or banner[0] != "address":
            problems.append(f"the server did not start: {banner!r}")
            return 1
        address = banner[1]
        status, out, err = net.run_in_ns(reader_ns, [peer, "fetch", address], timeout=TIMEOUT_S)
        print(f"     reader in {reader_ns}: {out.strip()}", flush=True)
        if status != 0:
            problems.append(f"fetch and put from {reader_ns}: exit status {status}: {out.strip()} "
                            f"{err.strip()}")
        elif not out.strip().endswith("direct 0, segmented 3"):
            problems.append(f"expected no direct copy between hosts and three values in "
                            f"segments: {out.strip()!r}")
        server.stdin.close()
        try:
            out = server.stdout.read()
            server.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            problems.append("the server did not end after its stdin closed")
            return 1
        print(f"     server in {server_ns}: {out.strip()}", flush=True)
        if server.returncode != 0:
            problems.append(f"the puts that reached {server_ns}: {out.strip()}")
        elif not out.strip().endswith("received in segments 6"):
            problems.append(f"expected the three large puts in two segments each: {out.strip()!r}")
        return 1 if problems else 0
    finally:
        if server is not None:
            kill_group(server.pid)
            server.wait()
        net.tear_down_network()
        for problem in problems:
            print(f"FAILED: {problem}")
        if not problems:
            print("ok: every value type went byte for byte between two hosts, fetched and put")


if __name__ == "__main__":
    sys.exit(main())
