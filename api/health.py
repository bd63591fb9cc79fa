"""Liveness (/healthz: the process answers) and readiness (/readyz: the index is loaded and complete)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from api.deps import holder
from kg.errors import IndexCorrupt, IndexNotReady

bp = Blueprint("health", __name__)


def manifest_counts(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest's counts: its "counts" mapping if it has one, else its top-level numbers."""
    counts = manifest.get("counts")
    if isinstance(counts, dict):
        return dict(counts)
    return {k: v for k, v in manifest.items() if isinstance(v, int | float) and not isinstance(v, bool)}


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    try:
        engine = holder().get()
    except IndexNotReady as exc:
        body: dict[str, Any] = {"status": "not_ready", "message": exc.message}
        if getattr(exc, "missing", None):  # a list, when the engine says what is missing part by part
            body["missing"] = list(exc.missing)  # type: ignore[attr-defined]
        if isinstance(exc, IndexCorrupt):
            body["corrupt_file"] = exc.file
        return jsonify(body), 503
    built_at = engine.manifest.get("built_at")
    extra: dict[str, Any] = {"built_at": built_at} if built_at else {}
    problems = engine.readiness()
    if problems:  # the index in memory was verified at load and keeps answering; the one on disk needs a build
        extra["warnings"] = [
            f"the index on disk is damaged ({p}); still serving the index loaded before (built {built_at})"
            for p in problems
        ]
    return jsonify({"status": "ready", **manifest_counts(engine.manifest), **extra}), 200
