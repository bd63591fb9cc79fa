"""The answering core on the real index: each kind of question, names with typos, units, abstention."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.pipeline import build_index
from kg.errors import BadRequest, PayloadTooLarge
from kg.model import Answer, QuestionKind
from kg.qa.calibrate import FEATURES
from kg.qa.engine import Engine
from kg.settings import Settings
from tests.conftest import FIXTURES, NOTES, ROOT, ingest_one


def line_of(sample_lines: list[str], text: str) -> int:
    """1-based number of the only sample line containing text."""
    hits = [i + 1 for i, line in enumerate(sample_lines) if text in line]
    assert len(hits) == 1, f"{text!r} found on lines {hits}"
    return hits[0]


def cites(ans: Answer, line: int, within: int = 1) -> bool:
    return any(c.lines[0] <= line <= c.lines[1] for c in ans.citations[:within])


@pytest.mark.parametrize(
    ("question", "expected", "line_text"),
    [
        # limits and numbers, with the unit the notes use
        ("what is the max lambda timeout", "900 seconds", "Maximum execution time: 900 seconds"),
        ("max number of local secondary indexes per table", "up to 5 LSI", "Can have up to 5 LSI"),
        ("how big can an object in S3 be", "5TB", "Max Size is 5TB"),
        # prices with their billing unit
        ("how much does a t2.small cost per hour", "$0.023", "cost $0.023 per Hour"),
        ("spot instance discount compared to on demand", "90%", "discount of up to 90%"),
        # definitions
        ("what is an AMI", "image to use to create our instances", "That’s an AMI"),
        ("what does CORS stand for", "Cross Origin Resource Sharing", "Cross Origin Resource Sharing allows"),
        # features and best practices
        ("which user runs the ec2 user data script", "root user", "runs with the root user"),
        ("how should I give an EC2 instance permissions for the AWS CLI", "IAM roles", "IAM roles can be attached"),
        # comparison
        ("alb vs nlb: which sees the client ip directly", "NLB", "NLB directly see the client IP"),
    ],
)
def test_answers_by_kind(engine: Engine, sample_lines: list[str], question: str, expected: str, line_text: str) -> None:
    ans = engine.answer(question)
    assert not ans.abstained, ans
    assert expected.lower() in ans.answer.lower().replace("’", "'")
    assert len(ans.answer) <= 300
    assert cites(ans, line_of(sample_lines, line_text), within=3), [c.lines for c in ans.citations]


def test_list_gathers_sibling_bullets(engine: Engine, sample_lines: list[str]) -> None:
    ans = engine.answer("what are the Elastic Beanstalk architecture models")
    for item in ("Single instance deployment", "LB + ASG", "ASG only"):
        assert item in ans.answer
    first = ans.citations[0]
    assert first.lines[0] <= line_of(sample_lines, "LB + ASG: great for production") <= first.lines[1]


def test_multi_hop_follows_the_named_service(engine: Engine, sample_lines: list[str]) -> None:
    ans = engine.answer(
        "DynamoDB streams can trigger functions in another service - what is the max execution time of those functions"
    )
    assert "900 seconds" in ans.answer
    assert cites(ans, line_of(sample_lines, "Maximum execution time: 900 seconds"), within=3)


CHEMISTRY = """# Chemistry notes

## Elements
- sodium: soft metal, reacts violently with water
- argon: noble gas, does not react with anything
- iron: rusts slowly in moist air

## Melting points
- sodium melts at 98 C
- argon melts at -189 C
- iron melts at 1538 C

## Constants
- water self-ionises: Kw = 1.0 × 10⁻¹⁴ at 25 °C
- carbon-14 half-life: t½ = 5730 years

