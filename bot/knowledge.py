"""The knowledge base: sources, facts, vocabulary and bot texts, loaded from YAML.

Everything a union needs to say lives in `knowledge/`; this module only knows its shape.
Problems are reported as `file:line: reason` so an organiser editing YAML can find them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "knowledge"


class KnowledgeError(Exception):
    """A problem in a knowledge file, located so that a person can fix it."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"


class KnowledgeErrors(Exception):
    """Several problems at once, so one `check` run lists them all."""

    def __init__(self, errors: list[KnowledgeError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class Source:
    """Where a claim comes from; `order` ranks sources in time when dates are missing."""

    id: str
    outlet: str
    title: str
    author: str | None = None
    date: dt.date | None = None
    date_note: str | None = None
    order: int = 0
    seed: str | None = None

    @property
    def date_label(self) -> str:
        return self.date.strftime("%-d %b %Y") if self.date else "undated"

    def to_json(self) -> dict[str, Any]:
        return {
            "outlet": self.outlet,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
        }


@dataclass(frozen=True)
class Claim:
    """A statement behind an answer and the source that makes it."""

    source: str
    quote: str


@dataclass(frozen=True)
class Fact:
    """One answerable thing, with the words members use to ask for it."""

    id: str
    title: str
    answer: str
    claims: tuple[Claim, ...]
    phrasings: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    file: str = ""
    line: int = 0
    # Announcements are dated news; they outrank older reports on the same topic.
    date: dt.datetime | None = None

    @property
    def source_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.source for c in self.claims))


@dataclass(frozen=True)
class SmallTalk:
    """A friendly non-answer ("hi", "thanks") with what the bot can do."""

    id: str
    phrasings: tuple[str, ...]
    reply: str


@dataclass(frozen=True)
class Vocabulary:
    """Domain words that normalise how members type: text-speak, synonyms, filler."""

    textspeak: dict[str, str] = field(default_factory=dict)
    synonyms: dict[str, str] = field(default_factory=dict)  # variant -> canonical
    stopwords: frozenset[str] = frozenset()


@dataclass(frozen=True)
class BotTexts:
    """The union-specific texts around the answers."""

    name: str
    union: str
    welcome: str
    decline: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class KnowledgeBase:
    """A loaded, validated knowledge directory."""

    directory: Path
    sources: dict[str, Source]
    facts: dict[str, Fact]
    vocabulary: Vocabulary
    smalltalk: tuple[SmallTalk, ...]
    texts: BotTexts

    def sources_for(self, fact: Fact) -> list[Source]:
        """Sources of a fact, newest first (undated ones ranked by `order`)."""
        found = [self.sources[s] for s in fact.source_ids if s in self.sources]
        return sorted(found, key=lambda s: s.order, reverse=True)

    def with_facts(self, extra_sources: Iterable[Source], extra_facts: Iterable[Fact]) -> KnowledgeBase:
        """A copy with dated facts added (announcements), leaving this one untouched."""
        sources = dict(self.sources)
        sources.update((s.id, s) for s in extra_sources)
        facts = dict(self.facts)
        facts.update((f.id, f) for f in extra_facts)
        return replace(self, sources=sources, facts=facts)


# --------------------------------------------------------------------------- YAML with lines


class _Str(str):
    """A YAML string that remembers its line."""

    line: int = 0


class _Dict(dict):  # type: ignore[type-arg]
    """A YAML mapping that remembers its line."""

    line: int = 0


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader that records line numbers for error messages."""


def _construct_str(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> _Str:
    value = _Str(loader.construct_scalar(node))
    value.line = node.start_mark.line + 1
    return value


def _construct_map(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _Dict:
    value = _Dict(loader.construct_mapping(node, deep=True))
    value.line = node.start_mark.line + 1
    return value


_LineLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def _line(value: Any, default: int = 1) -> int:
    return getattr(value, "line", default) or default


def read_yaml(path: Path) -> Any:
    """Parse one file, turning YAML errors into located KnowledgeErrors."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(path, None, f"cannot read file: {exc}") from exc
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and mark and mark.index >= len(text.rstrip()):
            # "found unexpected end of stream" (an unclosed quote): the end of the file is no
            # help to the person editing it; the line where the quote was opened is.
            mark = exc.context_mark
        line = mark.line + 1 if mark else None
        reason = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        raise KnowledgeError(path, line, f"invalid YAML: {reason}") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeError(path, None, f"invalid YAML: {exc}") from exc


# --------------------------------------------------------------------------- field readers


