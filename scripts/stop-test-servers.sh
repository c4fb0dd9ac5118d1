# Sourced by scripts/test.sh and scripts/sanitize.sh. A crashed test process can't stop its servers; they all live
# under tally-test-* directories, so they are found by name when the run ends. PostgreSQL gets SIGQUIT (an
# immediate but clean stop of its shared memory), the others SIGKILL.
stop_test_servers() {
  pkill -9 -f 'tally-test-redis-' 2>/dev/null || true
  pkill -9 -f 'tally-test-collector-' 2>/dev/null || true
  pkill -QUIT -f 'tally-test-postgres-' 2>/dev/null || true
}
trap stop_test_servers EXIT
