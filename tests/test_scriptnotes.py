"""SQL files kept as notes: comments read as lines of notes, banners as titles, SQL lines as written."""

from __future__ import annotations

from pathlib import Path

from ingest.parser import parse_text
from tests.conftest import ingest_one

SQL = """-- =========================================
-- ORDERS AND REFUNDS
-- =========================================

/*
 * NB: refunds over £500 need ops manager sign-off
 */

-- free delivery rule (web + app)
SELECT order_id,
       CASE WHEN basket_value >= 50 THEN 'free'   -- free over £50
            ELSE 'standard' END AS delivery_band
FROM orders;
--
-- CORRECTION: return window is 30 days not 28
/* one-line block: VAT is 20% */
"""


def test_comments_are_notes_and_banners_titles() -> None:
    got = {p.line_start: (p.section, p.text) for p in parse_text(SQL, "orders_and_refunds.sql")}
    title = "ORDERS AND REFUNDS"
    assert got[2] == ((title,), title)
    assert got[6] == ((title,), "NB: refunds over £500 need ops manager sign-off")
    assert got[9] == ((title,), "free delivery rule (web + app)")
    assert got[11][1] == "CASE WHEN basket_value >= 50 THEN 'free' -- free over £50"
    assert got[15] == ((title,), "CORRECTION: return window is 30 days not 28")
    assert got[16] == ((title,), "one-line block: VAT is 20%")
    assert not any(text in ("/*", "*/", "--") or text.startswith("=") for _, text in got.values())


def test_sql_files_are_ingested(tmp_path: Path) -> None:
    _, report = ingest_one(tmp_path, "orders_and_refunds.sql", SQL)
    assert report.counts["passages"] >= 8, report.counts