class _Reader:
    """Reads fields from one mapping and collects every problem instead of stopping."""

    def __init__(self, path: Path, errors: list[KnowledgeError]) -> None:
        self.path = path
        self.errors = errors

    def fail(self, line: int | None, reason: str) -> None:
        self.errors.append(KnowledgeError(self.path, line, reason))

    def mapping(self, item: Any, what: str, line: int) -> dict[str, Any] | None:
        if not isinstance(item, dict):
            self.fail(_line(item, line), f"each {what} must be a mapping of fields")
            return None
        return item

    def text(self, item: dict[str, Any], key: str, what: str, required: bool = True) -> str | None:
        value = item.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(_line(item), f"{what} is missing required field '{key}'")
            return None
        if not isinstance(value, str):
            self.fail(_line(value, _line(item)), f"{what}: '{key}' must be text")
            return None
        return " ".join(value.split())

    def texts(self, item: dict[str, Any], key: str, what: str, required: bool = True) -> list[_Str]:
        value = item.get(key)
        if value is None:
            if required:
                self.fail(_line(item), f"{what} is missing required field '{key}'")
            return []
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
            self.fail(_line(item), f"{what}: '{key}' must be a list of texts")
            return []
        out = []
        for v in value:
            s = _Str(str(v).strip())
            s.line = _line(v, _line(item))
            if s:
                out.append(s)
        if required and not out:
            self.fail(_line(item), f"{what}: '{key}' is empty")
        return out


def _top_list(path: Path, data: Any, key: str, errors: list[KnowledgeError]) -> list[Any]:
    if data is None:
        errors.append(KnowledgeError(path, 1, f"file is empty; expected a top-level '{key}:' list"))
        return []
    if not isinstance(data, dict) or key not in data:
        errors.append(KnowledgeError(path, _line(data), f"expected a top-level '{key}:' list"))
        return []
    items = data[key]
    if not isinstance(items, list):
        errors.append(KnowledgeError(path, _line(data), f"'{key}' must be a list"))
        return []
    return items


# --------------------------------------------------------------------------- sections


def _load_sources(path: Path, errors: list[KnowledgeError]) -> dict[str, Source]:
    r = _Reader(path, errors)
    sources: dict[str, Source] = {}
    for raw in _top_list(path, read_yaml(path), "sources", errors):
        item = r.mapping(raw, "source", 1)
        if item is None:
            continue
        sid = r.text(item, "id", "source")
        outlet = r.text(item, "outlet", f"source '{sid}'")
        title = r.text(item, "title", f"source '{sid}'")
        date = item.get("date")
        if date is not None and not isinstance(date, dt.date):
            r.fail(_line(item), f"source '{sid}': 'date' must be YYYY-MM-DD or null")
            date = None
        if "date" not in item:
            r.fail(_line(item), f"source '{sid}' is missing required field 'date' (use null if none)")
        order = item.get("order", 0)
        if not isinstance(order, int):
            r.fail(_line(item), f"source '{sid}': 'order' must be a whole number")
            order = 0
        if not (sid and outlet and title):
            continue
        if sid in sources:
            r.fail(_line(item), f"duplicate source id '{sid}'")
            continue
        sources[sid] = Source(
            id=sid,
            outlet=outlet,
            title=title,
            author=r.text(item, "author", "source", required=False),
            date=date,
            date_note=r.text(item, "date_note", "source", required=False),
            order=order,
            seed=r.text(item, "seed", "source", required=False),
        )
    return sources


def _load_facts(
    path: Path, sources: dict[str, Source], errors: list[KnowledgeError]
) -> list[Fact]:
    r = _Reader(path, errors)
    facts = []
    for raw in _top_list(path, read_yaml(path), "facts", errors):
        item = r.mapping(raw, "fact", 1)
        if item is None:
            continue
        fid = r.text(item, "id", "fact")
        what = f"fact '{fid}'"
        title = r.text(item, "title", what)
        answer = r.text(item, "answer", what)
        claims = _claims(r, item, what, sources)
        phrasings = r.texts(item, "phrasings", what)
        keywords = r.texts(item, "keywords", what, required=False)
        related = r.texts(item, "related", what, required=False)
        if not (fid and title and answer and claims and phrasings):
            continue
        facts.append(
            Fact(
                id=fid,
                title=title,
                answer=answer,
                claims=tuple(claims),
                phrasings=tuple(phrasings),
                keywords=tuple(keywords),
                related=tuple(related),
                file=str(path),
                line=_line(item),
            )
        )
    return facts


def _claims(r: _Reader, item: dict[str, Any], what: str, sources: dict[str, Source]) -> list[Claim]:
    raw = item.get("claims")
    if not raw:
        r.fail(_line(item), f"{what} has no source: add at least one claim with a 'source'")
        return []
    if not isinstance(raw, list):
        r.fail(_line(item), f"{what}: 'claims' must be a list")
        return []
    claims = []
    for c in raw:
        cm = r.mapping(c, f"claim of {what}", _line(item))
        if cm is None:
            continue
        sid = r.text(cm, "source", f"claim of {what}")
        quote = r.text(cm, "quote", f"claim of {what}")
        if sid and sid not in sources:
            r.fail(_line(cm), f"{what}: unknown source id '{sid}'")
        elif sid and quote:
            claims.append(Claim(source=sid, quote=quote))
    return claims


