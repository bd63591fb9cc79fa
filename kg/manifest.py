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
GENERATION = "generation"  # manifest key: which build this is (see generation())
REBUILD = "run `kgqa ingest` to rebuild it"


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    try:
        return dict(json.loads((index_dir / MANIFEST).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def generation(manifest: dict[str, Any] | None) -> str:
    """The build an index is: recorded by `kgqa ingest` (build time and a hash of the index files); derived from
    the checksums for an index written before generations were recorded; "" when there is neither."""
    if not manifest:
        return ""
    recorded = manifest.get(GENERATION)
    if isinstance(recorded, str) and recorded:
        return recorded
    sums = manifest.get(CHECKSUMS)
    if isinstance(sums, dict) and sums:
        return "sha256-" + checksums_digest(sums)
    return ""


def checksums_digest(sums: dict[str, str]) -> str:
    """A short digest of an index's file checksums: two builds with the same files have the same one."""
    return hashlib.sha256(json.dumps(sums, sort_keys=True).encode("utf-8")).hexdigest()[:12]


def new_generation(built_at: str, sums: dict[str, str]) -> str:
    return f"{built_at}-{checksums_digest(sums)}"


def manifest_stamp(index_dir: Path) -> tuple[int, int, int] | None:
    """(inode, mtime ns, size) of the manifest: a cheap way to notice a new build (the swap or a rewrite
    changes it); None while there is none (e.g. between the two renames of a swap)."""
    try:
        st = (index_dir / MANIFEST).stat()
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def write_manifest(index_dir: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest atomically: a running server may read it at any moment."""
    tmp = index_dir / f".{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    os.replace(tmp, index_dir / MANIFEST)


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
