"""Plain-text notes read by their layout: numbered outlines, indentation, title lines of every style and
flashcards, with every line's text kept as written and exact line spans. Real parser, no model."""

from __future__ import annotations

from ingest.parser import parse_text
from ingest.plaintext import parse_plaintext, read_blocks, shows_layout
from kg.model import BlockKind, Passage


def at(passages: list[Passage], line: int) -> Passage:
    found = [p for p in passages if p.line_start == line]
    assert len(found) == 1, f"expected one passage starting at line {line}, got {found}"
    return found[0]


OUTLINE = """DISK AND FILESYSTEMS

1. Looking around
   lsblk -f              tree of disks
   df -i                 inodes
2. ext4
   2.1 max file size 16 TiB
   2.2 check: umount first
3. xfs
3.1 default fs on rhel 7
3.2 can grow online
    xfs_growfs /mountpoint
4. fstab
   <device> <mountpoint> <type>
   a) pass: 1 = root fs
   b) use UUID= or LABEL=
"""


def test_an_all_caps_line_is_a_title_over_the_outline() -> None:
    ps = parse_plaintext(OUTLINE, "disks.txt")
    title = at(ps, 1)
    assert title.kind is BlockKind.HEADING and title.text == "DISK AND FILESYSTEMS"
    assert at(ps, 3).section == ("DISK AND FILESYSTEMS",)


def test_an_all_caps_title_may_end_with_a_remark_in_brackets() -> None:
    text = "intro line\n\nDEFAULT PORTS (the ones I get asked)\n22 ssh\n443 https\n\nnot a title (really)\n8080 alt\n"
    ps = parse_plaintext(text, "ports.txt")
    title = at(ps, 3)
    assert title.kind is BlockKind.HEADING and title.text == "DEFAULT PORTS (the ones I get asked)"
    assert at(ps, 4).section == ("DEFAULT PORTS (the ones I get asked)",)
    assert at(ps, 7).kind is not BlockKind.HEADING, "lower-case words outside the brackets make no title"


def test_indented_lines_are_children_of_the_item_above() -> None:
    ps = parse_plaintext(OUTLINE, "disks.txt")
    parent = at(ps, 3)
    assert parent.kind is BlockKind.STEP and parent.text == "Looking around", "a numbered item, as in Markdown"
    assert (parent.line_start, parent.line_end) == (3, 3), "the item does not swallow its children"
    child = at(ps, 4)
    assert child.text == "lsblk -f tree of disks" and child.section[-1] == "Looking around"
    assert at(ps, 6).section == ("DISK AND FILESYSTEMS",), "the next number is a sibling again"


def test_a_numbered_outline_nests_by_its_numbers() -> None:
    ps = parse_plaintext(OUTLINE, "disks.txt")
    size = at(ps, 7)
    assert size.kind is BlockKind.STEP and size.text == "max file size 16 TiB", "the mark is dropped, as in Markdown"
    assert size.section[-1] == "ext4"
    # unindented "3.1" under "3.": the number says where it belongs
    assert at(ps, 10).section[-1] == "xfs" and at(ps, 11).section[-1] == "xfs"
    assert at(ps, 12).section[-2:] == ("xfs", "can grow online")
    assert at(ps, 13).section == ("DISK AND FILESYSTEMS",)


def test_decimal_marks_closed_by_a_parenthesis_are_items_of_their_number() -> None:
    text = "7. ports to know\n7.1) FTP 20 / 21\n7.2) TACACS+ 49\n7.3) DNS 53 UDP (TCP for zone transfers)\n"
    ps = parse_plaintext(text, "ports.txt")
    assert [p.text for p in ps[1:]] == ["FTP 20 / 21", "TACACS+ 49", "DNS 53 UDP (TCP for zone transfers)"]
    # a short "7.2)" line is a sibling of "7.3)", not a title over it
    assert not at(ps, 3).is_heading and at(ps, 4).section[-1] == "ports to know"


def test_a_bracketed_line_is_a_title_as_an_ini_section() -> None:
    text = "[Challenges]\n1) HTTP-01 over port 80\n2) DNS-01 with a TXT record\n\n[Renewal]\nrenews at 30 days left\n"
    assert shows_layout(text)
    ps = parse_plaintext(text, "certs.txt")
    assert at(ps, 1).is_heading and at(ps, 1).text == "Challenges"
    assert at(ps, 3).section == ("Challenges",) and at(ps, 6).section == ("Renewal",)
    assert not parse_plaintext("see [1] for more\n", "x.txt")[0].is_heading


def test_markdown_looking_text_stays_as_written() -> None:
    ps = parse_plaintext(OUTLINE, "disks.txt")
    assert at(ps, 14).text == "<device> <mountpoint> <type>"
    assert at(ps, 15).text == "pass: 1 = root fs" and at(ps, 15).section[-1] == "fstab"
    text = "CRON\n\n1. schedules\n   */15 * * * *  = every 15 min\n   a_b_c [x] #tag `q` | ~y ! _z_\n"
    ps = parse_plaintext(text, "cron.txt")
    assert at(ps, 4).text == "*/15 * * * * = every 15 min"
    assert at(ps, 5).text == "a_b_c [x] #tag `q` | ~y ! _z_"


