#!/usr/bin/env bash
# Builds FleetService in release and runs the SIGKILL durability test (tools/durability-test.py).
#   tools/durability-test.sh [--kills 5] [--threads 6] [--seconds 3]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product FleetService
exec python3 tools/durability-test.py --binary "$(swift build -c release --show-bin-path)/FleetService" "$@"
