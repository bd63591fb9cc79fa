"""User SPARQL queries run in a small child process with its own copy of the graph, so a runaway query
cannot stall or crash the server.

The child (a fresh interpreter that imports only this module and pyoxigraph, talking over two pipes)
loads the index's Turtle into an in-memory Oxigraph store and answers one query at a time over a pipe.
Bounds:

* time: the parent waits ``timeout_s`` for the answer, then kills the child (SIGKILL) and starts another;
* memory: the child runs under ``RLIMIT_AS`` (``max_memory_mb``); a query that needs more aborts the child;
* rows: the child reads at most ``max_rows`` solutions (or triples) lazily and flags the result truncated;
* CPU: ``RLIMIT_CPU`` as a backstop, so a child orphaned by a crashed parent cannot spin forever.

Several child processes (``workers``) may serve queries in parallel; a query waits for a free one within
the same time budget.
"""

from __future__ import annotations

import logging
import os
import queue
import subprocess
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kg.errors import BadRequest, KgqaError

log = logging.getLogger(__name__)


class SparqlTimeout(KgqaError):
    status = 503
    code = "sparql_timeout"


class SparqlResourceLimit(KgqaError):
    status = 503
    code = "sparql_resource_limit"


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 10.0
    max_rows: int = 10_000
    max_memory_mb: int = 1024


@dataclass(frozen=True)
class Reply:
    payload: bytes
    content_type: str
    kind: str  # "bindings" | "boolean" | "graph"
    rows: int  # solutions or triples returned
    truncated: bool  # more rows existed than max_rows


# ---- the child ------------------------------------------------------------------------------------------


def _child_entry() -> None:
    """``python -c`` entry point: argv carries the pipe descriptors and the limits."""
    read_fd, write_fd, max_memory_mb, cpu_s = (int(a) for a in sys.argv[1:5])
    conn = _Duplex(Connection(read_fd, writable=False), Connection(write_fd, readable=False))
    turtle = conn.recv_bytes()
    _child_main(conn, turtle, max_memory_mb, cpu_s)


class _Duplex:
    """Two one-way pipe connections used as one (the child reads one pipe and writes the other)."""

    def __init__(self, reader: Connection, writer: Connection) -> None:
        self.reader, self.writer = reader, writer

    def recv(self) -> Any:
        return self.reader.recv()

    def recv_bytes(self) -> bytes:
        return self.reader.recv_bytes()

    def send(self, obj: Any) -> None:
        self.writer.send(obj)

    def send_bytes(self, data: bytes) -> None:
        self.writer.send_bytes(data)

    def poll(self, timeout: float) -> bool:
        return self.reader.poll(timeout)

    def close(self) -> None:
        self.reader.close()
        self.writer.close()


def _child_main(conn: _Duplex, turtle: bytes, max_memory_mb: int, cpu_s: int) -> None:
    """Load the graph, then answer (query, accept, max_rows) messages until the parent goes away."""
    import resource
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if max_memory_mb > 0:
        limit = max_memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if cpu_s > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
    import pyoxigraph as ox

    store = ox.Store()
    try:
        store.bulk_load(turtle, format=ox.RdfFormat.TURTLE)
    except Exception as exc:  # the parent verified the bytes; report anything else rather than hang
        conn.send(("error", 503, "index_corrupt", f"graph.ttl could not be loaded: {exc}"))
        return
    del turtle
    conn.send(("ready",))
    while True:
        try:
            query, accept, max_rows = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        try:
            conn.send(("ok", *_run(ox, store, query, accept, max_rows)))
        except MemoryError:
            conn.send(("error", 503, "sparql_resource_limit", "the query needed more memory than allowed"))
        except SyntaxError as exc:
            conn.send(("error", 400, "bad_sparql", f"SPARQL query rejected: {exc}"))
        except (OSError, ValueError, RuntimeError) as exc:
            conn.send(("error", 400, "bad_sparql", f"SPARQL query failed: {exc}"))


_RESULT_FORMATS = {
    "application/sparql-results+json": "JSON",
    "application/sparql-results+xml": "XML",
    "text/csv": "CSV",
    "text/tab-separated-values": "TSV",
}
_GRAPH_FORMATS = {"text/turtle": "TURTLE", "application/n-triples": "N_TRIPLES", "application/rdf+xml": "RDF_XML"}


def _run(ox: Any, store: Any, query: str, accept: str, max_rows: int) -> tuple[bytes, str, str, int, bool]:
    """(payload, content type, kind, rows, truncated) for one query; reads at most max_rows rows."""
    from kg.triples import pick_format

    result = store.query(query)
    if isinstance(result, ox.QueryBoolean):
        mime = pick_format(accept, graph=False)
        payload = result.serialize(format=getattr(ox.QueryResultsFormat, _RESULT_FORMATS[mime]))
        return bytes(payload or b""), mime, "boolean", 1, False
    if isinstance(result, ox.QueryTriples):
        mime = pick_format(accept, graph=True)
        triples: list[Any] = []
        truncated = False
        for triple in result:
            if len(triples) == max_rows:
                truncated = True
                break
            triples.append(triple)
        payload = ox.serialize(triples, format=getattr(ox.RdfFormat, _GRAPH_FORMATS[mime]))
        return bytes(payload or b""), mime, "graph", len(triples), truncated
    mime = pick_format(accept, graph=False)
    names = [v.value for v in result.variables]
    # The rows read so far, as SPARQL TSV (terms in N-Triples syntax), parsed back and serialised by
    # Oxigraph in the wanted format: the capped result is byte-for-byte what Oxigraph would write.
    lines = ["\t".join("?" + n for n in names)]
    truncated = False
    count = 0
    for solution in result:
        if count == max_rows:
            truncated = True
            break
        count += 1
        lines.append("\t".join("" if solution[n] is None else str(solution[n]) for n in names))
    tsv = ("\n".join(lines) + "\n").encode("utf-8")
    capped = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    payload = capped.serialize(format=getattr(ox.QueryResultsFormat, _RESULT_FORMATS[mime]))
    return bytes(payload or b""), mime, "bindings", count, truncated


