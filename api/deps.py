"""The one Engine per app: loaded lazily at first use so the server starts before the index exists."""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from kg.qa.engine import Engine
from kg.settings import Settings

logger = logging.getLogger(__name__)

EXTENSION = "kgqa"


class EngineHolder:
    """Holds settings and the Engine; a failed load is not cached, so a later build is picked up."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self._engine = engine
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._engine is not None

    def get(self) -> Engine:
        """The engine, loading it on first call; raises kg.errors.IndexNotReady naming what is missing."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    logger.info("loading index from %s", self.settings.index_dir)
                    self._engine = Engine.load(self.settings)
                    logger.info("index loaded")
        return self._engine


def holder(app: Flask | None = None) -> EngineHolder:
    return (app or current_app).extensions[EXTENSION]


def get_engine() -> Engine:
    return holder().get()


def get_settings() -> Settings:
    return holder().settings
