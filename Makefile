# Tally's everyday commands. Each one installs what it needs (scripts/bootstrap.sh) and is idempotent.
.PHONY: demo test example lint format bench fuzz-http fuzz-collect leaks sanitize clean

## The main job: build, private Redis unless TALLY_REDIS_URL is set, doctor, smoke of counters.
demo:
	bash scripts/demo.sh

## Every test suite, against real redis-servers the tests start themselves.
test:
	bash scripts/test.sh

## Examples/NotesApp, an app package that depends on Tally by path: build it and run its own tests (no Redis).
example:
	cd Examples/NotesApp && swift build --build-tests && swift test --skip-build

## swift format in lint mode (CI runs it).
lint:
	swift format lint --strict --recursive --parallel Package.swift Sources Tests Examples

## Rewrites the sources in the project's format.
format:
	swift format format --in-place --recursive --parallel Package.swift Sources Tests Examples

## Release-mode benchmarks against a private Redis; figures go in BENCHMARKS.md.
bench:
	bash scripts/bootstrap.sh
	swift build -c release --product tally
	bash scripts/with-redis.sh $$(swift build -c release --show-bin-path)/tally bench redis --json

## Fault scenario 8: schemathesis and hand-written bad requests against a live `tally serve` (RELIABILITY.md).
fuzz-http:
	bash scripts/bootstrap.sh
	swift build --product tally
	bash scripts/with-redis.sh python3 scripts/fuzz-http.py $$(swift build --show-bin-path)/tally

## Fault scenario 12: schemathesis and 10,000 hand-made tracker bodies against a live tally collect.
fuzz-collect:
	bash scripts/bootstrap.sh
	swift build --product tally
	python3 scripts/fuzz-collect.py $$(swift build --show-bin-path)/tally

## The reply, pipeline and failure tests under AddressSanitizer + LeakSanitizer: no leaked hiredis reply or context.
leaks:
	bash scripts/leaks.sh

## Fault scenario 10: the whole suite under ThreadSanitizer, then AddressSanitizer.
sanitize:
	bash scripts/sanitize.sh thread
	bash scripts/sanitize.sh address

clean:
	swift package clean
