"""One frozen settings object: defaults, overridden by KGQA_* environment variables.

Every field has a default and a help line; ``kgqa settings`` prints this table and the README documents it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any

# (name, default, help): the table is the single source for the dataclass, the env overrides and the docs.
SETTINGS_TABLE: list[tuple[str, Any, str]] = [
    ("notes_dir", "data/notes", "Folder of .txt/.md notes to ingest; citations name files relative to it."),
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
    ("host", "127.0.0.1", "Address `kgqa serve` binds to."),
    ("port", 8000, "Port `kgqa serve` listens on."),
    ("workers", 1, "gunicorn worker processes for `kgqa serve` (each loads the index: ~400 MB)."),
    ("threads", 4, "Request threads per worker process: a slow request does not hold up /healthz or others."),
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
        "Answers with a confidence under this say 'not in your notes'; negative: the threshold fitted by "
        "`make fit` (kg/qa/calibration.json).",
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


@dataclass(frozen=True)
class Settings:
    notes_dir: str = "data/notes"
    index_dir: str = "data/index"
    model: str = ""
    embed_backend: str = "onnx"
    triple_store: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    threads: int = 4
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

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def settings_help() -> str:
    """The settings as a Markdown table (README and ``kgqa settings``)."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, default, text in SETTINGS_TABLE:
        rows.append(f"| `{ENV_PREFIX}{name.upper()}` | `{default}` | {text} |")
    return "\n".join(rows)


assert [f.name for f in fields(Settings)] == [row[0] for row in SETTINGS_TABLE], "settings table out of sync"
