"""Liveness (/healthz: the process answers) and readiness (/readyz: the index is loaded and complete)."""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, Response, jsonify

from api.deps import get_engine, holder
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
        engine = get_engine()
    except IndexNotReady as exc:
        body: dict[str, Any] = {"status": "not_ready", "message": exc.message}
        if getattr(exc, "missing", None):  # a list, when the engine says what is missing part by part
            body["missing"] = list(exc.missing)  # type: ignore[attr-defined]
        if isinstance(exc, IndexCorrupt):
            body["corrupt_file"] = exc.file
        return jsonify(body), 503
    built_at = engine.manifest.get("built_at")
    extra: dict[str, Any] = {"built_at": built_at} if built_at else {}
    # which build this worker serves, and which worker answered (each worker reloads on its own)
    extra |= {"generation": engine.generation, "worker": os.getpid()}
    engines = holder()
    warnings = []
    if engines.loading_generation:
        extra["loading_generation"] = engines.loading_generation
    refused = engines.refused
    if refused is not None:  # a new build that failed to load: the build loaded before keeps answering
        extra["refused_generation"] = refused.generation
        warnings.append(
            f"the new index build {refused.generation} was refused ({refused.message}); "
            f"still serving generation {engine.generation}"
        )
    problems = engine.readiness()
    # the index in memory was verified at load and keeps answering; the one on disk needs a build
    warnings += [
        f"the index on disk is damaged ({p}); still serving the index loaded before (built {built_at})"
        for p in problems
    ]
    if warnings:
        extra["warnings"] = warnings
    return jsonify({"status": "ready", **manifest_counts(engine.manifest), **extra}), 200
