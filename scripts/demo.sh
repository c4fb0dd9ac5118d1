#!/usr/bin/env bash
# The main job, on a fresh machine: installs what is missing, builds tally, and (with a private redis-server
# unless TALLY_REDIS_URL is set) checks the setup, validates the example definitions, tracks events the way an app
# does, shows the counters they produced with redis-cli, prints the Service Ping they make, and shows the ping
# and event records arriving in tally collect's warehouse (tally query) and on its dashboards (kept open for a
# browser when run in a terminal).
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
  echo

  # The receiving side: tally collect on a free port with a warehouse in a temporary folder, the ping submitted
  # to it, event records sent to it by tally serve, and both read back with tally query.
  work=$(mktemp -d -t tally-demo-XXXXXX)
  pids=()
  trap '\''for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; rm -rf "$work"'\'' EXIT
  export TALLY_DATABASE_URL="sqlite://$work/app.sqlite" TALLY_WAREHOUSE_URL="sqlite://$work/warehouse.sqlite"
  wait_for_port() {  # the port a server printed in its log ("listening on http://127.0.0.1:PORT")
    for _ in $(seq 1 200); do
      port=$(grep -o "listening on http://127.0.0.1:[0-9]*" "$1" 2>/dev/null | head -1 | sed "s/.*://")
      if [ -n "$port" ]; then echo "$port"; return 0; fi
      sleep 0.05
    done
    echo "demo: no port in $1:" >&2; cat "$1" >&2; return 1
  }
  echo "== tally collect (warehouse $TALLY_WAREHOUSE_URL)"
  "$tally" collect --port "${TALLY_DEMO_PORT:-0}" --definitions definitions --dashboards Examples/dashboards \
    >"$work/collect.log" 2>&1 &
  pids+=($!)
  collector="http://127.0.0.1:$(wait_for_port "$work/collect.log")"
  echo "listening on $collector"
  echo
  echo "== the ping submitted to it (tally ping --submit)"
  "$tally" ping --at 2025-02-20T10:00:00Z --submit --collector-url "$collector" >/dev/null
  echo
  echo "== event records: tally serve sends each tracked event to the collector too (SaaS mode)"
  TALLY_API_TOKENS=demo-token TALLY_INSTANCE_SECRET=demo-instance-secret-0123456789abcdef \
    "$tally" serve --port 0 --event-records-url "$collector" >"$work/serve.log" 2>&1 &
  serve_pid=$!
  pids+=("$serve_pid")
  api="http://127.0.0.1:$(wait_for_port "$work/serve.log")/api/v4/usage_data/track_event"
  for user in 1 2 3; do
    curl -fsS -o /dev/null -H "Authorization: Bearer demo-token" -H "Content-Type: application/json" \
      -d "{\"event\": \"view_dashboard\", \"user_id\": $user, \"send_to_snowplow\": true}" "$api"
  done
  kill -TERM "$serve_pid"; wait "$serve_pid" 2>/dev/null || true  # a graceful stop sends what is buffered
  echo "3 view_dashboard events tracked through $api"
  echo
  echo "== tally query: the ping, one row per metric, as it arrived"
  "$tally" query "SELECT dim_instance_id, metrics_path, metric_value, ping_created_at FROM fct_ping_instance_metric
                  WHERE metrics_path LIKE '\''counts.%create_note%'\'' ORDER BY metrics_path"
  echo
  echo "== tally query: the event records, per day and action (user ids pseudonymized)"
  "$tally" query "SELECT behavior_date, event_action, COUNT(*) AS events, COUNT(DISTINCT gsc_pseudonymized_user_id) AS users
                  FROM mart_behavior_structured_event GROUP BY 1, 2 ORDER BY 1, 2"
  echo
  echo "== the same numbers on a dashboard: Examples/dashboards/product_usage (GitLab format), one panel as CSV"
  curl -fsS "$collector/dashboards/product_usage?panel=p5&format=csv"
  echo
  echo "== the pages, for a browser (the ping is of February 2025, hence that metric'\''s custom range):"
  echo "  $collector/dashboards/product_usage"
  echo "  $collector/events"
  echo "  $collector/metrics?key_path=counts.count_total_create_note&range=custom&from=2025-02-01&to=2025-02-28"
  echo "  $collector/instances   $collector/dictionary   $collector/dashboards"
  if [ -t 0 ] && [ -z "${CI:-}" ]; then
    read -r -p "tally collect keeps running for you to look; press Enter to stop it. " _ || true
  fi
  kill -TERM "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
' "$tally"