## Compounds
- kitchen salt = sodium chloride b/c it is mined as rock salt in the UK (Cheshire)
- sodium chloride melts at 801 C
"""


@pytest.fixture(scope="module")
def chemistry(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """A small index of notes that name things in one list and give their figures in another."""
    settings, _ = ingest_one(tmp_path_factory.mktemp("chemistry"), "chemistry.md", CHEMISTRY)
    return Engine.load(settings)


@pytest.mark.parametrize(
    ("question", "first_hop", "answer_line"),
    [
        # the thing is described by a relative clause; the line that describes it names it in its label
        ("melting point of the element that reacts violently with water", 4, 9),
        # the thing described first, then asked about with a pronoun
        ("the element that rusts in moist air - what is its melting point", 6, 11),
        # the line that describes it gives its name as the value of the label the question uses
        ("melting point of the compound that kitchen salt is made of", 18, 19),
    ],
)
def test_multi_hop_finds_the_described_thing_by_the_label_of_its_line(
    chemistry: Engine, question: str, first_hop: int, answer_line: int
) -> None:
    ans = chemistry.answer(question)
    lines = CHEMISTRY.split("\n")
    assert lines[answer_line - 1].lstrip("- ") in ans.answer, ans.answer
    assert ans.citations[0].lines[0] <= answer_line <= ans.citations[0].lines[1]
    assert any(c.lines[0] <= first_hop <= c.lines[1] for c in ans.citations), [c.lines for c in ans.citations]


def test_a_line_that_names_the_thing_and_says_what_is_asked_answers_in_one_step(chemistry: Engine) -> None:
    from kg.qa.answer import rank, two_steps

    question = "the soft metal that reacts violently with water - reacts with what?"
    scored = rank(chemistry.index, chemistry.embed, question)
    assert scored.query.clauses == ("the soft metal that reacts violently with water", "reacts with what?")
    steps = []
    _, hops = two_steps(
        chemistry.index, lambda text: steps.append(text) or rank(chemistry.index, chemistry.embed, text), scored
    )
    assert hops == [] and len(steps) == 1  # the first step's line says it: no second step
    ans = chemistry.answer(question)
    assert "reacts violently with water" in ans.answer and ans.citations[0].lines[0] == 4


def test_the_second_step_gets_as_many_names_as_the_fitted_hand_over_gives(chemistry: Engine) -> None:
    from kg.qa.answer import Scored, rank, two_steps
    from kg.qa.retrieve import load_bridge

    question = "melting point of the compound that kitchen salt is made of"
    scored = rank(chemistry.index, chemistry.embed, question)
    assert scored.query.clauses, "a two-step question"

    def second_step(**change: int) -> str:
        asked: list[str] = []

        def rank_text(text: str) -> Scored:
            asked.append(text)
            return rank(chemistry.index, chemistry.embed, text)

        two_steps(chemistry.index, rank_text, scored, load_bridge()._replace(**change))
        assert asked[0] == scored.query.clauses[0]
        return asked[1]

    rest = scored.query.clauses[1]
    # the line that describes the thing names it as its label's value: "sodium chloride", two words
    assert second_step(names=1, label_words=2) == f"{rest} sodium chloride"
    assert "sodium chloride" not in second_step(names=1, label_words=1)  # a value longer than a label may be
    handed = [second_step(names=n, label_words=2) for n in (1, 2, 3)]
    assert handed[0] != handed[2] and all(b.startswith(a) for a, b in zip(handed, handed[1:], strict=False))


def test_a_reading_whose_second_step_comes_back_to_its_first_line_ranks_below_one_that_reaches_another() -> None:
    from kg.model import Passage
    from kg.qa.answer import Scored, _path_key
    from kg.qa.question import Query
    from kg.qa.retrieve import Candidate

    def line(n: int, score: float) -> Candidate:
        return Candidate(Passage(f"p{n}", "notes.md", n, n, f"line {n}", ()), score=score)

    query = Query(text="q", normalised="q", kind=QuestionKind.MULTI_HOP, services=())
    back = Scored(query, [line(4, 0.9), line(9, 0.5)], "")  # lands on the first step's own line again
    onward = Scored(query, [line(9, 0.3), line(4, 0.2)], "")
    assert _path_key(back, [line(4, 0.5)]) < _path_key(onward, [line(4, 0.5)])
    assert _path_key(onward, [line(4, 0.5)]) < _path_key(Scored(query, [line(9, 0.4)], ""), [line(4, 0.5)])


HOUSE = """# House notes

