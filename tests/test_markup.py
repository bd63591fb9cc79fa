"""Wiki and forum markup in plain-text notes (BBCode, TiddlyWiki) and raw HTML in Markdown notes, read as the
structure they mark up, every passage on its own lines. Real parsers, no model."""

from __future__ import annotations

from ingest.markup import dialect, rewrite
from ingest.parser import parse_text
from ingest.plaintext import shows_layout
from kg.model import BlockKind, Passage


def at(passages: list[Passage], line: int) -> Passage:
    found = [p for p in passages if p.line_start == line]
    assert len(found) == 1, f"expected one passage starting at line {line}, got {found}"
    return found[0]


FORUM = """Re: first collimation
by DobGuy58 » Tue Mar 09, 2021 9:52 pm

Good news, an f/6 is [b]very forgiving[/b]. Order is ALWAYS:
[list=1]
[*]Secondary centered under the focuser
[*]Primary tilt - the [color=red]3 big knobs[/color] on the back
[/list]
See [url=https://example.org/guide]the guide[/url] [img]https://example.org/a.png[/img]

[quote=rick post_id=48812 time=1615348320]
a cheshire is $45
[/quote]
What I have:
[list]
[*]the plastic cap
[*]a cheap red laser
[/list]
"""


def test_bbcode_is_told_by_its_closing_tags_and_a_bracketed_title_is_not_bbcode() -> None:
    assert dialect(FORUM.split("\n")) == "bbcode"
    assert dialect("[Interface]\nAddress = 10.0.0.1/24\n\n[Peer]\nEndpoint = vpn:51820\n".split("\n")) == ""
    assert shows_layout("a line of a post [b]bold[/b]\nand [i]more[/i] text\n")


def test_bbcode_lists_are_items_tags_are_dropped_and_lines_keep_their_numbers() -> None:
    rewritten = rewrite(FORUM.split("\n"))
    assert len(rewritten.lines) == len(FORUM.split("\n"))
    ps = parse_text(FORUM, "thread.txt")
    assert at(ps, 4).text == "Good news, an f/6 is very forgiving. Order is ALWAYS:"
    first = at(ps, 6)
    assert first.kind is BlockKind.STEP and first.text == "Secondary centered under the focuser"
    assert first.lead.startswith("Good news")
    assert at(ps, 7).text == "Primary tilt - the 3 big knobs on the back"
    assert at(ps, 9).text == "See the guide"  # a link keeps its text, an image says nothing
    assert at(ps, 12).text == "a cheshire is $45"  # a quote's text is read; its tags are no passage
    assert not [p for p in ps if p.line_start in (5, 8, 11, 13, 15, 18)]
    item = at(ps, 16)
    assert item.kind is BlockKind.ITEM and item.lead == "What I have"


TIDDLERS = """title: Pace Zones
tags: training reference
created: 20240312072210000
modified: 20241015190422000

! Pace zones from the Barry 10k

|!Zone|!min/km|!use|
|Easy|5:45-6:15|most of the week|
|MP|4:58|''marathon'' pace|

* easy pace is a ''ceiling'' not a //target//
<<list-links filter:"[tag[training]]">>
;MP
:marathon pace, the pace I plan to hold

title: Taper
tags: training

!! Taper weeks
3 weeks. wk 16 = 80% of peak.
"""


def test_tiddlywiki_is_told_by_its_titles_with_its_own_marks_and_not_by_shouted_remarks() -> None:
    assert dialect(TIDDLERS.split("\n")) == "tiddlywiki"
    remarks = "!! always use the subjunctive after ojala\n!! ser for permanent things\nhablo / hablas\n"
    assert dialect(remarks.split("\n")) == ""


def test_a_tiddler_is_named_by_its_title_field_and_its_bang_titles_sit_under_it() -> None:
    ps = parse_text(TIDDLERS, "training.txt")
    assert at(ps, 1).kind is BlockKind.HEADING and at(ps, 1).text == "Pace Zones"
    assert not [p for p in ps if p.line_start in (2, 3, 4, 13, 14, 18)]  # fields, macros, a term over its text
    heading = at(ps, 6)
    assert heading.kind is BlockKind.HEADING and heading.section == ("Pace Zones", "Pace zones from the Barry 10k")
    row = at(ps, 9)
    assert row.kind is BlockKind.TABLE_ROW and row.text == "Easy — min/km: 5:45-6:15; use: most of the week"
    assert at(ps, 12).text == "easy pace is a ceiling not a target"
    assert at(ps, 15).text == "MP: marathon pace, the pace I plan to hold"
    assert at(ps, 17).text == "Taper" and at(ps, 20).section == ("Taper", "Taper weeks")


