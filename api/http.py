"""The JSON API under /api/v1: ask, SPARQL 1.1 Protocol, services, source lines; one engine call a route."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request

from api import sparql_protocol, validate
from api.deps import get_engine, get_settings
from ingest.parser import decode_notes
from kg.errors import BadRequest

logger = logging.getLogger(__name__)

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")

SOURCE_CONTEXT_MAX = 50
TRUNCATED_HEADER = "KGQA-Truncated"


@bp.route("/ask", methods=["GET", "POST"])
def ask() -> Response:
    if request.method == "POST":
        body = validate.json_object(request.get_data(cache=True))
        raw_question, raw_top_k = body.get("question"), body.get("top_k")
    else:
        raw_question = request.args.get("q", request.args.get("question"))
        raw_top_k = request.args.get("top_k")
    question = validate.question(raw_question, get_settings().max_question_chars)
    top_k = validate.top_k(raw_top_k)
    answer = get_engine().answer(question, top_k=top_k)
    logger.info(
        "ask: abstained=%s confidence=%.3f citations=%d",
        answer.abstained,
        answer.confidence,
        len(answer.citations),
    )
    return jsonify(answer.to_json())


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    query = sparql_protocol.read_query(request)
    accept = sparql_protocol.negotiate(query, request)
    result = get_engine().sparql(query, accept)
    response = Response(result.payload, content_type=result.content_type)
    response.vary.add("Accept")
    if result.truncated:  # the payload holds the first rows only: say so, and where the cap comes from
        response.headers[TRUNCATED_HEADER] = f"max-rows={get_settings().sparql_max_rows} (KGQA_SPARQL_MAX_ROWS)"
    return response


@bp.get("/services")
def services() -> Response:
    items = get_engine().services()
    return jsonify({"count": len(items), "services": items})


@bp.get("/services/<service_id>")
def service(service_id: str) -> Response:
    return jsonify(get_engine().service(service_id))


@bp.get("/source")
def source() -> Response:
    file = request.args.get("file", "")
    if not file:
        raise BadRequest('Missing query parameter "file" (a notes file, as cited).')
    start = validate.int_arg("start", request.args.get("start"), low=1)
    end = validate.int_arg("end", request.args.get("end"), default=start, low=start)
    context = validate.int_arg("context", request.args.get("context"), default=3, high=SOURCE_CONTEXT_MAX)
    return jsonify(get_engine().source(file, start, end, context=context, decode=decode_notes))
