"""One conformance suite for every VectorIndex backend: embedded FAISS and Milvus Lite on a temporary file.

Each backend holds the sample notes' real passage vectors and must rank like exact FAISS (IndexFlatIP) on real
questions; deleting a file's passages, replacing a vector, an empty index and k past the end behave the same.
Then ingest and answering end to end with KGQA_VECTOR_STORE set to Milvus Lite.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from ingest.pipeline import build_index
from kg.errors import ConfigError, IndexNotReady
from kg.qa.engine import Engine
from kg.settings import SETTINGS_TABLE, Settings
from kg.vectors import FaissIndex, VectorIndex, open_vectors, vector_kind
from kg.vectors_faiss import scan, top_rows

BACKENDS = ["faiss", "milvus-lite"]
QUESTIONS = 30
TOP = 10
TOL = 1e-4
SAMPLE_FILE = "aws-developer-associate-notes.txt"


class Sample:
    """The sample notes' passage ids, files and vectors, and real questions' query vectors."""

    def __init__(self, ids: list[str], files: list[str], matrix: np.ndarray, queries: np.ndarray) -> None:
        self.ids, self.files, self.matrix, self.queries = ids, files, matrix, queries

    def exact(self, q: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Exact FAISS inner-product search over the same vectors: the reference every backend matches."""
        import faiss

        flat = faiss.IndexFlatIP(self.matrix.shape[1])
        flat.add(self.matrix)
        scores, rows = flat.search(q.reshape(1, -1).astype(np.float32), k)
        return [(self.ids[r], float(s)) for s, r in zip(scores[0], rows[0], strict=True) if r >= 0]


@pytest.fixture(scope="session")
def sample(index_dir: Path, engine: Engine) -> Sample:
    """Built once per session from the shared sample index (conftest), with the dev set's first questions."""
    with (index_dir / "passages.jsonl").open(encoding="utf-8") as fh:
        passages = [json.loads(line) for line in fh]
    matrix = FaissIndex.load(index_dir).fetch([p["id"] for p in passages])
    root = Path(__file__).resolve().parent.parent
    with (root / "data" / "eval" / "qa_dev.jsonl").open(encoding="utf-8") as fh:
        questions = [json.loads(line)["question"] for line in fh][:QUESTIONS]
    queries = np.vstack([engine.embed(q) for q in questions]).astype(np.float32)
    return Sample([p["id"] for p in passages], [p["file"] for p in passages], matrix, queries)


