"""`kgqa serve`: run the app under gunicorn, configured from Settings (bind, workers), app preloaded."""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from api.app import create_app, warm
from kg.settings import Settings

logger = logging.getLogger(__name__)


class KgqaServer(BaseApplication):  # type: ignore[misc]
    """gunicorn with its options given here instead of a config file or its own command line."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def _post_worker_init(worker: Any) -> None:
    # The engine (model, vectors, graph) is loaded in each worker after the fork, not in the master:
    # native thread pools (torch, onnxruntime) do not survive fork reliably. In a thread, so /healthz
    # answers at once; a question arriving meanwhile waits for the load instead of starting a second one.
    threading.Thread(target=warm, args=(worker.wsgi,), name="kgqa-warm", daemon=True).start()


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "threads": settings.threads,  # > 1: gthread workers, so a slow request does not block the others
        "preload_app": True,
        "timeout": 120,  # the first request of a worker may load the index
        "graceful_timeout": 10,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": settings.log_level.lower(),
        "post_worker_init": _post_worker_init,
    }


def serve(settings: Settings) -> None:
    """Block serving HTTP on settings.host:settings.port until stopped (Ctrl-C / SIGTERM)."""
    logger.info("serving on http://%s:%s with %d worker(s)", settings.host, settings.port, settings.workers)
    KgqaServer(create_app(settings), gunicorn_options(settings)).run()
