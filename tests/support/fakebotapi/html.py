"""Telegram's HTML parse mode: a port of tdlib's parse_html to (plain text, entities).

Why a hand-written port instead of ``html.parser``: Telegram is strict about tags
(unsupported/unclosed/mismatched tags are 400 errors with tdlib's exact wording) but
lenient about '&', and entity offsets must be in UTF-16 code units.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from tests.support.fakebotapi.text import sort_entities, utf16_len


class HTMLParseError(ValueError):
    """Telegram's "can't parse entities" error; ``str(exc)`` is tdlib's wording."""


_HTML_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "pre", "code",
        "span", "tg-spoiler", "tg-emoji", "blockquote",
    }
)
_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _is_space(ch: str) -> bool:
    """tdlib's is_space (the NUL end marker counts as space)."""
    return ch in " \t\r\n\0\v"


def _decode_html_entity(text: str, pos: int) -> tuple[str | None, int]:
    """Port of tdlib's decode_html_entity: returns (char, new_pos) or (None, pos).

    Only &lt; &gt; &amp; &quot; and numeric references are understood; anything else
    (including a bare '&') is *not* an error in Telegram - the '&' is kept literally.
    """
    n = len(text)
    end = pos + 1
    code = 0
    if end < n and text[end] == "#":
        end += 1
        if end < n and text[end] == "x":
            end += 1
            while end < n and text[end] in "0123456789abcdefABCDEF":
                code = code * 16 + int(text[end], 16)
                end += 1
        else:
            while end < n and text[end].isascii() and text[end].isdigit():
                code = code * 10 + int(text[end])
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10 or 0xD800 <= code <= 0xDFFF:
            return None, pos
        char = chr(code)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        name = text[pos + 1 : end]
        if name not in _NAMED_ENTITIES:
            return None, pos
        char = _NAMED_ENTITIES[name]
    if end < n and text[end] == ";":
        end += 1
    return char, end


def normalize_url(url: str) -> str | None:
    """Approximation of tdlib's check_url: returns the normalised URL or None if invalid."""
    url = url.strip()
    if not url:
        return None
    if url.lower().startswith(("tg://", "ton://")):
        return url
    if "://" not in url:
        url = "http://" + url
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname
    if "." not in host and host != "localhost":
        return None
    if not parts.path and not parts.query and not parts.fragment:
        url += "/"
    return url


def _tg_user_id(url: str) -> int | None:
    """User id of a ``tg://user?id=123`` link (becomes a text_mention entity)."""
    match = re.fullmatch(r"tg://user\?id=(\d{1,20})", url.strip(), re.IGNORECASE)
    return int(match.group(1)) if match else None


