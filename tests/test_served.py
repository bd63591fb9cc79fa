"""The real served stack (`kgqa serve`: nginx in front of gunicorn): /healthz keeps answering within 1 s while
30 slow clients hold connections and a heavy SPARQL query runs; errors produced before the app sees a request
(URL over 4 KB, bad header bytes, headers too large) are JSON with the app's security headers. gunicorn's reply
writer as served sends a reply's head in the same write as its body (a killed worker cannot leave nginx with a
head alone, which it would have passed on and then cut)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from gunicorn.config import Config
from gunicorn.http import wsgi
from gunicorn.http.parser import RequestParser

from api.serve import OneWriteResponse, nginx_binary
from kg.settings import Settings
from tests.conftest import stop_process

ROOT = Path(__file__).resolve().parents[1]
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
SECURITY = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(settings: Settings, proxy: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "KGQA_NOTES_DIR": str(Path(settings.notes_dir).resolve()),
        "KGQA_INDEX_DIR": str(Path(settings.index_dir).resolve()),
        "KGQA_PORT": str(port),
        "KGQA_WORKERS": "1",
        "KGQA_PROXY": proxy,
        "KGQA_SPARQL_TIMEOUT_S": "8",
        "KGQA_RATE_LIMIT": "off",
        "HF_HUB_OFFLINE": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--no-ingest"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if requests.get(f"{base}/readyz", timeout=10).status_code == 200:
                return proc, base
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise AssertionError(f"kgqa serve (proxy={proxy}) did not become ready")


@pytest.fixture(scope="module")
def proxied(settings: Settings) -> Iterator[str]:
    if nginx_binary() is None:
        pytest.skip("nginx is missing: `make services` installs it as root (apt-get install nginx)")
    proc, base = start_server(settings, "on")
    yield base
    stop_process(proc)


def raw_request(base: str, data: bytes) -> tuple[int, dict[str, str], bytes]:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(data)
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
            if b"\r\n\r\n" in reply:
                head, _, body = reply.partition(b"\r\n\r\n")
                length = [int(x.split(b":")[1]) for x in head.split(b"\r\n") if x.lower().startswith(b"content-length")]
                if length and len(body) >= length[0]:
                    break
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


def test_healthz_answers_within_1s_during_30_slow_clients_and_a_heavy_query(proxied: str) -> None:
    host, port = proxied.removeprefix("http://").split(":")
    slow = []
    for _ in range(30):
        s = socket.create_connection((host, int(port)), timeout=5)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        slow.append(s)
    stop = threading.Event()

    def drip() -> None:  # one more header line every 5 s, never the blank line that ends the headers
        n = 0
        while not stop.wait(5):
            for s in slow:
                try:
                    s.sendall(b"X-Slow-%d: y\r\n" % n)
                except OSError:
                    pass
            n += 1

    heavy: dict[str, Any] = {}

    def run_heavy() -> None:
        heavy["response"] = requests.post(f"{proxied}/api/v1/sparql", data={"query": HEAVY}, timeout=30)

    threads = [threading.Thread(target=drip, daemon=True), threading.Thread(target=run_heavy)]
    for t in threads:
        t.start()
    latencies = []
    try:
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline:
            started = time.monotonic()
            response = requests.get(f"{proxied}/healthz", timeout=5)
            latencies.append(time.monotonic() - started)
            assert response.status_code == 200 and response.json() == {"status": "ok"}
            time.sleep(0.25)
        answer = requests.get(f"{proxied}/api/v1/ask", params={"q": "max lambda timeout"}, timeout=10)
        assert answer.status_code == 200 and "900" in answer.json()["answer"]
    finally:
        stop.set()
        for s in slow:
            s.close()
        threads[1].join(timeout=30)
    assert max(latencies) < 1.0, latencies
    assert len(latencies) > 30
    assert heavy["response"].status_code == 503 and heavy["response"].json()["error"]["code"] == "sparql_timeout"


def assert_json_error(status: int, headers: dict[str, str], body: bytes, want: int, code: str) -> None:
    import json

    assert status == want, body[:300]
    assert headers["Content-Type"].startswith("application/json")
    for name, value in SECURITY.items():
        assert headers[name] == value
    assert "Content-Security-Policy" in headers
    error = json.loads(body)["error"]
    assert error["status"] == want and error["code"] == code and error["message"]


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"GET /api/v1/ask?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 414, "uri_too_long"),
        (b"GET /api/v1/ask?q=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 414, "uri_too_long"),
        (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Bad: a\x00b\r\n\r\n", 400, "bad_request"),
        (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431, None),
        (b"GARBAGE\r\n\r\n", 400, "bad_request"),
    ],
    ids=["url-5k", "url-9k", "nul-in-header", "header-9k", "bad-request-line"],
)
def test_http_layer_errors_through_the_proxy_are_json(
    proxied: str, request_bytes: bytes, status: int, code: str | None
) -> None:
    got, headers, body = raw_request(proxied, request_bytes)
    assert_json_error(got, headers, body, status, code or "request_header_fields_too_large")


def test_gunicorn_alone_also_answers_its_errors_as_json(settings: Settings) -> None:
    proc, base = start_server(settings, "off")
    try:
        for data, status, code in [
            (b"GET /api/v1/ask?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 414, "uri_too_long"),
            (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Bad\x01: b\r\n\r\n", 400, "bad_request"),
            (
                b"GET /healthz HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(120)) + b"\r\n",
                431,
                "request_header_fields_too_large",
            ),
        ]:
            got, headers, body = raw_request(base, data)
            assert_json_error(got, headers, body, status, code)
        assert requests.get(f"{base}/healthz", timeout=5).json() == {"status": "ok"}
    finally:
        stop_process(proc)


# ---- the reply writer -------------------------------------------------------------------------------------


class RecordingSocket:
    """A real socket that keeps a copy of every write made on it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.writes: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self.sock.sendall(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


def reply_writes(
    response_class: type, method: str, status: str, items: list[bytes], length: bool = True
) -> list[bytes]:
    """Have gunicorn parse a real request from a socket and write a reply with ``response_class``: its writes."""
    server, client = socket.socketpair()
    with server, client:
        client.sendall(f"{method} /api/v1/ask HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        cfg = Config()
        request = next(iter(RequestParser(cfg, server, ("127.0.0.1", 40000))))
        recorder = RecordingSocket(server)
        response, _ = wsgi.create(request, recorder, ("127.0.0.1", 40000), ("127.0.0.1", 8000), cfg, response_class)
        body = b"".join(items)
        headers = [("Content-Type", "application/json")] + ([("Content-Length", str(len(body)))] if length else [])
        response.start_response(status, headers)
        for item in items:
            response.write(item)
        response.close()
        received = b"".join(recorder.writes)
        head, _, sent_body = received.partition(b"\r\n\r\n")
        assert head.startswith(f"HTTP/1.1 {status}".encode())
        if length and method != "HEAD":
            assert sent_body == body  # the whole reply went out
        return recorder.writes


def test_a_reply_head_goes_out_in_the_same_write_as_its_body() -> None:
    answer = b'{"answer": "' + b"x" * 3000 + b'"}'
    # gunicorn's own writer: the head alone, then the body (a worker killed between them cuts the reply)
    assert len(reply_writes(wsgi.Response, "POST", "200 OK", [answer])) == 2
    one = reply_writes(OneWriteResponse, "POST", "200 OK", [answer])
    assert len(one) == 1 and one[0].startswith(b"HTTP/1.1 200 OK") and one[0].endswith(answer)
    assert len(reply_writes(OneWriteResponse, "POST", "200 OK", [b"", answer])) == 1  # an empty first item waits
    parts = reply_writes(OneWriteResponse, "POST", "200 OK", [answer[:10], answer[10:]])
    assert len(parts) == 2 and parts[0].startswith(b"HTTP/1.1 200 OK") and parts[0].endswith(answer[:10])
    assert len(reply_writes(OneWriteResponse, "HEAD", "200 OK", [])) == 1  # no body: the head alone, at close
    assert len(reply_writes(OneWriteResponse, "GET", "204 No Content", [], length=False)) == 1
    chunked = reply_writes(OneWriteResponse, "POST", "200 OK", [answer], length=False)
    assert chunked[0].startswith(b"HTTP/1.1 200 OK") and b"Transfer-Encoding: chunked" in chunked[0]
    assert chunked[0].endswith(answer + b"\r\n") and chunked[-1] == b"0\r\n\r\n"
