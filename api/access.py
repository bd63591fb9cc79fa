"""Who may call the API: allowed Host names, optional API keys (Bearer), and a rate limit per key or address.

Health probes (/healthz, /readyz) stay open; the Slack endpoint authenticates by Slack's signature instead of
an API key; the chat page, its static files and the API documentation are public pages. Keys are read from
the environment variable named by ``KGQA_API_KEYS_ENV`` and are never logged or stored: the rate limiter keys
its counters by a hash of the key. Wrong keys are counted per client address (``KGQA_AUTH_FAIL_LIMIT``, in the
rate limiter's storage): past the limit the address is refused with 429, a right key included, so keys cannot
be guessed at the speed of the server.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse
from limits.strategies import RateLimiter
from werkzeug.exceptions import TooManyRequests

from api.deps import get_settings
from kg.errors import BadRequest, ConfigError, KgqaError
from kg.settings import Settings

logger = logging.getLogger(__name__)

HEALTH_PATHS = frozenset({"/healthz", "/readyz"})
OPEN_PATHS = HEALTH_PATHS | {"/api/v1/openapi.json"}
PROTECTED_PREFIX = "/api/v1/"
LIMITER = "kgqa_limiter"
AUTH_FAILURES = "kgqa_auth_failures"
OFF = frozenset({"", "off", "none"})


class Unauthorized(KgqaError):
    status = 401
    code = "unauthorized"
    headers = {"WWW-Authenticate": 'Bearer realm="kgqa"'}


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


def _address_id() -> str:
    return "addr:" + (get_remote_address() or "unknown")


def rate_key() -> str:
    """Rate limits count per API key when one is sent, else per client address."""
    key = _bearer()
    return _key_id(key) if key else _address_id()


class AuthFailures:
    """Wrong API keys per client address, counted in the rate limiter's storage (memory or Redis)."""

    NAMESPACE = "auth-fail"

    def __init__(self, limiter: Limiter, limit: RateLimitItem, setting: str) -> None:
        self.limiter = limiter
        self.limit = limit
        self.setting = setting

    @property
    def strategy(self) -> RateLimiter:
        return self.limiter.limiter  # the limiter's moving window, on its storage

    def _refuse(self, client: str) -> TooManyRequests:
        reset_at = self.strategy.get_window_stats(self.limit, self.NAMESPACE, client).reset_time
        wait = max(1, math.ceil(reset_at - time.time()))
        return TooManyRequests(
            f"Too many wrong API keys from this address ({self.setting}, KGQA_AUTH_FAIL_LIMIT): every key is "
            f"refused for {wait} s more (Retry-After).",
            retry_after=wait,
        )

    def check(self, client: str) -> None:
        """429 while the address is over the limit, whatever key it sends now."""
        if not self.strategy.test(self.limit, self.NAMESPACE, client):
            raise self._refuse(client)

    def failed(self, client: str) -> None:
        """Count one wrong key; 429 instead of 401 when it is one past the limit (concurrent guesses)."""
        if not self.strategy.hit(self.limit, self.NAMESPACE, client):
            raise self._refuse(client)
        if self.strategy.get_window_stats(self.limit, self.NAMESPACE, client).remaining == 0:
            logger.warning("API keys from %s refused for a while: %s wrong keys", client, self.setting)


def _rate_item(setting: str, value: str) -> RateLimitItem | None:
    if value.strip().lower() in OFF:
        return None
    try:
        return parse(value)
    except ValueError as exc:
        raise ConfigError(f"KGQA_{setting.upper()}={value!r}: use e.g. '10/minute', '100 per hour' or 'off'") from exc


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
    failures: AuthFailures | None = current_app.extensions.get(AUTH_FAILURES)
    if failures is not None:
        failures.check(_address_id())
    if not token:
        raise Unauthorized("This API needs a key: send `Authorization: Bearer <key>`.")
    if not any(hmac.compare_digest(token.encode(), key.encode()) for key in keys):
        if failures is not None:
            failures.failed(_address_id())
        raise Unauthorized("The API key is not valid.")


def init_access(app: Flask, settings: Settings) -> None:
    """Register the host and key checks, and the rate limiter, on the app."""
    app.before_request(check_host)
    app.before_request(check_api_key)
    limits = [] if settings.rate_limit.strip().lower() in OFF else [settings.rate_limit]
    auth_fail_limit = _rate_item("auth_fail_limit", settings.auth_fail_limit)
    limiter = Limiter(
        rate_key,
        app=app,
        application_limits=limits,  # type: ignore[arg-type]  # one budget for all of /api/v1, not one a route
        application_limits_exempt_when=lambda: not _protected(),
        storage_uri=settings.rate_limit_storage,
        headers_enabled=True,
        strategy="moving-window",
        swallow_errors=False,
    )
    app.extensions[LIMITER] = limiter
    if auth_fail_limit is not None:
        app.extensions[AUTH_FAILURES] = AuthFailures(limiter, auth_fail_limit, settings.auth_fail_limit)
