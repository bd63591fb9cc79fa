"""Emails saved as files: the Subject over the decoded text of the message, every line citing the lines of the
file it was decoded from."""

from __future__ import annotations

import base64
from pathlib import Path

from ingest.mail import read_mail
from ingest.parser import parse_text
from kg.model import BlockKind
from tests.conftest import ingest_one

SUBJECT = "Budget and reserve notes – 2025"
EML = """Return-Path: <dana@example.com>
Received: from mail.example.com by mx.example.com; Tue, 4 Mar 2025 09:12:00 -0500
Message-ID: <abc@example.com>
Date: Tue, 4 Mar 2025 09:12:00 -0500
From: Dana Ruiz <dana@example.com>
To: board@example.com
Subject: =?utf-8?Q?Budget_and_reserve_notes_=E2=80=93_2025?=
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="000000000000abcd"

--000000000000abcd
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

RESERVES
- Reserve fund balance: $412,300 as of Feb 28 (61% funded per the 2023 stud=
y)
- Monthly dues: $385/unit, going to $410 in July
- It=E2=80=99s the board=E2=80=99s call on the special assessment

> On Mon, Mar 3, 2025 at 8:00 PM Sam wrote:
> pool opens May 24, guest limit 4 per unit

--=20
Dana Ruiz, Treasurer
--000000000000abcd
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div>RESERVES</div><ul><li>Reserve fund balance: $412,300</li></ul>
--000000000000abcd--
"""


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


def test_the_plain_version_decoded_under_the_subject_citing_the_file_lines() -> None:
    got = [(p.line_start, p.line_end, p.section, p.text) for p in parse_text(EML, "Budget.eml")]
    at = lambda needle: line_of(EML, needle)  # noqa: E731
    under = (SUBJECT, "RESERVES")
    assert got == [
        (at("Subject:"), at("Subject:"), (SUBJECT,), SUBJECT),
        (at("RESERVES"), at("RESERVES"), under, "RESERVES"),
        # a soft line break joins two lines of the file into one line of text, which cites both
        (
            at("fund balance"),
            at("y)"),
            under,
            "Reserve fund balance: $412,300 as of Feb 28 (61% funded per the 2023 study)",
        ),
        (at("Monthly dues"), at("Monthly dues"), under, "Monthly dues: $385/unit, going to $410 in July"),
        # "=E2=80=99" is a curly apostrophe, which the reader writes straight
        (at("It=E2"), at("It=E2"), under, "It's the board's call on the special assessment"),
        # a quoted reply is read as text; the signature is not
        (
            at("On Mon"),
            at("pool opens"),
            under,
            "On Mon, Mar 3, 2025 at 8:00 PM Sam wrote: pool opens May 24, guest limit 4 per unit",
        ),
    ]


def test_html_only_and_base64_parts_cite_their_lines() -> None:
    body = base64.encodebytes(b"<h2>Pool</h2>\n<p>Guest limit: 4 per unit</p>\n").decode()
    eml = (
        "From: a@example.com\nSubject: Rules\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n"
        f"Content-Transfer-Encoding: base64\n\n{body}"
    )
    got = [(p.line_start, p.section, p.text) for p in parse_text(eml, "rules.eml")]
    assert got == [
        (2, ("Rules",), "Rules"),
        (7, ("Rules", "Pool"), "Pool"),
        (7, ("Rules", "Pool"), "Guest limit: 4 per unit"),
    ]


def test_an_mbox_holds_messages_one_after_another() -> None:
    mbox = (
        "From dana@example.com Tue Mar  4 09:12:00 2025\nFrom: dana@example.com\nSubject: Dues\n\nDues are $385\n\n"
        "From sam@example.com Wed Mar  5 10:00:00 2025\nFrom: sam@example.com\nSubject: Pool\n\nPool opens May 24\n"
    )
    mails = read_mail(mbox)
    assert mails is not None and [m.subject for m in mails] == ["Dues", "Pool"]
    assert [(p.line_start, p.text) for p in parse_text(mbox, "board.mbox") if not p.is_heading] == [
        (5, "Dues are $385"),
        (11, "Pool opens May 24"),
    ]


def test_a_file_that_is_no_email_is_read_as_text() -> None:
    assert read_mail("pool opens May 24\nguest limit 4\n") is None
    assert [p.text for p in parse_text("pool opens May 24\n", "pool.eml")] == ["pool opens May 24"]


def test_emails_are_ingested(tmp_path: Path) -> None:
    _, report = ingest_one(tmp_path, "Budget.eml", EML)
    assert report.counts["passages"] == 6, report.counts


def test_a_reply_quotes_the_earlier_message_under_the_signature() -> None:
    reply = (
        "From: dana@example.com\nSubject: Re: Pool\n\nCorrection: pool closes at 9 pm, not 10 pm\n\n-- \nDana Ruiz\n"
        "HOA Treasurer\n\nOn Mon, Mar 3, 2025 at 8:00 PM Sam wrote:\n> Pool closes at 10 pm\n>\n> -- \n> Sam\n"
        "> >> Guest limit: 4 per unit\n"
    )
    said = [(p.line_start, p.text) for p in parse_text(reply, "pool.eml")]
    assert said == [
        (2, "Re: Pool"),
        (4, "Correction: pool closes at 9 pm, not 10 pm"),
        # the signatures are gone, the quoted messages under them are read
        (10, "On Mon, Mar 3, 2025 at 8:00 PM Sam wrote:"),
        (11, "Pool closes at 10 pm"),
        (15, "Guest limit: 4 per unit"),
    ]


