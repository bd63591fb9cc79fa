"""One frozen settings object: defaults, overridden by KGQA_* environment variables.

Every field has a default and a help line; ``kgqa settings`` prints this table and the README documents it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any

# (name, default, help): the table is the single source for the dataclass, the env overrides and the docs.
SETTINGS_TABLE: list[tuple[str, Any, str]] = [
    ("notes_dir", "data/notes", "Folder of .txt/.md/.org/.adoc notes to ingest; citations name files relative to it."),
    ("index_dir", "data/index", "Folder holding the built index (graph, vectors, passages, manifest)."),
    ("model", "", "Sentence-embedding model: a local folder; empty uses the packaged all-MiniLM-L6-v2."),
    (
        "embed_backend",
        "onnx",
        "Embedding runtime for passages (ingest) and queries: 'onnx' (fast, exported locally), 'torch', or "
        "'onnx-int8' (quantised: measured and not adopted, see docs/benchmarks.md).",
    ),
    (
        "triple_store",
        "",
        "Triple store URL: empty or 'oxigraph://' (embedded, in memory), 'oxigraph:///DIR' "
        "(embedded, on disk), or 'http://host:port' (a SPARQL 1.1 server such as `oxigraph serve`).",
    ),
    (
        "vector_store",
        "",
        "Vector index URL: empty or 'faiss://' (embedded FAISS, files in the index folder), "
        "'milvus-lite:///PATH.db' or a path ending in '.db' (Milvus Lite, one process), or "
        "'http://host:19530' (a Milvus server shared by replicas; `pip install kgqa[milvus]`).",
    ),
    (
        "search_threads",
        0,
        "Threads of one FAISS vector search (0: one per core). The exact scan is split into that many row "
        "ranges, each one BLAS thread: at 35,859 passages 2.8 ms against 4.9 ms on one thread on the quiet "
        "2-core machine, and no slower with two other processes busy (docs/benchmarks.md).",
    ),
    (
        "embed_threads",
        1,
        "ONNX threads of one question's embedding (0: two, or one on a one-core machine). One thread: at load "
        "average 4.7 on the 2-core machine 9.5 ms p50 against 17.9 ms with two, the same vectors "
        "(docs/benchmarks.md); request threads and workers give the parallelism. Ingest uses every core.",
    ),
    ("host", "127.0.0.1", "Address `kgqa serve` binds to."),
    ("port", 8000, "Port `kgqa serve` listens on."),
    (
        "workers",
        1,
        "gunicorn worker processes for `kgqa serve` (each loads the index: 130-170 MB PSS on the sample notes, "
        "the model weights shared; docs/benchmarks.md).",
    ),
    ("threads", 4, "Request threads per worker process: a slow request does not hold up /healthz or others."),
    (
        "reload_check_ms",
        1000,
        "Live reload: each server worker checks the index folder for a new build (a stat of manifest.json, at a "
        "request) at most this often, loads it in the background and swaps it in; 0: never (restart instead).",
    ),
    (
        "watch_interval_s",
        2.0,
        "`kgqa serve --watch`: how often the notes folder is polled; a change is re-ingested once the folder has "
        "stayed the same for one more interval.",
    ),
    (
        "proxy",
        "auto",
        "'on', 'off' or 'auto' (on when Debian's nginx is installed): `kgqa serve` puts nginx in front of "
        "gunicorn, which holds slow clients and passes whole requests on.",
    ),
    ("client_timeout_s", 10.0, "With the proxy: a client must send its headers (and body) within this many seconds."),
    (
        "api_keys_env",
        "KGQA_API_KEYS",
        "Name of the environment variable holding the API keys, comma-separated (the keys are never stored).",
    ),
    (
        "require_api_key",
        "auto",
        "'on', 'off' or 'auto': on unless bound to loopback. When on, /api/v1 needs `Authorization: Bearer <key>`.",
    ),
    ("rate_limit", "120/minute", "Requests to /api/v1 per API key (or per address without one); 'off': no limit."),
    (
        "auth_fail_limit",
        "10/minute",
        "Wrong API keys accepted per client address; past it the address gets HTTP 429 with Retry-After, even "
        "with a right key, until the window passes (moving window, same storage as the rate limit); 'off': none.",
    ),
    (
        "rate_limit_storage",
        "memory://",
        "Where rate-limit counters live: 'memory://' (per worker process) or a Redis URL 'redis://host:port' "
        "shared by several workers and replicas.",
    ),
    (
        "allowed_hosts",
        "localhost,127.0.0.1,::1",
        "Host header values accepted (comma-separated, port ignored; '*' any); others are HTTP 400.",
    ),
    ("top_k", 5, "Citations returned with an answer."),
    ("max_question_chars", 1000, "Longer questions are refused with HTTP 413."),
    ("sparql_max_chars", 10_000, "Longer SPARQL queries are refused with HTTP 413."),
    (
        "sparql_timeout_s",
        10.0,
        "A SPARQL query running longer is stopped (its sandbox process is killed and restarted): HTTP 503.",
    ),
    (
        "sparql_max_rows",
        10_000,
        "SPARQL results stop after this many rows or triples; the reply says so in a KGQA-Truncated header.",
    ),
    (
        "sparql_max_memory_mb",
        1024,
        "Address-space limit of each SPARQL sandbox process; a query needing more is stopped: HTTP 503.",
    ),
    ("sparql_workers", 1, "SPARQL sandbox processes per server worker (each holds a copy of the graph)."),
    ("max_line_chars", 100_000, "Ingest skips a notes file with a longer line, with a warning."),
    (
        "abstain_threshold",
        -1.0,
        "Answers with a confidence under this say 'not in your notes'; negative: the thresholds fitted by "
        "`make fit`, one for each kind of answer asked for (kg/qa/calibration.json).",
    ),
    (
        "slack_signing_secret_env",
        "SLACK_SIGNING_SECRET",
        "Name of the environment variable holding the Slack signing secret (the secret is never stored).",
    ),
    ("slack_command", "/ask", "Slash command the Slack app registers."),
    ("log_level", "INFO", "Logging level for the CLI and the server."),
]

ENV_PREFIX = "KGQA_"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Settings:
    notes_dir: str = "data/notes"
    index_dir: str = "data/index"
    model: str = ""
    embed_backend: str = "onnx"
    triple_store: str = ""
    vector_store: str = ""
    search_threads: int = 0
    embed_threads: int = 1
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    threads: int = 4
    reload_check_ms: int = 1000
    watch_interval_s: float = 2.0
    proxy: str = "auto"
    client_timeout_s: float = 10.0
    api_keys_env: str = "KGQA_API_KEYS"
    require_api_key: str = "auto"
    rate_limit: str = "120/minute"
    auth_fail_limit: str = "10/minute"
    rate_limit_storage: str = "memory://"
    allowed_hosts: str = "localhost,127.0.0.1,::1"
    top_k: int = 5
    max_question_chars: int = 1000
    sparql_max_chars: int = 10_000
    sparql_timeout_s: float = 10.0
    sparql_max_rows: int = 10_000
    sparql_max_memory_mb: int = 1024
    sparql_workers: int = 1
    max_line_chars: int = 100_000
    abstain_threshold: float = -1.0
    slack_signing_secret_env: str = "SLACK_SIGNING_SECRET"
    slack_command: str = "/ask"
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``KGQA_<NAME>`` variables, then explicit overrides (CLI flags, test config)."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            default = f.default
            try:
                if isinstance(default, bool):
                    values[f.name] = raw.strip().lower() in {"1", "true", "yes", "on"}
                elif isinstance(default, int):
                    values[f.name] = int(raw)
                elif isinstance(default, float):
                    values[f.name] = float(raw)
                else:
                    values[f.name] = raw
            except ValueError as exc:
                raise ValueError(
                    f"{ENV_PREFIX}{f.name.upper()}={raw!r} is not a valid {type(default).__name__}"
                ) from exc
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def loopback(self) -> bool:
        """Bound to a loopback address only (then API keys are off by default)."""
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")

    @property
    def behind_proxy(self) -> bool:
        """`kgqa serve` runs nginx in front (the app then trusts one X-Forwarded-For hop)."""
        return self.proxy.strip().lower() in {"on", "true", "1", "yes"}

    @property
    def api_key_required(self) -> bool:
        mode = self.require_api_key.strip().lower()
        if mode not in {"auto", "on", "off"}:
            raise ValueError(f"KGQA_REQUIRE_API_KEY={self.require_api_key!r}: use 'auto', 'on' or 'off'")
        return mode == "on" or (mode == "auto" and not self.loopback)

    def api_keys(self) -> frozenset[str]:
        """The API keys, read from the environment now (never kept on this object)."""
        raw = os.environ.get(self.api_keys_env, "")
        return frozenset(key.strip() for key in raw.split(",") if key.strip())

    def host_names(self) -> frozenset[str]:
        return frozenset(h.strip().lower().strip("[]") for h in self.allowed_hosts.split(",") if h.strip())

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def settings_help() -> str:
    """The settings as a Markdown table (README and ``kgqa settings``)."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, default, text in SETTINGS_TABLE:
        rows.append(f"| `{ENV_PREFIX}{name.upper()}` | `{default}` | {text} |")
    return "\n".join(rows)


assert [f.name for f in fields(Settings)] == [row[0] for row in SETTINGS_TABLE], "settings table out of sync"
