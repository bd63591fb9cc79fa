"""Subtitles and captions kept as notes (SubRip ``.srt``, WebVTT ``.vtt``, saved as they are or as ``.txt``),
rewritten line for line into the layout the plain-text reader reads, as ``ingest.markup`` does for markup.

A caption file is cues: a number or an id, a timing line (``00:12:31,480 --> 00:12:35,020``), one or two
lines of text, a blank line. The numbers, ids, timings, the ``WEBVTT`` header and ``NOTE`` blocks say nothing;
a WebVTT voice (``<v Priya Shah>text``) reads ``Priya Shah: text``, other caption tags and lines that only
describe a sound (``[Music]``) are dropped. Speech
runs across cues, a sentence split wherever the captioner cut it: a caption line continues the text of the
one before until a sentence ends (``.``, ``?``, ``!``), another speaker starts (the same speaker named again
on the next cue carries on), or the sentence has run to
``SENTENCE_WORDS`` words (captions made by a machine often have no full stops), so a passage is what was said
in one go, cited by the lines it was said on.
"""

from __future__ import annotations

import re

from ingest.document import Markup

TIMING = re.compile(
    r"^\s*(?:\d{1,2}:)?\d{1,2}:\d{2}[,.]\d{1,3}\s*-->\s*(?:\d{1,2}:)?\d{1,2}:\d{2}[,.]\d{1,3}(?:\s.*)?$"
)
VOICE = re.compile(r"<v(?:\.[\w.-]+)*\s+(?P<name>[^>]+)>")
TAGS = re.compile(r"</?(?:[biu]|c(?:\.[\w.-]+)*|v(?:\.[\w.-]+)*|lang(?:\s[^>]*)?|ruby|rt)>|\{\\[^}]*\}")
SPEAKER = re.compile(r"^(?P<name>[A-Z][\w.'-]*(?: [A-Z][\w.'-]*){0,3}|Speaker \d+|>>)\s*:\s")
SOUND = re.compile(r"^(?:\[[^\]]*\]|\([^)]*\)|[♪♫\s]+)$")  # "[Music]", "(laughs)", "♪ ♪": no words said
SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
SENTENCE_WORDS = 30  # the longest run of caption lines read as one thing said: chosen on the train split (docs)
LEAST_CUES = 3
CAPTION_SUFFIXES = (".srt", ".vtt")  # subtitle files, read as plain text in caption form


def is_captions(lines: list[str]) -> bool:
    """Whether a file is subtitles: three timing lines or more."""
    return sum(1 for line in lines if "-->" in line and TIMING.match(line)) >= LEAST_CUES


def rewrite_captions(lines: list[str]) -> Markup:
    out = Markup(list(lines))
    vtt = bool(lines) and lines[0].strip().startswith("WEBVTT")
    note = False  # inside a WebVTT NOTE / STYLE / REGION block, up to a blank line
    last = -1  # the last caption line read
    words = 0  # words of the thing being said, so far
    speaker = ""  # who is saying it, when the captions name them
    for i, line in enumerate(lines):
        s = line.strip()
        if not s:
            note = False
            if line:
                out.dropped.add(i)
            continue
        below = lines[i + 1] if i + 1 < len(lines) else ""
        if vtt and i and not lines[i - 1].strip() and s.split()[0] in ("NOTE", "STYLE", "REGION"):
            note = True  # a WebVTT comment or style block
        if (vtt and i == 0) or note:
            out.dropped.add(i)
            continue
        if TIMING.match(s) or ("-->" in below and TIMING.match(below)):
            out.dropped.add(i)  # a timing line, or the number or id over one
            continue
        voice = VOICE.match(s)
        text = TAGS.sub("", VOICE.sub("", s)).strip()
        if voice:
            text = f"{voice.group('name').strip()}: {text}"
        if not text or SOUND.match(text):
            out.dropped.add(i)
            continue
        named = SPEAKER.match(text)
        same = named is not None and named.group("name") == speaker  # a speaker named again on each cue
        said = len(text.split())
        carries = (
            last >= 0
            and not SENTENCE_END.search(out.lines[last])
            and (not named or same)
            and words + said <= SENTENCE_WORDS
        )
        if carries:
            out.joins.add(i)
            out.lines[i] = text[named.end() :] if named and same else text
            words += said
        else:
            out.lines[i] = text
            words = said
            speaker = named.group("name") if named else ""
        last = i
    return out
