"""Flask application factory: one Engine (loaded lazily), the JSON API, the docs, the chat page and Slack."""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request, send_from_directory
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from api import docs, health, http, slack
from api.access import init_access
from api.deps import EXTENSION, EngineHolder, holder
from api.errors import register_error_handlers
from kg.errors import IndexNotReady
from kg.qa.engine import Engine
from kg.settings import Settings

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("static")
MAX_BODY_BYTES = 64 * 1024
GENERATION_HEADER = "KGQA-Index-Generation"

# The page and the docs load only their own files; data is never interpreted as markup or script.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    test_config: Mapping[str, Any] | None = None,
) -> Flask:
    """Build the app. Without ``engine`` the index loads at the first request that needs it."""
    settings = settings or Settings.from_env()
    app = Flask(__name__, static_folder=str(STATIC_DIR), static_url_path="/static")
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        SLACK_ANSWER_BUDGET_S=2.5,  # Slack wants a reply within 3 s; slower answers go to response_url
        SLACK_HTTP_TIMEOUT_S=10.0,
    )
    if test_config:
        app.config.from_mapping(test_config)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the Answer field order of the contract
    app.extensions[EXTENSION] = EngineHolder(settings, engine)

    register_error_handlers(app)
    if settings.behind_proxy:  # nginx in front (`kgqa serve --proxy`): the client address is in X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=0)  # type: ignore[method-assign]
    init_access(app, settings)
    app.register_blueprint(http.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(docs.bp)
    app.register_blueprint(slack.bp)

    @app.get("/")
    def index() -> Response:
        return send_from_directory(STATIC_DIR, "index.html", max_age=0)

    @app.before_request
    def bound_chunked_body() -> None:
        """A chunked body has no Content-Length for MAX_CONTENT_LENGTH to check up front, and werkzeug would
        silently cut it at the limit (a 400 for broken JSON): read one byte past the limit and answer 413."""
        environ = request.environ
        if request.content_length is not None or "chunked" not in request.headers.get("Transfer-Encoding", ""):
            return
        limit = app.config["MAX_CONTENT_LENGTH"]
        data = b""
        while environ.get("wsgi.input_terminated") and len(data) <= limit:
            chunk = environ["wsgi.input"].read(limit + 1 - len(data))
            if not chunk:
                break
            data += chunk
        if len(data) > limit:
            raise RequestEntityTooLarge()
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        engine = g.get("kgqa_engine")
        if engine is not None:  # the index build that answered (it changes when a new build is reloaded)
            response.headers[GENERATION_HEADER] = engine.generation
        return response

    return app


def warm(app: Flask) -> bool:
    """Load the engine now (e.g. in each server worker) so the first question is not slow."""
    try:
        engine = holder(app).get()
    except IndexNotReady as exc:
        logger.warning("index not ready yet, will retry at the first request: %s", exc.message)
        return False
    sandbox = engine.sparql_sandbox()
    if sandbox is not None:
        sandbox.start()  # the SPARQL sandbox loads its copy of the graph now, not at the first query
    return True