def test_a_message_cut_short_keeps_what_it_has() -> None:
    cut = EML[: EML.index("--000000000000abcd\nContent-Type: text/html")]  # no HTML part, no closing delimiter
    cut = cut.replace("multipart/alternative", "multipart/mixed")
    texts = [p.text for p in parse_text(cut, "cut.eml")]
    assert "Monthly dues: $385/unit, going to $410 in July" in texts
    # a part that says base64 but is not: nothing of it read, the rest is; an unknown charset read as UTF-8
    assert [p.text for p in parse_text(cut.replace("quoted-printable", "base64"), "b.eml")] == [SUBJECT]
    unknown = [p.text for p in parse_text(EML.replace('charset="UTF-8"', "charset=x-nope"), "c.eml")]
    assert "Monthly dues: $385/unit, going to $410 in July" in unknown
    assert [p.text for p in parse_text("From: a@example.com\nSubject: Pool\n", "d.eml")] == ["Pool"]


MHT = """MIME-Version: 1.0
Content-Type: multipart/related; boundary="----=_NextPart_01DA1234.5678ABCD"

This document is a Single File Web Page, also known as a Web Archive file.

------=_NextPart_01DA1234.5678ABCD
Content-Location: file:///C:/Users/x/Documents/Notes.htm
Content-Transfer-Encoding: quoted-printable
Content-Type: text/html; charset="windows-1252"

<html xmlns:o=3D"urn:schemas-microsoft-com:office:office"
xmlns=3D"http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv=3DContent-Type content=3D"text/html; charset=3Dwindows-1252">
<title>Front desk</title>
<!--[if gte mso 9]><xml>
 <o:DocumentProperties>
  <o:Author>Pat Smith</o:Author>
  <o:Pages>3</o:Pages>
 </o:DocumentProperties>
</xml><![endif]-->
<style>
p.MsoNormal {margin:0in;}
</style>
</head>
<body lang=3DEN-US style=3D'tab-interval:.5in'>
<div class=3DWordSection1>
<h1>Front desk procedures<o:p></o:p></h1>
<p class=3DMsoNormal>New patient visits are booked for 40 minutes, follow-up=
s for 20 minutes.<o:p></o:p></p>
<p class=3DMsoNormal>Check-in steps:<o:p></o:p></p>
<p class=3DMsoListParagraphCxSpFirst style=3D'text-indent:-.25in;mso-list:l0 =
level1 lfo1'><![if !supportLists]><span style=3D'mso-list:Ignore'>1.<span
style=3D'font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp; </span></span><![en=
dif]>Scan the insurance card<o:p></o:p></p>
<p class=3DMsoListParagraphCxSpLast style=3D'text-indent:-.25in;mso-list:l0 l=
evel1 lfo1'><![if !supportLists]><span style=3D'mso-list:Ignore'>2.<span
style=3D'font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp; </span></span><![en=
dif]>Collect the co-pay ($25 for PCP, $45 specialist)<o:p></o:p></p>
<p class=3DMsoNormal>Supplies:</p>
<p class=3DMsoListParagraph style=3D'mso-list:l1 level1 lfo2'><![if !sup=
portLists]><span style=3D'font-family:Symbol'>=B7<span>&nbsp;&nbsp; </sp=
an></span><![endif]>Gloves from Henry Schein</p>
<p class=3DMsoListParagraph style=3D'mso-list:l1 level2 lfo2'><![if !sup=
portLists]><span style=3D'font-family:"Courier New"'>o<span>&nbsp;&nbsp;=
 </span></span><![endif]>lead time 5 days, min order $150</p>
<table class=3DMsoTableGrid border=3D1>
<tr><td><p class=3DMsoNormal><b>Item<o:p></o:p></b></p></td><td><p class=
=3DMsoNormal><b>Temp<o:p></o:p></b></p></td></tr>
<tr><td><p class=3DMsoNormal>Vaccine fridge<o:p></o:p></p></td><td><p cl=
ass=3DMsoNormal>2&#8211;8 =B0C</p></td></tr>
</table>
<p class=3DMsoNormal>UPDATE: follow-ups are 25 minutes from May.<o:p></o:p></p>
</div>
</body>
</html>

------=_NextPart_01DA1234.5678ABCD
Content-Location: file:///C:/Users/x/Documents/Notes_files/filelist.xml
Content-Transfer-Encoding: quoted-printable
Content-Type: text/xml; charset="utf-8"

<xml xmlns:o=3D"urn:schemas-microsoft-com:office:office">
 <o:File HRef=3D"filelist.xml"/>
</xml>
------=_NextPart_01DA1234.5678ABCD--
"""


def test_a_page_saved_by_word_as_one_file_is_read_as_its_html() -> None:
    got = {p.line_start: p for p in parse_text(MHT, "Front desk.mht")}
    texts = {p.text for p in got.values()}
    assert got[28].is_heading and got[28].text == "Front desk procedures"
    assert "New patient visits are booked for 40 minutes, follow-ups for 20 minutes." in texts
    # Word's list paragraphs are the items of a list, numbered or not, their markers ("1.", "·") no text
    steps = [p for p in got.values() if p.kind is BlockKind.STEP]
    assert [p.text for p in steps] == ["Scan the insurance card", "Collect the co-pay ($25 for PCP, $45 specialist)"]
    assert all(p.lead == "Check-in steps" for p in steps)
    nested = next(p for p in got.values() if p.text.startswith("lead time"))
    assert nested.kind is BlockKind.ITEM and nested.section[-1] == "Gloves from Henry Schein"
    assert "Vaccine fridge: 2–8 °C" in texts
    # the document's properties, its styles and Office's own elements say nothing
    assert not any("Pat Smith" in t or "MsoNormal" in t or "=3D" in t or "<" in t for t in texts)
