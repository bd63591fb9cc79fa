"""answer(question) → Answer: analyse, retrieve (SPARQL + FAISS + BM25), compose, cite, or abstain."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from kg.embed import Pieces
from kg.errors import BadRequest, PayloadTooLarge
from kg.model import Answer, Citation, Fact, FactRef, Passage, QuestionKind
from kg.qa.calibrate import Calibration, load_calibration, signals, without_unsaid, word_signals
from kg.qa.compose import compose
from kg.qa.index import Index
from kg.qa.lexicon import Lexicon
from kg.qa.pieces import piece_match
from kg.qa.question import Query, analyse
from kg.qa.question_map import QuestionMap
from kg.qa.retrieve import (
    Bridge,
    Candidate,
    candidates,
    gather,
    label_value,
    line_label,
    load_bridge,
    pool_size,
    sparql_facts,
)
from kg.text import content_terms, stem, terms, words
from kg.vocab import FRAME_WORDS

NOT_IN_NOTES = "That is not in your notes."
# where the value after a line's label stops naming the thing: a remark, a reason, a second clause
_VALUE_END = re.compile(r"\s*(?:[,;.()!?]\s|[,;()]|\s(?:b/c|because|but|so|since|-|–|—)\s)")
NAME_TOKEN = re.compile(r"\b([A-Z][A-Z0-9]{1,6}|[A-Z][a-z]+[A-Z][A-Za-z0-9]+)\b")


@dataclass(frozen=True)
class Scored:
    query: Query
    ranked: list[Candidate]
    sparql: str


# texts ranked, by the text, the ranking weights and the pool size they were ranked with (None: the fitted ones)
Rankings = dict[tuple[str, tuple[float, ...] | None, int | None], Scored]


def check_question(question: object, max_chars: int) -> str:
    if not isinstance(question, str):
        raise BadRequest(f"the question must be a string, got {type(question).__name__}", code="bad_question")
    q = question.strip()
    if not q:
        raise BadRequest(
            "the question is empty: ask something, e.g. 'what is the max lambda timeout'", code="empty_question"
        )
    if len(q) > max_chars:
        raise PayloadTooLarge(
            f"the question has {len(q):,} characters; the limit is {max_chars:,} (KGQA_MAX_QUESTION_CHARS)",
            code="question_too_long",
        )
    if "\x00" in q:
        raise BadRequest("the question contains a NUL character", code="bad_question")
    return q


def rank(
    index: Index, embed: object, text: str, weights: tuple[float, ...] | None = None, pool: int | None = None
) -> Scored:
    """The question's candidate passages, best first (by the fitted ranking weights and pool size unless
    given)."""
    pool = pool or pool_size()
    normalised = index.lexicon.normalise(text)
    # The question is embedded on another thread (the model runs outside the GIL) while this one analyses it
    # and reads the graph facts and the keyword passages, which do not need the vector.
    embedding: Future[np.ndarray] = _embedding_threads().submit(embed, normalised[0])  # type: ignore[arg-type]

    def pause() -> None:
        # The embedding thread needs the GIL for a moment before and after the model runs; without a pause it
        # would wait for Python's switch interval (5 ms), about what the overlap saves.
        if not embedding.done():
            time.sleep(0)

    try:
        pause()
        query = analyse(text, index.lexicon, normalised)
        pause()
        sparql, rows = sparql_facts(index, query)
        found = gather(index, query, rows, pool, pause)
    finally:
        qvec = embedding.result()
    dense = (qvec, index.vectors.search(qvec, pool))
    return Scored(query, candidates(index, query, dense, rows, k=pool, weights=weights, gathered=found), sparql)


EMBEDDING_THREADS = 8  # questions embedded at once in one process (request threads beyond wait their turn)
_EMBEDDING_THREADS: dict[int, ThreadPoolExecutor] = {}
_EMBEDDING_THREADS_LOCK = threading.Lock()


def _embedding_threads() -> ThreadPoolExecutor:
    """This process's embedding threads (a forked worker starts its own: threads do not survive a fork)."""
    pid = os.getpid()
    pool = _EMBEDDING_THREADS.get(pid)
    if pool is None:
        with _EMBEDDING_THREADS_LOCK:  # two first questions at once start one pool
            pool = _EMBEDDING_THREADS.get(pid)
            if pool is None:
                pool = ThreadPoolExecutor(EMBEDDING_THREADS, thread_name_prefix="kgqa-embed")
                _EMBEDDING_THREADS[pid] = pool
    return pool


