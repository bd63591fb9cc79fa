"""Answer composition without the model: hand-made passages and candidates, an index with no vectors.

Each test states a rule of how a short answer is put together from the ranked passages.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kg.model import BlockKind, Fact, FactKind, Passage, QuestionKind, Service
from kg.qa.compose import MAX_ANSWER, Composed, _figure, compose, converted
from kg.qa.index import Index
from kg.qa.lexicon import Lexicon
from kg.qa.question import Query, analyse
from kg.qa.retrieve import Candidate, coverage, label_signals

SERVICES = [Service("kafka", "Kafka"), Service("rabbitmq", "RabbitMQ"), Service("postgresql", "PostgreSQL")]


def notes(file: str, rows: list[tuple[str, tuple[str, ...], str, bool, str]]) -> list[Passage]:
    """Passages of one file, a line each: (text, section, service, is_heading, lead)."""
    return [
        Passage(
            id=f"{file}:{n}",
            file=file,
            line_start=n,
            line_end=n,
            text=text,
            section=section,
            service=service,
            is_heading=heading,
            lead=lead,
        )
        for n, (text, section, service, heading, lead) in enumerate(rows, 1)
    ]


PG = ("PostgreSQL",)
IDX = ("PostgreSQL", "Index types")
KAFKA = ("Kafka",)
RABBIT = ("RabbitMQ",)
LONG = "Autovacuum " + "reclaims the space of dead rows and keeps table statistics fresh for the planner, " * 6

PASSAGES = notes(
    "databases.md",
    [
        ("PostgreSQL", PG, "postgresql", True, ""),
        ("PostgreSQL is a relational database with strong SQL support", PG, "postgresql", False, ""),
        ("Index types:", PG, "postgresql", False, ""),
        ("B-tree: the default, for equality and range lookups", IDX, "postgresql", False, "Index types:"),
        ("Hash: equality lookups only", IDX, "postgresql", False, "Index types:"),
        ("GIN: arrays, JSON documents and full-text search", IDX, "postgresql", False, "Index types:"),
        ("Write-ahead log", ("PostgreSQL", "Write-ahead log"), "postgresql", True, ""),
        ("Kept for 3 checkpoints", ("PostgreSQL", "Write-ahead log"), "postgresql", False, ""),
        (
            "WAL: every change is written to a log before the data files",
            ("PostgreSQL", "Write-ahead log"),
            "postgresql",
            False,
            "",
        ),
        ("Statement timeout defaults to 900 seconds", PG, "postgresql", False, ""),
        ("Replies wait in a queue until a client asks for them", PG, "postgresql", False, ""),
        ("This is called long polling", PG, "postgresql", False, ""),
        (LONG, PG, "postgresql", False, ""),
        ("Kafka", KAFKA, "kafka", True, ""),
        ("Kafka keeps messages for a retention period, even after they are read", KAFKA, "kafka", False, ""),
        ("RabbitMQ", RABBIT, "rabbitmq", True, ""),
        ("RabbitMQ deletes a message once a consumer acknowledges it", RABBIT, "rabbitmq", False, ""),
    ],
)


def small_index(passages: list[Passage]) -> Index:
    index = Index(
        folder=Path("."),
        manifest={},
        passages=passages,
        services={s.id: s for s in SERVICES},
        facts=[],
        store=None,  # type: ignore[arg-type]
        vectors=None,  # type: ignore[arg-type]
        lexicon=Lexicon(SERVICES, passages),
        bm25=None,
    )
    index.by_id = {p.id: p for p in passages}
    index.position = {p.id: i for i, p in enumerate(passages)}
    return index


@pytest.fixture(scope="module")
def index() -> Index:
    return small_index(PASSAGES)


def line(text: str) -> Passage:
    return next(p for p in PASSAGES if p.text.startswith(text))


def ranked(*texts: str, kind_fit: tuple[float, ...] = ()) -> list[Candidate]:
    fits = kind_fit or (0.5,) * len(texts)
    return [
        Candidate(line(t), score=1.0 - i / 10, kind_fit=f) for i, (t, f) in enumerate(zip(texts, fits, strict=True))
    ]


def query(index: Index, text: str) -> Query:
    return analyse(text, index.lexicon)


def answered(idx: Index, question: str, top: Passage) -> tuple[Query, Composed]:
    """The question analysed against the index and answered from ``top`` alone."""
    q = query(idx, question)
    return q, compose(idx, q, [Candidate(top, score=1.0)], [])


def test_a_list_is_gathered_from_the_sibling_bullets(index: Index) -> None:
    # the best passage is one bullet; the question wants all of them, under the line that introduces them
    q = query(index, "what are the types of indexes in postgresql")
    assert q.kind is QuestionKind.LIST
    out = compose(index, q, ranked("Hash: equality"), [])
    assert out.is_list
    assert out.text.startswith("PostgreSQL — Index types: ")  # the service, then the list's own name
    for name in ("B-tree", "Hash", "GIN"):
        assert name in out.text
    # cited from the introducing line to the last item
    assert [p.line_start for p in out.passages] == [3, 4, 5, 6]


def test_a_comparison_answers_both_sides(index: Index) -> None:
    # the top line only speaks of Kafka: the best line about RabbitMQ is added
    q = query(index, "kafka vs rabbitmq: what happens to a message after it is read")
    assert q.kind is QuestionKind.COMPARISON
    out = compose(index, q, ranked("Kafka keeps", "RabbitMQ deletes"), [])
    assert "Kafka keeps messages" in out.text and "RabbitMQ deletes" in out.text
    assert {p.service for p in out.passages} == {"kafka", "rabbitmq"}


def test_a_value_is_converted_to_the_unit_asked_for(index: Index) -> None:
    q = query(index, "what is the default statement timeout in minutes")
    fact = Fact(
        id="f1",
        kind=FactKind.LIMIT,
        service="postgresql",
        label="statement timeout",
        passage=line("Statement timeout").id,
        text="Statement timeout defaults to 900 seconds",
        value=900,
        unit="seconds",
        base_value=900,
        base_unit="seconds",
        qualifier="default",
    )
    out = compose(index, q, ranked("Statement timeout"), [fact])
    assert out.text.endswith("900 seconds (= 15 minutes)")
    # no conversion when the notes already say it in the unit asked for
    assert converted(fact, q, "900 seconds (15 minutes)") == ""
    # nor when the question asks in the unit the notes use
    assert converted(fact, query(index, "statement timeout in seconds")) == ""
    # nor between temperature scales, which no factor converts: 230 °C is not 230 °F
    oven = replace(fact, label="oven", value=230, unit="°C", base_value=230, base_unit="degrees", qualifier=None)
    assert converted(oven, query(index, "oven temperature in fahrenheit")) == ""
    assert converted(replace(oven, unit="kg", base_value=230000, base_unit="g"), query(index, "in lbs")) != ""


def test_a_definition_under_a_heading_is_its_defining_line(index: Index) -> None:
    # the heading ranks first; the answer is the line under it that reads most like a definition,
    # not merely the first line under it
    q = query(index, "what is the write-ahead log")
    assert q.kind is QuestionKind.DEFINITION
    out = compose(index, q, ranked("Write-ahead log", "Kept for 3", "WAL: every change", kind_fit=(0.3, 0.3, 1.0)), [])
    assert "every change is written to a log" in out.text
    assert "Kept for 3" not in out.text


def test_a_line_that_names_the_previous_one_brings_it_along(index: Index) -> None:
    # "This is called long polling" alone says nothing: the line before says what it is
    q = query(index, "what is long polling")
    out = compose(index, q, ranked("This is called long polling"), [])
    assert "Replies wait in a queue" in out.text and "long polling" in out.text
    assert [p.line_start for p in out.passages] == [11, 12]


def test_answers_are_at_most_300_characters(index: Index) -> None:
    q = query(index, "what does autovacuum do")
    out = compose(index, q, ranked("Autovacuum"), [])
    assert MAX_ANSWER == 300
    assert len(out.text) <= MAX_ANSWER
    assert out.text.endswith("…")  # cut at a word, and says so
    assert not out.text[:-1].endswith(" ")


PROSE = (
    "Replication in PostgreSQL streams the write-ahead log from the primary to each standby over a normal "
    "connection, and a standby can serve read-only queries while it replays; synchronous replication makes a "
    "commit wait until a standby confirms the write, which costs latency on every transaction; the number of "
    "standbys that may connect is capped by max_wal_senders, which defaults to 10, and every standby holds one "
    "of those slots for as long as it is attached to the primary."
)


def test_a_long_line_is_cut_to_the_part_that_answers(index: Index) -> None:
    # one long prose line holding several facts: the answer is the clause the question is about, not the
    # first 300 characters of the line
    idx = small_index(notes("replication.txt", [(PROSE, PG, "postgresql", False, "")]))
    _, out = answered(idx, "how many standbys can connect by default (max_wal_senders)", idx.passages[0])
    assert len(out.text) <= MAX_ANSWER
    assert "defaults to 10" in out.text
    assert "… " in out.text  # what was left out before the part is marked
    assert PROSE.index("defaults to 10") > MAX_ANSWER  # a plain cut would have lost it
    # a short line is left whole
    short = compose(index, query(index, "statement timeout"), ranked("Statement timeout"), [])
    assert short.text == "PostgreSQL — Statement timeout defaults to 900 seconds"


DOC = (
    "Immediately after a message is received, it remains in the queue. To prevent other consumers from "
    "processing the message again, the broker sets a visibility timeout, a period of time during which it "
    "prevents other consumers from receiving and processing the message. The default visibility timeout for a "
    "message is 30 seconds. The minimum is 0 seconds. The maximum is 12 hours. For information about configuring "
    "the visibility timeout for a queue using the console, see the chapter on configuring queue parameters."
)


def test_a_long_paragraph_is_cut_to_the_sentences_that_cover_the_question() -> None:
    # documentation writes a paragraph of sentences on one line: the sentence covering most of the question
    # ("visibility timeout") and its neighbours are not enough when the asked bound ("max") is further on
    idx = small_index(notes("visibility.md", [(DOC, ("Visibility timeout",), "rabbitmq", False, "")]))
    _, out = answered(idx, "max visibility timeout i can set on a queue?", idx.passages[0])
    assert len(out.text) <= MAX_ANSWER
    assert "The maximum is 12 hours." in out.text and "visibility timeout" in out.text
    assert "… " in out.text  # a sentence left out is marked
    # each sentence shown once, in the paragraph's order
    shown = [DOC.index(part) for part in ("Immediately", "The default", "The maximum") if part in out.text]
    assert shown == sorted(shown)


def test_paragraphs_too_long_to_list_are_not_answered_with_their_heading_alone() -> None:
    # a list question over prose paragraphs: no paragraph fits as a list item, so the answer is the
    # paragraph that says it, cut to the part that answers, not "Replication:" with nothing after it
    rows = [("Replication", ("Replication",), "postgresql", True, "")]
    rows += [
        (PROSE, ("Replication",), "postgresql", False, ""),
        (PROSE.upper(), ("Replication",), "postgresql", False, ""),
    ]
    idx = small_index(notes("replication.txt", rows))
    q = query(idx, "list the standby connection caps")
    assert q.kind is QuestionKind.LIST
    out = compose(idx, q, [Candidate(p, score=1.0 - i / 10) for i, p in enumerate(idx.passages)], [])
    assert "max_wal_senders" in out.text
    assert len(out.text) <= MAX_ANSWER


def test_the_service_is_named_when_the_line_does_not(index: Index) -> None:
    q = query(index, "how long is the postgres statement timeout")
    out = compose(index, q, ranked("Statement timeout"), [])
    assert out.text.startswith("PostgreSQL — Statement timeout")
    # a line that already names it is not prefixed again
    out = compose(index, query(index, "what is postgresql"), ranked("PostgreSQL is a relational"), [])
    assert out.text.startswith("PostgreSQL is a relational")


def test_a_which_question_is_answered_with_the_name_of_the_item_the_line_is_under() -> None:
    from kg.model import BlockKind, Passage
    from kg.qa.compose import _named
    from kg.qa.question import Query

    line = Passage(
        "p",
        "n.md",
        9,
        9,
        "the only mode the scheduler supports",
        ("runner", "network modes", "overlay"),
        kind=BlockKind.ITEM,
        subject_depth=1,
    )
    asked = "which network mode does the runner need"
    which = Query(text=asked, normalised=asked, kind="feature", services=())
    assert _named(which, line, "runner", line.text) == "overlay: the only mode the scheduler supports"
    plain = Query(text="what does the runner need", normalised="what does the runner need", kind="feature", services=())
    assert _named(plain, line, "runner", line.text) == line.text, "only questions that ask to name one"
    top_level = Passage("q", "n.md", 3, 3, "a scheduler for jobs", ("runner",), kind=BlockKind.ITEM, subject_depth=1)
    assert _named(which, top_level, "runner", top_level.text) == top_level.text


def test_a_line_under_an_item_that_names_the_noun_asked_for_says_the_item() -> None:
    from kg.model import BlockKind, Passage
    from kg.qa.compose import _named

    line = Passage(
        "p",
        "n.md",
        9,
        9,
        "used by the agent to pull images and write logs",
        ("runner", "roles", "task execution role"),
        kind=BlockKind.ITEM,
        subject_depth=1,
    )
    asked = "what role does the agent use to pull images"
    q = Query(text=asked, normalised=asked, kind="feature", services=(), asked="role")
    assert _named(q, line, "runner", line.text) == "task execution role: " + line.text
    other = Query(text="what does the agent use", normalised="what does the agent use", kind="feature", services=())
    assert _named(other, line, "runner", line.text) == line.text, "no noun asked for: the line alone"


def test_a_topic_item_is_answered_with_the_content_nested_under_it() -> None:
    topic = ("Evidence", "order of volatility (most volatile first)")
    passages = notes(
        "forensics.txt",
        [
            ("Evidence", ("Evidence",), "", True, ""),
            ("order of volatility (most volatile first)", ("Evidence",), "", False, ""),
            ("CPU registers -> RAM -> swap -> disk -> backups", topic, "", False, ""),
            ("chain of custody = who handled the evidence and when", ("Evidence",), "", False, ""),
        ],
    )
    idx = small_index(passages)
    _, out = answered(idx, "order of volatility for evidence collection", passages[1])
    assert "RAM -> swap" in out.text and [p.line_start for p in out.passages] == [2, 3]


def test_an_item_naming_a_list_nested_under_it_is_answered_with_the_list() -> None:
    # "metrics you can scale on" is a label over three items, not a sentence: the answer is what is under it,
    # while an item that says more than a label keeps its own words
    label = ("Autoscaling", "metrics you can scale on")
    passages = notes(
        "scaling.md",
        [
            ("Autoscaling", ("Autoscaling",), "", True, ""),
            ("metrics you can scale on", ("Autoscaling",), "", False, ""),
            ("AverageCPUUtilization", label, "", False, ""),
            ("AverageMemoryUtilization", label, "", False, ""),
            ("RequestCountPerTarget", label, "", False, ""),
            ("cooldown: 300 s by default", ("Autoscaling",), "", False, ""),
            ("tuned per service", ("Autoscaling", "cooldown"), "", False, ""),
        ],
    )
    idx = small_index(passages)
    _, out = answered(idx, "what metrics can scaling track", passages[1])
    assert all(m in out.text for m in ("AverageCPUUtilization", "AverageMemoryUtilization", "RequestCountPerTarget"))
    _, said = answered(idx, "autoscaling cooldown", passages[5])
    assert "300 s by default" in said.text


def test_table_rows_too_long_to_list_whole_are_named_by_their_first_cell_with_what_fits_of_the_rest() -> None:
    head = ("DORA bands",)
    cells = "Elite: " + "less than one hour; " * 3 + "High: between one day and one week; Low: more than six months"
    rows = [("DORA bands", head, "", True, "")]
    rows += [(f"{m} — {cells}", head, "", False, "") for m in ("Deploy frequency", "Lead time", "Restore time")]
    passages = [replace(p, kind=BlockKind.TABLE_ROW) if not p.is_heading else p for p in notes("dora.md", rows)]
    idx = small_index(passages)
    _, out = answered(idx, "list the dora bands", passages[1])
    parts = out.text.removeprefix("DORA bands: ").split("…; ")
    assert [p.split(" — ")[0] for p in parts] == ["Deploy frequency", "Lead time", "Restore time"], out.text
    assert all(p.split(" — ")[1].startswith("Elite: less than one hour") for p in parts), "each row's details"
    assert len(out.text) <= 300 and "Low: more than six months" not in out.text, "cut to an equal share each"


def test_a_list_skips_the_details_nested_under_its_items() -> None:
    rows = [
        ("Challenges", ("Challenges",), "", True, ""),
        ("HTTP-01 over port 80", ("Challenges",), "", False, ""),
        ("port 80 must be open", ("Challenges", "HTTP-01"), "", False, ""),
        ("DNS-01 with a TXT record", ("Challenges",), "", False, ""),
        ("the only way to a wildcard", ("Challenges", "DNS-01"), "", False, ""),
        ("TLS-ALPN-01 on port 443", ("Challenges",), "", False, ""),
    ]
    passages = notes("certs.txt", rows)
    idx = small_index(passages)
    q, out = answered(idx, "the acme challenge types", passages[3])
    assert q.kind is QuestionKind.LIST
    assert out.is_list and [p.line_start for p in out.passages] == [1, 2, 4, 6]
    assert analyse("vxlan overhead in bytes", idx.lexicon).kind is QuestionKind.NUMBER  # a unit, not a list


def test_a_numbered_list_gives_every_step_and_no_note_between() -> None:
    lines = [
        "HTTP-01 -> the CA fetches a token file over port 80 from the web root of the site",
        "DNS-01 -> you put a TXT record under the domain, the only way to get a wildcard",
        "TLS-ALPN-01 -> runs on port 443 with a self-signed cert, the client doesn't do it natively",
        "NB: a proxy in front must route the challenge path to the box that runs the client",
    ]
    rows = [("Challenges", ("Challenges",), "", True, "")] + [(t, ("Challenges",), "", False, "") for t in lines]
    # lines 2-4 are numbered ("1)", "2)", "3)"), the note after them is not
    passages = [replace(p, kind=BlockKind.STEP) if 2 <= p.line_start <= 4 else p for p in notes("certs.txt", rows)]
    idx = small_index(passages)
    _, out = answered(idx, "the acme challenge types", passages[2])
    assert out.is_list and [p.line_start for p in out.passages] == [1, 2, 3, 4]
    assert all(name in out.text for name in ("HTTP-01", "DNS-01", "TLS-ALPN-01")) and "NB" not in out.text
    assert len(out.text) <= MAX_ANSWER


def test_a_year_is_no_quantity_but_a_year_sized_figure_with_a_unit_is(index: Index) -> None:
    from kg.qa.retrieve import shape_signals

    q = query(index, "how much memory does a postgres replica need")
    assert q.kind is QuestionKind.NUMBER
    dated, sized = notes(
        "dates.md",
        [
            ("Replicas came in PostgreSQL 9.0 (2010-09-20)", PG, "postgresql", False, ""),
            ("A replica wants 2048 MB of memory", PG, "postgresql", False, ""),
        ],
    )
    assert "number" in shape_signals(index, q, sized, [], [])
    # 9.0 is a version, still a figure; with only the date left the line states no quantity
    assert "number" in shape_signals(index, q, dated, [], [])
    only_date = replace(dated, text="Replicas came in (2010-09-20), see the 2011 release notes")
    assert shape_signals(index, q, only_date, [], []) == []


def test_a_shortened_word_covers_the_word_it_shortens(index: Index) -> None:
    q = query(index, "postgres index documents")
    row = notes("short.md", [("Index docs are on the wiki", PG, "postgresql", False, "")])[0]
    body, head, short = coverage(index, q, row)
    assert head == 0.0
    assert 0.0 < body < 1.0 and 0.0 < short < 1.0  # "index" in full, "documents" as "docs"
    assert body + short == pytest.approx(1.0)
    # a word that only looks alike is none: "dox" does not shorten "documents"
    row2 = replace(row, id="short.md:2", text="Index dox wiki")
    assert coverage(index, q, row2)[2] == 0.0


def test_a_list_ends_where_the_lines_its_lead_introduced_end() -> None:
    sec = ("PostgreSQL", "Replication")
    rows = notes(
        "repl.txt",
        [
            ("Replication", sec, "postgresql", True, ""),
            ("modes:", sec, "postgresql", False, ""),
            ("streaming", sec, "postgresql", False, "modes"),
            ("logical", sec, "postgresql", False, "modes"),
            ("max_wal_senders default 10", sec, "postgresql", False, ""),
        ],
    )
    idx = small_index(rows)
    _, out = answered(idx, "which replication modes does postgres have", rows[1])
    assert out.is_list
    assert "streaming" in out.text and "logical" in out.text
    assert "max_wal_senders" not in out.text  # the parser did not put it under "modes:"


def test_a_figure_asked_is_read_from_the_line_before_one_that_only_refers_to_it() -> None:
    sec = ("PostgreSQL", "Vacuum")
    rows = notes(
        "vacuum.txt",
        [
            ("Vacuum", sec, "postgresql", True, ""),
            ("autovacuum_freeze_max_age default 200 million", sec, "postgresql", False, ""),
            ("tables older than that many transactions get an aggressive vacuum", sec, "postgresql", False, ""),
        ],
    )
    idx = small_index(rows)
    q, out = answered(idx, "how many transactions old does a table get before an aggressive vacuum", rows[2])
    assert q.kind is QuestionKind.NUMBER
    assert "200 million" in out.text
    assert [p.line_start for p in out.passages] == [2, 3]


def test_a_list_asked_of_a_line_that_names_its_items_under_the_asked_label_is_that_line() -> None:
    sec = ("Kafka", "Producer")
    rows = notes(
        "kafka.txt",
        [
            ("Producer", sec, "kafka", True, ""),
            ("acks=all waits for every in-sync replica", sec, "kafka", False, ""),
            ("compression codecs: gzip, snappy, lz4, zstd", sec, "kafka", False, ""),
            ("batch.size default 16 KB", sec, "kafka", False, ""),
        ],
    )
    idx = small_index(rows)
    q, out = answered(idx, "list the kafka compression codecs", rows[2])
    assert q.kind is QuestionKind.LIST
    assert out.text.endswith("gzip, snappy, lz4, zstd")
    assert "acks" not in out.text and "batch.size" not in out.text  # the siblings are not the list asked


def test_an_item_a_long_list_names_by_its_label_is_shown_whole_when_the_label_is_asked() -> None:
    sec = ("Kafka", "Consumer")
    detail = " (read the docs before changing it, it interacts with the group coordinator and rebalances)"
    rows = notes(
        "kafka.txt",
        [
            ("Consumer", sec, "kafka", True, ""),
            ("session timeout: 45 s by default" + detail, sec, "kafka", False, ""),
            ("assignors: range, round-robin, sticky, cooperative-sticky" + detail, sec, "kafka", False, ""),
            ("fetch sizes: max.partition.fetch.bytes 1 MB" + detail, sec, "kafka", False, ""),
            ("isolation: read_uncommitted by default" + detail, sec, "kafka", False, ""),
        ],
    )
    idx = small_index(rows)
    q, out = answered(idx, "list the kafka consumer assignors", rows[1])
    assert q.kind is QuestionKind.LIST and out.is_list
    # the items do not all fit whole, so they are named by their labels; the one the question names keeps
    # its items, the others are named as far as they fit
    assert "assignors: range, round-robin, sticky, cooperative-sticky" in out.text, out.text
    assert "session timeout;" in out.text and len(out.text) <= MAX_ANSWER


def test_a_service_named_by_a_heading_above_the_subject_is_the_lines_service() -> None:
    from kg.qa.retrieve import service_signals

    outer = ("Kafka", "Streams apps", "State stores")
    rows = notes(
        "streams.md",
        [
            ("Kafka", outer[:1], "kafka", True, ""),
            ("Streams apps", outer[:2], "kafka", True, ""),
            ("State stores", outer, "", True, ""),
            ("RocksDB by default, changelog topic for recovery", outer, "", False, ""),
        ],
    )
    rows = [replace(p, subject_depth=3) for p in rows]
    idx = small_index(rows)
    q = query(idx, "what backs a kafka state store")
    assert service_signals(idx, q, rows[3])[1]  # the section is about the asked service


def test_an_identifier_the_question_types_and_the_answer_lacks_is_counted_missing() -> None:
    from kg.qa.calibrate import code_missing

    sec = ("Kafka", "Consumer")
    rows = notes(
        "consumer.txt",
        [
            ("Consumer", sec, "kafka", True, ""),
            ("max.partition.fetch.bytes default 1 MB per partition", sec, "kafka", False, ""),
        ],
    )
    idx = small_index(rows)
    asked = query(idx, "kafka fetch.max.bytes default")
    assert asked.codes == ("fetchmaxbytes",)  # the service's name is none
    assert code_missing(idx, asked, [rows[1]]) == ["fetchmaxbytes"]  # not inside max.partition.fetch.bytes
    said = query(idx, "kafka Max.Partition.Fetch_Bytes default")
    assert code_missing(idx, said, [rows[1]]) == []  # case and punctuation do not count


def test_a_number_the_question_types_and_the_answer_does_not_state_is_counted_missing() -> None:
    from kg.qa.calibrate import number_missing

    sec = ("PostgreSQL", "Releases")
    rows = notes("releases.txt", [("PostgreSQL 16 released 2023, support for 5 years", sec, "postgresql", False, "")])
    idx = small_index(rows)
    assert number_missing(query(idx, "when was postgres 17 released?"), rows) == ["17"]
    assert number_missing(query(idx, "how many years is postgres 16 supported"), rows) == []
    assert number_missing(query(idx, "is postgres 16 supported 5 or 10 years?"), rows) == ["10"]
    assert number_missing(query(idx, "did 16 ship in 2,023"), rows) == []  # a thousands comma is no other number
    assert number_missing(query(idx, "postgres release #17 - when"), rows) == ["17"]  # a number after "#"
    assert number_missing(query(idx, "postgres 16.0 support 5 years?"), rows) == []  # compared by value
    # a file that writes decimal commas: "1.525" is fifteen hundred, "0,25" a quarter, in the question too
    from dataclasses import replace

    euro = [
        replace(r, decimal_comma=True)
        for r in notes("tariff.txt", [("tariff 0,25 EUR/kWh, 1.525 kWh a year", sec, "postgresql", False, "")])
    ]
    idx = small_index(euro)
    assert number_missing(query(idx, "tariff 0,25 or 0,30?"), euro) == ["0,30"]
    assert number_missing(query(idx, "was it 1525 kwh"), euro) == []
    assert number_missing(query(idx, "was it 1.525 kwh"), euro) == []


def test_a_date_with_a_month_name_is_no_quantity_and_a_year_asked_is_found_before_1900(index: Index) -> None:
    from kg.qa.retrieve import shape_signals, states_number

    assert not states_number("17 Jul 1791: the petitioners were fired on")
    assert not states_number("20–21 Jun 1791: the king's flight, caught at Varennes")
    assert not states_number("released Jan 5, 2024")
    assert states_number("on Jan 5, 2024 we ran 3 replicas")  # the date goes, the count stays
    assert states_number("may 5 retries happen")  # "may" before a number is no month here
    assert states_number("the timer runs certbot renew twice a day")  # a quantity in words
    assert states_number("extend by two further months")
    assert not states_number("one of the two pods")  # number words that count no time or rate
    asked = query(index, "what year was postgres first released")
    assert asked.kind is QuestionKind.NUMBER and asked.unit_family is None  # a year asked is no length of time
    (line,) = notes("history.md", [("first released in 1789, well before the rest", PG, "postgresql", False, "")])
    assert shape_signals(index, asked, line, [], []) == ["year"]


def test_the_label_a_line_opens_with_is_scored_apart_from_the_rest_of_the_line() -> None:
    """A line's label (before ':', '=', '->' or a dash) says what it is about: the question's words found there
    count for the ranking feature ``coverage_label``, words found only after it do not, headings have none."""
    rows = notes(
        "kafka.txt",
        [
            ("Kafka", KAFKA, "kafka", True, ""),
            ("segment size: 1 GiB, then a new segment is rolled", KAFKA, "kafka", False, ""),
            ("segment roll time = 7 days, even when the segment size is not reached", KAFKA, "kafka", False, ""),
            ("a new segment is rolled after 7 days", KAFKA, "kafka", False, ""),
        ],
    )
    idx = small_index(rows)
    q = query(idx, "kafka segment size")
    size, roll, plain = (label_signals(idx, q, p).get("coverage_label", 0.0) for p in rows[1:])
    assert size == pytest.approx(1.0)  # every asked word (the service aside) is in "segment size"
    assert 0.0 < roll < size  # "segment" is in the label, "size" only after it
    assert plain == 0.0  # no label
    assert label_signals(idx, q, rows[0]) == {}  # a heading is no labelled line


def test_an_acronym_covers_the_words_it_abbreviates_and_the_words_cover_the_acronym() -> None:
    """ "cfr" in a question is found in a line that says "change failure rate", and "performance improvement
    plan" in one that says "PIP": both count as found shortened (``coverage_short``), as "docs" does."""
    sec = ("Kafka", "Team metrics")
    rows = notes(
        "metrics.md",
        [
            ("Team metrics", sec, "kafka", True, ""),
            ("change failure rate for elite teams: 0-15%", sec, "kafka", False, ""),
            ("PIP = 60 days, then a review with HR", sec, "kafka", False, ""),
            ("deploy frequency for elite teams: on demand", sec, "kafka", False, ""),
        ],
    )
    idx = small_index(rows)
    body, _, short = coverage(idx, query(idx, "elite cfr"), rows[1])
    assert body > 0.0 and short > 0.0 and body + short == pytest.approx(1.0)  # "elite" in full, "cfr" spelt out
    assert coverage(idx, query(idx, "elite cfr"), rows[3])[2] == 0.0  # "deploy frequency" spells no "cfr"
    body, _, short = coverage(idx, query(idx, "how long is a performance improvement plan"), rows[2])
    assert short > 0.0  # the three words are the acronym's
    assert coverage(idx, query(idx, "how long is a performance review"), rows[2])[2] == 0.0


