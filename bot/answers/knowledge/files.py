"""Reading knowledge files: line-aware YAML and one reader per section.

Every problem is collected as a located KnowledgeError (`file:line: reason`) instead of
stopping at the first, so one `check` run lists everything an organiser has to fix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from bot.answers.knowledge.model import (
    BotTexts,
    Claim,
    Fact,
    KnowledgeError,
    SmallTalk,
    Source,
    Vocabulary,
)

TITLE_LIMIT = 40  # characters: a fact's title is a Telegram button label
ANSWER_LIMIT = 400  # characters: one to three short sentences on a phone screen

# --------------------------------------------------------------------------- YAML with lines


class _Str(str):
    """A YAML string that remembers its line."""

    line: int = 0


class _Dict(dict[Any, Any]):
    """A YAML mapping that remembers its line."""

    line: int = 0


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # C loader when built
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
    """The line a YAML value came from, or `default` for values that cannot carry one."""
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

    def entries(self, key: str, kind: str) -> Iterator[tuple[dict[str, Any], str | None]]:
        """Each mapping in the file's top-level `key:` list, with its `id` (None if missing)."""
        for raw in _top_list(self.path, read_yaml(self.path), key, self.errors):
            item = self.mapping(raw, kind, 1)
            if item is not None:
                yield item, self.text(item, "id", kind)

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
    """The `key:` list at the top of a file; an empty list (and an error) if it is not one."""
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


def load_sources(path: Path, errors: list[KnowledgeError]) -> dict[str, Source]:
    """sources.yaml: every source a claim may cite, by id."""
    r = _Reader(path, errors)
    sources: dict[str, Source] = {}
    for item, sid in r.entries("sources", "source"):
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
            sha256=r.text(item, "sha256", "source", required=False),
            line=_line(item),
        )
    return sources


def load_facts(
    path: Path, sources: dict[str, Source] | None, errors: list[KnowledgeError]
) -> list[Fact]:
    """One facts file; facts with a missing field are reported and left out."""
    r = _Reader(path, errors)
    facts = []
    for item, fid in r.entries("facts", "fact"):
        what = f"fact '{fid}'"
        title = r.text(item, "title", what)
        answer = r.text(item, "answer", what)
        claims = _claims(r, item, what, sources)
        phrasings = r.texts(item, "phrasings", what)
        keywords = r.texts(item, "keywords", what, required=False)
        related = r.texts(item, "related", what, required=False)
        _check_lengths(r, item, what, title, answer)
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


def _check_lengths(
    r: _Reader, item: dict[str, Any], what: str, title: str | None, answer: str | None
) -> None:
    """A title is a button label and an answer must fit a phone screen (README, Writing knowledge)."""
    for key, value, limit in (("title", title, TITLE_LIMIT), ("answer", answer, ANSWER_LIMIT)):
        if value is not None and len(value) > limit:
            where = _line(item.get(key), _line(item))
            r.fail(where, f"{what}: '{key}' is {len(value)} characters; the limit is {limit}")


def _claims(r: _Reader, item: dict[str, Any], what: str, sources: dict[str, Source] | None) -> list[Claim]:
    """A fact's claims; each must cite a known source, since an unsourced answer is refused.

    `sources` is None when sources.yaml could not be parsed: then no id can be checked, and
    calling every one unknown would bury the one real error.
    """
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
        if sid and sources is not None and sid not in sources:
            r.fail(_line(cm), f"{what}: unknown source id '{sid}'")
        elif sid and quote:
            claims.append(Claim(source=sid, quote=quote, line=_line(cm.get("quote"), _line(cm))))
    return claims


def load_vocabulary(path: Path, errors: list[KnowledgeError]) -> Vocabulary:
    """vocabulary.yaml (optional): text-speak, synonyms and stopwords, all lower-cased."""
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


def load_smalltalk(path: Path, errors: list[KnowledgeError]) -> tuple[SmallTalk, ...]:
    """smalltalk.yaml (optional): greetings and thanks the bot answers without a source."""
    if not path.exists():
        return ()
    r = _Reader(path, errors)
    out = []
    for item, sid in r.entries("smalltalk", "smalltalk entry"):
        phrasings = r.texts(item, "phrasings", f"smalltalk '{sid}'")
        reply = r.text(item, "reply", f"smalltalk '{sid}'")
        if sid and phrasings and reply:
            out.append(SmallTalk(id=sid, phrasings=tuple(phrasings), reply=reply))
    return tuple(out)


def load_texts(path: Path, errors: list[KnowledgeError]) -> BotTexts:
    """bot.yaml (optional): the union's own texts; neutral fallbacks where it is missing."""
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


def check_references(facts: dict[str, Fact], errors: list[KnowledgeError], all_read: bool = True) -> None:
    """Across files: related facts must exist, and no phrasing may belong to two facts.

    With `all_read` False (a facts file did not parse) a related id may live in that file,
    so unknown ones are not reported: the parse error is the one to fix first.
    """
    owner: dict[str, Fact] = {}
    for fact in facts.values():
        for rel in fact.related:
            if all_read and rel not in facts:
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
