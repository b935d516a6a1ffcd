"""Back into git: organisers' facts and approved phrasings written out in the `knowledge/` format.

`python -m bot export-local --data DIR OUT` copies the knowledge directory to OUT and folds in
what organisers added from Telegram: their facts go to `facts/organisers.yaml` with their
sources appended to `sources.yaml`, and each approved phrasing is inserted under its fact's
`phrasings:` in the file that fact came from (comments and layout elsewhere untouched).
OUT is then checked exactly as `python -m bot check OUT` would, so the union can diff it
against `knowledge/` and commit it. Answers are exported as plain text (YAML answers are).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import yaml

from bot.answers.engine import Engine
from bot.answers.knowledge import Fact, KnowledgeBase, load_knowledge
from bot.answers.organiser import Written, fact_id, number_of, to_fact

ORGANISERS_FILE = "organisers.yaml"
_FACT_START = re.compile(r"^\s*-\s+id:")
_PHRASINGS = re.compile(r"^(\s*)phrasings:\s*(#.*)?$")
_ITEM = re.compile(r"^(\s*)-\s")


class ExportError(Exception):
    """The output cannot be written (it exists, or a fact's phrasings cannot be found)."""


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _organiser_yaml(kb: KnowledgeBase, written: Sequence[Written], approved: Mapping[str, Sequence[str]],
                    notes: list[str]) -> tuple[str, str]:
    """(text to append to sources.yaml, the whole of facts/organisers.yaml)."""
    owned = {_key(p) for f in kb.facts.values() for p in f.phrasings}
    sources, facts = [], []
    for item in written:
        source, fact = to_fact(item, kb.texts.union)
        phrasings = []
        for p in (*fact.phrasings, *approved.get(fact.id, ())):
            if _key(p) in owned:
                notes.append(f"'{p}' of organiser fact #{item.id} is already a phrasing in knowledge/; "
                             "left out")
            else:
                owned.add(_key(p))
                phrasings.append(p)
        sources.append({"id": source.id, "outlet": source.outlet, "title": fact.title, "author": None,
                        "date": source.date, "order": source.order})
        facts.append({"id": fact.id, "title": fact.title, "answer": fact.answer,
                      "claims": [{"source": source.id, "quote": fact.answer}],
                      "phrasings": phrasings, "keywords": [], "related": []})
    appended = ""
    if sources:
        block = yaml.safe_dump(sources, sort_keys=False, allow_unicode=True, width=100)
        appended = "\n# Written by organisers from Telegram (python -m bot export-local).\n"
        appended += "".join(f"  {line}\n" for line in block.splitlines())
    header = ("# Facts written by organisers from Telegram, exported with `python -m bot export-local`.\n"
              "# Each answers questions members asked that the news reports did not.\n")
    body = yaml.safe_dump({"facts": facts}, sort_keys=False, allow_unicode=True, width=100) if facts else ""
    return appended, header + body


def _insert_phrasings(path: Path, fact: Fact, phrasings: Iterable[str]) -> None:
    """Add phrasings as the first items under the fact's `phrasings:` key, in place."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i in range(max(fact.line - 1, 0), len(lines)):
        if i > fact.line - 1 and _FACT_START.match(lines[i]):
            break
        key = _PHRASINGS.match(lines[i])
        if key:
            item = next((_ITEM.match(line) for line in lines[i + 1:] if line.strip()), None)
            indent = item.group(1) if item else key.group(1) + "  "
            new = [f"{indent}- {json.dumps(p, ensure_ascii=False)}\n" for p in phrasings]
            path.write_text("".join(lines[: i + 1] + new + lines[i + 1:]), encoding="utf-8")
            return
    raise ExportError(f"{path}:{fact.line}: no block 'phrasings:' list found for fact '{fact.id}'")


def _drop_answered_declines(path: Path, answered: set[str], notes: list[str]) -> None:
    """Organisers answered these: a decline example saying "the reports don't cover it" would
    now contradict their fact (and `check` refuses a phrasing that is both), so it goes."""
    if not path.exists() or not answered:
        return
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        item = _ITEM.match(line)
        value = yaml.safe_load(line[item.end():]) if item else None
        if isinstance(value, str) and _key(value) in answered:
            notes.append(f"'{value}' is no longer a decline example: an organiser fact answers it")
            continue
        kept.append(line)
    path.write_text("".join(kept), encoding="utf-8")


def export_local(knowledge: Path, out: Path, written: Sequence[Written],
                 approved: Mapping[str, Sequence[str]]) -> list[str]:
    """Write OUT (knowledge/ plus organisers' additions); returns notes on what was left out.

    Raises ExportError if OUT already exists or a fact's phrasings cannot be found, and
    KnowledgeErrors if the result fails `check` (OUT is left for inspection).
    """
    if out.exists() and not (out.is_dir() and not any(out.iterdir())):
        raise ExportError(f"{out} already exists; choose a new directory")
    kb = load_knowledge(knowledge)
    shutil.copytree(knowledge, out, dirs_exist_ok=True)
    notes: list[str] = []
    for target_id, phrasings in approved.items():
        if number_of(target_id) is not None:
            continue  # organisers' own facts carry theirs in organisers.yaml
        fact = kb.facts.get(target_id)
        if fact is None:
            notes.append(f"fact '{target_id}' is no longer in knowledge/; its approved phrasings "
                         "are left out")
            continue
        fresh = [p for p in phrasings if _key(p) not in {_key(q) for q in fact.phrasings}]
        if fresh:
            target = out / Path(fact.file).resolve().relative_to(Path(knowledge).resolve())
            _insert_phrasings(target, fact, fresh)
    appended, organisers = _organiser_yaml(kb, written, approved, notes)
    if written:
        with (out / "sources.yaml").open("a", encoding="utf-8") as f:
            f.write(appended)
        (out / "facts").mkdir(exist_ok=True)
        (out / "facts" / ORGANISERS_FILE).write_text(organisers, encoding="utf-8")
        answered = {_key(p) for item in written
                    for p in (*item.phrasings, *approved.get(fact_id(item.id), ()))}
        _drop_answered_declines(out / "declines.yaml", answered, notes)
    Engine.load(out)  # strict: exactly what `check OUT` runs; raises KnowledgeErrors
    return notes
