"""The fitted confidence: the shipped calibration matches the code's signals, is a probability, and the
scoring of calibration (ECE, reliability) is right. No model needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kg.errors import ConfigError
from kg.qa.calibrate import CALIBRATION, FEATURES, Calibration, load_calibration, word_signals
from kg.qa.engine import Engine
from kg.qa.evaluate import ece, reliability
from kg.qa.question_map import load_question_map
from tests.conftest import load_script


def test_the_shipped_calibration_was_fitted_on_these_signals_and_the_train_split_only() -> None:
    cal = load_calibration()
    assert cal.features == FEATURES
    assert 0.0 < cal.threshold < 1.0
    corpora = json.loads((Path(__file__).resolve().parent.parent / "data/eval/corpora.json").read_text())["corpora"]
    test_split = {c["name"] for c in corpora if c["split"] == "test"}
    assert test_split and not test_split & set(cal.meta["train_corpora"]), "no test corpus is fitted on"


def test_more_evidence_means_more_confidence() -> None:
    cal = load_calibration()
    weak = dict.fromkeys(FEATURES, 0.0)
    strong = {**weak, "coverage": 1.0, "dense": 0.8, "score": 2.0, "margin": 0.5}
    doubtful = {**strong, "unknown_jargon": 2.0, "missing_names": 1.0}
    p_weak, p_strong, p_doubt = (cal.probability(s) for s in (weak, strong, doubtful))
    assert 0.0 <= p_weak < p_strong <= 1.0
    assert p_doubt < p_strong, "words the notes never use lower the confidence"


def test_a_calibration_for_other_signals_is_refused(tmp_path: Path) -> None:
    stale = Calibration(("coverage",), (0.0,), (1.0,), (1.0,), 0.0, 0.5)
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(stale.to_json()))
    with pytest.raises(ConfigError, match="make fit"):
        load_calibration(path)
    with pytest.raises(ConfigError, match="make fit"):
        load_calibration(tmp_path / "missing.json")
    assert CALIBRATION.is_file()


def test_ece_and_reliability() -> None:
    probs = [0.9, 0.9, 0.1, 0.1]
    assert ece(probs, [True, True, False, False]) == pytest.approx(0.1)
    assert ece(probs, [False, False, True, True]) == pytest.approx(0.9)
    table = reliability(probs, [True, False, False, False])
    assert [(lo, n) for lo, n, _, _ in table] == [(0.1, 2), (0.9, 2)]
    assert table[1][3] == 0.5 and ece([], []) == 0.0


def test_the_shipped_ranking_weights_are_fitted_on_the_train_split_and_read_by_the_ranker() -> None:
    from kg.qa.retrieve import RANK_FEATURES, RANKING, load_weights

    doc = json.loads(RANKING.read_text())
    assert tuple(doc["features"]) == RANK_FEATURES and len(load_weights()) == len(RANK_FEATURES)
    assert "make fit" not in doc.get("meta", {}).get("note", ""), "the weights are fitted, not a placeholder"
    corpora = json.loads((Path(__file__).resolve().parent.parent / "data/eval/corpora.json").read_text())["corpora"]
    test_split = {c["name"] for c in corpora if c["split"] == "test"}
    assert not test_split & set(doc["meta"]["train_corpora"])
    weights = dict(zip(RANK_FEATURES, load_weights(), strict=True))
    assert weights["dense"] > 0 and weights["coverage_body"] > 0, "similar passages rank higher"


def test_the_pool_size_is_fitted_with_the_weights_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    from kg.qa.retrieve import RANKING, load_ranking, pool_size

    doc = json.loads(RANKING.read_text())
    assert pool_size() == doc["pool"] >= 1
    assert str(doc["pool"]) in doc["meta"]["pool_rule"], "the pool kept is one of those tried"
    for pool in (0, "many", None):
        bad = tmp_path / f"ranking-{pool}.json"
        bad.write_text(json.dumps({**doc, "pool": pool}))
        with pytest.raises(ConfigError, match="make fit"):
            load_ranking(bad)
    missing = tmp_path / "ranking-none.json"
    missing.write_text(json.dumps({k: v for k, v in doc.items() if k != "pool"}))
    with pytest.raises(ConfigError, match="pool"):
        load_ranking(missing)


def test_the_two_step_hand_over_is_fitted_from_its_grid_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    from kg.qa.retrieve import BRIDGE_GRID, RANKING, Bridge, load_bridge

    doc = json.loads(RANKING.read_text())
    bridge = load_bridge()
    assert bridge == Bridge(**doc["bridge"])
    assert all(getattr(bridge, k) in grid for k, grid in BRIDGE_GRID.items()), "the hand-over is one of those tried"
    assert "two-step questions answered right" in doc["meta"]["bridge_rule"]
    for bad in (
        {**doc["bridge"], "names": 0},
        {**doc["bridge"], "label_words": "four"},
        {**doc["bridge"], "label_words": 2.7},  # not truncated to 2
        {**doc["bridge"], "names": True},
        {"names": 1},
    ):
        path = tmp_path / "ranking-bad-bridge.json"
        path.write_text(json.dumps({**doc, "bridge": bad}))
        with pytest.raises(ConfigError, match="make fit"):
            load_bridge(path)


def test_the_hand_over_choice_counts_right_answers_and_prefers_handing_over_less() -> None:
    fit = _fit_script()
    small, large = fit.BRIDGES[0], fit.BRIDGES[-1]
    # two questions: the largest hand-over answers both, the smallest one
    hits = [{b: b == large for b in fit.BRIDGES}, {b: True for b in fit.BRIDGES}]
    assert fit.best_bridge(hits) == large
    assert fit.best_bridge([{b: True for b in fit.BRIDGES}]) == small  # a tie: the least handed over
    # leave-one-corpus-out: a corpus's own questions do not choose its hand-over
    best, without, loco, right = fit.fit_bridge_loco({"a": [hits[0]], "b": [hits[1]]})
    assert best == large and right == 2
    assert without == {"a": small, "b": large} and loco == 1


def test_the_hand_over_alone_is_refitted_on_the_committed_ranking_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg.qa.retrieve import RANKING, load_ranking

    fit = _fit_script()
    weights, pool = load_ranking()
    large = max(fit.BRIDGES)
    asked = []

    def hits(corpus, cache, root, w, p, qmap):  # type: ignore[no-untyped-def]
        asked.append((corpus["name"], w, p))
        assert qmap is load_question_map(), "questions read as the committed ranking weights were fitted on them"
        return [{b: b == large for b in fit.BRIDGES}]  # one two-step question, answered by the largest hand-over

    monkeypatch.setattr(fit, "bridge_hits", hits)
    out, report = tmp_path / "ranking.json", tmp_path / "calibration.md"
    report.write_text("# Fit\n\nTwo-step hand-over: the old one.\n\nRanking\n")
    corpora = [{"name": "a", "split": "train"}, {"name": "b", "split": "train"}, {"name": "c", "split": "test"}]
    assert fit.refit_bridge(corpora, tmp_path, tmp_path, out, report) == 0
    lines = report.read_text().split("\n")
    assert lines[:2] == ["# Fit", ""] and lines[3:] == ["", "Ranking", ""], "only the hand-over's line is rewritten"
    assert lines[2].startswith("Two-step hand-over: ") and "2 of 2" in lines[2] and "refitted alone" in lines[2].lower()
    doc, before = json.loads(out.read_text()), json.loads(RANKING.read_text())
    assert asked == [("a", weights, pool), ("b", weights, pool)], "the train corpora, on the committed ranking"
    assert doc["bridge"] == large._asdict()
    assert {k: v for k, v in doc.items() if k != "bridge" and k != "meta"} == {
        k: v for k, v in before.items() if k != "bridge" and k != "meta"
    }
    assert "2 of 2" in doc["meta"]["bridge_rule"] and "refitted alone" in doc["meta"]["bridge_rule"]


def _fit_script():  # type: ignore[no-untyped-def]
    return load_script("scripts/fit.py", "kgqa_fit")


def _four_corpora(*questions: tuple[bool, str, bool]) -> list[dict[str, Any]]:
    """Train rows of the same questions (whether answerable, the question, whether its answer is a figure) in
    corpora a to d; "{c}" in a question is its corpus's name (a word of one corpus only)."""
    return [
        {"corpus": c, "answerable": answerable, "question": question.format(c=c), "figure": figure}
        for c in "abcd"
        for answerable, question, figure in questions
    ]


