"""Records in plain-text notes (a visit's or a ticket's head line over its field lines, a commit of ``git log``
output), initials written with dots, and lines that say a figure is not known."""

from __future__ import annotations

import textwrap

from ingest.gitlog import is_git_log, rewrite_git_log
from ingest.parser import parse_text
from kg.model import Passage
from kg.qa.calibrate import UNSURE
from kg.text import terms

VISITS = """CLIENT NOTES - JAN
dates = dd/mm

03/01 - S.K. (L ankle, inversion sprain 3/52 ago, netball)
S: rolled it at training landing on someones foot
O: WBLT (knee to wall) L 6 cm, R 11 cm
A: grade 2 lat ankle sprain (ATFL)
P: talocrural mobs gr III, HEP knee to wall 3x15

05/01 - D.T. (R shoulder, swimmer)
S: 2-3 wks ant/lat shoulder pain, squad 5x/wk
O: ER HHD R 11.2 kg / L 13.0 kg

Kept these because the shared drive is slow. More on that later, when it is fixed.
Dates: all dd/mm
Prices: see the sheet
"""


def at(passages: list[Passage], line: int) -> Passage:
    return next(p for p in passages if p.line_start <= line <= p.line_end)


def test_the_line_over_a_run_of_fields_heads_each_of_them() -> None:
    ps = parse_text(VISITS, "visits.txt")
    head = "03/01 - S.K. (L ankle, inversion sprain 3/52 ago, netball)"
    assert [at(ps, n).lead for n in (5, 6, 7, 8)] == [head] * 4
    assert at(ps, 6).text == "O: WBLT (knee to wall) L 6 cm, R 11 cm"
    assert head in at(ps, 6).context_text()  # the visit's patient is searched with each of its lines
    assert at(ps, 12).lead == "05/01 - D.T. (R shoulder, swimmer)"
    assert at(ps, 4).lead == ""  # the head itself is no field


def test_a_sentence_over_fields_or_a_run_after_a_blank_line_heads_nothing() -> None:
    ps = parse_text(VISITS, "visits.txt")
    assert at(ps, 15).lead == at(ps, 16).lead == ""  # a paragraph that says something names no record
    signed = "SUPPLIER MAIL - JAN\n\nThanks,\nHannah\n\nFrom: Marcus Lee\nTo: Hannah Price\nDate: Mon, 15 Jan 2024\n"
    ps = parse_text(signed, "mail.txt")
    assert all(not p.lead for p in ps)  # the fields start after a blank line: the sign-off above heads nothing
    car = "CAR NOTES - GOLF\n\nwipers\nGolf: 650 + 475 mm\n\nbulbs\nlow beam: H7\nhigh beam: H7\n- fog: H11\n"
    ps = parse_text(car, "car.txt")
    assert at(ps, 4).lead == ""  # one field is no record
    assert at(ps, 7).lead == at(ps, 8).lead == "bulbs"


def test_every_field_of_a_long_run_is_led_and_the_line_after_the_run_is_not() -> None:
    lines = ["CONFIG DUMP - PROD", "", "[core] config", *(f"key{k}: value {k}" for k in range(400))]
    ps = parse_text("\n".join([*lines, "[celery] worker_concurrency: 16", ""]), "airflow.txt")
    assert {at(ps, n).lead for n in range(4, 404)} == {"[core] config"}
    assert at(ps, 404).lead == ""  # no field (a bracket first): the run's head does not carry on to it


def test_initials_written_with_dots_are_searched_as_typed_without() -> None:
    assert terms("S.K. knee to wall") == terms("SK knee to wall")
    assert "dt" in terms("05/01 - D.T. (R shoulder)")
    assert "t2.small" in terms("a t2.small instance")  # an identifier keeps its dots


def test_lines_that_say_the_figure_was_not_given_are_unsure() -> None:
    for line in (
        "late problem sheets lose marks per day late, she didnt say how much",
        "Ultimaker 0.75 kg | not weighed yet",
        "Eberspacher Airtronic D2 - never priced it",
        "Shockwave - machine coming March. no price agreed yet",
        "DISHWASHER - low-temp machine = chemical sanitizing. temps for those werent covered",
        "Leo Triplet - M65 (mag 9.3), NGC 3628 (faint, no mag written down)",
        "garbage patch: Prof K refused to give a size",
        "listener Qs: VCTs - income tax relief but high risk. they gave NO numbers",
        "bought the blue one, dont know the price",
    ):
        assert UNSURE.search(line), line
    for line in (
        "if you don't specify a region the SDK uses us-east-1",
        "price is set per seat",
        "doesn't cover wellness or vaccines",  # what a policy covers is said, not left out
        # advice to a reader who does not know, not the writer not knowing
        "If you don't know how long it takes to process a message, create a heartbeat for your consumer",
        "if u dont know the port, it's in the config",
    ):
        assert not UNSURE.search(line), line


WRAPPED = textwrap.wrap(
    "Hotel Aurora has about forty front desk staff behind one NAT IP and they kept locking each other out at "
    "every shift change, so the limit is now per pair of IP and username. The password reset limit stays at "
    "three a minute per email, which nobody has complained about yet, and the lockout window stays at fifteen "
    "minutes as it was before this change. The front desk accounts were the only ones that ever hit the old "
    "limit in the logs of the last month, so this changes nothing for anyone else, and the alert on lockouts "
    "stays where it was, at twenty an hour across the whole app, which the front desk alone used to trip.",
    width=72,
)


def _commit(sha: str, subject: str, body: list[str]) -> list[str]:
    head = [f"commit {sha * 5}", "Author: Marta K <marta@example.org>", "Date:   Mon Jan 27 15:36:20 2025 +0100", ""]
    return [*head, f"    {subject}", "", *(f"    {line}" if line else "" for line in body), ""]


GIT_LOG = [
    *_commit("6e09a1ce", "pagination: default page size 25, max 100", ["- limit > 100 is clamped, not rejected"]),
    *_commit("79f58f29", "Raise login rate limit to 10/min per IP", [*WRAPPED, "", "Fixes #226"]),
    *_commit("84943d05", "Correct message of 79f58f2", ["What actually shipped:", "- 10/min per (IP + username)"]),
]


def test_git_log_output_reads_as_commits_named_by_their_subjects() -> None:
    assert is_git_log(GIT_LOG) and not is_git_log(GIT_LOG[:12])  # three commits at least
    markup = rewrite_git_log(GIT_LOG)
    assert markup.titles[0] == ("pagination: default page size 25, max 100", 1)
    assert markup.lines[6] == "- limit > 100 is clamped, not rejected"  # the message at the margin
    ps = parse_text("\n".join(GIT_LOG) + "\n", "history.txt")
    date = at(ps, 3)
    assert date.text.startswith("Date:") and date.section[-1] == "pagination: default page size 25, max 100"
    assert at(ps, 5).text == "pagination: default page size 25, max 100" and not at(ps, 5).is_heading
    body = at(ps, 15)
    assert (body.line_start, body.line_end) == (15, 14 + len(WRAPPED))  # the wrapped paragraph is one passage
    assert "pair of IP and username" in body.text
    last = len(GIT_LOG) - 1  # the last item of the last commit's list
    assert at(ps, last).lead == "What actually shipped" and at(ps, last).section[-1] == "Correct message of 79f58f2"
