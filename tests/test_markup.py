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


RST = """==================
Home server notes
==================

:Updated: 2026-01-10
:Owner: me

Storage
=======

.. note::
   RAID 5 rebuild took *14 hours* last time.

.. warning:: never pull a disk while it rebuilds

Disks
-----

:Capacity: 8 TB each
:Price: 189 EUR, see `the shop <https://example.org>`_

+----------+--------+-------+
| Disk     | Temp   | Hours |
+==========+========+=======+
| sda      | 34 C   | 21000 |
+----------+--------+-------+
| sdb      | 36 C   | 19000 |
+----------+--------+-------+

Backups
~~~~~~~

#. snapshot daily at 02:00
#. offsite weekly with ``restic``, keeps 8 copies

.. image:: rack.png
   :width: 400

.. code-block:: bash

   restic -r b2:bucket backup /srv

.. TODO check the UPS runtime
"""


def test_restructuredtext_titles_fields_directives_and_grid_tables_read_as_layout() -> None:
    lines = RST.split("\n")
    assert dialect(lines) == "rst"
    ps = parse_text(RST, "homeserver.rst")
    assert at(ps, 2).kind is BlockKind.HEADING and at(ps, 2).text == "Home server notes"
    assert at(ps, 8).kind is BlockKind.HEADING and at(ps, 8).section == ("Home server notes", "Storage")
    assert at(ps, 5).text == "Updated: 2026-01-10"
    assert at(ps, 12).text == "RAID 5 rebuild took 14 hours last time."  # the admonition's body, its marks gone
    assert at(ps, 14).text == "never pull a disk while it rebuilds"
    assert at(ps, 19).text == "Capacity: 8 TB each"
    assert at(ps, 20).text == "Price: 189 EUR, see the shop"
    row = at(ps, 25)
    assert row.kind is BlockKind.TABLE_ROW and row.text == "sda — Temp: 34 C; Hours: 21000"
    backups = at(ps, 30)  # a third adornment style: a third level
    assert backups.kind is BlockKind.HEADING and backups.section == ("Home server notes", "Storage", "Disks", "Backups")
    assert at(ps, 33).kind is BlockKind.STEP and at(ps, 34).text == "offsite weekly with restic, keeps 8 copies"
    assert at(ps, 41).section == backups.section  # a code directive's body is no point of the step above it
    assert at(ps, 43).text == "TODO check the UPS runtime"  # a comment is the author's own remark
    # adornment lines, table borders, the image directive and its option say nothing
    assert not [p for p in ps if p.line_start in (1, 3, 9, 11, 17, 22, 24, 26, 28, 31, 36, 37, 39)]
    # a table's bars are no substitution marks: a row whose cells do not line up is read by its bars
    rows = parse_text(
        "Ports\n=====\n\n+--+--+--+\n| Service | Port | Exposed |\n+==+==+==+\n| Jellyfin | 8096 | no |\n"
        "+--+--+--+\n| Pi-hole | 53 | yes |\n+--+--+--+\n\n.. note:: ports as of May\n",
        "ports.rst",
    )
    assert at(rows, 9).text == "Pi-hole — Port: 53; Exposed: yes"


def test_restructuredtext_files_are_notes_files_and_plain_notes_are_not_read_as_it() -> None:
    from ingest.pipeline import NOTE_SUFFIXES

    assert ".rst" in NOTE_SUFFIXES
    # ":" fields or a ".." line alone do not make a file reStructuredText
    assert dialect(["Notes", "", ":ttl: 300", "see below..", "- item"]) == ""


def test_an_html_file_is_read_whole_as_the_blocks_it_marks_up() -> None:
    from ingest.pipeline import NOTE_SUFFIXES

    page = (
        "<!DOCTYPE html>\n<html>\n<head><title>Home server</title><style>p { margin: 0 }</style></head>\n<body>\n"
        "<h1>Home server</h1>\n<div>RAID 5 rebuild took 14 hours&nbsp;last time.</div>\n<p>Disks I bought:</p>\n"
        "<ul>\n  <li>WD Red Plus 8 TB, 189 EUR</li>\n</ul>\n<table>\n"
        "<tr><th>Service</th><th>Port</th><th>Exposed</th></tr>\n<tr><td>Jellyfin</td><td>8096</td><td>no</td></tr>\n"
        "</table>\n</body>\n</html>\n"
    )
    assert ".html" in NOTE_SUFFIXES and ".htm" in NOTE_SUFFIXES
    ps = parse_text(page, "server.html")
    assert at(ps, 5).kind is BlockKind.HEADING and at(ps, 5).text == "Home server"
    assert at(ps, 6).text == "RAID 5 rebuild took 14 hours last time." and at(ps, 6).section == ("Home server",)
    item = at(ps, 9)
    assert item.kind is BlockKind.ITEM and item.text == "WD Red Plus 8 TB, 189 EUR" and item.lead == "Disks I bought"
    assert at(ps, 13).text == "Jellyfin — Port: 8096; Exposed: no"
    assert not [p for p in ps if "margin" in p.text or p.line_start == 3]  # the head and its style say nothing


