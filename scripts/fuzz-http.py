#!/usr/bin/env python3
"""Fault scenario 8 (RELIABILITY.md): bad HTTP input against a live `tally serve`.

Starts `tally serve` (the binary given as the first argument) on a free loopback port against TALLY_REDIS_URL
(run it through scripts/with-redis.sh), then:

1. schemathesis (PyPI) generates requests from openapi.yaml, valid and invalid, with and without a token;
   no answer may be a 5xx and every answer must match the document;
2. hand-written attacks over raw sockets: huge bodies, deep JSON nesting, invalid UTF-8, header floods, slow
   clients holding connections, garbage instead of HTTP;
3. after each rejected request the counters are unchanged, and at the end the server still answers and the
   process has not crashed.

Prints one `RELIABILITY scenario=8 ...` line with the figures and exits non-zero on any failure.
"""

import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

TOKEN = "fuzz-token-" + str(random.randrange(10**9))
ADMIN = "fuzz-admin-" + str(random.randrange(10**9))
failures = []
tried = 0


def fail(message):
    failures.append(message)
    print("FAIL:", message, file=sys.stderr)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_get(key):
    host_port = os.environ["TALLY_REDIS_URL"].split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    out = subprocess.run(["redis-cli", "-h", host, "-p", port, "GET", key], capture_output=True, text=True)
    return out.stdout.strip()


def raw_request(port, data, read=True, timeout=10):
    """Sends raw bytes; returns the status code (int), or None when the server closed without an answer."""
    global tried
    tried += 1
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.settimeout(3)
        try:
            connection.sendall(data)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass  # the server stopped reading (an oversized request): fine, if it answers below
        connection.settimeout(timeout)
        if not read:
            return None
        answer = b""
        try:
            while b"\r\n" not in answer:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except (ConnectionResetError, socket.timeout):
            return None
        if not answer.startswith(b"HTTP/1."):
            return None
        return int(answer.split(b" ", 2)[1])


