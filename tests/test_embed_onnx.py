"""OnnxEmbedder against sentence-transformers with the real packaged model and the real onnxruntime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kg.embed import TorchEmbedder
from kg.embed_onnx import OnnxEmbedder
from kg.qa.engine import Engine
from kg.settings import Settings

pytestmark = pytest.mark.slow

SENTENCES = [
    "What does the citric acid cycle produce?",
    "Define entropy.",
    "",
    "   ",
    "?",
    "Ünïcödé naïve café — déjà vu",
    "細胞呼吸はミトコンドリアで行われる。",
    "Привет, как дела?",
    "emoji 🚀🔥 in notes",
    "E = mc^2 and ∫ f(x) dx over [0, 1]",
    "The French Revolution began in 1789 with the storming of the Bastille.",
    "def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "Lecture 7, slide 12: Nash equilibrium in mixed strategies.",
    "a",
    "The mitochondria is the powerhouse of the cell. " * 3,
    "Newton's second law: F = ma.",
    "Kant distinguishes analytic from synthetic a priori judgements.",
    "HTTP/2 multiplexes streams over a single TCP connection.",
    # ~300 words: longer than max_seq_length (256 tokens), so truncation must match too.
    " ".join(f"study{i % 17} notes about topic {i}" for i in range(75)),
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def onnx_embedder(cache_dir: Path) -> OnnxEmbedder:
    return OnnxEmbedder.from_model(cache_dir=cache_dir)


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return TorchEmbedder().encode(SENTENCES)


def test_matches_sentence_transformers(onnx_embedder: OnnxEmbedder, torch_vectors: np.ndarray) -> None:
    # Small batches force different padding lengths than torch used; results must not depend on them.
    for batch_size in (64, 3):
        vecs = onnx_embedder.encode(SENTENCES, batch_size=batch_size)
        assert vecs.shape == (len(SENTENCES), 384) and vecs.dtype == np.float32
        cos = (vecs * torch_vectors).sum(axis=1)
        assert cos.min() >= 0.999, dict(zip(SENTENCES, cos, strict=True))


def test_unit_norm_and_deterministic(onnx_embedder: OnnxEmbedder) -> None:
    first = onnx_embedder.encode(SENTENCES)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(first, onnx_embedder.encode(SENTENCES))
    assert onnx_embedder.dim == 384
    assert onnx_embedder.encode([]).shape == (0, 384)


def test_second_load_reuses_cached_export(onnx_embedder: OnnxEmbedder, cache_dir: Path) -> None:
    onnx_file = cache_dir / "model.onnx"
    mapped = cache_dir / "model.mmap.onnx"  # the same graph, weights in model.mmap.onnx.data
    before = onnx_file.stat().st_mtime_ns, mapped.stat().st_mtime_ns
    again = OnnxEmbedder.from_model(cache_dir=cache_dir)
    assert again.path == mapped
    assert (onnx_file.stat().st_mtime_ns, mapped.stat().st_mtime_ns) == before
    assert not [p for p in cache_dir.iterdir() if p.name.endswith(".tmp") or p.name.startswith(".mmap-")]
    np.testing.assert_array_equal(again.encode(SENTENCES[:3]), onnx_embedder.encode(SENTENCES[:3]))


def test_weights_are_memory_mapped_not_copied(onnx_embedder: OnnxEmbedder, cache_dir: Path) -> None:
    # Server workers share one copy of the weights (the page cache) instead of one each in their heap.
    data = cache_dir / "model.mmap.onnx.data"
    assert data.stat().st_size > 80_000_000
    maps = Path("/proc/self/maps").read_text()
    assert str(data) in maps


def test_length_buckets_change_no_vector_and_keep_input_order(onnx_embedder: OnnxEmbedder) -> None:
    # Short texts are batched apart from long ones (no padding to the longest); every vector must still be
    # the one the text gets alone, in the order the texts were given.
    texts = [SENTENCES[-1], "a", SENTENCES[0], "word " * 400, "Define entropy.", SENTENCES[15]] * 3
    together = onnx_embedder.encode(texts, batch_size=4)
    alone = np.vstack([onnx_embedder.encode([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-6, rtol=0)
    np.testing.assert_allclose(onnx_embedder.encode(texts[::-1]), together[::-1], atol=1e-6, rtol=0)


def test_counts_the_tokens_it_embeds(onnx_embedder: OnnxEmbedder) -> None:
    before = onnx_embedder.tokens
    onnx_embedder.encode(["Define entropy.", "word " * 400])
    # [CLS] define entropy . [SEP] = 5; the long text is cut at max_seq_length = 256
    assert onnx_embedder.tokens - before == 5 + 256


def test_one_thread_gives_the_vectors_two_threads_give(onnx_embedder: OnnxEmbedder, cache_dir: Path) -> None:
    # answering embeds a question on one thread (KGQA_EMBED_THREADS): the vectors, and so the answers, are
    # the ones of two threads, one text at a time as a question is and in a batch as ingest embeds
    one = OnnxEmbedder.from_model(cache_dir=cache_dir, threads=1)
    two = OnnxEmbedder.from_model(cache_dir=cache_dir, threads=2)
    assert one.session.get_session_options().intra_op_num_threads == 1
    assert two.session.get_session_options().intra_op_num_threads == 2
    for text in SENTENCES:
        assert np.array_equal(one.encode([text]), two.encode([text])), text
    assert np.array_equal(one.encode(SENTENCES), two.encode(SENTENCES))


def test_the_engine_embeds_questions_with_the_configured_threads(settings: Settings) -> None:
    for threads in (1, 2):
        engine = Engine.load(settings.with_(embed_threads=threads))
        try:
            assert engine.embedder.session.get_session_options().intra_op_num_threads == threads
        finally:
            engine.close()


def test_word_pieces_match_sentence_transformers_in_the_same_pass(onnx_embedder: OnnxEmbedder) -> None:
    texts = [s for s in SENTENCES if s.strip()]
    vectors, pieces = onnx_embedder.encode_pieces(texts, batch_size=3)
    np.testing.assert_array_equal(vectors, onnx_embedder.encode(texts, batch_size=3))
    torch_vectors, torch_pieces = TorchEmbedder().encode_pieces(texts)
    assert (vectors * torch_vectors).sum(axis=1).min() >= 0.999
    for text, mine, theirs in zip(texts, pieces, torch_pieces, strict=True):
        assert mine.names == theirs.names and "[CLS]" not in mine.names and "[SEP]" not in mine.names, text
        assert mine.vectors.shape == (len(mine.names), 384) and mine.scales is None
        assert np.allclose(np.linalg.norm(mine.vectors, axis=1), 1.0, atol=1e-5)
        assert (mine.vectors * theirs.vectors).sum(axis=1).min() >= 0.999, text
    assert len(pieces[-1].names) == 254  # a text past max_seq_length: its 256 pieces read, markers left out
    _, coded = onnx_embedder.encode_pieces(texts[:4], int8=True)
    for exact, small in zip(pieces[:4], coded, strict=True):
        assert small.vectors.dtype == np.int8 and small.scales is not None
        assert np.abs(small.vectors * small.scales[:, None] - exact.vectors).max() < 0.005