def _bridge(index: Index, first: Query, passage: Passage, fitted: Bridge) -> list[str]:
    """What the first hop's passage is about, for the second hop: the label it opens with, then the names
    in it that the first clause did not already name; its rarest new words when it has neither."""
    asked = {m.service for m in first.mentions}
    names = [index.services[m.service].label for m in index.lexicon.mentions(passage.text) if m.service not in asked]
    # a passage that lists names ("S3, SNS, CloudWatch Events..." under Lambda's asynchronous
    # invocations) answers with the service whose notes it sits in; a sentence with its object
    if passage.service and passage.service not in asked and passage.service in index.services:
        listing = len(index.lexicon.mentions(passage.text)) + passage.text.count(",") >= 3
        names.insert(0 if listing else len(names), index.services[passage.service].label)
    asked_terms = set(content_terms(first.normalised))
    # Title Case names ("Glacier Deep Archive") the first clause did not use
    for phrase in re.findall(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,3}\b", passage.text):
        if not set(content_terms(phrase)) & asked_terms:
            names.append(phrase)
    for tok in NAME_TOKEN.findall(passage.text):
        if not set(content_terms(tok)) & asked_terms:
            names.append(tok)
    # what the line is about, when it opens with a label ("saber: supe = I found out", "worker :: proxies ...")
    head = line_label(passage.text)
    if head and len(head.split()) <= fitted.label_words and not set(content_terms(head)) & asked_terms:
        names.insert(0, head)
    elif head and set(content_terms(head)) & asked_terms:
        # the line's label is the description ("house wiring = copper b/c ..."): what it says it is names
        # the thing
        value = _VALUE_END.split(label_value(passage.text), maxsplit=1)[0].strip()
        if value and len(value.split()) <= fitted.label_words:
            names.insert(0, value)
    if names:
        return list(dict.fromkeys(names))
    # else the line's rarest words the question did not use ("calcite fizzes in cold dilute HCl")
    lexicon = index.lexicon
    new = {stem(w): w for w in words(passage.text) if w.isalpha() and len(w) > 2 and w not in FRAME_WORDS}
    new = {t: w for t, w in new.items() if t not in asked_terms and lexicon.known(t)}
    names += _rarest_first(lexicon, new, fitted.new_words)
    return list(dict.fromkeys(names))


def _linking_words(index: Index, first: Query, passage: Passage, n: int) -> list[str]:
    """The first hop's rarest words that the first clause did not use and that other passages use too: what
    can link it to the line that answers the second clause ("new one is a Brevik K2" under an "UPDATE 3 May"
    label, where the label names nothing the notes say again)."""
    asked = set(content_terms(first.normalised))
    lexicon = index.lexicon
    new: dict[str, str] = {}
    for w in words(passage.text):
        t = stem(w)
        if len(w) > 1 and w not in FRAME_WORDS and t not in asked and lexicon.df.get(t, 0) >= 2:
            new.setdefault(t, w)
    return _rarest_first(lexicon, new, n)


def _rarest_first(lexicon: Lexicon, by_term: dict[str, str], n: int) -> list[str]:
    """The words of the ``n`` rarest terms in the notes (ties by term): what a first step hands on."""
    return [by_term[t] for t in sorted(by_term, key=lambda t: (-lexicon.idf(t), t))[:n]]


