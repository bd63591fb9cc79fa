"""The vocabulary of the notes: service names and aliases, acronyms, and typo correction against them.

Built from the index at load time, so a question about ``lamda`` or ``dyanmodb`` meets the service the notes
call ``AWS Lambda`` or ``DynamoDB`` -- for any notes, with no list of known questions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from kg.counts import WordCounts, count_words, passage_terms
from kg.model import Passage, Service
from kg.names import ServiceMention, ServiceNames
from kg.text import edit_distance, fold, stem, word_terms, words

__all__ = ["Lexicon", "ServiceMention"]


GLUED = re.compile(r"([a-z]+)(\d+)")  # a name and its version number written together: "http3", "ipv6"


class Lexicon:
    def __init__(
        self,
        services: Sequence[Service],
        passages: Sequence[Passage],
        common: frozenset[str] = frozenset(),
        tokens: Sequence[list[str]] | None = None,
        folded: Sequence[str] | None = None,
        counts: WordCounts | None = None,
    ) -> None:
        """``counts``: the notes' word counts, as ingest wrote them (``kg.counts``); else they are counted from
        ``passages``. ``tokens`` (``terms`` of each passage's ``context_text``) and ``folded`` (``fold`` of
        it), when the caller has them already, spare computing them again."""
        self.common = common
        self.services = {s.id: s for s in services}
        self.service_names = ServiceNames(services)
        self.names = self.service_names.names  # stemmed token sequence → service id
        self.max_name = self.service_names.max_name
        self.mentions = self.service_names.mentions  # services named in a text (kg.names)
        self.prefix_name = self.service_names.prefix_name
        self._components: dict[str, list[str]] = {}  # parent id → its components' ids
        for s in self.services.values():
            if s.parent:
                self._components.setdefault(s.parent, []).append(s.id)
        self._known: dict[str, bool] = {}  # known() of terms the notes do not use as such
        if counts is None:  # no counts written at ingest (a lexicon of a few passages, an older index)
            if tokens is None or folded is None:
                folded, tokens = passage_terms(passages)
            counts = count_words(passages, folded, tokens)
        self.bigrams = counts.bigrams
        self.df = counts.df
        self.n_docs = counts.n_docs
        self.vocab = counts.vocab
        # names: words the notes always write as names (SQS, DynamoDB) or capitalise mid-sentence (Kinesis)
        self.proper = counts.proper
        # a typo is corrected to a word as the notes spell it: a name's words, not their stems ("postgr")
        names_for_typos = set(self.proper)
        for s in services:
            for name in (s.label, *s.aliases):
                names_for_typos.update(words(name))
        self._by_len: dict[int, list[str]] | None = None  # the notes' words by length (typos of words)
        self.proper_by_len: dict[int, list[str]] = {}
        for w in sorted(names_for_typos):
            self.proper_by_len.setdefault(len(w), []).append(w)

    def is_common_word(self, term: str) -> bool:
        """Whether a (stemmed) word is ordinary English: a whole token of the embedding model's vocabulary."""
        forms = [term, term + "e", term + "s", term + "ed", term + "ing"]
        if term.endswith("i"):  # Snowball writes a final y as i: "polici", "retri"
            forms.append(term[:-1] + "y")
        return any(w in self.common for w in forms)

    def common_terms(self, text: str) -> frozenset[str]:
        """The terms of a text whose words are ordinary English, judged by each word as typed ("calculated",
        "refrigerator") as well as by its stem, which often is no word ("calcul", "refriger")."""
        return frozenset(t for w, t in word_terms(text) if w in self.common or self.is_common_word(t))

    def idf(self, term: str) -> float:
        n = self.df.get(term, 0)
        return math.log(1 + (self.n_docs - n + 0.5) / (n + 0.5))

    def known(self, term: str) -> bool:
        """Whether the notes use a term; a compound (cross-zone) only when they write its parts together."""
        if term in self.df:
            return True
        found = self._known.get(term)
        if found is None:  # every candidate passage of a question asks about the same terms
            if len(self._known) >= 65536:  # questions are anyone's text: the memo stays bounded
                self._known.clear()
            found = self._known[term] = self._known_compound(term)
        return found

    def _known_compound(self, term: str) -> bool:
        parts = [stem(x) for x in re.split(r"[-./:@+_]", term) if x]
        if len(parts) < 2:
            # "timeout" where the notes write "time out"
            return term.isalpha() and any(
                (stem(term[:k]), stem(term[k:])) in self.bigrams for k in range(3, len(term) - 2)
            )
        return all((a, b) in self.bigrams for a, b in zip(parts, parts[1:], strict=False))

    def correct(self, token: str) -> str:
        """A misspelt name corrected to the notes' spelling (``lamda`` → ``lambda``), else the token; a
        misspelt word that is no English word either is corrected to a word of the notes (``acounting``)."""
        glued = GLUED.fullmatch(token)
        if glued and token not in self.vocab:  # "http3" where the notes write "HTTP/3" or "HTTP-3"
            return next((j for j in (glued.expand(r"\1/\2"), glued.expand(r"\1-\2")) if j in self.vocab), token)
        if len(token) < 5 or token in self.vocab or not token.isalpha() or stem(token) in self.df:
            return token
        limit = 1 if len(token) < 8 else 2
        found = self._nearest(token, limit, self.proper_by_len)
        if found is None and token not in self.common and not self.is_common_word(stem(token)):
            found = self._nearest(token, limit, self._words_by_len())
        return found or token

    def _nearest(self, token: str, limit: int, by_len: dict[int, list[str]]) -> str | None:
        best: tuple[int, int, str] | None = None
        for n in range(len(token) - limit, len(token) + limit + 1):
            for cand in by_len.get(n, ()):
                if cand[0] != token[0]:
                    continue
                d = edit_distance(token, cand, limit)
                if d <= limit:
                    rank = (d, -self.df.get(stem(cand), 0), cand)
                    if best is None or rank < best:
                        best = rank
        return best[2] if best else None

    def _words_by_len(self) -> dict[int, list[str]]:
        """The notes' words by length, built on the first misspelt word."""
        if self._by_len is None:
            by_len: dict[int, list[str]] = {}
            for w in sorted(self.vocab):
                if len(w) >= 4 and w.isalpha():
                    by_len.setdefault(len(w), []).append(w)
            self._by_len = by_len
        return self._by_len

    def normalise(self, question: str) -> tuple[str, list[str]]:
        """The question with misspelt names corrected, and the list of corrections made."""
        fixes: list[str] = []

        def fix(m: re.Match[str]) -> str:
            tok = m.group(0)
            new = self.correct(fold(tok))
            if new != fold(tok):
                fixes.append(f"{tok} → {new}")
                return new
            return tok

        return re.sub(r"[A-Za-z][A-Za-z0-9]*", fix, question), fixes

    def expansions(self, service_id: str) -> list[str]:
        """Other names of a service to add to a keyword query: its label, acronym and long name."""
        s = self.services.get(service_id)
        if not s:
            return []
        names = sorted({s.label, *s.aliases}, key=lambda n: (len(n), n))  # by name too: a set has no order
        acr = [n for n in names if n.isupper() and " " not in n]
        longest = [n for n in names if " " in n][-1:]
        return list(dict.fromkeys([s.label, *acr[:1], *longest]))

    def family(self, service_id: str) -> set[str]:
        """A service with its parent and components: questions about ALB may be answered under ELB."""
        s = self.services.get(service_id)
        if not s:
            return set()
        out = {s.id}
        if s.parent:
            out.add(s.parent)
        out.update(self._components.get(s.id, ()))
        return out
