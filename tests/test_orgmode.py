"""Org-mode notes (.org) read by Org's syntax: headlines with keywords and tags, #+TITLE, drawers, nested
lists, description items, tables, blocks and inline markup, with exact line spans; and an index of an Org
folder answering with citations of the right lines (real parser, real model, real FAISS)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.orgmode import parse_org, plain, read_blocks
from ingest.parser import parse_file, parse_text
from ingest.pipeline import build_index, note_files
from kg.model import BlockKind, Passage
from kg.qa.engine import Engine
from kg.settings import Settings

ORGDEMO = Path(__file__).resolve().parent / "fixtures" / "notes_orgdemo"
REDIS = ORGDEMO / "redis.org"


@pytest.fixture(scope="module")
def redis() -> list[Passage]:
    return parse_file(REDIS, ORGDEMO)


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return REDIS.read_text(encoding="utf-8").split("\n")


def line_of(lines: list[str], needle: str) -> int:
    found = [i + 1 for i, x in enumerate(lines) if needle in x]
    assert len(found) == 1, f"{needle!r} on lines {found}"
    return found[0]


def at(passages: list[Passage], line: int) -> Passage:
    found = [p for p in passages if p.line_start == line]
    assert len(found) == 1, f"expected one passage starting at line {line}, got {found}"
    return found[0]


def test_org_files_are_notes_and_take_the_org_reader(tmp_path: Path) -> None:
    (tmp_path / "a.org").write_text("* Heading\n- item\n", encoding="utf-8")
    (tmp_path / "b.ORG").write_text("* Other\n", encoding="utf-8")
    (tmp_path / "a.org~").write_text("* backup\n", encoding="utf-8")
    assert [p.name for p in note_files(tmp_path)] == ["a.org", "b.ORG"]
    ps = parse_text("* Heading\n- item\n", "a.org")
    assert at(ps, 1).is_heading and at(ps, 2).kind is BlockKind.ITEM and at(ps, 2).text == "item"


def test_the_title_keyword_is_the_document_title_and_other_keywords_are_skipped(
    redis: list[Passage], lines: list[str]
) -> None:
    title = at(redis, 1)
    assert title.is_heading and title.text == "Redis study notes"
    assert not any("a student" in p.text or "overview" in p.text for p in redis), "#+AUTHOR, #+STARTUP skipped"
    assert not any("reminder to self" in p.text for p in redis), "a '# ' comment is no passage"
    heading = at(redis, line_of(lines, "* Data types"))
    assert heading.section == ("Redis study notes", "Data types"), "the headlines sit under the title"


def test_headline_keywords_priorities_cookies_and_tags_leave_the_text(redis: list[Passage], lines: list[str]) -> None:
    expiry = at(redis, line_of(lines, "Key expiry"))
    assert expiry.is_heading and expiry.text == "Key expiry"
    assert expiry.section == ("Redis study notes", "Data types", "Key expiry"), "** sits under *"
    assert at(redis, line_of(lines, "* Persistence")).text == "Persistence", "a [1/2] cookie is dropped"
    # a keyword declared by #+TODO: is dropped too
    assert at(redis, line_of(lines, "RDB snapshots")).text == "RDB snapshots"
    blocks = read_blocks("* TODO [#B] COMMENT-free title :a:b_c:\n** WAITING Reply :x:\n* TODOS are words\n")
    assert [b.text for b in blocks] == ["COMMENT-free title", "Reply", "TODOS are words"]
    assert [b.level for b in blocks] == [1, 2, 1], "without #+TITLE the stars are the level"


def test_a_comment_subtree_is_skipped(redis: list[Passage], lines: list[str]) -> None:
    assert not any("Scratch" in p.text or "cluster slots" in p.text for p in redis)
    blocks = read_blocks("* COMMENT Draft\nhidden\n** deeper\nhidden too\n* Kept\nshown\n")
    assert [b.text for b in blocks] == ["Kept", "shown"]


def test_property_drawers_give_key_value_lines_and_bookkeeping_is_skipped(
    redis: list[Passage], lines: list[str]
) -> None:
    prop = at(redis, line_of(lines, ":MAX_KEY_SIZE:"))
    assert prop.text == "Max key size: 512 MB" and prop.kind is BlockKind.PARAGRAPH
    assert prop.section == ("Redis study notes", "Data types")
    texts = " ".join(p.text for p in redis)
    assert "0b6a4c52" not in texts and "2026-03-02" not in texts, ":ID: and a timestamp value are skipped"
    assert "State" not in texts and "CLOCK" not in texts and "CLOSED" not in texts, "logbook and planning skipped"
    assert "PROPERTIES" not in texts and "END" not in texts


def test_nested_lists_and_description_items(redis: list[Passage], lines: list[str]) -> None:
    strings = at(redis, line_of(lines, "- Strings ::"))
    assert strings.kind is BlockKind.ITEM and strings.text == "Strings: up to 512 MB per value, INCR works on integers"
    assert strings.lead == "Every key is a binary-safe string; the value has one of these types", "the ':' line leads"
    member = at(redis, line_of(lines, "+ unordered"))
    assert member.text == "unordered, unique members" and member.section[-1] == "Sets", "a '+' child of Sets"
    zadd = at(redis, line_of(lines, "* ~ZADD~"))
    assert zadd.text == "ZADD adds a member with its score", "an indented '*' is a bullet, not a headline"
    assert zadd.section[-1] == "Sorted sets", "a description item's children sit under its term"
    wait = at(redis, line_of(lines, "=WAIT 2 100="))
    assert wait.section[-2:] == ("Replication", "replication is asynchronous by default")
    assert at(redis, line_of(lines, "REPLICAOF")).section[-1] == "Replication", "siblings are not nested"


def test_ordered_items_are_steps_and_wrapped_lines_continue_them(redis: list[Passage], lines: list[str]) -> None:
    step = at(redis, line_of(lines, "2. the child writes"))
    assert step.kind is BlockKind.STEP
    assert (step.line_start, step.line_end) == (step.line_start, line_of(lines, "then renames it over"))
    assert step.text == "the child writes the dataset to /var/lib/redis/dump.rdb then renames it over the old file"
    assert at(redis, line_of(lines, "3) the parent")).kind is BlockKind.STEP, "'1)' numbers are items too"


def test_a_paragraph_after_a_blank_line_inside_an_item_sits_under_it() -> None:
    text = "- Pipelines\n  batch many commands\n\n  saves round trips:\n  one per batch\n- Next\n"
    blocks = read_blocks(text)
    assert [(b.kind, b.text, b.start, b.end) for b in blocks] == [
        (BlockKind.ITEM, "Pipelines batch many commands", 1, 2),
        (BlockKind.PARAGRAPH, "saves round trips: one per batch", 4, 5),
        (BlockKind.ITEM, "Next", 6, 6),
    ]
    assert blocks[1].parents == ("Pipelines batch many commands",) and blocks[2].parents == ()


def test_table_rows_are_read_with_their_header_and_rules_are_no_passages(
    redis: list[Passage], lines: list[str]
) -> None:
    row = at(redis, line_of(lines, "| databases"))
    assert row.kind is BlockKind.TABLE_ROW and row.text == "databases — default: 16; note: numbered from 0"
    assert row.line_end == row.line_start
    header, rule = line_of(lines, "| setting"), line_of(lines, "|-----")
    assert not [p for p in redis if p.line_start in (header, rule, line_of(lines, "#+TBLFM"))]
    # without a rule under the first row there is no header: every row is a body row
    blocks = read_blocks("| port | 6379 |\n| bus port | 16379 |\n")
    assert [(b.text, b.start) for b in blocks] == [("port: 6379", 1), ("bus port: 16379", 2)]


def test_src_example_and_fixed_width_are_code_and_quotes_are_quotes(redis: list[Passage], lines: list[str]) -> None:
    code = at(redis, line_of(lines, "#+begin_src conf"))
    assert code.kind is BlockKind.CODE and code.line_end == line_of(lines, "#+end_src")
    assert code.text == "save 3600 1 300 100 60 10000\ndir /var/lib/redis"
    fixed = at(redis, line_of(lines, ": $ redis-cli"))
    assert fixed.kind is BlockKind.CODE and fixed.text == "$ redis-cli INFO replication\nrole:master"
    quote = at(redis, line_of(lines, "Use both RDB"))
    assert quote.kind is BlockKind.QUOTE and quote.line_end == line_of(lines, "what PostgreSQL can")
    blocks = read_blocks(
        "- item\n  #+BEGIN_EXAMPLE\n    x = 1\n  #+END_EXAMPLE\n#+begin_comment\nsecret\n#+end_comment\n"
    )
    assert [(b.kind, b.text, b.start, b.end, b.parents) for b in blocks[1:]] == [
        (BlockKind.CODE, "x = 1", 2, 4, ("item",))
    ], "a block inside an item sits under it; a comment block is skipped"


def test_inline_markup_and_links_become_plain_text() -> None:
    assert (
        plain("*bold*, /italic/, _under_, +struck+, =a*b*c= and ~x /y/~")
        == "bold, italic, under, struck, a*b*c and x /y/"
    )
    assert plain("see [[https://redis.io/docs][the docs]], [[Replication]] and [[*Limits]]") == (
        "see the docs, Replication and Limits"
    )
    # paths, arithmetic, identifiers and C++ keep their characters
    for kept in ("edit /etc/redis/redis.conf", "cost 2*3*4 or a + b + c", "snake_case_name", "C++ and C#", "x-y-z"):
        assert plain(kept) == kept
    assert plain("under /var/lib/redis/ today") == "under /var/lib/redis/ today"


def test_every_passage_keeps_exact_lines_and_plain_text(redis: list[Passage], lines: list[str]) -> None:
    for p in redis:
        assert 1 <= p.line_start <= p.line_end <= len(lines)
        first = lines[p.line_start - 1]
        assert first.strip(), f"a passage starts on a blank line: {p}"
        if p.kind is not BlockKind.CODE:
            assert not any(m in p.text for m in ("=", "~", "[[", "#+", ":END:")), p.text
    assert parse_org(REDIS.read_text(encoding="utf-8").replace("\n", "\r\n"), "redis.org") == redis


@pytest.fixture(scope="module")
def org_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    index = tmp_path_factory.mktemp("orgdemo") / "index"
    settings = Settings(notes_dir=str(ORGDEMO), index_dir=str(index))
    build_index(settings, progress=False)
    return Engine.load(settings)


@pytest.mark.parametrize(
    ("question", "expected", "line_text"),
    [
        ("what is the default appendfsync policy", "everysec", "appendfsync everysec"),
        ("how many databases does redis have by default", "16", "| databases"),
        ("what does WAIT 2 100 do", "blocks until 2 replicas acknowledged", "=WAIT 2 100="),
        ("what does SINTER do", "intersects several sets", "=SINTER="),
    ],
)
def test_an_org_folder_answers_citing_its_lines(
    org_engine: Engine, lines: list[str], question: str, expected: str, line_text: str
) -> None:
    ans = org_engine.answer(question)
    assert not ans.abstained, ans
    assert expected.lower() in ans.answer.lower()
    top = ans.citations[0]
    assert top.source == "redis.org"
    assert top.lines[0] <= line_of(lines, line_text) <= top.lines[1], [c.lines for c in ans.citations]


def test_unclosed_drawers_and_blocks_are_read_as_text_and_never_cross_a_headline() -> None:
    text = ":NOTES:\nkept as text\n#+BEGIN_SRC sh\necho hi\n* Next\n#+END_SRC\n:END:\n"
    blocks = read_blocks(text)
    assert [(b.kind, b.text, b.start) for b in blocks] == [
        (BlockKind.PARAGRAPH, ":NOTES: kept as text", 1),
        (BlockKind.PARAGRAPH, "echo hi", 4),
        (BlockKind.HEADING, "Next", 5),
    ], "the :END: and #+END_SRC left over after the headline are skipped"


def test_odd_input_never_raises() -> None:
    odd = [
        "",
        "*",
        "* ",
        "*** :tag:",
        "-",
        "- [ ]",
        "1.",
        "|",
        "|-",
        "| a |\n|---|",
        ":",
        ":PROPERTIES:\n:END:",
        "#+BEGIN_SRC",
        "#+END_SRC",
        "#+TITLE:",
        "[[",
        "[[]]",
        "=",
        "*/_+=~",
        "\t- tab\n\t\t- deeper\n- back",
        ":LOGBOOK:\n" * 200 + ":END:\n",
        "#+begin_center\n" * 200,
    ]
    for text in odd:
        for p in parse_org(text, "odd.org"):
            assert p.text and 1 <= p.line_start <= p.line_end


def test_emphasis_may_run_over_a_line_break_and_footnotes_leave_the_text() -> None:
    blocks = read_blocks("Keys set with *a time\nto live* expire.[fn:1]\n\n[fn:1] Lazily or by the active cycle.\n")
    assert [(b.text, b.start, b.end) for b in blocks] == [
        ("Keys set with a time to live expire.", 1, 2),
        ("Lazily or by the active cycle.", 4, 4),
    ]