def parse_html(
    text: str, user_lookup: Callable[[int], dict] | None = None
) -> tuple[str, list[dict]]:
    """Parse Telegram's HTML subset into (plain text, entities) like tdlib's parse_html.

    Whitespace trimming and entity auto-detection happen later (see ``text.fix_text``).

    Raises:
        HTMLParseError: with tdlib's message, e.g. ``Unsupported start tag "br" at byte
            offset 5``.
    """
    n = len(text)
    out: list[str] = []
    out_len = 0  # characters (code points) in out
    utf16 = 0
    entities: list[dict] = []
    # (tag name, argument, utf16 offset at start, char offset in output at start)
    stack: list[tuple[str, str, int, int]] = []

    def at(i: int) -> str:
        """Character at i, or tdlib's NUL terminator past the end."""
        return text[i] if i < n else "\0"

    def byte_offset(i: int) -> int:
        """tdlib reports positions as UTF-8 byte offsets."""
        return len(text[:i].encode("utf-8", "surrogatepass"))

    i = 0
    while i < n:
        ch = text[i]
        if ch == "&":
            decoded, new_i = _decode_html_entity(text, i)
            if decoded is not None:
                out.append(decoded)
                out_len += 1
                utf16 += utf16_len(decoded)
                i = new_i
                continue
        if ch != "<":
            out.append(ch)
            out_len += 1
            utf16 += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            # ---- start tag
            while not _is_space(at(i)) and at(i) != ">":
                i += 1
            if i >= n:
                raise HTMLParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            tag = text[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise HTMLParseError(
                    f'Unsupported start tag "{tag}" at byte offset {byte_offset(begin)}'
                )
            argument = ""
            while at(i) != ">":
                while i < n and _is_space(at(i)):
                    i += 1
                if at(i) == ">":
                    break
                attr_begin = i
                while not _is_space(at(i)) and at(i) not in "=>/\"'":
                    i += 1
                attr_name = text[attr_begin:i].lower()
                if not attr_name:
                    raise HTMLParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{byte_offset(begin)}"
                    )
                while i < n and _is_space(at(i)):
                    i += 1
                if at(i) != "=":
                    if i >= n:
                        raise HTMLParseError(
                            f'Unclosed start tag "{tag}" at byte offset {byte_offset(begin)}'
                        )
                    if tag == "blockquote" and attr_name == "expandable":
                        argument = "1"
                    continue
                i += 1
                while i < n and _is_space(at(i)):
                    i += 1
                if i >= n:
                    raise HTMLParseError(
                        f'Unclosed start tag "{tag}" at byte offset {byte_offset(begin)}'
                    )
                value_chars: list[str] = []
                if at(i) not in "'\"":
                    token_begin = i
                    while at(i).isascii() and (at(i).isalnum() or at(i) in ".-"):
                        i += 1
                    value = text[token_begin:i].lower()
                    if not _is_space(at(i)) and at(i) != ">":
                        raise HTMLParseError(
                            f"Unexpected end of name token at byte offset "
                            f"{byte_offset(token_begin)}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    while i < n and at(i) != quote:
                        if at(i) == "&":
                            decoded, new_i = _decode_html_entity(text, i)
                            if decoded is not None:
                                value_chars.append(decoded)
                                i = new_i
                                continue
                        value_chars.append(at(i))
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = "".join(value_chars)
                if i >= n:
                    raise HTMLParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                if tag == "a" and attr_name == "href":
                    argument = value
                elif tag == "code" and attr_name == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr_name == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr_name == "emoji-id":
                    argument = value
                elif tag == "blockquote" and attr_name == "expandable":
                    argument = "1"
            if tag == "span" and argument != "spoiler":
                raise HTMLParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}'
                )
            stack.append((tag, argument, utf16, out_len))
            i += 1  # skip '>'
            continue

        # ---- end tag
        if not stack:
            raise HTMLParseError(f"Unexpected end tag at byte offset {byte_offset(begin)}")
        while not _is_space(at(i)) and at(i) != ">":
            i += 1
        end_name = text[begin + 2 : i].lower()
        while i < n and _is_space(at(i)):
            i += 1
        if at(i) != ">":
            raise HTMLParseError(f"Unclosed end tag at byte offset {byte_offset(begin)}")
        i += 1
        tag, argument, start16, start_char = stack.pop()
        if end_name and end_name != tag:
            raise HTMLParseError(
                f'Unmatched end tag at byte offset {byte_offset(begin)}, expected "</{tag}>", '
                f'found "</{end_name}>"'
            )
        if utf16 <= start16:
            continue  # empty entities are dropped
        length = utf16 - start16
        entity: dict[str, Any] = {"offset": start16, "length": length}
        if tag in _SIMPLE_TAG_TYPES:
            entity["type"] = _SIMPLE_TAG_TYPES[tag]
        elif tag == "blockquote":
            entity["type"] = "expandable_blockquote" if argument else "blockquote"
        elif tag == "tg-emoji":
            if not argument.isdigit():
                raise HTMLParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=argument)
        elif tag == "a":
            url = argument or "".join(out[start_char:])
            user_id = _tg_user_id(url)
            if user_id is not None:
                user = user_lookup(user_id) if user_lookup else None
                entity.update(
                    type="text_mention",
                    user=user or {"id": user_id, "is_bot": False, "first_name": str(user_id)},
                )
            else:
                normalized = normalize_url(url)
                if normalized is None:
                    continue  # tdlib silently drops links with an invalid URL
                entity.update(type="text_link", url=normalized)
        elif tag == "pre":
            last = entities[-1] if entities else None
            if (
                last
                and last["type"] == "code"
                and last["offset"] == start16
                and last["length"] == length
                and last.get("language")
            ):
                last["type"] = "pre"
                continue
            entity["type"] = "pre"
        elif tag == "code":
            last = entities[-1] if entities else None
            if (
                last
                and last["type"] == "pre"
                and last["offset"] == start16
                and last["length"] == length
                and argument
            ):
                last["language"] = argument
                continue
            entity["type"] = "code"
            if argument:
                entity["language"] = argument  # removed below unless merged into a pre
        entities.append(entity)

    if stack:
        raise HTMLParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return "".join(out), sort_entities(entities)
