"""The answering core as one object: load an index once, then answer, query and look up sources.

Every surface (CLI, HTTP API, web page, Slack) talks to an ``Engine`` and nothing else.
"""

from __future__ import annotations

import logging
import posixpath
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from kg.embed import load_embedder
from kg.errors import BadRequest, Forbidden, IndexCorrupt, NotFound
from kg.manifest import generation, verify_index
from kg.model import Answer, Fact, FactKind
from kg.qa.answer import Rankings, answer, vector_fn
from kg.qa.calibrate import Calibration, load_calibration
from kg.qa.index import Index, missing_parts
from kg.qa.question_map import QuestionMap, question_map_for
from kg.qa.retrieve import Bridge
from kg.settings import Settings
from kg.sparql_guard import check_query
from kg.sparql_sandbox import Limits, SparqlSandbox
from kg.triples import query_form
from kg.vectors_faiss import set_search_threads

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SparqlResult:
    """Result of a read-only SPARQL query, serialisable to the SPARQL 1.1 result formats."""

    kind: str  # "bindings" (SELECT), "boolean" (ASK), "graph" (CONSTRUCT/DESCRIBE)
    payload: bytes
    content_type: str
    truncated: bool = False  # more rows (or triples) matched than KGQA_SPARQL_MAX_ROWS; the first ones are here


def query_embedder(settings: Settings) -> Any:
    """The model that embeds questions, as the settings name it; torch when the ONNX backend cannot load."""
    try:
        return load_embedder(settings.model, settings.embed_backend, threads=max(0, settings.embed_threads) or None)
    except Exception as exc:  # an ONNX export problem must not take the service down
        if settings.embed_backend == "torch":
            raise
        log.warning("ONNX embedder unavailable (%s); using torch", exc)
        return load_embedder(settings.model, "torch")


