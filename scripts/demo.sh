#!/usr/bin/env bash
# The main job, on a fresh machine: installs what is missing, builds tally, and (with a private redis-server
# unless TALLY_REDIS_URL is set) checks the setup and runs a smoke of counters.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
swift build --product tally
tally=$(swift build --show-bin-path)/tally

bash scripts/with-redis.sh bash -c '
  set -euo pipefail
  echo "== tally doctor"
  "$0" doctor
  echo
  echo "== smoke: 100,000 INCRs in pipelines of 64 through Tally'"'"'s hiredis wrapper, checked exact"
  "$0" bench redis --requests 100000 --runs 1
' "$tally"
