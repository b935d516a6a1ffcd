"""Command line: `ask`, `chat`, `check` and `run`, thin wrappers over the engine and the app.

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
    return parser


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
    problems = engine.calibration_problems()
    if problems and directory.resolve() == DEFAULT_DIR.resolve():
        # The shipped base must ship with the confidence model fitted on it.
        raise KnowledgeErrors(problems)
    if problems and engine.matcher.calibration.fingerprint != engine.matcher.fingerprint:
        for problem in problems:  # another base, using a model fitted elsewhere: works, could be better
            out.write(f"warning: {problem}\n")
    for warning in engine.consistency_warnings():
        out.write(f"warning: {warning}\n")
    out.write(f"{directory}: OK: {len(kb.facts)} facts, {len(kb.sources)} sources, "
              f"{sum(len(f.phrasings) for f in kb.facts.values())} phrasings, "
              f"{len(kb.declines)} decline examples\n")
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
