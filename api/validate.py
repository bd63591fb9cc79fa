"""Checks on user input shared by the HTTP API and Slack; each failure says what was received."""

from __future__ import annotations

import json
import re
from typing import Any

from kg.errors import BadRequest, PayloadTooLarge

TOP_K_MIN, TOP_K_MAX = 1, 20
_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")  # ASCII digits only: int() also takes "١٢" and "1_000"


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_object(raw: bytes) -> dict[str, Any]:
    """Parse a request body that must be a JSON object."""
    if not raw.strip():
        raise BadRequest('Request body is empty; send JSON like {"question": "...", "top_k": 5}.')
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"Request body is not valid JSON: {exc}.") from exc
    except RecursionError:
        raise BadRequest("Request body is JSON nested too deeply; send a flat JSON object.") from None
    if not isinstance(value, dict):
        raise BadRequest(f"Request body must be a JSON object, got {type(value).__name__}.")
    return value


def question(value: Any, max_chars: int) -> str:
    """A non-empty string within max_chars (longer is 413, as the settings promise)."""
    if value is None:
        raise BadRequest('Missing "question": send {"question": "..."} (or ?q=... on GET).')
    if not isinstance(value, str):
        raise BadRequest(f'"question" must be a string, got {type(value).__name__} {_shown(value)}.')
    text = value.strip()
    if not text:
        raise BadRequest('"question" is empty; ask something about your notes.')
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate ("\ud800" in JSON) is not text
        raise BadRequest(
            f'"question" is not valid Unicode text (an unpaired surrogate at character {exc.start}).'
        ) from None
    if "\x00" in text:
        raise BadRequest('"question" contains a NUL character.')
    if len(text) > max_chars:
        raise PayloadTooLarge(
            f'"question" is {len(text)} characters; the limit is {max_chars} (KGQA_MAX_QUESTION_CHARS).'
        )
    return text


def top_k(value: Any) -> int | None:
    """None (use the default) or an integer 1..20; query-string digits are accepted."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer() and TOP_K_MIN <= value <= TOP_K_MAX:
        value = int(value)  # JSON Schema's "integer" includes 3.0, and so does the OpenAPI document
    if isinstance(value, bool) or not isinstance(value, int) or not TOP_K_MIN <= value <= TOP_K_MAX:
        raise BadRequest(f'"top_k" must be an integer from {TOP_K_MIN} to {TOP_K_MAX}, got {_shown(value)}.')
    return value


def int_arg(name: str, value: str | None, *, default: int | None = None, low: int = 0, high: int | None = None) -> int:
    """A required (or defaulted) integer query parameter within [low, high]."""
    if value is None or value == "":
        if default is None:
            raise BadRequest(f'Missing query parameter "{name}".')
        return default
    if not _INTEGER.fullmatch(value.strip()):
        raise BadRequest(f'"{name}" must be an integer, got {_shown(value)}.')
    number = int(value.strip())
    if number < low or (high is not None and number > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise BadRequest(f'"{name}" must be {bound}, got {number}.')
    return number
