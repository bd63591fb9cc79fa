"""Corpus counts of the notes that answering needs: the BM25 index of every passage's words, and the words'
document frequencies, word pairs and capitalisation (``kg.qa.lexicon``).

Computing them means folding and tokenising every passage, several seconds for a large corpus. Ingest does it
once and writes the result into the index folder (``counts.json`` and ``bm25.npz``); ``Index.load`` reads it.
The files record the sha256 of the ``passages.jsonl`` they were counted from and a digest of the code that
counts, so an index built by other code, or files that do not belong to its passages, are not used: the
counts are then made again at load, with the same result.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from kg.manifest import CHECKSUMS, file_sha256
from kg.model import Passage
from kg.text import TOKEN, camel_terms, fold, stem, terms_of_words
from kg.vocab import STOPWORDS

log = logging.getLogger(__name__)
COUNTS = "counts.json"  # index file: document frequencies, word pairs, vocabulary, names, BM25 vocabulary
BM25_FILE = "bm25.npz"  # index file: the BM25 score matrix (bm25s's sparse columns)
PARTS = "count_parts.json"  # index file: each file's run of passages counted, reused by the next build
_LOGIC = ("counts.py", "text.py", "vocab.py")  # the code whose output the files hold

WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+")
MID_SENTENCE_CAPITAL = re.compile(r"(?<=[a-z0-9,)] )([A-Z][A-Za-z0-9]+)")
ALNUM = re.compile(r"[a-z0-9]+")


@dataclass
class WordCounts:
    """What the notes' words are: counted over every passage's ``context_text`` (``proper`` over its text)."""

    n_docs: int
    df: Counter[str]  # term → number of passages using it
    bigrams: set[tuple[str, str]]  # stemmed adjacent word pairs
    vocab: set[str]  # every word (``kg.text.words``)
    proper: set[str]  # words the notes always write as names (SQS, DynamoDB) or capitalise mid-sentence


def passage_terms(passages: Sequence[Passage]) -> tuple[list[str], list[list[str]]]:
    """Each passage's context folded, and its terms (= ``terms(p.context_text())``): one pass for both."""
    texts = [p.context_text() for p in passages]
    folded = [fold(text) for text in texts]
    return folded, [terms_of_words(TOKEN.findall(f)) + camel_terms(t) for f, t in zip(folded, texts, strict=True)]


@dataclass
class Part:
    """The counts of a run of passages (one file's): what adds up to the corpus counts."""

    terms: list[list[str]]  # each passage's terms, in order
    df: Mapping[str, int]
    spelled: Mapping[str, int]  # how the texts write each word (``WORD``)
    mid_sentence: Mapping[str, int]  # words capitalised inside a sentence
    bigrams: Collection[str]  # stemmed adjacent word pairs, "a b"
    vocab: Collection[str]


def count_part(passages: Sequence[Passage], folded: Sequence[str], tokens: Sequence[list[str]]) -> Part:
    """The partial counts of some passages, from ``passage_terms``'s output."""
    df: Counter[str] = Counter()
    for toks in tokens:
        df.update(set(toks))
    spelled: Counter[str] = Counter()
    mid_sentence: Counter[str] = Counter()
    for p in passages:
        spelled.update(WORD.findall(p.text))
        # inside a sentence only: titles and bullet starts are capitalised anyway
        mid_sentence.update(MID_SENTENCE_CAPITAL.findall(p.text))
    bigrams: set[str] = set()
    for text in folded:
        toks = [stem(w) for w in ALNUM.findall(text)]
        bigrams.update(f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False))
    # words(context_text) is TOKEN.findall of the folded context
    vocab = {w for text in folded for w in TOKEN.findall(text)}
    return Part(list(tokens), df, spelled, mid_sentence, bigrams, vocab)


