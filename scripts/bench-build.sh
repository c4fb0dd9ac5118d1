#!/usr/bin/env bash
# Issue 11's build benchmark: in one run, the clean debug build time of a tiny app that depends only on Tally's
# product `InternalEvents` (by path, with `traits: []`, as the README tells apps that only count), against a
# baseline package that depends only on Yams + swift-log + swift-metrics. Prints both times, their ratio
# (goal <= 1.5) and the modules each build compiled. With --rounds N the two clean builds alternate N times (a
# clean build on 2 cores varies by a second or more from run to run) and each round's ratio and their median are
# printed; CPU time (user + sys) is shown beside each wall time.
# Usage: scripts/bench-build.sh [--json] [--rounds N]
set -euo pipefail
json=false
rounds=1
while [ $# -gt 0 ]; do
  case "$1" in
    --json) json=true ;;
    --rounds)
      rounds="${2:?--rounds needs a number}"
      shift
      ;;
    *)
      echo "bench-build: unknown argument '$1' (usage: scripts/bench-build.sh [--json] [--rounds N])" >&2
      exit 2
      ;;
  esac
  shift
done
case "$rounds" in '' | *[!0-9]* | 0)
  echo "bench-build: --rounds wants a positive whole number, not '$rounds'" >&2
  exit 2
  ;;
esac
tally_root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/tally-bench-build.XXXXXX)"
trap 'rm -rf "$work"' EXIT

make_package() { # name, dependencies, target dependencies, imports
  mkdir -p "$work/$1/Sources/App"
  cat > "$work/$1/Package.swift" <<MANIFEST
// swift-tools-version: 6.1
import PackageDescription
let package = Package(
    name: "$1", platforms: [.macOS(.v15)],
    dependencies: [$2],
    targets: [.executableTarget(name: "App", dependencies: [$3])]
)
MANIFEST
  printf '%s\n' "$4" > "$work/$1/Sources/App/main.swift"
}

make_package baseline \
  '.package(url: "https://github.com/jpsim/Yams", from: "6.0.0"), .package(url: "https://github.com/apple/swift-log", from: "1.16.2"), .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0")' \
  '.product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics")' \
  'import Logging
import Metrics
import Yams
let loaded = try Yams.load(yaml: "a: 1")
Logger(label: "app").info("\(loaded as Any)")
Counter(label: "c").increment()'

make_package app \
  ".package(path: \"$tally_root\", traits: [])" \
  ".product(name: \"InternalEvents\", package: \"$(basename "$tally_root" | tr 'A-Z' 'a-z')\")" \
  'import InternalEvents
let tally = try Tally(configuration: .environment())
tally.tracker.track("create_note", user: 42, project: 7)'

time_build() { # package → "wall cpu" seconds, from clean (resolution first, not timed: both read local package copies)
  (cd "$work/$1" && swift package resolve >/dev/null 2>&1)
  rm -rf "$work/$1/.build/debug" "$work/$1/.build/"*-unknown-linux-gnu "$work/$1/.build/"*-apple-macosx
  local TIMEFORMAT='%R %U %S' times
  # bash's `time` reports the build's wall, user and system seconds on the group's standard error.
  times=$({ time (cd "$work/$1" && swift build >"$work/$1.log" 2>&1); } 2>&1) || {
    cat "$work/$1.log" >&2
    exit 1
  }
  echo "$times" | awk '{print $1, $2 + $3}'
}

# The modules a build compiled (SwiftPM makes a `.build` folder for every target of the dependency graph, compiled
# or not; a compiled Swift module leaves a `.swiftmodule`).
modules() { find -L "$work/$1/.build/debug/Modules" -maxdepth 1 -name '*.swiftmodule' -printf '%f\n' | sed 's/\.swiftmodule$//' | sort | tr '\n' ' '; }

baselines=()
apps=()
ratios=()
for round in $(seq 1 "$rounds"); do
  echo "bench-build: round $round of $rounds: clean debug build of the baseline (Yams + swift-log + swift-metrics)…" >&2
  measured=$(time_build baseline) # a failed build ends the script here (not inside `read`)
  read -r baseline baseline_cpu <<<"$measured"
  echo "bench-build: round $round of $rounds: clean debug build of an app depending only on InternalEvents…" >&2
  measured=$(time_build app)
  read -r app app_cpu <<<"$measured"
  ratio=$(echo "scale=2; $app / $baseline" | bc)
  baselines+=("$baseline")
  apps+=("$app")
  ratios+=("$ratio")
  if [ "$json" = false ]; then
    printf 'round %d: baseline %.1f s (CPU %.1f s), app %.1f s (CPU %.1f s), ratio %s\n' \
      "$round" "$baseline" "$baseline_cpu" "$app" "$app_cpu" "$ratio"
  fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ratio=$(median "${ratios[@]}")
if [ "$json" = true ]; then
  printf '{"baseline_seconds": %.1f, "internal_events_app_seconds": %.1f, "ratio": %s, "rounds": %d, "ratios": [%s], "app_modules": "%s"}\n' \
    "$(median "${baselines[@]}")" "$(median "${apps[@]}")" "$ratio" "$rounds" "$(IFS=,; echo "${ratios[*]}")" "$(modules app)"
else
  printf 'baseline (Yams + swift-log + swift-metrics): %.1f s (median of %d)\n' "$(median "${baselines[@]}")" "$rounds"
  printf 'app depending only on InternalEvents:        %.1f s\n' "$(median "${apps[@]}")"
  printf 'ratio: %s (goal <= 1.5; median of the rounds)\n' "$ratio"
  printf 'modules the app built: %s\n' "$(modules app)"
  printf 'modules the baseline built: %s\n' "$(modules baseline)"
fi