def _load_vocabulary(path: Path, errors: list[KnowledgeError]) -> Vocabulary:
    if not path.exists():
        return Vocabulary()
    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        reason = "expected a mapping with textspeak/synonyms/stopwords"
        errors.append(KnowledgeError(path, _line(data), reason))
        return Vocabulary()
    textspeak: dict[str, str] = {}
    for k, v in (data.get("textspeak") or {}).items():
        textspeak[str(k).lower()] = str(v).lower()
    synonyms: dict[str, str] = {}
    for canonical, variants in (data.get("synonyms") or {}).items():
        if not isinstance(variants, list):
            errors.append(KnowledgeError(path, _line(data), f"synonyms of '{canonical}' must be a list"))
            continue
        for v in variants:
            key = " ".join(str(v).lower().split())
            if key in synonyms and synonyms[key] != str(canonical).lower():
                errors.append(
                    KnowledgeError(path, _line(v, _line(data)), f"synonym '{key}' is listed under two terms")
                )
            synonyms[key] = str(canonical).lower()
    stopwords = frozenset(str(w).lower() for w in (data.get("stopwords") or []))
    return Vocabulary(textspeak=textspeak, synonyms=synonyms, stopwords=stopwords)


def _load_smalltalk(path: Path, errors: list[KnowledgeError]) -> tuple[SmallTalk, ...]:
    if not path.exists():
        return ()
    r = _Reader(path, errors)
    out = []
    for raw in _top_list(path, read_yaml(path), "smalltalk", errors):
        item = r.mapping(raw, "smalltalk entry", 1)
        if item is None:
            continue
        sid = r.text(item, "id", "smalltalk entry")
        phrasings = r.texts(item, "phrasings", f"smalltalk '{sid}'")
        reply = r.text(item, "reply", f"smalltalk '{sid}'")
        if sid and phrasings and reply:
            out.append(SmallTalk(id=sid, phrasings=tuple(phrasings), reply=reply))
    return tuple(out)


def _load_texts(path: Path, errors: list[KnowledgeError]) -> BotTexts:
    fallback = BotTexts(
        name="Dispute bot",
        union="the union",
        welcome="Ask me a question about the dispute. Every answer names its source.",
        decline="Sorry, I don't have a sourced answer to that. Try /topics or ask your branch rep.",
        examples=(),
    )
    if not path.exists():
        return fallback
    data = read_yaml(path)
    r = _Reader(path, errors)
    item = data.get("bot") if isinstance(data, dict) else None
    if not isinstance(item, dict):
        r.fail(_line(data), "expected a top-level 'bot:' mapping")
        return fallback
    return BotTexts(
        name=r.text(item, "name", "bot") or fallback.name,
        union=r.text(item, "union", "bot") or fallback.union,
        welcome=r.text(item, "welcome", "bot") or fallback.welcome,
        decline=r.text(item, "decline", "bot") or fallback.decline,
        examples=tuple(r.texts(item, "examples", "bot", required=False)),
    )


def _fact_files(directory: Path) -> Iterator[Path]:
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
    sources: dict[str, Source] = {}
    if sources_path.exists():
        sources = _safe(lambda: _load_sources(sources_path, errors), errors, {})
    else:
        errors.append(KnowledgeError(sources_path, None, "missing: every fact needs a source defined here"))

    facts: dict[str, Fact] = {}
    files = list(_fact_files(directory))
    if not files:
        errors.append(KnowledgeError(directory / "facts", None, "no fact files (facts/*.yaml) found"))
    for path in files:
        for fact in _safe(lambda p=path: _load_facts(p, sources, errors), errors, []):
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
    vocabulary = _safe(lambda: _load_vocabulary(directory / "vocabulary.yaml", errors), errors, Vocabulary())
    smalltalk = _safe(lambda: _load_smalltalk(directory / "smalltalk.yaml", errors), errors, ())
    texts = _safe(lambda: _load_texts(directory / "bot.yaml", errors), errors, None)
    _check_references(facts, errors)
    if errors:
        raise KnowledgeErrors(errors)
    assert texts is not None
    return KnowledgeBase(directory, sources, facts, vocabulary, smalltalk, texts)


def _safe(load: Any, errors: list[KnowledgeError], default: Any) -> Any:
    """Run one file's loader; a broken file is recorded and the rest still checked."""
    try:
        return load()
    except KnowledgeError as exc:
        errors.append(exc)
        return default


def _check_references(facts: dict[str, Fact], errors: list[KnowledgeError]) -> None:
    owner: dict[str, Fact] = {}
    for fact in facts.values():
        for rel in fact.related:
            if rel not in facts:
                reason = f"fact '{fact.id}': unknown related fact '{rel}'"
                errors.append(KnowledgeError(fact.file, _line(rel, fact.line), reason))
        for phrasing in fact.phrasings:
            key = " ".join(phrasing.lower().split())
            other = owner.get(key)
            if other is not None and other.id != fact.id:
                errors.append(
                    KnowledgeError(
                        fact.file, _line(phrasing, fact.line),
                        f"phrasing '{phrasing}' is under two facts: '{other.id}' and '{fact.id}'",
                    )
                )
            owner.setdefault(key, fact)