def test_a_list_too_long_to_show_whole_names_each_item_by_its_head() -> None:
    """Items that say what they are after '=', an arrow or a bracket are named by what comes before it when
    not all of them fit whole: every item named beats the first few in full. A question that is not asking
    for the items keeps what each says."""
    sec = ("Kafka", "Producer tuning")
    detail = "and a long explanation of why, with the numbers we measured on the staging cluster last spring"
    rows = notes(
        "producer.txt",
        [
            ("producer settings that matter:", sec, "kafka", False, ""),
            (
                f"linger.ms = wait a little to fill batches {detail}",
                sec,
                "kafka",
                False,
                "producer settings that matter",
            ),
            (f"batch.size (bytes per partition batch) {detail}", sec, "kafka", False, "producer settings that matter"),
            (f"compression.type -> lz4 or zstd {detail}", sec, "kafka", False, "producer settings that matter"),
            (f"acks = all for durability {detail}", sec, "kafka", False, "producer settings that matter"),
        ],
    )
    idx = small_index(rows)
    q, out = answered(idx, "list the kafka producer settings that matter", rows[0])
    assert q.kind is QuestionKind.LIST and out.is_list
    assert all(name in out.text for name in ("linger.ms", "batch.size", "compression.type", "acks"))
    assert "staging cluster" not in out.text
    _, told = answered(idx, "what about the kafka producer settings", rows[0])
    assert "wait a little" in told.text  # not asked for the items: the first one is shown with what it says