## Appliances
- UPDATE 3 May: the old kettle died (scale in the element). new one is a Brevik K2, got it on sale
- fridge: Arctis 300, A++ rated, bought 2021
- toaster: two slots, crumb tray at the back

## Power draw
- Brevik K2 draws 2200 W at full boil
- Arctis 300 draws 90 W on average
- the microwave draws 800 W on high
"""


def test_a_two_step_question_follows_the_words_that_link_its_first_line_to_another(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The first step's line is labelled by a date that names nothing ("UPDATE 3 May"); the name that leads on
    ("Brevik K2") is the line's rarest word the notes use again."""
    from kg.qa.answer import _linking_words, rank

    settings, _ = ingest_one(tmp_path_factory.mktemp("house"), "house.md", HOUSE)
    house = Engine.load(settings)
    question = "the kettle that replaced the old one - how many watts does it draw"
    first = rank(house.index, house.embed, "the kettle that replaced the old one")
    assert first.ranked[0].passage.line_start == 4
    assert _linking_words(house.index, first.query, first.ranked[0].passage, 2) == ["brevik", "k2"]
    ans = house.answer(question)
    assert "2200 W" in ans.answer and not ans.abstained, ans.answer
    assert ans.citations[0].lines == (9, 9) and any(c.lines[0] <= 4 <= c.lines[1] for c in ans.citations)


def test_a_two_step_question_follows_each_of_the_first_steps_best_passages_and_keeps_the_best_ranked_path(
    chemistry: Engine,
) -> None:
    from kg.qa.answer import Scored, rank, two_steps
    from kg.qa.retrieve import load_bridge

    question = "melting point of the compound that kitchen salt is made of"
    scored = rank(chemistry.index, chemistry.embed, question)
    steps: dict[str, Scored] = {}

    def rank_text(text: str) -> Scored:
        steps[text] = rank(chemistry.index, chemistry.embed, text)
        return steps[text]

    kept, hops = two_steps(chemistry.index, rank_text, scored, load_bridge()._replace(readings=2))
    first = steps.pop(scored.query.clauses[0]).ranked
    # the first clause is ranked once, then the second once for each of the first step's two best passages
    assert len(steps) == 2 and hops[0].passage.id in {c.passage.id for c in first[:2]}
    # the reading whose two steps rank their passages highest together
    path = {c.passage.id: c.score for c in first[:2]}
    assert len(path) == 2
    kept_path = hops[0].score + kept.ranked[0].score
    assert kept_path == max(path[h] + s.ranked[0].score for h, s in zip(path, steps.values(), strict=True))


@pytest.mark.parametrize(
    ("question", "expected", "line"),
    [
        ("ion product of water", "Kw = 1.0 × 10⁻¹⁴", 14),  # asked without the superscripts the notes write
        ("half life of carbon 14", "t½ = 5730 years", 15),
    ],
)
def test_answers_quote_superscripts_and_fractions_as_written(
    chemistry: Engine, question: str, expected: str, line: int
) -> None:
    ans = chemistry.answer(question)
    assert expected in ans.answer, ans.answer  # not "10-14" or "t1⁄2"
    assert ans.citations[0].lines[0] <= line <= ans.citations[0].lines[1]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("lamda max execution time", "900 seconds"),  # typo in the service name
        ("dyanmodb max LSIs per table", "up to 5 LSI"),  # transposed letters
        ("how many lsi can a dynamo db table have", "up to 5 LSI"),  # acronym, spaced name
        ("aurura max storage size", "64 TB"),  # typo in a name that is not a service heading
    ],
)
def test_typos_and_aliases(engine: Engine, question: str, expected: str) -> None:
    ans = engine.answer(question)
    assert expected.lower() in ans.answer.lower().replace("’", "'"), ans.answer