def test_tabs_letters_and_roman_numerals_nest() -> None:
    text = "3. Signals\n\t3.1 numbers:\n\t\ti.   SIGHUP 1\n\t\tviii.SIGCONT 18\n\t(b) catchable\n"
    ps = parse_plaintext(text, "signals.txt")
    assert at(ps, 3).section == ("Signals", "numbers") and at(ps, 3).text == "SIGHUP 1"
    assert at(ps, 4).section == ("Signals", "numbers") and at(ps, 4).text == "SIGCONT 18"
    assert at(ps, 5).section == ("Signals",) and at(ps, 5).text == "catchable"


def test_bullets_of_every_kind_drop_their_mark() -> None:
    text = "Tools\n- lsof\n  * nested one\n• pgrep\no strace\n"
    ps = parse_plaintext(text, "tools.txt")
    assert [p.text for p in ps] == ["Tools", "lsof", "nested one", "pgrep", "strace"]
    assert at(ps, 3).section == ("Tools", "lsof")
    assert all(p.kind is BlockKind.ITEM for p in ps[1:])


def test_a_wrapped_sentence_continues_its_item() -> None:
    text = "1. load average counts runnable tasks and\n   tasks in D state\n   uptime\n"
    ps = parse_plaintext(text, "load.txt")
    first = at(ps, 1)
    assert first.text == "load average counts runnable tasks and tasks in D state"
    assert (first.line_start, first.line_end) == (1, 2)
    assert at(ps, 3).section == ("Load", "load average counts runnable tasks and tasks in D state")
    assert first.section == ("Load",), "a file with no title is titled by its name"


def test_framed_and_underlined_titles_take_levels_in_order_of_use() -> None:
    text = "Networking\n==========\n\n==== Addressing::IPv4 ====\nloopback = 127.0.0.0/8\n\n==== Ports ====\n22 = ssh\n"
    blocks = read_blocks(text)
    assert (blocks[0].kind, blocks[0].text, blocks[0].level) == (BlockKind.HEADING, "Networking", 1)
    assert (blocks[0].start, blocks[0].end) == (1, 2), "the underline is part of the title"
    assert (blocks[1].text, blocks[1].level) == ("Addressing::IPv4", 2)
    ps = parse_plaintext(text, "net.txt")
    assert at(ps, 5).section == ("Networking", "Addressing::IPv4")
    assert at(ps, 8).section == ("Networking", "Ports")


def test_an_answer_is_read_under_its_question() -> None:
    text = "#deck: Networking\n\nQ: max length of one dns label?\nA: 63 octets\nroot servers = 13 named ones\n"
    ps = parse_plaintext(text, "cards.txt")
    assert at(ps, 1).text == "#deck: Networking" and at(ps, 1).kind is BlockKind.PARAGRAPH
    card = at(ps, 3)
    assert card.text == "63 octets" and card.section == ("Cards", "max length of one dns label?")
    assert (card.line_start, card.line_end) == (3, 4), "one passage per card, its citation shows both lines"
    assert at(ps, 5).section == ("Cards",), "a line after the answer is no part of the card"
    alone = parse_plaintext("Q: unanswered?\nsome note\nA: stray answer\n", "cards.txt")
    assert [(p.text, p.section) for p in alone] == [
        ("unanswered?", ("Cards",)),
        ("some note", ("Cards",)),
        ("stray answer", ("Cards",)),
    ]


def test_a_definition_card_is_read_under_its_term() -> None:
    text = "==== DNS ====\nEDNS0 :: extension so the client can advertise a bigger buffer\nTTL :: seconds to cache\n"
    ps = parse_plaintext(text, "dns.txt")
    card = at(ps, 2)
    assert card.kind is BlockKind.PARAGRAPH and card.section == ("DNS", "EDNS0")
    assert card.text.startswith("EDNS0 :: extension")
    assert at(ps, 3).section == ("DNS", "TTL")


def test_a_line_ending_with_a_colon_leads_the_lines_below_it() -> None:
    ps = parse_plaintext("status codes:\n301 = moved permanently\n302 = found\n\n404 = not found\n", "http.txt")
    assert at(ps, 2).lead == "status codes" and at(ps, 3).lead == "status codes"
    assert at(ps, 5).lead == "", "a blank line ends what the colon introduced"


def test_lines_indented_under_a_colon_are_its_list_and_the_margin_ends_it() -> None:
    notes = "partitioning\ntypes:\n  ingestion time\n  integer range\nmax partitions per table: 10,000\n"
    ps = parse_plaintext(notes, "bq.txt")
    assert at(ps, 3).lead == "types" and at(ps, 4).lead == "types"
    assert at(ps, 5).lead == "", "back at the colon's margin after its indented lines: no item of its list"


def test_only_files_that_show_a_layout_take_the_plain_text_reader() -> None:
    flat = "EC2 Pricing\n- billed by the second\n- Some CLI commands contain\n--dry-run\noption\n"
    assert not shows_layout(flat)
    assert shows_layout("Basics\n1. one\n") and shows_layout("Q: a?\nA: b\n") and shows_layout("x\n  y\n")
    assert shows_layout("Title\n=====\ntext\n") and shows_layout("DISK AND FILESYSTEMS\n- df -h\n")
    assert not shows_layout("Tokens\n- AssumeRole returns\nSTS\ncredentials\nIOPS |\n# ECS\n- x\n")
    # the flat outline still joins a wrapped command to its bullet
    assert at(parse_text(flat, "ec2.txt"), 3).text == "Some CLI commands contain --dry-run option"
    assert at(parse_text(OUTLINE, "disks.txt"), 7).section[-1] == "ext4"