def two_steps(
    index: Index, rank_text: Callable[[str], Scored], scored: Scored, bridge: Bridge | None = None
) -> tuple[Scored, list[Candidate]]:
    """A two-step question ("the X that does Y - what is its Z") answered in two steps: its first clause is
    ranked, what one of its best passages is about is added to the second clause, and that is ranked in its
    place. Each of the first step's ``readings`` best passages is followed so, once with the names it is about
    and once with its linking words when they differ; the reading whose two steps rank their passages highest
    together is kept. The candidates to answer from, and the first step's passage when
    there was one (cited too)."""
    if scored.query.kind is not QuestionKind.MULTI_HOP or not scored.query.clauses:
        return scored, []
    fitted = bridge or load_bridge()
    first = rank_text(scored.query.clauses[0])
    if not first.ranked:
        return scored, []
    found = first.ranked[0].passage
    if scored.ranked and scored.ranked[0].passage.id == found.id:
        # the question as a whole finds the line that names the thing, and that line also says what is asked of
        # it ("... Rides a grey mare named Sleet. AC 17" for "the npc who rides a grey mare, whats her AC")
        asked = content_terms(scored.query.clauses[1])
        if asked and set(asked) <= set(terms(found.context_text())):
            return scored, []
    best: tuple[Scored, list[Candidate]] | None = None
    for step in first.ranked[: fitted.readings]:
        names = _bridge(index, first.query, step.passage, fitted)[: fitted.names]
        links = _linking_words(index, first.query, step.passage, fitted.new_words)
        for handed in (names, links) if links and links != names else (names,):
            second = rank_text(" ".join([scored.query.clauses[1], *handed]))
            if not second.ranked:
                continue
            reading = Scored(second.query, second.ranked, second.sparql or first.sparql), [step]
            if best is None or _path_key(*reading) > _path_key(*best):
                best = reading
    return best or (scored, [])


def _path_key(second: Scored, hops: list[Candidate]) -> tuple[bool, float]:
    """How well a two-step reading ranks its passages: its first step's passage and its second step's best. A
    reading whose second step comes back to the first step's passage ranks below those that reach another
    line: that one passage was the whole question's reading, not a second step."""
    return second.ranked[0].passage.id != hops[0].passage.id, hops[0].score + second.ranked[0].score


def _piece_signals(index: Index, embed: object, query: Query, ranked: list[Candidate]) -> dict[str, float]:
    """The question matched piece by piece against the top passage's own text (``kg.qa.pieces``): the mean and
    the least of its content pieces' best cosines; 0 without pieces (an index or an encoder without them)."""
    pieces = getattr(embed, "pieces", None)
    q = pieces(query.normalised) if pieces is not None and ranked and (query.terms or query.services) else None
    if q is None or index.line_pieces is None:
        return {"piece_mean": 0.0, "piece_least": 0.0}
    mean, least = piece_match(q, *index.line_pieces.of(index.position[ranked[0].passage.id]))
    return {"piece_mean": mean, "piece_least": least}


def _dropped_rise(index: Index, embed: object, query: Query, ranked: list[Candidate], used: Sequence[Passage]) -> float:
    """How much the question's similarity to the top passage's own text rises when the words of the question
    the answer does not say are dropped (one more question embedding; 0 when it says them all)."""
    if not ranked or index.line_vectors is None or not (query.terms or query.services):
        return 0.0
    top = ranked[0]
    dropped = without_unsaid(query, [top.passage, *[p for p in used if p.id != top.passage.id]])
    if dropped is None:
        return 0.0
    vector = np.asarray(embed(dropped), dtype=np.float32)  # type: ignore[operator]
    line = index.line_vectors[index.position[top.passage.id]].astype(np.float32)
    return float(line @ vector) - top.line_dense


def abstain_threshold(calibration: Calibration, threshold: float | None, read: dict[str, float] | None = None) -> float:
    """The confidence under which the engine abstains: ``threshold`` when given and not negative (a setting of
    -1 means unset), else the fitted one for the kind of answer the question asked for (``read``: the signals the
    confidence was read from; without them, the one over all questions)."""
    if threshold is not None and threshold >= 0:
        return threshold
    return calibration.threshold_for(read) if read is not None else calibration.threshold


def confidence(scored: Scored, calibration: Calibration, signals_read: dict[str, float]) -> float:
    """The probability that the answer is right, from the fitted calibration over the signals read of it."""
    if not scored.ranked or not (scored.query.terms or scored.query.services):
        return 0.0  # nothing asked about: only question words ("what's the difference between")
    return calibration.probability(signals_read)


