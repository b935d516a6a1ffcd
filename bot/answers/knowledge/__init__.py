"""The knowledge base: sources, facts, vocabulary and bot texts, loaded from YAML.

Everything a union needs to say lives in `knowledge/`; this module is the one place the
rest of the bot imports it from. Its shape is in `knowledge_model`, the per-file readers
in `knowledge_files`; here the files of a directory are found, loaded and cross-checked.
Problems are reported as `file:line: reason` so an organiser editing YAML can find them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.answers.knowledge.declines import check_declines, load_declines
from bot.answers.knowledge.files import (
    check_references,
    load_facts,
    load_smalltalk,
    load_sources,
    load_texts,
    load_vocabulary,
)
from bot.answers.knowledge.location import knowledge_dir, packaged_dir
from bot.answers.knowledge.model import (
    BotTexts,
    Claim,
    Decline,
    Fact,
    KnowledgeBase,
    KnowledgeError,
    KnowledgeErrors,
    SmallTalk,
    Source,
    Vocabulary,
)

__all__ = [
    "DEFAULT_DIR",
    "BotTexts",
    "Claim",
    "Decline",
    "Fact",
    "KnowledgeBase",
    "KnowledgeError",
    "KnowledgeErrors",
    "SmallTalk",
    "Source",
    "Vocabulary",
    "knowledge_dir",
    "load_knowledge",
]

# The packaged knowledge base (see location.py for how a wheel and a checkout both find it).
DEFAULT_DIR = packaged_dir()


def _fact_files(directory: Path) -> Iterator[Path]:
    """Every fact file, in a stable order, so duplicate-id errors always blame the same one."""
    facts_dir = directory / "facts"
    yield from sorted(facts_dir.glob("*.yaml")) if facts_dir.is_dir() else ()
    yield from sorted(p for p in directory.glob("facts*.yaml"))


def load_knowledge(directory: Path | str = DEFAULT_DIR) -> KnowledgeBase:
    """Load and structurally validate a knowledge directory; raise every problem found."""
    directory = Path(directory)
    errors: list[KnowledgeError] = []
    if not directory.is_dir():
        raise KnowledgeErrors([KnowledgeError(directory, None, "knowledge directory not found")])
    sources_path = directory / "sources.yaml"
    # None when sources.yaml is missing or unreadable: claims then go unchecked rather than
    # each being reported as citing an unknown source (one problem, reported once).
    sources: dict[str, Source] | None = None
    if sources_path.exists():
        sources = _safe(lambda: load_sources(sources_path, errors), errors, None)
        if not sources and any(e.path == str(sources_path) for e in errors):
            sources = None  # parsed, but without a usable `sources:` list: same as unreadable
    else:
        errors.append(KnowledgeError(sources_path, None, "missing: every fact needs a source defined here"))

    facts: dict[str, Fact] = {}
    files = list(_fact_files(directory))
    all_read = True
    if not files:
        errors.append(KnowledgeError(directory / "facts", None, "no fact files (facts/*.yaml) found"))
    for path in files:
        loaded = _safe(lambda p=path: load_facts(p, sources, errors), errors, None)
        all_read = all_read and loaded is not None
        for fact in loaded or []:
            if fact.id in facts:
                first = facts[fact.id]
                errors.append(
                    KnowledgeError(
                        fact.file, fact.line,
                        f"duplicate fact id '{fact.id}' (first defined at {first.file}:{first.line})",
                    )
                )
                continue
            facts[fact.id] = fact
    vocabulary = _safe(lambda: load_vocabulary(directory / "vocabulary.yaml", errors), errors, Vocabulary())
    smalltalk = _safe(lambda: load_smalltalk(directory / "smalltalk.yaml", errors), errors, ())
    texts = _safe(lambda: load_texts(directory / "bot.yaml", errors), errors, None)
    declines = _safe(lambda: load_declines(directory / "declines.yaml", errors), errors, ())
    check_references(facts, errors, all_read)
    check_declines(declines, facts, errors)
    if errors:
        raise KnowledgeErrors(errors)
    assert texts is not None and sources is not None
    return KnowledgeBase(directory, sources, facts, vocabulary, smalltalk, texts, declines)


def _safe(load: Any, errors: list[KnowledgeError], default: Any) -> Any:
    """Run one file's loader; a broken file is recorded and the rest still checked."""
    try:
        return load()
    except KnowledgeError as exc:
        errors.append(exc)
        return default
