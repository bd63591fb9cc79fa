"""Errors that carry their HTTP status; one handler in api/ renders any of them as JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class KgqaError(Exception):
    """Base error: ``status`` is the HTTP status, ``code`` a stable machine-readable name."""

    status = 500
    code = "internal_error"
    headers: ClassVar[Mapping[str, str]] = {}  # response headers the client needs (WWW-Authenticate on a 401)

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    def to_json(self) -> dict[str, dict[str, object]]:
        return {"error": {"code": self.code, "message": self.message, "status": self.status}}


class BadRequest(KgqaError):
    status = 400
    code = "bad_request"


class PayloadTooLarge(KgqaError):
    status = 413
    code = "payload_too_large"


class NotFound(KgqaError):
    status = 404
    code = "not_found"


class Forbidden(KgqaError):
    status = 403
    code = "forbidden"


class IndexNotReady(KgqaError):
    status = 503
    code = "index_not_ready"


class IndexCorrupt(IndexNotReady):
    """An index file does not match the checksum its manifest recorded (or cannot be read): ``file`` names it."""

    code = "index_corrupt"

    def __init__(self, message: str, *, file: str) -> None:
        super().__init__(message)
        self.file = file


class IngestError(KgqaError):
    """A build that cannot finish: the previous index stays in place."""

    status = 500
    code = "ingest_failed"


class ConfigError(KgqaError):
    status = 500
    code = "bad_configuration"