def post(path, body, headers=None, token=TOKEN, content_type="application/json"):
    lines = [f"POST /api/v4/usage_data/{path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close",
             f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    lines += headers or []
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def expect_rejected(port, name, data, allowed=(400, 401, 404, 405, 413, 414, 422, 431)):
    """A rejected request: an allowed 4xx or a closed connection, never a 5xx, and no counter changed."""
    before = redis_get("{event_counters}_view_page")
    status = raw_request(port, data)
    after = redis_get("{event_counters}_view_page")
    if status is not None and (status >= 500 or status not in allowed):
        fail(f"{name}: answered {status}")
    if before != after:
        fail(f"{name}: the counter changed from {before!r} to {after!r}")
    return status


def hand_written(port):
    event = b'{"event": "view_page", "user_id": 1'
    expect_rejected(port, "huge body", post("track_event", event + b', "x": "' + b"a" * (8 << 20) + b'"}'))
    expect_rejected(port, "huge declared length",
                    post("track_event", b"{}").replace(b"Content-Length: 2", b"Content-Length: 99999999999"))
    for depth in (100, 1_000, 100_000):
        nested = b"[" * depth + b"]" * depth
        expect_rejected(port, f"nesting {depth}", post("track_event", event + b', "additional_properties": ' + nested + b"}"))
        expect_rejected(port, f"object nesting {depth}",
                        post("track_event", b'{"a":' * depth + b"1" + b"}" * depth))
    expect_rejected(port, "invalid UTF-8 in a string", post("track_event", b'{"event": "view_\xff\xfepage"}'))
    expect_rejected(port, "invalid UTF-8 in a key", post("track_event", b'{"ev\xc3\x28nt": "view_page"}'))
    expect_rejected(port, "lone surrogate", post("track_event", b'{"event": "view_\\ud800page"}'))
    expect_rejected(port, "NUL bytes", post("track_event", b'{"event": "view\x00page"}'))
    expect_rejected(port, "a number too big", post("track_event", b'{"event": "view_page", "user_id": 1e999}'))
    expect_rejected(port, "an id past Int64", post("track_event", b'{"event": "view_page", "user_id": 99999999999999999999}'))
    expect_rejected(port, "51 events", post("track_events", b'{"events": [' + b",".join([b'{"event":"view_page"}'] * 51) + b"]}"))
    expect_rejected(port, "1,000 header lines",
                    post("track_event", b"{", headers=[f"X-Flood-{i}: {'v' * 60}" for i in range(1_000)]))
    expect_rejected(port, "a 1 MB header", post("track_event", b"{", headers=["X-Big: " + "b" * (1 << 20)]))
    expect_rejected(port, "a 100 KB path", b"GET /api/v4/usage_data/" + b"p" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    expect_rejected(port, "not HTTP at all", bytes(random.randrange(256) for _ in range(4096)))
    expect_rejected(port, "a wrong token", post("track_event", event + b"}", token="wrong"))
    form = "application/x-www-form-urlencoded"
    expect_rejected(port, "a form name 20,000 brackets deep",
                    post("track_event", b"event=view_page&user_id=1&a" + b"[b]" * 20_000 + b"=1", content_type=form))
    expect_rejected(port, "a form list of 10,000 events",
                    post("track_events", b"&".join([b"events[][event]=view_page"] * 10_000), content_type=form))
    expect_rejected(port, "a form name that is a value and nested fields",
                    post("track_event", b"event=view_page&user_id=1&user_id[x]=2", content_type=form))
    expect_rejected(port, "a form with a broken %-escape", post("track_event", b"event=view_%page", content_type=form))
    expect_rejected(port, "chunked garbage",
                    post("track_event", b"").replace(b"Content-Length: 0", b"Transfer-Encoding: chunked") + b"zz\r\n{}\r\n")

    # Slow clients: 200 connections trickling one header byte at a time must not stop others being served.
    slow = []
    for _ in range(200):
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        connection.sendall(b"POST /api/v4/usage_data/track_event HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        slow.append(connection)
    for _ in range(3):
        for connection in slow:
            try:
                connection.sendall(b"a")
            except OSError:
                pass
        time.sleep(0.2)
    global tried
    tried += len(slow)
    status = raw_request(port, post("track_event", event + b"}"))
    if status != 200:
        fail(f"a normal request beside 200 slow clients answered {status}")
    for connection in slow:
        connection.close()


def schemathesis(port):
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", "openapi.yaml",
        "--url", f"http://127.0.0.1:{port}",
        "--header", f"Authorization: Bearer {ADMIN}",
        "--checks", "all",
        "--max-examples", os.environ.get("TALLY_FUZZ_EXAMPLES", "100"),
        "--generation-deterministic",
        "--request-timeout", "10",
    ]
    print("fuzz-http:", " ".join(command[2:]), flush=True)
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
    port = free_port()
    definitions = tempfile.mkdtemp(prefix="tally-fuzz-definitions-")
    os.makedirs(f"{definitions}/events")
    os.makedirs(f"{definitions}/metrics")
    with open(f"{definitions}/events/view_page.yml", "w") as file:
        file.write("description: A page view\ninternal_events: true\naction: view_page\nidentifiers: [user, project]\n"
                   "additional_properties:\n  label:\n    description: where\nproduct_group: fuzz\nmilestone: '1.0'\n"
                   "introduced_by_url: https://example.com/1\ntiers: [free]\n")
    log = open(f"{definitions}/serve.log", "w+")
    environment = dict(os.environ, TALLY_API_TOKENS=TOKEN, TALLY_ADMIN_TOKENS=ADMIN,
                       TALLY_DATABASE_URL=f"sqlite://{definitions}/app.sqlite")
    server = subprocess.Popen([binary, "serve", "--port", str(port), definitions], env=environment,
                              stdout=log, stderr=subprocess.STDOUT, preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_SETMASK, []))
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v4/usage_data/metric_definitions", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        else:
            fail("tally serve did not start")
            return
        generated = schemathesis(port)
        hand_written(port)
        status = raw_request(port, post("track_event", b'{"event": "view_page", "user_id": 7}'))
        if status != 200:
            fail(f"the server no longer answers normally ({status})")
        if server.poll() is not None:
            fail(f"tally serve exited with {server.returncode}")
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
        if code != 0:
            fail(f"tally serve stopped with {code} after SIGTERM")
        log.seek(0)
        text = log.read()
        for secret in (TOKEN, ADMIN):
            if secret in text:
                fail("a token appears in the server's log")
        crashes = 1 if ("Fatal error" in text or "Segmentation" in text) else 0
        print(f"RELIABILITY scenario=8 hand_written_requests={tried} schemathesis=\"{generated}\" "
              f"failures={len(failures)} crashes={crashes}")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