def test_a_list_asked_of_an_item_named_by_its_head_gives_its_items() -> None:
    # the lines under "engine checks before starting - WOBBLE" are filed under its head, as the parser
    # names them ("engine checks before starting"); the letters asked for are those lines, not the siblings
    head = ("Boat handling", "engine checks before starting")
    idx = small_index(
        notes(
            "boat.txt",
            [
                ("Boat handling", ("Boat handling",), "", True, ""),
                ("reef early", ("Boat handling",), "", False, ""),
                ("engine checks before starting - WOBBLE", ("Boat handling",), "", False, ""),
                ("Water, Oil, Belts, Bilges, Leaks, Electrics", head, "", False, ""),
                ("once running check water comes out of the exhaust", head, "", False, ""),
                ("fuel: 1/3 out, 1/3 back, 1/3 reserve", ("Boat handling",), "", False, ""),
            ],
        )
    )
    q = query(idx, "engine checks WOBBLE, what are the letters?")
    assert q.kind is QuestionKind.LIST
    out = compose(idx, q, [Candidate(idx.passages[2], score=1.0)], [])
    assert "Oil, Belts" in out.text and "fuel" not in out.text and "reef" not in out.text


def test_a_paragraph_among_paragraphs_answers_itself_not_as_a_list_item() -> None:
    # prose notes: a paragraph a line; "voting members" is asked in the plural, and the paragraph says them
    sec = ("Macro", "Monetary policy")
    idx = small_index(
        notes(
            "macro.md",
            [
                ("Monetary policy", sec, "", True, ""),
                ("Fiscal policy is run by the government. It acts with a long inside lag.", sec, "", False, ""),
                ("The FOMC decides rates. It has 12 voting members and meets 8 times a year.", sec, "", False, ""),
                ("Fed tools are open market operations and the discount rate. QE came in 2008.", sec, "", False, ""),
            ],
        )
    )
    q = query(idx, "fomc voting members?")
    assert q.kind is QuestionKind.LIST
    out = compose(idx, q, [Candidate(idx.passages[2], score=1.0)], [])
    assert "12 voting members" in out.text and "Fiscal" not in out.text and not out.is_list


