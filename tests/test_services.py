"""Service recognition on the real notes: acronyms, long names and components merged into one service."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, NOTES, SAMPLE

from ingest.parser import parse_file
from ingest.services import build_services
from kg.model import Passage, Service

OTHER = FIXTURES / "notes_other"
MESSAGING = OTHER / "messaging-notes.md"


def services_of(*files: tuple[Path, Path]) -> tuple[dict[str, Service], list[Passage]]:
    passages: list[Passage] = []
    for path, root in files:
        passages += parse_file(path, root)
    services, out = build_services(passages)
    assert len({s.id for s in services}) == len(services), "service ids must be unique"
    return {s.id: s for s in services}, out


@pytest.fixture(scope="module")
def sample() -> tuple[dict[str, Service], list[Passage]]:
    return services_of((SAMPLE, NOTES))


@pytest.fixture(scope="module")
def messaging() -> tuple[dict[str, Service], list[Passage]]:
    return services_of((MESSAGING, OTHER))


def components_of(services: dict[str, Service], parent: str) -> dict[str, Service]:
    return {s.label: s for s in services.values() if s.parent == parent}


def test_elb_merges_its_long_names_and_has_the_alb_as_a_component(sample, sample_lines):
    services, _ = sample
    elb = services["elb"]
    assert elb.label == "ELB" and elb.parent is None
    assert {"Elastic Load Balancers", "Elastic Load Balancer", "Load Balancers", "Load Balancer"} <= set(elb.aliases)
    assert elb.line == sample_lines.index("ELB: Elastic Load Balancers") + 1
    parts = components_of(services, "elb")
    assert "ALB" in parts["Application Load Balancer"].aliases
    assert "NLB" in parts["Network Load Balancer"].aliases
    # the component is not a second top-level service
    assert not [s for s in services.values() if s.label == "Application Load Balancer" and s.parent is None]


def test_aws_lambda_is_also_called_lambda(sample, sample_lines):
    services, passages = sample
    lam = services["aws-lambda"]
    assert lam.label == "AWS Lambda" and "Lambda" in lam.aliases
    assert lam.line == sample_lines.index("AWS Lambda") + 1
    n = sample_lines.index("- Maximum execution time: 900 seconds (15 minutes)") + 1
    limit = [p for p in passages if p.line_start == n]
    assert [p.service for p in limit] == ["aws-lambda"], "passages come back with the service id"


def test_dynamodb_indexes_are_components_with_their_acronyms(sample):
    services, _ = sample
    assert services["dynamodb"].label == "DynamoDB"
    parts = components_of(services, "dynamodb")
    assert "LSI" in parts["Local Secondary Index"].aliases
    assert "GSI" in parts["Global Secondary Index"].aliases


def test_every_passage_service_is_a_known_service(sample):
    services, passages = sample
    assert {p.service for p in passages if p.service} <= set(services)
    assert all(s.parent in services for s in services.values() if s.parent)
    assert all(s.label not in s.aliases for s in services.values())


def test_messaging_notes_give_services_with_acronym_and_long_name_merged(messaging):
    services, _ = messaging
    tops = {s.label: s for s in services.values() if s.parent is None}
    long_names = {
        "SQS": "Simple Queue Service",
        "SNS": "Simple Notification Service",
        "SES": "Simple Email Service",
    }
    for acronym, long in long_names.items():
        assert long in tops[acronym].aliases, tops[acronym]
        assert tops[acronym].file == "messaging-notes.md"
    assert len(tops) >= 4
    lines = MESSAGING.read_text(encoding="utf-8").split("\n")
    assert tops["SQS"].line == lines.index("SQS: Simple Queue Service") + 1
    assert "DLQ" in components_of(services, "sqs")["Dead Letter Queue"].aliases


def test_two_notes_folders_merge_without_duplicate_services(sample):
    services, passages = services_of((SAMPLE, NOTES), (MESSAGING, OTHER))
    sns = [s for s in services.values() if "SNS" in (s.label, *s.aliases)]
    assert [s.id for s in sns] == ["sns"], "SNS is one service once a file defines it"
    assert services["aws-lambda"].file == SAMPLE.name
    assert services["sqs"].file == "messaging-notes.md"
    assert {p.file for p in passages} == {SAMPLE.name, "messaging-notes.md"}
    assert set(sample[0]) - set(services) <= {"aws-lambda--simple-notification-service"}


def test_kinesis_notes_are_not_filed_under_sns(messaging):
    _, passages = messaging
    kinesis = [p for p in passages if p.section and p.section[-1].startswith("Kinesis Data Streams")]
    assert kinesis
    assert all(p.service != "sns" for p in kinesis), {p.service for p in kinesis}
