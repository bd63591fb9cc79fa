"""One error handler: every KgqaError, HTTP error and unexpected exception becomes JSON {"error": ...}."""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from kg.errors import KgqaError

logger = logging.getLogger(__name__)

# Headers an HTTP error carries that the client needs (e.g. Allow on 405).
_KEPT_HEADERS = {"allow", "retry-after", "www-authenticate"}


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "status": status}})
    response.status_code = status
    return response


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    if isinstance(exc, RequestEntityTooLarge):
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        response = error_response(413, "payload_too_large", f"Request body is larger than {limit} bytes.")
    else:
        code = re.sub(r"[^a-z0-9]+", "_", (exc.name or "error").lower()).strip("_")
        response = error_response(status, code, exc.description or exc.name or "HTTP error")
    for name, value in exc.get_headers():
        if name.lower() in _KEPT_HEADERS:
            response.headers[name] = value
    return response


def handle_exception(exc: Exception) -> Response:
    if isinstance(exc, KgqaError):
        if exc.status >= 500:
            logger.warning("%s %s -> %s: %s", request.method, request.path, exc.status, exc.message)
        response = jsonify(exc.to_json())
        response.status_code = exc.status
        response.headers.update(exc.headers)
        return response
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    # Never show a traceback to the user: log it with the request line, answer with a stable message.
    logger.exception("unexpected error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", "Internal server error; the details are in the server log.")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(Exception, handle_exception)