def test_unit_conversion_uses_graph_facts(engine: Engine) -> None:
    ans = engine.answer("how many minutes can a lambda function run")
    assert "900 seconds" in ans.answer and "15 minutes" in ans.answer
    assert any("900" in f.object and f.subject == "AWS Lambda" for f in ans.facts)
    assert "kgqa:baseUnit" in ans.sparql
    hours = engine.answer("how many hours can a lambda function run")
    assert "0.25 hours" in hours.answer  # 900 s expressed in the unit asked for


@pytest.mark.parametrize(
    "question",
    [
        "sqs max message size",
        "kinesis data stream default retention period",
        "How much does an EKS cluster cost per hour?",
        "What's the default cooldown period for an Auto Scaling Group?",
        "how do I configure a VPC transit gateway attachment",
    ],
)
def test_abstains_when_notes_do_not_say(engine: Engine, question: str) -> None:
    read: dict[str, float] = {}
    ans = engine.answer(question, signals_out=read)
    assert ans.abstained, ans.answer
    assert ans.answer.startswith("That is not in your notes")
    assert ans.citations, "an abstention still points at the nearest passages"
    assert ans.confidence < engine.calibration.threshold_for(read)  # the threshold of the kind asked for


def test_answer_shape_and_json(engine: Engine) -> None:
    ans = engine.answer("what is the max lambda timeout", top_k=3)
    data = ans.to_json()
    assert set(data) >= {"question", "answer", "abstained", "confidence", "citations", "facts", "sparql", "timings_ms"}
    assert len(data["citations"]) == 3
    assert set(data["citations"][0]) == {"source", "lines", "section", "text"}
    assert data["citations"][0]["source"] == "aws-developer-associate-notes.txt"
    assert 0.0 <= data["confidence"] <= 1.0
    assert "SELECT" in data["sparql"]
    json.dumps(data)  # serialisable as it is


def test_deterministic(engine: Engine) -> None:
    questions = ["what is the max lambda timeout", "s3 object encryption options", "what is RDS"]
    first = [engine.answer(q) for q in questions]
    again = [engine.answer(q) for q in reversed(questions)][::-1]
    for a, b in zip(first, again, strict=True):
        assert (a.answer, a.citations, a.confidence, a.facts) == (b.answer, b.citations, b.confidence, b.facts)


def test_deterministic_across_loads(settings, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    other = Engine.load(replace(settings))
    q = "how many read replicas can RDS have"
    assert other.answer(q).to_json()["citations"] == engine.answer(q).to_json()["citations"]
    assert other.answer(q).answer == engine.answer(q).answer


@pytest.mark.parametrize(
    ("question", "error"),
    [("", BadRequest), ("   ", BadRequest), (42, BadRequest), (None, BadRequest), ("x" * 5000, PayloadTooLarge)],
)
def test_bad_questions_get_clear_errors(engine: Engine, question: object, error: type) -> None:
    with pytest.raises(error) as info:
        engine.answer(question)  # type: ignore[arg-type]
    assert info.value.status in (400, 413)
    assert info.value.message


def test_top_k_bounds(engine: Engine) -> None:
    with pytest.raises(BadRequest):
        engine.answer("lambda timeout", top_k=0)
    with pytest.raises(BadRequest):
        engine.answer("lambda timeout", top_k=21)
    assert len(engine.answer("lambda timeout", top_k=1).citations) == 1


def test_question_words_alone_ask_nothing(engine: Engine) -> None:
    for question in ("what's the difference between", "how many", "???"):
        ans = engine.answer(question)
        assert ans.abstained and ans.confidence < 0.1, (question, ans.answer)


def test_a_bare_service_name_is_answered_by_what_it_is(engine: Engine, sample_lines: list[str]) -> None:
    ans = engine.answer("S3")
    assert ans.kind == "definition" and not ans.abstained
    assert cites(ans, line_of(sample_lines, "Amazon S3 allows people to store objects"))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("why don't my api gateway edits take effect", "deployment"),  # why: a cause or a condition
        ("where are RDS databases usually deployed", "private subnet"),  # where: a place
    ],
)
def test_why_and_where_questions(engine: Engine, question: str, expected: str) -> None:
    ans = engine.answer(question)
    assert not ans.abstained and expected in ans.answer, ans.answer


