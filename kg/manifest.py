"""Index files on disk: the manifest that describes a built index, and recovery of an interrupted swap."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from kg.errors import IndexCorrupt

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
CHECKSUMS = "sha256"  # manifest key: {file name: sha256 hex} of every other file of the index
REBUILD = "run `kgqa ingest` to rebuild it"


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    try:
        return dict(json.loads((index_dir / MANIFEST).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def recover_interrupted_swap(index_dir: Path) -> None:
    """If a build died between its two renames, put the previous index back."""
    old = index_dir.with_name(index_dir.name + ".old")
    if not index_dir.exists() and old.exists():
        os.replace(old, index_dir)
        log.warning("restored the previous index from %s after an interrupted build", old)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def index_checksums(index_dir: Path) -> dict[str, str]:
    """sha256 of every file of an index folder but the manifest (which records them)."""
    return {p.name: file_sha256(p) for p in sorted(index_dir.iterdir()) if p.is_file() and p.name != MANIFEST}


def verify_index(index_dir: Path) -> dict[str, Any]:
    """The manifest, once every file it lists matches its recorded sha256; IndexCorrupt names the first
    file that does not (a truncated or garbled manifest, an index without checksums, a changed file)."""
    try:
        manifest = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(
            f"index file {MANIFEST} is corrupt or unreadable ({exc}); {REBUILD}", file=MANIFEST
        ) from None
    sums = manifest.get(CHECKSUMS) if isinstance(manifest, dict) else None
    if not isinstance(sums, dict) or not sums:
        raise IndexCorrupt(
            f"index file {MANIFEST} records no checksums (an index from an older kgqa, or edited); {REBUILD}",
            file=MANIFEST,
        )
    for name, expected in sorted(sums.items()):
        path = index_dir / str(name)
        if Path(str(name)).name != name or not path.is_file():
            raise IndexCorrupt(f"index file {name} is missing; {REBUILD}", file=str(name))
        if file_sha256(path) != expected:
            raise IndexCorrupt(
                f"index file {name} is corrupt (its sha256 does not match the manifest); {REBUILD}", file=str(name)
            )
    return dict(manifest)
