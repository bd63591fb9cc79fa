"""Task lists in the todo.txt format: each task an item, its words first, its marks and dates after them."""

from __future__ import annotations

from ingest.markup import dialect
from ingest.parser import parse_text
from kg.model import BlockKind

TODO = """x 2025-01-03 2024-12-28 Charge + test all 8 batteries, retire no.6 +kit @studio
(A) 2025-03-02 Renew PL insurance £2m cover, quote £186/yr +admin @phone due:2025-04-01
2025-01-12 BACKUP +backup @ref
2025-01-12 3-2-1 = 3 copies of every file, on 2 different types of media, 1 copy off site +backup @ref
2025-01-12 Backup step 2: NAS pulls from the T7 overnight +backup @ref
(B) Post to Instagram - carousel Mon, reel Wed +marketing @phone rec:1w
"""


def test_each_task_is_an_item_its_words_first() -> None:
    got = {p.line_start: p for p in parse_text(TODO, "todo.txt")}
    assert len(got) == 6 and all(p.kind is BlockKind.ITEM for n, p in got.items() if n != 3)
    assert got[1].text == (
        "Charge + test all 8 batteries, retire no.6 +kit @studio (done 2025-01-03; added 2024-12-28)"
    )
    assert got[2].text.startswith("Renew PL insurance £2m cover")
    assert got[2].text.endswith("(added 2025-03-02; priority A)")
    # a task in capitals heads the tasks under it
    assert got[3].is_heading and got[3].text == "BACKUP"
    assert got[4].text.startswith("3-2-1 = 3 copies of every file") and got[4].section == ("BACKUP",)
    assert got[6].text.endswith("rec:1w (priority B)")


def test_a_list_is_told_by_its_marks_and_tags() -> None:
    assert dialect(TODO.splitlines()) == "todotxt"
    # dated lines of a journal, with no tags, are no task list
    journal = ["2025-01-03 walked the dog", "2025-01-04 rain all day", "2025-01-05 paid the rent", "2025-01-06 gym"]
    assert dialect(journal) != "todotxt"
