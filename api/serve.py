"""`kgqa serve`: run the app under gunicorn, configured from Settings (bind, workers), app preloaded.

Slow clients: gunicorn's gthread workers give a thread to a connection as soon as its first bytes arrive and
that thread then waits for the rest of the headers, so a few dozen clients sending one header line every few
seconds hold every thread and /healthz stops answering. With ``KGQA_PROXY`` on (the default when Debian's
nginx is installed, or ``kgqa serve --proxy``) nginx listens on ``KGQA_HOST:KGQA_PORT``, holds such clients
in its event loop (each must send its headers and body within ``KGQA_CLIENT_TIMEOUT_S``) and passes complete,
buffered requests to gunicorn on a private loopback port. Errors that nginx or gunicorn produce before the app
sees a request (a URL over 4 KB, bad header bytes, headers too large) are JSON with the app's security
headers, like every other error.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn import util as gunicorn_util
from gunicorn.app.base import BaseApplication
from gunicorn.http import wsgi as gunicorn_wsgi

from api.app import MAX_BODY_BYTES, SECURITY_HEADERS, create_app, warm
from kg.errors import ConfigError, IngestError
from kg.settings import Settings

logger = logging.getLogger(__name__)

URL_LIMIT = 4094  # gunicorn's request-line limit (bytes): longer is 414
NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx")


class KgqaServer(BaseApplication):  # type: ignore[misc]
    """gunicorn with its options given here instead of a config file or its own command line."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def error_body(status: int, reason: str, message: str) -> bytes:
    code = re.sub(r"[^a-z0-9]+", "_", reason.lower()).strip("_") or "error"
    text = message.strip() or reason
    if len(text) > 200:
        text = text[:199] + "…"
    return json.dumps({"error": {"code": code, "message": text, "status": status}}).encode("utf-8")


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own error page (bad request line, bad header, URL too long ...) in the app's JSON shape."""
    body = error_body(status_int, reason, mesg)
    head = [f"HTTP/1.1 {status_int} {reason}", "Connection: close", "Content-Type: application/json"]
    head += [f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in SECURITY_HEADERS.items())]
    gunicorn_util.write_nonblock(sock, ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)


class _Captured:
    """Stands in for the socket while gunicorn frames a write, so the bytes can be sent later in one piece."""

    def __init__(self) -> None:
        self.data = b""

    def sendall(self, data: bytes) -> None:
        self.data += data


class OneWriteResponse(gunicorn_wsgi.Response):  # type: ignore[misc]
    """gunicorn's response writer, sending the status line and headers in the same write as the first body bytes.

    gunicorn writes the head and the body in two ``sendall`` calls, and between them another request thread of
    the worker may hold the GIL for milliseconds. A worker killed in that gap leaves nginx with a complete head
    and no body: it has already passed the head to the client, so it can only cut the reply (the client sees an
    incomplete read), while a reply not begun at all is retried on another worker (``proxy_next_upstream``).
    With one write a reply that fits the socket buffer (every JSON reply here) is either whole or not begun.
    """

    _head = b""
    sock: Any

    def _framed(self, send: Any, *args: Any) -> bytes:
        real, captured = self.sock, _Captured()
        self.sock = captured
        try:
            send(*args)
        finally:
            self.sock = real
        return captured.data

    def send_headers(self) -> None:
        if not self.headers_sent:
            self._head = self._framed(super().send_headers)  # held until the body (or close) sends it

    def _send_head(self) -> None:
        head, self._head = self._head, b""
        if head:
            gunicorn_util.write(self.sock, head)

    def _emit_body(self, data: bytes) -> None:
        if not self._head:
            super()._emit_body(data)
            return
        if not data:
            return  # an empty first item: the head waits for real body bytes
        head, self._head = self._head, b""
        gunicorn_util.write(self.sock, head + self._framed(super()._emit_body, data))

    def sendfile(self, respiter: Any) -> bool:
        return False  # static files go through write() as well, so their head leaves with their first bytes

    def close(self) -> None:
        if not self.headers_sent:
            self.send_headers()
        self._send_head()  # a reply without a body (HEAD, 204, 304): the head alone
        super().close()


def _post_worker_init(worker: Any) -> None:
    # The engine (model, vectors, graph) is loaded in each worker after the fork, not in the master:
    # native thread pools (torch, onnxruntime) do not survive fork reliably. In a thread, so /healthz
    # answers at once; a question arriving meanwhile waits for the load instead of starting a second one.
    threading.Thread(target=warm, args=(worker.wsgi,), name="kgqa-warm", daemon=True).start()


