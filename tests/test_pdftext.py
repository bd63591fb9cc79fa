"""Text converted from PDF: the running header and footer of every page say nothing, and a sentence a page break
cuts goes on over it."""

from __future__ import annotations

from ingest.parser import parse_text
from ingest.pdftext import is_pdf_text


def page(n: int, body: str) -> str:
    """A page as ``pdftotext -layout`` writes it: a form feed, the running header, the text, the footer."""
    return (
        f"\fPharmacy Technician Diploma – Unit 5                         Page {n} of 3\n\n{body}\n\n"
        "© Northgate Training 2024 – for enrolled learners only\n"
    )


TEXT = (
    page(1, "CONTROLLED DRUGS\n\nCD register entries are kept for 2 years.\n• Prescription validity is 28 days.")[1:]
    + page(2, "• Emergency supply is refused for Schedule 2 drugs, except phenobarbital when the patient")
    + page(3, "has been prescribed it before.\n\nSTORAGE\n\nStore in a locked cabinet.")
)


def test_page_furniture_says_nothing_and_sentences_go_on_over_page_breaks() -> None:
    assert is_pdf_text(TEXT.split("\n"))
    got = [(p.line_start, p.line_end, p.text) for p in parse_text(TEXT, "Unit 5.txt")]
    assert got == [
        (3, 3, "CONTROLLED DRUGS"),
        (5, 5, "CD register entries are kept for 2 years."),
        (6, 6, "Prescription validity is 28 days."),
        (
            11,
            16,
            "Emergency supply is refused for Schedule 2 drugs, except phenobarbital when the patient has been "
            "prescribed it before.",
        ),
        (18, 18, "STORAGE"),
        (20, 20, "Store in a locked cabinet."),
    ]
    assert not any("Northgate" in p.text or "Page" in p.text for p in parse_text(TEXT, "Unit 5.txt"))


def test_two_pages_tell_no_furniture() -> None:
    two = page(1, "Store at 2 to 8 C.")[1:] + page(2, "Keep the log.")
    assert any("Page 1 of 3" in p.text for p in parse_text(two, "two.txt"))
