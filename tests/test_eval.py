"""`kgqa eval` on the development set: the scoring itself, and a floor under answer quality for CI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.model import Answer, Citation
from kg.qa.engine import Engine
from kg.qa.evaluate import answer_correct, citation_hit, format_report, load_qa, run_eval

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "data" / "eval" / "qa_dev.jsonl"
# Reached on the development set with the fitted ranking and confidence (make fit; the development set is
# in the training split, one of thirty-one corpora): answer accuracy 0.90, citation@1 0.95, abstention recall
# 0.67 (10 of 15), false abstention 0.06 (docs/evaluation.md). The floor sits a few questions under, so a
# regression fails the build while a one-question wobble does not; answer accuracy at 0.85, the project's
# own bar.
FLOOR = {"answer_accuracy": 0.85, "citation_at_1": 0.88, "abstention_recall": 0.6}
CEILING = {"false_abstention": 0.08}


def test_scoring_follows_the_dev_set_rules() -> None:
    item = {
        "answers": ["up to 5 LSI"],
        "type": "number",
        "source_lines": [1064],
        "source_file": "aws-developer-associate-notes.txt",
    }
    cite = Citation("aws-developer-associate-notes.txt", (1064, 1064), "", "")
    right = Answer("q", "Can have up to 5 LSI’s per table", False, 0.9, (cite,))
    assert answer_correct(item, right)  # curly quotes folded, case ignored
    assert not answer_correct(item, Answer("q", right.answer, True, 0.1, (cite,)))  # abstained
    assert not answer_correct(item, Answer("q", "x" * 401 + " up to 5 LSI", False, 0.9))  # too long
    assert citation_hit(item, (cite,), 1)
    off = Citation("aws-developer-associate-notes.txt", (1065, 1070), "", "")
    assert not citation_hit(item, (off, cite), 1) and citation_hit(item, (off, cite), 3)
    listing = {"answers": ["SQS", "SNS"], "type": "list"}
    assert not answer_correct(listing, Answer("q", "SQS only", False, 0.9))
    assert answer_correct(listing, Answer("q", "SQS; SNS", False, 0.9))


def test_bad_qa_file_is_a_clear_error(tmp_path: Path) -> None:
    from kg.errors import BadRequest

    bad = tmp_path / "qa.jsonl"
    bad.write_text('{"question": "ok"}\nnot json\n', encoding="utf-8")
    with pytest.raises(BadRequest, match="qa.jsonl:2"):
        load_qa(bad)
    with pytest.raises(BadRequest, match="not found"):
        load_qa(tmp_path / "missing.jsonl")


@pytest.mark.slow
def test_dev_set_quality_floor(engine: Engine) -> None:
    report = run_eval(engine, DEV, baselines=True)
    ours = report["ours"]
    text = format_report(report)
    for metric, floor in FLOOR.items():
        assert ours[metric] >= floor, f"{metric} fell to {ours[metric]} (floor {floor})\n{text}"
    for metric, ceiling in CEILING.items():
        assert ours[metric] <= ceiling, f"{metric} rose to {ours[metric]} (ceiling {ceiling})\n{text}"
    # the graph and the fusion must beat each plain retriever they are built from
    assert ours["answer_accuracy"] > report["bm25"]["answer_accuracy"] + 0.2
    assert ours["answer_accuracy"] > report["dense"]["answer_accuracy"] + 0.2
    assert len(report["failures"]) == round(
        (1 - ours["answer_accuracy"]) * ours["answerable"] + (1 - ours["abstention_recall"]) * ours["unanswerable"]
    )
    json.dumps(report)


# Per corpus: answer accuracy and citation@1 measured with the fitted scoring, less two answerable
# questions, so a regression on any style of notes fails the build (data/eval/corpora.json; the test
# split is never fitted on). Pooled over the test split (72 corpora, 3,211 questions): abstention recall 0.488,
# false abstention 0.141, ECE 0.035 when set (fitted on ninety-three train corpora); the bounds below sit a few
# questions under (abstention recall) and over (false abstention) that. Now (91 corpora, 4,066 questions, the
# listwise refit on 113 train corpora, with linking words in two steps): 0.488, 0.143, 0.029. zim, dictation and
# shnotes each lost one or two first citations with the two-step changes and their refit (counted, the test
# corpora's questions not read); their citation floors sit two questions under the new figure. With the
# dropped-words confidence signal: 0.501, 0.142, 0.033, and email one first citation less (floor two under).
# With the words model of what the notes leave unanswered (words_answerable): 0.568, 0.141, 0.033, latex one
# first citation less (floor two under); the abstention recall bound raised from 0.46, as far under the figure.
# With the question matched piece by piece against the top passage (piece_mean, piece_least): 0.593, 0.146, 0.032.
CORPUS_FLOORS = {
    "sample": (0.89, 0.91),
    "messaging": (0.76, 0.76),
    "third": (0.66, 0.76),
    "outliner": (0.68, 0.79),  # 0.77 until the refit with family_beside (27 -> 26 of 35 right; train +4)
    "tables": (0.82, 0.88),
    "flashcards": (0.83, 0.89),
    "sysadmin": (0.82, 0.88),
    "hashicorp": (0.91, 0.91),
    "k8stxt": (0.77, 0.77),
    "netops": (0.77, 0.77),
    "secplus": (0.83, 0.89),
    "awsfaq": (0.89, 0.89),
    "kafka": (0.78, 0.81),
    "dataeng": (0.79, 0.77),
    "jvm": (0.75, 0.78),
    "pharm": (0.77, 0.77),
    "cpa": (0.83, 0.86),
    "pilot": (0.65, 0.77),
    "scrum": (0.72, 0.75),
    "zettel": (0.75, 0.75),
    "gdpr": (0.64, 0.62),
    "contracts": (0.75, 0.72),
    "sre": (0.75, 0.70),
    "physio": (0.81, 0.83),
    "warehouse": (0.80, 0.80),
    "prose": (0.79, 0.94),
    "k8s": (0.77, 0.79),
    "plaintxt": (0.50, 0.66),
    "runbook": (0.73, 0.70),
    "azure": (0.76, 0.83),
    "gcp": (0.66, 0.76),
    "biology": (0.36, 0.43),
    "pyinterview": (0.71, 0.77),
    "dockertxt": (0.62, 0.62),
    "orgmode": (0.80, 0.86),
    "awsnotion": (0.80, 0.80),
    "chem": (0.83, 0.77),
    "wiki": (0.80, 0.75),
    "electronics": (0.69, 0.72),
    "teamlead": (0.78, 0.81),
    "spanish": (0.67, 0.72),
    "redisdb": (0.72, 0.67),
    "finance": (0.75, 0.75),
    "awssysops": (0.78, 0.81),
    "history": (0.67, 0.75),
    "cooking": (0.81, 0.81),
    "pandas": (0.67, 0.78),
    "postgres": (0.78, 0.75),
    "mlcourse": (0.72, 0.81),
    "linuxcli": (0.75, 0.72),
    "photo": (0.78, 0.75),
    "golang": (0.67, 0.75),
    "awsdev2": (0.62, 0.62),
    "garden": (0.64, 0.81),
    "nursing": (0.67, 0.70),
    "webdev": (0.75, 0.81),
    "awsprose": (0.64, 0.81),  # 0.72 until the refit on ninety-one train corpora (27 -> 26 of 37 right)
    "runlog": (0.67, 0.81),
    "rustlang": (0.70, 0.78),
    "astro": (0.56, 0.67),
    "ccna": (0.67, 0.75),
    "psych": (0.67, 0.78),
    "homereno": (0.67, 0.70),
    "wset": (0.67, 0.78),
    "ukbooks": (0.67, 0.78),
    "geology": (0.81, 0.83),
    "econ": (0.78, 0.83),
    "homebrew": (0.64, 0.64),
    "sailing": (0.64, 0.70),
    "carcare": (0.62, 0.56),
    "anatomy": (0.72, 0.81),
    "japantrip": (0.56, 0.56),
    "pmp": (0.72, 0.78),
    "physics": (0.70, 0.78),
    "guitar": (0.62, 0.70),
    "backpack": (0.67, 0.70),
    "dogcare": (0.62, 0.64),
    "android": (0.78, 0.86),
    "microbio": (0.56, 0.64),
    "nutrition": (0.56, 0.72),  # 0.62 until the excerpt covered the question's terms (24 of 37 right; test +3)
    "mortgage": (0.48, 0.45),
    "coffee": (0.37, 0.51),
    "devopsadoc": (0.83, 0.86),
    "djangorst": (0.63, 0.69),
    "minutes": (0.61, 0.63),
    "emt": (0.72, 0.80),
    "dnd": (0.72, 0.80),
    "birding": (0.63, 0.61),
    "german": (0.50, 0.47),
    "chatlog": (0.52, 0.58),
    "slides": (0.61, 0.75),
    "beekeeping": (0.44, 0.36),
    "pgdba": (0.61, 0.63),
    "email": (0.55, 0.52),  # 0.69 -> 0.61 with the refit on 99 train corpora; 0.58 with dropped_rise (one less)
    "homelab": (0.50, 0.52),
    "wetlab": (0.63, 0.66),
    "lawbrief": (0.50, 0.58),
    "journal": (0.63, 0.66),
    "csvlog": (0.44, 0.33),
    "ledger": (0.41, 0.41),
    "transcript": (0.36, 0.30),
    "mindmap": (0.47, 0.61),
    "kindle": (0.44, 0.44),
    "specsheet": (0.58, 0.55),
    "bujo": (0.50, 0.52),
    "tiddly": (0.41, 0.44),
    "thread": (0.44, 0.30),
    "textile": (0.61, 0.72),
    "htmlmd": (0.58, 0.52),
    "bbcode": (0.52, 0.58),
    "forum": (0.47, 0.52),
    "webclip": (0.50, 0.66),
    "tw5": (0.61, 0.55),
    "latex": (0.47, 0.61),  # 0.69 until the refit with words_answerable (25 -> 24 of 36 cited first; train +140)
    "confwiki": (0.58, 0.55),
    "latexb": (0.52, 0.69),
    "whatsapp": (0.52, 0.19),
    "srt": (0.27, 0.27),
    "zim": (0.47, 0.47),
    "vtt": (0.36, 0.30),
    "subs": (0.50, 0.38),
    "vimwiki": (0.61, 0.69),
    "otter": (0.30, 0.19),
    "memos": (0.16, 0.33),
    "ocr": (0.69, 0.55),
    "cornell": (0.69, 0.77),
    "dictation": (0.55, 0.63),
    "ocrb": (0.25, 0.25),
    "changelog": (0.66, 0.72),
    "soap": (0.50, 0.63),
    "adr": (0.63, 0.69),
    "tickets": (0.50, 0.38),
    "gitlog": (0.47, 0.47),
    "fishkeep": (0.58, 0.72),
    "yamlnotes": (0.50, 0.36),
    "phonenotes": (0.58, 0.58),
    "logseq": (0.52, 0.72),
    "podcast": (0.33, 0.33),
    "taskpaper": (0.69, 0.69),
    "outline": (0.58, 0.50),
    "cooklang": (0.61, 0.75),
    "jupyter": (0.41, 0.36),
    "rst": (0.61, 0.61),
    "mistakelog": (0.44, 0.30),
    "rstb": (0.38, 0.52),
    "eurosolar": (0.27, 0.25),
    "roam": (0.63, 0.52),
    "eurolab": (0.27, 0.30),
    "pandocdocx": (0.47, 0.50),
    "wordtxt": (0.61, 0.63),
    "inrtax": (0.33, 0.41),
    "bearnotes": (0.36, 0.52),
    "dendron": (0.58, 0.66),
    "evernote": (0.72, 0.69),
    "quarto": (0.66, 0.63),
    "joplin": (0.58, 0.72),
    "frenchtri": (0.61, 0.66),
    "ozkeep": (0.33, 0.47),
    "deflist": (0.72, 0.69),
    "typst": (0.55, 0.63),
    "mkdocs": (0.52, 0.50),
    "docusaurus": (0.52, 0.52),
    "dmvtext": (0.61, 0.55),
    "gitbook": (0.50, 0.50),
    "sheets": (0.27, 0.30),
    "mkdocsadm": (0.52, 0.63),
    "rtfnotes": (0.55, 0.61),
    "matrix": (0.44, 0.47),
    "notioncsv": (0.19, 0.16),
    "ankicloze": (0.52, 0.58),
    "slackjson": (0.66, 0.69),
    "gdocsmd": (0.61, 0.61),
    "opml": (0.55, 0.69),
    "marp": (0.72, 0.66),
    "keepjson": (0.77, 0.80),
    "ipynb": (0.47, 0.58),
    "kanban": (0.47, 0.50),
    "canvas": (0.38, 0.41),
    "enex": (0.47, 0.47),
    "callouts": (0.52, 0.69),
    "unibullet": (0.47, 0.47),
    "telegram": (0.55, 0.58),
    "dokuwiki": (0.44, 0.55),
    "notionhtml": (0.61, 0.66),
    "lawoutline": (0.50, 0.50),
    "freeplane": (0.47, 0.55),
    "trello": (0.58, 0.83),
    "bibtex": (0.47, 0.58),
    "eml": (0.41, 0.44),
    "ansi": (0.44, 0.58),
    "dayone": (0.41, 0.72),
    "pdftext": (0.41, 0.47),
    "sqlnotes": (0.41, 0.44),
    "chatgpt": (0.61, 0.77),
    "webpage": (0.52, 0.63),
    "mediawiki": (0.47, 0.52),
    "smsxml": (0.33, 0.38),
    "todotxt": (0.47, 0.41),
    "shnotes": (0.63, 0.63),
    "ics": (0.30, 0.41),
    "mht": (0.63, 0.66),
    "odt": (0.58, 0.72),
    "docx": (0.58, 0.72),
    "pptx": (0.61, 0.69),
}
TEST_SPLIT_POOLED = {"abstention_recall": (">=", 0.54), "false_abstention": ("<=", 0.15), "ece": ("<=", 0.08)}


def hold_floors(by_name: dict[str, dict[str, float]], floors: dict[str, tuple[float, float]], text: str) -> None:
    """Each corpus's answer accuracy and citation@1 at least its floor (``text``: the report, shown on failure)."""
    for name, (accuracy, citation) in floors.items():
        assert by_name[name]["answer_accuracy"] >= accuracy, f"{name}: answer accuracy fell\n{text}"
        assert by_name[name]["citation_at_1"] >= citation, f"{name}: citation@1 fell\n{text}"


