#!/usr/bin/env bash
# Runs the reply and pipeline tests under AddressSanitizer with LeakSanitizer, which fails on any hiredis reply,
# context or buffer that is never freed (and on any memory error). Uses its own build folder, .build-asan.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
cleanup() { pkill -9 -f 'tally-test-redis-' 2>/dev/null || true; }
trap cleanup EXIT

export ASAN_OPTIONS="detect_leaks=1"
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
swift test --scratch-path .build-asan --sanitize=address --filter 'ReplyTests|PipelineTests|FailureTests|ReplyParserFuzzTests' "$@"