def test_a_list_named_by_its_heading_beats_an_item_that_lists_things_of_its_own() -> None:
    # the best line lists its own variants ("marinara, creole, etc") under a label with one asked word; the
    # heading over it names the list asked for with more of the question's words
    sec = ("THE 5 MOTHER SAUCES",)
    idx = small_index(
        notes(
            "sauces.txt",
            [
                ("THE 5 MOTHER SAUCES", sec, "", True, ""),
                ("bechamel = milk + white roux", sec, "", False, ""),
                ("veloute = white stock + blond roux", sec, "", False, ""),
                ("espagnole = brown stock + brown roux", sec, "", False, ""),
                ("hollandaise = egg yolk + butter + lemon", sec, "", False, ""),
                ("tomato (sauce tomate) -> marinara, creole, puttanesca", sec, "", False, ""),
                ("PASTA", ("PASTA",), "", True, ""),
                ("salt the water like the sea", ("PASTA",), "", False, ""),
            ],
        )
    )
    q = query(idx, "what are the mother sauces")
    out = compose(idx, q, [Candidate(idx.passages[5], score=1.0)], [])
    assert out.is_list and all(s in out.text for s in ("bechamel", "veloute", "espagnole", "hollandaise"))


def test_a_question_naming_a_list_by_its_heading_gets_the_list() -> None:
    # no item says what is asked; the heading over them does: the items are the answer, not the best one
    sec = ("Checks before a landscape shoot",)
    idx = small_index(
        notes(
            "photo.md",
            [
                ("Checks before a landscape shoot", sec, "", True, ""),
                ("[ ] batteries charged", sec, "", False, ""),
                ("[ ] ISO back to base", sec, "", False, ""),
                ("[ ] 2 s timer or remote release", sec, "", False, ""),
            ],
        )
    )
    q = query(idx, "what do I need to check before a landscape shoot")
    out = compose(idx, q, [Candidate(idx.passages[3], score=1.0)], [])
    assert all(s in out.text for s in ("batteries", "ISO back to base", "timer"))