@pytest.mark.slow
def test_every_style_of_notes_keeps_its_floor(tmp_path_factory: pytest.TempPathFactory) -> None:
    from api.corpora import evaluate_corpora
    from kg.qa.evaluate import format_corpora_report
    from kg.settings import Settings

    corpora = ROOT / "data" / "eval" / "corpora.json"
    report = evaluate_corpora(Settings.from_env(), corpora, tmp_path_factory.mktemp("corpora"))
    text = format_corpora_report(report)
    by_name = {c["name"]: c["ours"] for c in report["corpora"]}
    assert set(CORPUS_FLOORS) <= set(by_name), text
    hold_floors(by_name, CORPUS_FLOORS, text)
    pooled = report["pooled"]["test"]
    for metric, (op, bound) in TEST_SPLIT_POOLED.items():
        ok = pooled[metric] >= bound if op == ">=" else pooled[metric] <= bound
        assert ok, f"test split {metric} {pooled[metric]} not {op} {bound}\n{text}"


def test_a_bad_corpora_file_is_a_clear_error(tmp_path: Path) -> None:
    from api.corpora import load_corpora
    from kg.errors import BadRequest

    bad = tmp_path / "corpora.json"
    bad.write_text('{"corpora": [{"name": "x", "notes": "n"}]}', encoding="utf-8")
    with pytest.raises(BadRequest, match="lack one of"):
        load_corpora(bad)
    bad.write_text("not json", encoding="utf-8")
    with pytest.raises(BadRequest, match="not a corpora file"):
        load_corpora(bad)
    root, corpora = load_corpora(ROOT / "data" / "eval" / "corpora.json")
    assert root == ROOT and all((root / c["notes"]).is_dir() for c in corpora)


