"""One conformance suite for every TripleStore backend: embedded Oxigraph (memory, disk) and a real
`oxigraph serve` process over HTTP. Then the engine answering through the server."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import rdflib
from conftest import SAMPLE, stop_process

from kg.errors import BadRequest, ConfigError, IndexNotReady, KgqaError
from kg.qa.engine import Engine
from kg.settings import SETTINGS_TABLE, Settings
from kg.triples import TripleStore, open_store

OXIGRAPH = Path(sys.executable).with_name("oxigraph")
EX = "PREFIX ex: <http://example.org/>\n"
SMALL = b"""@prefix ex: <http://example.org/> .
ex:lambda a ex:Service ; ex:label "AWS Lambda" ; ex:timeout 900 ; ex:price 0.2 ; ex:active true .
ex:sqs a ex:Service ; ex:label "SQS" ; ex:timeout 30 ; ex:price 0.4 ; ex:active false .
ex:sns a ex:Service ; ex:label "SNS" .
"""
SMALL_TRIPLES = 12
SELECT = (
    EX
    + """SELECT ?label ?timeout ?price ?active WHERE {
  ?s a ex:Service ; ex:label ?label .
  OPTIONAL { ?s ex:timeout ?timeout ; ex:price ?price ; ex:active ?active }
} ORDER BY ?label"""
)
CONSTRUCT = EX + "CONSTRUCT { ?s ex:label ?l } WHERE { ?s ex:label ?l }"
LAMBDA_FACT = """PREFIX kgqa: <https://kgqa.dev/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?base ?unit ?start WHERE {
  ?svc skos:prefLabel "AWS Lambda" ; kgqa:hasLimit ?f .
  ?f rdfs:label "maximum execution time" ; kgqa:baseValue ?base ; kgqa:baseUnit ?unit ; kgqa:source ?p .
  ?p kgqa:lineStart ?start .
}"""
LAMBDA_Q = "what is the maximum execution time of a lambda function"
SRX = "{http://www.w3.org/2005/sparql-results#}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def oxigraph_server() -> Iterator[str]:
    """A real `oxigraph serve` (in memory) on a free port, stopped at the end of the session."""
    binary = OXIGRAPH if OXIGRAPH.exists() else Path(shutil.which("oxigraph") or "")
    if not binary.name or not binary.exists():
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(binary), "serve", "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                pytest.fail(f"oxigraph serve exited with {proc.returncode}: {proc.stderr.read().decode()[:500]}")
            try:
                with urllib.request.urlopen(f"{url}/query?query=ASK%7B%7D", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("oxigraph serve did not answer within 15 s")
            time.sleep(0.05)
        yield url
    finally:
        stop_process(proc, timeout=10)


BACKENDS = ["memory", "disk", "http"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def store_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "memory":
        return "oxigraph://"
    if backend == "disk":
        return f"oxigraph://{tmp_path / 'store'}"
    return str(request.getfixturevalue("oxigraph_server"))


@pytest.fixture()
def store(store_url: str) -> TripleStore:
    s = open_store(store_url)
    s.load_turtle(SMALL)
    return s


# ---- the conformance suite: every backend ----


class TestTripleStoreConformance:
    def test_url_is_kept(self, store, store_url):
        assert store.url.rstrip("/") == store_url.rstrip("/")

    def test_load_turtle_then_len(self, store):
        assert len(store) == SMALL_TRIPLES

    def test_load_turtle_replaces_the_previous_graph(self, store):
        store.load_turtle(b'<http://example.org/x> <http://example.org/p> "only" .')
        assert len(store) == 1
        assert store.select(EX + "SELECT ?s WHERE { ?s a ex:Service }") == []

    def test_select_returns_python_values(self, store):
        rows = store.select(SELECT)
        assert rows == [
            {"label": "AWS Lambda", "timeout": 900, "price": 0.2, "active": True},
            {"label": "SNS", "timeout": None, "price": None, "active": None},
            {"label": "SQS", "timeout": 30, "price": 0.4, "active": False},
        ]
        first = rows[0]
        assert type(first["timeout"]) is int and type(first["price"]) is float
        assert type(first["label"]) is str and type(first["active"]) is bool

    def test_select_as_json(self, store):
        payload, ctype, kind = store.query(SELECT, "application/sparql-results+json")
        assert (ctype, kind) == ("application/sparql-results+json", "bindings")
        doc = json.loads(payload)
        assert doc["head"]["vars"] == ["label", "timeout", "price", "active"]
        assert [b["label"]["value"] for b in doc["results"]["bindings"]] == ["AWS Lambda", "SNS", "SQS"]

    def test_plain_json_accept_gets_sparql_json(self, store):
        _payload, ctype, _kind = store.query(SELECT, "application/json")
        assert ctype == "application/sparql-results+json"

    def test_select_as_xml(self, store):
        payload, ctype, kind = store.query(SELECT, "application/sparql-results+xml")
        assert (ctype, kind) == ("application/sparql-results+xml", "bindings")
        root = ET.fromstring(payload)
        labels = [b.findtext(f"{SRX}literal") for b in root.iter(f"{SRX}binding") if b.get("name") == "label"]
        assert labels == ["AWS Lambda", "SNS", "SQS"]

    def test_select_as_csv(self, store):
        payload, ctype, kind = store.query(SELECT, "text/csv")
        assert (ctype, kind) == ("text/csv", "bindings")
        table = list(csv.reader(io.StringIO(payload.decode("utf-8"))))
        assert table[0] == ["label", "timeout", "price", "active"]
        assert [row[0] for row in table[1:]] == ["AWS Lambda", "SNS", "SQS"]
        assert table[1][1] == "900"

    def test_select_as_tsv(self, store):
        payload, ctype, kind = store.query(SELECT, "text/tab-separated-values")
        assert (ctype, kind) == ("text/tab-separated-values", "bindings")
        lines = payload.decode("utf-8").strip().splitlines()
        assert lines[0].split("\t") == ["?label", "?timeout", "?price", "?active"]
        assert len(lines) == 4

    @pytest.mark.parametrize(
        ("accept", "ctype", "fmt"),
        [
            ("text/turtle", "text/turtle", "turtle"),
            ("application/n-triples", "application/n-triples", "nt"),
            ("text/html", "text/turtle", "turtle"),
        ],
    )
    def test_construct_returns_a_parseable_graph(self, store, accept, ctype, fmt):
        payload, got_type, kind = store.query(CONSTRUCT, accept)
        assert (got_type, kind) == (ctype, "graph")
        g = rdflib.Graph().parse(data=payload.decode("utf-8"), format=fmt)
        assert len(g) == 3
        assert rdflib.Literal("SQS") in set(g.objects())

    def test_describe_is_a_graph(self, store):
        payload, ctype, kind = store.query(EX + "DESCRIBE ex:lambda", "text/turtle")
        assert (ctype, kind) == ("text/turtle", "graph")
        assert len(rdflib.Graph().parse(data=payload.decode("utf-8"), format="turtle")) == 5

    @pytest.mark.parametrize("accept", ["application/sparql-results+json", "application/sparql-results+xml"])
    def test_ask_is_boolean(self, store, accept):
        payload, ctype, kind = store.query(EX + "ASK { ex:lambda ex:timeout 900 }", accept)
        assert (ctype, kind) == (accept, "boolean")
        if accept.endswith("json"):
            assert json.loads(payload)["boolean"] is True
        else:
            assert ET.fromstring(payload).findtext(f"{SRX}boolean") == "true"
        payload, _, kind = store.query(EX + "ASK { ex:lambda ex:timeout 901 }", accept)
        assert kind == "boolean" and b"false" in payload

    @pytest.mark.parametrize("accept", ["text/csv", "text/tab-separated-values"])
    def test_ask_as_text_is_boolean(self, store, accept, backend, request):
        payload, ctype, kind = store.query(EX + "ASK { ex:lambda ex:timeout 900 }", accept)
        assert payload.strip() == b"true" and ctype == accept
        assert kind == "boolean"

    @pytest.mark.parametrize("accept", ["application/sparql-results+json", "application/sparql-results+xml"])
    def test_select_of_a_variable_named_boolean_is_bindings(self, store, accept, backend, request):
        _payload, _ctype, kind = store.query(EX + "SELECT ?boolean WHERE { ?boolean a ex:Service }", accept)
        assert kind == "bindings"

    @pytest.mark.parametrize(
        "update",
        [
            EX + 'INSERT DATA { ex:evil ex:label "evil" }',
            EX + "DELETE WHERE { ?s ?p ?o }",
            "# a comment first\nCLEAR DEFAULT",
            "DROP ALL",
            "LOAD <http://example.org/data.ttl>",
        ],
        ids=["insert-data", "delete-where", "comment-clear", "drop", "load"],
    )
    def test_updates_are_refused_and_change_nothing(self, store, update):
        with pytest.raises(BadRequest) as err:
            store.query(update, "application/sparql-results+json")
        assert err.value.status == 400 and err.value.code == "bad_sparql"
        with pytest.raises(BadRequest):
            store.select(update)
        assert len(store) == SMALL_TRIPLES
        assert store.select(EX + "SELECT ?l WHERE { ex:evil ex:label ?l }") == []

    @pytest.mark.parametrize(
        "bad",
        ["SELECT ?x WHERE { ?x ", "SELEKT * WHERE { ?s ?p ?o }", "SELECT ?x WHERE { ?x undeclared:p ?o }"],
    )
    def test_syntax_errors_are_bad_requests(self, store, bad):
        with pytest.raises(BadRequest) as err:
            store.query(bad, "application/sparql-results+json")
        assert err.value.status == 400
        assert err.value.message

    def test_full_session_graph_finds_the_lambda_limit(self, store, index_dir, sample_lines):
        store.load_turtle((index_dir / "graph.ttl").read_bytes())
        manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
        assert len(store) == manifest["counts"]["triples"]
        rows = store.select(LAMBDA_FACT)
        n = sample_lines.index("- Maximum execution time: 900 seconds (15 minutes)") + 1
        assert rows == [{"base": 900.0, "unit": "seconds", "start": n}]


def test_disk_store_keeps_its_data_after_reopening(tmp_path):
    url = f"oxigraph://{tmp_path / 'store'}"
    first = open_store(url)
    first.load_turtle(SMALL)
    del first
    import gc

    gc.collect()  # release the on-disk store's lock
    assert len(open_store(url)) == SMALL_TRIPLES


# ---- the factory ----


def test_unknown_scheme_is_a_config_error_listing_the_valid_ones():
    with pytest.raises(ConfigError) as err:
        open_store("ftp://x")
    message = err.value.message
    assert "'ftp://x'" in message
    assert "oxigraph://" in message and "oxigraph:///path" in message and "http://host:port" in message


def test_every_documented_store_scheme_is_accepted(tmp_path):
    help_text = next(text for name, _default, text in SETTINGS_TABLE if name == "triple_store")
    schemes = [u for u in re.findall(r"'([a-z]+://[^']*)'", help_text) if not u.startswith("http")]
    assert schemes, help_text
    for url in schemes:
        store = open_store(url.replace("DIR", str(tmp_path / "store")))
        store.load_turtle(SMALL)
        assert len(store) == SMALL_TRIPLES


def test_unreachable_server_is_index_not_ready():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(IndexNotReady) as err:
        open_store(url).select("ASK {}")
    assert err.value.status == 503
    assert url in err.value.message and "unreachable" in err.value.message


# ---- end to end through the server ----


def test_engine_answers_through_the_sparql_server(settings: Settings, oxigraph_server, index_dir, sample_lines):
    engine = Engine.load(replace(settings, triple_store=oxigraph_server))
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    # the engine loaded the graph into the server
    assert len(open_store(oxigraph_server)) == manifest["counts"]["triples"]
    ans = engine.answer(LAMBDA_Q)
    assert not ans.abstained and "900" in ans.answer
    n = sample_lines.index("- Maximum execution time: 900 seconds (15 minutes)") + 1
    top = ans.citations[0]
    assert (top.source, top.lines) == (SAMPLE.name, (n, n))
    assert "AWS Lambda" in top.section
    assert any(f.source == f"{SAMPLE.name}:{n}-{n}" and "900" in f.object for f in ans.facts)
    result = engine.sparql(LAMBDA_FACT)
    assert json.loads(result.payload)["results"]["bindings"][0]["start"]["value"] == str(n)


@pytest.mark.parametrize(
    ("query", "status", "needle"),
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }", 400, "SERVICE"),
        ("SELECT * FROM NAMED <http://127.0.0.1:9/g> WHERE { ?s ?p ?o }", 400, "FROM"),
        ("SELECT * WHERE { " + "{ " * 40 + "?s ?p ?o" + " }" * 40 + " }", 400, "deeper than 32"),
        ("SELECT * WHERE { ?s ?p ?o } #" + "x" * 10_000, 413, "KGQA_SPARQL_MAX_CHARS"),
    ],
    ids=["service", "from-named", "deep", "long"],
)
def test_every_backend_gets_the_sparql_guard(
    engine: Engine, settings: Settings, store_url: str, query: str, status: int, needle: str
) -> None:
    store = open_store(store_url)
    store.load_turtle(engine.index.graph_ttl)
    here = Engine(settings, replace(engine.index, store=store), engine.embedder)
    try:
        with pytest.raises(KgqaError) as refused:
            here.sparql(query)
        assert refused.value.status == status and needle in refused.value.message
        ok = json.loads(here.sparql("SELECT ?s WHERE { ?s ?p 'service' } LIMIT 1").payload)
        assert "results" in ok
    finally:
        here.close()