def test_markdown_flashcards_are_read_card_by_card() -> None:
    text = "## TLS\n\n**Q:** round trips for a tls 1.3 handshake?\n**A:** 1-RTT\nTLS 1.3 = RFC 8446\nSNI :: name\n"
    ps = parse_text(text, "cards.md")
    card = at(ps, 3)
    assert card.text == "1-RTT" and card.local_section == ("TLS", "round trips for a tls 1.3 handshake?")
    assert (card.line_start, card.line_end) == (3, 4)
    assert at(ps, 5).text == "TLS 1.3 = RFC 8446" and at(ps, 5).local_section == ("TLS",)
    assert at(ps, 6).local_section == ("TLS", "SNI")
    prose = parse_text("## Notes\n\nA paragraph wrapped at a width\nstays one passage.\n", "notes.md")
    assert (at(prose, 3).line_start, at(prose, 3).line_end) == (3, 4), "no cards: a wrapped paragraph is one"


def test_hash_titles_and_underlines_in_plain_text() -> None:
    text = "# Disks\n\n## ext4\n- max file 16 TiB\n\nNotes\n-----\n- a line\n"
    ps = parse_plaintext(text, "disks.txt")
    assert [(p.line_start, p.text, p.kind) for p in ps if p.is_heading] == [
        (1, "Disks", BlockKind.HEADING),
        (3, "ext4", BlockKind.HEADING),
        (6, "Notes", BlockKind.HEADING),
    ]
    assert at(ps, 4).section == ("Disks", "ext4") and at(ps, 8).section[-1] == "Notes"
    assert (at(ps, 6).line_start, at(ps, 6).line_end) == (6, 7)


def test_a_title_in_capitals_names_a_subject_only_when_its_words_are_names() -> None:
    text = "WHEN THE DISK IS FULL\n1. check the disk with df -h\n\nLVM\n1. lvextend -r grows the fs\n"
    ps = parse_plaintext(text, "disks.txt")
    assert at(ps, 2).service is None, "plain words in capitals are no name"
    assert at(ps, 5).service == "lvm"
    md = parse_text("# Limits\n\n## KMS\n\n- 4 KB per Encrypt call\n\n## SQS\n\n- 256 KB message\n", "limits.md")
    assert at(md, 5).service == "kms", "a one-word title in capitals is an acronym unless written in lowercase"


def test_a_word_processor_export_nests_bullets_under_numbered_titles() -> None:
    text = (
        "Queue notes\nfirst pass over the docs\n\n"
        "1. Basics\n● a queue keeps messages in order\n   ○ one consumer group reads each\n"
        "   ○ ■ nested twice\n● a message has a key\n\n"
        "2. Retention\n● kept 7 days by default\n"
    )
    ps = parse_plaintext(text, "queues.txt")
    assert at(ps, 5).section == ("Queues", "Basics") and at(ps, 5).text == "a queue keeps messages in order"
    assert at(ps, 6).section == ("Queues", "Basics", "a queue keeps messages in order")
    assert at(ps, 8).section == ("Queues", "Basics"), "the next bullet is a sibling again"
    assert at(ps, 10).section == ("Queues",), "the next numbered title is no child of the bullet above it"
    assert at(ps, 11).section == ("Queues", "Retention") and at(ps, 11).text == "kept 7 days by default"


def test_lettered_points_at_the_margin_sit_under_the_numbered_clause_above() -> None:
    # a word processor's legal outline: "4." then "a)", "b)" at the same margin, then "4.1"; labels keep
    # their brackets whole ("Enforcement (Art. 83, 84)" is not cut at its comma)
    text = (
        "4.\tLawful bases (Art. 6(1)) – need one\na)\tconsent\nb)\tcontract\n4.1\tNo hierarchy\n"
        "5.\tEnforcement (Art. 83, 84)\n5.1\tUpper tier\n"
    )
    ps = parse_plaintext(text, "gdpr.txt")
    assert at(ps, 2).section == ("Gdpr", "Lawful bases (Art. 6(1))") and at(ps, 2).text == "consent"
    assert at(ps, 3).section == ("Gdpr", "Lawful bases (Art. 6(1))")
    assert at(ps, 4).section == ("Gdpr", "Lawful bases (Art. 6(1))"), "4.1 is no lettered point"
    assert at(ps, 6).section == ("Gdpr", "Enforcement (Art. 83, 84)")


def test_a_fixed_width_table_is_read_row_by_row_with_its_headers() -> None:
    notes = (
        "-- editions --\n"
        "edition            $/credit   retention   notes\n"
        "-----------------  ---------  ----------  -----------------\n"
        "Standard           2.00       1d          base\n"
        "Business Critical  4.00       90d         PrivateLink, HIPAA\n"
        "Enterprise         3.00       90d\n"
        "\n"
        "lsblk -f   tree of disks\n"
        "df -i      inodes\n"
    )
    ps = parse_plaintext(notes, "editions.txt")
    assert at(ps, 5).kind is BlockKind.TABLE_ROW
    assert at(ps, 5).text == "Business Critical — $/credit: 4.00; retention: 90d; notes: PrivateLink, HIPAA"
    assert at(ps, 6).text == "Enterprise — $/credit: 3.00; retention: 90d"  # an empty cell is left out
    assert not [p for p in ps if p.line_start in (2, 3)], "the header and the rule are read into the rows"
    # two columns are no table: each line stays as written
    assert at(ps, 8).kind is not BlockKind.TABLE_ROW and at(ps, 8).text == "lsblk -f tree of disks"


