"""Outlines, subjects and facts of the notes fixtures written in other voices (outliner, prose, tables,
Obsidian): what ingest must get right before any question is asked. Real parser, no model."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.extract import extract_facts
from ingest.parser import parse_file
from ingest.services import build_services
from kg.model import BlockKind, Passage, Service

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _read(name: str) -> tuple[list[Service], list[Passage]]:
    root = FIXTURES / name
    passages = [p for f in sorted(root.iterdir()) if f.suffix in (".md", ".txt") for p in parse_file(f, root)]
    return build_services(passages)


def _services(services: list[Service]) -> dict[str, Service]:
    return {s.id: s for s in services}


def _at(passages: list[Passage], file: str, line: int) -> Passage:
    return next(p for p in passages if p.file == file and p.line_start <= line <= p.line_end)


def _facts(passages: list[Passage], service: str) -> list[tuple[str, float | None, str | None]]:
    return [(f.label, f.value, f.unit) for p in passages if p.service == service for f in extract_facts(p, service)]


def test_outliner_children_are_read_with_their_parents() -> None:
    services, passages = _read("notes_outliner")
    limit = _at(passages, "ecs-fargate.md", 19)  # "max 10 containers per task def" under "task definition"
    assert limit.kind is BlockKind.ITEM and limit.section[-1] == "task definition"
    cpu = _at(passages, "ecs-fargate.md", 48)  # "16 vcpu max" under fargate > task size > cpu
    assert cpu.section == ("ECS Fargate", "fargate", "task size", "cpu") and cpu.service == "fargate"
    assert (cpu.line_start, cpu.line_end) == (48, 48)


def test_outliner_lowercase_names_are_subjects_with_their_definitions() -> None:
    services, passages = _read("notes_outliner")
    by_id = _services(services)
    assert {"ecs", "ecr", "fargate", "cognito"} <= set(by_id)
    assert by_id["ecs"].label == "ECS" and "elastic container service" in by_id["ecs"].aliases
    assert not {"task-definition", "user-pools", "env"} & set(by_id), "ordinary words are topics, not subjects"
    assert ("vcpu", 16.0, "vcpu") in _facts(passages, "fargate")


def test_prose_files_without_a_title_take_their_subject_from_the_file_name() -> None:
    services, passages = _read("notes_prose")
    by_id = _services(services)
    for file, sid in [("02-cloudfront.md", "cloudfront"), ("04-rds.md", "rds"), ("07-elasticache.md", "elasticache")]:
        assert sid in by_id, sorted(by_id)
        assert {p.service for p in passages if p.file == file} == {sid}
    assert all(p.kind is BlockKind.PARAGRAPH for p in passages if p.file == "02-cloudfront.md")


def test_prose_setext_titles_are_headings() -> None:
    _, passages = _read("notes_prose")
    title = next(p for p in passages if p.file == "03-api-gateway.md" and p.is_heading)
    assert title.line_start == 1 and "=" not in title.text and title.kind is BlockKind.HEADING


def test_tables_rows_are_labelled_and_code_gives_no_facts() -> None:
    _, passages = _read("notes_tables")
    rows = [p for p in passages if p.kind is BlockKind.TABLE_ROW]
    assert len(rows) >= 20 and all("|" not in p.text for p in rows)
    assert all(p.line_start == p.line_end for p in rows), "a row cites its own line"
    assert ("max memory", 10240.0, "MB") in _facts(passages, "lambda")
    code = [p for p in passages if p.kind is BlockKind.CODE]
    assert code and all(extract_facts(p, p.service or "x") == [] for p in code)
    steps = [p for p in passages if p.kind is BlockKind.STEP]
    assert steps and not any(p.text[:2].rstrip(".").isdigit() for p in steps), "step numbers are not text"
    assert not any("**" in p.text or "\\" in p.text for p in passages if p.kind is not BlockKind.CODE)


def test_obsidian_vault_title_links_callouts_and_front_matter() -> None:
    services, passages = _read("notes_k8s")
    by_id = _services(services)
    assert {"pods", "deployments", "probes", "etcd", "hpa"} <= set(by_id)
    assert not any(s.label.lower().startswith("my") for s in services), "a collection's title is no subject"
    assert not any(s.label.startswith(("AWS ", "Amazon ")) for s in services for _ in s.aliases)
    assert not any("AWS" in a for s in services for a in s.aliases), "no vendor aliases for notes without one"
    texts = [p.text for p in passages if p.kind is not BlockKind.CODE]
    assert not any("[[" in t or "[!" in t or t.startswith("tags:") for t in texts)
    lifecycle = [p for p in passages if p.file == "Pods.md" and "Lifecycle" in p.section]
    assert lifecycle and {p.service for p in lifecycle} == {"pods"}, "a topic heading stays with its subject"


@pytest.mark.parametrize("name", ["notes_outliner", "notes_prose", "notes_tables", "notes_k8s"])
def test_every_passage_cites_lines_that_exist(name: str) -> None:
    _, passages = _read(name)
    for p in passages:
        total = len((FIXTURES / name / p.file).read_text(encoding="utf-8").split("\n"))
        assert 1 <= p.line_start <= p.line_end <= total, p