class Engine:
    """An index loaded once, with the query embedder: the one object every surface calls."""

    def __init__(
        self,
        settings: Settings,
        index: Index,
        embedder: Any,
        calibration: Calibration | None = None,
        question_map: QuestionMap | None | Literal["fitted"] = "fitted",
    ) -> None:
        self.settings = settings
        self.index = index
        self.calibration = calibration or load_calibration()  # fitted by `make fit`
        self.embedder = embedder
        # questions are read through the fitted map (`make fit`) when it was fitted for this model
        self.question_map = question_map_for(settings.model) if question_map == "fitted" else question_map
        self.embed = vector_fn(embedder, self.question_map)
        self.manifest: dict[str, Any] = index.manifest
        self.notes_dir = Path(settings.notes_dir).resolve()
        # The files ingest indexed, by the names citations use: the only files /source serves.
        self.indexed_files = frozenset(p.file for p in index.passages) | frozenset(
            str(f["path"]) for f in self.manifest.get("files", []) if isinstance(f, dict) and f.get("status") == "ok"
        )
        self._disk: tuple[tuple[Any, ...], list[str]] | None = None
        self._sandbox: SparqlSandbox | None = None
        self._sandbox_lock = threading.Lock()
        if index.vectors.url.startswith("faiss://"):
            set_search_threads(settings.search_threads)
        if hasattr(index.store, "timeout"):  # a remote SPARQL server: wait no longer than a query may run
            index.store.timeout = settings.sparql_timeout_s

    @classmethod
    def load(
        cls,
        settings: Settings,
        calibration: Calibration | None = None,
        *,
        embedder: Any = None,
        recover: bool = True,
        question_map: QuestionMap | None | Literal["fitted"] = "fitted",
    ) -> Engine:
        """Load the index at settings.index_dir; raises IndexNotReady naming what is missing. ``embedder``
        reuses an embedder already loaded (a live reload: same settings, same model); ``question_map`` replaces
        the fitted map of question vectors (None: questions read as the model embeds them; for fitting)."""
        index = Index.load(
            Path(settings.index_dir), settings.triple_store, settings.model, settings.vector_store, recover=recover
        )
        if embedder is None:
            embedder = query_embedder(settings)
        return cls(settings, index, embedder, calibration, question_map)

    @property
    def generation(self) -> str:
        """Which build of the index this engine serves (see kg.manifest.generation)."""
        return generation(self.manifest)

    def answer(
        self,
        question: object,
        top_k: int | None = None,
        *,
        threshold: float | None = None,
        signals_out: dict[str, float] | None = None,
        weights: tuple[float, ...] | None = None,
        pool: int | None = None,
        bridge: Bridge | None = None,
        rankings: Rankings | None = None,
    ) -> Answer:
        """Answer a question. Raises BadRequest (empty / not text) or PayloadTooLarge (too long).
        ``threshold`` overrides the abstention threshold (0: never abstain, for evaluation and fitting);
        ``signals_out`` receives the signals the confidence was computed from; ``weights``, ``pool`` and
        ``bridge`` replace the fitted ranking weights, pool size and two-step hand-over (for fitting);
        ``rankings`` keeps the texts ranked for calls that rank them again."""
        k = self.settings.top_k if top_k is None else top_k
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 20:
            raise BadRequest(f"top_k must be an integer from 1 to 20, got {k!r}", code="bad_top_k")
        return answer(
            self.index,
            self.embed,
            question,
            top_k=k,
            max_chars=self.settings.max_question_chars,
            threshold=self.settings.abstain_threshold if threshold is None else threshold,
            calibration=self.calibration,
            signals_out=signals_out,
            weights=weights,
            pool=pool,
            bridge=bridge,
            rankings=rankings,
        )

    def sparql(self, query: str, accept: str = "application/sparql-results+json") -> SparqlResult:
        """Run a user's read-only SPARQL query (SELECT/ASK/CONSTRUCT/DESCRIBE) within the settings' bounds.

        The query is checked first (size, nesting, no SERVICE/FROM/LOAD), then, on the embedded Oxigraph
        backends, run in a sandbox process with a time limit, a memory limit and a row cap."""
        if not isinstance(query, str) or not query.strip():
            raise BadRequest("missing SPARQL query: pass it in the 'query' parameter", code="bad_sparql")
        check_query(query, self.settings.sparql_max_chars)
        form = query_form(query)
        if form not in ("select", "ask", "construct", "describe"):
            raise BadRequest(
                f"only SELECT, ASK, CONSTRUCT and DESCRIBE queries are allowed (got {form.upper() or 'nothing'})",
                code="bad_sparql",
            )
        sandbox = self.sparql_sandbox()
        if sandbox is None:  # a remote SPARQL server runs the query: its own limits apply, and our timeout
            payload, content_type, kind = self.index.store.query(query, accept)
            return SparqlResult(kind=kind, payload=payload, content_type=content_type)
        reply = sandbox.query(query, accept)
        return SparqlResult(reply.kind, reply.payload, reply.content_type, truncated=reply.truncated)

    def sparql_sandbox(self) -> SparqlSandbox | None:
        """The sandbox running user queries (created at first use), or None for a remote SPARQL server."""
        if not self.index.store.url.startswith("oxigraph://"):
            return None
        with self._sandbox_lock:
            if self._sandbox is None:
                limits = Limits(
                    timeout_s=self.settings.sparql_timeout_s,
                    max_rows=self.settings.sparql_max_rows,
                    max_memory_mb=self.settings.sparql_max_memory_mb,
                )
                self._sandbox = SparqlSandbox(self.index.graph_ttl, limits, workers=self.settings.sparql_workers)
            return self._sandbox

    def close(self) -> None:
        """Stop the SPARQL sandbox processes (they also stop by themselves when this process ends)."""
        with self._sandbox_lock:
            if self._sandbox is not None:
                self._sandbox.close()
                self._sandbox = None

    def _fact_json(self, f: Fact) -> dict[str, Any]:
        p = self.index.by_id[f.passage]
        return {
            "id": f.id,
            "label": f.label,
            "value": f.value,
            "value_max": f.value_max,
            "unit": f.unit,
            "qualifier": f.qualifier,
            "billing_unit": f.billing_unit,
            "text": f.text,
            "citation": {"source": p.file, "lines": [p.line_start, p.line_end], "section": p.heading, "text": p.text},
        }

    def services(self) -> list[dict[str, Any]]:
        counts: dict[str, dict[str, int]] = {}
        for f in self.index.facts:
            c = counts.setdefault(f.service, {"limits": 0, "pricing": 0, "features": 0})
            c[KIND_KEYS[f.kind]] += 1
        return sorted(
            (
                {
                    "id": s.id,
                    "label": s.label,
                    "aliases": list(s.aliases),
                    "parent": s.parent,
                    "counts": counts.get(s.id, {"limits": 0, "pricing": 0, "features": 0}),
                }
                for s in self.index.services.values()
            ),
            key=lambda d: str(d["label"]).lower(),
        )

    def service(self, service_id: str) -> dict[str, Any]:
        s = self.index.services.get(service_id)
        if s is None:
            raise NotFound(f"no service with id {service_id!r}; GET /api/v1/services lists them")
        out: dict[str, Any] = {
            "id": s.id,
            "label": s.label,
            "aliases": list(s.aliases),
            "parent": s.parent,
            "components": [c.id for c in self.index.services.values() if c.parent == s.id],
            "citation": {"source": s.file, "lines": [s.line, s.line]},
            "limits": [],
            "pricing": [],
            "features": [],
        }
        for f in self.index.facts:
            if f.service == s.id:
                out[KIND_KEYS[f.kind]].append(self._fact_json(f))
        return out

    def source(
        self, file: str, start: int, end: int, context: int = 3, decode: Callable[[bytes], str] | None = None
    ) -> dict[str, Any]:
        """Lines of a notes file the index was built from, named as its citations name it; ``decode`` reads the
        file's bytes as ingest read them (a Rich Text or Word file's text, not its markup)."""
        if not file or "\x00" in file:
            raise BadRequest("missing 'file' parameter", code="bad_source")
        shown = file if len(file) <= 80 else file[:79] + "…"
        if file not in self.indexed_files:
            normal = posixpath.normpath(file.replace("\\", "/"))
            if normal.startswith(("/", "../")) or normal == ".." or PurePosixPath(normal).is_absolute():
                raise Forbidden(f"{shown!r} is outside the notes folder", code="outside_notes")
            raise NotFound(f"no indexed notes file {shown!r}: sources are the files the index cites")
        path = (self.notes_dir / file).resolve()
        if not path.is_relative_to(self.notes_dir):  # replaced by a link since the index was built
            raise Forbidden(f"{shown!r} now leads outside the notes folder", code="outside_notes")
        if not path.is_file():
            raise NotFound(f"notes file {shown!r} is in the index but no longer on disk; run `kgqa ingest`")
        if start < 1 or end < start:
            raise BadRequest(f"bad line range {start}-{end}: need 1 <= start <= end", code="bad_range")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise NotFound(f"notes file {shown!r} cannot be read: {exc.strerror or exc}") from exc
        try:
            text = decode(data) if decode else data.decode("utf-8-sig", errors="replace")
        except ValueError:  # changed since it was indexed into something unreadable: shown as it is
            text = data.decode("utf-8-sig", errors="replace")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()  # a final newline ends the last line; it does not start another
        if start > len(lines):
            raise BadRequest(f"{file} has {len(lines)} lines; start={start} is past the end", code="bad_range")
        end = min(end, len(lines))
        context = max(0, min(context, 50))
        lo, hi = max(1, start - context), min(len(lines), end + context)
        return {
            "source": file,
            "start": start,
            "end": end,
            "total_lines": len(lines),
            "lines": [{"n": n, "text": lines[n - 1], "cited": start <= n <= end} for n in range(lo, hi + 1)],
        }

    def readiness(self) -> list[str]:
        """Problems of the index on disk (missing or corrupt files); the loaded index keeps serving regardless.
        Checksums are recomputed only when a file's size or modification time changed."""
        folder = self.index.folder
        try:
            key = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.iterdir()))
        except OSError:
            key = ()
        if self._disk is None or self._disk[0] != key:
            problems = missing_parts(folder, self.settings.vector_store)
            if not problems:
                try:
                    verify_index(folder)
                except IndexCorrupt as exc:
                    problems = [exc.message]
            self._disk = (key, problems)
        return list(self._disk[1])


KIND_KEYS = {FactKind.LIMIT: "limits", FactKind.PRICING: "pricing", FactKind.FEATURE: "features"}