def test_a_table_parted_by_bars_is_read_by_its_bars_aligned_or_not() -> None:
    notes = (
        "GARAGE QUOTES\n"
        "job                  | dealer  | indie | paid\n"
        "minor service        | €389    | €145  | €389 (2022)\n"
        "cambelt + water pump | €1,150  | €720  | not due\n"
        "alignment|€95|€60|\n"
        "\n"
        "| size | price |  note |\n"
        "|---|---|---|\n"
        "| 250 g | £9 | |\n"
        "| 1 kg | £30 | best value |\n"
    )
    ps = parse_plaintext(notes, "quotes.txt")
    assert at(ps, 4).kind is BlockKind.TABLE_ROW
    assert at(ps, 4).text == "cambelt + water pump — dealer: €1,150; indie: €720; paid: not due"
    assert at(ps, 5).text == "alignment — dealer: €95; indie: €60"  # not aligned with the header, no last cell
    assert at(ps, 9).text == "250 g — price: £9"
    assert at(ps, 10).text == "1 kg — price: £30; note: best value"
    assert not [p for p in ps if "|" in p.text]


def test_a_table_with_a_blank_corner_indented_under_an_item_is_read_under_it() -> None:
    notes = (
        "4. Exotoxin vs endotoxin    EXAM: always asked\n"
        "\t                exotoxin                   endotoxin\n"
        "\tmade by         G+ and G-, secreted        G- only\n"
        "\theat            destroyed at 60-80 C       heat stable\n"
        "\t- botulinum = most potent toxin known\n"
        "5. bugs to know\n"
    )
    ps = parse_plaintext(notes, "toxins.txt")
    assert at(ps, 3).kind is BlockKind.TABLE_ROW
    assert at(ps, 3).text == "made by — exotoxin: G+ and G-, secreted; endotoxin: G- only"
    assert at(ps, 4).text == "heat — exotoxin: destroyed at 60-80 C; endotoxin: heat stable"  # not cut mid-word
    assert at(ps, 4).section[-1] == "Exotoxin vs endotoxin EXAM"  # under the item it is indented under
    assert at(ps, 5).section[-1] == "Exotoxin vs endotoxin EXAM"


def test_figures_set_flush_right_sit_in_their_column_and_a_row_of_figures_is_no_header() -> None:
    notes = (
        "BIG 3\n"
        "item                         grams    oz     price\n"
        "Gossamer Gear Mariposa 60      870   30.7     $285\n"
        "Zpacks Duplex tent             539   19.0     $699\n"
        "\n"
        "ROUX\n"
        "white roux  2-3 min        no color, bechamel\n"
        "blond roux  5-6 min        peanut butter color, veloute\n"
        "brown roux  15-20 min+     espagnole, gravies\n"
    )
    ps = parse_plaintext(notes, "gear.txt")
    assert at(ps, 4).kind is BlockKind.TABLE_ROW
    assert at(ps, 4).text == "Zpacks Duplex tent — grams: 539; oz: 19.0; price: $699"
    # three lines of a list, no table whose header is its first row ("blond roux — 2-3 min: 5-6 min")
    assert at(ps, 8).kind is not BlockKind.TABLE_ROW and at(ps, 8).text.startswith("blond roux 5-6 min")


def test_a_short_title_over_a_paragraph_without_marks_heads_it() -> None:
    notes = (
        "Picking\n"
        "- alternate picking = strict down-up\n"
        "\n"
        "Bends + vibrato\n"
        "full bend = whole step = 2 frets, half bend = 1 fret\n"
        "check the pitch: fret the target note first\n"
        "\n"
        "the bend goes up and the vibrato comes after it, which is\n"
        "the hard part for me\n"
    )
    ps = parse_plaintext(notes, "practice.txt")
    assert at(ps, 4).is_heading
    assert at(ps, 5).section[-1] == "Bends + vibrato" and at(ps, 6).section[-1] == "Bends + vibrato"
    assert not at(ps, 8).is_heading  # a sentence wrapped over two lines is no title


INDENTED = """Notes for the exam

Step Functions
\tstandard: up to 1 year
\texpress: up to 5 minutes

Lambda
\ttimeout: 900 s max
\t\tcan it be raised? no
\tmemory: 128 MB to 10 GB
Kinesis
  shards
    write 1 MB/s
    read 2 MB/s
  retention 24 h by default
"""


def test_an_outline_kept_by_indentation_alone_nests_its_lines_under_their_titles() -> None:
    ps = parse_text(INDENTED, "exam.txt")
    assert at(ps, 3).kind is BlockKind.HEADING and at(ps, 7).kind is BlockKind.HEADING
    assert at(ps, 5).section[-1] == "Step Functions" and at(ps, 5).text == "express: up to 5 minutes"
    assert at(ps, 8).section[-1] == "Lambda"
    # a point indented under another sits under it; the line back at the outer indentation is not joined to it
    assert at(ps, 9).text == "can it be raised? no" and at(ps, 9).section[-2:] == ("Lambda", "timeout")
    assert at(ps, 10).text == "memory: 128 MB to 10 GB" and at(ps, 10).section[-1] == "Lambda"
    # a title right after an indented line opens the next part
    assert at(ps, 11).kind is BlockKind.HEADING
    assert at(ps, 13).section[-2:] == ("Kinesis", "shards") and at(ps, 15).section[-1] == "Kinesis"