@pytest.fixture(scope="session")
def milvus_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A Milvus Lite database file for the session (each test gets a collection of its own)."""
    path = tmp_path_factory.mktemp("milvus") / "vectors.db"
    try:
        from kg.vectors_milvus import connect

        connect(str(path)).list_collections()
    except Exception as exc:  # only when milvus_lite cannot start on this machine
        pytest.skip(f"Milvus Lite cannot start here ({exc!r}): pip install pymilvus milvus-lite")
    return str(path)


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest) -> str:
    return "" if request.param == "faiss" else str(request.getfixturevalue("milvus_db"))


@pytest.fixture()
def new_index(store_url: str, tmp_path: Path) -> Callable[[], VectorIndex]:
    """Opens an empty vector index of the backend in a fresh index folder."""
    count = iter(range(1000))

    def make() -> VectorIndex:
        folder = tmp_path / f"index{next(count)}"
        folder.mkdir()
        return open_vectors(store_url, folder)

    return make


@pytest.fixture()
def filled(new_index: Callable[[], VectorIndex], sample: Sample) -> VectorIndex:
    index = new_index()
    index.upsert(sample.ids, sample.matrix, sample.files)
    index.save()
    return index


def assert_same_ranking(got: list[tuple[str, float]], want: list[tuple[str, float]], sample: Sample, q: np.ndarray):
    """Same ids in the same order and scores within TOL; two passages with equal scores may swap."""
    assert len(got) == len(want)
    exact = dict(zip(sample.ids, (sample.matrix @ q).tolist(), strict=True))
    for (gid, gscore), (wid, wscore) in zip(got, want, strict=True):
        assert abs(gscore - wscore) < TOL, (gid, gscore, wid, wscore)
        assert gid == wid or abs(exact[gid] - wscore) < 1e-6, f"{gid} ranked where exact search has {wid}"
    assert len({pid for pid, _ in got}) == len(got)


# ---- conformance: every backend ----


def test_search_matches_exact_faiss_on_real_questions(filled: VectorIndex, sample: Sample) -> None:
    assert len(filled) == len(sample.ids)
    for q in sample.queries:
        assert_same_ranking(filled.search(q, TOP), sample.exact(q, TOP), sample, q)


def test_saved_index_reopens_with_the_same_results(filled: VectorIndex, store_url: str, sample: Sample) -> None:
    folder = filled.folder  # type: ignore[attr-defined]
    again = open_vectors(store_url, folder)
    assert len(again) == len(sample.ids)
    for q in sample.queries[:5]:
        assert_same_ranking(again.search(q, TOP), sample.exact(q, TOP), sample, q)


def test_a_released_milvus_collection_is_loaded_again_on_open(milvus_db: str, tmp_path: Path, sample: Sample) -> None:
    """A new process (a replica starting, Milvus restarted) finds the collection released: open loads it."""
    from kg.vectors_milvus import connect

    index = open_vectors(milvus_db, tmp_path)
    index.upsert(sample.ids, sample.matrix, sample.files)
    index.save()
    connect(milvus_db).release_collection(index.collection)  # type: ignore[attr-defined]
    again = open_vectors(milvus_db, tmp_path)
    q = sample.queries[0]
    assert_same_ranking(again.search(q, TOP), sample.exact(q, TOP), sample, q)


def test_fetch_returns_the_stored_vectors_in_the_order_asked(filled: VectorIndex, sample: Sample) -> None:
    order = [5, 0, 42, 7]
    got = filled.fetch([sample.ids[i] for i in order])
    assert got.shape == (4, sample.matrix.shape[1])
    np.testing.assert_allclose(got, sample.matrix[order], atol=1e-6)
    with pytest.raises(KeyError, match="no-such-passage"):
        filled.fetch([sample.ids[0], "no-such-passage"])


def test_delete_file_removes_only_that_files_passages(filled: VectorIndex, sample: Sample) -> None:
    extra_ids = [f"extra-{i}" for i in range(40)]
    filled.upsert(extra_ids, sample.matrix[:40], ["extra.md"] * 40)
    filled.save()
    assert len(filled) == len(sample.ids) + 40
    hits = {pid for pid, _ in filled.search(sample.matrix[3], 5)}
    assert "extra-3" in hits  # the copy of passage 3 ranks with it

    assert filled.delete_file("extra.md") == 40
    filled.save()
    assert len(filled) == len(sample.ids)
    for q in sample.queries[:10]:
        assert_same_ranking(filled.search(q, TOP), sample.exact(q, TOP), sample, q)
    assert filled.delete_file("extra.md") == 0
    assert filled.delete_file(SAMPLE_FILE) == len(sample.ids)
    filled.save()
    assert len(filled) == 0 and filled.search(sample.queries[0], TOP) == []


def test_delete_by_id(filled: VectorIndex, sample: Sample) -> None:
    q = sample.queries[0]
    first, second = (pid for pid, _ in sample.exact(q, 2))
    assert filled.delete([first, "not-stored"]) == 1
    filled.save()
    hits = filled.search(q, TOP)
    assert first not in {pid for pid, _ in hits} and hits[0][0] == second
    assert len(filled) == len(sample.ids) - 1


def test_upsert_replaces_the_old_vector(filled: VectorIndex, sample: Sample) -> None:
    q = sample.queries[1]
    top = sample.exact(q, 1)[0][0]
    far = int(np.argmin(sample.matrix @ q))  # the passage least like the question
    target = sample.ids[far]
    filled.upsert([target], q.reshape(1, -1), [SAMPLE_FILE])  # now it IS the question
    filled.upsert([sample.ids[0]], sample.matrix[:1], [SAMPLE_FILE])  # same vector again: no change
    filled.save()
    assert len(filled) == len(sample.ids)  # replaced, not added
    hits = filled.search(q, 3)
    assert hits[0][0] == target and hits[0][1] == pytest.approx(1.0, abs=TOL)
    assert hits[1][0] == top
    np.testing.assert_allclose(filled.fetch([target])[0], q, atol=1e-6)


def test_empty_index(new_index: Callable[[], VectorIndex], sample: Sample) -> None:
    index = new_index()
    assert len(index) == 0
    assert index.search(sample.queries[0], TOP) == []
    assert index.delete_file(SAMPLE_FILE) == 0 and index.delete(["p-1"]) == 0
    assert index.fetch([]).shape[0] == 0
    index.upsert([], np.zeros((0, sample.matrix.shape[1]), dtype=np.float32), [])
    assert len(index) == 0 and index.search(sample.queries[0], TOP) == []


def test_k_larger_than_the_index_gives_every_passage_best_first(
    new_index: Callable[[], VectorIndex], sample: Sample
) -> None:
    index = new_index()
    index.upsert(sample.ids[:3], sample.matrix[:3], [SAMPLE_FILE] * 3)
    index.save()
    q = sample.queries[2]
    hits = index.search(q, 50)
    assert sorted(pid for pid, _ in hits) == sorted(sample.ids[:3])
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)
    np.testing.assert_allclose(scores, sorted((sample.matrix[:3] @ q).tolist(), reverse=True), atol=TOL)
    assert index.search(q, 0) == []


def test_equal_scores_are_returned_in_row_order() -> None:
    scores = np.array([0.5, 0.9, 0.5, 0.7, 0.5, 0.9], dtype=np.float32)
    assert top_rows(scores, 2) == [1, 5]
    assert top_rows(scores, 4) == [1, 5, 3, 0]  # three rows tie for fourth: the first of them
    assert top_rows(scores, 10) == [1, 5, 3, 0, 2, 4]
    assert top_rows(scores[:0], 3) == []


def test_a_scan_split_across_threads_gives_every_row_the_same_score() -> None:
    rng = np.random.default_rng(7)
    matrix = rng.standard_normal((33_131, 384)).astype(np.float32)
    q = rng.standard_normal(384).astype(np.float32)
    with threadpool_limits(1, user_api="blas"):  # as set_search_threads sets it
        whole = scan(matrix, q, 1)
        for parts in (2, 3, 5, 8):
            assert np.array_equal(scan(matrix, q, parts), whole), parts
    assert np.allclose(whole, matrix @ q.astype(np.float64), atol=1e-3)


def test_faiss_search_after_upserts_reads_the_moved_storage(sample: Sample) -> None:
    """Growing the index may move FAISS's storage: each search must read where the vectors are now."""
    index = FaissIndex.build(sample.matrix[:5], sample.ids[:5], [SAMPLE_FILE] * 5)
    assert [pid for pid, _ in index.search(sample.queries[0], 10)] != []
    index.upsert(sample.ids[5:], sample.matrix[5:], [SAMPLE_FILE] * (len(sample.ids) - 5))
    q = sample.queries[0]
    assert_same_ranking(index.search(q, TOP), sample.exact(q, TOP), sample, q)