def retrieve(
    index: Index,
    embed: object,
    question: str,
    weights: tuple[float, ...] | None = None,
    pool: int | None = None,
    bridge: Bridge | None = None,
    rankings: Rankings | None = None,
) -> tuple[Scored, list[Candidate], QuestionKind]:
    """The candidates a checked question is answered from (``check_question``): its own ranking, or its second
    step's when it is answered in two (``two_steps``); the first step's passage when there was one; and what kind
    of answer the question asked for (a question answered in two steps is read by its second step's query).
    ``weights``, ``pool``, ``bridge`` and ``rankings`` as for ``answer``."""

    def rank_text(text: str) -> Scored:
        if rankings is None:
            return rank(index, embed, text, weights, pool)
        key = (text, weights, pool)
        if key not in rankings:
            rankings[key] = rank(index, embed, text, weights, pool)
        return rankings[key]

    scored = rank_text(question)
    asked = scored.query.kind
    scored, hops = two_steps(index, rank_text, scored, bridge)
    return scored, hops, asked


def answer(
    index: Index,
    embed: object,
    question: object,
    *,
    top_k: int = 5,
    max_chars: int = 1000,
    threshold: float | None = None,
    calibration: Calibration | None = None,
    signals_out: dict[str, float] | None = None,
    weights: tuple[float, ...] | None = None,
    pool: int | None = None,
    bridge: Bridge | None = None,
    rankings: Rankings | None = None,
) -> Answer:
    """Answer a question from the index; ``threshold`` (default: the fitted one) is the confidence under
    which the engine says the answer is not in the notes; ``weights``, ``pool`` and ``bridge`` replace the
    fitted ranking weights, pool size and two-step hand-over (for fitting). ``rankings`` keeps each text
    ranked, with the weights and pool it was ranked by, for calls that rank the same texts again (fitting
    answers one question with every hand-over of its grid)."""
    calibration = calibration or load_calibration()
    t0 = time.perf_counter()
    q = check_question(question, max_chars)
    timings: dict[str, float] = {}
    scored, hops, asked = retrieve(index, embed, q, weights, pool, bridge, rankings)
    timings["retrieve"] = (time.perf_counter() - t0) * 1000
    ranked = scored.ranked
    facts = list(ranked[0].facts) if ranked else []
    composed = compose(index, scored.query, ranked, facts) if ranked else None
    used = composed.passages if composed else ()
    read = signals(index, scored.query, ranked, used, asked)  # of the top passage and the lines the answer used
    read["dropped_rise"] = _dropped_rise(index, embed, scored.query, ranked, used)
    read.update(_piece_signals(index, embed, scored.query, ranked))
    read.update(word_signals(calibration, q, read))
    conf = confidence(scored, calibration, read)
    threshold = abstain_threshold(calibration, threshold, read)
    if signals_out is not None:  # what the confidence was read from: for fitting and evaluation
        signals_out.update(read)
    abstained = composed is None or conf < threshold
    if abstained or composed is None:
        cited = _citations(index, scored.query, ranked, hops, top_k)
        text = NOT_IN_NOTES
        if cited:
            text += f" The nearest I found is in {cited[0].source}:{cited[0].lines[0]}-{cited[0].lines[1]}."
        facts = []
    else:
        text = composed.text
        cited = _citations(
            index, scored.query, ranked, hops, top_k, composed.passages, composed.is_list, composed.revised
        )
    t1 = time.perf_counter()
    timings["compose"] = (t1 - t0) * 1000 - timings["retrieve"]
    timings["total"] = (t1 - t0) * 1000
    return Answer(
        question=q,
        answer=text,
        abstained=abstained,
        confidence=round(conf, 4),
        citations=tuple(cited),
        facts=tuple(_fact_refs(index, facts)),
        sparql=scored.sparql,
        kind=scored.query.kind,
        timings_ms=timings,
    )


def _citation(index: Index, p: Passage, score: float) -> Citation:
    return Citation(
        source=p.file,
        lines=(p.line_start, p.line_end),
        section=p.heading,
        text=p.text,
        passage_id=p.id,
        score=round(score, 4),
    )


def _span(index: Index, passages: tuple[Passage, ...], score: float) -> Citation:
    """One citation for contiguous lines an answer was read from."""
    first, last = passages[0], passages[-1]
    return Citation(
        source=first.file,
        lines=(first.line_start, last.line_end),
        section=first.heading,
        text="\n".join(p.text for p in passages),
        passage_id=first.id,
        score=round(score, 4),
    )


def _contiguous(index: Index, passages: tuple[Passage, ...]) -> bool:
    pos = [index.position[p.id] for p in passages]
    return pos == list(range(pos[0], pos[0] + len(pos)))