def test_a_line_of_notes_with_a_command_indented_under_it_is_no_title() -> None:
    text = "max row size 100 MB\nJOBS keeps 180 days of history\n  SELECT * FROM jobs\nsandbox: 10 GB free\n"
    ps = parse_text(text, "bq.txt")
    assert not any(p.is_heading for p in ps)
    assert at(ps, 3).section[-1] == "JOBS keeps 180 days of history"
    assert "JOBS keeps 180 days of history" not in at(ps, 4).section


ASCIIDOC = """= Terraform notes
:revdate: 2024-03-14

== State and backends

* Backend: S3 bucket, versioning on.
** `~> 1.5.0` means 1.5.x only.
* Lock file is committed. Regenerate hashes:
+
`terraform providers lock -platform=linux_amd64`
+
Without it the Mac people get checksum errors.
* Laptops use tfenv.

[source,hcl]
----
terraform {
  backend "s3" {}
}
cache_timeout: 3600
----

NOTE: 1.5.7 is the last MPL-licensed release.

=== Backends compared

|===
| Backend | Locking | Our use

| local | lock file on disk only | default
| s3 | needs the DynamoDB table | all platform stacks
|===

[NOTE]
====
Partition key must be named LockID.
Or locking silently fails.
====

----

a paragraph between two rules

----
"""


def test_asciidoc_titles_are_titles_of_their_level() -> None:
    ps = parse_plaintext(ASCIIDOC, "terraform.txt")
    assert at(ps, 1).kind is BlockKind.HEADING and at(ps, 1).text == "Terraform notes"
    assert at(ps, 4).text == "State and backends" and at(ps, 4).section == ("Terraform notes", "State and backends")
    assert at(ps, 30).section == ("Terraform notes", "State and backends", "Backends compared")
    assert shows_layout("= Page\n\nsome notes\n"), "a '= Title' line shows a layout"
    mediawiki = parse_plaintext("= WireGuard + Pi-hole =\n\nsetup notes\n", "wg.txt")
    assert at(mediawiki, 1).kind is BlockKind.HEADING and at(mediawiki, 1).text == "WireGuard + Pi-hole"


def test_asciidoc_nested_bullets_and_attached_lines_sit_under_their_item() -> None:
    ps = parse_plaintext(ASCIIDOC, "terraform.txt")
    assert at(ps, 7).kind is BlockKind.ITEM and at(ps, 7).section[-1] == "Backend", "'**' sits under '*'"
    assert at(ps, 10).section[-1].startswith("Lock file is committed"), "the line after '+' belongs to the item"
    assert at(ps, 12).section[-1].startswith("Lock file is committed"), "a second '+' attaches to the same item"
    assert at(ps, 13).section[-1] == "State and backends", "the next bullet is a sibling again"
    assert not [p for p in ps if p.text in ("+", "[source,hcl]", "[NOTE]", "|===", "====")]


def test_an_asciidoc_listing_is_one_code_block_and_its_delimiters_are_no_underlines() -> None:
    ps = parse_plaintext(ASCIIDOC, "terraform.txt")
    code = at(ps, 17)
    assert code.kind is BlockKind.CODE and (code.line_start, code.line_end) == (17, 20)
    assert "cache_timeout: 3600" in code.text and not [p for p in ps if p.text == "cache_timeout: 3600"]
    assert at(ps, 23).kind is BlockKind.PARAGRAPH, "the line after the block is read as notes"


def test_an_asciidoc_table_and_admonition_block_are_read_as_notes() -> None:
    ps = parse_plaintext(ASCIIDOC, "terraform.txt")
    assert at(ps, 30).kind is BlockKind.TABLE_ROW, "a blank line after the header row"
    assert at(ps, 30).text == "local — Locking: lock file on disk only; Our use: default"
    assert at(ps, 31).text == "s3 — Locking: needs the DynamoDB table; Our use: all platform stacks"
    inside = at(ps, 36)
    assert inside.kind is not BlockKind.HEADING and inside.text == "Partition key must be named LockID."
    assert at(ps, 37).kind is not BlockKind.HEADING, "the closing delimiter underlines nothing"
    between = at(ps, 42)
    assert between.kind is BlockKind.PARAGRAPH, "rules with blank lines around them open no block"


def test_asciidoc_cut_short_is_read_as_far_as_it_goes() -> None:
    for text in ("= T\n\n|===\n| a | b | c", "= T\n\n[source,sh]\n----", "= T\n\n----\nx\ny", "= T\n+", "=="):
        ps = parse_plaintext(text, "cut.txt")  # no error
        assert all(p.text.strip() for p in ps)


def test_asciidoc_files_are_read_by_the_plain_text_reader() -> None:
    ps = parse_text("Flat title\nsome line\n", "notes.adoc")
    assert ps and all(p.file == "notes.adoc" for p in ps)
    assert parse_text("= Runbook\n\n== Restarts\n\n* drain first\n", "ops.adoc")[-1].section == ("Runbook", "Restarts")


