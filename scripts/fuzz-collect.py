#!/usr/bin/env python3
"""Fault scenario 12 (RELIABILITY.md): bad input against a live `tally collect`.

Starts `tally collect` (the binary given as the first argument) on a free loopback port with a fresh SQLite
warehouse, then:

1. schemathesis (PyPI) generates requests from collector-openapi.yaml; no answer may be a 5xx and every answer
   must match the document;
2. TALLY_FUZZ_BODIES (default 10,000) hand-made tracker requests over keep-alive connections: good events, events
   with one field broken, truncated and mutated JSON, wrong types, random bytes, tp1 query strings with bad
   escapes; every answer is 200 (413 for the oversized), and the counts the collector answered add up to what
   the warehouse holds: every good event stored once, every other one a bad row;
3. at the end the collector still answers and has not crashed, and stops cleanly on SIGTERM.

Prints one `RELIABILITY scenario=12 ...` line with the figures and exits non-zero on any failure.
"""

import base64
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

failures = []
TP2 = "/com.snowplowanalytics.snowplow/tp2"


def fail(message):
    failures.append(message)
    print("FAIL:", message, file=sys.stderr)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def good_event(rng):
    context = {"schema": "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0",
               "data": [{"schema": "iglu:com.gitlab/gitlab_standard/jsonschema/1-1-7",
                         "data": {"project_id": rng.randrange(1, 1000), "user_id": "p" * 44, "extra": {}}}]}
    event = {"e": "se", "p": rng.choice(["srv", "web", "pc"]), "tv": "fuzz-1", "eid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
             "se_ca": "InternalEventTracking", "se_ac": rng.choice(["feature_used", "view_page", "export"]),
             "dtm": str(int(time.time() * 1000)), "stm": str(int(time.time() * 1000))}
    if rng.random() < 0.5:
        event["cx"] = base64.urlsafe_b64encode(json.dumps(context).encode()).decode().rstrip("=")
    if rng.random() < 0.3:
        event["se_va"] = str(rng.randrange(100))
    return event


BREAKS = [
    lambda e, r: e.pop("e"),
    lambda e, r: e.pop("p"),
    lambda e, r: e.pop("tv"),
    lambda e, r: e.__setitem__("e", r.choice(["zz", "", "SE", "\u00e9"])),
    lambda e, r: e.__setitem__("p", "toaster"),
    lambda e, r: e.__setitem__("eid", r.choice(["x", "", "123", "not-a-uuid-at-all"])),
    lambda e, r: e.__setitem__("dtm", r.choice(["soon", "-5", "1e3", "99999999999999999999"])),
    lambda e, r: e.__setitem__("se_va", r.choice(["NaN", "inf", "ten", "1,5"])),
    lambda e, r: e.__setitem__("se_ac", ""),
    lambda e, r: e.__setitem__("cx", r.choice(["%%%", "e30", base64.b64encode(b"[1]").decode(), "!!"])),
    lambda e, r: e.__setitem__("co", r.choice(["{", "[]", '{"schema":"x","data":[]}', '{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":5}'])),
    lambda e, r: e.__setitem__("ue_pr", "{}") or e.__setitem__("e", "ue"),
    lambda e, r: e.__setitem__("vid", "first"),
]


def envelope(events):
    return {"schema": "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4", "data": events}


def make_request(rng, counter):
    """One request: (method, path, body bytes, expected good events, expected bad rows or None if unknown)."""
    kind = rng.random()
    if kind < 0.003:  # over the body limit (1 MiB): 413 and one bad row
        return "POST", TP2, b'{"data": "' + b"x" * (1_100_000 + rng.randrange(1000)) + b'"}', None, None
    if kind < 0.45:  # a batch with some broken events
        events, good, bad = [], 0, 0
        for _ in range(rng.randrange(1, 20)):
            event = good_event(rng)
            if rng.random() < 0.4:
                rng.choice(BREAKS)(event, rng)
                bad += 1
            else:
                good += 1
            events.append(event)
        return "POST", TP2, json.dumps(envelope(events)).encode(), good, bad
    if kind < 0.55:  # a field that isn't a string
        event = good_event(rng)
        event[rng.choice(list(event))] = rng.choice([5, None, [], {"a": 1}, True, 1.5])
        return "POST", TP2, json.dumps(envelope([event])).encode(), 0, 1
    if kind < 0.75:  # a valid batch mutated byte by byte: whatever it is, the counts must add up
        data = bytearray(json.dumps(envelope([good_event(rng) for _ in range(3)])).encode())
        for _ in range(rng.randrange(1, 8)):
            position = rng.randrange(len(data))
            choice = rng.random()
            if choice < 0.4:
                data[position] = rng.randrange(256)
            elif choice < 0.7:
                del data[position]
            else:
                data = data[:position]
                break
        return "POST", TP2, bytes(data), None, None
    if kind < 0.82:  # random bytes, or JSON of the wrong shape
        body = rng.choice([
            bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300))),
            b"[]", b"{}", b"null", b'"text"', b'{"schema": 5}', b'{"data": []}',
            json.dumps({"schema": "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4", "data": [1, "x", None]}).encode(),
            b"[" * 5000 + b"]" * 5000,
        ])
        return "POST", TP2, body, None, None
    # tp1 pixels: good, broken and badly escaped
    event = good_event(rng)
    if rng.random() < 0.4:
        rng.choice(BREAKS)(event, rng)
        query = urllib.parse.urlencode(event)
        return "GET", "/i?" + query, b"", 0, 1
    if rng.random() < 0.2:
        return "GET", "/i?" + rng.choice(["e=%zz", "%", "e=se&p=%E0%A4%A", "a=%00%ff"]), b"", None, None
    return "GET", "/i?" + urllib.parse.urlencode(event), b"", 1, 0