def _add_parts(parts: Sequence[Part]) -> tuple[int, Counter[str], set[str], set[str], set[str]]:
    """Passages, df, word pairs, vocabulary and names of the passages of all ``parts``."""
    df: Counter[str] = Counter()
    spelled: Counter[str] = Counter()
    mid_sentence: Counter[str] = Counter()
    bigrams: set[str] = set()
    vocab: set[str] = set()
    for part in parts:
        df.update(part.df)
        spelled.update(part.spelled)
        mid_sentence.update(part.mid_sentence)
        bigrams.update(part.bigrams)
        vocab.update(part.vocab)
    # how the notes write each word, counted once per distinct spelling
    capital: Counter[str] = Counter()
    upper: Counter[str] = Counter()
    titled: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for w, n in spelled.items():
        low = w.lower()
        seen[low] += n
        if w.isupper() or (w[0].isupper() and re.search(r"[A-Z0-9]", w[1:])):
            upper[low] += n
        if w[0].isupper():
            titled[low] += n
    for w, n in mid_sentence.items():
        capital[w.lower()] += n
    proper = {
        w
        for w, n in seen.items()
        if len(w) >= 2 and w not in STOPWORDS and (upper[w] >= 0.8 * n or (capital[w] >= 2 and titled[w] >= 0.9 * n))
    }
    return sum(len(part.terms) for part in parts), df, bigrams, vocab, proper


def count_words(passages: Sequence[Passage], folded: Sequence[str], tokens: Sequence[list[str]]) -> WordCounts:
    """The corpus counts, from ``passage_terms``'s output."""
    n, df, bigrams, vocab, proper = _add_parts([count_part(passages, folded, tokens)])
    pairs = {(a, b) for a, _, b in (pair.partition(" ") for pair in bigrams)}
    return WordCounts(max(1, n), df, pairs, vocab, proper)


def build_bm25(tokens: Sequence[list[str]]) -> Any:
    """A bm25s index of the passages' terms (a passage without terms counts as one placeholder word). Its
    vocabulary is numbered in sorted order (bm25s numbers it in set order, which changes from run to run)."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import
    docs = [t or ["_"] for t in tokens]
    vocab = {w: i for i, w in enumerate(sorted({w for t in docs for w in t}))}
    bm25 = bm25s.BM25()
    bm25.index(([[vocab[w] for w in t] for t in docs], vocab), show_progress=False)
    return bm25


def logic_digest() -> str:
    """Identifies the code that counts (this module, tokenising, stop words) and the BM25 library's version."""
    import bm25s

    digest = hashlib.sha256(str(getattr(bm25s, "__version__", "")).encode())
    here = Path(__file__).resolve().parent
    for name in _LOGIC:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


def _runs(passages: Sequence[Passage]) -> list[tuple[str, list[Passage]]]:
    """The passages cut into runs of one file each, with a key that hashes every text the counts read."""
    runs: list[tuple[str, list[Passage]]] = []
    start = 0
    for i in range(1, len(passages) + 1):
        if i == len(passages) or passages[i].file != passages[start].file:
            run = list(passages[start:i])
            digest = hashlib.blake2b(digest_size=16)
            for p in run:
                digest.update(p.context_text().encode("utf-8"))
                digest.update(b"\x1f")
                digest.update(p.text.encode("utf-8"))
                digest.update(b"\x1e")
            runs.append((digest.hexdigest(), run))
            start = i
    return runs


def _part_doc(part: Part) -> dict[str, Any]:
    return {
        "terms": part.terms,
        "df": dict(part.df),
        "spelled": dict(part.spelled),
        "mid": dict(part.mid_sentence),
        "bigrams": sorted(part.bigrams),
        "vocab": sorted(part.vocab),
    }


def _part_from(doc: dict[str, Any]) -> Part:
    """A part as _part_doc stored it, taken as read (the parts of every file are read at each re-ingest)."""
    part = Part(doc["terms"], doc["df"], doc["spelled"], doc["mid"], doc["bigrams"], doc["vocab"])
    counts = (part.df, part.spelled, part.mid_sentence)
    if not (
        all(isinstance(x, dict) for x in counts)
        and all(isinstance(x, list) for x in (part.terms, part.bigrams, part.vocab))
    ):
        raise TypeError("not a count part")
    return part


def _read_parts(previous: Path | None, logic: str) -> dict[str, dict[str, Any]]:
    if previous is None:
        return {}
    try:
        doc = orjson.loads((previous / PARTS).read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict) or doc.get("logic") != logic or not isinstance(doc.get("parts"), dict):
        return {}
    return doc["parts"]