HIVE_LOG = """HIVE LOG 2025  (typed up from the paper notebook in the shed, so some of it is late)
apiary = plot 14, facing SE
abbrevs: QS = queen seen
  fob = frames of brood
weights are guesses unless it says scales
---------------------------------------------

11/05/25 H3 moved to the far stand
   H2 - 8 fob, 2nd super on
18/05/25 H1 - Q seen. 4 fob. super 1 full-ish
   H2 - 3 QC, 2 sealed
25/05/25 H3 - left alone
   N1 fed 1L
"""


def test_a_long_capitals_first_line_does_not_hide_the_layout_of_the_rest() -> None:
    # the first line is capitals followed by a remark too long for a title; the indented lines below still
    # show the file's layout
    assert shows_layout(HIVE_LOG)
    ps = parse_text(HIVE_LOG, "log.txt")
    assert at(ps, 9).section[-1:] == ("11/05/25 H3 moved to the far stand",)  # indented under its entry
    assert at(ps, 4).section[-1:] == ("abbrevs",)


def test_a_rule_under_a_paragraph_sets_it_apart_and_titles_nothing() -> None:
    ps = parse_text(HIVE_LOG, "log.txt")
    assert at(ps, 5).text == "weights are guesses unless it says scales"
    assert all("weights are guesses" not in p.heading for p in ps)
    assert not any(set(p.text) <= set("-=_ ") for p in ps)  # the rule itself is no passage
    assert not any("abbrevs" in p.heading for p in ps if p.line_start > 5)  # nor is what follows under "abbrevs:"


def test_a_log_entry_with_sentences_in_it_is_no_title_over_the_entries_after_it() -> None:
    ps = parse_text(HIVE_LOG, "log.txt")
    # an entry line of several sentences heads its own indented lines, not the later entries
    assert at(ps, 11).section[-1:] == ("18/05/25 H1",)
    assert not any("18/05/25" in p.heading for p in ps if p.line_start >= 12), [p.heading for p in ps]
    assert at(ps, 13).section[-1:] == ("25/05/25 H3 - left alone",)


def test_rules_on_their_own_are_no_titles() -> None:
    text = "=====\nGear list\n=====\n\ntent 1.2 kg\n\n----------\n\nstove 90 g\n"
    ps = parse_plaintext(text, "gear.txt")
    assert [p.heading for p in ps if not p.is_heading] == ["Gear list", "Gear list"]
    assert not any(set(p.text) <= set("-=") for p in ps)


RIDES = """rides, pasted from the export

# exported 2025-03-01
date,name,bike,dist,elev
,,,km,m
2025-02-01,"Coffee loop, Kirkby + back",Ulti,48.5,415
2025-02-02,Griz to work,Griz,31.2,203
!! odometer reset here, new head unit
2025-02-05,SS 2x20,Ulti,50.0,302
# Feb = 595 km ish. better. first 100k of the yr on the 16th

I bought apples,pears,plums
and the rest later
"""


def test_comma_separated_rows_are_a_table_whose_fields_carry_their_column_names() -> None:
    assert shows_layout(RIDES)  # a spreadsheet export is layout too
    ps = parse_text(RIDES, "rides.txt")
    row = at(ps, 6)
    assert row.kind is BlockKind.TABLE_ROW
    # the quoted field keeps its comma; the units row under the header is read with the column names
    assert row.text == "2025-02-01 — name: Coffee loop, Kirkby + back; bike: Ulti; dist (km): 48.5; elev (m): 415"
    assert row.section == ("exported 2025-03-01",)
    # a remark between rows ends nothing: the rows after it are rows of the same table
    assert at(ps, 8).kind is BlockKind.PARAGRAPH
    assert at(ps, 9).text == "2025-02-05 — name: SS 2x20; bike: Ulti; dist (km): 50.0; elev (m): 302"
    # a line with commas that is no table (no header row, no rows like it) stays a line of notes
    assert at(ps, 12).kind is not BlockKind.TABLE_ROW


def test_a_hash_line_of_sentences_is_a_remark_and_a_short_one_a_title() -> None:
    ps = parse_text(RIDES, "rides.txt")
    assert at(ps, 3).is_heading and at(ps, 3).text == "exported 2025-03-01"
    remark = at(ps, 10)
    assert not remark.is_heading and remark.text.startswith("# Feb = 595 km")
    assert all("Feb = 595" not in p.heading for p in ps)
    # "##" marks a title whatever its length
    ps = parse_plaintext(
        "## RECOVERY: PITR to a timestamp (someone ran DELETE w/o WHERE, again)\n 1. stop pg\n", "r.txt"
    )
    assert at(ps, 2).section[-1:] == ("RECOVERY: PITR to a timestamp (someone ran DELETE w/o WHERE, again)",)


LEDGER = """2025-04-02 * giffgaff | goodybag
    Expenses:Bills:Phone        12.00 GBP
    Liabilities:CC:Amex

2025-04-10 * Vanguard | buy VWRL in the dip  ; tariff wobble, bought 20
    Assets:ISA:Vanguard          20 VWRL @ 88.72 GBP
    Assets:ISA:Vanguard:Cash   -1774.40 GBP
"""


def test_lines_over_indented_lines_are_titles_alike_once_one_is_whatever_their_shape() -> None:
    ps = parse_text(LEDGER, "ledger.txt")
    # the second entry is too long and has a comma, so it is no title by its shape; like the first, it has
    # lines indented under it: it titles them, and does not sit under the first
    assert at(ps, 6).section[1:] == ("2025-04-10 * Vanguard | buy VWRL in the dip ; tariff wobble, bought 20",)
    assert at(ps, 2).section[1:] == ("2025-04-02 * giffgaff | goodybag",)


