#!/usr/bin/env bash
# Installs what Tally needs to build and test, when it is missing. Idempotent.
# As root it uses apt-get; otherwise it prints the exact command to run and fails.
set -euo pipefail

# chromium, chromium-driver and a font: the browser tests (pages, dashboards, tally.js); clickhouse-server: the
# ClickHouse warehouse's tests (the tests start their own servers; Debian's is 18.16, the oldest Tally supports).
packages=(libhiredis-dev redis-server redis-tools pkg-config make postgresql python3 curl chromium chromium-driver
  fonts-dejavu-core clickhouse-server)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
else
  # Not Debian/Ubuntu: check the commands and library directly.
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v redis-benchmark >/dev/null 2>&1 || missing+=(redis-tools)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  pkg-config --exists hiredis 2>/dev/null || missing+=(hiredis)
fi

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: missing ${missing[*]}; install them with your package manager (macOS: brew install hiredis redis)" >&2
    exit 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: missing ${missing[*]}; run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python packages from PyPI the tests use: jsonschema (Snowplow's JSON schemas), snowplow-tracker (a client
# nobody here wrote, for protocol conformance), schemathesis (HTTP fuzzing from openapi.yaml, make fuzz-http),
# selenium (drives chromium through chromedriver in the browser tests).
pip_install() {
  python3 -m pip install --quiet "$@" 2>/dev/null || python3 -m pip install --quiet --break-system-packages "$@"
}
for module in jsonschema:jsonschema snowplow_tracker:snowplow-tracker schemathesis:schemathesis selenium:selenium; do
  if ! python3 -c "import ${module%%:*}" >/dev/null 2>&1; then
    echo "bootstrap: installing the ${module#*:} Python package"
    pip_install "${module#*:}"
  fi
done

if ! command -v swift >/dev/null 2>&1; then
  echo "bootstrap: swift is not on PATH; install Swift 6.1 or newer from swift.org" >&2
  exit 1
fi
