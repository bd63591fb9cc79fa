"""The RDF knowledge graph: its triples for the services and per notes file (written as Turtle parts by kg.turtle),
the whole graph in rdflib, and SHACL validation."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from importlib import resources
from urllib.parse import quote

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV, SKOS
from rdflib.term import Node

from kg.model import Fact, FactKind, Passage, Service, content_id

KGQA = Namespace("https://kgqa.dev/ontology#")
ID = Namespace("https://kgqa.dev/id/")
PREDICATE_FOR_KIND = {
    FactKind.LIMIT: KGQA.hasLimit,
    FactKind.PRICING: KGQA.hasPricing,
    FactKind.FEATURE: KGQA.hasFeature,
}

PREFIXES = """PREFIX kgqa: <https://kgqa.dev/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


def service_uri(sid: str) -> URIRef:
    return ID[f"service/{sid}"]


def passage_uri(pid: str) -> URIRef:
    return ID[f"passage/{pid}"]


def fact_uri(fid: str) -> URIRef:
    return ID[f"fact/{fid}"]


def file_uri(path: str) -> URIRef:
    return ID[f"file/{quote(path, safe='/')}"]


def _decimal(x: float) -> Literal:
    return Literal(Decimal(repr(float(x))).normalize(), datatype=XSD.decimal)


def ontology_graph() -> Graph:
    g = Graph()
    g.parse(data=resources.files("kg").joinpath("ontology.ttl").read_text("utf-8"), format="turtle")
    return g


def shapes_graph() -> Graph:
    g = Graph()
    g.parse(data=resources.files("kg").joinpath("shapes.ttl").read_text("utf-8"), format="turtle")
    return g


Triple = tuple[URIRef, URIRef, Node]


def service_triples(services: Iterable[Service]) -> Iterator[Triple]:
    """The services and components with their labels: the corpus-wide part of the graph."""
    for s in services:
        node = service_uri(s.id)
        yield (node, RDF.type, KGQA.Service)
        if s.parent:
            yield (node, RDF.type, KGQA.Component)
            yield (node, KGQA.componentOf, service_uri(s.parent))
        yield (node, RDFS.label, Literal(s.label))
        yield (node, SKOS.prefLabel, Literal(s.label))
        for alias in s.aliases:
            yield (node, SKOS.altLabel, Literal(alias))


def file_triples(path: str, digest: str | None, passages: Iterable[Passage], facts: Iterable[Fact]) -> Iterator[Triple]:
    """One notes file's part of the graph: the file, its passages and sections, and the facts read from them.
    It depends on that file alone and on the service ids its passages and facts point to."""
    if digest is not None:
        f = file_uri(path)
        yield (f, RDF.type, KGQA.NotesFile)
        yield (f, KGQA.file, Literal(path))
        yield (f, KGQA.sha256, Literal(digest))
    sections: dict[str, URIRef] = {}
    for p in passages:
        node = passage_uri(p.id)
        yield (node, RDF.type, KGQA.Passage)
        yield (node, KGQA.file, Literal(p.file))
        yield (node, KGQA.inFile, file_uri(p.file))
        yield (node, KGQA.lineStart, Literal(p.line_start, datatype=XSD.integer))
        yield (node, KGQA.lineEnd, Literal(p.line_end, datatype=XSD.integer))
        yield (node, KGQA.text, Literal(p.text))
        if p.is_heading:
            yield (node, KGQA.isHeading, Literal(True))
        if p.service:
            yield (node, KGQA.about, service_uri(p.service))
        if p.section:
            key = f"{p.file}\x1f{p.heading}"
            if key not in sections:
                sections[key] = ID[f"section/{content_id(p.file, p.heading)}"]
                yield (sections[key], RDF.type, KGQA.Section)
                yield (sections[key], KGQA.headingPath, Literal(p.heading))
                yield (sections[key], RDFS.label, Literal(p.section[-1]))
            yield (node, KGQA.section, sections[key])
    for fact in facts:
        yield from fact_triples(fact)


def fact_triples(fact: Fact) -> Iterator[Triple]:
    node = fact_uri(fact.id)
    yield (node, RDF.type, KGQA[fact.kind])
    yield (service_uri(fact.service), PREDICATE_FOR_KIND[fact.kind], node)
    yield (node, RDFS.label, Literal(fact.label))
    yield (node, KGQA.statement, Literal(fact.text))
    yield (node, KGQA.source, passage_uri(fact.passage))
    yield (node, PROV.wasDerivedFrom, passage_uri(fact.passage))
    if fact.value is not None:
        yield (node, KGQA.value, _decimal(fact.value))
    if fact.value_max is not None:
        yield (node, KGQA.valueMax, _decimal(fact.value_max))
    if fact.unit:
        yield (node, KGQA.unit, Literal(fact.unit))
    if fact.base_value is not None:
        yield (node, KGQA.baseValue, _decimal(fact.base_value))
    if fact.base_unit:
        yield (node, KGQA.baseUnit, Literal(fact.base_unit))
    if fact.qualifier:
        yield (node, KGQA.qualifier, Literal(fact.qualifier))
    if fact.billing_unit:
        yield (node, KGQA.billingUnit, Literal(fact.billing_unit))


def build_graph(
    services: Sequence[Service],
    passages: Sequence[Passage],
    facts: Iterable[Fact],
    file_hashes: dict[str, str],
) -> Graph:
    """The whole graph in rdflib (for validation and tests; ``kgqa ingest`` writes the same triples as Turtle
    parts, see kg.turtle)."""
    g = Graph()
    g.bind("kgqa", KGQA)
    g.bind("skos", SKOS)
    g.bind("prov", PROV)
    g.bind("id", ID)
    by_file: dict[str, list[Passage]] = {path: [] for path in sorted(file_hashes)}
    for p in passages:
        by_file.setdefault(p.file, []).append(p)
    for path, ps in by_file.items():
        for t in file_triples(path, file_hashes.get(path), ps, ()):
            g.add(t)
    for t in service_triples(services):
        g.add(t)
    for fact in facts:
        for t in fact_triples(fact):
            g.add(t)
    return g


def validate(data: Graph) -> tuple[bool, str]:
    """SHACL validation of a built graph against kg/shapes.ttl (with the ontology for class inference)."""
    from pyshacl import validate as shacl_validate

    conforms, _report_graph, report_text = shacl_validate(
        data, shacl_graph=shapes_graph(), ont_graph=ontology_graph(), inference="rdfs", advanced=True
    )
    return bool(conforms), str(report_text)
