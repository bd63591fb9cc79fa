"""Who may call the API: allowed Host names, optional API keys (Bearer), and a rate limit per key or address.

Health probes (/healthz, /readyz) stay open; the Slack endpoint authenticates by Slack's signature instead of
an API key; the chat page, its static files and the API documentation are public pages. Keys are read from
the environment variable named by ``KGQA_API_KEYS_ENV`` and are never logged or stored: the rate limiter keys
its counters by a hash of the key.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from api.deps import get_settings
from kg.errors import BadRequest, KgqaError
from kg.settings import Settings

logger = logging.getLogger(__name__)

HEALTH_PATHS = frozenset({"/healthz", "/readyz"})
OPEN_PATHS = HEALTH_PATHS | {"/api/v1/openapi.json"}
PROTECTED_PREFIX = "/api/v1/"
LIMITER = "kgqa_limiter"


class Unauthorized(KgqaError):
    status = 401
    code = "unauthorized"


class BadHost(BadRequest):
    code = "bad_host"


def _protected() -> bool:
    return request.path.startswith(PROTECTED_PREFIX) and request.path not in OPEN_PATHS


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _key_id(key: str) -> str:
    """A stable, non-reversible name for a key (for rate-limit counters and logs)."""
    return "key:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def rate_key() -> str:
    """Rate limits count per API key when one is sent, else per client address."""
    key = _bearer()
    return _key_id(key) if key else "addr:" + (get_remote_address() or "unknown")


def host_name(host: str) -> str:
    """The name part of a Host header: "[::1]:8000" -> "::1", "Example.org:80" -> "example.org"."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def check_host() -> None:
    if request.path in HEALTH_PATHS:
        return  # probes come from orchestrators that address the pod by IP
    allowed = get_settings().host_names()
    if "*" in allowed:
        return
    name = host_name(request.host)
    if name not in allowed:
        raise BadHost(f"Host {request.host[:100]!r} is not served here; allowed: KGQA_ALLOWED_HOSTS.")


def check_api_key() -> None:
    settings = get_settings()
    if not settings.api_key_required or not _protected():
        return
    keys = settings.api_keys()
    token = _bearer()
    if not keys:
        raise KgqaError(
            f"API keys are required but none are configured: set {settings.api_keys_env} (comma-separated).",
            status=503,
            code="api_keys_not_configured",
        )
    if not token:
        raise Unauthorized("This API needs a key: send `Authorization: Bearer <key>`.")
    if not any(hmac.compare_digest(token.encode(), key.encode()) for key in keys):
        raise Unauthorized("The API key is not valid.")


def init_access(app: Flask, settings: Settings) -> None:
    """Register the host and key checks, and the rate limiter, on the app."""
    app.before_request(check_host)
    app.before_request(check_api_key)
    limits = [] if settings.rate_limit.strip().lower() in {"", "off", "none"} else [settings.rate_limit]
    limiter = Limiter(
        rate_key,
        app=app,
        default_limits=limits,  # type: ignore[arg-type]
        default_limits_exempt_when=lambda: not _protected(),
        storage_uri=settings.rate_limit_storage,
        headers_enabled=True,
        strategy="moving-window",
        swallow_errors=False,
    )
    app.extensions[LIMITER] = limiter
