"""Liveness (/healthz: the process answers) and readiness (/readyz: the index is loaded and complete)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from api.deps import holder
from kg.errors import IndexNotReady

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
        return jsonify(body), 503
    missing = engine.readiness()
    if missing:
        message = f"The index is incomplete, missing: {', '.join(missing)}. Run `kgqa ingest`."
        return jsonify({"status": "not_ready", "missing": missing, "message": message}), 503
    built_at = engine.manifest.get("built_at")
    extra = {"built_at": built_at} if built_at else {}
    return jsonify({"status": "ready", **manifest_counts(engine.manifest), **extra}), 200