# ---- the factory and the setting ----


@pytest.mark.parametrize(
    ("url", "kind"),
    [("", "faiss"), ("faiss://", "faiss"), ("milvus-lite:///tmp/v.db", "milvus"), ("data/v.db", "milvus")]
    + [("http://milvus:19530", "milvus"), ("https://milvus.example:443", "milvus")],
)
def test_store_urls(url: str, kind: str) -> None:
    assert vector_kind(url) == kind


@pytest.mark.parametrize("url", ["qdrant://x", "faiss:///x", "vectors.sqlite", "milvus://host"])
def test_unknown_store_url_is_a_clear_error(url: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        open_vectors(url, tmp_path)
    text = str(err.value)
    assert url in text and "faiss://" in text and ".db" in text and "http://host:19530" in text


def test_an_unreachable_milvus_server_is_not_ready_yet(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(IndexNotReady, match=f"KGQA_VECTOR_STORE='{url}' cannot be reached"):
        open_vectors(url, tmp_path)


def test_setting_is_documented() -> None:
    help_text = next(text for name, _default, text in SETTINGS_TABLE if name == "vector_store")
    assert "faiss" in help_text and "milvus-lite" in help_text.lower() and "19530" in help_text
    assert Settings.from_env({"KGQA_VECTOR_STORE": "http://m:19530"}).vector_store == "http://m:19530"
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "KGQA_VECTOR_STORE" in readme


# ---- ingest and answering on Milvus Lite ----

NOTES = (
    "SQS: Simple Queue Service\n"
    "- Default retention of messages: 4 days, maximum of 14 days\n"
    "- Limitation of 256 KB per message sent\n"
    "SNS: Simple Notification Service\n"
    "- Up to 12,500,000 subscriptions per topic\n"
)


@pytest.fixture()
def small_notes(tmp_path: Path) -> Iterator[Path]:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "queues.md").write_text(NOTES, encoding="utf-8")
    yield notes


def test_ingest_and_answer_on_milvus_lite(small_notes: Path, milvus_db: str, tmp_path: Path) -> None:
    faiss_settings = Settings(notes_dir=str(small_notes), index_dir=str(tmp_path / "faiss-index"))
    milvus_settings = Settings(
        notes_dir=str(small_notes), index_dir=str(tmp_path / "milvus-index"), vector_store=milvus_db
    )
    build_index(faiss_settings, progress=False)
    build_index(milvus_settings, progress=False)
    milvus_index = tmp_path / "milvus-index"
    assert (milvus_index / "vectors.milvus.json").exists() and not (milvus_index / "vectors.faiss").exists()

    question = "how long are SQS messages kept at most"
    a = Engine.load(faiss_settings).answer(question)
    b = Engine.load(milvus_settings).answer(question)
    assert b.citations and b.citations[0].lines == (2, 2)
    assert b.answer == a.answer and [c.lines for c in b.citations] == [c.lines for c in a.citations]
    assert b.confidence == pytest.approx(a.confidence, abs=1e-6)

    # the index on Milvus is not served by FAISS (nor the other way): a clear "not ready" naming the file
    with pytest.raises(IndexNotReady, match="vectors.faiss"):
        Engine.load(Settings(index_dir=str(milvus_index)))


def test_rebuilds_keep_the_served_collection_and_drop_older_ones(
    small_notes: Path, milvus_db: str, tmp_path: Path
) -> None:
    from kg.vectors_milvus import connect

    settings = Settings(notes_dir=str(small_notes), index_dir=str(tmp_path / "kb"), vector_store=milvus_db)
    names = []
    for _ in range(3):
        build_index(settings, progress=False, force=True)
        names.append(json.loads((tmp_path / "kb" / "vectors.milvus.json").read_text())["collection"])
    assert len(set(names)) == 3
    live = {c for c in connect(milvus_db).list_collections() if c.startswith("kgqa_kb_")}
    assert live == set(names[1:])  # the new build and the one replicas may still serve
    assert len(Engine.load(settings).index.vectors) == 5