SPECS = """BOATS
#############################
TENDER SHORTLIST (spring, after the boat show)
#############################
                 2.6 RIB       3.0 Honwave   310 Airdeck
                 -------       -----------   -----------
length           2.60 m        3.00 m        3.10 m
weight           21 kg         35 kg         32 kg
max outboard     4 hp          15 hp         3 hp

engine .......... Tohatsu 3.5, bought used 2022
fuel ........ 1.5 l tank, mixes in

we left at 6... and came back late
"""


def test_a_title_between_rules_of_hashes_heads_what_follows() -> None:
    ps = parse_plaintext(SPECS, "boats.txt")
    title = at(ps, 3)
    assert title.is_heading and title.text == "TENDER SHORTLIST (spring, after the boat show)"
    assert (title.line_start, title.line_end) == (3, 4)
    assert at(ps, 7).section[-1] == "TENDER SHORTLIST (spring, after the boat show)"


def test_columns_named_by_figures_are_a_table_when_a_rule_underlines_each_name() -> None:
    ps = parse_plaintext(SPECS, "boats.txt")
    # names that start with a figure ("2.6 RIB"), set off as a header by the dashes under each of them
    row = at(ps, 7)
    assert row.kind is BlockKind.TABLE_ROW
    assert row.text == "length — 2.6 RIB: 2.60 m; 3.0 Honwave: 3.00 m; 310 Airdeck: 3.10 m"
    assert at(ps, 9).text == "max outboard — 2.6 RIB: 4 hp; 3.0 Honwave: 15 hp; 310 Airdeck: 3 hp"
    assert not [p for p in ps if set(p.text) <= set("- ")]  # the rule is no passage of its own


def test_a_dotted_leader_reads_as_a_label_and_its_value_and_an_ellipsis_does_not() -> None:
    ps = parse_plaintext(SPECS, "boats.txt")
    assert at(ps, 11).text == "engine: Tohatsu 3.5, bought used 2022"
    assert at(ps, 12).text == "fuel: 1.5 l tank, mixes in"
    assert at(ps, 14).text == "we left at 6... and came back late"


def test_a_leader_value_wrapped_under_itself_goes_on_and_a_leader_inside_it_goes() -> None:
    text = (
        "ELECTRIC\n========\n"
        "Supply .............. 2.5mm2 SWA cable from the garage, 22 m run, buried 450mm\n"
        "                      along the lawn edge. 30mA RCD at the garage end.\n"
        "Heater .............. Palma 2 kW fan heater, 89.95\n"
        "  o roof ...... 2 x 3.05 x 1.33 (slope length) ........... = 8.11 m2\n"
    )
    got = [(p.line_start, p.line_end, p.text) for p in parse_plaintext(text, "greenhouse.txt") if not p.is_heading]
    assert got == [
        (
            3,
            4,
            "Supply: 2.5mm2 SWA cable from the garage, 22 m run, buried 450mm along the lawn edge. 30mA RCD at the "
            "garage end.",
        ),
        (5, 5, "Heater: Palma 2 kW fan heater, 89.95"),
        (6, 6, "roof: 2 x 3.05 x 1.33 (slope length) = 8.11 m2"),
    ]


def test_a_table_without_a_header_rule_still_needs_names_that_state_no_figure() -> None:
    text = "pantry\n\nolive oil      ~ 250     (1 oz packets)\nrice           2 kg      basmati\n"
    ps = parse_plaintext(text, "pantry.txt")
    assert all(p.kind is not BlockKind.TABLE_ROW for p in ps)


CLIPPINGS = """The Salt Path (R. Winn)
- Your Highlight on page 12 | Added on Monday, 2 May 2022

We walked six hundred and thirty miles with forty-eight pounds on our backs, sleeping wild most nights.
==========
The Salt Path (R. Winn)
- Your Note on page 12 | Added on Monday, 2 May 2022

630 mi. check the map
==========
Wild Swimming Guide, 2nd edition (D. Start)
- Your Highlight on page 40 | Added on Friday, 6 May 2022

Cold water shock passes in about ninety seconds, so float on your back until your breathing settles.
==========
"""


def test_a_rule_that_closes_entries_parts_them_and_underlines_no_title() -> None:
    ps = parse_plaintext(CLIPPINGS, "clippings.txt")
    # "630 mi. check the map" sits over "==========" like a title over its underline, but the rule closes most
    # entries of the file right under a sentence: it parts entries, and the note stays a line of notes
    note = at(ps, 9)
    assert not note.is_heading and note.text == "630 mi. check the map"
    # each entry is under the line that opens it, the next entry no deeper than the one before
    assert note.section == ("The Salt Path (R. Winn)",)
    assert at(ps, 14).section == ("Wild Swimming Guide, 2nd edition (D. Start)",)


def test_an_underlined_line_is_a_title_only_when_it_reads_as_one() -> None:
    ps = parse_plaintext("Ports\n=====\nssh 22\n\nkeep it short. really\n-----\nhttp 80\n", "p.txt")
    assert at(ps, 1).is_heading and at(ps, 3).section == ("Ports",)
    assert not at(ps, 5).is_heading  # two sentences over a rule: the rule sets the paragraph off


