"""The ``kgqa`` command: ingest notes, ask questions, evaluate, serve.

Every subcommand reads the same settings (KGQA_* environment variables, then flags) and prints a one-line
error with a non-zero exit code on failure, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from kg.errors import ConfigError, KgqaError
from kg.settings import Settings, settings_help

log = logging.getLogger("kgqa")

EPILOG = """examples:
  kgqa ingest                       build data/index from data/notes (no work when unchanged)
  kgqa ingest ~/notes --out /tmp/ix build another notes folder into another index
  kgqa ask "max lambda timeout"     answer with citations
  kgqa ask --json "what is an AMI"  the same Answer JSON the HTTP API returns
  kgqa eval data/eval/qa_dev.jsonl  answer/citation accuracy, abstention, latency, vs. BM25 and dense
  kgqa serve --port 8000            HTTP API, chat page and Slack command

settings come from KGQA_* environment variables; `kgqa settings` lists them."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kgqa",
        description="Knowledge-graph question answering over your study notes, offline, with line citations.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    ing = sub.add_parser("ingest", help="build the index (graph, vectors, passages) from a notes folder")
    ing.add_argument(
        "notes_dir",
        nargs="?",
        help="folder of .txt/.md/.org/.adoc/.rst/.html/.cook/.srt/.vtt notes and kin "
        "(.qmd, .mdx, .tex, .typ, .csv ...; default: KGQA_NOTES_DIR)",
    )
    ing.add_argument("--out", dest="index_dir", help="index folder to write (default: KGQA_INDEX_DIR)")
    ing.add_argument("--force", action="store_true", help="rebuild even when the notes are unchanged")
    ing.add_argument("--quiet", action="store_true", help="no progress bar")
    ing.add_argument("--validate", action="store_true", help="also check the graph against the SHACL shapes")

    ask = sub.add_parser("ask", help="answer a question from the index")
    ask.add_argument("question", nargs="+", help="the question, in plain words")
    ask.add_argument("--json", action="store_true", help="print the Answer as JSON")
    ask.add_argument("--top-k", type=int, default=None, help="citations to show (default: KGQA_TOP_K)")
    ask.add_argument("--index", dest="index_dir", help="index folder (default: KGQA_INDEX_DIR)")

    ev = sub.add_parser("eval", help="score answers and citations on a QA set (JSON lines)")
    ev.add_argument("qa_file", nargs="?", default="data/eval/qa_dev.jsonl", help="QA set (JSON lines)")
    ev.add_argument(
        "--corpora",
        type=Path,
        help="evaluate every corpus of a corpora file (data/eval/corpora.json): per corpus, pooled per split, "
        "with the reliability table; indexes are built into --cache",
    )
    ev.add_argument("--cache", type=Path, default=Path(".cache/eval"), help="index folder for --corpora")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument("--no-baselines", action="store_true", help="skip the BM25 and dense baselines")
    ev.add_argument("--min-accuracy", type=float, default=None, help="exit 1 if answer accuracy is lower")
    ev.add_argument("--index", dest="index_dir", help="index folder (default: KGQA_INDEX_DIR)")
    ev.add_argument("--notes", dest="notes_dir", help="notes folder (default: KGQA_NOTES_DIR)")

    srv = sub.add_parser("serve", help="serve the HTTP API, chat page and Slack command (gunicorn)")
    srv.add_argument("--host", default=None, help="bind address (default: KGQA_HOST)")
    srv.add_argument("--port", type=int, default=None, help="port (default: KGQA_PORT)")
    srv.add_argument("--workers", type=int, default=None, help="worker processes (default: KGQA_WORKERS)")
    srv.add_argument(
        "--proxy",
        dest="proxy",
        action="store_const",
        const="on",
        default=None,
        help="nginx in front of gunicorn (default: KGQA_PROXY=auto, on when nginx is installed)",
    )
    srv.add_argument("--no-proxy", dest="proxy", action="store_const", const="off", help="gunicorn alone")
    srv.add_argument("--no-ingest", action="store_true", help="do not build the index when missing or stale")
    srv.add_argument(
        "--watch",
        action="store_true",
        help="re-ingest the notes folder when it changes (polled every KGQA_WATCH_INTERVAL_S); "
        "the workers reload the new index without a restart",
    )

    sub.add_parser("settings", help="list the settings and their KGQA_* environment variables")
    return p


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        notes_dir=getattr(args, "notes_dir", None),
        index_dir=getattr(args, "index_dir", None),
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        workers=getattr(args, "workers", None),
        proxy=getattr(args, "proxy", None),
    )


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.pipeline import build_index

    settings = _settings(args)
    report = build_index(settings, force=args.force, progress=not args.quiet)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if report.up_to_date:
        print(
            f"index up to date: {report.index_dir} ({report.counts.get('passages', 0)} passages, "
            f"{report.counts.get('facts', 0)} facts; {report.timings_s['check'] * 1000:.0f} ms)"
        )
    else:
        c = report.counts
        print(
            f"built {report.index_dir}: {c['files']} file(s), {c['passages']} passages, {c['services']} services "
            f"(+{c['components']} components), {c['facts']} facts ({c['limits']} limits, {c['pricing']} pricing, "
            f"{c['features']} features), {c['triples']} triples in {report.timings_s['total']:.1f} s"
        )
        for line in describe_changes(report.changes):
            print("  " + line)
        print("  time: " + ", ".join(f"{k} {v:.2f}s" for k, v in report.timings_s.items() if k != "total"))
    if args.validate:
        from rdflib import Graph

        from kg.graph import validate

        g = Graph().parse(Path(report.index_dir) / "graph.ttl", format="turtle")
        ok, text = validate(g)
        print("SHACL: conforms" if ok else f"SHACL: does NOT conform\n{text}")
        return 0 if ok else 1
    return 0