# Imported by the master before it forks the workers (imports start no native threads), so their code and
# module objects are shared copy-on-write instead of loaded again by each worker. The index and the embedder
# themselves are loaded in each worker (see _post_worker_init); the embedder's weights are memory-mapped
# (kg.embed_onnx.external_weights), so the workers share those too.
PRELOADED_MODULES = ("numpy", "onnxruntime", "tokenizers", "faiss", "pyoxigraph", "bm25s", "kg.qa.index", "kg.units")


def preload_modules() -> None:
    import importlib

    for name in PRELOADED_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:  # an optional backend: the worker reports it when it needs it
            logger.debug("not preloaded: %s (%s)", name, exc)


def gunicorn_options(settings: Settings, bind: str | None = None) -> dict[str, Any]:
    return {
        "bind": bind or f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "threads": settings.threads,  # > 1: gthread workers, so a slow request does not block the others
        "worker_class": "gthread",
        "preload_app": True,
        "timeout": 120,  # the first request of a worker may load the index
        "graceful_timeout": 10,
        "keepalive": 5,
        "limit_request_line": URL_LIMIT,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": settings.log_level.lower(),
        "post_worker_init": _post_worker_init,
    }


# ---- nginx in front ---------------------------------------------------------------------------------------

# Errors nginx itself produces (the request never reached the app): status -> (code, message).
NGINX_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request is malformed (request line or header bytes)."),
    408: ("request_timeout", "The request was not sent in time."),
    413: ("payload_too_large", f"Request body is larger than {MAX_BODY_BYTES} bytes."),
    414: ("uri_too_long", "The URL is too long."),
    431: ("request_header_fields_too_large", "The request headers are too large."),
    502: ("upstream_unavailable", "The application server is not answering; try again shortly."),
    504: ("upstream_timeout", "The application server did not answer in time."),
}


def nginx_binary() -> str | None:
    for candidate in NGINX_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def use_proxy(settings: Settings) -> bool:
    mode = str(settings.proxy).strip().lower()
    if mode in {"on", "true", "1", "yes"}:
        if nginx_binary() is None:
            raise ConfigError("KGQA_PROXY=on but nginx is not installed: apt-get install nginx (or `make proxy`)")
        return True
    if mode in {"off", "false", "0", "no"}:
        return False
    if mode != "auto":
        raise ConfigError(f"KGQA_PROXY={settings.proxy!r}: use 'auto', 'on' or 'off'")
    return nginx_binary() is not None


def free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nginx_conf(settings: Settings, prefix: Path, upstream_port: int) -> str:
    listen = f"[{settings.host}]:{settings.port}" if ":" in settings.host else f"{settings.host}:{settings.port}"
    timeout = max(1, round(settings.client_timeout_s))
    security = "\n".join(f'        add_header {k} "{v}" always;' for k, v in SECURITY_HEADERS.items())
    error_pages, error_locations = [], []
    for status, (code, message) in NGINX_ERRORS.items():
        body = json.dumps({"error": {"code": code, "message": message, "status": status}})
        nginx_status = 494 if status == 431 else status  # nginx's own code for "request header too large"
        error_pages.append(f"    error_page {nginx_status} ={status} /_kgqa_error/{status};")
        error_locations.append(
            f"    location = /_kgqa_error/{status} {{\n        internal;\n        default_type application/json;\n"
            f"{security}\n        return {status} '{body}';\n    }}"
        )
    upstream = f"127.0.0.1:{upstream_port}"
    return f"""# written by `kgqa serve` (api/serve.py); nginx holds slow clients, gunicorn gets whole requests
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log stderr error;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    server_tokens off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    client_header_timeout {timeout}s;
    client_body_timeout {timeout}s;
    send_timeout {timeout}s;
    keepalive_timeout 5s;
    client_max_body_size {MAX_BODY_BYTES};
    client_body_buffer_size {2 * MAX_BODY_BYTES};
    large_client_header_buffers 4 8k;
    # the same address twice: a request whose worker died (connection reset) is tried once more, on a live one
    upstream kgqa {{
        server {upstream} max_fails=0;
        server {upstream} max_fails=0;
        keepalive 32;
        keepalive_timeout 4s;  # under gunicorn's keepalive (5 s): nginx drops an idle connection before gunicorn does
    }}
    server {{
    listen {listen} reuseport;
{chr(10).join(error_pages)}
    location / {{
        proxy_pass http://kgqa;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_request_buffering on;
        proxy_buffering on;
        proxy_read_timeout 130s;
        proxy_next_upstream error non_idempotent;
        proxy_next_upstream_tries 2;
    }}
{chr(10).join(error_locations)}
    }}
}}
"""


