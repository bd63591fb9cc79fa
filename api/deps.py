"""The one Engine per app: loaded lazily at first use so the server starts before the index exists, and
reloaded live when `kgqa ingest` swaps a new build into the index folder.

Live reload: at a request, at most every ``KGQA_RELOAD_CHECK_MS``, the holder stats the index's manifest.json;
when it changed and names another generation, a background thread loads and verifies the new index (reusing
the loaded embedder) while the current engine keeps answering, then swaps the reference. A request takes its
engine once (``get_engine`` keeps it for the request), so requests in flight finish on the index they started
on; the old engine's SPARQL sandbox is stopped once those requests can have finished. A new index that fails
to load (corrupt, incomplete) is refused: the old one keeps serving and /readyz says which build was refused.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, g, has_request_context

from kg.errors import IndexCorrupt, KgqaError
from kg.manifest import generation, manifest_stamp, read_manifest
from kg.qa.engine import Engine
from kg.settings import Settings

logger = logging.getLogger(__name__)

EXTENSION = "kgqa"
RETIRE_GRACE_S = 5.0  # after the longest request (a SPARQL query at its timeout), the old sandbox is stopped


@dataclass(frozen=True)
class RefusedBuild:
    """A new build of the index that could not be loaded; the engine loaded before keeps serving."""

    generation: str
    message: str
    file: str = ""


class EngineHolder:
    """Holds settings and the Engine; a failed load is not cached, so a later build is picked up."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self._engine = engine
        self._lock = threading.Lock()  # the first load
        self._check_lock = threading.Lock()  # one check for a new build at a time
        self._next_check = 0.0
        self._stamp = manifest_stamp(Path(settings.index_dir)) if engine is not None else None
        self._reloading: threading.Thread | None = None
        self.loading_generation = ""  # the build being loaded in the background, if any
        self.refused: RefusedBuild | None = None  # the last new build that failed to load
        self.reloads = 0  # new builds swapped in by this process

    @property
    def loaded(self) -> bool:
        return self._engine is not None

    def get(self) -> Engine:
        """The engine, loading it on first call; raises kg.errors.IndexNotReady naming what is missing."""
        engine = self._engine
        if engine is None:
            with self._lock:
                if self._engine is None:
                    logger.info("loading index from %s", self.settings.index_dir)
                    stamp = manifest_stamp(Path(self.settings.index_dir))  # before: a build landing now is seen
                    self._engine = Engine.load(self.settings)
                    self._stamp = stamp
                    self._next_check = time.monotonic() + self.settings.reload_check_ms / 1000
                    logger.info("index loaded (generation %s)", self._engine.generation)
                engine = self._engine
        else:
            self.check_for_new_build(engine)
        return engine

    def check_for_new_build(self, engine: Engine) -> None:
        """Cheap unless the manifest changed: start loading a new generation in the background."""
        interval = self.settings.reload_check_ms
        now = time.monotonic()
        if interval <= 0 or now < self._next_check or not self._check_lock.acquire(blocking=False):
            return
        try:
            self._next_check = now + interval / 1000
            folder = Path(self.settings.index_dir)
            stamp = manifest_stamp(folder)
            if stamp is None or stamp == self._stamp:  # None: no manifest (mid-swap); look again next time
                return
            manifest = read_manifest(folder)
            if manifest is None:
                return
            self._stamp = stamp
            new = generation(manifest)
            busy = self._reloading is not None and self._reloading.is_alive()
            refused = self.refused is not None and self.refused.generation == new
            if not new or new == engine.generation or busy or refused:
                return
            self.loading_generation = new
            self._reloading = threading.Thread(target=self._reload, args=(engine, new), name="kgqa-reload", daemon=True)
            self._reloading.start()
        finally:
            self._check_lock.release()

    def _reload(self, old: Engine, expected: str) -> None:
        started = time.perf_counter()
        logger.info("new index build %s found; loading it (still serving %s)", expected, old.generation)
        try:
            engine = Engine.load(self.settings, embedder=old.embedder, recover=False)
            on_disk = generation(read_manifest(Path(self.settings.index_dir)))
            if engine.generation != on_disk:  # another build was swapped in while this one loaded: load that
                logger.info("index build %s replaced by %s while loading; loading again", engine.generation, on_disk)
                engine.close()
                self._stamp = None
                return
            sandbox = engine.sparql_sandbox()
            if sandbox is not None:
                sandbox.start()  # its copy of the graph is loaded before the first query reaches it
        except KgqaError as exc:
            self.refused = RefusedBuild(expected, exc.message, exc.file if isinstance(exc, IndexCorrupt) else "")
            logger.warning("new index build %s refused, still serving %s: %s", expected, old.generation, exc.message)
            return
        except Exception as exc:  # anything else a broken build can raise: refused the same way
            self.refused = RefusedBuild(expected, f"{type(exc).__name__}: {exc}")
            logger.exception("new index build %s refused, still serving %s", expected, old.generation)
            return
        finally:
            self.loading_generation = ""
        self._engine = engine  # one reference assignment: new requests get the new engine from here on
        self.refused = None
        self.reloads += 1
        logger.warning(
            "index reloaded: generation %s replaces %s (%.1f s)",
            engine.generation,
            old.generation,
            time.perf_counter() - started,
        )
        # requests already running keep their reference to the old engine; its sandbox stops after them
        timer = threading.Timer(self.settings.sparql_timeout_s + RETIRE_GRACE_S, old.close)
        timer.daemon = True
        timer.start()


def holder(app: Flask | None = None) -> EngineHolder:
    return (app or current_app).extensions[EXTENSION]


def get_engine() -> Engine:
    """The engine for this request: the same one for the whole request, even if a reload swaps meanwhile."""
    if not has_request_context():
        return holder().get()
    engine: Engine | None = g.get("kgqa_engine")
    if engine is None:
        engine = holder().get()
        g.kgqa_engine = engine
    return engine


def get_settings() -> Settings:
    return holder().settings