WIKI = """h1. Kiln room

p(note). Ask before firing anything over cone 6.

h2. Loading the kiln

# shelves in, posts at the corners
# greenware may touch, glazed pieces may not
## leave a finger's width between glazed pieces
# lid down, vent open
* bisque: cone 04, about 9 h
* glaze: cone 6, hold 10 min

|_. Kiln |_. Max cone |_. Volume |
| Skutt 818 | 10 | 2.3 cu ft |
| Paragon | 6 | 1.2 cu ft |

bq. Never open it above 100 C.
"""


def test_textile_titles_head_what_follows_and_block_marks_are_no_text() -> None:
    assert shows_layout(WIKI)
    ps = parse_text(WIKI, "kiln.txt")
    assert at(ps, 1).is_heading and at(ps, 1).text == "Kiln room"
    assert at(ps, 3).text == "Ask before firing anything over cone 6."
    assert at(ps, 5).section == ("Kiln room", "Loading the kiln")
    assert at(ps, 18).text == "Never open it above 100 C."


def test_hash_lines_in_a_file_with_star_bullets_are_numbered_steps() -> None:
    ps = parse_text(WIKI, "kiln.txt")
    step = at(ps, 7)
    assert step.kind is BlockKind.STEP and step.text == "shelves in, posts at the corners"
    assert not step.is_heading and step.section == ("Kiln room", "Loading the kiln")
    assert at(ps, 9).section[-1] == "greenware may touch"  # "##" sits under "#" (named by its head)
    assert at(ps, 10).kind is BlockKind.STEP and at(ps, 10).section[-1] == "Loading the kiln"
    assert at(ps, 15).text == "Skutt 818 — Max cone: 10; Volume: 2.3 cu ft"  # "|_. Kiln |": a header cell


def test_hash_lines_without_star_bullets_stay_titles_and_remarks() -> None:
    text = "# INVENTORY\n# prices in EUR incl shipping\n\nnas:\n  disks: 4x 8 TB\n"
    ps = parse_plaintext(text, "inv.txt")
    assert all(p.kind is not BlockKind.STEP for p in ps)
    assert at(ps, 1).is_heading


THREAD = """@maria (Maria Lind) - thread saved 2024-03-02
1/ emergency fund first, 3 months of essentials
2/ then the pension match, it's free money
[ME: my employer matches 5%]

[Pensions]
the state pension needs 35 qualifying years for the full amount
"""


def test_a_line_over_a_list_numbered_from_one_leads_it_and_a_bracket_under_a_line_is_a_remark() -> None:
    ps = parse_text(THREAD, "threads.txt")
    post = at(ps, 2)
    assert post.kind is BlockKind.STEP and post.text == "emergency fund first, 3 months of essentials"
    assert post.lead == "@maria (Maria Lind) - thread saved 2024-03-02"
    remark = at(ps, 4)
    assert not remark.is_heading and remark.text == "[ME: my employer matches 5%]"
    assert at(ps, 7).section[-1] == "Pensions"  # after a blank line, a bracketed line names a section


def test_a_field_or_a_sentence_over_a_numbered_list_does_not_lead_it() -> None:
    text = (
        "WEEKLY SYNC\n\nAttendees: Dan, Marta, Jonas\n1. release 3.4 status\n2. hiring\n\n"
        "We met late. Numbers first\n1. bookings up 12%\n"
    )
    ps = parse_text(text, "minutes.txt")
    assert at(ps, 4).kind is BlockKind.STEP and at(ps, 4).lead == ""
    assert at(ps, 8).lead == ""


KEEP = """Van packing

SPARES
☑ spare fuel filter $68
☐ fan belt $54
✓ tyre plug kit

rest of the notes
"""


def test_a_checklist_exported_with_boxes_and_ticks_reads_as_a_list_of_bullets_without_the_box() -> None:
    def read(text: str) -> list[tuple[int, str, str, tuple[str, ...]]]:
        return [(p.line_start, p.kind.value, p.text, p.section) for p in parse_text(text, "keep.txt")]

    dashed = KEEP.replace("☑ ", "- ").replace("☐ ", "- ").replace("✓ ", "- ")
    assert read(KEEP) == read(dashed)
    assert [at(parse_text(KEEP, "keep.txt"), n).text for n in (4, 5, 6)] == [
        "spare fuel filter $68",
        "fan belt $54",
        "tyre plug kit",
    ]
    laid_out = "BOX LIST\n========\n\n" + KEEP  # the layout reader: items under the title
    assert [p.kind for p in parse_text(laid_out, "keep.txt") if "$" in p.text] == [BlockKind.ITEM] * 2


def test_a_few_words_on_a_line_of_their_own_over_bullets_lead_them_and_a_sentence_does_not() -> None:
    text = (
        "PERMIT FEES\n- application fee $45\n\n"
        "what to bring (permit day)\n* birth certificate\n* 2 proofs of address\n\n"
        "We got there late and the line was long.\n- took 2 hours\n\n"
        "last line\nstill the same paragraph\n- an item\n"
    )
    ps = parse_text(text, "phone.txt")
    assert [at(ps, n).lead for n in (5, 6)] == ["what to bring (permit day)"] * 2
    assert at(ps, 5).kind is BlockKind.ITEM and at(ps, 5).text == "birth certificate"
    assert at(ps, 9).lead == "", "a sentence over bullets is no lead"
    assert at(ps, 13).lead == "", "the last line of a paragraph is no line of its own"
