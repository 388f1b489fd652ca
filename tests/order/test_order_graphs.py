"""Checks `troupe run GRAPH --order` on the graphs of Dask's ordering tests.

    python test_order_graphs.py TROUPE GRAPHS_DIR             # the ctest check
    python test_order_graphs.py --report-only TROUPE GRAPHS_DIR
    python test_order_graphs.py --table TROUPE GRAPHS_DIR     # markdown: Dask's vs troupe's peak
    python test_order_graphs.py --self-check GRAPHS_DIR       # Dask's own orders, no troupe

For every graph file (made by capture_dask_graphs.py) troupe's order must: give each key of
the graph exactly one of the priorities 0..n-1; be topological; satisfy the property the
Dask test asserts for that call (properties.py); hold no more results at once than Dask's
order does (max_results_held <= dask_max_results_held); and report a max_results_held equal
to what order_measure.py computes for troupe's own priorities.

Exit status 0 when everything holds, 1 when something fails (0 with --report-only).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import subprocess
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean when ctest runs this
sys.path.insert(0, str(Path(__file__).resolve().parent))

import order_measure  # noqa: E402
import properties  # noqa: E402

TIMEOUT_S = 120


def check_order(record: dict, priorities: dict, reported_peak, who: str) -> list:
    """Failures of one order (priorities keyed by JSON key names) of a record's graph."""
    graph = record["graph"]
    failures = order_measure.order_problems(graph, priorities)
    if failures:
        return [f"{who}: {p}" for p in failures]
    peak = order_measure.max_results_held(graph, priorities)
    if reported_peak is not None and reported_peak != peak:
        failures.append(
            f"{who}: reported max_results_held {reported_peak} but its priorities give {peak}"
        )
    dask_peak = record["dask_max_results_held"]
    if peak > dask_peak:
        failures.append(f"{who}: max_results_held {peak} > Dask's {dask_peak}")
    check = properties.property_for(record["dask_test"], record["call"])
    if check is not None:
        o = {order_measure.original_key(k): v for k, v in priorities.items()}
        ctx = properties.Context(graph, o, record["dask_test"])
        try:
            check(o, peak, ctx)
        except properties.Failure as e:
            failures.append(f"{who}: property of {record['dask_test']} call {record['call']}: {e}")
        except (KeyError, TypeError, ValueError, IndexError) as e:
            failures.append(
                f"{who}: property of {record['dask_test']} call {record['call']} "
                f"could not be evaluated: {type(e).__name__}: {e}"
            )
    return failures


def run_troupe(troupe: str, record: dict):
    """(priorities, max_results_held, failures) of `troupe run - --order` on the record's graph.

    A record carries Dask's numbers beside the graph, which a graph file may not, so troupe
    reads {"graph": ...} from standard input."""
    try:
        proc = subprocess.run(
            [troupe, "run", "-", "--order"],
            input=json.dumps({"graph": record["graph"]}),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return None, None, [f"troupe ran past {TIMEOUT_S} s"]
    except OSError as e:
        return None, None, [f"troupe could not start: {e}"]
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip()[-600:]
        return None, None, [f"troupe exited with {proc.returncode}: {tail}"]
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    try:
        out = json.loads(lines[-1] if lines else "")
        priorities = out["priorities"]
        peak = out["max_results_held"]
    except (ValueError, KeyError, TypeError) as e:
        return None, None, [f"troupe's output is not the expected JSON ({e}): {proc.stdout[:300]!r}"]
    if not isinstance(priorities, dict) or not isinstance(peak, int):
        return None, None, ["troupe's output has the wrong types"]
    return priorities, peak, []


def check_file(path: Path, troupe) -> tuple:
    """(file name, failures, Dask's peak, troupe's peak or None)."""
    record = json.loads(path.read_text())
    if troupe is None:  # self-check: Dask's own order
        failures = check_order(record, record["dask_priorities"], record["dask_max_results_held"], "dask")
        return path.name, failures, record["dask_max_results_held"], None
    priorities, peak, failures = run_troupe(troupe, record)
    if not failures:
        failures = check_order(record, priorities, peak, "troupe")
    return path.name, failures, record["dask_max_results_held"], peak


def main() -> int:
    parser = argparse.ArgumentParser(description="Check troupe's order on Dask's ordering-test graphs.")
    parser.add_argument("--self-check", action="store_true",
                        help="check the properties and the simulator against Dask's priorities only")
    parser.add_argument("--table", action="store_true",
                        help="print a markdown table of Dask's and troupe's max_results_held")
    parser.add_argument("--report-only", action="store_true",
                        help="print every failure but exit 0")
    parser.add_argument("paths", nargs="+", metavar="TROUPE GRAPHS_DIR")
    args = parser.parse_args()

    if args.self_check:
        if len(args.paths) != 1:
            parser.error("--self-check takes only GRAPHS_DIR")
        troupe, graphs = None, Path(args.paths[0])
    else:
        if len(args.paths) != 2:
            parser.error("give TROUPE and GRAPHS_DIR")
        troupe, graphs = args.paths[0], Path(args.paths[1])
    files = sorted(graphs.glob("*.json"))
    if not files:
        print(f"no graph files in {graphs}")
        return 1

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda p: check_file(p, troupe), files))

    # Every property must belong to a captured graph (a renamed file would drop it silently).
    calls = []
    for path in files:
        record = json.loads(path.read_text())
        calls.append((record["dask_test"], record["call"]))
    covered = {(node.split("[", 1)[0], call) for node, call in calls}
    orphans = sorted(set(properties.PROPERTIES) - covered)
    n_props = sum(properties.property_for(node, call) is not None for node, call in calls)

    failed = 0
    for name, failures, _, _ in results:
        for f in failures:
            print(f"FAIL {name}: {f}")
        failed += bool(failures)
    for test, call in orphans:
        print(f"FAIL properties.py: no graph file for {test} call {call}")

    if args.table:
        print()
        print("| graph file | Dask's max_results_held | troupe's max_results_held |")
        print("|---|---:|---:|")
        for name, failures, dask_peak, peak in results:
            mine = "—" if peak is None else str(peak)
            print(f"| {name} | {dask_peak} | {mine} |")
        print()

    who = "Dask's orders" if troupe is None else "troupe's orders"
    print(f"{who}: {len(files) - failed} of {len(files)} graph files pass "
          f"({n_props} with a Dask test property)")
    if failed or orphans:
        return 0 if args.report_only else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