def test_the_word_a_question_is_focused_on_is_its_rarest_that_is_no_ordinary_english() -> None:
    from kg.qa.calibrate import focus_missing

    passages = notes(
        "kafka.md",
        [
            ("Kafka", KAFKA, "kafka", True, ""),
            ("log compaction keeps the newest record of each key", KAFKA, "kafka", False, ""),
            ("log compaction needs cleanup.policy=compact", KAFKA, "kafka", False, ""),
            ("a cheaper log tier is remote storage", KAFKA, "kafka", False, ""),
        ],
    )
    idx = small_index(passages)
    idx.lexicon = Lexicon(SERVICES, passages, frozenset({"log", "cheaper", "is"}))
    q = query(idx, "is log compaction cheaper")
    top = passages[1]
    # "cheaper" is the rarest word in the notes, but an ordinary one: "compaction" says what is asked, and the
    # line has it
    assert not focus_missing(idx, q, top, idx.lexicon.common_terms(q.normalised))
    # were every word jargon, the rarest would be the focus, and the line lacks it
    assert focus_missing(idx, q, top, frozenset())


def test_list_items_too_long_to_show_whole_share_the_room_left_after_their_names() -> None:
    head = ("STUCK FERMENTATION",)
    items = [
        "check with the hydrometer! a refractometer reads high once there's alcohol unless corrected (online calc)",
        "usual suspects: too cold, underpitched, mashed too hot (unfermentable wort), old yeast",
        "fix: move it somewhere warmer (68-70F), swirl to rouse the yeast, pitch an active starter at high krausen "
        "(a dry sachet dumped in late rarely does much, ask at the shop)",
    ]
    rows = [("STUCK FERMENTATION", head, "", True, ""), *[(t, head, "", False, "") for t in items]]
    passages = notes("yeast.txt", rows)
    idx = small_index(passages)
    q, out = answered(idx, "common reasons for a stuck fermentation", passages[1])
    assert q.kind is QuestionKind.LIST and out.is_list and len(out.text) <= 300, out.text
    assert "usual suspects: too cold, underpitched, mashed too hot (unfermentable wort), old yeast" in out.text
    assert "check with the hydrometer!" in out.text and "fix: move it somewhere warmer" in out.text, out.text
    assert "ask at the shop" not in out.text, "a detail past the item's share is cut"


def _composed_from(
    file: str, rows: list[tuple[str, tuple[str, ...], str, bool, str]], question: str, line: int
) -> Composed:
    """The answer composed from one notes file, its line ``line`` ranked first."""
    idx = small_index(notes(file, rows))
    by_line = {p.line_start: p for p in idx.passages}
    return compose(idx, query(idx, question), [Candidate(by_line[line], score=1.0)], [])


def test_a_later_line_revising_the_answer_is_added_to_it_and_cited_after_it() -> None:
    from kg.qa.answer import _citations

    sec = ("PostgreSQL",)
    rows = [
        ("PostgreSQL", sec, "postgresql", True, ""),
        ("shared_buffers: 4 GB on the reporting box", sec, "postgresql", False, ""),
        ("# UPDATE 2024-09: now 8 GB, the box got more RAM", sec, "postgresql", False, ""),
        ("work_mem: 64 MB, raised for the nightly sorts", sec, "postgresql", False, ""),
        ("Max connections 200 behind the pooler", sec, "postgresql", False, ""),
        ("Autovacuum naptime 1 min on the busy tables", sec, "postgresql", False, ""),
        ("To update a setting, edit postgresql.conf and reload", sec, "postgresql", False, ""),
        ("correction - work_mem is 32 MB not 64, the 64 was the test box", sec, "postgresql", False, ""),
        ("checkpoint_timeout: 15 min", sec, "postgresql", False, ""),
        ("Updated the docs page for checkpoint tuning last week", sec, "postgresql", False, ""),
    ]
    idx = small_index(notes("tuning.txt", rows))
    by_line = {p.line_start: p for p in idx.passages}

    def answer(question: str, line: int) -> Composed:
        return compose(idx, query(idx, question), [Candidate(by_line[line], score=1.0)], [])

    # marked as a revision and right after the line read
    out = answer("how big is shared_buffers on the reporting box", 2)
    assert "4 GB" in out.text and "now 8 GB" in out.text
    assert out.revised is by_line[3] and out.passages[-1] is by_line[3]
    # further down, naming the old value the line gives: cited after the line, not in one span with it
    out = answer("work_mem for the nightly sorts", 4)
    assert "32 MB not 64" in out.text and out.revised is by_line[8]
    cited = _citations(
        idx, query(idx, "work_mem"), [Candidate(by_line[4], 1.0)], [], 5, out.passages, False, out.revised
    )
    assert [c.lines for c in cited] == [(4, 4), (8, 8)]
    # a word that only looks like a revision ("To update a setting"), or a revision of something else, is none
    for question, line in (("max connections", 5), ("autovacuum naptime", 6), ("checkpoint timeout", 9)):
        out = answer(question, line)
        assert out.revised is None and out.passages == (by_line[line],), question


