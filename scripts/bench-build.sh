#!/usr/bin/env bash
# Issue 11's build benchmark: in one run, the clean debug build time of a tiny app that depends only on Tally's
# product `InternalEvents` (by path, with `traits: []`, as the README tells apps that only count), against a
# baseline package that depends only on Yams + swift-log + swift-metrics. Prints both times, their ratio
# (goal <= 1.5) and the modules each build compiled.
# Usage: scripts/bench-build.sh [--json]
set -euo pipefail
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

time_build() { # package → seconds (resolution first, not timed: both read local package copies)
  (cd "$work/$1" && swift package resolve >/dev/null 2>&1)
  local start end
  start=$(date +%s.%N)
  (cd "$work/$1" && swift build >"$work/$1.log" 2>&1) || { cat "$work/$1.log" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

# The modules a build compiled (SwiftPM makes a `.build` folder for every target of the dependency graph, compiled
# or not; a compiled Swift module leaves a `.swiftmodule`).
modules() { find -L "$work/$1/.build/debug/Modules" -maxdepth 1 -name '*.swiftmodule' -printf '%f\n' | sed 's/\.swiftmodule$//' | sort | tr '\n' ' '; }

echo "bench-build: clean debug build of the baseline (Yams + swift-log + swift-metrics)…" >&2
baseline=$(time_build baseline)
echo "bench-build: clean debug build of an app depending only on InternalEvents…" >&2
app=$(time_build app)
ratio=$(echo "scale=2; $app / $baseline" | bc)
if [ "${1:-}" = "--json" ]; then
  printf '{"baseline_seconds": %.1f, "internal_events_app_seconds": %.1f, "ratio": %s, "app_modules": "%s"}\n' \
    "$baseline" "$app" "$ratio" "$(modules app)"
else
  printf 'baseline (Yams + swift-log + swift-metrics): %.1f s\n' "$baseline"
  printf 'app depending only on InternalEvents:        %.1f s\n' "$app"
  printf 'ratio: %s (goal <= 1.5)\n' "$ratio"
  printf 'modules the app built: %s\n' "$(modules app)"
  printf 'modules the baseline built: %s\n' "$(modules baseline)"
fi
