"""BibTeX reading lists: each work titled by its title, first author and year, its fields and the reader's
notes under it, every line citing itself."""

from __future__ import annotations

from pathlib import Path

from ingest.bibtex import is_bibtex
from ingest.parser import parse_text
from tests.conftest import ingest_one

BIB = r"""% Encoding: UTF-8

@String{tee = {Trends in Ecology \& Evolution}}

@Article{potts2010,
  author    = {Potts, Simon G. and Biesmeijer, Jacobus C. and Kremen, Claire and Neumann, Peter and
               Schweiger, Oliver and Kunin, William E.},
  title     = {{Global} pollinator declines: trends, impacts and drivers},
  journal   = tee,
  year      = {2010},
  pages     = {345--353},
  annote    = {Key review. Wild bee richness down 23\% in intensive farmland ($\sim$1,200 sites).
               Drivers: habitat loss, agrochemicals, pathogens, \textit{Bombus} most hit
               in NW Europe.
               EDIT: misread - it's 32\% not 23\%},
}

@Book{muller2018,
  author = {M{\"u}ller, Anna},
  title  = "Soil carbon methods",
  year   = 2018,
}

@Comment{jabref-meta: databaseType:bibtex;}
"""


def line_of(needle: str) -> int:
    return next(i for i, line in enumerate(BIB.split("\n"), 1) if needle in line)


def test_works_are_titles_over_their_fields_and_notes() -> None:
    got = [(p.line_start, p.line_end, p.section[1:], p.text) for p in parse_text(BIB, "pollinators.bib")]
    potts = "Global pollinator declines: trends, impacts and drivers (Potts et al. 2010)"
    muller = "Soil carbon methods (Müller 2018)"
    authors = (
        "Potts, Simon G. and Biesmeijer, Jacobus C. and Kremen, Claire and Neumann, Peter and Schweiger, Oliver and "
        "Kunin, William E."
    )
    assert got == [
        (line_of("@Article"), line_of("@Article"), (potts,), potts),
        # a field's further lines carry it on; a @String abbreviation reads as what it stands for
        (line_of("author    ="), line_of("Schweiger"), (potts,), f"author: {authors}"),
        (
            line_of("title     ="),
            line_of("title     ="),
            (potts,),
            "title: Global pollinator declines: trends, impacts and drivers",
        ),
        (line_of("journal"), line_of("journal"), (potts,), "journal: Trends in Ecology & Evolution"),
        (line_of("year      ="), line_of("year      ="), (potts,), "year: 2010"),
        (line_of("pages"), line_of("pages"), (potts,), "pages: 345–353"),
        # the reader's notes, line for line, a line starting in lower case carrying on the one above
        (
            line_of("Key review"),
            line_of("Key review"),
            (potts,),
            "Key review. Wild bee richness down 23% in intensive farmland (~1,200 sites).",
        ),
        (
            line_of("Drivers:"),
            line_of("in NW Europe"),
            (potts,),
            "Drivers: habitat loss, agrochemicals, pathogens, Bombus most hit in NW Europe.",
        ),
        (line_of("EDIT:"), line_of("EDIT:"), (potts,), "EDIT: misread - it's 32% not 23%"),
        (line_of("@Book"), line_of("@Book"), (muller,), muller),
        (line_of("M{"), line_of("M{"), (muller,), "author: Müller, Anna"),
        (line_of('"Soil'), line_of('"Soil'), (muller,), "title: Soil carbon methods"),
        (line_of("= 2018"), line_of("= 2018"), (muller,), "year: 2018"),
    ]


def test_bibtex_is_told_by_its_entries_not_by_a_handle() -> None:
    assert is_bibtex(BIB.split("\n"))
    # "@name (Full Name)" lines of saved social-media threads open no entry
    assert not is_bibtex(["@frugalfinn (Finn Adeyemi) - thread saved", "@taxtim (Tim, CTA) - thread saved"])


def test_reading_lists_are_ingested(tmp_path: Path) -> None:
    _, report = ingest_one(tmp_path, "pollinators.bib", BIB)
    assert report.counts["passages"] == 13, report.counts
