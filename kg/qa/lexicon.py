"""The vocabulary of the notes: service names and aliases, acronyms, and typo correction against them.

Built from the index at load time, so a question about ``lamda`` or ``dyanmodb`` meets the service the notes
call ``AWS Lambda`` or ``DynamoDB`` -- for any notes, with no list of known questions.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from kg.model import Passage, Service
from kg.text import edit_distance, fold, stem, terms, words
from kg.vocab import STOPWORDS


@dataclass(frozen=True)
class ServiceMention:
    service: str  # service id
    phrase: str  # as it appears in the (corrected) question
    start: int  # token offsets in the question
    end: int


class Lexicon:
    def __init__(
        self,
        services: Sequence[Service],
        passages: Sequence[Passage],
        common: frozenset[str] = frozenset(),
        tokens: Sequence[list[str]] | None = None,
    ) -> None:
        self.common = common
        self.services = {s.id: s for s in services}
        # stemmed token sequence → service id, for every label and alias
        self.names: dict[tuple[str, ...], str] = {}
        for s in services:
            for name in (s.label, *s.aliases):
                key = tuple(stem(w) for w in words(name))
                if key and not (len(key) == 1 and key[0] in STOPWORDS):
                    # a component never steals its parent's own name
                    self.names.setdefault(key, s.id)
        self.max_name = max((len(k) for k in self.names), default=1)
        self._components: dict[str, list[str]] = {}  # parent id → its components' ids
        for s in self.services.values():
            if s.parent:
                self._components.setdefault(s.parent, []).append(s.id)
        self._known: dict[str, bool] = {}  # known() of terms the notes do not use as such
        # one-word names in order (the ones a clipped word starts are a contiguous run), and the answers so far
        self._single_names = sorted((key[0], sid) for key, sid in self.names.items() if len(key) == 1)
        self._prefix_cache: dict[str, str | None] = {}
        df: Counter[str] = Counter()
        capital: Counter[str] = Counter()
        upper: Counter[str] = Counter()
        titled: Counter[str] = Counter()
        seen: Counter[str] = Counter()
        for i, p in enumerate(passages):
            df.update(set(tokens[i] if tokens is not None else terms(p.context_text())))
            for m in re.finditer(r"[A-Za-z][A-Za-z0-9]+", p.text):
                w = m.group(0)
                seen[w.lower()] += 1
                if w.isupper() or (w[0].isupper() and re.search(r"[A-Z0-9]", w[1:])):
                    upper[w.lower()] += 1
                if w[0].isupper():
                    titled[w.lower()] += 1
            # inside a sentence only: titles and bullet starts are capitalised anyway
            for m in re.finditer(r"(?<=[a-z0-9,)] )([A-Z][A-Za-z0-9]+)", p.text):
                capital[m.group(1).lower()] += 1
        self.bigrams = {
            (a, b)
            for p in passages
            for toks in [[stem(w) for w in re.findall(r"[a-z0-9]+", fold(p.context_text()))]]
            for a, b in zip(toks, toks[1:], strict=False)
        }
        self.df = df
        self.n_docs = max(1, len(passages))
        self.vocab = {w for p in passages for w in words(p.context_text())}
        # names: words the notes always write as names (SQS, DynamoDB) or capitalise mid-sentence (Kinesis)
        self.proper = {
            w
            for w, n in seen.items()
            if len(w) >= 2
            and w not in STOPWORDS
            and (upper[w] >= 0.8 * n or (capital[w] >= 2 and titled[w] >= 0.9 * n))
        }
        # a typo is corrected to a word as the notes spell it: a name's words, not their stems ("postgr")
        names_for_typos = set(self.proper)
        for s in services:
            for name in (s.label, *s.aliases):
                names_for_typos.update(words(name))
        self.proper_by_len: dict[int, list[str]] = {}
        for w in sorted(names_for_typos):
            self.proper_by_len.setdefault(len(w), []).append(w)

    def is_common_word(self, term: str) -> bool:
        """Whether a (stemmed) word is ordinary English: a whole token of the embedding model's vocabulary."""
        forms = [term, term + "e", term + "s", term + "ed", term + "ing"]
        if term.endswith("i"):  # Snowball writes a final y as i: "polici", "retri"
            forms.append(term[:-1] + "y")
        return any(w in self.common for w in forms)

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
        """A misspelt name corrected to the notes' spelling (``lamda`` → ``lambda``), else the token."""
        if len(token) < 5 or token in self.vocab or not token.isalpha() or stem(token) in self.df:
            return token
        limit = 1 if len(token) < 8 else 2
        best: tuple[int, int, str] | None = None
        for n in range(len(token) - limit, len(token) + limit + 1):
            for cand in self.proper_by_len.get(n, ()):
                d = edit_distance(token, cand, limit)
                if d <= limit and cand[0] == token[0]:
                    rank = (d, -self.df.get(stem(cand), 0), cand)
                    if best is None or rank < best:
                        best = rank
        return best[2] if best else token

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

    def mentions(self, text: str) -> list[ServiceMention]:
        """Services named in a text, longest names first, not overlapping."""
        toks = words(text)
        stems = [stem(t) for t in toks]
        taken = [False] * len(stems)
        found: list[ServiceMention] = []
        for size in range(min(self.max_name, len(stems)), 0, -1):
            for i in range(len(stems) - size + 1):
                if any(taken[i : i + size]):
                    continue
                sid = self.names.get(tuple(stems[i : i + size]))
                if not sid and 1 < size <= 3:  # "dynamo db" for "DynamoDB"
                    sid = self.names.get((stem("".join(toks[i : i + size])),))
                if not sid and size == 1:  # "dynamo" for "DynamoDB", "cloudform" for "CloudFormation"
                    sid = self.prefix_name(toks[i])
                if sid:
                    found.append(ServiceMention(sid, " ".join(toks[i : i + size]), i, i + size))
                    for j in range(i, i + size):
                        taken[j] = True
        return sorted(found, key=lambda m: m.start)

    def prefix_name(self, token: str) -> str | None:
        """The one single-word service name a clipped word starts (at least 5 letters, 60% of it)."""
        if len(token) < 5 or not token.isalpha():
            return None
        if token in self._prefix_cache:
            return self._prefix_cache[token]
        hits = set()
        for word, sid in self._single_names[bisect.bisect_left(self._single_names, (token,)) :]:
            if not word.startswith(token):
                break
            if len(token) >= 0.6 * len(word) and word != token:
                hits.add(sid)
        found = hits.pop() if len(hits) == 1 else None
        self._prefix_cache[token] = found
        return found

    def expansions(self, service_id: str) -> list[str]:
        """Other names of a service to add to a keyword query: its label, acronym and long name."""
        s = self.services.get(service_id)
        if not s:
            return []
        names = sorted({s.label, *s.aliases}, key=len)
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