COOK = """>> title: Country Loaf
>> servings: 2 loaves
>> hydration: 75%

-- general: salt always 2% unless noted
Mix @bread flour{800%g} and @rye flour{50%g} with @water{700%ml}. Autolyse ~{45%minutes}.

Add @salt{} and @levain{200%g}, then bulk in the #cambro{} tub.

Cold retard at 4°C ~proof{14%hours}. Bake in the #dutch oven{} -- preheat first
[- tried 90% wholewheat in jan.
   nobody bought it -]
"""


def test_cooklang_reads_its_metadata_ingredients_cookware_timers_and_comments_as_a_cook_writes_them() -> None:
    from ingest.pipeline import NOTE_SUFFIXES

    assert ".cook" in NOTE_SUFFIXES
    assert dialect(COOK.split("\n")) == "cooklang"
    ps = parse_text(COOK, "bread.cook")
    assert at(ps, 2).text == "servings: 2 loaves"
    assert at(ps, 5).text == "general: salt always 2% unless noted"  # a comment is the cook's own remark
    assert at(ps, 6).text == "Mix 800 g bread flour and 50 g rye flour with 700 ml water. Autolyse 45 minutes."
    assert at(ps, 8).text == "Add salt and 200 g levain, then bulk in the cambro tub."
    assert at(ps, 10).text.startswith("Cold retard at 4°C 14 hours. Bake in the dutch oven")
    assert "tried 90% wholewheat in jan." in at(ps, 11).text and "[-" not in at(ps, 11).text
    # a mention of an address or a tag is no Cooklang
    assert dialect(["mail me @ bob@example.org", "#todo buy flour", "- 500 g flour", "", ">> quoted reply"]) == ""


def test_a_restructuredtext_paragraph_runs_to_a_blank_line_however_it_is_wrapped_and_a_table_is_no_paragraph() -> None:
    text = (
        "Broker\n======\n\n"
        "The broker runs as an add-on. Retain is on for states and\n"
        "off for commands, or a restart replays them.\n\n"
        "#. Hallway: motion -> on at 40 %;\n"
        "   off after 2 min no motion.\n"
        "#. Kitchen: off after 5 min.\n\n"
        ":Batteries: 2x AA (alkaline, NOT\n"
        "   rechargeable)\n"
        ":Min temp: 5 °C\n\n"
        "=========  ======  =======\n"
        "Setting    Value   Why\n"
        "=========  ======  =======\n"
        "port       1883    LAN only\n"
        "retain     on      states\n"
        "=========  ======  =======\n\n"
        ".. warning:: Aqara sensors stay on their first parent and\n"
        "   may drop when moved.\n"
    )
    ps = parse_text(text, "broker.rst")
    para = at(ps, 4)
    assert (para.line_start, para.line_end) == (4, 5) and para.text.endswith("or a restart replays them.")
    step = at(ps, 7)
    assert step.kind is BlockKind.STEP and (step.line_start, step.line_end) == (7, 8)
    assert step.text == "Hallway: motion -> on at 40 %; off after 2 min no motion."
    assert at(ps, 11).text == "Batteries: 2x AA (alkaline, NOT rechargeable)" and at(ps, 13).text == "Min temp: 5 °C"
    assert at(ps, 18).kind is BlockKind.TABLE_ROW and at(ps, 18).text == "port — Value: 1883; Why: LAN only"
    warning = at(ps, 22)
    assert (warning.line_start, warning.line_end) == (22, 23) and warning.text.endswith("may drop when moved.")


