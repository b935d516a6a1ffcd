"""Command line: `ask`, `chat`, `check`, `run` and `export-local`, thin wrappers over the engine,
the store and the app.

Library errors become one clear message and exit code 1 here, never a traceback.
Every command finds its knowledge base the same way: `--knowledge DIR`, then the
KNOWLEDGE_DIR variable, then the knowledge base packaged with the bot.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import TextIO

from bot.answers.engine import Engine
from bot.answers.knowledge import DEFAULT_DIR, Fact, KnowledgeError, KnowledgeErrors, knowledge_dir
from bot.answers.knowledge.quotes import verify_quotes
from bot.answers.render import Reply, sources_list


def _prog() -> str:
    """The name the user typed: `union-bot` when installed, `python -m bot` from __main__."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "python -m bot" if name in {"", "__main__.py", "-c", "-m"} else name


def _parser(prog: str) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--knowledge", metavar="DIR", type=Path, default=None,
        help="knowledge base directory (default: $KNOWLEDGE_DIR, else the one shipped with the bot)",
    )
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Answer members' questions from a sourced knowledge base; run the Telegram bot.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ask = sub.add_parser("ask", parents=[common], help="answer a question and print the reply")
    ask.add_argument("question", nargs="*",
                     help="the question; several words are one question (reads stdin, one per line, if none)")
    ask.add_argument("--json", action="store_true",
                     help="one JSON object per question (question, answered, fact, score, text, "
                          "sources, suggestions)")
    sub.add_parser("chat", parents=[common], help="ask questions interactively")
    check = sub.add_parser("check", parents=[common], help="validate a knowledge base")
    check.add_argument("directory", nargs="?", type=Path, help="knowledge directory to check")
    check.add_argument("--sources", metavar="DIR", type=Path, default=None,
                       help="directory holding the source texts named in sources.yaml: verify every "
                            "quote against them (without it, quotes are reported as not verified)")
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
            out.write("".join(r.text + "\n\n" for r in (reply, *reply.also)))
        out.flush()
    return 0


CHAT_HELP = """\
Type a question in your own words. A number picks from the last numbered list.
/topics   every topic I can answer, numbered
/sources  where my answers come from
/help     this message
quit      leave (or Ctrl-D)"""


def _numbered(heading: str, facts: Sequence[Fact]) -> str:
    """Facts as numbered choices: the terminal's stand-in for Telegram's buttons."""
    return "\n".join([heading, *(f"  [{n}] {fact.title}" for n, fact in enumerate(facts, start=1))])


def _chat_turn(engine: Engine, text: str, choices: list[Fact]) -> tuple[str, list[Fact]]:
    """What to print for one line of chat, and the numbered choices it leaves on offer."""
    command = text.lower()
    if command == "/help":
        return CHAT_HELP, choices
    if command == "/sources":
        return sources_list(engine.kb)[0], choices
    if command == "/topics":
        facts = list(engine.kb.facts.values())
        return _numbered("Topics (type a number):", facts), facts
    if text.isdigit() and choices:
        number = int(text)
        picked = engine.fact(choices[number - 1].id) if 1 <= number <= len(choices) else None
        if picked is None:
            return f"Type a number from 1 to {len(choices)}, or ask a question.", choices
        reply = picked
    else:
        reply = engine.ask(text)
    # Several questions: a reply to each, the last one's choices on offer.
    *before, last = (reply, *reply.also)
    return _with_choices("".join(r.text + "\n\n" for r in before), last)


def _with_choices(before: str, reply: Reply) -> tuple[str, list[Fact]]:
    """A reply as chat prints it, after `before`, with its numbered choices."""
    if reply.suggestions:
        return before + reply.text + "\n" + _numbered("Did you mean (type a number):", reply.suggestions), \
            list(reply.suggestions)
    if reply.related:
        return before + reply.text + "\n" + _numbered("Related (type a number):", reply.related), \
            list(reply.related)
    return before + reply.text, []


def _chat(engine: Engine, stdin: TextIO, out: TextIO) -> int:
    out.write(f"{engine.kb.texts.name}: {engine.kb.texts.welcome}\n"
              "(/help for commands; Ctrl-D or 'quit' to leave)\n")
    choices: list[Fact] = []
    while True:
        out.write("\n> ")
        out.flush()
        line = stdin.readline()
        if not line or line.strip().lower() in {"quit", "exit", "/quit"}:
            out.write("\n")
            return 0
        if line.strip():
            text, choices = _chat_turn(engine, line.strip(), choices)
            out.write(text + "\n")


def _check(directory: Path, texts: Path | None, out: TextIO) -> int:
    engine = Engine.load(directory)
    kb = engine.kb
    if directory.resolve() == DEFAULT_DIR.resolve():
        # The shipped base must ship with the confidence models fitted on it.
        problems = engine.calibration_problems()
        if problems:
            raise KnowledgeErrors(problems)
    for problem in engine.calibration_problems(in_use=True):  # fitted elsewhere: works, could be better
        out.write(f"warning: {problem}\n")
    for warning in engine.consistency_warnings():
        out.write(f"warning: {warning}\n")
    if texts is not None:
        quote_problems = verify_quotes(kb, texts)
        if quote_problems:
            raise KnowledgeErrors(quote_problems)
    claims = sum(len(f.claims) for f in kb.facts.values())
    out.write(f"{directory}: OK: {len(kb.facts)} facts, {len(kb.sources)} sources, "
              f"{sum(len(f.phrasings) for f in kb.facts.values())} phrasings, "
              f"{len(kb.declines)} decline examples\n")
    if texts is None:
        out.write(f"{directory}: quotes NOT verified: give --sources DIR, the texts named in sources.yaml\n")
    else:
        out.write(f"{directory}: all {claims} quotes verified verbatim against the texts in {texts}\n")
    return 0


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None,
         stdout: TextIO | None = None, stderr: TextIO | None = None, prog: str | None = None) -> int:
    """Entry point for `union-bot` and `python -m bot`; streams are injectable so tests run it in-process."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    try:
        with redirect_stdout(stdout), redirect_stderr(stderr):  # --help and usage errors
            args = _parser(prog or _prog()).parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    try:
        if args.command == "run":
            from bot.tg.app import run  # Telegram is imported only for the bot itself

            return run(args.knowledge)  # None: KNOWLEDGE_DIR or the default, as below
        if args.command == "check":
            return _check(knowledge_dir(args.directory or args.knowledge), args.sources, stdout)
        if args.command == "export-local":
            return _export_local(knowledge_dir(args.knowledge), args.data, args.out, stdout, stderr)
        # `check` and `run` refuse an inconsistent base; asking skips that slower self-test.
        engine = Engine.load(knowledge_dir(args.knowledge), strict=False)
        if args.command == "ask":
            # `ask wot was the turnot` unquoted is one question, not four; `ask "  "` is a
            # blank question, which gets the engine's polite reply, not a wait on stdin.
            question = " ".join(args.question)
            if not args.question and stdin.isatty():  # else it would wait with no word said
                example = (engine.kb.texts.examples or ("your question",))[0]
                stderr.write("Type a question and press Enter, one a line; Ctrl-D to finish. "
                             f"Or: python -m bot ask \"{example}\"\n")
            return _ask(engine, [question] if args.question else [], args.json, stdin, stdout)
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