def describe_changes(changes: dict[str, object]) -> list[str]:
    """What a build changed, for people: files by name, passages, facts and vectors by count."""
    if not changes:
        return []

    def files(key: str) -> str:
        names = changes.get(key) or []
        assert isinstance(names, list)
        shown = ", ".join(str(n) for n in names[:5]) + (f", ... ({len(names) - 5} more)" if len(names) > 5 else "")
        return f"{len(names)} {key.removeprefix('files_')}" + (f" ({shown})" if names else "")

    return [
        f"files: {files('files_added')}, {files('files_changed')}, {files('files_deleted')}",
        f"passages: +{changes.get('passages_added', 0)} -{changes.get('passages_removed', 0)}; "
        f"facts: +{changes.get('facts_added', 0)} -{changes.get('facts_removed', 0)}",
        f"vectors: {changes.get('vectors_embedded', 0)} embedded, {changes.get('line_vectors_embedded', 0)} of lines "
        f"alone ({changes.get('tokens_embedded', 0)} tokens), {changes.get('vectors_reused', 0)} reused",
    ]


def _print_answer(ans: object, as_json: bool) -> None:
    from kg.model import Answer

    assert isinstance(ans, Answer)
    if as_json:
        print(json.dumps(ans.to_json(), indent=2, ensure_ascii=False))
        return
    print(ans.answer)
    print(f"  (confidence {ans.confidence:.2f}{', not in your notes' if ans.abstained else ''})")
    for i, c in enumerate(ans.citations, 1):
        print(f"[{i}] {c.source}:{c.lines[0]}-{c.lines[1]}  {c.section}")
        for line in c.text.splitlines() or [""]:
            print(f"      > {line}")


def cmd_ask(args: argparse.Namespace) -> int:
    from kg.qa.engine import Engine

    engine = Engine.load(_settings(args))
    ans = engine.answer(" ".join(args.question), top_k=args.top_k)
    _print_answer(ans, args.json)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from kg.qa.engine import Engine
    from kg.qa.evaluate import format_report, run_eval

    settings = _settings(args)
    if args.corpora:
        from api.corpora import evaluate_corpora
        from kg.qa.evaluate import format_corpora_report

        many = evaluate_corpora(settings, args.corpora, args.cache, baselines=not args.no_baselines)
        print(json.dumps(many, indent=2) if args.json else format_corpora_report(many))
        return 0
    engine = Engine.load(settings)
    report = run_eval(engine, Path(args.qa_file), baselines=not args.no_baselines)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_report(report))
    if args.min_accuracy is not None and report["ours"]["answer_accuracy"] < args.min_accuracy:
        print(
            f"answer accuracy {report['ours']['answer_accuracy']:.3f} is under {args.min_accuracy:.3f}",
            file=sys.stderr,
        )
        return 1
    return 0


def check_access(settings: Settings) -> None:
    """Refuse to serve beyond loopback without API keys, unless that is asked for explicitly."""
    try:
        required = settings.api_key_required
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if required and not settings.api_keys():
        raise ConfigError(
            f"refusing to serve on {settings.host} without API keys: set {settings.api_keys_env}=<key>[,<key>...] "
            "(clients send `Authorization: Bearer <key>`), or KGQA_REQUIRE_API_KEY=off to serve an open API "
            "on purpose (e.g. behind your own authenticating proxy)"
        )
    if "*" in settings.host_names() or settings.loopback:
        return
    if settings.host_names() <= {"localhost", "127.0.0.1", "::1"}:
        log.warning("KGQA_ALLOWED_HOSTS lists loopback names only: set it to the names clients use for this host")


def cmd_serve(args: argparse.Namespace) -> int:
    from api.serve import serve
    from ingest.pipeline import build_index

    settings = _settings(args)
    check_access(settings)
    if not args.no_ingest:
        report = build_index(settings, progress=True)
        for warning in report.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"index {'up to date' if report.up_to_date else 'built'}: {report.index_dir}")
    print(f"serving on http://{settings.host}:{settings.port}  (Ctrl+C to stop)")
    serve(settings, watch=args.watch)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "settings":
        print(settings_help())
        return 0
    handler = {"ingest": cmd_ingest, "ask": cmd_ask, "eval": cmd_eval, "serve": cmd_serve}[args.command]
    try:
        return handler(args)
    except KgqaError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a traceback is a bug report, not a message for the user
        log.debug("unexpected error", exc_info=True)
        print(f"error: {type(exc).__name__}: {exc} (run with -v for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
