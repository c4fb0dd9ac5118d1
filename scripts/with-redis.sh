#!/usr/bin/env bash
# Runs a command with TALLY_REDIS_URL pointing at a Redis server.
# If TALLY_REDIS_URL is already set, that server is used. Otherwise a private redis-server is started on a free
# loopback port (never 6379) in a temporary directory, and stopped when the command ends.
set -euo pipefail

if [ -n "${TALLY_REDIS_URL:-}" ]; then
  exec "$@"
fi

directory=$(mktemp -d -t tally-redis-XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$directory"
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 20); do
  port=$(( 20000 + RANDOM % 40000 ))
  [ "$port" -eq 6379 ] && continue
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$directory" \
    --logfile "$directory/redis.log" --daemonize no &
  pid=$!
  for _ in $(seq 1 100); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    # Our server, not another one on the same port: its INFO names our process id.
    if redis-cli -p "$port" INFO server 2>/dev/null | grep -q "process_id:$pid"; then
      export TALLY_REDIS_URL="redis://127.0.0.1:$port"
      echo "with-redis: private redis-server on $TALLY_REDIS_URL (pid $pid)" >&2
      "$@"
      exit $?
    fi
    sleep 0.05
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
done
echo "with-redis: could not start redis-server; log: $(tail -3 "$directory/redis.log" 2>/dev/null)" >&2
exit 1