def test_the_words_that_ask_for_a_figure_are_fitted_on_the_train_questions_of_three_corpora_at_least() -> None:
    fit = _fit_script()
    rows = _four_corpora(
        (True, "max {c}size", True),
        (True, "how much is it", True),
        (True, "what does it mean", False),
        (True, "meaning of it", False),
        (False, "max unasked", False),  # no answer: unread
    )
    rows.append({"corpus": "a", "answerable": True, "question": "zebra", "figure": True})  # one corpus's word
    words = fit.fit_words(rows, 1.0)
    assert "zebra" not in words and "asize" not in words and "unasked" not in words
    assert words["max"] > 0 > words["mean"]
    cal = fit.NEUTRAL  # every weight zero, no words model
    assert cal.figure_wanted("max size") == 0.0, "no model fitted: no signal"
    fitted = fit.replace(cal, figure_words=words)
    assert fitted.figure_wanted("Max size?") > 0.5 > fitted.figure_wanted("what does it mean")
    c, without = fit.fit_words_loco(rows)
    assert c in fit.C_GRID and set(without) == {"a", "b", "c", "d"}
    # the answer says no number: the figure the question wants is unsaid
    read = word_signals(fitted, "how much is it", {"numberless": 1.0})
    assert read["figure_unsaid"] == read["figure_wanted"] > 0.5
    assert word_signals(fitted, "how much is it", {"numberless": 0.0})["figure_unsaid"] == 0.0
    # stored with the calibration and read back
    assert Calibration(**{**fitted.to_json(), "features": FEATURES}).figure_wanted("max size") == pytest.approx(
        fitted.figure_wanted("max size")
    )


