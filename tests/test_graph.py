"""The RDF graph of the session index: it parses, conforms to the SHACL shapes, and answers SPARQL with the
facts of the sample notes tied to their exact lines."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SAMPLE
from rdflib import RDF, Graph, Literal
from rdflib.namespace import RDFS

from ingest.pipeline import build_index
from kg.graph import KGQA, PREFIXES, build_graph, fact_uri, passage_uri, service_uri, validate
from kg.model import Fact, Passage, Service
from kg.settings import Settings
from kg.units import to_base


@pytest.fixture(scope="module")
def graph(index_dir: Path) -> Graph:
    return Graph().parse(index_dir / "graph.ttl", format="turtle")


def line_of(lines: list[str], text: str) -> int:
    hits = [i + 1 for i, line in enumerate(lines) if text in line]
    assert hits, f"{text!r} not in the sample"
    return hits[0]


def rows(graph: Graph, query: str) -> list[dict[str, object]]:
    out = []
    for r in graph.query(PREFIXES + query):
        out.append({k: v.toPython() for k, v in r.asdict().items()})
    return out


# ---- shapes ----


@pytest.mark.slow
def test_session_graph_conforms_to_the_shapes(graph):
    conforms, report = validate(graph)
    assert conforms, report


def tiny_parts() -> tuple[list[Service], list[Passage], list[Fact]]:
    services = [
        Service(id="aws-lambda", label="AWS Lambda", aliases=("Lambda",)),
        Service(id="sqs", label="SQS"),
    ]
    passages = [
        Passage(
            id="p-1",
            file="n.txt",
            line_start=3,
            line_end=4,
            text="Timeout: 900 seconds",
            section=("AWS Lambda",),
            service="aws-lambda",
        )
    ]
    facts = [
        Fact(
            id="f-1",
            kind="Limit",
            service="aws-lambda",
            label="timeout",
            passage="p-1",
            text="Timeout: 900 seconds",
            value=900,
            unit="seconds",
            base_value=900,
            base_unit="seconds",
        )
    ]
    return services, passages, facts


def tiny_graph() -> Graph:
    services, passages, facts = tiny_parts()
    return build_graph(services, passages, facts, {"n.txt": "0" * 64})


def test_small_built_graph_conforms():
    conforms, report = validate(tiny_graph())
    assert conforms, report


def drop_source(g: Graph) -> None:
    g.remove((fact_uri("f-1"), KGQA.source, None))


def end_before_start(g: Graph) -> None:
    from rdflib.namespace import XSD  # imported here: pytest's collection trips over the namespace object

    g.set((passage_uri("p-1"), KGQA.lineEnd, Literal(2, datatype=XSD.integer)))


def two_services(g: Graph) -> None:
    g.add((service_uri("sqs"), KGQA.hasLimit, fact_uri("f-1")))


def no_value(g: Graph) -> None:
    g.remove((fact_uri("f-1"), KGQA.value, None))


def bad_sha(g: Graph) -> None:
    for f in g.subjects(RDF.type, KGQA.NotesFile):
        g.set((f, KGQA.sha256, Literal("not-a-hash")))


@pytest.mark.parametrize(
    ("breakage", "needle"),
    [
        (drop_source, "source"),
        (end_before_start, "lineEnd is before lineStart"),
        (two_services, "exactly one service"),
        (no_value, "value"),
        (bad_sha, "sha256"),
    ],
)
def test_broken_graphs_do_not_conform(breakage: Callable[[Graph], None], needle: str):
    g = tiny_graph()
    breakage(g)
    conforms, report = validate(g)
    assert not conforms
    assert needle in report


# ---- SPARQL over the session graph ----


def test_lambda_maximum_execution_time_is_900_seconds_at_its_line(graph, sample_lines):
    found = rows(
        graph,
        """
        SELECT ?value ?unit ?base ?baseUnit ?file ?start ?end WHERE {
          ?svc skos:prefLabel "AWS Lambda" ; kgqa:hasLimit ?f .
          ?f rdfs:label "maximum execution time" ; kgqa:value ?value ; kgqa:unit ?unit ;
             kgqa:baseValue ?base ; kgqa:baseUnit ?baseUnit ; kgqa:source ?p .
          ?p kgqa:file ?file ; kgqa:lineStart ?start ; kgqa:lineEnd ?end .
        }""",
    )
    assert len(found) == 1, found
    r = found[0]
    n = line_of(sample_lines, "Maximum execution time: 900 seconds")
    assert (r["file"], r["start"], r["end"]) == (SAMPLE.name, n, n)
    assert (float(r["base"]), r["baseUnit"]) == (900.0, "seconds")
    assert to_base(15, "minutes") == (float(r["base"]), r["baseUnit"])


def test_dynamodb_up_to_five_lsi_per_table_at_its_line(graph, sample_lines):
    found = rows(
        graph,
        """
        SELECT ?value ?start ?svc ?parent WHERE {
          ?svc kgqa:hasLimit ?f .
          OPTIONAL { ?svc kgqa:componentOf ?parent }
          ?f kgqa:statement ?st ; kgqa:value ?value ; kgqa:source ?p .
          FILTER (CONTAINS(?st, "5 LSI"))
          ?p kgqa:lineStart ?start .
        }""",
    )
    assert len(found) == 1, found
    r = found[0]
    assert float(r["value"]) == 5
    assert r["start"] == line_of(sample_lines, "Can have up to 5 LSI")
    dynamodb = str(service_uri("dynamodb"))
    assert dynamodb in (r["svc"], r.get("parent"))


def test_t2_small_costs_0_023_per_hour(graph, sample_lines):
    found = rows(
        graph,
        """
        SELECT ?value ?billing ?start ?svc WHERE {
          ?svc kgqa:hasPricing ?f .
          ?f a kgqa:Pricing ; kgqa:statement ?st ; kgqa:value ?value ; kgqa:billingUnit ?billing ;
             kgqa:source ?p .
          FILTER (CONTAINS(?st, "t2.small"))
          ?p kgqa:lineStart ?start .
        }""",
    )
    assert len(found) == 1, found
    r = found[0]
    assert float(r["value"]) == pytest.approx(0.023)
    assert r["billing"] == "per hour"
    assert r["start"] == line_of(sample_lines, "t2.small in US-EAST-1")
    assert r["svc"] == str(service_uri("ec2"))


def test_every_fact_has_exactly_one_source_passage_with_its_lines(graph, index_dir, sample_lines):
    found = rows(
        graph,
        """
        SELECT ?f (COUNT(DISTINCT ?p) AS ?n) (SAMPLE(?st) AS ?statement) (SAMPLE(?text) AS ?ptext)
               (SAMPLE(?file) AS ?pfile) (SAMPLE(?s) AS ?start) (SAMPLE(?e) AS ?end) WHERE {
          VALUES ?kind { kgqa:Limit kgqa:Pricing kgqa:Feature }
          ?f a ?kind ; kgqa:statement ?st .
          OPTIONAL { ?f kgqa:source ?p . ?p a kgqa:Passage ; kgqa:file ?file ; kgqa:lineStart ?s ;
                                        kgqa:lineEnd ?e ; kgqa:text ?text }
        } GROUP BY ?f""",
    )
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert len(found) == manifest["counts"]["facts"] > 100
    assert [r for r in found if r["n"] != 1] == []
    for r in found:
        assert r["pfile"] == SAMPLE.name
        assert 1 <= r["start"] <= r["end"] <= len(sample_lines)
        assert r["statement"] in r["ptext"], r


def test_services_and_aliases_are_in_the_graph(graph):
    found = rows(
        graph,
        """
        SELECT ?label ?parentLabel WHERE {
          ?c a kgqa:Component ; rdfs:label ?label ; skos:altLabel "ALB" ; kgqa:componentOf ?parent .
          ?parent rdfs:label ?parentLabel .
        }""",
    )
    assert found == [{"label": "Application Load Balancer", "parentLabel": "ELB"}]
    assert (service_uri("aws-lambda"), RDFS.label, Literal("AWS Lambda")) in graph


# ---- stable ids ----


def test_passage_ids_are_stable_across_two_builds(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "queues.md").write_text(
        "SQS: Simple Queue Service\n- Maximum retention is 14 days\n- Limitation of 256 KB per message sent\n",
        encoding="utf-8",
    )
    ids = []
    uris = []
    for name in ("a", "b"):
        out = tmp_path / name
        build_index(Settings(notes_dir=str(notes), index_dir=str(out)), progress=False)
        with (out / "passages.jsonl").open(encoding="utf-8") as fh:
            ids.append([json.loads(line)["id"] for line in fh])
        g = Graph().parse(out / "graph.ttl", format="turtle")
        uris.append(sorted(str(s) for s in g.subjects(RDF.type, KGQA.Passage)))
    assert len(ids[0]) == 3
    assert ids[0] == ids[1]
    assert uris[0] == uris[1] == sorted(str(passage_uri(i)) for i in ids[0])


def test_session_index_ids_match_a_fresh_parse(index_dir):
    from conftest import NOTES

    from ingest.parser import parse_file

    with (index_dir / "passages.jsonl").open(encoding="utf-8") as fh:
        built = [json.loads(line)["id"] for line in fh]
    assert built == [p.id for p in parse_file(SAMPLE, NOTES)]
