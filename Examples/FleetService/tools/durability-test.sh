#!/usr/bin/env bash
# Builds FleetService and the strata CLI (from this package's graph, sharing the compiled
# library) in release and runs the SIGKILL durability test (tools/durability-test.py).
#   tools/durability-test.sh [--kills 5] [--threads 6] [--seconds 3]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product FleetService
swift build -c release --product strata
bin=$(swift build -c release --show-bin-path)
exec python3 tools/durability-test.py --binary "$bin/FleetService" --strata-cli "$bin/strata" "$@"
