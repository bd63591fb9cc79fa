"""What answering keeps between questions (per loaded index) gives the answers it would give without it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kg.qa.engine import Engine
from kg.qa.question import analyse
from kg.qa.retrieve import load_bridge, load_weights, sparql_facts

# two questions about one service and kind (one fact query), and one about another
QUESTIONS = ["lambda memory increment step size", "How many layers can I attach to a single Lambda function?",
             "s3 versioning is turned on at what level"]  # fmt: skip


def test_fact_queries_are_read_once_per_index_and_give_the_stores_rows(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = engine.index
    query = analyse(QUESTIONS[0], index.lexicon)
    index.derived.pop("sparql_rows", None)
    sparql, rows = sparql_facts(index, query)
    assert sparql and rows  # the sample notes hold Lambda limits
    assert rows == index.store.select(sparql)
    calls: list[str] = []
    select = index.store.select
    monkeypatch.setattr(index.store, "select", lambda q: calls.append(q) or select(q))
    again = analyse(QUESTIONS[1], index.lexicon)  # another question about the same service and kind
    sparql_again, rows_again = sparql_facts(index, again)
    assert sparql_again == sparql and rows_again == rows and not calls
    rows_again.clear()  # a caller's list is its own
    assert sparql_facts(index, query)[1] == rows


def test_answers_with_and_without_what_was_kept_are_the_same(engine: Engine) -> None:
    def plain(q: str) -> object:
        return replace(engine.answer(q), timings_ms={})

    first = [plain(q) for q in QUESTIONS]
    assert [plain(q) for q in QUESTIONS] == first
    engine.index.derived.clear()
    assert [plain(q) for q in QUESTIONS] == first


def test_embedding_the_question_while_reading_the_rest_ranks_as_one_step_after_another(engine: Engine) -> None:
    """rank() embeds the question on another thread while it reads the facts and keyword passages; the
    passages, their signals and their scores are those of the steps run one after another."""
    from kg.qa.answer import rank
    from kg.qa.retrieve import candidates, pool_size

    index = engine.index
    for question in QUESTIONS:
        query = analyse(question, index.lexicon)
        qvec = engine.embedder.encode([query.normalised])[0]
        _, rows = sparql_facts(index, query)
        dense = (qvec, index.vectors.search(qvec, pool_size()))
        serial = candidates(index, query, dense, rows)
        overlapped = rank(index, engine.embed, question).ranked
        assert [(c.passage.id, c.score, c.signals) for c in overlapped] == [
            (c.passage.id, c.score, c.signals) for c in serial
        ]


def test_texts_ranked_once_for_every_hand_over_give_the_answers_ranked_anew(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fitting answers a two-step question with every hand-over of the grid; kept in ``rankings``, each text
    is ranked once, and every answer is the one ranking anew gives."""
    import kg.qa.answer as answering
    from kg.qa.answer import Rankings

    question = (
        "Cognito Identity Pools get IAM credentials through some service. "
        "Which CLI command of that service decodes encoded error messages?"
    )
    query = analyse(question, engine.index.lexicon)
    assert query.clauses, "a two-step question"
    grid = [load_bridge()._replace(readings=r, names=n) for r in (1, 2, 3) for n in (1, 2)]
    anew = [replace(engine.answer(question, threshold=0.0, bridge=b), timings_ms={}) for b in grid]
    ranked: list[str] = []
    rank = answering.rank
    monkeypatch.setattr(
        answering, "rank", lambda index, embed, text, *a: ranked.append(text) or rank(index, embed, text, *a)
    )
    rankings: Rankings = {}
    kept = [replace(engine.answer(question, threshold=0.0, bridge=b, rankings=rankings), timings_ms={}) for b in grid]
    assert kept == anew
    assert len(ranked) == len(set(ranked)) == len(rankings)  # each text once
    texts = {text for text, _, _ in rankings}
    assert {question, query.clauses[0]} <= texts  # the question and its first step, for every hand-over
    assert len(texts) > 2  # and the second steps the hand-overs gave
    # other weights rank anew: a text is kept with the weights and pool it was ranked by
    other = tuple(-w for w in load_weights())
    ranked.clear()
    engine.answer(question, threshold=0.0, weights=other, rankings=rankings)
    assert question in ranked
