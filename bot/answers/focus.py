"""Finds the part of a long message that carries the question.

Members write "Hi, sorry to bother you, I've been in probation 20 years and my wife is
worried... anyway, when does the strike start?". Matched whole, the life story drowns the
question; so a long message is also matched on its question sentences and its ending, and
the engine keeps the most confident reading. A message far longer than any question gets
a polite request to ask one thing at a time instead of being cut off silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MAX_MESSAGE = 1200  # characters: past this, ask for one question at a time
LONG_MESSAGE = 14  # words: from here on, a message may carry context around its question

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
# The words a question starts with.
QUESTION_WORDS = ("who", "what", "whats", "wot", "when", "where", "which", "why", "how", "is", "are",
                  "was", "were", "will", "would", "can", "could", "do", "does", "did", "has", "have",
                  "should", "any", "anyone", "tell")
_ASKING = re.compile(rf"\?|^\s*({'|'.join(QUESTION_WORDS)})\b", re.IGNORECASE)
# Where one question may end and the next begin inside a sentence, besides "and": "when is
# the strike, who called it", "date & time?".
_JOINT = re.compile(r"[,;:&+]|\s[-–—]\s")
_LINKS = frozenset(("and", "also", "plus", "so", "but"))
MAX_QUESTIONS = 3  # replies to one message at most: a phone screen, not a feed
MAX_PARTS = 6  # asking parts read at most ("hello? anyone there?" ask too, and count)


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


def asking_sentences(message: str) -> list[str]:
    """The asking sentences of a short message that has others around them ("hi. when is
    the strike? thanks"), to read alone when the whole gives no answer; else nothing."""
    parts = sentences(message)
    if len(message.split()) >= LONG_MESSAGE or len(parts) < 2:
        return []
    return [p for p in parts if _ASKING.search(p)]


def questions(message: str, words: Callable[[str], list[str]]) -> list[str]:
    """The separate questions of a message that asks several ("when is the strike and what
    was the turnout?"), each as `words` normalises it, in order; [] when it asks one thing.

    A part asks when it starts with a question word, or is a whole sentence ending with "?"
    ("strike date? turnout?"); "and" splits only before a question word, after two words or more,
    so "when and where is it" or "voted and struck" stay whole. Parts that ask nothing
    ("hi", "sorry to bother you") are left out.
    """
    asked: list[str] = []
    for sentence in sentences(message):
        chunks = _JOINT.split(sentence)
        for chunk in chunks:
            ws = words(chunk)
            start = 0
            for i in range(2, len(ws) - 1):
                if ws[i] == "and" and ws[i + 1] in QUESTION_WORDS and i - start >= 2:
                    asked.extend(_if_asking(ws[start:i], marked=False))
                    start = i + 1
            whole = len(chunks) == 1 and start == 0  # "turnout?", not "…, the union or the ministry?"
            asked.extend(_if_asking(ws[start:], marked=whole and sentence.rstrip().endswith("?")))
    return asked[:MAX_PARTS] if len(asked) > 1 else []


def _if_asking(ws: list[str], marked: bool) -> list[str]:
    """The part as text if it asks something ("?"-marked or a question word first), else nothing."""
    if ws and ws[0] in _LINKS:  # ", and who is the minister?"
        ws = ws[1:]
    if not ws or (len(ws) < 2 and not marked) or not (marked or ws[0] in QUESTION_WORDS):
        return []
    return [" ".join(ws)]


def _tail_clause(sentence: str) -> list[str]:
    """The last clause of a run-on sentence, when it asks something on its own."""
    clause = _CLAUSE.split(sentence)[-1].strip()
    if clause == sentence.strip() or len(clause.split()) < 3 or not _ASKING.search(clause):
        return []
    return [clause]