def test_a_revision_marked_with_a_date_in_words_revises_the_line_before_it() -> None:
    sec = ("Export presets",)
    rows = [
        ("Export presets", sec, "", True, ""),
        ("export size: Windows build 94 MB (Oct 28), most of it is music", sec, "", False, ""),
        ("EDIT November 3rd, 2025: now 118 MB after adding world 4 music", sec, "", False, ""),
    ]
    idx = small_index(notes("Godot Project Setup.md", rows))
    by_line = {p.line_start: p for p in idx.passages}
    out = compose(idx, query(idx, "how big is the windows export now"), [Candidate(by_line[2], score=1.0)], [])
    assert "94 MB" in out.text and "118 MB" in out.text and out.revised is by_line[3]


def test_a_later_unmarked_line_giving_a_new_figure_revises_the_answer() -> None:
    sec = ("Taproom", "Staff")
    rows = [
        ("Staff", sec[:1], "", True, ""),
        ("shift lead: $18.50/hr + tips", sec, "", False, ""),
        ("barback: $14.00/hr", sec, "", False, ""),
        ("capacity: 40 seated / 60 standing", ("Taproom", "Barrel Room"), "", False, ""),
        ("cleaning: caustic at 2% for 20 min", ("Taproom", "Cellar"), "", False, ""),
        ("Reviews done. shift lead rate goes to $19.25/hr starting the next pay period", sec, "", False, ""),
        ("fire marshal walk-thru: Barrel Room seated occupancy is now 35 with the new bar rail", sec, "", False, ""),
        ("the new keg washer is now 3 weeks late", sec, "", False, ""),
        ("it is now 10:30 and the barback has not shown up", sec, "", False, ""),
    ]
    out = _composed_from("board.json", rows, "what does a shift lead make an hour", 2)
    assert "$18.50" in out.text and "$19.25" in out.text and out.revised is not None
    assert out.revised.line_start == 6
    out = _composed_from("board.json", rows, "seated capacity of the barrel room", 4)
    assert out.revised is not None and out.revised.line_start == 7 and "now 35" in out.text
    # another thing's new figure ("keg washer ... 3 weeks"), a time of day, or a figure in another unit is none
    for question, line in (("barback hourly rate", 3), ("caustic strength for cleaning", 5)):
        out = _composed_from("board.json", rows, question, line)
        assert out.revised is None, (question, out.text)


def test_a_later_line_naming_the_model_it_replaces_revises_the_answer() -> None:
    sec = ("Garage",)
    rows = [
        ("Garage", sec, "", True, ""),
        ("The compressor is a Stanley DN200 with the small tank", sec, "", False, ""),
        ("Bought the impact wrench at the market in May", sec, "", False, ""),
        ("Torque wrench borrowed from next door, give it back", sec, "", False, ""),
        ("EDIT: the compressor is NOT the DN200, that one went back. it's an Einhell TE-AC 230", sec, "", False, ""),
    ]
    out = _composed_from("garage.txt", rows, "which compressor do i have", 2)
    assert out.passages[0].line_start == 2 and out.revised is not None and out.revised.line_start == 5, out.text
    assert "TE-AC 230" in out.text, out.text
    # a later correction naming another model as the one it replaces revises nothing here
    rows[4] = ("EDIT: the drill is not the DN18, it's a combi", sec, "", False, "")
    out = _composed_from("garage.txt", rows, "which compressor do i have", 2)
    assert out.revised is None, out.text


def test_a_later_marked_line_setting_the_same_label_to_another_figure_revises_the_answer() -> None:
    hr, shoes = ("Heart rate",), ("Shoes",)
    rows = [
        ("Heart rate", hr, "", True, ""),
        ("max HR = 188 bpm, saw it at the end of a race", hr, "", False, ""),
        ("Shoes", shoes, "", True, ""),
        ("Pegasus 40: retire at 700 km", shoes, "", False, ""),
        ("UPDATE 2 Sep: hill test with the club, saw 191. so max HR = 191 now.", shoes, "", False, ""),
    ]
    out = _composed_from("hr.txt", rows, "what is my max heart rate", 2)
    assert out.revised is not None and out.revised.line_start == 5, out.text
    assert "191" in out.text, out.text
    # the same label set again by a line that does not say it revises anything is another fact, not a revision
    rows[4] = ("after the hill test: max HR = 191 on the hill, a different thing", shoes, "", False, "")
    assert _composed_from("hr.txt", rows, "what is my max heart rate", 2).revised is None
    # a marked line setting another label revises nothing here
    rows[4] = ("UPDATE 2 Sep: resting HR = 45 now", shoes, "", False, "")
    assert _composed_from("hr.txt", rows, "what is my max heart rate", 2).revised is None


def test_a_figure_set_against_the_one_it_replaces_revises_the_answer_without_a_revision_word() -> None:
    sec = ("Crag Rats",)
    rows = [
        ("Crag Rats", sec, "", True, ""),
        ("Jess: Barn membership going up to £56 from 1 April btw", sec, "", False, ""),
        ("Niamh: still daylight robbery", sec, "", False, ""),
        ("Jess: sorry, £55 not £56. misread it", sec, "", False, ""),
    ]
    out = _composed_from("chat.txt", rows, "barn membership price from april", 2)
    assert out.revised is not None and out.revised.line_start == 4, out.text
    assert "£55" in out.text, out.text
    # a count said against another ("did 4 routes, not 5") sets no figure of the answer against its own
    rows[3] = ("Tom: did 4 routes, not 5, legs gone", sec, "", False, "")
    assert _composed_from("chat.txt", rows, "barn membership price from april", 2).revised is None


def test_a_revision_naming_the_old_figure_in_thousands_revises_the_line_that_wrote_it_out() -> None:
    sec = ("Money",)
    rows = [
        ("EF target 4 months expenses = £8,000, kept in the easy access account at Chase", sec, "", False, ""),
        ("premium bonds £1,500, mum bought me some years ago and I added to them", sec, "", False, ""),
        ("pension: bump to 6% to get the full employer match", sec, "", False, ""),
        ("UPDATE 2 Apr: redid budget, essentials £2,150 a month, so 4 months = £8,600 (not 8k)", sec, "", False, ""),
    ]
    out = _composed_from("money.txt", rows, "how much is my EF target", 1)
    assert out.revised is not None and out.revised.line_start == 4, out.text
    assert _figure("8k") == _figure("8,000") == "8000" and _figure("1234.5k") == _figure("1,234,500")
    assert "£8,600" in out.text, out.text


