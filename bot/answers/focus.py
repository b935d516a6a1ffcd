"""Finds the part of a long message that carries the question.

Members write "Hi, sorry to bother you, I've been in probation 20 years and my wife is
worried... anyway, when does the strike start?". Matched whole, the life story drowns the
question; so a long message is also matched on its question sentences and its ending, and
the engine keeps the most confident reading. A message far longer than any question gets
a polite request to ask one thing at a time instead of being cut off silently.
"""

from __future__ import annotations

import re

MAX_MESSAGE = 1200  # characters: past this, ask for one question at a time
LONG_MESSAGE = 14  # words: from here on, a message may carry context around its question

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_ASKING = re.compile(
    r"\?|^\s*(who|what|whats|wot|when|where|which|why|how|is|are|was|were|will|would|can|could|"
    r"do|does|did|has|have|should|any|anyone|tell)\b",
    re.IGNORECASE,
)


# Where a run-on sentence turns from its preamble to its question: "sorry if this is daft
# but when are we out?", "been off for weeks, so what's happening?".
_CLAUSE = re.compile(r"[,;:]\s*(?:(?:but|so|anyway|and so)\s+)?|\s+(?:but|so|anyway)\s+", re.IGNORECASE)


def too_long(message: str) -> bool:
    """Longer than any one question: several questions, or a pasted document."""
    return len(message) > MAX_MESSAGE


def sentences(message: str) -> list[str]:
    """The message's sentences, stripped, in order."""
    return [s.strip() for s in _SENTENCE.findall(message) if s.strip(" .!?")]


def readings(message: str) -> list[str]:
    """What to match a message on: the whole of it, and for a long one its asking parts.

    The parts are its question sentences (with the sentence before each, which often
    names the topic) and its last sentence, latest first, since the question usually comes
    at the end.
    """
    if len(message.split()) < LONG_MESSAGE:
        return [message]
    parts = sentences(message)
    if len(parts) < 2:
        return [*_tail_clause(message), message]
    out: list[str] = []
    for i in range(len(parts) - 1, -1, -1):
        if _ASKING.search(parts[i]) or i == len(parts) - 1:
            out.append(parts[i])
            if i == len(parts) - 1:  # where the question usually is
                out.extend(_tail_clause(parts[i]))
            if i > 0:
                out.append(f"{parts[i - 1]} {parts[i]}")
    out.append(message)
    return list(dict.fromkeys(out))


def _tail_clause(sentence: str) -> list[str]:
    """The last clause of a run-on sentence, when it asks something on its own."""
    clause = _CLAUSE.split(sentence)[-1].strip()
    if clause == sentence.strip() or len(clause.split()) < 3 or not _ASKING.search(clause):
        return []
    return [clause]
