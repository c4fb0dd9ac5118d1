#!/usr/bin/env bash
# Fault scenario 10 (RELIABILITY.md): the whole test suite under a sanitizer.
#   scripts/sanitize.sh thread    ThreadSanitizer: data races (build folder .build-tsan)
#   scripts/sanitize.sh address   AddressSanitizer + LeakSanitizer: memory errors and leaks (build folder .build-asan)
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
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
export ASAN_OPTIONS="detect_leaks=1 ${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$(pwd)/scripts/lsan.supp print_suppressions=0 ${LSAN_OPTIONS:-}"
swift build --build-tests --scratch-path "$scratch" --sanitize="$sanitizer"
swift test --skip-build --scratch-path "$scratch" --sanitize="$sanitizer" "$@"