def test_the_words_of_questions_the_notes_do_not_answer_are_fitted_on_every_train_question() -> None:
    fit = _fit_script()
    rows = _four_corpora(
        (False, "{c}kit price", False),
        (False, "default port of it", False),
        (True, "what does it mean", False),
        (True, "stove price", True),
        (True, "tent vs tarp", False),
    )
    words = fit.fit_words(rows, 1.0, "answerable")
    assert "akit" not in words, "a word of one corpus"
    assert words["default"] < 0 < words["mean"] and words["vs"] > words["price"]
    cal = fit.NEUTRAL  # every weight zero, no words model
    assert cal.answerable("default port") == 0.0, "no model fitted: no signal"
    fitted = fit.replace(cal, answerable_words=words)
    assert fitted.answerable("what is the default port") < 0.5 < fitted.answerable("tarp vs bivvy")
    assert word_signals(fitted, "default port", {})["words_answerable"] == fitted.answerable("default port")
    c, without = fit.fit_words_loco(rows, "answerable")
    assert c in fit.C_GRID and set(without) == {"a", "b", "c", "d"}
    assert without["a"] != words  # fitted without corpus a's questions
    read = Calibration(**{**fitted.to_json(), "features": FEATURES})
    assert read.answerable("default port") == pytest.approx(fitted.answerable("default port"))


def test_the_threshold_is_where_answering_and_abstaining_handle_a_question_right_equally_often() -> None:
    fit = _fit_script()
    # four corpora: right answers score high, unanswerable questions low, wrong answers in between; of the wrong
    # answers half are to unanswerable questions (u = 1/2), so answering wins from p = 1/3
    rows, probs = [], []
    for corpus in ("a", "b", "c", "d"):
        for p, answerable, right in [(0.9, True, True), (0.8, True, True), (0.45, True, False), (0.2, False, False)]:
            rows.append({"corpus": corpus, "answerable": answerable, "right": right})
            probs.append(p)
    t = fit.decision_threshold(rows)
    assert t == pytest.approx(1 / 3, abs=1e-4)
    assert fit.handled_right(probs, rows, t) == 12  # every right answer kept, every unanswerable question withheld
    # more of the wrong answers to unanswerable questions: abstaining is right more often, the threshold rises
    more = rows + [{"corpus": "e", "answerable": False, "right": False}] * 4
    assert t < fit.decision_threshold(more) < 0.5


def _kind_row(corpus: str, kind: str, answerable: bool, right: bool) -> dict[str, Any]:
    return {
        "corpus": corpus,
        "answerable": answerable,
        "right": right,
        "signals": [float(f == f"kind_{kind}") for f in FEATURES],
    }


def test_each_kind_asked_for_gets_the_threshold_its_own_wrong_answers_call_for() -> None:
    fit = _fit_script()
    # number questions: of 4 wrong answers 3 are to unanswerable questions (u = 3/4, t = 3/7); two-step questions:
    # of 4 wrong answers none is (u = 0, t = 0); over all kinds 3 of 8 (u = 3/8, t = 3/11)
    rows = [_kind_row("a", "number", False, False)] * 3 + [_kind_row("a", "number", True, False)]
    rows += [_kind_row("a", "multi_hop", True, False)] * 4 + [_kind_row("a", "number", True, True)] * 5
    assert fit.decision_threshold(rows) == pytest.approx(3 / 11, abs=1e-4)
    alone = fit.kind_thresholds(rows, 0)
    assert alone == {"number": pytest.approx(3 / 7, abs=1e-4), "multi_hop": 0.0}
    # smoothed: as if 4 more wrong answers at the overall share were counted in each kind
    drawn = fit.kind_thresholds(rows, 4)
    assert drawn["multi_hop"] == pytest.approx((1.5 / 8) / (1 + 1.5 / 8), abs=1e-4)
    assert drawn["multi_hop"] < fit.decision_threshold(rows) < drawn["number"] < alone["number"]
    assert fit.kind_thresholds(rows, 10**9) == {
        "number": pytest.approx(3 / 11, abs=1e-4),
        "multi_hop": pytest.approx(3 / 11, abs=1e-4),
    }