def test_a_marked_line_under_the_same_heading_naming_what_the_answer_set_with_another_figure_revises_it() -> None:
    loaf, rye = ("Country loaf",), ("Rye",)
    rows = [
        ("Country loaf", loaf, "", True, ""),
        ("hydration: 75%", loaf, "", False, ""),
        ("bake 45 min at 230 C, lid off after 20", loaf, "", False, ""),
        ("scoring: one long ear cut", loaf, "", False, ""),
        ("Sold 14 at the market on Saturday, all gone by 11", loaf, "", False, ""),
        ("UPDATE 3 Mar: hydration up to 78% since switching flour, 75 felt stiff", loaf, "", False, ""),
        ("Rye", rye, "", True, ""),
        ("UPDATE 9 Mar: hydration up to 85% for the rye", rye, "", False, ""),
    ]
    out = _composed_from("bread.txt", rows, "country loaf hydration", 2)
    assert out.revised is not None and out.revised.line_start == 6, out.text
    assert "78%" in out.text, out.text
    # with no new figure it revises no figure; under another heading it is about another thing
    rows[5] = ("UPDATE 3 Mar: hydration felt stiff, try a wetter dough", loaf, "", False, "")
    assert _composed_from("bread.txt", rows, "country loaf hydration", 2).revised is None


def test_a_marked_line_under_the_same_heading_giving_another_figure_in_the_answers_unit_revises_it() -> None:
    rng, water = ("Range (towing)",), ("Water",)
    rows = [
        ("Range (towing)", rng, "", True, ""),
        ("tank: 138 L, 690km on paper", rng, "", False, ""),
        ("safe range: about 520km, never under a quarter", rng, "", False, ""),
        ("Fill at every servo once past the last town, whatever the gauge says", rng, "", False, ""),
        ("Sold the old roof rack at the market on Saturday", rng, "", False, ""),
        ("EDIT 10/05: headwinds, plan on 22 L/100, so 470km to be safe", rng, "", False, ""),
        ("Water", water, "", True, ""),
        ("EDIT 12/05: water use closer to 32 L a day", water, "", False, ""),
    ]
    out = _composed_from("trip.txt", rows, "safe towing range before refuelling", 3)
    assert out.revised is not None and out.revised.line_start == 6, out.text
    assert "470km" in out.text and "520km" in out.text, out.text
    # a figure in another unit revises nothing the answer gives
    rows[5] = ("EDIT 10/05: headwinds, plan on 22 L/100, carry 40 L more to be safe", rng, "", False, "")
    assert _composed_from("trip.txt", rows, "safe towing range before refuelling", 3).revised is None
    # under another heading it is about another thing
    assert _composed_from("trip.txt", rows, "how much water a day", 8).revised is None


def test_a_line_opening_with_changed_and_a_date_is_a_marked_revision_while_a_changed_in_a_sentence_is_not() -> None:
    hooks = ("Delivery rules",)
    rows = [
        ("Delivery rules", hooks, "", True, ""),
        ("The endpoint has to answer with a 2xx status within 10 seconds.", hooks, "", False, ""),
        ("We don't follow redirects; a 301 is a failure.", hooks, "", False, ""),
        ("Changed 2025-05-12: the delivery timeout is now 15 seconds (was 10 s).", hooks, "", False, ""),
    ]
    out = _composed_from("webhooks.mdx", rows, "how long does the endpoint have to answer", 2)
    assert out.revised is not None and out.revised.line_start == 4, out.text
    assert "15 seconds" in out.text, out.text
    rows[3] = ("We changed the dashboard colours to 15 shades of blue.", hooks, "", False, "")
    assert _composed_from("webhooks.mdx", rows, "how long does the endpoint have to answer", 2).revised is None


def test_a_line_under_a_callout_titled_changed_is_a_marked_revision_and_one_under_another_title_is_not() -> None:
    parts = ("Partitions",)
    rows = [
        ("Partitions", parts, "", True, ""),
        ("gpu-long — Max wall time: 7 days; Default time: 24 h", parts, "", False, ""),
        ("gpu-short — Max wall time: 4 h; Default time: 1 h", parts, "", False, ""),
        ("Changed 2025-07-01", parts, "", False, ""),
        ("The maximum wall time on gpu-long is now 5 days (120 h).", parts, "", False, "Changed 2025-07-01"),
    ]
    out = _composed_from("gpu-jobs.md", rows, "gpu-long max wall time", 2)
    assert out.revised is not None and out.revised.line_start == 5, out.text
    assert "5 days" in out.text, out.text
    rows[3] = ("Why so long?", parts, "", False, "")
    rows[4] = ("Most jobs on gpu-long run for 5 days (120 h) at most.", parts, "", False, "Why so long?")
    assert _composed_from("gpu-jobs.md", rows, "gpu-long max wall time", 2).revised is None


def test_a_comparison_says_which_side_wins_by_the_figure_the_question_weighs_them_by() -> None:
    prices = ("Pricing",)
    rows = [
        ("Pricing", prices, "", True, ""),
        ("H100 — Internal (per GPU-hour): £0.95; External academic: £2.10; Commercial: £4.20", prices, "", False, ""),
        ("A100 — Internal (per GPU-hour): £0.55; External academic: £1.20; Commercial: £2.60", prices, "", False, ""),
    ]
    idx = small_index(notes("gpu.md", rows))
    by_line = {p.line_start: p for p in idx.passages}
    ranked = [Candidate(by_line[2], score=1.0), Candidate(by_line[3], score=0.9)]
    out = compose(idx, query(idx, "a100 or h100 - which is cheaper per gpu hour for an external academic?"), ranked, [])
    assert out.text.startswith("A100: £1.20 against £2.10 — "), out.text
    assert len(out.text) <= 300
    more = compose(idx, query(idx, "h100 or a100: which has the higher commercial rate?"), ranked, [])
    assert more.text.startswith("H100: £4.20 against £2.60 — "), more.text
    # no comparative, no winner: both sides are given
    plain = compose(idx, query(idx, "h100 vs a100 for an external academic"), ranked, [])
    assert "against" not in plain.text and "A100" in plain.text and "H100" in plain.text, plain.text


def test_a_line_that_names_both_sides_with_their_figures_says_which_side_wins() -> None:
    host, db, bike = ("Gallery",), ("Postgres",), ("Bike test",)
    rows = [
        ("Gallery", host, "", True, ""),
        ("host: Pic-Time Pro £22/mo (annual) vs Pixieset Pro £20/mo (annual), staying put", host, "", False, ""),
        ("Postgres", db, "", True, ""),
        ("14 -> 15 on my 180k rows: dump/restore 31 min vs pg_upgrade 4 min", db, "", False, ""),
        ("Bike test", bike, "", True, ""),
        ("Ridewise £1,050; Moto Academy £1,010 with the bike hire, so £40 cheaper than Ridewise", bike, "", False, ""),
    ]

    def said(question: str, line: int) -> str:
        return _composed_from("upgrades.md", rows, question, line).text

    assert said("pixieset vs pic-time, which one is cheaper a month", 2).startswith("Pixieset: £20 against £22 — ")
    assert said("pic-time or pixieset: which costs more?", 2).startswith("Pic-Time: £22 against £20 — ")
    assert said("dump/restore or pg_upgrade, which was faster", 4).startswith("pg_upgrade: 4 min against 31 min — ")
    # no comparative, no winner; a line that weighs the sides itself ("cheaper than") is left to say so
    assert " against " not in said("pixieset vs pic-time", 2)
    out = said("ridewise or moto academy, which is cheaper", 6)
    assert " against " not in out and "£40 cheaper than Ridewise" in out, out


def test_an_update_dated_right_after_its_word_or_in_capitals_is_a_marked_revision() -> None:
    water, solar = ("Water",), ("Electrics",)
    rows = [
        ("Water", water, "", True, ""),
        ("usage est 25L/day for 2 (drinking 3L pp, cooking 4L)", water, "", False, ""),
        ("Tank: 120L under the bench", water, "", False, ""),
        ("update 14/05 real usage more like 32L/day incl showers", water, "", False, ""),
        ("Electrics", solar, "", True, ""),
        ("solar: 2x 200W = 400W", solar, "", False, ""),
        (
            "UPDATE (Ade, roof measured w/ the fan in the middle) 2x 200W don't fit -> 2x 175W = 350W",
            solar,
            "",
            False,
            "",
        ),
    ]
    out = _composed_from("van.txt", rows, "realistic daily water use for 2 of us", 2)
    assert out.revised is not None and out.revised.line_start == 4 and "32L/day" in out.text, out.text
    out = _composed_from("van.txt", rows, "total solar wattage on the roof", 6)
    assert out.revised is not None and out.revised.line_start == 7 and "350W" in out.text, out.text
    # an instruction to update something is no revision
    rows[3] = ("update the water log every 14 days, real usage varies 30L/day", water, "", False, "")
    rows[6] = ("Update the charge controller firmware, 2x 175W panels later maybe", solar, "", False, "")
    assert _composed_from("van.txt", rows, "realistic daily water use for 2 of us", 2).revised is None
    assert _composed_from("van.txt", rows, "total solar wattage on the roof", 6).revised is None