def _die_with_parent() -> None:  # in the nginx child, before exec: SIGTERM when kgqa serve dies (Linux)
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Nginx:
    """An nginx process in front of gunicorn, with its config and temp files in a private folder."""

    def __init__(self, settings: Settings, upstream_port: int) -> None:
        binary = nginx_binary()
        if binary is None:
            raise ConfigError("nginx is not installed: apt-get install nginx (or `make proxy`)")
        self.prefix = Path(tempfile.mkdtemp(prefix="kgqa-nginx-"))
        self.prefix.chmod(0o755)  # nginx workers run as an unprivileged user when started as root
        self.conf = self.prefix / "nginx.conf"
        self.conf.write_text(nginx_conf(settings, self.prefix, upstream_port), encoding="utf-8")
        self.binary = binary
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        check = subprocess.run(
            [self.binary, "-t", "-q", "-p", str(self.prefix), "-c", str(self.conf)], capture_output=True, text=True
        )
        if check.returncode != 0:
            raise ConfigError(f"nginx refused its configuration: {check.stderr.strip()[-400:]}")
        self.proc = subprocess.Popen(
            [self.binary, "-p", str(self.prefix), "-c", str(self.conf)], preexec_fn=_die_with_parent
        )
        time.sleep(0.3)
        if self.proc.poll() is not None:
            raise ConfigError("nginx stopped at start (is the port in use?); its message is above")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: finish the requests in flight
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        shutil.rmtree(self.prefix, ignore_errors=True)


# ---- kgqa serve --watch ------------------------------------------------------------------------------------


def notes_stamp(notes_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime ns) of every notes file ingest reads (``note_files``): changes when a file is added,
    removed or written; none while the folder is missing."""
    from ingest.pipeline import note_files  # loaded by the watcher only

    try:
        paths = note_files(notes_dir)
    except IngestError:
        return ()
    found = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        found.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(found)


class NotesWatcher:
    """Polls the notes folder (in the gunicorn master) and runs `kgqa ingest` in a child process once a change
    has settled; the workers then pick the new build up by live reload. The build runs in its own process so
    the master never starts the embedder's native threads (it forks workers after that)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.notes_dir = Path(settings.notes_dir)
        self.interval = max(0.1, settings.watch_interval_s)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kgqa-watch", daemon=True)
        self.builds = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        built = notes_stamp(self.notes_dir)
        seen = built
        while not self._stop.wait(self.interval):
            now = notes_stamp(self.notes_dir)
            if now != seen:  # still changing (an editor saving, a copy running): wait until it settles
                seen = now
                continue
            if now != built:
                self.ingest()
                built = now

    def ingest(self) -> None:
        code_root = Path(__file__).resolve().parent.parent
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(code_root), os.environ.get("PYTHONPATH")])),
        }
        cmd = [sys.executable, "-m", "api.cli", "ingest", str(self.notes_dir), "--out", str(self.settings.index_dir)]
        logger.warning("notes changed in %s: re-ingesting", self.notes_dir)
        done = subprocess.run([*cmd, "--quiet"], env=env, capture_output=True, text=True)
        self.builds += 1
        if done.returncode != 0:
            logger.warning("re-ingest failed, still serving the index loaded before: %s", done.stderr.strip()[-500:])
        else:
            logger.warning("re-ingest done: %s", done.stdout.strip().splitlines()[0] if done.stdout.strip() else "")


def serve(settings: Settings, *, watch: bool = False) -> None:
    """Block serving HTTP on settings.host:settings.port until stopped (Ctrl-C / SIGTERM). ``watch``: re-ingest
    the notes folder when it changes (the workers reload the new build)."""
    gunicorn_util.write_error = write_json_error  # type: ignore[assignment]  # this process only: the server
    gunicorn_wsgi.Response = OneWriteResponse  # type: ignore[misc]  # wsgi.create() builds every reply with it
    proxy = use_proxy(settings)
    preload_modules()
    watcher = NotesWatcher(settings) if watch else None
    if not proxy:
        logger.info("serving on http://%s:%s with %d worker(s)", settings.host, settings.port, settings.workers)
        options = gunicorn_options(settings)
        if watcher is not None:
            options["when_ready"] = lambda _arbiter: watcher.start()
            options["on_exit"] = lambda _arbiter: watcher.stop()
        KgqaServer(create_app(settings), options).run()
        return
    upstream_port = free_loopback_port()
    nginx = Nginx(settings, upstream_port)
    options = gunicorn_options(settings, bind=f"127.0.0.1:{upstream_port}")

    def when_ready(_arbiter: Any) -> None:
        nginx.start()
        if watcher is not None:
            watcher.start()

    def on_exit(_arbiter: Any) -> None:
        if watcher is not None:
            watcher.stop()
        nginx.stop()

    options["when_ready"] = when_ready
    options["on_exit"] = on_exit
    logger.info(
        "serving on http://%s:%s through nginx, %d worker(s) on 127.0.0.1:%d",
        settings.host,
        settings.port,
        settings.workers,
        upstream_port,
    )
    try:
        KgqaServer(create_app(settings.with_(proxy="on")), options).run()
    finally:
        nginx.stop()
