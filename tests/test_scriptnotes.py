"""Code files kept as notes (SQL, shell, PowerShell): comments read as lines of notes, banners as titles, code
lines as written."""

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


SHELL = """#!/usr/bin/env bash
set -euo pipefail
MAX_RETRIES=5   # retries for the health probe
##########################################
# ===== PODS =====
##########################################

# default grace period is 30s before SIGKILL
kubectl delete pod api-0 --grace-period=0 --force   # only when stuck in Terminating
kubectl rollout undo deploy/api \\
  --to-revision=3
# LIMITS
# max 110 pods per node
# UPDATE: retention cut to 7 days not 14
"""

POWERSHELL = """#Requires -Version 7
<#
  AD password policy
  min length 14, lockout after 5 bad attempts
#>
Get-ADDefaultDomainPasswordPolicy  # shows the current policy
"""


def test_shell_comments_are_notes_and_commands_lines_of_their_own() -> None:
    got = {p.line_start: (p.section, p.text, p.is_heading) for p in parse_text(SHELL, "k8s-cheats.sh")}
    assert got[5] == (("PODS",), "PODS", True)
    assert got[8][:2] == (("PODS",), "default grace period is 30s before SIGKILL")
    assert got[9][1] == "kubectl delete pod api-0 --grace-period=0 --force # only when stuck in Terminating"
    # a line of code is no title, and a shebang says nothing
    assert not any(heading and text.startswith(("set ", "MAX_", "kubectl")) for _, text, heading in got.values())
    assert 1 not in got
    # a title among the comments sits under the banner
    assert got[12] == (("PODS", "LIMITS"), "LIMITS", True)
    assert got[13][:2] == (("PODS", "LIMITS"), "max 110 pods per node")


def test_powershell_block_comments_are_notes() -> None:
    got = {p.line_start: p.text for p in parse_text(POWERSHELL, "windows-admin.ps1")}
    assert "min length 14, lockout after 5 bad attempts" in got.values()
    assert got[6] == "Get-ADDefaultDomainPasswordPolicy # shows the current policy"
    assert not any(text in ("<#", "#>") for text in got.values())


def test_shell_files_are_ingested(tmp_path: Path) -> None:
    _, report = ingest_one(tmp_path, "k8s-cheats.sh", SHELL)
    assert report.counts["passages"] >= 6, report.counts
