"""Tokens for keyword search and term matching: folded, Snowball-stemmed, stopwords marked."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

import Stemmer
from rapidfuzz.distance import OSA

from kg.units import UNITS
from kg.vocab import CONTRACTIONS, FRAME_WORDS, STOP_INITIAL, STOPWORDS, SYNONYMS

_THREAD = threading.local()
# Spellings of one physical measure count as one word: "ounces" finds "oz", "calories" finds "125 cal/oz". Time,
# size and percent are left out (in a question those unit words only say what form the answer takes), and so are
# spellings that are mostly other words ("foot", "yard", "mi") or another unit ("kelvin").
_OTHER_WORDS = frozenset({"foot", "yard", "yards", "mi", "kelvin"})
UNIT_SPELLINGS = {
    spelling: unit.lower()
    for spelling, (unit, family, _factor) in UNITS.items()
    if spelling.isalpha()
    and len(spelling) > 1
    and unit.lower().isalpha()
    and len(unit) > 1
    and family not in ("time", "size", "percent")
    and spelling not in _OTHER_WORDS
}
WORD_FORMS = {**UNIT_SPELLINGS, **SYNONYMS}  # each word is searched as the one it maps to
VOWEL = re.compile(r"[aeiouy]")
TOKEN = re.compile(r"[a-z0-9]+(?:[@.:/+_-][a-z0-9]+)*")

_STRAIGHT_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_APOSTROPHES = "['\u2019]"
CONTRACTION = re.compile("|".join(r"\b" + re.escape(c).replace("'", _APOSTROPHES) + r"\b" for c in CONTRACTIONS), re.I)
GOOD_WORDS = ("good", "great", "useful", "ideal", "suited", "best", "meant", "recommended")
GOOD_FOR = re.compile(rf"\b(?:{'|'.join(GOOD_WORDS)})\s+for\b", re.I)
DIGIT = re.compile(r"\d")
MILLIONS = re.compile(r"\b(\d+(?:\.\d+)?)\s?(?:M|MM|mm|mil|mln)\b(?!B)")
SENDS_BACK = re.compile(r"\b(?:sends?|gives?|hands?) back\b", re.I)
INITIALS = re.compile(r"[a-z](?:\.[a-z])+")  # "s.k", "d.t": initials written with dots
ACRONYM_PLURAL = re.compile(r"\b([A-Z][A-Z0-9]+)(?:'s|’s|s)\b")


# a token typed as an identifier: letters with digits (io1, sy0-701), parts joined by . _ : @ (fetch.max.bytes,
# proxy_send_timeout) or camel case (maxPoolSize, ClientAliveCountMax; two humps are mostly product names:
# CloudWatch); not a quantity with its unit (50k, 72h, 16GB, 3am, 2nd)
_RAW_TOKEN = re.compile(r"[A-Za-z0-9][\w.:@/+-]*[A-Za-z0-9]")
_CODE_LIKE = re.compile(r"(?=.*[a-zA-Z])(?!(?:\d[\d.,]*[a-zA-Z]{1,3})+$)(?:.*\d|.*[a-zA-Z0-9][._:@][a-zA-Z0-9])")
_CAMEL_CODE = re.compile(r"[a-z]+[A-Z]|[A-Z][a-z]+[A-Z]")


def _code_like(token: str) -> bool:
    return bool(_CODE_LIKE.match(token) or (_CAMEL_CODE.match(token) and camel_parts(token)))


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def squash(text: str) -> str:
    """Lowercase letters and digits only: how an identifier is compared ("Fetch.Max.Bytes" = "fetch_max_bytes")."""
    return _NOT_ALNUM.sub("", text.lower())


def identifiers(text: str) -> tuple[str, ...]:
    """The identifiers a text types (``_CODE_LIKE``), squashed, three characters or more."""
    found = (squash(t) for t in _RAW_TOKEN.findall(text) if _code_like(t))
    return tuple(dict.fromkeys(t for t in found if len(t) >= 3))


def fold_quotes(text: str) -> str:
    """Curly quotes made straight: notes are typed in editors that curl them, questions mostly are not."""
    return text.translate(_STRAIGHT_QUOTES)


def fold(text: str) -> str:
    """Lowercase, NFKC, straight quotes: what users type and what notes contain meet here.
    Plural acronyms lose their s ("LSIs", "LSI's" → "lsi")."""
    text = unicodedata.normalize("NFKC", text)
    text = ACRONYM_PLURAL.sub(r"\1", text)
    # Each rewrite runs only on a text holding a word it needs (after NFKC, "in text.lower()" finds every
    # casing those patterns match): most texts need none of them.
    low = text.lower()
    if "'" in text or "’" in text or "cannot" in low:  # every contraction has an apostrophe but "cannot"
        text, n = CONTRACTION.subn(lambda m: CONTRACTIONS[m.group(0).lower().replace("’", "'")], text)
        low = text.lower() if n else low
    if "back" in low:
        text, n = SENDS_BACK.subn("returns", text)
        low = text.lower() if n else low
    if "for" in low and any(w in low for w in GOOD_WORDS):
        text = GOOD_FOR.sub("used for", text)
    if DIGIT.search(text):
        text = MILLIONS.sub(lambda m: f"{m.group(1)} million", text)
    return (text if text.isascii() else fold_quotes(text)).lower()  # curly quotes are not ASCII


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


def words(text: str) -> list[str]:
    """Raw folded tokens, keeping identifiers like ``x-amz-server-side-encryption`` and ``t2.small`` whole."""
    return TOKEN.findall(fold(text))


def split_compound(token: str) -> list[str]:
    parts = [p for p in re.split(r"[@.:/+_-]", token) if p]
    return parts if len(parts) > 1 else []


def terms(text: str, keep_stopwords: bool = False) -> list[str]:
    """Stemmed search terms; compound identifiers also contribute their parts, camelCase ones too."""
    return terms_of_words(words(text), keep_stopwords) + camel_terms(text)


# A code identifier in camelCase (executorIdleTimeout) or PascalCase of three humps or more (MaxTenuringThreshold);
# two humps (CloudWatch, DynamoDB) are mostly product names, which users type as one word.
_CAMEL = re.compile(r"(?<![\w'])[A-Za-z][a-z0-9]*[A-Z][A-Za-z0-9]*(?![\w'])")
_HUMP = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")


def camel_terms(text: str) -> list[str]:
    """The terms of the words a camelCase identifier is made of ("executorIdleTimeout": executor, idl,
    timeout), so a question that writes them apart finds the line; the identifier itself stays one term."""
    out: list[str] = []
    if text.islower():  # most lines: no capital, no identifier to split
        return out
    for m in _CAMEL.finditer(text):
        out += [t for part in camel_parts(m.group()) if len(part) > 1 for t in _token_terms(part.lower(), False)]
    return out


def camel_parts(ident: str) -> list[str]:
    """The humps of an identifier written in camel case (executorIdleTimeout) or in Pascal case of three humps
    or more (MaxTenuringThreshold); none for two humps, mostly product names (CloudWatch, DynamoDB)."""
    parts = _HUMP.findall(ident)
    return parts if len(parts) > 1 and (ident[0].islower() or len(parts) >= 3) else []


def terms_of_words(toks: list[str], keep_stopwords: bool = False) -> list[str]:
    """``terms`` of a text already split into ``words``."""
    out: list[str] = []
    for tok in toks:
        out += _token_terms(tok, keep_stopwords)
    return out


def _undotted(tok: str) -> str:
    """A token of initials written with dots ("s.k") as typed without them ("sk"): a question types a name's
    initials so; any other token as it is."""
    return tok.replace(".", "") if INITIALS.fullmatch(tok) else tok


@lru_cache(maxsize=65536)
def _token_terms(tok: str, keep_stopwords: bool) -> tuple[str, ...]:
    """The terms of one token: notes repeat their words, so each is stemmed and split once."""
    tok = _undotted(tok)
    toks = [tok, *split_compound(tok)] if not tok.isalnum() else [tok]  # words() tokens: alnum has no parts
    return tuple(stem(WORD_FORMS.get(t, t)) for t in toks if keep_stopwords or t not in STOPWORDS)


def word_terms(text: str) -> Iterator[tuple[str, str]]:
    """Each word of a text, and each part of a compound one, with the term it is searched as."""
    for tok in map(_undotted, words(text)):
        for w in (tok, *split_compound(tok)):
            yield w, stem(WORD_FORMS.get(w, w))


def content_terms(text: str) -> list[str]:
    """Terms that say what a question is about (no stopwords, no question words), in order, unique."""
    seen: dict[str, None] = {}
    for w, t in word_terms(text):
        if w not in FRAME_WORDS and len(w) >= 2:
            seen.setdefault(t, None)
    return list(seen)


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, ``limit + 1`` when above ``limit``."""
    return int(OSA.distance(a, b, score_cutoff=limit))


def initials(phrase: str) -> str:
    """Initials of a phrase's words, function words skipped: "Simple Queue Service" → "SQS"."""
    words = [w for w in re.split(r"[\s-]+", phrase) if w and w.lower() not in STOP_INITIAL]
    return "".join(w[0] for w in words).upper()


# Where an item's head ends: an arrow or dash between spaces, a colon or semicolon, a comma.
ITEM_HEAD_END = re.compile(r"\s+(?:[-–—=]+>?|->|=>)\s+|[:;]\s+|,\s+")


def item_label(text: str) -> str:
    """How an item names the lines under it: one ending with ':' introduces them and names them whole;
    another names them by its head, up to the first separator (``zombie - child that has exited ...`` →
    ``zombie``), so its own facts do not become every child's topic."""
    if text.endswith(":"):
        return text.rstrip(":").strip()
    for sep in ITEM_HEAD_END.finditer(text):  # not inside brackets: "Enforcement and fines (Art. 83, 84)" is whole
        before = text[: sep.start()]
        if before.count("(") <= before.count(")"):
            return before.strip() or text
    return text
