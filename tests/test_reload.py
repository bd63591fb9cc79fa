"""Live reload in one process (Flask test client): a new build of the index folder is served without a new app,
the build that answered is named in every reply, and an index from before generations still gets one."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from api.app import GENERATION_HEADER, create_app
from ingest.pipeline import build_index
from kg.manifest import MANIFEST
from kg.settings import Settings

PROSE = Path(__file__).resolve().parent / "fixtures" / "notes_prose"
QUESTION = "what is the maximum message retention of quokka queue"


def small_index(tmp_path: Path) -> Settings:
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(PROSE / "07-elasticache.md", notes / "07-elasticache.md")
    settings = Settings(notes_dir=str(notes), index_dir=str(tmp_path / "index"), reload_check_ms=1, rate_limit="off")
    build_index(settings, progress=False)
    return settings


def test_a_new_build_is_answered_from_without_a_new_app(tmp_path: Path) -> None:
    settings = small_index(tmp_path)
    client = create_app(settings).test_client()
    first = client.post("/api/v1/ask", json={"question": QUESTION})
    assert first.status_code == 200 and first.json["abstained"]
    old = first.headers[GENERATION_HEADER]
    assert client.get("/readyz").json["generation"] == old

    (Path(settings.notes_dir) / "08-quokka.md").write_text(
        "# Quokka Queue\n\nQuokka Queue is a managed message queue service.\n\n- Maximum message retention: 23 days\n",
        encoding="utf-8",
    )
    build_index(settings, progress=False)
    new = json.loads((Path(settings.index_dir) / MANIFEST).read_text(encoding="utf-8"))["generation"]
    assert new != old
    deadline = time.monotonic() + 60
    reply = first
    while time.monotonic() < deadline and reply.headers[GENERATION_HEADER] != new:
        time.sleep(0.05)
        reply = client.post("/api/v1/ask", json={"question": QUESTION})
        assert reply.status_code == 200  # the old build answers until the new one is loaded
    assert reply.headers[GENERATION_HEADER] == new
    assert "23 days" in reply.json["answer"] and reply.json["citations"][0]["source"] == "08-quokka.md"
    ready = client.get("/readyz").json
    assert ready["generation"] == new and ready["files"] == 2 and "warnings" not in ready


def test_an_index_without_a_recorded_generation_gets_one_from_its_checksums(tmp_path: Path) -> None:
    settings = small_index(tmp_path)
    manifest_path = Path(settings.index_dir) / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    del manifest["generation"]  # as written by kgqa before generations
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    client = create_app(settings.with_(reload_check_ms=0)).test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert (
        ready.json["generation"].startswith("sha256-") and ready.headers[GENERATION_HEADER] == ready.json["generation"]
    )
