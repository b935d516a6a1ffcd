"""declines.yaml: questions members ask that the sources do not answer, with the reply.

The file is optional (another union may not have one). Its phrasings keep such questions
from being answered with a look-alike fact, and they are negatives for the fitted model.
Problems are reported as `file:line: reason`, like every other knowledge file.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.answers.knowledge.files import _line, _Reader
from bot.answers.knowledge.model import Decline, Fact, KnowledgeError

KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def load_declines(path: Path, errors: list[KnowledgeError]) -> tuple[Decline, ...]:
    """declines.yaml (optional): questions the sources do not answer, each with its reply."""
    if not path.exists():
        return ()
    r = _Reader(path, errors)
    out: list[Decline] = []
    seen: dict[str, int] = {}
    for item, did in r.entries("declines", "decline"):
        what = f"decline '{did}'"
        reply = r.text(item, "reply", what)
        phrasings = r.texts(item, "phrasings", what)
        if did and not KEBAB.match(did):
            r.fail(_line(item), f"{what}: id must be kebab-case (lower-case words joined by '-')")
            continue
        if did and did in seen:
            r.fail(_line(item), f"duplicate decline id '{did}' (first defined at line {seen[did]})")
            continue
        if not (did and reply and phrasings):
            continue
        seen[did] = _line(item)
        out.append(Decline(id=did, reply=reply, phrasings=tuple(phrasings), file=str(path), line=_line(item)))
    return tuple(out)


def check_declines(
    declines: tuple[Decline, ...], facts: dict[str, Fact], errors: list[KnowledgeError]
) -> None:
    """Across files: a decline id is not a fact id, no question is both answered and
    declined (a phrasing under a fact and a decline example), nor under two declines."""
    owner = {" ".join(p.lower().split()): fact for fact in facts.values() for p in fact.phrasings}
    declined: dict[str, str] = {}
    for decline in declines:
        if decline.id in facts:
            reason = f"decline '{decline.id}' has the same id as a fact"
            errors.append(KnowledgeError(decline.file, decline.line, reason))
        for phrasing in decline.phrasings:
            key = " ".join(phrasing.lower().split())
            first = declined.setdefault(key, decline.id)
            if first != decline.id:
                reason = f"phrasing '{phrasing}' is under two declines: '{first}' and '{decline.id}'"
                errors.append(KnowledgeError(decline.file, _line(phrasing, decline.line), reason))
            other = owner.get(key)
            if other is not None:
                reason = (f"phrasing '{phrasing}' of decline '{decline.id}' "
                          f"is also a phrasing of fact '{other.id}'")
                errors.append(KnowledgeError(decline.file, _line(phrasing, decline.line), reason))
