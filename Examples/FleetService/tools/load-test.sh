#!/usr/bin/env bash
# Load test: builds FleetService in release, starts it on loopback on a new store, and loads
# it from a second process with wrk: first writes (line protocol batches, tools/write.lua),
# then range queries of one series.
#
#   tools/load-test.sh [seconds] [connections]     (defaults: 30 s, 8 connections)
#
# Environment: FLEET_POINTS (points per write request, 500), FLEET_DEVICES (devices per wrk
# thread, 100), PORT (18080), STORE_DIR (a new temporary directory), FLEET_DURABILITY.
set -euo pipefail

cd "$(dirname "$0")/.."
seconds=${1:-30}
connections=${2:-8}
port=${PORT:-18080}
store=${STORE_DIR:-$(mktemp -d /tmp/fleet-load.XXXXXX)/store}

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
swift build -c release --product FleetService
binary=$(swift build -c release --show-bin-path)/FleetService

"$binary" --store "$store" --port "$port" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/health" >/dev/null && break
    sleep 0.1
done

echo "== writes: $seconds s, $connections connections, 2 wrk threads"
wrk --latency -t2 -c"$connections" -d"${seconds}s" -s tools/write.lua "http://127.0.0.1:$port"

series="/query?device=fleet-0-0&metric=fleet.temp"
points=$(curl -fs "http://127.0.0.1:$port$series" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["points"]))')
echo "== queries of one series ($points points): 15 s, $connections connections"
wrk --latency -t2 -c"$connections" -d15s "http://127.0.0.1:$port$series"

# The same series' last 100 points only (from/to), the shape of a dashboard's query.
ranged=$(curl -fs "http://127.0.0.1:$port$series" | python3 -c '
import json, sys
points = json.load(sys.stdin)["points"]
print(f"&from={points[-100][0]}&to={points[-1][0] + 1}")')
ranged="$series$ranged"
echo "== queries of the last 100 points of that series: 15 s, $connections connections"
wrk --latency -t2 -c"$connections" -d15s "http://127.0.0.1:$port$ranged"

du -sh "$store"
