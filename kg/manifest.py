"""Index files on disk: the manifest that describes a built index, and recovery of an interrupted swap."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"


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
