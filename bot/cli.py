"""Command line: `ask`, `chat`, `check`, `run` and `export-local`, thin wrappers over the engine,
the store and the app.

Library errors become one clear message and exit code 1 here, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.answers.engine import Engine
from bot.answers.knowledge import DEFAULT_DIR, KnowledgeError, KnowledgeErrors


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--knowledge", metavar="DIR", type=Path, default=None,
        help=f"knowledge base directory (default: {DEFAULT_DIR.name}/ next to the code)",
    )
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Answer members' questions from a sourced knowledge base; run the Telegram bot.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ask = sub.add_parser("ask", parents=[common], help="answer a question and print the reply")
    ask.add_argument("question", nargs="*", help="the question (reads stdin, one per line, if none)")
    ask.add_argument("--json", action="store_true",
                     help="one JSON object per question (question, answered, fact, score, text, "
                          "sources, suggestions)")
    sub.add_parser("chat", parents=[common], help="ask questions interactively")
    check = sub.add_parser("check", parents=[common], help="validate a knowledge base")
    check.add_argument("directory", nargs="?", type=Path, help="knowledge directory to check")
    sub.add_parser("run", parents=[common], help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    export = sub.add_parser("export-local", parents=[common],
                            help="write organisers' facts and approved phrasings as knowledge/ YAML")
    export.add_argument("--data", metavar="DIR", type=Path, required=True,
                        help="the bot's DATA_DIR (holding bot.sqlite3)")
    export.add_argument("out", metavar="OUT", type=Path,
                        help="a new directory: knowledge/ plus the additions")
    return parser


def _export_local(knowledge: Path, data: Path, out: Path, stdout: TextIO, stderr: TextIO) -> int:
    """`export-local`: the database's additions folded into a copy of the knowledge base."""
    from bot.answers.export import ExportError, export_local
    from bot.storage import Store, StoreError

    database = data / "bot.sqlite3"
    if not database.is_file():
        stderr.write(f"error: no bot database at {database}\n")
        return 1
    try:
        with Store(database) as store:
            written = store.live_facts()
            approved: dict[str, list[str]] = {}
            for learned in store.approved_phrasings():
                approved.setdefault(learned.fact_id, []).append(learned.phrasing)
        notes = export_local(knowledge, out, written, approved)
    except (ExportError, StoreError) as exc:
        stderr.write(f"error: {exc}\n")
        return 1
    for note in notes:
        stderr.write(f"note: {note}\n")
    stdout.write(f"{out}: OK: {len(written)} organiser fact(s), "
                 f"{sum(map(len, approved.values()))} approved phrasing(s); passes check. "
                 f"Diff it against {knowledge} and commit.\n")
    return 0


def _ask(engine: Engine, questions: Sequence[str], as_json: bool, stdin: TextIO, out: TextIO) -> int:
    lines = questions or (line.rstrip("\n") for line in stdin)
    for question in lines:
        if not questions and not as_json and not question.strip():
            continue
        reply = engine.ask(question)
        if as_json:
            out.write(json.dumps(reply.to_json(), ensure_ascii=False) + "\n")
        else:
            out.write(reply.text + "\n\n")
        out.flush()
    return 0


def _chat(engine: Engine, stdin: TextIO, out: TextIO) -> int:
    out.write(f"{engine.kb.texts.name}: {engine.kb.texts.welcome}\n(Ctrl-D or 'quit' to leave)\n")
    while True:
        out.write("\n> ")
        out.flush()
        line = stdin.readline()
        if not line or line.strip().lower() in {"quit", "exit", "/quit"}:
            out.write("\n")
            return 0
        reply = engine.ask(line.strip())
        out.write(reply.text + "\n")
        if reply.related:
            out.write("Related: " + " · ".join(f.title for f in reply.related) + "\n")


def _check(directory: Path, out: TextIO) -> int:
    engine = Engine.load(directory)
    kb = engine.kb
    out.write(f"{directory}: OK: {len(kb.facts)} facts, {len(kb.sources)} sources, "
              f"{sum(len(f.phrasings) for f in kb.facts.values())} phrasings\n")
    return 0


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None,
         stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Entry point for `python -m bot`; streams are injectable so tests run it in-process."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    args = _parser().parse_args(argv)
    directory = args.knowledge or DEFAULT_DIR
    try:
        if args.command == "check":
            return _check(args.directory or directory, stdout)
        if args.command == "export-local":
            return _export_local(directory, args.data, args.out, stdout, stderr)
        if args.command == "run":
            from bot.tg.app import run  # Telegram is imported only for the bot itself

            return run(args.knowledge)  # None: KNOWLEDGE_DIR or the default
        # `check` and `run` refuse an inconsistent base; asking skips that slower self-test.
        engine = Engine.load(directory, strict=False)
        if args.command == "ask":
            return _ask(engine, args.question, args.json, stdin, stdout)
        return _chat(engine, stdin, stdout)
    except KnowledgeErrors as exc:
        for error in exc.errors:
            stderr.write(f"{error}\n")
        stderr.write(f"{len(exc.errors)} problem(s) in the knowledge base\n")
        return 1
    except KnowledgeError as exc:
        stderr.write(f"{exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130
