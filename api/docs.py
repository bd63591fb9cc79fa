"""The OpenAPI 3.1 document (api/openapi.yaml) as JSON, and a readable HTML page rendered from it."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, Response, jsonify, render_template
from markupsafe import Markup, escape

bp = Blueprint("docs", __name__, template_folder="templates")

OPENAPI_FILE = Path(__file__).with_name("openapi.yaml")
METHODS = ("get", "post", "put", "patch", "delete")


@bp.app_template_filter("code_spans")
def code_spans(text: str) -> Markup:
    """`x` -> <code>x</code>; everything else is escaped (descriptions are text, not HTML)."""
    parts = str(text).split("`")
    return Markup("").join(Markup("<code>%s</code>") % part if i % 2 else escape(part) for i, part in enumerate(parts))


@functools.cache
def openapi() -> dict[str, Any]:
    with OPENAPI_FILE.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def _resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local $ref (#/components/...) one level."""
    ref = node.get("$ref")
    if not ref:
        return node
    target: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return target


def type_name(schema: dict[str, Any]) -> str:
    """A short human type: "Answer", "array of Citation", "integer (1..20)"."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type", "object")
    if kind == "array":
        return f"array of {type_name(schema.get('items', {}))}"
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if "enum" in schema:
        return f"{kind}: {' | '.join(map(str, schema['enum']))}"
    if "minimum" in schema and "maximum" in schema:
        return f"{kind} ({schema['minimum']}..{schema['maximum']})"
    return kind


def _content(doc: dict[str, Any], content: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for media, body in content.items():
        example = body.get("example")
        rows.append(
            {
                "media": media,
                "type": type_name(body.get("schema", {})),
                "example": json.dumps(example, indent=2) if example is not None else "",
            }
        )
    return rows


def _auth_text(doc: dict[str, Any], names: list[str], *, optional: bool) -> str:
    """How an operation authenticates, in words ("" when it is open)."""
    schemes = doc.get("components", {}).get("securitySchemes", {})
    kinds = [
        "`Authorization: Bearer <key>`" if schemes.get(n, {}).get("scheme") == "bearer" else f"`{n}`" for n in names
    ]
    if not kinds:
        return ""
    text = " or ".join(kinds)
    return f"{text} when API keys are on (none needed on loopback by default)" if optional else text


def operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat record per path and method, with $refs resolved for display."""
    ops = []
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            params = [_resolve(doc, p) for p in op.get("parameters", [])]
            body = _resolve(doc, op["requestBody"]) if "requestBody" in op else None
            responses = []
            for status, response in op.get("responses", {}).items():
                response = _resolve(doc, response)
                responses.append(
                    {
                        "status": status,
                        "description": response.get("description", ""),
                        "content": _content(doc, response.get("content", {})),
                        "headers": sorted(response.get("headers", {})),
                    }
                )
            security = [name for requirement in op.get("security", []) for name in requirement]
            ops.append(
                {
                    "id": op.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": [{**p, "type": type_name(p.get("schema", {}))} for p in params],
                    "body": _content(doc, body["content"]) if body else [],
                    "responses": responses,
                    "auth": _auth_text(doc, security, optional={} in op.get("security", [])),
                }
            )
    return ops


def schemas(doc: dict[str, Any]) -> list[dict[str, Any]]:
    result = []
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        required = set(schema.get("required", []))
        props = [
            {
                "name": prop,
                "type": type_name(sub),
                "required": prop in required,
                "description": sub.get("description", ""),
            }
            for prop, sub in schema.get("properties", {}).items()
        ]
        result.append(
            {
                "name": name,
                "type": type_name(schema),
                "description": schema.get("description", ""),
                "props": props,
            }
        )
    return result


@bp.get("/api/v1/openapi.json")
def openapi_json() -> Response:
    return jsonify(openapi())


@bp.get("/api/docs")
def docs_page() -> str:
    doc = openapi()
    return render_template("docs.html", info=doc["info"], ops=operations(doc), schemas=schemas(doc))
