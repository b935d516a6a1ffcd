"""Every button's callback data: one prefix per kind, packed and parsed here and nowhere else.

Telegram gives callback data back as the client sent it, so anything may arrive: a stale
button, a forged id, sixty digits. Parsing refuses all of that with `BadCallback`, which the
handlers turn into a polite answer instead of an exception.

- `f:<fact id>` shows a fact (topics, related, did-you-mean)
- `t:<page>` turns a page of /topics
- `x:<n>` asks the /start example question n
- `a:<action>:<announcement id>` is an organiser's button on an announcement
- `n:<gap id>` is a member's "Tell me when there's an answer" on a decline
- `o:<action>:<organiser fact number>` is an organiser's Save/Cancel on a fact preview
- `l:<action>:<candidate id>` is an organiser's Approve/Reject on a learned phrasing
- `g:<action>:<highest gap id shown>` is an organiser's Clear/Keep under "/gaps clear"
"""

from __future__ import annotations

import re

FACT, TOPICS, EXAMPLE, ANNOUNCE = "f:", "t:", "x:", "a:"
TELL_ME, ORGANISER_FACT, LEARN, CLEAR_GAPS = "n:", "o:", "l:", "g:"
ANNOUNCE_ACTIONS = frozenset({"post", "again", "cancel", "sched", "pin", "there"})
FACT_ACTIONS = frozenset({"save", "cancel", "edit", "keep"})
LEARN_ACTIONS = frozenset({"approve", "reject"})
CLEAR_GAPS_ACTIONS = frozenset({"clear", "keep"})
MAX_BYTES = 64  # Telegram's limit on callback data
MAX_NUMBER = 10**12  # far above any real id or page, far below SQLite's 64-bit limit
_NUMBER = re.compile(r"[0-9]{1,12}")


class BadCallback(ValueError):
    """Callback data that no button of ours could have sent."""


def pattern(prefix: str) -> str:
    """The CallbackQueryHandler pattern for one prefix."""
    return f"^{re.escape(prefix)}"


def fact(fact_id: str) -> str:
    data = FACT + fact_id
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"fact id too long for a button: {fact_id!r}")
    return data


def topics(page: int) -> str:
    return f"{TOPICS}{page}"


def example(index: int) -> str:
    return f"{EXAMPLE}{index}"


def announce(action: str, ann_id: int) -> str:
    return f"{ANNOUNCE}{action}:{ann_id}"


def tell_me(gap_id: int) -> str:
    return f"{TELL_ME}{gap_id}"


def organiser_fact(action: str, number: int) -> str:
    assert action in FACT_ACTIONS, action
    return f"{ORGANISER_FACT}{action}:{number}"


def learn(action: str, candidate_id: int) -> str:
    assert action in LEARN_ACTIONS, action
    return f"{LEARN}{action}:{candidate_id}"


def clear_gaps(action: str, up_to: int) -> str:
    assert action in CLEAR_GAPS_ACTIONS, action
    return f"{CLEAR_GAPS}{action}:{up_to}"


def parse_fact(data: str | None) -> str:
    """The fact id of an `f:` button."""
    fact_id = _payload(data, FACT)
    if not fact_id:
        raise BadCallback("empty fact id")
    return fact_id


def parse_number(data: str | None, prefix: str) -> int:
    """The number of a `t:` or `x:` button."""
    return _number(_payload(data, prefix))


def parse_announce(data: str | None) -> tuple[str, int]:
    """(action, announcement id) of an `a:` button; only actions our buttons carry."""
    return _action_and_number(data, ANNOUNCE, ANNOUNCE_ACTIONS)


def parse_organiser_fact(data: str | None) -> tuple[str, int]:
    """(action, fact number) of an `o:` button; only actions our buttons carry."""
    return _action_and_number(data, ORGANISER_FACT, FACT_ACTIONS)


def parse_learn(data: str | None) -> tuple[str, int]:
    """(action, candidate id) of an `l:` button; only actions our buttons carry."""
    return _action_and_number(data, LEARN, LEARN_ACTIONS)


def parse_clear_gaps(data: str | None) -> tuple[str, int]:
    """(action, highest gap id shown) of a `g:` button; only actions our buttons carry."""
    return _action_and_number(data, CLEAR_GAPS, CLEAR_GAPS_ACTIONS)


def _action_and_number(data: str | None, prefix: str, allowed: frozenset[str]) -> tuple[str, int]:
    action, _, raw_id = _payload(data, prefix).partition(":")
    if action not in allowed:
        raise BadCallback("malformed action")
    return action, _number(raw_id)


def _payload(data: str | None, prefix: str) -> str:
    if data is None or not data.startswith(prefix) or len(data.encode()) > MAX_BYTES:
        raise BadCallback("not our button")
    return data[len(prefix):]


def _number(text: str) -> int:
    if not _NUMBER.fullmatch(text) or int(text) >= MAX_NUMBER:
        raise BadCallback("malformed or oversized number")
    return int(text)
