"""Per-file results kept with the index, so a re-ingest parses, extracts and writes triples only for the files
that changed.

An entry holds what one notes file gives on its own: its passages as parsed (``service`` is still the subject
key the parser found, not yet a service id), and, under ``derived``, what also depends on the service ids those
keys got in that build (service ids are decided across all files, see ingest.services): the passages' and
facts' JSON lines and the file's part of the graph as Turtle. A later build reuses the passages when the file,
its path and the parser are the same, and the derived part only when the file's keys got the same ids again.

Entries are files in the index's ``files/`` folder named by their key; ``file_cache.json`` (covered by the
manifest's checksums like every index file) records each entry's sha256, and an entry that does not match is
parsed again rather than trusted. An unchanged entry is hard-linked into the next build's folder, not rewritten.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from kg.model import Passage

log = logging.getLogger(__name__)

ENTRIES = "files"  # folder of the index holding one entry per notes file
RECORD = "file_cache.json"  # {"format": FORMAT, "entries": {notes file: {"key": ..., "sha256": ...}}}
FORMAT = "1"
_PASSAGE_FIELDS = tuple(f.name for f in fields(Passage))


@lru_cache(maxsize=1)
def parser_identity(pipeline_version: str) -> str:
    """What a file's passages depend on besides its path and content: the pipeline version and the ordinary
    English words the parser consults (the installed embedding model's vocabulary, see ingest.subjects)."""
    from ingest.subjects import ordinary_words

    words = hashlib.sha256("\n".join(sorted(ordinary_words())).encode("utf-8")).hexdigest()[:16]
    return f"{pipeline_version}|{FORMAT}|{words}"


def entry_key(identity: str, path: str, sha256: str) -> str:
    return hashlib.sha256(f"{identity}\x1f{path}\x1f{sha256}".encode()).hexdigest()[:32]


@dataclass
class Derived:
    """A file's results that depend on the service ids its subject keys got (``assigned``)."""

    assigned: dict[str, str]  # subject key -> service id
    passages_jsonl: str  # the file's lines of passages.jsonl
    facts_jsonl: str  # the file's lines of facts.jsonl
    facts: list[tuple[str, str]]  # (fact id, kind) for counts and the change report
    turtle: str  # the file's part of graph.ttl
    triples: int


@dataclass
class FileEntry:
    key: str
    path: str  # relative to the notes folder
    sha256: str  # of the notes file
    passages: list[Passage]  # as parsed: ``service`` is the subject key
    derived: Derived | None = None
    source: Path | None = None  # the previous build's entry file, when this entry is unchanged
    digest: str = ""  # sha256 of the entry file (known when ``source`` is set)

    def to_bytes(self) -> bytes:
        body = {
            "key": self.key,
            "path": self.path,
            "sha256": self.sha256,
            "passages": [[getattr(p, name) for name in _PASSAGE_FIELDS] for p in self.passages],
            "derived": vars(self.derived) if self.derived else None,
        }
        return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _entry_from(data: bytes, key: str) -> FileEntry:
    body = json.loads(data)
    if body.get("key") != key:
        raise ValueError("entry of another key")
    passages = []
    for row in body["passages"]:
        values = dict(zip(_PASSAGE_FIELDS, row, strict=True))
        values["section"] = tuple(values["section"])
        passages.append(Passage(**values))
    d = body.get("derived")
    derived = None
    if d:
        derived = Derived(**{**d, "facts": [(str(i), str(k)) for i, k in d["facts"]]})
    return FileEntry(key, str(body["path"]), str(body["sha256"]), passages, derived)


class FileCache:
    """The entries of a previous build (empty when there is none)."""

    def __init__(self, index_dir: Path | None) -> None:
        self.folder = index_dir / ENTRIES if index_dir else None
        self.recorded: dict[str, dict[str, str]] = {}
        if index_dir is None:
            return
        try:
            record = json.loads((index_dir / RECORD).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(record, dict) and record.get("format") == FORMAT and isinstance(record.get("entries"), dict):
            self.recorded = {str(k): v for k, v in record["entries"].items() if isinstance(v, dict)}

    def get(self, path: str, key: str) -> FileEntry | None:
        """The previous build's entry of this file under this key, when it is there and intact."""
        meta = self.recorded.get(path)
        if self.folder is None or not meta or meta.get("key") != key:
            return None
        source = self.folder / f"{key}.json"
        try:
            data = source.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if digest != meta.get("sha256"):
                raise ValueError("its sha256 does not match file_cache.json")
            entry = _entry_from(data, key)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("per-file cache entry of %s not used (%s); parsing the file again", path, exc)
            return None
        entry.source, entry.digest = source, digest
        return entry


def write_entries(folder: Path, entries: list[FileEntry]) -> None:
    """Write the entries into a new index folder: unchanged ones as hard links to the previous build's files,
    the rest anew; then the record of their checksums."""
    target = folder / ENTRIES
    target.mkdir()
    record: dict[str, dict[str, str]] = {}
    for entry in entries:
        dest = target / f"{entry.key}.json"
        if entry.source is not None and not dest.exists():
            try:
                os.link(entry.source, dest)
            except OSError:  # a file system without hard links, or the source went away
                try:
                    shutil.copyfile(entry.source, dest)
                except OSError:
                    entry.source = None
        if entry.source is None or not dest.exists():
            data = entry.to_bytes()
            # not fsynced one by one: an entry lost in a crash fails its checksum and the file is parsed again
            dest.write_bytes(data)
            entry.digest = hashlib.sha256(data).hexdigest()
        record[entry.path] = {"key": entry.key, "sha256": entry.digest}
    (folder / RECORD).write_text(json.dumps({"format": FORMAT, "entries": record}), encoding="utf-8")


def passage_row(p: Passage) -> dict[str, Any]:
    """A passage as a line of passages.jsonl (the fields of the dataclass, in order)."""
    return {name: (list(p.section) if name == "section" else getattr(p, name)) for name in _PASSAGE_FIELDS}