def warehouse_count(binary, warehouse, table):
    out = subprocess.run([binary, "query", "--warehouse-url", warehouse, "--csv", f"SELECT count(*) AS n FROM {table}"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"tally query failed: {out.stderr}")
        return -1
    return int(out.stdout.split()[1])


def hand_made(port, total, seed=12):
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    stored = bad_rows = duplicates = 0
    checked = 0
    statuses = {}
    for counter in range(total):
        method, path, body, good, bad = make_request(rng, counter)
        headers = {"Content-Type": "application/json"} if method == "POST" else {}
        for attempt in range(2):
            try:
                connection.request(method, path, body=body if method == "POST" else None, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                break
            except (http.client.HTTPException, OSError):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        else:
            fail(f"request {counter} ({method} {path[:40]}) got no answer")
            continue
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if response.status >= 500:
            fail(f"request {counter} answered {response.status}: {answer[:200]!r}")
            continue
        if method == "GET":
            if response.status != 200 or response.getheader("Content-Type") != "image/gif":
                fail(f"pixel {counter} answered {response.status} {response.getheader('Content-Type')}")
            bad_rows += bad if bad is not None else 0
            stored += good if good is not None else 0
            if good is None:
                unknown_pixels.append(path)
            continue
        if response.status == 413:
            bad_rows += 1
            continue
        if response.status != 200:
            fail(f"request {counter} answered {response.status}: {answer[:200]!r}")
            continue
        counts = json.loads(answer)
        if good is not None and (counts["stored"] + counts["duplicates"], counts["bad_rows"]) != (good, bad):
            fail(f"request {counter}: expected {good} good and {bad} bad, the collector answered {counts}")
        if good is not None:
            checked += 1
        stored += counts["stored"]
        duplicates += counts["duplicates"]
        bad_rows += counts["bad_rows"]
    connection.close()
    return stored, duplicates, bad_rows, checked, statuses


unknown_pixels = []


def schemathesis(port):
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", "collector-openapi.yaml",
        "--url", f"http://127.0.0.1:{port}",
        "--checks", "all",
        "--max-examples", os.environ.get("TALLY_FUZZ_EXAMPLES", "100"),
        "--generation-deterministic",
        "--request-timeout", "10",
    ]
    print("fuzz-collect:", " ".join(command[2:]), flush=True)
    result = subprocess.run(command, text=True, capture_output=True)
    output = result.stdout + result.stderr
    print(output[-int(os.environ.get("TALLY_FUZZ_OUTPUT", "4000")):])
    if result.returncode != 0:
        fail("schemathesis reported failures (see above)")
    for line in output.splitlines():
        if "generated," in line:
            return line.strip()
    return ""


def main():
    binary = sys.argv[1]
    total = int(os.environ.get("TALLY_FUZZ_BODIES", "10000"))
    port = free_port()
    folder = tempfile.mkdtemp(prefix="tally-fuzz-collect-")
    warehouse = f"sqlite://{folder}/warehouse.sqlite"
    log = open(f"{folder}/collect.log", "w+")
    server = subprocess.Popen([binary, "collect", "--port", str(port), "--warehouse-url", warehouse],
                              stdout=log, stderr=subprocess.STDOUT,
                              preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_SETMASK, []))
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        else:
            fail("tally collect did not start")
            return
        generated = schemathesis(port)
        events_before = warehouse_count(binary, warehouse, "events")
        bad_before = warehouse_count(binary, warehouse, "bad_rows")
        started = time.monotonic()
        stored, duplicates, bad_rows, checked, statuses = hand_made(port, total)
        seconds = time.monotonic() - started
        # Pixels whose fate the script can't predict (bad escapes) are one event or one bad row each.
        events_after = warehouse_count(binary, warehouse, "events")
        bad_after = warehouse_count(binary, warehouse, "bad_rows")
        new_events, new_bad = events_after - events_before, bad_after - bad_before
        if new_events + new_bad - len(unknown_pixels) != stored + bad_rows:
            fail(f"the warehouse holds {new_events} new events and {new_bad} new bad rows; "
                 f"the answers said {stored} stored and {bad_rows} bad rows (+{len(unknown_pixels)} unknown pixels)")
        if not (stored <= new_events <= stored + len(unknown_pixels)):
            fail(f"{new_events} events stored, the answers said {stored}")
        status = urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5).status
        if status != 200:
            fail(f"the collector no longer answers normally ({status})")
        if server.poll() is not None:
            fail(f"tally collect exited with {server.returncode}")
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
        if code != 0:
            fail(f"tally collect stopped with {code} after SIGTERM")
        log.seek(0)
        text = log.read()
        crashes = 1 if ("Fatal error" in text or "Segmentation" in text) else 0
        print(f"RELIABILITY scenario=12 bodies={total} statuses={json.dumps(statuses, sort_keys=True)} "
              f"events_stored={new_events} duplicates={duplicates} bad_rows={new_bad} predicted_requests={checked} "
              f"seconds={seconds:.1f} schemathesis=\"{generated}\" failures={len(failures)} crashes={crashes}")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