def test_the_smoothing_is_chosen_without_the_corpus_it_is_counted_on() -> None:
    fit = _fit_script()
    # in every corpus, number questions answered wrong are mostly unanswerable ones and two-step questions
    # never are: each kind's own threshold handles more right than the overall one
    rows, probs = [], []
    for corpus in "abcd":
        for kind, answerable, right, p in [
            ("number", False, False, 0.45),  # abstained on at the number threshold (0.5), answered at the overall
            ("number", False, False, 0.1),
            ("number", True, True, 0.9),
            ("multi_hop", True, True, 0.25),  # answered at the two-step threshold (near 0), withheld at the overall
            ("multi_hop", True, False, 0.2),
        ]:
            rows.append(_kind_row(corpus, kind, answerable, right))
            probs.append(p)
    overall = fit.handled_right(probs, rows, fit.decision_threshold(rows))
    smoothing, thresholds, curve, loco = fit.fit_thresholds(probs, rows)
    assert set(curve) == set(fit.SMOOTHING_GRID) and curve[smoothing] == max(curve.values())
    assert thresholds == fit.kind_thresholds(rows, smoothing)
    assert loco == 16 > overall == 8  # every question but the wrong two-step answers handled right
    # the per-row count matches one threshold given to every row
    assert fit.handled_right(probs, rows, [0.3] * len(rows)) == fit.handled_right(probs, rows, 0.3)


def test_the_engine_abstains_under_the_threshold_of_the_kind_asked_for() -> None:
    cal = Calibration(FEATURES, (0.0,) * len(FEATURES), (1.0,) * len(FEATURES), (0.0,) * len(FEATURES), 0.0, 0.5)
    cal = Calibration(
        *[getattr(cal, f) for f in ("features", "mean", "scale", "coef", "intercept", "threshold")],
        thresholds={"number": 0.7, "multi_hop": 0.1},
    )
    from kg.qa.answer import abstain_threshold

    number = {**dict.fromkeys(FEATURES, 0.0), "kind_number": 1.0}
    assert cal.threshold_for(number) == 0.7
    assert cal.threshold_for({**number, "kind_number": 0.0, "kind_multi_hop": 1.0}) == 0.1
    assert cal.threshold_for({**number, "kind_number": 0.0, "kind_list": 1.0}) == 0.5  # a kind never fitted
    assert cal.threshold_for(dict.fromkeys(FEATURES, 0.0)) == 0.5  # no kind read
    assert abstain_threshold(cal, -1.0, number) == 0.7 and abstain_threshold(cal, None, number) == 0.7
    assert abstain_threshold(cal, 0.2, number) == 0.2, "a threshold set by the user holds for every kind"
    assert abstain_threshold(cal, None) == 0.5


def test_the_kinds_thresholds_are_written_and_read_back(tmp_path: Path) -> None:
    cal = load_calibration()
    assert cal.thresholds and set(cal.thresholds) <= {
        f.removeprefix("kind_") for f in FEATURES if f.startswith("kind_")
    }
    assert all(0.0 <= t < 1.0 for t in cal.thresholds.values())
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(cal.to_json()))
    assert load_calibration(path).thresholds == cal.thresholds


def test_the_confidence_reads_how_far_the_best_passage_leads_the_field(engine: Engine) -> None:
    from kg.qa.answer import rank
    from kg.qa.calibrate import signals

    for question in ("what is the max lambda timeout", "how do i make my kinesis consumer faster"):
        scored = rank(engine.index, engine.embed, question)
        ranked = scored.ranked
        read = signals(engine.index, scored.query, ranked)
        mean = sum(c.score for c in ranked) / len(ranked)
        assert len(ranked) > 5 and read["lead"] == pytest.approx(ranked[0].score - mean)
        assert read["lead"] >= read["margin"] >= 0, "the best leads the field's mean by more than the second"