def test_a_restructuredtext_table_directive_keeps_its_rows_and_a_literal_block_is_read_as_written() -> None:
    text = (
        "Parts\n=====\n\n"
        ".. list-table:: Prices 2024\n"
        "   :header-rows: 1\n\n"
        "   * - Pump\n"
        "     - 45 EUR\n\n"
        ".. figure:: img/pump.jpg\n"
        "   :width: 300\n\n"
        "   The pump under the sink.\n\n"
        "Config::\n\n"
        "   :retain: true\n"
        "   #. not a step\n"
    )
    ps = parse_text(text, "parts.rst")
    assert at(ps, 4).text == "Prices 2024:"  # the table's title, over its rows
    assert "Pump" in at(ps, 7).text and not [p for p in ps if p.line_start in (5, 10, 11)]  # options, file name
    assert at(ps, 13).text == "The pump under the sink."
    assert at(ps, 15).text == "Config:"
    assert not [p for p in ps if p.text.startswith(("retain:", "1. not a step"))]  # code stays as typed


def test_cooklang_marks_need_no_letter_before_them() -> None:
    from ingest.cooklang import inline

    assert (
        inline("mail bob@example.org, use @salt and #pot{} for C#") == "mail bob@example.org, use salt and pot for C#"
    )


def test_a_block_that_opens_with_a_checkbox_is_an_item_of_a_checklist() -> None:
    page = (
        "<html><body>\n<h1>Permits</h1>\n<div><b>Renewal checklist (do in Feb):</b></div>\n"
        '<div><en-todo checked="true"/>updated commissary letter</div>\n'
        "<div><en-todo/>copy of food manager cert</div>\n"
        '<div><input type="checkbox" checked/>menu list</div>\n<div><en-todo/></div>\n<div>Paid 3/18 by card.</div>\n'
        '<div>Hours <input type="text"/> noted</div>\n</body></html>\n'
    )
    ps = parse_text(page, "truck.html")
    items = [p for p in ps if p.kind is BlockKind.ITEM]
    assert [p.text for p in items] == ["updated commissary letter", "copy of food manager cert", "menu list"]
    assert {p.lead for p in items} == {"Renewal checklist (do in Feb)"}
    # an empty checkbox's block leaves the next one a paragraph; a checkbox inside a line is no item's mark
    assert at(ps, 8).kind is BlockKind.PARAGRAPH and at(ps, 8).text == "Paid 3/18 by card."
    assert at(ps, 9).kind is BlockKind.PARAGRAPH and at(ps, 9).text == "Hours noted"


def test_a_first_table_row_all_in_bold_is_the_header_an_editor_exported() -> None:
    page = (
        "<html><body>\n<table>\n"
        '<tr><td><div><b>item</b></div></td><td><span style="font-weight: bold;">price</span></td>'
        "<td><strong>FC %</strong></td></tr>\n"
        "<tr><td><div>Carne asada taco</div></td><td>$4.00</td><td>32%</td></tr>\n"
        "<tr><td><b>Al pastor</b></td><td><b>$3.75</b></td><td><b>24%</b></td></tr>\n"
        "</table>\n<table>\n<tr><td><b>Size</b></td><td>12 in</td></tr>\n<tr><td>Weight</td><td>2 kg</td></tr>\n"
        "</table>\n</body></html>\n"
    )
    ps = parse_text(page, "menu.html")
    assert at(ps, 4).text == "Carne asada taco — price: $4.00; FC %: 32%"
    # only the first row can be the header; a row with a bold label and a plain value is a row
    assert at(ps, 5).text == "Al pastor — price: $3.75; FC %: 24%"
    assert at(ps, 8).kind is BlockKind.TABLE_ROW and "12 in" in at(ps, 8).text


def test_a_list_opened_between_items_sits_under_the_item_before_it() -> None:
    # Evernote and some editors nest a list beside the items, not inside one: <ul><li>A</li><ul>...</ul></ul>
    page = (
        "<html><body>\n<ul>\n<li><div>safety stop 3 min at 5 m</div></li>\n<li><div>stop REQUIRED when:</div></li>\n"
        "<ul>\n<li><div>the dive was to 30 m or deeper</div></li>\n"
        "<li><div>within 3 pressure groups</div></li>\n</ul>\n"
        "<li><div>ascent 18 m/min max</div></li>\n</ul>\n</body></html>\n"
    )
    ps = parse_text(page, "rdp.html")
    assert [(p.line_start, p.section, p.text) for p in ps] == [
        (3, ("RDP",), "safety stop 3 min at 5 m"),
        (4, ("RDP",), "stop REQUIRED when:"),
        (6, ("RDP", "stop REQUIRED when"), "the dive was to 30 m or deeper"),
        (7, ("RDP", "stop REQUIRED when"), "within 3 pressure groups"),
        # after the nested list, the next item is back at the top
        (9, ("RDP",), "ascent 18 m/min max"),
    ]
