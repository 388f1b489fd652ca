#!/usr/bin/env bash
# The futures example on a cluster started from the command line: a scheduler, two workers
# with five threads each (under nannies) that preload the example's task library, then the
# example pointed at the scheduler. Everything started here is stopped at the end.
#
#   examples/futures/cli-cluster.sh [BUILD_DIR]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
troupe=$build/cli/troupe
log=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$log"' EXIT

"$troupe" scheduler --host 127.0.0.1 --port 0 >"$log/scheduler" 2>&1 &
for _ in $(seq 100); do grep -q "Scheduler at" "$log/scheduler" && break; sleep 0.05; done
address=$(grep -o 'tcp://[^ ]*' "$log/scheduler")
echo "scheduler: $address"

"$troupe" worker "$address" --nworkers 2 --nthreads 5 \
  --preload "$build/examples/libfutures_tasks.so" >"$log/workers" 2>&1 &

"$build/examples/futures_tutorial" "$address" 2