# ---- the parent -----------------------------------------------------------------------------------------


class _Child:
    """One child process and the parent's end of its pipe; started on first use."""

    def __init__(self, turtle: bytes, limits: Limits, startup_s: float) -> None:
        self.turtle = turtle
        self.limits = limits
        self.startup_s = startup_s
        self.process: Any = None
        self.conn: _Duplex | None = None
        self.ready = False

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Launch a fresh interpreter (not fork: the server's threads and native pools must not be copied)."""
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # RLIMIT_CPU backstop: generous, as the child lives for many queries; the deadline is the real limit.
        cpu_s = max(600, int(self.limits.timeout_s * 100))
        # -I: the child ignores PYTHON* variables, user site-packages and the working directory; it gets no
        # secrets from the environment either, only what finding its shared libraries may need.
        root = str(Path(__file__).resolve().parent.parent)
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LD_LIBRARY_PATH", "LANG", "LC_ALL", "TMPDIR")}
        code = f"import sys; sys.path.insert(0, {root!r}); from kg.sparql_sandbox import _child_entry; _child_entry()"
        argv = [sys.executable, "-I", "-c", code]
        argv += [str(to_child_r), str(from_child_w), str(self.limits.max_memory_mb), str(cpu_s)]
        try:
            self.process = subprocess.Popen(argv, pass_fds=(to_child_r, from_child_w), env=env, close_fds=True)
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.conn = _Duplex(Connection(from_child_r, writable=False), Connection(to_child_w, readable=False))
        self.ready = False
        try:
            self.conn.send_bytes(self.turtle)
        except OSError:  # the child died at once; ensure_ready reports it
            log.warning("the SPARQL sandbox process exited before it got the graph")

    def ensure_ready(self) -> None:
        """Start the child if needed and wait for its graph to load (not counted in a query's time)."""
        if not (self.alive() and self.conn is not None):
            self.kill()
            self.start()
        if self.ready:
            return
        assert self.conn is not None
        if not self.conn.poll(self.startup_s):
            self.kill()
            raise SparqlResourceLimit(f"the SPARQL worker did not start within {self.startup_s:.0f} s")
        message = self._recv()
        if message[0] != "ready":
            self.kill()
            raise KgqaError(message[3], status=message[1], code=message[2])
        self.ready = True

    def _recv(self) -> tuple[Any, ...]:
        assert self.conn is not None
        try:
            return tuple(self.conn.recv())
        except (EOFError, OSError):
            code = self.process.wait(timeout=5) if self.process is not None else None
            self.kill()
            raise SparqlResourceLimit(
                f"the SPARQL query was stopped: it needed more than the worker's {self.limits.max_memory_mb} MB "
                f"(KGQA_SPARQL_MAX_MEMORY_MB) or crashed it (exit code {code}); narrow the query"
            ) from None

    def kill(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait(timeout=5)
            self.process = None

    def run(self, query: str, accept: str) -> Reply:
        self.ensure_ready()
        assert self.conn is not None
        try:
            self.conn.send((query, accept, self.limits.max_rows))
        except OSError:  # the child died since the last query (killed from outside): start another, once
            self.kill()
            self.ensure_ready()
            assert self.conn is not None
            self.conn.send((query, accept, self.limits.max_rows))
        if not self.conn.poll(self.limits.timeout_s):
            self.kill()
            self.start()  # the next query finds a fresh child already loading its graph
            raise SparqlTimeout(
                f"the SPARQL query ran longer than {self.limits.timeout_s:g} s (KGQA_SPARQL_TIMEOUT_S) and was "
                "stopped; add a LIMIT or narrow the patterns"
            )
        message = self._recv()
        if message[0] == "ok":
            return Reply(*message[1:])
        _tag, status, code, text = message
        if status == 400:
            raise BadRequest(text, code=code)
        raise KgqaError(text, status=status, code=code)


class SparqlSandbox:
    """A pool of child processes answering user SPARQL over a private copy of the graph."""

    def __init__(self, turtle: bytes, limits: Limits, workers: int = 1, startup_s: float = 120.0) -> None:
        self.limits = limits
        self._idle: queue.Queue[_Child] = queue.Queue()
        self._children = [_Child(turtle, limits, startup_s) for _ in range(max(1, workers))]
        for child in self._children:
            self._idle.put(child)

    def start(self) -> None:
        """Start the idle children now (a server does this at warm-up) instead of at the first query."""
        taken: list[_Child] = []
        while True:
            try:
                taken.append(self._idle.get_nowait())
            except queue.Empty:
                break
        try:
            for child in taken:
                if not child.alive():
                    child.start()
        finally:
            for child in taken:
                self._idle.put(child)

    def query(self, query: str, accept: str) -> Reply:
        try:
            child = self._idle.get(timeout=self.limits.timeout_s)
        except queue.Empty:
            raise SparqlTimeout(
                f"all SPARQL workers stayed busy for {self.limits.timeout_s:g} s; try again later"
            ) from None
        try:
            return child.run(query, accept)
        finally:
            self._idle.put(child)

    def close(self) -> None:
        for child in self._children:
            child.kill()
