"""The ingest pipeline and `kgqa ingest` on small real notes folders: manifest, no-op re-ingest, atomic
builds, swap recovery and bad inputs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from api.cli import main
from ingest import pipeline
from ingest.pipeline import build_index
from kg.errors import IndexNotReady
from kg.qa.index import Index
from kg.settings import Settings

KGQA = Path(sys.executable).with_name("kgqa")
QUEUES = (
    "SQS: Simple Queue Service\n"
    "- Default retention of messages: 4 days, maximum of 14 days\n"
    "- Limitation of 256 KB per message sent\n"
    "SQS Pricing\n"
    "- Standard queue: $0.40 per 1 million requests\n"
)
TOPICS = "# SNS: Simple Notification Service\n- Up to 12,500,000 subscriptions per topic\n"


@pytest.fixture(autouse=True)
def _no_kgqa_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads KGQA_* variables: the developer's shell must not change these tests."""
    for name in list(os.environ):
        if name.startswith("KGQA_"):
            monkeypatch.delenv(name)


def make_notes(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def settings_for(notes: Path, index: Path) -> Settings:
    return Settings(notes_dir=str(notes), index_dir=str(index))


def manifest(index: Path) -> dict:
    return json.loads((index / "manifest.json").read_text(encoding="utf-8"))


def passage_texts(index: Path) -> list[str]:
    with (index / "passages.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh]


def leftovers(index: Path) -> list[str]:
    return sorted(p.name for p in index.parent.iterdir() if ".building-" in p.name or p.name.endswith(".old"))


@pytest.fixture()
def built(tmp_path: Path) -> tuple[Path, Path]:
    notes = make_notes(tmp_path / "notes", {"queues.md": QUEUES, "topics.txt": TOPICS})
    index = tmp_path / "index"
    report = build_index(settings_for(notes, index), progress=False)
    assert not report.up_to_date
    return notes, index


# ---- manifest and re-ingest ----


def test_manifest_records_model_dimensions_hashes_counts_and_time(built):
    notes, index = built
    m = manifest(index)
    assert "MiniLM" in m["model"] and m["dimensions"] == 384
    files = {f["path"]: f for f in m["files"]}
    assert set(files) == {"queues.md", "topics.txt"}
    for name, f in files.items():
        assert f["status"] == "ok"
        assert f["sha256"] == hashlib.sha256((notes / name).read_bytes()).hexdigest()
        assert f["passages"] > 0
    texts = passage_texts(index)
    assert m["counts"]["files"] == 2 and m["counts"]["passages"] == len(texts) == 7
    assert m["counts"]["facts"] >= 3 and m["counts"]["triples"] > 0
    assert time.strptime(m["built_at"], "%Y-%m-%dT%H:%M:%SZ")
    loaded = Index.load(index)
    assert len(loaded.passages) == len(loaded.vectors) == 7
    assert {s.label for s in loaded.services.values()} >= {"SQS", "SNS"}


def test_unchanged_notes_are_a_quick_no_op(built):
    notes, index = built
    before = manifest(index)
    mtimes = {p.name: p.stat().st_mtime_ns for p in index.iterdir()}
    t = time.perf_counter()
    report = build_index(settings_for(notes, index), progress=False)
    elapsed = time.perf_counter() - t
    assert report.up_to_date
    assert elapsed < 2.0
    assert report.counts == before["counts"]
    assert manifest(index) == before
    assert {p.name: p.stat().st_mtime_ns for p in index.iterdir()} == mtimes


@pytest.mark.parametrize("digest", ["counts_digest", "mentions_digest", "definitions_digest"])
def test_other_code_for_the_derived_files_is_not_up_to_date(built, monkeypatch, digest):
    """Code that writes counts.json, mentions.json or definitions.json changed: the next ingest writes them
    again (else every load would redo that work), from the files already parsed."""
    notes, index = built
    monkeypatch.setattr(f"ingest.pipeline.{digest}", lambda: "other-code")
    report = build_index(settings_for(notes, index), progress=False)
    assert not report.up_to_date
    assert report.changes["files_parsed"] == 0
    assert build_index(settings_for(notes, index), progress=False).up_to_date


def test_changing_adding_or_forcing_rebuilds(built):
    notes, index = built
    first = manifest(index)
    (notes / "queues.md").write_text(QUEUES + "- Maximum visibility timeout is 12 hours\n", encoding="utf-8")
    report = build_index(settings_for(notes, index), progress=False)
    assert not report.up_to_date
    changed = manifest(index)
    assert changed["fingerprint"] != first["fingerprint"]
    assert "Maximum visibility timeout is 12 hours" in passage_texts(index)

    make_notes(notes, {"more.md": "Kinesis Pricing\n- Shard hour: $0.015 per hour\n"})
    assert not build_index(settings_for(notes, index), progress=False).up_to_date
    assert "more.md" in {f["path"] for f in manifest(index)["files"]}

    assert build_index(settings_for(notes, index), progress=False).up_to_date
    assert not build_index(settings_for(notes, index), progress=False, force=True).up_to_date
    assert leftovers(index) == []


# ---- atomic builds ----


def _fail(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("injected failure")


@pytest.mark.parametrize(
    "target",
    ["ingest.pipeline.embed_passages", "kg.turtle.turtle_part", "kg.vectors.FaissIndex.save"],
    ids=["embedding", "graph", "writing-vectors"],
)
def test_a_failed_build_leaves_the_previous_index_intact(built, monkeypatch, target):
    notes, index = built
    before = manifest(index)
    (notes / "queues.md").write_text(QUEUES.replace("4 days", "5 days"), encoding="utf-8")
    monkeypatch.setattr(target, _fail)
    with pytest.raises(RuntimeError, match="injected failure"):
        build_index(settings_for(notes, index), progress=False)
    assert manifest(index) == before
    loaded = Index.load(index)
    assert any("4 days" in p.text for p in loaded.passages)
    assert not any("5 days" in p.text for p in loaded.passages)
    assert leftovers(index) == []
    monkeypatch.undo()
    # the failed build did not record the new notes as built
    assert not build_index(settings_for(notes, index), progress=False).up_to_date
    assert any("5 days" in t for t in passage_texts(index))


@pytest.mark.parametrize("via", ["load", "build"])
def test_interrupted_swap_is_recovered(built, via):
    notes, index = built
    before = manifest(index)
    old = index.with_name(index.name + ".old")
    os.replace(index, old)  # a build killed between its two renames
    if via == "load":
        loaded = Index.load(index)
        assert len(loaded.passages) == before["counts"]["passages"]
    else:
        assert build_index(settings_for(notes, index), progress=False).up_to_date
    assert manifest(index) == before
    assert not old.exists()


def test_temp_folder_of_a_killed_build_is_cleaned_up(built):
    notes, index = built
    stale = index.with_name(f".{index.name}.building-999999")
    stale.mkdir()
    (stale / "passages.jsonl").write_text("{}\n", encoding="utf-8")
    build_index(settings_for(notes, index), progress=False, force=True)
    assert leftovers(index) == []


# ---- bad inputs through the CLI ----

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
BAD_FILES = {
    "binary": ("diagram.md", PNG, "binary"),
    # Shift JIS: neither UTF-8 nor Windows-1252 ("\u3001" is 0x81 0x41, and 0x81 is no Windows-1252 character)
    "shift-jis": ("old.txt", "SQS\u3001 maximum 15 minutes\n".encode("shift_jis"), "UTF-8"),
    "empty": ("empty.md", b"", "empty"),
    "10 MB line": ("huge.txt", b"SQS " + b"x" * 10_000_000 + b"\n", "exceeds"),
    # notes in a format not read: said so, with what to do, not passed over in silence
    "pdf": ("lecture 3.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "pdftotext"),
    "old word": ("week 2.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "save it as .docx"),
    "password": ("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "password-protected"),
}


def ingest(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["ingest", *args, "--quiet"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_bad_file_is_skipped_with_a_warning_and_the_rest_builds(tmp_path, capsys, kind):
    name, data, reason = BAD_FILES[kind]
    notes = make_notes(tmp_path / "notes", {"queues.md": QUEUES, name: data})
    index = tmp_path / "index"
    code, out, err = ingest(capsys, str(notes), "--out", str(index))
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and name in warnings[0] and reason in warnings[0], err
    assert "Traceback" not in err
    assert out.startswith(f"built {index}")
    files = {f["path"]: f for f in manifest(index)["files"]}
    assert files[name]["status"] == "skipped" and reason in files[name]["reason"]
    assert files["queues.md"]["status"] == "ok"
    assert manifest(index)["counts"]["skipped_files"] == 1
    assert "Limitation of 256 KB per message sent" in passage_texts(index)


def test_a_file_saved_by_notepad_as_ansi_is_read(tmp_path, capsys):
    ansi = "Caf\u00e9 notes \u2013 SQS d\u00e9lai maximum 15 minutes, \u00a30.40 per million\r\n".encode("cp1252")
    notes = make_notes(tmp_path / "notes", {"queues.md": QUEUES, "old.txt": ansi})
    index = tmp_path / "index"
    code, _, err = ingest(capsys, str(notes), "--out", str(index))
    assert code == 0 and "warning" not in err, err
    assert "Caf\u00e9 notes \u2013 SQS d\u00e9lai maximum 15 minutes, \u00a30.40 per million" in passage_texts(index)


def test_only_bad_files_is_a_one_line_error(tmp_path, capsys):
    notes = make_notes(tmp_path / "notes", {name: data for name, data, _ in BAD_FILES.values()})
    index = tmp_path / "index"
    code, out, err = ingest(capsys, str(notes), "--out", str(index))
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0] == err.strip().splitlines()[-1]
    assert "nothing to ingest" in errors[0]
    assert all(name in errors[0] for name, _, _ in BAD_FILES.values())
    assert "Traceback" not in err and out == ""
    assert not index.exists()


def test_missing_notes_folder_is_an_error(tmp_path, capsys):
    code, out, err = ingest(capsys, str(tmp_path / "nowhere"), "--out", str(tmp_path / "index"))
    assert code == 1
    assert err.strip() == f"error: notes folder not found: {tmp_path / 'nowhere'}"
    assert out == ""


def test_ingest_validate_reports_shacl_conformance(built, capsys):
    notes, index = built
    code, out, err = ingest(capsys, str(notes), "--out", str(index), "--validate")
    assert code == 0, err
    assert out.startswith("index up to date") and "SHACL: conforms" in out


@pytest.mark.skipif(not KGQA.exists(), reason=f"console script {KGQA} is not installed")
def test_the_installed_command_never_prints_a_traceback(tmp_path):
    notes = make_notes(tmp_path / "notes", {"diagram.md": PNG})
    run = subprocess.run(
        [str(KGQA), "ingest", str(notes), "--out", str(tmp_path / "index"), "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("error: nothing to ingest")
    assert "diagram.md" in run.stderr

    make_notes(notes, {"queues.md": QUEUES})
    run = subprocess.run(
        [str(KGQA), "ingest", str(notes), "--out", str(tmp_path / "index"), "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert run.returncode == 0, run.stderr
    assert "warning: skipped diagram.md" in run.stderr and "Traceback" not in run.stderr


# ---- help texts ----


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        ([], ["ingest", "ask", "eval", "serve", "settings", "KGQA_"]),
        (["ingest"], ["notes_dir", "--out", "--force", "--validate", "--quiet"]),
        (["ask"], ["question", "--json", "--top-k", "--index"]),
        (["eval"], ["qa_file", "--min-accuracy", "--no-baselines"]),
        (["serve"], ["--host", "--port", "--workers", "--no-ingest"]),
        (["settings"], ["usage: kgqa settings"]),
    ],
)
def test_help_texts(capsys, argv, needles):
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: kgqa{' ' + argv[0] if argv else ''}")
    for needle in needles:
        assert needle in out


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: kgqa" in capsys.readouterr().out


def test_settings_lists_every_variable(capsys):
    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    assert "KGQA_NOTES_DIR" in out and "KGQA_TRIPLE_STORE" in out and "KGQA_MAX_LINE_CHARS" in out


def test_notes_files_are_found_recursively_but_hidden_ones_are_not(tmp_path):
    notes = make_notes(tmp_path / "notes", {"queues.md": QUEUES, "image.png": PNG})
    make_notes(notes / "sub", {"topics.markdown": TOPICS})
    make_notes(notes / ".git", {"COMMIT_EDITMSG.txt": "SQS: Simple Queue Service\n- secret\n"})
    found = [p.relative_to(notes).as_posix() for p in pipeline.note_files(notes)]
    assert found == ["queues.md", "sub/topics.markdown"]


# ---- links out of the notes folder, indexed sources only, index checksums ----


def test_a_link_out_of_the_notes_folder_is_skipped_and_reported(tmp_path, capsys):
    secret = tmp_path / "outside" / "hostname.txt"
    make_notes(secret.parent, {"hostname.txt": "SQS: Simple Queue Service\n- secret-host-7731 limit 5 GB\n"})
    notes = make_notes(tmp_path / "notes", {"queues.md": QUEUES})
    (notes / "x.txt").symlink_to(secret)
    (notes / "linked-dir").symlink_to(secret.parent, target_is_directory=True)
    (notes / "inside.txt").symlink_to(notes / "queues.md")  # a link that stays inside is followed
    index = tmp_path / "index"
    assert main(["ingest", str(notes), "--out", str(index), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "skipped x.txt: symbolic link leading outside the notes folder" in err
    assert not any("secret-host-7731" in t for t in passage_texts(index))
    files = {f["path"]: f["status"] for f in manifest(index)["files"]}
    assert files["x.txt"] == "skipped" and files["queues.md"] == "ok" and files["inside.txt"] == "ok"
    assert not any(name.startswith("linked-dir") and status == "ok" for name, status in files.items())


def test_source_serves_only_indexed_files(tmp_path):
    from api.app import create_app

    notes = make_notes(
        tmp_path / "notes",
        {"queues.md": QUEUES, ".env": "API_KEY=hunter2\n", "config.yaml": "password: hunter2\n"},
    )
    make_notes(notes / ".git", {"config": "[remote]\nurl = https://hunter2@example.org\n"})
    outside = make_notes(tmp_path / "outside", {"hostname.txt": "hunter2-host\n"}) / "hostname.txt"
    (notes / "x.txt").symlink_to(outside)
    index = tmp_path / "index"
    build_index(settings_for(notes, index), progress=False)
    client = create_app(settings_for(notes, index)).test_client()
    ok = client.get("/api/v1/source", query_string={"file": "queues.md", "start": 1})
    assert ok.status_code == 200 and ok.get_json()["source"] == "queues.md"
    for name in (".env", ".git/config", "config.yaml", "x.txt", "./queues.md"):
        response = client.get("/api/v1/source", query_string={"file": name, "start": 1})
        assert response.status_code == 404, name
        assert "hunter2" not in response.get_data(as_text=True)
    assert client.get("/api/v1/source", query_string={"file": "../outside/hostname.txt", "start": 1}).status_code == 403


def test_manifest_records_a_checksum_of_every_index_file(built):
    _notes, index = built
    sums = manifest(index)["sha256"]
    # every file of the index; the per-file cache folder is checked against file_cache.json, which is listed
    assert set(sums) == {p.name for p in index.iterdir() if p.is_file()} - {"manifest.json"}
    assert "file_cache.json" in sums
    for name, digest in sums.items():
        assert hashlib.sha256((index / name).read_bytes()).hexdigest() == digest


@pytest.mark.parametrize(
    ("bad_file", "damage"),
    [
        ("vectors.faiss", lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])),
        ("graph.ttl", lambda p: p.write_bytes(b"this is not turtle {{{\n")),
        ("manifest.json", lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])),
    ],
    ids=["truncated-vectors", "garbage-graph", "truncated-manifest"],
)
def test_ingest_rebuilds_a_corrupt_index_instead_of_calling_it_up_to_date(built, capsys, bad_file, damage):
    notes, index = built
    damage(index / bad_file)
    with pytest.raises(IndexNotReady, match=bad_file):
        Index.load(index)
    assert main(["ingest", str(notes), "--out", str(index), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("built ") and "up to date" not in out
    assert f"rebuilt the index: index file {bad_file}" in err
    assert len(Index.load(index).passages) == 7
    assert main(["ingest", str(notes), "--out", str(index), "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("index up to date")


def test_a_utf16_file_with_its_byte_order_mark_is_read_with_its_line_numbers(tmp_path, capsys):
    # Windows Notepad saves "Unicode" as UTF-16 with a byte-order mark: its NUL bytes make it no binary file
    text = "Kinesis\r\n  shard write: 1 MB/s\r\n  shard read: 2 MB/s\r\n"
    notes = make_notes(tmp_path / "notes", {"queues.md": QUEUES, "streams.txt": text.encode("utf-16")})
    index = tmp_path / "index"
    code, _, err = ingest(capsys, str(notes), "--out", str(index))
    assert code == 0 and "warning:" not in err, err
    files = {f["path"]: f for f in manifest(index)["files"]}
    assert files["streams.txt"]["status"] == "ok"
    rows = [json.loads(x) for x in (index / "passages.jsonl").read_text(encoding="utf-8").splitlines()]
    read = next(r for r in rows if r["text"] == "shard read: 2 MB/s")
    assert read["file"] == "streams.txt" and read["line_start"] == 3


def test_a_utf16_file_of_only_its_byte_order_mark_is_skipped_as_empty(tmp_path, capsys):
    notes = make_notes(tmp_path / "notes", {"queues.md": QUEUES, "blank.txt": "".encode("utf-16")})
    code, _, err = ingest(capsys, str(notes), "--out", str(tmp_path / "index"))
    assert code == 0 and "blank.txt" in err and "empty" in err, err