CLIP = """# watering notes

<!-- clipped from https://example.org/watering -->
<div class="article-body">
<h2>Typical intervals (spring &amp; summer)</h2>
<p>The biggest killer is <strong>overwatering</strong>,
not underwatering.</p>
<ul>
<li><strong>Pothos</strong> &ndash; every 7&ndash;10 days</li>
<li>Overwatered: yellow lower leaves
<ul>
<li>black, soft roots</li>
</ul>
</li>
</ul>
<table>
<tr><th>Plant</th><th>Ideal RH</th></tr>
<tr>
<td>Calathea</td>
<td>60&ndash;70%</td>
</tr>
</table>
</div>

- my own bullet after the clip
"""


def test_raw_html_in_markdown_is_read_as_headings_paragraphs_items_and_rows_on_their_own_lines() -> None:
    ps = parse_text(CLIP, "watering.md")
    heading = at(ps, 5)
    assert heading.kind is BlockKind.HEADING and heading.text == "Typical intervals (spring & summer)"
    para = at(ps, 6)
    assert para.line_end == 7 and para.text == "The biggest killer is overwatering, not underwatering."
    assert at(ps, 9).kind is BlockKind.ITEM and at(ps, 9).text == "Pothos – every 7–10 days"
    nested = at(ps, 12)
    assert nested.text == "black, soft roots" and nested.section[-1] == "Overwatered"
    row = at(ps, 19)
    assert row.kind is BlockKind.TABLE_ROW and row.text == "Calathea: 60–70%" and row.line_end == 20
    assert at(ps, 25).text == "my own bullet after the clip"
    assert not [p for p in ps if "<" in p.text or "&" in p.text.replace("spring & summer", "")]


LATEX = r"""% STAT notes -- backup copy
\documentclass{article}
\usepackage{amsmath}
\newcommand{\Prob}{\mathbb{P}}
\begin{document}

\section{Admin (wk 1)}\label{sec:admin}
\subsection{People, times}
\begin{itemize}
  \item office hrs Tue 2--3pm % check moodle
  \item weekly quiz: \textbf{10 qs}, 2 attempts
\end{itemize}
% actually office hrs moved -> Wed 3--4pm
\begin{tabular}{|l|c|l|}
\hline
Component & Weight & When \\
\hline
Quizzes & 10\% & wks 2--11 \\
Final exam & 50\% & Jan \\
\hline
\end{tabular}

\begin{definition}[Conditional probability]
$\Prob(A \mid B) = \frac{\Prob(A \cap B)}{\Prob(B)}$ for $\Prob(B) > 0$.
\end{definition}
\begin{enumerate}
  \item the textbook costs \$45 new
\end{enumerate}
\end{document}
"""


def test_latex_sections_are_titles_items_are_bullets_and_a_tabular_is_a_table() -> None:
    assert dialect(LATEX.split("\n")) == "latex"
    ps = parse_text(LATEX, "stat.txt")
    assert at(ps, 7).kind is BlockKind.HEADING and at(ps, 7).text == "Admin (wk 1)"
    item = at(ps, 10)
    assert item.kind is BlockKind.ITEM and item.text == "office hrs Tue 2–3pm (check moodle)"
    assert item.section == ("Admin (wk 1)", "People, times")
    assert at(ps, 11).text == "weekly quiz: 10 qs, 2 attempts"
    assert at(ps, 13).text == "actually office hrs moved -> Wed 3–4pm"  # the author's own remark
    row = at(ps, 18)
    assert row.kind is BlockKind.TABLE_ROW and row.text == "Quizzes — Weight: 10%; When: wks 2–11"
    assert at(ps, 23).text == "Conditional probability:"
    assert at(ps, 24).text == "P(A | B) = (P(A ∩ B))/(P(B)) for P(B) > 0."
    assert at(ps, 27).kind is BlockKind.STEP and at(ps, 27).text == "the textbook costs $45 new"
    assert not [p for p in ps if p.line_start in (2, 3, 4, 5, 9, 12, 14, 15, 16, 17, 21, 28)]


CHAT = """[04/01/2025, 10:12:33] Crag Rats: \u200eMessages and calls are end-to-end encrypted.
[04/01/2025, 10:25:51] Jess: day pass £11 now, off-peak £9.50
[04/01/2025, 10:26:30] Jess: membership £52/month
[04/01/2025, 10:27:12] Tom B: <Media omitted>
[04/01/2025, 10:30:05] Niamh: ugh ok. is shoe hire still £4?
[09/04/2025, 20:15:33] Niamh: Easter kit check, who's bringing what
Dave - half ropes
Marco - his 10 draws
[09/04/2025, 20:18:10] Tom B: only a single set of cams actually
"""


def test_a_chat_export_reads_messages_by_sender_and_a_message_over_lines_leads_them() -> None:
    assert dialect(CHAT.split("\n")) == "chat"
    ps = parse_text(CHAT, "WhatsApp Chat with Crag Rats.txt")
    assert at(ps, 2).text == "Jess: day pass £11 now, off-peak £9.50"
    assert not [p for p in ps if p.line_start in (1, 4)]  # the chat's own lines and omitted media say nothing
    assert at(ps, 6).text == "Niamh: Easter kit check, who's bringing what:"
    point = at(ps, 7)
    assert point.kind is BlockKind.ITEM and point.text == "Dave - half ropes"
    assert point.lead == "Niamh: Easter kit check, who's bringing what"
    assert at(ps, 9).text == "Tom B: only a single set of cams actually"
    assert dialect("2025-03-14 10:00 swapped the disk\n2025-03-15 11:00 new switch\n".split("\n")) == ""


