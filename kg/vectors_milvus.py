"""Passage vectors in Milvus through pymilvus' MilvusClient: Milvus Lite on a local file, or a server.

Each build of an index writes a collection of its own (``kgqa_<index name>_<build>``: passage id, notes
file, vector; exact FLAT search by COSINE), and records its name in the index folder's vectors.milvus.json.
Swapping the folder in swaps the collection; ``retire`` drops those of older builds.
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kg.errors import ConfigError, IndexNotReady
from kg.vectors import checked_upsert

log = logging.getLogger(__name__)
BATCH = 1000  # rows per upsert / get request
MAX_K = 16_384  # Milvus' largest search limit
CONNECT_TIMEOUT_S = 10.0
# one client per URI and process: Milvus Lite opens a file only once, and a gRPC channel does not survive
# fork (`kgqa serve` may ingest in gunicorn's master before forking the workers)
_clients: dict[tuple[int, str], Any] = {}


def client_uri(url: str) -> str:
    """What MilvusClient takes: a local .db path for Milvus Lite, the URL itself for a server."""
    if url.startswith("milvus-lite://"):
        path = url.removeprefix("milvus-lite://")
        if not path.endswith(".db"):
            raise ConfigError(f"KGQA_VECTOR_STORE={url!r}: a Milvus Lite file name must end in .db")
        return str(Path(path).resolve())
    if url.endswith(".db") and "://" not in url:
        return str(Path(url).resolve())
    return url


def connect(url: str) -> Any:
    uri = client_uri(url)
    key = (os.getpid(), uri)
    if key not in _clients:
        try:
            from pymilvus import MilvusClient
        except ImportError as exc:
            raise ConfigError(
                f"KGQA_VECTOR_STORE={url!r} needs pymilvus: pip install 'kgqa[milvus]' (pymilvus, milvus-lite)"
            ) from exc
        if "://" not in uri:
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        try:
            _clients[key] = MilvusClient(uri, timeout=CONNECT_TIMEOUT_S)
        except Exception as exc:  # pymilvus raises its own MilvusException / ConnectionConfigException
            # not ready rather than misconfigured: a replica may start before Milvus does (503, tried again)
            raise IndexNotReady(f"the vector store KGQA_VECTOR_STORE={url!r} cannot be reached: {exc}") from exc
    return _clients[key]


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _prefix(name: str) -> str:
    return "kgqa_" + (re.sub(r"[^A-Za-z0-9_]", "_", name).strip("_") or "index")[:100] + "_"


class MilvusIndex:
    META = "vectors.milvus.json"

    def __init__(self, url: str, folder: Path, name: str) -> None:
        self.url = url
        self.folder = folder
        self.client = connect(url)
        meta_path = folder / self.META
        if meta_path.exists():
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            self.collection = str(meta["collection"])
            if not self.client.has_collection(self.collection):
                raise FileNotFoundError(
                    f"Milvus collection {self.collection} named by {meta_path} is not in {url} "
                    "(dropped, or another Milvus): run `kgqa ingest --force`"
                )
            self.client.load_collection(self.collection)  # a restarted Milvus (Lite) holds it released
            self._known = True
        else:
            self.collection = _prefix(name) + uuid.uuid4().hex[:12]
            self._known = False  # created by the first upsert, which gives the dimension

    def _exists(self) -> bool:
        """Whether the collection is there; asked of Milvus only until it is (no round trip per search)."""
        if not self._known:
            self._known = bool(self.client.has_collection(self.collection))
        return self._known

    def _create(self, dim: int) -> None:
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=256)
        schema.add_field("file", DataType.VARCHAR, max_length=4096)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        params = self.client.prepare_index_params()
        params.add_index(field_name="vector", index_type="FLAT", metric_type="COSINE")  # exact, as FAISS
        self.client.create_collection(self.collection, schema=schema, index_params=params, consistency_level="Strong")
        self._known = True

    def __len__(self) -> int:
        if not self._exists():
            return 0
        rows = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        k = min(k, MAX_K)
        if k <= 0 or not self._exists():
            return []
        q = np.asarray(vector, dtype=np.float32).reshape(-1).tolist()
        hits = self.client.search(
            self.collection, data=[q], limit=k, output_fields=[], search_params={"metric_type": "COSINE"}
        )
        return [(str(h["id"]), float(h["distance"])) for h in hits[0]]

    def fetch(self, ids: Sequence[str]) -> np.ndarray:
        ids = list(ids)
        found: dict[str, list[float]] = {}
        if ids and self._exists():
            for i in range(0, len(ids), BATCH):
                for row in self.client.get(self.collection, ids=ids[i : i + BATCH], output_fields=["vector"]):
                    found[str(row["id"])] = row["vector"]
        missing = [pid for pid in ids if pid not in found]
        if missing:
            raise KeyError(missing[0])
        if not ids:
            return np.zeros((0, 0), dtype=np.float32)
        return np.asarray([found[pid] for pid in ids], dtype=np.float32)

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, files: Sequence[str]) -> None:
        vectors = checked_upsert(ids, vectors, files)
        if not self._exists():
            self._create(int(vectors.shape[1]))
        last = {pid: i for i, pid in enumerate(ids)}  # an id given twice: its last vector wins
        rows = [{"id": pid, "file": files[i], "vector": vectors[i].tolist()} for pid, i in last.items()]
        for i in range(0, len(rows), BATCH):
            self.client.upsert(self.collection, rows[i : i + BATCH])

    def _delete(self, **where: Any) -> int:
        if not self._exists():
            return 0
        res = self.client.delete(self.collection, **where)
        if isinstance(res, dict):  # pymilvus 2.x: {"delete_count": n}
            return int(res.get("delete_count", 0))
        return len(res)  # pymilvus 3: the deleted primary keys

    def delete(self, ids: Sequence[str]) -> int:
        ids = list(dict.fromkeys(ids))
        present = len(self.client.get(self.collection, ids=ids, output_fields=["id"])) if ids and self._exists() else 0
        if present:
            self._delete(ids=ids)
        return present

    def delete_file(self, file: str) -> int:
        return self._delete(filter=f"file == {_quote(file)}")

    def save(self) -> None:
        if not self._exists():
            raise ValueError("nothing to save: upsert the passage vectors first (it creates the collection)")
        self.client.flush(self.collection)
        meta = {"url": self.url, "collection": self.collection, "count": len(self)}
        (self.folder / self.META).write_text(json.dumps(meta, indent=1), encoding="utf-8")

    def drop(self) -> None:
        if self._exists():
            self.client.drop_collection(self.collection)
        self._known = False


def retire(url: str, keep: Sequence[Path]) -> None:
    """Drop every collection of the kept indexes' name prefix but the kept ones."""
    client = connect(url)
    kept: set[str] = set()
    for folder in keep:
        try:
            kept.add(str(json.loads((folder / MilvusIndex.META).read_text(encoding="utf-8"))["collection"]))
        except (OSError, ValueError, KeyError):
            continue
    prefixes = {c[: c.rstrip("_").rfind("_") + 1] for c in kept}
    for name in client.list_collections():
        if name not in kept and any(name.startswith(p) and "_" not in name[len(p) :] for p in prefixes):
            log.info("dropping the vectors of an earlier build: Milvus collection %s", name)
            client.drop_collection(name)
