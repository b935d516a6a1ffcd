"""What Telegram does to every stored text: UTF-16 offsets, cleanup, trimming, auto entities.

Why separate from the HTML parser: user messages injected by the tests and the bot's own
plain-text messages go through the same normalisation as parsed HTML.
"""

from __future__ import annotations

import re


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit Telegram uses for entity offsets."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _u16_slice(text: str, start: int, end: int) -> str:
    """Slice ``text`` by UTF-16 offsets (what entity offset/length refer to)."""
    raw = text.encode("utf-16-le", "surrogatepass")[2 * start : 2 * end]
    return raw.decode("utf-16-le", "replace")


# tdlib's MessageEntity type priority, used as last sort key (offset asc, length desc, prio).
_TYPE_PRIORITY = {
    "blockquote": 0, "expandable_blockquote": 0, "pre": 10, "code": 20,
    "text_link": 49, "text_mention": 49, "bold": 90, "italic": 91, "underline": 92,
    "strikethrough": 93, "spoiler": 94, "custom_emoji": 99,
}


def sort_entities(entities: list[dict]) -> list[dict]:
    """Sort like tdlib: offset ascending, length descending, then type priority."""
    return sorted(
        entities,
        key=lambda e: (e["offset"], -e["length"], _TYPE_PRIORITY.get(e["type"], 50)),
    )


# Auto-detected entities (tdlib's find_entities, simplified): Telegram adds these to
# every text message, including the bot's own.
_AUTO_ENTITY_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("url", re.compile(r"(?<![\w@/.])(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)),
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    ("bot_command", re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#\w{1,256}")),
]
_AUTO_EXCLUSIVE = frozenset(
    {"code", "pre", "text_link", "text_mention", "url", "email", "mention", "bot_command",
     "hashtag", "custom_emoji"}
)


def find_auto_entities(text: str, existing: list[dict]) -> list[dict]:
    """Find url/email/bot_command/mention/hashtag entities not clashing with ``existing``."""
    taken: list[tuple[int, int]] = [
        (e["offset"], e["offset"] + e["length"]) for e in existing if e["type"] in _AUTO_EXCLUSIVE
    ]
    found: list[dict] = []
    for kind, pattern in _AUTO_ENTITY_PATTERNS:
        for match in pattern.finditer(text):
            value = match.group(0)
            if kind == "url":
                value = value.rstrip(".,;:!?)]}'\"")
            if kind == "hashtag" and value[1:].isdigit():
                continue
            if not value:
                continue
            start = utf16_len(text[: match.start()])
            end = start + utf16_len(value)
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            found.append({"type": kind, "offset": start, "length": end - start})
    return found


def fix_text(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Port of the relevant parts of tdlib's fix_formatted_text.

    Why: Telegram never stores the text exactly as sent - control characters become
    spaces, '\\r' is removed, trailing whitespace is trimmed, leading spaces/newlines are
    trimmed up to the first entity, and entities covering only whitespace disappear.
    Returns ("", []) when nothing is left (the caller turns that into the empty error).
    """
    pieces: list[str] = []
    pos_map: list[int] = []  # old UTF-16 offset -> new UTF-16 offset
    new16 = 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        pos_map.extend([new16] * width)
        if ch == "\r":
            continue
        if ord(ch) < 32 and ch != "\n":
            ch = " "
        pieces.append(ch)
        new16 += width
    pos_map.append(new16)
    fixed = "".join(pieces)
    total = len(pos_map) - 1

    result: list[dict] = []
    for entity in entities:
        start = pos_map[max(0, min(int(entity["offset"]), total))]
        end = pos_map[max(0, min(int(entity["offset"]) + int(entity["length"]), total))]
        if end <= start or not _u16_slice(fixed, start, end).strip(" \n"):
            continue
        result.append({**entity, "offset": start, "length": end - start})

    stripped = fixed.rstrip(" \n")
    if not stripped:
        return "", []
    limit = utf16_len(stripped)
    for entity in result:
        entity["length"] = min(entity["offset"] + entity["length"], limit) - entity["offset"]
    result = [e for e in result if e["length"] > 0]

    first_entity = min((e["offset"] for e in result), default=limit)
    lead = 0
    while lead < first_entity and stripped[lead] in " \n":
        lead += 1
    for entity in result:
        entity["offset"] -= lead
    return stripped[lead:], result