def test_a_line_naming_its_former_figure_in_brackets_revises_the_line_that_gave_it() -> None:
    vat = ("VAT",)
    rows = [
        ("VAT", vat, "", True, ""),
        ("registration threshold is £85,000 of VATable turnover in any rolling 12 months", vat, "", False, ""),
        ("register within 30 days of the end of that month", vat, "", False, ""),
        ("flat rate scheme: 16.5% for limited cost traders", vat, "", False, ""),
        ("from 1 April 2024 the registration threshold is £90,000 (was £85k since 2017)", vat, "", False, ""),
    ]
    out = _composed_from("tax.txt", rows, "vat registration threshold", 2)
    assert out.revised is not None and out.revised.line_start == 5 and "£90,000" in out.text, out.text


def test_a_list_answer_is_followed_by_a_later_line_revising_one_of_its_items() -> None:
    pull = ("Cold pull",)
    rows = [
        ("Cold pull", pull, "", True, ""),
        ("heat nozzle to 250 °C", pull, "", False, ""),
        ("push cleaning filament through by hand until it comes out clean", pull, "", False, ""),
        ("set temp to 90 °C (for PLA), wait, keep slight pressure", pull, "", False, ""),
        ("pull hard and fast when it reaches temp", pull, "", False, ""),
        ("UPDATE 2024-02: 90 was too hot for PLA cold pulls, 80 °C works way better", pull, "", False, ""),
    ]
    idx = small_index(
        [replace(p, kind=BlockKind.STEP) if 2 <= p.line_start <= 5 else p for p in notes("fix.txt", rows)]
    )
    by_line = {p.line_start: p for p in idx.passages}
    out = compose(idx, query(idx, "list the cold pull steps"), [Candidate(by_line[3], score=1.0)], [])
    assert out.is_list and out.revised is by_line[6], out.text
    assert "heat nozzle" in out.text and "80 °C" in out.text and len(out.text) <= MAX_ANSWER, out.text
    assert out.passages[-1] is by_line[6]


def test_a_marked_line_right_after_the_answer_about_something_else_revises_nothing() -> None:
    tools = ("Tools",)
    rows = [
        ("Tools", tools, "", True, ""),
        ("Veritas low angle jack: £249 (birthday 2023), bed 12 deg", tools, "", False, ""),
        ("UPDATE Mar 24: Domino price went up to £969", tools, "", False, ""),
        ("Domino: £899 in the Axminster sale", tools, "", False, ""),
        ("UPDATE Mar 24: the Domino went up to £969", tools, "", False, ""),
    ]
    assert _composed_from("tools.json", rows, "veritas jack plane price", 2).revised is None
    out = _composed_from("tools.json", rows, "how much is the domino", 4)
    assert out.revised is not None and out.revised.line_start == 5 and "£969" in out.text, out.text


def test_a_marked_line_right_after_the_answer_naming_its_heading_revises_it() -> None:
    fee = ("REINSPECTION FEE",)
    rows = [
        ("REINSPECTION FEE", fee, "", True, ""),
        ("if you fail (below 70) or get a C you pay for the follow up visit: $150", fee, "", False, ""),
        ("UPDATE (11/5 class): fee went up in July, it's $175 now", fee, "", False, ""),
    ]
    out = _composed_from("handout.txt", rows, "reinspection fee if you fail", 2)
    assert out.revised is not None and out.revised.line_start == 3 and "$175" in out.text, out.text


def test_a_marked_line_right_after_the_list_the_answer_is_in_revises_it() -> None:
    # a board's next card, or a paragraph after the list: not right after the line read, but after its list
    load, process = ("Process", "Fragrance load"), ("Process",)
    rows = [
        ("Fragrance load", load, "", True, ""),
        ("FL = oil weight / wax weight x 100", load, "", False, ""),
        ("plan: all candles at 10%", load, "", False, ""),
        ("melts: 10% in the 4130 wax", load, "", False, ""),
        ("180g wax x 10% = 18g oil per jar", load, "", False, ""),
        ("UPDATE 3 Mar: candles dropped to 8% FL, they were sweating", process, "", False, ""),
    ]
    out = _composed_from("Product line.canvas", rows, "what load do the candles get", 3)
    assert out.revised is not None and out.revised.line_start == 6 and "8%" in out.text, out.text


def test_a_value_struck_through_is_the_value_a_line_replaces() -> None:
    jars, tests = ("Jars",), ("Burn tests",)
    rows = [
        ("Jars", jars, "", True, ""),
        ("Amber jar 20cl: wick CD 12, burn time about 40 hrs", jars, "", False, ""),
        ("Tin 100ml: wick CD 6", jars, "", False, ""),
        ("Burn tests", tests, "", True, ""),
        ("amber jar wick ~~CD 12~~ CD 10 after burn test five, less soot", tests, "", False, ""),
    ]
    out = _composed_from("Product line.canvas", rows, "wick for the amber jar", 2)
    assert out.revised is not None and out.revised.line_start == 5 and "CD 10" in out.text, out.text


def test_a_marked_line_naming_the_most_specific_thing_the_answer_names_revises_it_without_a_shared_figure() -> None:
    trials, notes_ = ("Landmark trials",), ("Lecture notes",)
    rows = [
        ("Landmark trials", trials, "", True, ""),
        ("Salk polio trial: 1955, the polio pioneers", trials, "", False, ""),
        ("Framingham heart study: started 1948", trials, "", False, ""),
        ("Lecture notes", notes_, "", True, ""),
        ("NOTES: correction - the Salk polio trial ran in spring 1954, the pioneers", notes_, "", False, ""),
    ]
    out = _composed_from("epi slides.md", rows, "what year was the salk trial", 2)
    assert out.revised is not None and out.revised.line_start == 5 and "spring 1954" in out.text, out.text
    assert _composed_from("epi slides.md", rows, "when did framingham start", 3).revised is None


def test_a_marked_line_right_after_the_answer_naming_a_heading_above_its_item_revises_it() -> None:
    # OCR broke an item over two lines: the answer's line sits under the item, and the item under the heading
    fee = ("REINSPECTION FEE",)
    under = (*fee, "if you fail you pay for the follow")
    rows = [
        ("REINSPECTION FEE", fee, "", True, ""),
        ("if you fail you pay for the follow", fee, "", False, ""),
        ("up visit: $150", under, "", False, ""),
        ("UPDATE (11/5 class): fee went up in July, it's $175 now", fee, "", False, ""),
    ]
    out = _composed_from("handout.txt", rows, "reinspection fee if you fail", 3)
    assert out.revised is not None and out.revised.line_start == 4 and "$175" in out.text, out.text


def test_a_marked_line_naming_the_answers_figure_as_the_one_it_replaces_revises_it() -> None:
    slide, notes_ = ("Slide 12: Logistic regression",), ("Lecture notes",)
    rows = [
        ("Slide 12: Logistic regression", slide, "", True, ""),
        ("need at least 20 events per predictor", slide, "", False, ""),
        ("Hosmer-Lemeshow for calibration", slide, "", False, ""),
        ("Lecture notes", notes_, "", True, ""),
        ("NOTES: correction - EPV rule is 10 (Peduzzi 1996), not 20. use 10 on the exam", notes_, "", False, ""),
    ]
    out = _composed_from("epi slides.txt", rows, "min events per variable logistic regression", 2)
    assert out.revised is not None and out.revised.line_start == 5 and "EPV rule is 10" in out.text, out.text
