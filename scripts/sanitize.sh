#!/usr/bin/env bash
# Fault scenario 10 (RELIABILITY.md): the whole test suite under a sanitizer.
#   scripts/sanitize.sh thread    ThreadSanitizer: data races (build folder .build-tsan)
#   scripts/sanitize.sh address   AddressSanitizer: memory errors (build folder .build-asan; leaks: make leaks)
# Each builds every dependency once with the sanitizer (several minutes the first time), then runs the suite.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizer=${1:?usage: scripts/sanitize.sh thread|address [swift test arguments…]}
shift
case "$sanitizer" in
  thread) scratch=.build-tsan ;;
  address) scratch=.build-asan ;;
  *) echo "sanitize: unknown sanitizer $sanitizer (thread or address)" >&2; exit 2 ;;
esac

bash scripts/bootstrap.sh
source scripts/stop-test-servers.sh
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan.supp ${TSAN_OPTIONS:-}"
# Leak checking stays off for the whole suite: at exit LeakSanitizer reports allocations of Foundation's
# Data/String(contentsOf:), SwiftNIO's singletons and test event loops, SQLiteNIO's failed opens and libcurl, none
# made by Tally's code (RELIABILITY.md). `make leaks` checks Tally's own C-facing code (the hiredis replies) with it on.
export ASAN_OPTIONS="detect_leaks=0 ${ASAN_OPTIONS:-}"
swift build --build-tests --scratch-path "$scratch" --sanitize="$sanitizer"
swift test --skip-build --scratch-path "$scratch" --sanitize="$sanitizer" "$@"
