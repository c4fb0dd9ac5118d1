#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test suite.
# Tests start their own redis-server processes on free loopback ports and stop them.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh

# A crashed test process can't stop its servers; they all live under tally-test-* directories.
cleanup() {
  pkill -9 -f 'tally-test-redis-' 2>/dev/null || true
  pkill -9 -f 'tally-test-collector-' 2>/dev/null || true
  pkill -QUIT -f 'tally-test-postgres-' 2>/dev/null || true
}
trap cleanup EXIT

swift build --build-tests
swift test "$@"