def write_counts(folder: Path, passages: Sequence[Passage], previous: Path | None = None) -> dict[str, Collection[str]]:
    """Write counts.json and bm25.npz into an index folder being built, after its passages.jsonl and before
    its checksums are taken; and count_parts.json. Runs of passages found in ``previous``'s count_parts.json
    are not counted again. Returns each file's words (``kg.text.words`` of its passages' contexts)."""
    logic = logic_digest()
    known = _read_parts(previous, logic)
    parts: list[Part] = []
    kept: dict[str, dict[str, Any]] = {}
    vocabularies: dict[str, Collection[str]] = {}
    for key, run in _runs(passages):
        doc = kept.get(key) or known.get(key)
        part = None
        if doc is not None:
            try:
                part = _part_from(doc)
            except (KeyError, TypeError, ValueError):
                part = None
        if part is None or len(part.terms) != len(run):
            folded, tokens = passage_terms(run)
            part = count_part(run, folded, tokens)
            doc = _part_doc(part)
        kept[key] = doc or _part_doc(part)
        parts.append(part)
        file = run[0].file
        vocabularies[file] = {*vocabularies[file], *part.vocab} if file in vocabularies else part.vocab
    n, df, bigrams, vocab, proper = _add_parts(parts)
    bm25 = build_bm25([t for part in parts for t in part.terms])
    scores = bm25.scores
    with (folder / BM25_FILE).open("wb") as fh:
        np.savez(fh, data=scores["data"], indices=scores["indices"], indptr=scores["indptr"])
    out = {
        "logic": logic,
        "passages": file_sha256(folder / "passages.jsonl"),
        "n_docs": max(1, n),
        "df": dict(sorted(df.items())),
        "bigrams": sorted(bigrams),
        "vocab": sorted(vocab),
        "proper": sorted(proper),
        "bm25": {"num_docs": int(scores["num_docs"]), "vocab": bm25.vocab_dict},
    }
    # orjson: the parts of every file are read and written again at each re-ingest (22 MB at ×86)
    (folder / COUNTS).write_bytes(orjson.dumps(out))
    (folder / PARTS).write_bytes(orjson.dumps({"logic": logic, "parts": kept}))
    return vocabularies


def read_counts(folder: Path, manifest: dict[str, Any]) -> tuple[WordCounts, Any] | None:
    """The word counts and the BM25 index ingest wrote for this index (``manifest``: its verified manifest);
    None when the index has none, or they were written by other code or for other passages."""
    sums = manifest.get(CHECKSUMS) or {}
    if not (folder / COUNTS).is_file() or BM25_FILE not in sums:
        return None
    try:
        doc = orjson.loads((folder / COUNTS).read_bytes())
        if doc.get("logic") != logic_digest() or doc.get("passages") != sums.get("passages.jsonl"):
            log.info("%s was written by other code or for other passages; counting again", folder / COUNTS)
            return None
        with np.load(folder / BM25_FILE, allow_pickle=False) as npz:
            matrix = {name: npz[name] for name in ("data", "indices", "indptr")}
        counts = WordCounts(
            n_docs=int(doc["n_docs"]),
            df=Counter({str(k): int(v) for k, v in doc["df"].items()}),
            bigrams={(a, b) for a, _, b in (pair.partition(" ") for pair in doc["bigrams"])},
            vocab=set(doc["vocab"]),
            proper=set(doc["proper"]),
        )
        bm25 = _bm25_from(matrix, int(doc["bm25"]["num_docs"]), dict(doc["bm25"]["vocab"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("%s cannot be read (%s); counting again", folder / COUNTS, exc)
        return None
    return counts, bm25


def _bm25_from(matrix: dict[str, np.ndarray], num_docs: int, vocab: dict[str, int]) -> Any:
    """A bm25s index with a score matrix built before: what ``bm25s.BM25.load`` sets, from one file."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    bm25 = bm25s.BM25()
    words = len(vocab) - ("" in vocab)  # bm25s adds the empty word after the matrix: it has no column
    if len(matrix["indptr"]) != words + 1:
        raise ValueError(f"BM25 matrix has {len(matrix['indptr']) - 1} columns for {words} words")
    bm25.scores = {**matrix, "num_docs": num_docs}
    bm25.vocab_dict = vocab
    bm25.unique_token_ids_set = set(vocab.values())
    bm25.nonoccurrence_array = None  # only BM25L and BM25+ have one; build_bm25 uses the default (Lucene)
    return bm25