def test_the_real_documentation_corpora_are_held_out() -> None:
    """data/eval/corpora_docs.json: three AWS guides read from ../shared and the npm manual read where Node.js
    installs it, the two largest guides held out, and no name or question set shared with the corpora fitted on."""
    from api.corpora import load_corpora

    root, corpora = load_corpora(ROOT / "data" / "eval" / "corpora_docs.json")
    _, fitted = load_corpora(ROOT / "data" / "eval" / "corpora.json")
    assert root == ROOT and len(corpora) == 4
    assert {c["name"]: c["split"] for c in corpora} == {
        "awsdocs-sqs": "train",
        "npmdocs": "train",
        "awsdocs-lambda": "test",
        "awsdocs-dynamodb": "test",
    }
    assert not {c["name"] for c in corpora} & {c["name"] for c in fitted}
    assert not {q for c in corpora for q in c["qa"]} & {q for c in fitted for q in c["qa"]}
    for c in corpora:
        assert c["notes"].startswith(("../shared/corpus/awsdocs/", "/usr/lib/node_modules/npm/docs/"))
        items = [i for q in c["qa"] for i in load_qa(root / q)]
        assert len(items) >= 50 and sum(not i["answers"] for i in items) >= 0.15 * len(items)


# Per guide: answer accuracy and citation@1 measured with the shipped scoring, less two answerable questions (of
# 41), as for the notes corpora (docs/evaluation.md). Lambda and DynamoDB are never fitted on nor read for failures.
# The npm manual's floor is its first measure with the listwise refit.
GUIDE_FLOORS = {
    "awsdocs-sqs": (0.48, 0.51),
    "npmdocs": (0.48, 0.51),
    "awsdocs-lambda": (0.51, 0.43),
    "awsdocs-dynamodb": (0.29, 0.29),
}


@pytest.mark.slow
def test_real_documentation_keeps_its_floor(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The real documentation of data/eval/corpora_docs.json whose folder is on this machine (../shared beside the
    checkout, Node.js's npm), each held to its floor (about 8 minutes of ingest)."""
    from api.corpora import evaluate_corpora, load_corpora
    from kg.qa.evaluate import format_corpora_report
    from kg.settings import Settings

    root, corpora = load_corpora(ROOT / "data" / "eval" / "corpora_docs.json")
    here = [c for c in corpora if (root / c["notes"]).is_dir()]
    if not here:
        pytest.skip("no real documentation folder on this machine (../shared beside the checkout, Node.js's npm)")
    tmp = tmp_path_factory.mktemp("guides")
    path = tmp / "corpora.json"
    path.write_text(json.dumps({"root": str(root), "corpora": here}), encoding="utf-8")
    report = evaluate_corpora(Settings.from_env(), path, tmp)
    text = format_corpora_report(report)
    by_name = {c["name"]: c["ours"] for c in report["corpora"]}
    assert set(by_name) == {c["name"] for c in here} <= set(GUIDE_FLOORS), text
    hold_floors(by_name, {n: f for n, f in GUIDE_FLOORS.items() if n in by_name}, text)
