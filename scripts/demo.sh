#!/usr/bin/env bash
# The main job, on a fresh machine: installs what is missing, builds tally, and (with a private redis-server
# unless TALLY_REDIS_URL is set) checks the setup, validates the example definitions, tracks events the way an app
# does, shows the counters they produced with redis-cli, and prints the Service Ping they make.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
swift build --product tally
tally=$(swift build --show-bin-path)/tally
export TALLY_DEFINITIONS="${TALLY_DEFINITIONS:-definitions}"

bash scripts/with-redis.sh bash -c '
  set -euo pipefail
  tally="$0"
  echo "== tally doctor"
  "$tally" doctor || true
  echo
  echo "== tally definitions validate"
  "$tally" definitions validate
  echo
  echo "== tally definitions list"
  "$tally" definitions list
  echo
  echo "== tracking a week of events (direct mode, strict), pinned to 2025-02-12 (ISO week 2025-07)"
  export TALLY_NOW=2025-02-12T10:00:00Z
  for user in 1 2 3 4 5; do
    "$tally" track create_note --user "$user" --project 7 --namespace 3 --property label=editor >/dev/null
  done
  "$tally" track create_note --user 1 --project 8 --property label=api
  for user in 1 2 3; do "$tally" track view_dashboard --user "$user" >/dev/null; done
  "$tally" track export_report --user 2 --namespace 3 --property label=csv --property value=120 >/dev/null
  "$tally" track export_report --user 4 --property label=pdf --property value=30.5 >/dev/null
  echo
  echo "== the keys export_report writes, and how to look at them"
  "$tally" keys export_report
  echo
  echo "== read back with redis-cli"
  host_port=${TALLY_REDIS_URL#redis://}
  cli=(redis-cli -h "${host_port%:*}" -p "${host_port##*:}")
  printf "notes created, all time:          %s\n" "$("${cli[@]}" GET "{event_counters}_create_note")"
  printf "notes created in week 2025-07:    %s (TTL %ss)\n" "$("${cli[@]}" GET "{event_counters}_create_note-2025-07")" "$("${cli[@]}" TTL "{event_counters}_create_note-2025-07")"
  printf "users who created notes, 2025-07: %s\n" "$("${cli[@]}" PFCOUNT "{hll_counters}_create_note-user-2025-07")"
  printf "dashboard users, 2025-07:         %s\n" "$("${cli[@]}" PFCOUNT "{hll_counters}_view_dashboard-user-2025-07")"
  printf "CSV exporters, 2025-07:           %s\n" "$("${cli[@]}" PFCOUNT "{hll_counters}_export_report-filter:[label:csv]-user-2025-07")"
  printf "rows exported, all time:          %s\n" "$("${cli[@]}" GET "{event_sums}_export_report-operator:sum(value)")"
  echo
  echo "== one metric, and the Redis reads behind it (a ping the next week: 7d reads week 2025-07)"
  "$tally" metric counts.count_distinct_user_id_from_create_note_weekly --at 2025-02-20T10:00:00Z
  echo
  echo "== the Service Ping of Thursday 2025-02-20 (payload, then metadata)"
  "$tally" ping --at 2025-02-20T10:00:00Z --metadata
' "$tally"