def test_the_ranking_is_fitted_listwise_so_each_question_counts_once() -> None:
    fit = _fit_script()
    # thirty questions whose right passage is the one with the first signal; one question with two hundred
    # wrong passages that have it and a right one that does not. A pairwise model sees 200 pairs against 60 and
    # turns the first signal down; the listwise model weighs each question once and keeps it.
    rows = [
        {"corpus": "abc"[i % 3], "candidates": [([1.0, 0.0], True), ([0.0, 0.0], False), ([0.0, 0.0], False)]}
        for i in range(30)
    ]
    odd = {"corpus": "a", "candidates": [([0.0, 0.0], True)] + [([1.0, 0.0], False)] * 200}
    weights = fit.fit_ranking([*rows, odd], 1e-5)
    assert weights[0] > 0 and sum(abs(w) for w in weights) == pytest.approx(1.0)
    assert fit.top1_hits(rows, weights) == 1.0 and fit.top1_hits([odd], weights) == 0.0
    assert fit.fit_ranking([*rows, odd], 1e-5) == weights, "the same rows give the same weights"
    best, l2, loco, without = fit.fit_ranking_loco([*rows, odd])
    assert l2 in fit.L2_GRID and set(loco) == set(fit.L2_GRID) and set(without) == {"a", "b", "c"}
    assert loco[l2] == pytest.approx(30 / 31) and best == fit.fit_ranking([*rows, odd], l2)


def test_the_fit_reads_several_corpora_files_and_refuses_a_corpus_whose_notes_are_absent(tmp_path: Path) -> None:
    fit = _fit_script()
    (tmp_path / "notes").mkdir()
    one, two = tmp_path / "one.json", tmp_path / "sub" / "two.json"
    two.parent.mkdir()
    one.write_text(json.dumps({"corpora": [{"name": "x", "notes": "notes", "qa": ["x.jsonl"], "split": "train"}]}))
    two.write_text(
        json.dumps({"root": "..", "corpora": [{"name": "y", "notes": "notes", "qa": ["y.jsonl"], "split": "test"}]})
    )
    _, corpora = fit.load_all([one, two])
    assert [(c["name"], c["notes"], c["qa"]) for c in corpora] == [
        ("x", str(tmp_path / "notes"), [str(tmp_path / "x.jsonl")]),
        ("y", str(tmp_path / "notes"), [str(tmp_path / "y.jsonl")]),
    ]
    with pytest.raises(ConfigError, match="repeat"):
        fit.load_all([one, one])
    (tmp_path / "notes").rmdir()
    with pytest.raises(ConfigError, match="not on this machine"):
        fit.load_all([one])


def test_the_question_without_the_words_its_answer_does_not_say() -> None:
    from kg.model import Passage, QuestionKind
    from kg.qa.calibrate import without_unsaid
    from kg.qa.question import Query

    line = Passage("p", "db.md", 3, 3, "max size depends on the db: sqlite 2GB, postgres 1GB, mysql 64KB", ("XCom",))
    query = Query(text="q", normalised="xcom max size if the db is sql server", kind=QuestionKind.NUMBER, services=())
    # "sql" and "server" are not said; "xcom" is, by the heading; question words stay
    assert without_unsaid(query, [line]) == "xcom max size if the db is"
    said = Query(text="q", normalised="max size of a postgres db", kind=QuestionKind.NUMBER, services=())
    assert without_unsaid(said, [line]) is None  # the answer says every word asked
    other = Passage("o", "db.md", 9, 9, "sql server caps it at 1 GB", ())
    assert without_unsaid(query, [line, other]) is None  # ... counting the lines the answer added


def test_every_corpus_engine_of_the_fit_shares_one_question_embedder(tmp_path: Path, engine: Engine) -> None:
    """The fit builds an engine per corpus and step; the question model is loaded once in each process and
    embeds as an engine loaded on its own does."""
    import numpy as np

    fit = _fit_script()
    corpora = []
    for name, line in (("a", "- lambda timeout: max 15 min"), ("b", "- sqs message size: max 256 KB")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "notes.txt").write_text(f"{name.upper()}\n{line}\n", encoding="utf-8")
        corpora.append({"name": name, "notes": str(tmp_path / name), "qa": [], "split": "train"})
    first, second = (fit._engine(c, tmp_path / "cache", tmp_path, None) for c in corpora)
    assert first.index is not second.index and first.embedder is second.embedder
    question = "what is the max lambda timeout"
    assert np.allclose(first.embed(question), engine.embed(question), atol=1e-5)
