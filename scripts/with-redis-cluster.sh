#!/usr/bin/env bash
# Runs a command with TALLY_CLUSTER_URL pointing at a private Redis Cluster (3 masters, 3 replicas) and
# TALLY_SINGLE_URL at a private single redis-server, all on free loopback ports in a temporary directory, stopped
# when the command ends. For `tally bench cluster`:
#   bash scripts/with-redis-cluster.sh sh -c 'tally bench cluster --redis-url "$TALLY_CLUSTER_URL" --single-url "$TALLY_SINGLE_URL"'
set -euo pipefail

directory=$(mktemp -d -t tally-redis-cluster-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$directory"
}
trap cleanup EXIT INT TERM

# Starts one redis-server with extra options and sets `port` to its port. The cluster bus needs port + 10000 free
# too.
port=""
start() {
  local name=$1
  shift
  for _ in $(seq 1 20); do
    port=$(( 20000 + RANDOM % 35000 ))
    [ "$port" -eq 6379 ] && continue
    mkdir -p "$directory/$name"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$directory/$name" \
      --logfile "$directory/$name/redis.log" --daemonize no "$@" > /dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 1 100); do
      if ! kill -0 "$pid" 2>/dev/null; then break; fi
      if redis-cli -p "$port" INFO server 2>/dev/null | grep -q "process_id:$pid"; then
        pids+=("$pid")
        return 0
      fi
      sleep 0.05
    done
    kill -9 "$pid" 2>/dev/null || true
  done
  echo "with-redis-cluster: could not start redis-server" >&2
  exit 1
}

nodes=()
for index in 1 2 3 4 5 6; do
  start "node$index" --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000
  nodes+=("127.0.0.1:$port")
done
redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes > "$directory/create.log" 2>&1
for _ in $(seq 1 200); do
  redis-cli -p "${nodes[0]#127.0.0.1:}" CLUSTER INFO | grep -q 'cluster_state:ok' && break
  sleep 0.1
done
start single
export TALLY_CLUSTER_URL="redis+cluster://$(IFS=,; echo "${nodes[*]}")"
export TALLY_SINGLE_URL="redis://127.0.0.1:$port"
echo "with-redis-cluster: $TALLY_CLUSTER_URL; one server $TALLY_SINGLE_URL" >&2
"$@"