def test_near_miss_signals_read_what_the_answer_says(engine: Engine) -> None:
    # the same line answers both; only the question that asks for a default finds none stated in it
    asked_max: dict[str, float] = {}
    engine.answer("what is the maximum execution time of a lambda function", signals_out=asked_max)
    asked_default: dict[str, float] = {}
    engine.answer("what is the default execution time limit of a lambda function", signals_out=asked_default)
    assert asked_max["default_missing"] == 0.0 and asked_default["default_missing"] == 1.0
    # "how many hours" asks for a time, not a count; "how many replicas" is answered by a count
    for question in ("how many hours can a lambda function run", "how many read replicas can rds have"):
        found: dict[str, float] = {}
        engine.answer(question, signals_out=found)
        assert found["count_missing"] == 0.0, question


def test_the_confidence_reads_how_the_line_fits_without_the_words_the_answer_does_not_say(engine: Engine) -> None:
    # the line on the maximum execution time fits a question about a GPU far better once "gpu" is dropped; the
    # question the line answers gains less
    near: dict[str, float] = {}
    engine.answer("what is the max execution time of a lambda function on a gpu", threshold=0.0, signals_out=near)
    asked: dict[str, float] = {}
    engine.answer("what is the max execution time of a lambda function", threshold=0.0, signals_out=asked)
    assert near["dropped_rise"] > 0.02 and near["dropped_rise"] > asked["dropped_rise"] + 0.01, (near, asked)


def test_the_confidence_reads_what_kind_of_answer_the_question_asked_for(engine: Engine) -> None:
    kinds = [f for f in FEATURES if f.startswith("kind_")]
    assert kinds == [f"kind_{k.value}" for k in QuestionKind]
    for question, kind in (
        ("what is the max lambda timeout", QuestionKind.NUMBER),
        ("what is sqs", QuestionKind.DEFINITION),
        # answered in two steps, read by the second step's query: still the kind the whole question asked for
        ("what is the max message size of the queue service that lambda polls", QuestionKind.MULTI_HOP),
    ):
        read: dict[str, float] = {}
        ans = engine.answer(question, signals_out=read)
        assert [f for f in kinds if read[f]] == [f"kind_{kind.value}"], (question, ans.kind)
        assert sum(read[f] for f in kinds) == 1.0
        if kind is QuestionKind.MULTI_HOP:
            assert ans.kind is not kind  # the answer's kind is its second step's


INFRA = """# Infra

## Services

| service | what we run | size / notes |
| --- | --- | --- |
| api | the web image, 4 tasks | 1 vCPU / 2 GB each |
| hooks-worker | same image, CMD=worker:hooks | 3 tasks (see webhooks) |
| batch-worker | exports, PDFs, payouts | 2 tasks, 2 vCPU / 4 GB |

## Deploys

Deploys go out Tuesday and Thursday mornings.
"""


def test_a_figure_of_the_asked_family_only_on_a_line_the_answer_added_is_a_signal_of_its_own(tmp_path) -> None:
    settings, _ = ingest_one(tmp_path, "infra.md", INFRA)
    engine = Engine.load(settings)
    for question, beside in (
        ("how much memory does each hooks-worker task get", 1.0),  # its row says none; the next row's 4 GB
        ("how much memory does each api task get", 0.0),  # its own row says 2 GB
        ("how many tasks does hooks-worker run", 0.0),  # no unit family asked
    ):
        read: dict[str, float] = {}
        engine.answer(question, threshold=0.0, signals_out=read)
        assert read["family_beside"] == beside, question


def test_a_missing_figure_is_read_by_the_unit_family_the_question_asks_in(engine: Engine) -> None:
    from kg.qa.answer import rank
    from kg.qa.calibrate import signals

    family = [f for f in FEATURES if f.startswith("family_missing_")]
    for question, missing in (
        ("what is the max lambda timeout", []),  # asked in time, stated in time
        ("how much does the max lambda timeout cost", ["family_missing_money"]),
        ("how many GB is the max lambda timeout", ["family_missing_size"]),
    ):
        # read off the line that states the timeout in time, whichever line the ranking puts first
        scored = rank(engine.index, engine.embed, question)
        timeout = [c for c in scored.ranked if "900 seconds" in c.passage.text]
        assert timeout, question
        read = signals(engine.index, scored.query, [*timeout[:1], *scored.ranked])
        assert [f for f in family if read[f]] == missing, question


