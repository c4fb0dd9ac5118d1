#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test suite.
# Tests start their own redis-server processes on free loopback ports and stop them.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh

source scripts/stop-test-servers.sh

swift build --build-tests
swift test "$@"
