"""Service recognition: one Service per service heading, with its acronym, long name and components merged.

``ELB: Elastic Load Balancers`` gives ELB with aliases "Elastic Load Balancers", "Elastic Load Balancer",
"Load Balancers"; ``Application Load Balancer`` and ``ALB`` found in its text become a component of it.
Everything comes from the notes' own headings and acronym definitions.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace

from ingest.outline import (
    ACRONYM_TITLE,
    VENDOR_PREFIX,
    camel_initials,
    head_term,
    is_name_like,
    service_key,
)
from ingest.subjects import name_from_file, subject_term
from kg.model import Passage, Service
from kg.text import initials
from kg.vocab import STOP_INITIAL, STOPWORDS

ACRONYM = re.compile(r"\b([A-Z][A-Z0-9]{1,5})(?:'?s)?\b")
CAP_WORD = r"[A-Z][A-Za-z0-9]*"
# "Local Secondary Index (LSI)" / "LSI (Local Secondary Index)"
LONG_THEN_SHORT = re.compile(rf"((?:{CAP_WORD}[ -]){{1,5}}{CAP_WORD})\s*\(([A-Z][A-Za-z0-9]{{1,6}})\)")
SHORT_THEN_LONG = re.compile(rf"\b([A-Z][A-Z0-9]{{1,6}})\s*\(((?:{CAP_WORD}[ -]){{1,5}}{CAP_WORD})\)")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "service"


def variants(name: str) -> set[str]:
    """Singular/plural and spacing variants a user may type."""
    out = {name}
    last = name.split()[-1]
    if len(name.split()) < 2 or not last[:1].isupper() or last.isupper():
        pass  # single names and acronyms are not pluralised ("DynamoDB", "ALB")
    elif name.endswith("s") and not name.endswith("ss"):
        out.add(name[:-1])
    elif name.endswith("y") and name[-2:-1] not in "aeiou":
        out.add(name[:-1] + "ies")
    elif name.endswith(("x", "ch", "sh")):
        out.add(name + "es")
    else:
        out.add(name + "s")
    if " " in name and re.search(r"\d", name):
        out.add(name.replace(" ", ""))
    return out


def acronym_pairs(text: str) -> list[tuple[str, str]]:
    """(ACRONYM, Long Name) pairs defined in the text, kept only when the initials agree."""
    pairs = []
    for long, short in LONG_THEN_SHORT.findall(text):
        words = long.split()
        # keep the shortest tail of the phrase whose initials spell the acronym
        for k in range(len(words)):
            cand = " ".join(words[k:])
            if initials(cand) == short.upper().rstrip("S") or initials(cand) == short.upper():
                pairs.append((short, cand))
                break
    for short, long in SHORT_THEN_LONG.findall(text):
        if initials(long) in {short.upper(), short.upper().rstrip("S")}:
            pairs.append((short, long))
    return pairs


def _label_for(key: str, titles: list[str], text: str) -> tuple[str, set[str]]:
    title = titles[0].lstrip("#").strip().rstrip(":")
    aliases: set[str] = set()
    acr = ACRONYM_TITLE.match(title)
    if acr:
        long = re.sub(r"\s*\(.*\)$", "", acr.group("long")).strip()
        aliases |= variants(long)
        words = long.split()
        if len(words) >= 3 and words[-2].lower() not in STOP_INITIAL:
            aliases |= variants(" ".join(words[-2:]))  # "Elastic Load Balancers" → "Load Balancers"
        return acr.group("acr"), aliases
    term = head_term(title)
    bare = VENDOR_PREFIX.sub("", title)
    if VENDOR_PREFIX.match(title) and 1 <= len(bare.split()) <= 2 and all(w[:1].isupper() for w in bare.split()):
        return title, variants(bare) | {bare}
    words = term.split()
    if len(words) >= 2 and not is_name_like(words[0]):
        # "Kinesis Overview" is about Kinesis: the longest start of the title the notes use as often
        counts = [len(re.findall(rf"\b{re.escape(' '.join(words[:k]))}\b", text)) for k in range(1, len(words) + 1)]
        if counts[0] >= 2:
            k = max(k for k in range(1, len(words) + 1) if counts[k - 1] >= 0.7 * counts[0])
            name = " ".join(words[:k])
            return name, variants(name)
    if len(words) == 1 and is_name_like(words[0]):
        # "API Gateway" is always written whole, "S3 Buckets" is mostly just "S3"
        full = VENDOR_PREFIX.sub("", title).split()
        if len(full) >= 2:
            pair = f"{full[0]} {full[1]}"
            alone = len(re.findall(rf"\b{re.escape(full[0])}\b", text))
            together = len(re.findall(rf"\b{re.escape(pair)}\b", text, re.I))
            if alone and together / alone >= 0.6:
                return pair, variants(pair)
        return term.rstrip("s") if re.fullmatch(r"[A-Z]{2,}s", term) else term, variants(term)
    return term, variants(term)


def _names(title: str, key: str) -> bool:
    """Whether a heading names the subject ``key`` (``SQS: Simple Queue Service``, ``## DynamoDB``)."""
    acr = ACRONYM_TITLE.match(title.lstrip("# "))
    return key in {service_key(head_term(title)), service_key(subject_term(title)), acr and service_key(acr["acr"])}


def _titles(key: str, group: list[Passage], text: str) -> list[str]:
    """Where a subject's label comes from: the heading that names it at the top level, else at any level
    (Markdown keeps every level in the path), else its spelling in the text or the file it is named after,
    else any top heading (a file's subject is not named by its first topic: "Where the files are")."""
    heads = [p for p in group if p.is_heading]
    for found in (
        [p.text for p in heads if len(p.section) == 1 and _names(p.text, key)],
        [p.text for p in heads if _names(p.text, key)],
    ):
        if found:
            return found
    spelled = Counter(
        w for w in re.findall(rf"{CAP_WORD}(?:[ -]{CAP_WORD}){{0,2}}|[A-Za-z0-9]+", text) if service_key(w) == key
    )
    if spelled:
        return [spelled.most_common(1)[0][0]]
    named = name_from_file(group[0].file)
    if service_key(named) == key:
        return [named]
    top = [p.text for p in heads if len(p.section) == 1]
    if top:
        return top
    return [group[0].section[0]] if group[0].section else [key]


VENDOR_WORD = re.compile(r"\b(?:AWS|Amazon)\b")


def _spelled(label: str, aliases: set[str], text: str) -> tuple[str, set[str]]:
    """A label taken from lowercase notes (an outliner's ``ecs = elastic container service``): the spelling
    the notes capitalise elsewhere, or the acronym its definition spells, with the long name as an alias."""
    key = service_key(label)
    for long in re.findall(
        rf"\b{re.escape(label)}\s*(?:=|:|\(|[-–—]\s)\s*([A-Za-z][A-Za-z ]{{3,60}}?)\s*(?:\)|$|[,;.\n])", text
    ):
        if initials(long) == label.upper():
            return label.upper(), aliases | variants(long) | {label}
    spellings = Counter(
        w for w in re.findall(rf"\b{re.escape(label)}\b", text, re.I) if service_key(w) == key and not w.islower()
    )
    if spellings:
        best = spellings.most_common(1)[0][0]
        return best, (aliases - {best}) | {label}
    return label, aliases


def build_services(passages: Sequence[Passage]) -> tuple[list[Service], list[Passage]]:
    """Services of all files; passages come back with ``service`` set to a service id."""
    by_key: dict[str, list[Passage]] = defaultdict(list)
    for p in passages:
        if p.service:
            by_key[p.service].append(p)
    services: dict[str, Service] = {}
    key_to_id: dict[str, str] = {}
    # notes that never name the vendor get no "AWS X" / "Amazon X" aliases (Kubernetes notes, say)
    vendor = any(VENDOR_WORD.search(p.text) for p in passages)
    for key, group in by_key.items():
        text = "\n".join(p.text for p in group)
        titles = _titles(key, group, text)
        label, aliases = _label_for(key, titles, text)
        if label.islower():
            label, aliases = _spelled(label, aliases, text)
        # a file named after the subject gives its spelling too ("14-dynamo-db.md" → "Dynamo DB")
        aliases |= {n for n in {name_from_file(f) for f in {p.file for p in group}} if service_key(n) == key}
        sid = slug(label)
        first = min(group, key=lambda p: (p.file, p.line_start))
        aliases |= {VENDOR_PREFIX.sub("", a) for a in aliases}
        aliases |= {f"AWS {label}", f"Amazon {label}"} if vendor and not VENDOR_PREFIX.match(label) else set()
        aliases.discard(label)
        services[sid] = Service(
            id=sid, label=label, aliases=tuple(sorted(aliases)), file=first.file, line=first.line_start
        )
        key_to_id[key] = sid
    _add_components(services, by_key, key_to_id)
    out = [replace(p, service=key_to_id.get(p.service or "")) if p.service else p for p in passages]
    return sorted(services.values(), key=lambda s: s.id), out


def _spells_out(words: list[str]) -> bool:
    """Whether capitalised words can be the long form of an acronym: words spelled out, not short names
    themselves ("AWS SDK", "ORDER RECEIVED", "Gateway API"), and not opening on a function word
    ("If DynamoDB", "Only S3")."""
    return words[0].lower() not in STOPWORDS and not any(len(w) > 1 and w.isupper() for w in words)


def _add_components(services: dict[str, Service], by_key: dict[str, list[Passage]], key_to_id: dict[str, str]) -> None:
    """Acronyms defined inside a service's notes become its components (ALB in ELB, LSI in DynamoDB)."""
    known = {service_key(s.label) for s in services.values()}
    for s in services.values():
        known |= {service_key(a) for a in s.aliases}
    for key, group in by_key.items():
        parent = services[key_to_id[key]]
        text = "\n".join(p.text for p in group)
        pairs = acronym_pairs(text)
        # acronyms used without a parenthesis: match against capitalised phrases of the same service
        phrases = Counter(re.findall(rf"(?:{CAP_WORD} ){{1,4}}{CAP_WORD}", text))
        # an acronym pairs with the tail of a phrase that has one word per letter and spells it; phrases by
        # (tail length, initials), in phrase order
        tails: dict[tuple[int, str], list[str]] = defaultdict(list)
        for phrase in phrases:
            words = phrase.split()
            for n in range(2, len(words) + 1):
                tail = words[len(words) - n :]
                if not _spells_out(tail):
                    continue
                cand = " ".join(tail)
                tails[(n, initials(cand))].append(cand)
        # (in sorted order: which pair claims a name first must not depend on the process's string hashing)
        for acr in sorted(set(ACRONYM.findall(text))):
            pairs.extend((acr, cand) for cand in tails.get((len(acr), acr), ()))
        parent_aliases = set(parent.aliases)
        for short, long in pairs:
            long = re.sub(r"^(?:The|A|An)\s+", "", long)
            if service_key(short) == camel_initials(parent.label):
                continue  # "CF" is CloudFormation itself
            skey, lkey = service_key(short), service_key(long)
            if skey in known or lkey in known:
                if service_key(parent.label) in {skey, lkey} or any(
                    service_key(a) in {skey, lkey} for a in parent.aliases
                ):
                    parent_aliases |= {short, long}
                continue
            # named by its own name, not its parent's: which group claims a shared acronym first depends on
            # the files there are, and deleting one file must not rename components every passage mentions
            cid = slug(long)
            if cid in services:
                continue
            services[cid] = Service(
                id=cid,
                label=long,
                aliases=tuple(sorted(variants(short) | (variants(long) - {long}))),
                file=parent.file,
                line=parent.line,
                parent=parent.id,
            )
            known |= {skey, lkey}
        services[parent.id] = replace(parent, aliases=tuple(sorted(parent_aliases - {parent.label})))
