#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test suite.
# Tests start their own redis-server processes on free loopback ports and stop them.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh

source scripts/stop-test-servers.sh

# Every module a target imports must be declared as its dependency (nothing reaches a target transitively).
swift build --build-tests --explicit-target-dependency-import-check error
swift test --skip-build "$@"
