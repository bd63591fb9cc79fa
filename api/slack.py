"""Slack slash command: verify Slack's signature, answer within Slack's 3 s, or follow up via response_url."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, Response, current_app, jsonify, request

from api import validate
from api.deps import EngineHolder, get_settings, holder
from api.slack_blocks import Message, ack_message, answer_message, error_message, usage_message
from kg.errors import KgqaError

logger = logging.getLogger(__name__)

bp = Blueprint("slack", __name__)

MAX_AGE_S = 5 * 60  # Slack's replay window
RETRY_HEADER = "X-Slack-Retry-Num"
SEEN = "kgqa_slack_seen"


class SeenRequests:
    """Digests of the Slack requests received in the last ``ttl_s`` seconds, so that a retry Slack sends
    (``X-Slack-Retry-Num``) of a request already received is not answered a second time.

    In memory per worker process; with a Redis URL in ``KGQA_RATE_LIMIT_STORAGE`` the record is shared by
    all workers and replicas (SET NX with an expiry).
    """

    def __init__(self, storage_uri: str = "memory://", ttl_s: float = MAX_AGE_S, max_items: int = 10_000) -> None:
        self.ttl_s, self.max_items = ttl_s, max_items
        self._lock = threading.Lock()
        self._seen: dict[str, float] = {}
        self._redis: Any = None
        if storage_uri.startswith(("redis://", "rediss://", "unix://")):
            import redis

            self._redis = redis.Redis.from_url(storage_uri)

    def first_time(self, raw: bytes) -> bool:
        """Record this request body; True when it had not been received before (within the TTL)."""
        digest = hashlib.sha256(raw).hexdigest()
        if self._redis is not None:
            return bool(self._redis.set(f"kgqa:slack:{digest}", 1, nx=True, ex=int(self.ttl_s)))
        now = time.monotonic()
        with self._lock:
            if len(self._seen) >= self.max_items:  # drop expired entries, then the oldest ones
                self._seen = {k: t for k, t in self._seen.items() if now - t < self.ttl_s}
                while len(self._seen) >= self.max_items:
                    self._seen.pop(next(iter(self._seen)))
            seen_at = self._seen.get(digest)
            if seen_at is not None and now - seen_at < self.ttl_s:
                return False
            self._seen[digest] = now
            return True


def seen_requests() -> SeenRequests:
    store = current_app.extensions.get(SEEN)
    if store is None:
        store = current_app.extensions[SEEN] = SeenRequests(get_settings().rate_limit_storage)
    return store


class Unauthorized(KgqaError):
    status = 401
    code = "invalid_slack_signature"


def verify(raw: bytes, headers: Any, secret_env: str) -> None:
    """Check X-Slack-Signature over the raw body; the secret is read now and never logged."""
    secret = os.environ.get(secret_env, "")
    if not secret.strip():
        raise KgqaError(
            f"Slack is not configured: set the {secret_env} environment variable to the app's "
            "signing secret (Slack app settings > Basic Information).",
            status=503,
            code="slack_not_configured",
        )
    signature, timestamp = headers.get("X-Slack-Signature"), headers.get("X-Slack-Request-Timestamp")
    if not signature or not timestamp:
        raise Unauthorized("Missing X-Slack-Signature or X-Slack-Request-Timestamp header.")
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        raise Unauthorized(f"X-Slack-Request-Timestamp is not a Unix time: {timestamp[:20]!r}.") from None
    if age > MAX_AGE_S:
        raise Unauthorized("X-Slack-Request-Timestamp is more than 5 minutes from now (a replayed request?).")
    # HMAC over the raw bytes, as Slack signs them: a body that is not UTF-8 is just a mismatch, not an error.
    base = b"v0:" + timestamp.encode("utf-8", "replace") + b":" + raw
    expected = b"v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest().encode("ascii")
    if not hmac.compare_digest(expected, signature.encode("utf-8", "replace")):
        raise Unauthorized("X-Slack-Signature does not match the request body (wrong signing secret?).")


def parse_text(text: str) -> tuple[str, bool]:
    """(question, shared): "share <q>" or "<q> --share" posts in the channel."""
    text = text.strip()
    lowered = text.lower()
    if lowered in ("share", "--share"):
        return "", True
    if lowered.startswith("share "):
        return text[6:].strip(), True
    if lowered.endswith(" --share"):
        return text[:-8].strip(), True
    return text, False


class _Race:
    """Whoever comes second -- the request giving up, or the answer arriving -- does the follow-up."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.result: Message | None = None
        self.gave_up = False


def run_with_budget(work: Callable[[], Message], budget_s: float, late: Callable[[Message], None]) -> Message | None:
    """work() in a thread: its result if done within budget_s, else None and late(result) when it is done."""
    race, done = _Race(), threading.Event()

    def run() -> None:
        result = work()
        with race.lock:
            race.result = result
            follow_up = race.gave_up
        done.set()
        if follow_up:
            late(result)

    threading.Thread(target=run, name="slack-answer", daemon=True).start()
    done.wait(budget_s)
    with race.lock:
        race.gave_up = race.result is None
        return race.result


def post_to_response_url(url: str, payload: Message, timeout_s: float) -> None:
    if urlsplit(url).scheme not in ("http", "https"):
        logger.warning("slack: no usable response_url, late answer dropped")
        return
    req = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:  # noqa: S310 (scheme checked above)
            logger.info("slack: late answer posted, status %s", resp.status)
    except OSError as exc:
        logger.warning("slack: posting the late answer failed: %s", exc)


def answer_work(engines: EngineHolder, question: str, response_type: str, user_id: str) -> Message:
    try:
        return answer_message(engines.get().answer(question), response_type, user_id)
    except KgqaError as exc:
        return error_message(exc.message)
    except Exception:
        logger.exception("slack: answering failed")
        return error_message("Something went wrong answering that; the details are in the server log.")


@bp.post("/slack/commands")
def command() -> Response:
    settings = get_settings()
    raw = request.get_data(cache=True)
    verify(raw, request.headers, settings.slack_signing_secret_env)
    first = seen_requests().first_time(raw)
    if not first and request.headers.get(RETRY_HEADER):
        # Slack retried because our first reply was slow; that request is answered (or being answered).
        logger.info("slack: retry %s of a request already received, acknowledged", request.headers[RETRY_HEADER])
        return Response(status=200)
    form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()}
    question, shared = parse_text(form.get("text", ""))
    if not question or question.lower() == "help":
        return jsonify(usage_message(form.get("command") or settings.slack_command))
    try:
        question = validate.question(question, settings.max_question_chars)
    except KgqaError as exc:
        return jsonify(error_message(exc.message))
    response_type = "in_channel" if shared else "ephemeral"
    engines, config = holder(), current_app.config
    response_url, http_timeout = form.get("response_url", ""), config["SLACK_HTTP_TIMEOUT_S"]
    result = run_with_budget(
        lambda: answer_work(engines, question, response_type, form.get("user_id", "")),
        config["SLACK_ANSWER_BUDGET_S"],
        lambda late: post_to_response_url(response_url, late, http_timeout),
    )
    logger.info("slack: command answered %s (%s)", "in time" if result else "late", response_type)
    return jsonify(result or ack_message(question))