TALK = """EP41 transcript export
========
[00:00:01] Speaker 1: welcome back, today it's ISAs
[00:00:04] Speaker 2: so the lifetime ISA, you can put in up to four thousand pounds a year,
£4,000, and that counts inside your twenty thousand, it's not extra. And the government adds
a twenty five percent bonus
[00:00:19] Speaker 1: and the Junior ISA is nine thousand a year per child
[00:00:25] Speaker 2: right
[00:00:27] Speaker 1: OK next, platforms and their fees, which is where it gets interesting for
people with bigger pots, so stick around
"""


def test_a_transcript_reads_its_turns_by_speaker_without_the_times_they_were_said() -> None:
    ps = parse_text(TALK, "ep41_transcript.txt")
    turn = at(ps, 4)
    assert turn.text.startswith("Speaker 2: so the lifetime ISA") and turn.line_end == 6, turn
    assert "£4,000, and that counts" in turn.text  # a sentence broken after a comma goes on
    assert at(ps, 7).text == "Speaker 1: and the Junior ISA is nine thousand a year per child"
    assert at(ps, 3).text == "Speaker 1: welcome back, today it's ISAs"
    # the turns alone tell a transcript, with no other layout in the file
    bare = "\n".join(TALK.split("\n")[2:])
    assert dialect(bare.split("\n")) == "talk"
    assert at(parse_text(bare, "ep41.txt"), 1).text == "Speaker 1: welcome back, today it's ISAs"
    # times in a log are no talk: lines read as written
    log = "\n".join(f"08:31:{s:02d} ppp: link reconnection attempt {s}" for s in range(3))
    assert rewrite(log.split("\n")).lines == log.split("\n")


def test_html_the_parser_refuses_and_a_title_mark_alone_are_read_without_error() -> None:
    broken = "# notes\n\n<div><![list]:x <li>half a clip</li>\n<p>more text</p>\n"
    ps = parse_text(broken, "clip.md")
    para = at(ps, 3)
    assert para.line_end == 4 and "half a clip" in para.text and "<" not in para.text
    flat = parse_text("#  \nlambda timeout is 15 min\n", "flat.txt")  # the flat reader: "#" alone is no title
    assert [p.text for p in flat] == ["lambda timeout is 15 min"] and not flat[0].section


SUBTITLES = """1
00:00:02,100 --> 00:00:07,033
[Music]

2
00:00:07,388 --> 00:00:12,083
right pads first there's basically three
types you'll come across

3
00:00:12,483 --> 00:00:18,883
resin sintered and semi metallic.

4
00:00:18,923 --> 00:00:24,265
<i>bed them in with twenty stops</i>
"""

WEBVTT = """WEBVTT

NOTE recorded in Teams

86f0ce2e/3-0
00:00:02.500 --> 00:00:09.636
<v Dana Okafor>We committed 42 points and we completed</v>

af29e6f8/5-1
00:00:10.311 --> 00:00:15.976
<v Dana Okafor>34, about 81 percent.</v>

00:00:16.000 --> 00:00:18.000
<v Priya Shah>Is that counting the retry ticket?</v>
"""


def test_subtitles_read_as_what_was_said_on_the_lines_it_was_said_on() -> None:
    assert dialect(SUBTITLES.split("\n")) == "captions"
    ps = parse_text(SUBTITLES, "ep04.srt")
    said = at(ps, 7)  # the numbers, timings and [Music] say nothing; the sentence runs over its cues
    assert said.line_end == 12 and said.text == (
        "right pads first there's basically three types you'll come across resin sintered and semi metallic."
    )
    assert at(ps, 16).text == "bed them in with twenty stops"  # a sentence ended: the next cue is its own
    assert [p.line_start for p in ps if not p.is_heading] == [7, 16]


def test_webvtt_voices_name_the_speaker_once_for_what_they_said_over_cues() -> None:
    ps = parse_text(WEBVTT, "sprint review.vtt")
    assert at(ps, 7).text == "Dana Okafor: We committed 42 points and we completed 34, about 81 percent."
    assert at(ps, 7).line_end == 11
    assert at(ps, 14).text == "Priya Shah: Is that counting the retry ticket?"
    assert not [p for p in ps if p.line_start in (1, 3, 5, 6, 9, 10, 13)]


def test_subtitle_files_are_notes_files() -> None:
    from ingest.pipeline import NOTE_SUFFIXES

    assert ".srt" in NOTE_SUFFIXES and ".vtt" in NOTE_SUFFIXES