DETERMINISM_PROBE = """
import json, sys
from kg.qa.engine import Engine
from kg.settings import Settings
engine = Engine.load(Settings(notes_dir=sys.argv[1], index_dir=sys.argv[2]))
out = []
for line in open(sys.argv[3], encoding="utf-8"):
    a = engine.answer(json.loads(line)["question"], threshold=0.0)
    out.append([a.answer, a.confidence, [[c.source, *c.lines] for c in a.citations]])
print(json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.parametrize("corpus", ["sample", "shnotes"])
def test_deterministic_across_processes(corpus: str, index_dir: Path, tmp_path: Path) -> None:
    """Each process orders sets of strings by its own hash seed: no answer, confidence or citation may depend on
    that order (a service's names of one length once did, through the keyword query's added names)."""
    if corpus == "sample":
        notes, index, qa = NOTES, index_dir, ROOT / "data" / "eval" / "qa_dev.jsonl"
    else:
        notes, index = FIXTURES / "notes_shnotes", tmp_path / "index"
        build_index(Settings(notes_dir=str(notes), index_dir=str(index)), progress=False)
        qa = FIXTURES / "qa_shnotes.jsonl"
    runs = set()
    for seed in ("0", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", DETERMINISM_PROBE, str(notes), str(index), str(qa)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
            timeout=600,
        )
        runs.add(done.stdout)
    assert len(runs) == 1, "answers, confidences or citations differ between two hash seeds"


SETTINGS_REFERENCE = """# Backup tool settings

## retries
- Default: 5
- Type: Number

How often a failed upload is tried again before the run gives up.

## chunk-size
- Default: 8 MiB
- Type: Size

The size of each piece an upload is split into.

## verify
- Default: false
- Type: Boolean

Whether each piece is read back after it is written.
"""


def test_an_entry_field_the_question_asks_for_joins_the_line_that_describes_the_entry(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Reference entries share fields ("Default:", "Type:" under each heading); the question's words find the
    description, and the default it asks for is the entry's "Default:" field."""
    settings, _ = ingest_one(tmp_path_factory.mktemp("reference"), "settings.md", SETTINGS_REFERENCE)
    reference = Engine.load(settings)
    ans = reference.answer("how often is a failed upload tried again by default", threshold=0.0)
    assert ans.answer.startswith("Default: 5"), ans.answer
    assert "tried again" in ans.answer and ans.citations[0].lines == (4, 4), ans.citations
    # a question that asks for no field of the entry gets the description alone
    plain = reference.answer("what is read back after it is written", threshold=0.0)
    assert "Default" not in plain.answer and "read back" in plain.answer, plain.answer


CAMP = """# Camping

## Kit list for the lakes

- tent: Nemo Hornet 2P, bought in March
- stove: MSR PocketRocket 2
- pans: the old Trangia set, forgot to check it still has the handle

## Tent

The tent pitches inner first, 6 pegs, about 10 minutes in the dry.
"""


def test_a_line_the_answer_added_that_says_it_does_not_know_is_a_signal_of_its_own(tmp_path) -> None:
    settings, _ = ingest_one(tmp_path, "camping.md", CAMP)
    engine = Engine.load(settings)
    for question, own, beside in (
        ("what is on the kit list for the lakes", 0.0, 1.0),  # the list's first line, and "forgot to check" below
        ("which pans are on the kit list", 1.0, 0.0),  # the line found says it itself
        ("how long does the tent take to pitch", 0.0, 0.0),
    ):
        read: dict[str, float] = {}
        ans = engine.answer(question, threshold=0.0, signals_out=read)
        assert (read["unsure"], read["unsure_beside"]) == (own, beside), (question, ans.answer)
