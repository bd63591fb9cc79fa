"""Tokens for keyword search and term matching: folded, Snowball-stemmed, stopwords marked."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import Stemmer
from rapidfuzz.distance import OSA

from kg.vocab import STOP_INITIAL

_THREAD = threading.local()
VOWEL = re.compile(r"[aeiouy]")
TOKEN = re.compile(r"[a-z0-9]+(?:[@.:/+_-][a-z0-9]+)*")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before being
    below between both but by can can't cannot could did do does doing don't down during each either else
    etc ever every few for from further get gets got had has have having he her here hers him his how i if
    in into is isn't it it's its itself just let lets like may me might more most much must my nor
    now of off on once one or other our ours out over own per please same shall she should so some
    such than that that's the their theirs them then there these they this those through to too under until
    up upon us very via was we were what what's when where which while who whom whose why will with
    within without would you your yours whats hows i'm i've ive im should've ex e.g eg i.e ie""".split()
)
# Words that say what kind of answer is wanted, not what it is about.
QUESTION_WORDS = frozenset(
    """what which who whom whose when where why how many much long big large small often quickly
    tell explain describe define definition mean means meaning does do is are can could should would
    will there kind type kinds types way ways best good need needs want know roughly approximately
    approx around about exactly main common usually typically really actually happen happens stand stands
    called call mean vs versus introduced launched released announced difference differences compare
    comparison""".split()
)


CONTRACTIONS = {
    "can't": "can not",
    "cannot": "can not",
    "won't": "will not",
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "isn't": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "shouldn't": "should not",
    "wouldn't": "would not",
    "couldn't": "could not",
    "haven't": "have not",
    "hasn't": "has not",
}
_APOSTROPHES = "['\u2019]"
CONTRACTION = re.compile("|".join(r"\b" + re.escape(c).replace("'", _APOSTROPHES) + r"\b" for c in CONTRACTIONS), re.I)
GOOD_FOR = re.compile(r"\b(?:good|great|useful|ideal|suited|best|meant|recommended)\s+for\b", re.I)
MILLIONS = re.compile(r"\b(\d+(?:\.\d+)?)\s?(?:M|MM|mm|mil|mln)\b(?!B)")
SENDS_BACK = re.compile(r"\b(?:sends?|gives?|hands?) back\b", re.I)
ACRONYM_PLURAL = re.compile(r"\b([A-Z][A-Z0-9]+)(?:'s|’s|s)\b")


def fold(text: str) -> str:
    """Lowercase, NFKC, straight quotes: what users type and what notes contain meet here.
    Plural acronyms lose their s ("LSIs", "LSI's" → "lsi")."""
    text = unicodedata.normalize("NFKC", text)
    text = ACRONYM_PLURAL.sub(r"\1", text)
    text = CONTRACTION.sub(lambda m: CONTRACTIONS[m.group(0).lower().replace("’", "'")], text)
    text = SENDS_BACK.sub("returns", text)
    text = GOOD_FOR.sub("used for", text)
    text = MILLIONS.sub(lambda m: f"{m.group(1)} million", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return text.lower()


def _snowball() -> Stemmer.Stemmer:
    """This thread's Snowball stemmer: a PyStemmer object is not safe to share between threads."""
    stemmer: Stemmer.Stemmer | None = getattr(_THREAD, "stemmer", None)
    if stemmer is None:
        stemmer = _THREAD.stemmer = Stemmer.Stemmer("english")
    return stemmer


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball (Porter2) stem of a folded word: 'replicas'/'replica', 'encrypted'/'encryption'.
    Short words and identifiers (``sqs``, ``t2.small``, ``cross-zone``) are kept whole: they are names."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("s") and not word.endswith("ss") and not VOWEL.search(word[:-1]):
        return word[:-1]  # a plural acronym typed in lower case ("vpcs", "sdks"): Snowball keeps its s
    return str(_snowball().stemWord(word))


# Ways of saying the same bound: questions say "largest", notes say "max".
SYNONYMS = {
    "largest": "max",
    "biggest": "max",
    "maximum": "max",
    "highest": "max",
    "longest": "max",
    "most": "max",
    "smallest": "min",
    "lowest": "min",
    "minimum": "min",
    "least": "min",
    "cheapest": "cheap",
    "cheaper": "cheap",
    "savings": "saving",
    # what something costs: notes say "costs", "price", "charge" interchangeably
    "costs": "cost",
    "costing": "cost",
    "price": "cost",
    "prices": "cost",
    "priced": "cost",
    "pricing": "cost",
    "charge": "cost",
    "charges": "cost",
    "charged": "cost",
    # doing a job: notes say "execution", users say "run"
    "run": "execute",
    "runs": "execute",
    "running": "execute",
    "ran": "execute",
    "executes": "execute",
    "return": "returns",
    "returned": "returns",
    "returning": "returns",
    "execution": "execute",
    "executions": "execute",
    "executed": "execute",
    "executing": "execute",
}


def words(text: str) -> list[str]:
    """Raw folded tokens, keeping identifiers like ``x-amz-server-side-encryption`` and ``t2.small`` whole."""
    return TOKEN.findall(fold(text))


def split_compound(token: str) -> list[str]:
    parts = [p for p in re.split(r"[@.:/+_-]", token) if p]
    return parts if len(parts) > 1 else []


def terms(text: str, keep_stopwords: bool = False) -> list[str]:
    """Stemmed search terms; compound identifiers also contribute their parts."""
    out: list[str] = []
    for tok in words(text):
        toks = [tok, *split_compound(tok)]
        for t in toks:
            if not keep_stopwords and t in STOPWORDS:
                continue
            out.append(stem(SYNONYMS.get(t, t)))
    return out


def content_terms(text: str) -> list[str]:
    """Terms that say what a question is about (no stopwords, no question words), in order, unique."""
    seen: dict[str, None] = {}
    for tok in words(text):
        for t in [tok, *split_compound(tok)]:
            if t in STOPWORDS or t in QUESTION_WORDS or len(t) < 2:
                continue
            seen.setdefault(stem(SYNONYMS.get(t, t)), None)
    return list(seen)


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, ``limit + 1`` when above ``limit``."""
    return int(OSA.distance(a, b, score_cutoff=limit))


def initials(phrase: str) -> str:
    """Initials of a phrase's words, function words skipped: "Simple Queue Service" → "SQS"."""
    words = [w for w in re.split(r"[\s-]+", phrase) if w and w.lower() not in STOP_INITIAL]
    return "".join(w[0] for w in words).upper()