def _citations(
    index: Index,
    query: Query,
    ranked: list[Candidate],
    hops: list[Candidate],
    top_k: int,
    used: tuple[Passage, ...] = (),
    is_list: bool = False,
    revised: Passage | None = None,
) -> list[Citation]:
    out: list[Citation] = []
    seen: set[str] = set()
    places: set[tuple[str, int, int]] = set()  # where the citations point: a line is cited once, though several
    # passages stand on it (a board's card, a JSON note's string, a table row read as cells)

    def add(p: Passage, score: float) -> None:
        place = (p.file, p.line_start, p.line_end)
        if p.id not in seen and place not in places and len(out) < top_k:
            seen.add(p.id)
            places.add(place)
            out.append(_citation(index, p, score))

    top_score = ranked[0].score if ranked else 0.0
    body = tuple(sorted((p for p in used if not p.is_heading), key=lambda p: index.position[p.id]))
    if revised is not None and len(body) > 2 and not _contiguous(index, body):
        body = tuple(p for p in body if p is not revised)  # a revision further down is cited after the lines read
    if len(body) > 1 and _contiguous(index, body):
        out.append(_span(index, body, top_score))
        seen.update(p.id for p in body)
        places.add((body[0].file, out[-1].lines[0], out[-1].lines[1]))
    elif is_list and len(body) > 1 and len({p.file for p in body}) == 1:
        # a list read from entries with details between them: cite the region the entries span
        region = index.span(body[0], body[-1])
        if 0 < len(region) <= 24:
            first = _span(index, region, top_score)
            out.append(replace(first, text="\n".join(p.text for p in body)))
            seen.update(p.id for p in body)
            places.add((body[0].file, first.lines[0], first.lines[1]))
    for p in used:
        add(p, top_score)
    if ranked:
        add(ranked[0].passage, ranked[0].score)
    for h in hops:
        add(h.passage, h.score)
    for c in ranked[1:]:
        add(c.passage, c.score)
    return out


def _fact_refs(index: Index, facts: list[Fact]) -> list[FactRef]:
    refs = []
    for f in facts:
        p = index.by_id.get(f.passage)
        s = index.services.get(f.service)
        obj = f.text
        if f.value is not None:
            value = f"{f.value:g}" + (f"–{f.value_max:g}" if f.value_max is not None else "")
            obj = f"{value} {f.unit or ''}".strip() + (f" {f.billing_unit}" if f.billing_unit else "")
        refs.append(
            FactRef(
                subject=s.label if s else f.service,
                predicate=f"has{f.kind}: {f.label}",
                object=obj,
                source=f"{p.file}:{p.line_start}-{p.line_end}" if p else "",
            )
        )
    return refs


class QueryEncoder:
    """A cached single-question encoder, called as ``embed(text)``: repeated questions (Slack retries, eval
    baselines) embed once; with a ``question_map``, each vector is read through it (``kg.qa.question_map``).
    ``pieces(text)``: the question's word pieces, from the same pass of the model (None from an embedder that
    does not give them)."""

    def __init__(self, embedder: object, question_map: QuestionMap | None = None) -> None:
        self.embedder = embedder
        self.question_map = question_map
        self.cache: dict[str, tuple[np.ndarray, Pieces | None]] = {}

    def read(self, text: str) -> tuple[np.ndarray, Pieces | None]:
        hit = self.cache.get(text)
        if hit is None:
            if hasattr(self.embedder, "encode_pieces"):
                vectors, pieces = self.embedder.encode_pieces([text])
                v, p = vectors[0], pieces[0]
            else:
                v, p = self.embedder.encode([text])[0], None  # type: ignore[attr-defined]
            if self.question_map is not None:
                v = self.question_map.apply(v)
            if len(self.cache) > 4096:
                self.cache.clear()
            hit = self.cache[text] = (v, p)
        return hit

    def __call__(self, text: str) -> np.ndarray:
        return self.read(text)[0]

    def pieces(self, text: str) -> Pieces | None:
        return self.read(text)[1]


def vector_fn(embedder: object, question_map: QuestionMap | None = None) -> QueryEncoder:
    """The query encoder ``answer()`` and ``rank()`` call (``QueryEncoder``)."""
    return QueryEncoder(embedder, question_map)
