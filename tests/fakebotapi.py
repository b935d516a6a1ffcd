"""A small but faithful fake Telegram Bot API server for end-to-end tests.

Why: the bot's tests run the *real* python-telegram-bot ``Application`` with long
polling over real HTTP, so everything PTB does on the wire (form encoding, retries,
offsets, error mapping, the cleanup ``getUpdates`` on stop) is exercised for real.
The server runs inside the test's event loop on ``127.0.0.1`` (port 0) and speaks
just enough HTTP/1.1 (keep-alive, Content-Length and chunked bodies) for httpx.

Usage::

    api = FakeBotAPI()
    await api.start()
    app = (ApplicationBuilder().token(TOKEN).base_url(api.base_url)
           .base_file_url(api.base_file_url).build())
    ...
    api.send_text("/start")
    [reply] = await api.wait_for_sent(1)

Semantics follow https://core.telegram.org/bots/api and tdlib where it matters
(HTML parsing, whitespace trimming, UTF-16 entity offsets, update acknowledgement
by ``offset``, 409 for concurrent ``getUpdates``). Things that are deliberately not
modelled are listed in :class:`FakeBotAPI`'s docstring.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import json
import logging
import re
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

__all__ = [
    "TOKEN",
    "FakeBotAPI",
    "HTMLParseError",
    "UploadedFile",
    "parse_html",
    "utf16_len",
]

TOKEN = "123456:TEST-fake-token"

_LOG = logging.getLogger("fakebotapi")

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_RESULTS = 50

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
GETUPDATES_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)

FAULT_KINDS = ("429", "500", "502", "400", "403", "409", "drop", "drop_after", "hang")


# --------------------------------------------------------------------------- helpers


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit Telegram uses for entity offsets."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _u16_slice(text: str, start: int, end: int) -> str:
    """Slice ``text`` by UTF-16 offsets (what entity offset/length refer to)."""
    raw = text.encode("utf-16-le", "surrogatepass")[2 * start : 2 * end]
    return raw.decode("utf-16-le", "replace")


class HTMLParseError(ValueError):
    """Telegram's "can't parse entities" error; ``str(exc)`` is tdlib's wording."""


@dataclass
class UploadedFile:
    """A file part of a multipart/form-data request (PTB uploads InputFile this way)."""

    filename: str
    content_type: str
    data: bytes


class _APIError(Exception):
    """An error answer of the Bot API: HTTP status plus Telegram's description."""

    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        """Keep status and description separate for the JSON error body."""
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad(description: str) -> _APIError:
    """Shortcut for a 400 whose description is prefixed the way Telegram does."""
    return _APIError(400, f"Bad Request: {description}")


class _Dropped(Exception):
    """Raised when the request must end by closing the TCP connection without an answer."""


# --------------------------------------------------------------------------- HTML parser

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
# tdlib's MessageEntity type priority, used as last sort key (offset asc, length desc, prio).
_TYPE_PRIORITY = {
    "blockquote": 0, "expandable_blockquote": 0, "pre": 10, "code": 20,
    "text_link": 49, "text_mention": 49, "bold": 90, "italic": 91, "underline": 92,
    "strikethrough": 93, "spoiler": 94, "custom_emoji": 99,
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


def _normalize_url(url: str) -> str | None:
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

    Why a hand-written port instead of ``html.parser``: Telegram is strict about tags
    (unsupported/unclosed/mismatched tags are 400 errors with specific wording) but
    lenient about '&', and entity offsets must be in UTF-16 code units.
    Whitespace trimming and entity auto-detection happen later (see ``_fix_text``).

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
                normalized = _normalize_url(url)
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
    return "".join(out), _sort_entities(entities)


def _sort_entities(entities: list[dict]) -> list[dict]:
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


def _find_auto_entities(text: str, existing: list[dict]) -> list[dict]:
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


def _fix_text(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
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


# --------------------------------------------------------------------------- HTTP layer


@dataclass
class _Request:
    """One parsed HTTP/1.1 request."""

    method: str
    path: str
    query: str
    version: str
    headers: dict[str, str]
    body: bytes

    @property
    def keep_alive(self) -> bool:
        """HTTP/1.1 keeps the connection unless told otherwise; 1.0 only on request."""
        conn = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return conn == "keep-alive"
        return conn != "close"


class _BadHTTP(Exception):
    """Malformed HTTP; answered with 400 and the connection is closed."""


def _parse_http_request(buf: bytearray) -> _Request | None:
    """Parse one request from the front of ``buf`` (consuming it) or return None if partial."""
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        if len(buf) > 65536:
            raise _BadHTTP("headers too large")
        return None
    lines = bytes(buf[:head_end]).decode("latin-1").split("\r\n")
    try:
        method, target, version = lines[0].split(" ", 2)
    except ValueError as exc:
        raise _BadHTTP(f"bad request line {lines[0]!r}") from exc
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    pos = head_end + 4
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = bytearray()
        while True:
            line_end = buf.find(b"\r\n", pos)
            if line_end < 0:
                return None
            try:
                size = int(bytes(buf[pos:line_end]).split(b";")[0].strip(), 16)
            except ValueError as exc:
                raise _BadHTTP("bad chunk size") from exc
            pos = line_end + 2
            if size == 0:
                while True:  # optional trailers, then an empty line
                    line_end = buf.find(b"\r\n", pos)
                    if line_end < 0:
                        return None
                    if line_end == pos:
                        pos += 2
                        break
                    pos = line_end + 2
                break
            if len(buf) < pos + size + 2:
                return None
            body += buf[pos : pos + size]
            pos += size + 2
        body_bytes = bytes(body)
    else:
        try:
            length = int(headers.get("content-length", "0") or 0)
        except ValueError as exc:
            raise _BadHTTP("bad content-length") from exc
        if len(buf) < pos + length:
            return None
        body_bytes = bytes(buf[pos : pos + length])
        pos += length
    del buf[:pos]
    path, _, query = target.partition("?")
    return _Request(method.upper(), urllib.parse.unquote(path), query, version, headers, body_bytes)


def _http_response(
    status: int, body: bytes, content_type: str = "application/json", keep_alive: bool = True
) -> bytes:
    """Serialize an HTTP/1.1 response with Content-Length (so keep-alive works)."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Server: FakeBotAPI\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


class _Connection(asyncio.Protocol):
    """One client TCP connection; serves requests sequentially (no pipelining needed)."""

    def __init__(self, api: FakeBotAPI) -> None:
        """Why a Protocol and not streams: we need to notice a client hang-up during a
        long poll and to abort the transport for fault injection."""
        self.api = api
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.data_event = asyncio.Event()
        self.closed = asyncio.Event()
        self.task: asyncio.Task | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Register and start the serving task."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.api._connections.add(self)
        self.task = asyncio.get_running_loop().create_task(self._serve())

    def data_received(self, data: bytes) -> None:
        """Buffer and wake the serving task."""
        self.buffer.extend(data)
        self.data_event.set()

    def eof_received(self) -> bool | None:
        """Client closed its side: treat as gone (httpx never half-closes)."""
        self.closed.set()
        self.data_event.set()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        """Wake everything waiting on this connection."""
        self.closed.set()
        self.data_event.set()
        self.api._connections.discard(self)

    def abort(self) -> None:
        """Close the TCP connection immediately, without an answer (fault injection)."""
        self.closed.set()
        if self.transport is not None:
            self.transport.abort()

    async def _serve(self) -> None:
        """Read requests, dispatch them and write answers until the connection ends."""
        try:
            while not self.closed.is_set():
                try:
                    request = _parse_http_request(self.buffer)
                except _BadHTTP as exc:
                    self._write(_http_response(400, str(exc).encode(), "text/plain", False))
                    break
                if request is None:
                    self.data_event.clear()
                    await self.data_event.wait()
                    continue
                answer = await self.api._handle_http(self, request)
                if answer is None:  # dropped
                    self.abort()
                    break
                status, body, ctype = answer
                self._write(_http_response(status, body, ctype, request.keep_alive))
                if not request.keep_alive:
                    break
        except asyncio.CancelledError:
            pass
        finally:
            if self.transport is not None and not self.transport.is_closing():
                self.transport.close()

    def _write(self, data: bytes) -> None:
        """Write unless the peer is already gone."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


# --------------------------------------------------------------------------- the fake


@dataclass
class _Fault:
    """A pending fault-injection rule."""

    method: str
    kind: str
    remaining: int
    retry_after: int
    description: str | None


@dataclass
class _Ctx:
    """Per-request context handed to method implementations."""

    conn: _Connection
    files: dict[str, UploadedFile] = field(default_factory=dict)


# Parameters that are plain strings on the wire and must never be JSON-decoded
# (PTB JSON-encodes every non-str value but sends str values raw, so "123" as text
# must stay a string).
_STRING_PARAMS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "inline_query_id", "next_offset",
        "switch_pm_text", "switch_pm_parameter", "url", "description", "short_description",
        "name", "title", "language_code", "emoji", "message_effect_id", "business_connection_id",
        "question", "explanation", "action", "file_id", "inline_message_id", "secret_token",
        "ip_address", "custom_title", "performer", "address", "first_name", "last_name",
        "vcard", "phone_number", "foursquare_id", "game_short_name", "payload", "currency",
        "provider_token", "start_parameter", "error_message", "shipping_query_id",
        "pre_checkout_query_id", "sticker_set_name", "format", "web_app_query_id",
    }
)

_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)

_MEDIA_KINDS = {
    # kind: (folder, extension, default mime type)
    "photo": ("photos", "jpg", "image/jpeg"),
    "document": ("documents", "bin", "application/octet-stream"),
    "voice": ("voice", "oga", "audio/ogg"),
    "audio": ("music", "mp3", "audio/mpeg"),
    "video": ("videos", "mp4", "video/mp4"),
    "animation": ("animations", "mp4", "video/mp4"),
    "sticker": ("stickers", "webp", "image/webp"),
    "video_note": ("video_notes", "mp4", "video/mp4"),
}


class FakeBotAPI:
    """In-process fake of the Telegram Bot API for end-to-end tests of a PTB bot.

    Why: running the real ``Application`` against a real HTTP server catches bugs that
    mocks hide (encoding, retries, error mapping, update acknowledgement).

    Observing: ``calls`` (successful calls, in order), ``sent`` (Messages the bot created,
    updated in place on edits), ``errors`` (every error answer incl. injected ones, as
    dicts with method/params/status/description/injected/time (time.monotonic())),
    ``deleted``, ``callback_answers``, ``inline_answers``, ``commands``, ``updates_log``.

    Not modelled (404 "Not Found" so you notice): forwardMessage/copyMessage, polls,
    payments, sticker sets, forum topics, business, webhooks delivery. parse_mode
    MarkdownV2/Markdown answer 400 with a description saying the fake lacks them.
    Auto-detected entities (url/email/bot_command/mention/hashtag) are a simplification
    of tdlib's (no bare domains, cashtags or phone numbers).
    """

    def __init__(
        self,
        token: str = TOKEN,
        bot_username: str = "napo_test_bot",
        *,
        bot_first_name: str | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        """Create the fake; nothing listens until :meth:`start`."""
        self.token = token
        self.host = host
        self.port = 0
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 123456
        first_name = bot_first_name or " ".join(
            part.capitalize() for part in bot_username.removesuffix("_bot").split("_") if part
        )
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": first_name or "Bot",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

        # --- observation
        self.calls: list[tuple[str, dict]] = []
        self.sent: list[dict] = []
        self.errors: list[dict] = []
        self.deleted: set[tuple[int, int]] = set()
        self.callback_answers: dict[str, dict] = {}
        self.inline_answers: dict[str, list[dict]] = {}
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.updates_log: list[dict] = []
        self.internal_errors: list[BaseException] = []

        # --- configuration
        self.blocked_users: set[int] = set()
        self.chat_admins: dict[int, list[int]] = {}
        self.channels: dict[int, str] = {}
        self.users: dict[int, dict] = {}
        self.chats: dict[int, dict] = {}
        self.files: dict[str, dict] = {}
        self.webhook_url = ""

        # --- state
        self._updates: list[dict] = []
        self._next_update_id = 1
        self._messages: dict[int, dict[int, dict]] = {}
        self._next_message_id: dict[int, int] = {}
        self._pinned: dict[int, int] = {}
        self._open_callback_queries: set[str] = set()
        self._open_inline_queries: set[str] = set()
        self._next_query_id = 1
        self._next_file_no = 1
        self._faults: list[_Fault] = []
        self._inflight: Counter[str] = Counter()
        self._poll_waiter: asyncio.Future[str] | None = None
        self._changed = asyncio.Event()
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[_Connection] = set()
        self._methods: dict[str, tuple[str, Callable[[dict, _Ctx], Any]]] = {}
        self._register_methods()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Listen on ``host`` with an OS-chosen port (read it from ``base_url``)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the listener and every connection; raise if the fake itself crashed.

        Why raise: a bug in the fake shows up to PTB as a 500 and would otherwise be
        mistaken for bot behaviour.
        """
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("stop")
        if self._server is not None:
            self._server.close()
        conns = list(self._connections)
        for conn in conns:
            conn.abort()
        tasks = [c.task for c in conns if c.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        if self.internal_errors:
            errors, self.internal_errors = self.internal_errors, []
            raise AssertionError(f"FakeBotAPI crashed while serving: {errors!r}")

    async def __aenter__(self) -> FakeBotAPI:
        """``async with FakeBotAPI() as api`` starts and stops the server."""
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop the server."""
        await self.stop()

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder.base_url`` (PTB appends token and method)."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder.base_file_url`` (PTB appends token and path)."""
        return f"http://{self.host}:{self.port}/file/bot"

    # ------------------------------------------------------------------ users & chats

    def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        is_premium: bool | None = None,
    ) -> dict:
        """Register (or replace) the User dict used for ``user_id`` in updates."""
        user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name or f"User{user_id}",
        }
        if last_name:
            user["last_name"] = last_name
        user["username"] = username if username is not None else f"user{user_id}"
        if not user["username"]:
            del user["username"]
        if language_code:
            user["language_code"] = language_code
        if is_premium:
            user["is_premium"] = True
        self.users[user_id] = user
        if user_id in self.chats and self.chats[user_id]["type"] == "private":
            del self.chats[user_id]
        return user

    def user(self, user_id: int) -> dict:
        """The User dict for ``user_id`` (a default one is created on first use)."""
        if user_id == self.bot_id:
            return copy.deepcopy(self.bot_user)
        if user_id not in self.users:
            self.add_user(user_id)
        return copy.deepcopy(self.users[user_id])

    def add_chat(
        self,
        chat_id: int,
        chat_type: str,
        *,
        title: str | None = None,
        username: str | None = None,
        is_forum: bool | None = None,
    ) -> dict:
        """Register a chat's type/title; private chats are derived from the user."""
        if chat_type == "private":
            user = self.user(chat_id)
            chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if key in user:
                    chat[key] = user[key]
        else:
            if chat_type not in ("group", "supergroup", "channel"):
                raise ValueError(f"unknown chat type {chat_type!r}")
            default_title = self.channels.get(chat_id) or f"{chat_type.capitalize()} {chat_id}"
            chat = {"id": chat_id, "type": chat_type, "title": title or default_title}
            if username:
                chat["username"] = username
            if is_forum:
                chat["is_forum"] = True
        self.chats[chat_id] = chat
        return copy.deepcopy(chat)

    def chat(self, chat_id: int) -> dict:
        """The Chat dict for ``chat_id``: registered, else guessed from the id's shape.

        Positive ids are private chats, ids in ``channels`` or starting with -100 are
        channels (register supergroups with :meth:`add_chat` or via an update), other
        negative ids are basic groups.
        """
        if chat_id in self.chats:
            return copy.deepcopy(self.chats[chat_id])
        if chat_id in self.channels or str(chat_id).startswith("-100"):
            return self.add_chat(chat_id, "channel")
        if chat_id > 0:
            return self.add_chat(chat_id, "private")
        return self.add_chat(chat_id, "group")

    # ------------------------------------------------------------------ files

    def make_file(
        self,
        kind: str,
        content: bytes = b"",
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        duration: int = 1,
        width: int = 640,
        height: int = 480,
    ) -> Any:
        """Register downloadable content and return the dict for a message field.

        ``kind`` is one of photo/document/voice/audio/video/animation/sticker/video_note.
        For "photo" a list of PhotoSize dicts is returned (that is what Message.photo is).
        Use it with :meth:`send_message`, e.g. ``api.send_message(voice=api.make_file(
        "voice", b"OggS..."))``; the bot can then getFile + download the bytes.
        """
        if kind not in _MEDIA_KINDS:
            raise ValueError(f"unknown media kind {kind!r}")
        folder, ext, default_mime = _MEDIA_KINDS[kind]
        number = self._next_file_no
        self._next_file_no += 1
        base = {"file_id": f"fake-{kind}-{number}", "file_unique_id": f"uniq{number}"}
        size = len(content)
        self.files[base["file_id"]] = {
            **base,
            "file_size": size,
            "file_path": f"{folder}/file_{number}.{ext}",
            "content": content,
        }
        meta: dict[str, Any] = {**base, "file_size": size}
        if kind == "photo":
            meta.update(width=width, height=height)
            return [meta]
        if kind in ("document", "audio", "video", "animation", "voice"):
            meta["mime_type"] = mime_type or default_mime
        if kind in ("document", "audio", "video", "animation") and file_name:
            meta["file_name"] = file_name
        if kind in ("voice", "audio", "video", "animation", "video_note"):
            meta["duration"] = duration
        if kind in ("video", "animation", "sticker"):
            meta.update(width=width, height=height)
        if kind == "video_note":
            meta["length"] = width
        if kind == "sticker":
            meta.update(type="regular", is_animated=False, is_video=False)
        return meta

    # ------------------------------------------------------------------ injecting updates

    def add_update(self, update: dict) -> dict:
        """Queue a raw update (its ``update_id`` is assigned here) and wake the long poll."""
        update["update_id"] = self._next_update_id
        self._next_update_id += 1
        self._updates.append(update)
        self.updates_log.append(update)
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("update")
        self._notify()
        return update

    def redeliver(self, update: dict) -> dict:
        """Queue an update again with its ORIGINAL ``update_id``, as Telegram does when a bot
        died before its acknowledgement arrived."""
        copy = dict(update)
        self._updates.append(copy)
        self._updates.sort(key=lambda u: u["update_id"])
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("update")
        self._notify()
        return copy

    def send_text(
        self,
        text: str,
        user_id: int = 1001,
        chat_id: int | None = None,
        chat_type: str = "private",
        **message_extra: Any,
    ) -> dict:
        """Queue a text message from a user; /commands, @mentions, links get entities."""
        fixed, entities = _fix_text(text, [])
        if not fixed:
            raise ValueError("Telegram clients cannot send an empty text message")
        fields: dict[str, Any] = {"text": fixed}
        if "entities" not in message_extra:
            auto = _sort_entities(_find_auto_entities(fixed, entities))
            if auto:
                fields["entities"] = auto
        fields.update(message_extra)
        return self.send_message(user_id=user_id, chat_id=chat_id, chat_type=chat_type, **fields)

    def send_message(
        self,
        user_id: int = 1001,
        chat_id: int | None = None,
        chat_type: str = "private",
        **fields: Any,
    ) -> dict:
        """Queue a message update with raw Message fields (sticker=..., photo=[...] ...).

        In a channel ("channel" chat_type) this is a ``channel_post`` with sender_chat.
        ``reply_to_message`` may be any message dict (e.g. one from ``sent``).
        """
        if chat_id is None:
            if chat_type != "private":
                raise ValueError("chat_id is required for non-private chats")
            chat_id = user_id
        if chat_type == "private" and chat_id != user_id:
            raise ValueError("in a private chat, chat_id must equal user_id")
        known = self.chats.get(chat_id)
        if known is None or known["type"] != chat_type:
            chat = self.add_chat(chat_id, chat_type)
        else:
            chat = copy.deepcopy(known)
        message: dict[str, Any] = {"message_id": self._alloc_message_id(chat_id)}
        if chat_type == "channel":
            message["sender_chat"] = copy.deepcopy(chat)
        else:
            message["from"] = self.user(user_id)
        message["chat"] = chat
        message["date"] = int(time.time())
        for key, value in fields.items():
            if key == "reply_to_message" and isinstance(value, dict):
                value = self._current(value)
                value.pop("reply_to_message", None)
            message[key] = value
        self._store(message)
        key = "channel_post" if chat_type == "channel" else "message"
        return self.add_update({key: copy.deepcopy(message)})

    def edit_text(self, message: dict, new_text: str) -> dict:
        """Queue an ``edited_message`` update: the user edited one of their messages."""
        message = message.get("message") or message.get("channel_post") or message
        stored = self._lookup(message["chat"]["id"], message["message_id"])
        if stored is None:
            raise AssertionError(f"cannot edit unknown/deleted message {message['message_id']}")
        if "text" not in stored:
            raise AssertionError("only text messages can be edited with edit_text")
        fixed, _ = _fix_text(new_text, [])
        if not fixed:
            raise ValueError("an edited message cannot be empty")
        stored["text"] = fixed
        stored.pop("entities", None)
        auto = _sort_entities(_find_auto_entities(fixed, []))
        if auto:
            stored["entities"] = auto
        stored["edit_date"] = int(time.time())
        key = "edited_channel_post" if stored["chat"]["type"] == "channel" else "edited_message"
        return self.add_update({key: copy.deepcopy(stored)})

    def press_button(
        self, message: dict, data: str, user_id: int = 1001, *, check: bool = True
    ) -> dict:
        """Queue a ``callback_query``: the user pressed a button of a bot message.

        The *current* version of the message is used (after edits). With ``check`` the
        button must exist in the message's current inline keyboard, like a real client.
        """
        stored = self._lookup(message["chat"]["id"], message["message_id"])
        if stored is None:
            raise AssertionError(
                f"message {message['message_id']} in chat {message['chat']['id']} is unknown "
                "or deleted; a user cannot press its buttons"
            )
        if check:
            keyboard = stored.get("reply_markup", {}).get("inline_keyboard", [])
            datas = [b.get("callback_data") for row in keyboard for b in row]
            if data not in datas:
                raise AssertionError(
                    f"no button with callback_data {data!r} on message "
                    f"{stored['message_id']}; buttons: {datas}"
                )
        query_id = self._new_query_id()
        self._open_callback_queries.add(query_id)
        query = {
            "id": query_id,
            "from": self.user(user_id),
            "message": copy.deepcopy(stored),
            "chat_instance": f"ci{abs(stored['chat']['id'])}",
            "data": data,
        }
        return self.add_update({"callback_query": query})

    def inline_query(
        self, query: str, user_id: int = 1001, *, offset: str = "", chat_type: str | None = None
    ) -> dict:
        """Queue an ``inline_query`` (the user typed ``@bot query``)."""
        query_id = self._new_query_id()
        self._open_inline_queries.add(query_id)
        inline: dict[str, Any] = {
            "id": query_id,
            "from": self.user(user_id),
            "query": query,
            "offset": offset,
        }
        if chat_type:
            inline["chat_type"] = chat_type
        return self.add_update({"inline_query": inline})

    # ------------------------------------------------------------------ observing

    def messages_to(self, chat_id: int, *, include_deleted: bool = True) -> list[dict]:
        """Messages the bot created in ``chat_id`` (current state, in order)."""
        return [
            m
            for m in self.sent
            if m["chat"]["id"] == chat_id
            and (include_deleted or (chat_id, m["message_id"]) not in self.deleted)
        ]

    def calls_to(self, method: str) -> list[dict]:
        """Params of every successful call of ``method`` (case-insensitive)."""
        wanted = method.lower()
        return [params for name, params in self.calls if name.lower() == wanted]

    @property
    def pending_updates(self) -> list[dict]:
        """Updates queued but not yet acknowledged by an ``offset``."""
        return list(self._updates)

    def is_deleted(self, message: dict) -> bool:
        """Whether the bot (or a test) deleted this message."""
        return (message["chat"]["id"], message["message_id"]) in self.deleted

    async def wait_for_sent(
        self, count: int = 1, chat_id: int | None = None, timeout: float = 5.0
    ) -> list[dict]:
        """Wait until at least ``count`` bot messages exist (in ``chat_id`` if given)."""

        def matching() -> list[dict]:
            """Bot messages counted by this wait."""
            return [m for m in self.sent if chat_id is None or m["chat"]["id"] == chat_id]

        where = f" to chat {chat_id}" if chat_id is not None else ""
        await self._wait_until(
            lambda: len(matching()) >= count,
            timeout,
            lambda: f"expected >= {count} sent messages{where}, got {len(matching())}",
        )
        return matching()

    async def wait_for_call(self, method: str, count: int = 1, timeout: float = 5.0) -> list[dict]:
        """Wait until ``method`` succeeded at least ``count`` times; returns their params."""
        await self._wait_until(
            lambda: len(self.calls_to(method)) >= count,
            timeout,
            lambda: f"expected >= {count} {method} calls, got {len(self.calls_to(method))}",
        )
        return self.calls_to(method)

    async def wait_idle(self, timeout: float = 5.0, settle: float = 0.05) -> None:
        """Wait until every queued update was acknowledged and no request except the
        long poll is in flight, continuously for ``settle`` seconds.

        Why the settle time: PTB acknowledges an update (next getUpdates) before its
        handler necessarily reached the network, so a single observation could be
        premature. Handlers that sleep or do slow non-HTTP work need ``wait_for_sent``.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        idle_since: float | None = None
        while True:
            now = loop.time()
            busy = {m: c for m, c in self._inflight.items() if c and m != "getupdates"}
            if not self._updates and not busy:
                if idle_since is None:
                    idle_since = now
                elif now - idle_since >= settle:
                    return
            else:
                idle_since = None
            if now >= deadline:
                raise AssertionError(
                    f"FakeBotAPI not idle after {timeout}s: {len(self._updates)} unacknowledged "
                    f"updates, in flight {busy}\n{self.debug_summary()}"
                )
            await asyncio.sleep(0.005)

    def debug_summary(self, last: int = 15) -> str:
        """Human-readable recent history, used in timeout assertion messages."""
        calls = [(m, p) for m, p in self.calls if m != "getUpdates"][-last:]
        lines = ["recent calls (getUpdates omitted):"]
        lines += [f"  {m} {json.dumps(p, default=str, ensure_ascii=False)[:200]}" for m, p in calls]
        lines.append("recent errors:")
        lines += [
            f"  {e['method']} -> {e['status']} {e['description']}" for e in self.errors[-last:]
        ]
        lines.append(f"pending updates: {[u['update_id'] for u in self._updates]}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        kind: str,
        count: int = 1,
        retry_after: int = 1,
        *,
        description: str | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail.

        kinds: "429" (Too Many Requests with retry_after), "500"/"502", "400"/"403"/"409"
        (with ``description``), "drop" (close the connection without answering),
        "drop_after" (perform the method, then drop - "Telegram took it but we never
        heard back"), "hang" (never answer; the client's read timeout fires).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}, not {kind!r}")
        self._faults.append(_Fault(method.lower(), kind, count, retry_after, description))

    # ------------------------------------------------------------------ internals: waiting

    def _notify(self) -> None:
        """Wake every ``_wait_until``; a fresh event avoids lost wake-ups."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_until(
        self, predicate: Callable[[], bool], timeout: float, describe: Callable[[], str]
    ) -> None:
        """Wait for ``predicate`` re-checking on every state change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._changed
            if predicate():
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out after {timeout}s: {describe()}\n{self.debug_summary()}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    # ------------------------------------------------------------------ internals: HTTP

    async def _handle_http(
        self, conn: _Connection, request: _Request
    ) -> tuple[int, bytes, str] | None:
        """Route one HTTP request; None means "drop the connection"."""
        path = request.path
        file_prefix = f"/file/bot{self.token}/"
        if path.startswith("/file/bot"):
            if request.method != "GET" or not path.startswith(file_prefix):
                return 404, b"Not Found", "text/plain"
            self._inflight["file download"] += 1
            try:
                await asyncio.sleep(0)  # lets wait_idle observe the download
                return self._serve_file(path[len(file_prefix) :])
            finally:
                self._inflight["file download"] -= 1
        match = re.fullmatch(r"/bot([^/]*)/([^/]*)", path)
        if not match:
            return self._error_body(404, "Not Found")
        token, method = match.groups()
        if token != self.token:
            return self._error_body(401, "Unauthorized")
        if method.lower() not in self._methods:
            self.errors.append(
                {"method": method, "params": {}, "status": 404, "description": "Not Found",
                 "injected": False, "time": time.monotonic()}
            )
            return self._error_body(404, "Not Found")
        key = method.lower()
        name, impl = self._methods[key]
        self._inflight[key] += 1
        self._notify()
        try:
            return await self._call(conn, request, name, impl)
        except _Dropped:
            return None
        except Exception as exc:  # a bug in the fake: surface it loudly
            _LOG.exception("FakeBotAPI crashed in %s", name)
            self.internal_errors.append(exc)
            return self._error_body(500, f"Internal Server Error: FakeBotAPI bug: {exc!r}")
        finally:
            self._inflight[key] -= 1
            self._notify()

    async def _call(
        self,
        conn: _Connection,
        request: _Request,
        name: str,
        impl: Callable[[dict, _Ctx], Any],
    ) -> tuple[int, bytes, str] | None:
        """Decode params, apply faults, run the method and build the JSON answer."""
        ctx = _Ctx(conn)
        try:
            params = self._decode_params(request, ctx)
        except _APIError as exc:
            return self._record_error(name, {}, exc)
        fault = self._take_fault(name)
        if fault is not None and fault.kind not in ("drop_after",):
            return await self._apply_fault(conn, name, params, fault)
        try:
            result = impl(params, ctx)
            if inspect.isawaitable(result):
                result = await result
        except _APIError as exc:
            return self._record_error(name, params, exc)
        self.calls.append((name, params))
        self._notify()
        if fault is not None:  # drop_after: the method took effect, the answer is lost
            _LOG.debug("FakeBotAPI: %s performed, dropping connection (drop_after)", name)
            raise _Dropped
        body = json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()
        return 200, body, "application/json"

    def _take_fault(self, name: str) -> _Fault | None:
        """Consume one matching fault rule, if any."""
        for fault in self._faults:
            if fault.method == name.lower() and fault.remaining > 0:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _apply_fault(
        self, conn: _Connection, name: str, params: dict, fault: _Fault
    ) -> tuple[int, bytes, str] | None:
        """Answer (or not) according to an injected fault."""
        if fault.kind == "drop":
            raise _Dropped
        if fault.kind == "hang":
            await conn.closed.wait()
            raise _Dropped
        status = int(fault.kind)
        parameters = None
        if status == 429:
            description = f"Too Many Requests: retry after {fault.retry_after}"
            parameters = {"retry_after": fault.retry_after}
        elif fault.description:
            description = fault.description
        else:
            description = {
                500: "Internal Server Error",
                502: "Bad Gateway",
                400: "Bad Request: injected error",
                403: "Forbidden: bot was blocked by the user",
                409: GETUPDATES_CONFLICT,
            }[status]
        return self._record_error(
            name, params, _APIError(status, description, parameters), injected=True
        )

    def _record_error(
        self, name: str, params: dict, exc: _APIError, injected: bool = False
    ) -> tuple[int, bytes, str]:
        """Log an error answer in ``errors`` and serialize it."""
        self.errors.append(
            {"method": name, "params": params, "status": exc.status,
             "description": exc.description, "injected": injected, "time": time.monotonic()}
        )
        self._notify()
        return self._error_body(exc.status, exc.description, exc.parameters)

    @staticmethod
    def _error_body(
        status: int, description: str, parameters: dict | None = None
    ) -> tuple[int, bytes, str]:
        """Telegram's error JSON shape."""
        payload: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            payload["parameters"] = parameters
        return status, json.dumps(payload).encode(), "application/json"

    def _serve_file(self, file_path: str) -> tuple[int, bytes, str]:
        """Serve bytes registered via :meth:`make_file` or uploaded by the bot."""
        for info in self.files.values():
            if info["file_path"] == file_path:
                return 200, info["content"], "application/octet-stream"
        return 404, b"Not Found", "text/plain"

    def _decode_params(self, request: _Request, ctx: _Ctx) -> dict[str, Any]:
        """Decode query string + urlencoded/multipart/JSON body into Python values.

        PTB sends every non-str value JSON-encoded inside the form, so each value is
        JSON-decoded unless it is a known plain-string parameter.
        """
        raw: dict[str, Any] = dict(urllib.parse.parse_qsl(request.query, keep_blank_values=True))
        ctype_full = request.headers.get("content-type", "")
        ctype = ctype_full.split(";")[0].strip().lower()
        body = request.body
        if body:
            if ctype == "application/json":
                try:
                    obj = json.loads(body)
                except ValueError as exc:
                    raise _bad("can't parse JSON object") from exc
                if not isinstance(obj, dict):
                    raise _bad("JSON object expected")
                for key, value in obj.items():
                    raw[key] = value
            elif ctype == "multipart/form-data":
                self._parse_multipart(ctype_full, body, raw, ctx)
            else:
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise _bad("strings must be encoded in UTF-8") from exc
                raw.update(urllib.parse.parse_qsl(text, keep_blank_values=True))
        return {key: self._decode_value(key, value) for key, value in raw.items()}

    @staticmethod
    def _parse_multipart(ctype_full: str, body: bytes, out: dict, ctx: _Ctx) -> None:
        """Minimal multipart/form-data parser (fields and file parts)."""
        match = re.search(r'boundary="?([^";]+)"?', ctype_full)
        if not match:
            raise _bad("multipart boundary missing")
        delimiter = b"--" + match.group(1).encode("latin-1")
        for part in body.split(delimiter)[1:]:
            if part.startswith(b"--"):
                break
            part = part.removeprefix(b"\r\n").removesuffix(b"\r\n")
            head, _, data = part.partition(b"\r\n\r\n")
            headers = {}
            for line in head.decode("utf-8", "replace").split("\r\n"):
                hname, _, hvalue = line.partition(":")
                headers[hname.strip().lower()] = hvalue.strip()
            disposition = headers.get("content-disposition", "")
            attrs = dict(re.findall(r'(\w+)="([^"]*)"', disposition))
            name = attrs.get("name")
            if not name:
                continue
            if "filename" in attrs:
                upload = UploadedFile(
                    attrs["filename"], headers.get("content-type", "application/octet-stream"), data
                )
                ctx.files[name] = upload
                out[name] = upload
            else:
                out[name] = data.decode("utf-8", "replace")

    @staticmethod
    def _decode_value(key: str, value: Any) -> Any:
        """JSON-decode a form value unless it is a plain-string parameter."""
        if not isinstance(value, str) or key in _STRING_PARAMS:
            return value
        try:
            return json.loads(value)
        except ValueError:
            return value

    # ------------------------------------------------------------------ internals: state

    def _alloc_message_id(self, chat_id: int) -> int:
        """Message ids are per chat and shared by the bot and the users, like Telegram."""
        next_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = next_id + 1
        return next_id

    def _store(self, message: dict) -> None:
        """Remember a message so edits, deletes, replies and buttons can find it."""
        self._messages.setdefault(message["chat"]["id"], {})[message["message_id"]] = message

    def _lookup(self, chat_id: int, message_id: int) -> dict | None:
        """Current stored version of a message (None if unknown or deleted)."""
        return self._messages.get(chat_id, {}).get(message_id)

    def _current(self, message: dict) -> dict:
        """Deep copy of the stored version of ``message`` (or of the dict itself)."""
        stored = self._lookup(message["chat"]["id"], message["message_id"])
        return copy.deepcopy(stored if stored is not None else message)

    def _new_query_id(self) -> str:
        """Unique id for callback and inline queries."""
        query_id = f"{self._next_query_id:04d}{self.bot_id}"
        self._next_query_id += 1
        return query_id

    def _user_lookup(self, user_id: int) -> dict:
        """User dict for text_mention entities."""
        return self.user(user_id)

    # ------------------------------------------------------------------ param helpers

    def _chat_id(self, params: dict, key: str = "chat_id") -> int:
        """Resolve ``chat_id`` (int or @username) or fail like Telegram."""
        value = params.get(key)
        if value is None or value == "":
            raise _bad(f"{key} is empty")
        if isinstance(value, bool):
            raise _bad("chat not found")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            if value.lstrip("-").isdigit():
                return int(value)
            if value.startswith("@"):
                for chat in self.chats.values():
                    if chat.get("username", "").lower() == value[1:].lower():
                        return chat["id"]
        raise _bad("chat not found")

    @staticmethod
    def _int(params: dict, key: str, missing: str) -> int:
        """Required integer parameter."""
        value = params.get(key)
        if value is None or value == "" or isinstance(value, bool):
            raise _bad(missing)
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise _bad(f"field \"{key}\" must be of type Integer") from exc

    def _check_blocked(self, chat_id: int) -> None:
        """403 for users who blocked the bot."""
        if chat_id in self.blocked_users:
            raise _APIError(403, "Forbidden: bot was blocked by the user")

    def _format(
        self,
        params: dict,
        text_key: str,
        entities_key: str,
        *,
        limit: int,
        too_long: str,
        empty: str | None,
    ) -> tuple[str, list[dict]]:
        """Turn text + parse_mode/entities into Telegram's stored (text, entities).

        ``empty`` is the error for empty text, or None when empty is allowed (captions).
        """
        raw = params.get(text_key)
        if raw is None or raw == "":
            if empty is not None:
                raise _bad(empty)
            return "", []
        text = raw if isinstance(raw, str) else json.dumps(raw)
        explicit = params.get(entities_key)
        parse_mode = params.get("parse_mode")
        if explicit:
            if not isinstance(explicit, list) or not all(
                isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in explicit
            ):
                raise _bad(f"can't parse {entities_key} JSON object")
            entities = copy.deepcopy(explicit)
        elif parse_mode:
            mode = str(parse_mode).lower()
            if mode == "html":
                try:
                    text, entities = parse_html(text, self._user_lookup)
                except HTMLParseError as exc:
                    raise _bad(f"can't parse entities: {exc}") from exc
            elif mode in ("markdown", "markdownv2"):
                raise _bad(f"FakeBotAPI does not implement parse_mode {parse_mode}")
            else:
                raise _bad("unsupported parse_mode")
        else:
            entities = []
        text, entities = _fix_text(text, entities)
        if not text:
            if empty is not None:
                raise _bad(empty)
            return "", []
        if utf16_len(text) > limit:
            raise _bad(too_long)
        entities = _sort_entities(entities + _find_auto_entities(text, entities))
        return text, entities

    @staticmethod
    def _inline_markup(params: dict) -> dict | None:
        """Validate ``reply_markup``; return it if it is an inline keyboard (the only
        kind Telegram echoes in Message.reply_markup)."""
        markup = params.get("reply_markup")
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return None  # reply keyboards / remove / force_reply are accepted, not echoed
        keyboard = markup["inline_keyboard"]
        if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
            raise _bad("can't parse inline keyboard button: field \"inline_keyboard\" must be of "
                       "type Array")
        actions = ("callback_data", "url", "switch_inline_query",
                   "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                   "web_app", "login_url", "callback_game", "pay", "copy_text")
        for row in keyboard:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise _bad("can't parse inline keyboard button: Text buttons are unallowed "
                               "in the inline keyboard")
                if not any(a in button for a in actions):
                    raise _bad("can't parse inline keyboard button: Text buttons are unallowed "
                               "in the inline keyboard")
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not 1 <= len(
                        data.encode("utf-8")
                    ) <= MAX_CALLBACK_DATA_BYTES:
                        raise _bad("BUTTON_DATA_INVALID")
                if "url" in button and _normalize_url(str(button["url"])) is None:
                    raise _bad("BUTTON_URL_INVALID")
        keyboard = [row for row in keyboard if row]
        return {"inline_keyboard": copy.deepcopy(keyboard)}

    def _reply_target(self, chat_id: int, params: dict) -> dict | None:
        """Resolve reply_parameters / reply_to_message_id into the replied message."""
        reply = params.get("reply_parameters")
        if reply is None and params.get("reply_to_message_id") not in (None, ""):
            reply = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": params.get("allow_sending_without_reply", False),
            }
        if not reply:
            return None
        if not isinstance(reply, dict) or "message_id" not in reply:
            raise _bad("can't parse reply parameters JSON object")
        target_chat = reply.get("chat_id", chat_id)
        if isinstance(target_chat, str) and target_chat.lstrip("-").isdigit():
            target_chat = int(target_chat)
        target = self._lookup(target_chat, int(reply["message_id"]))
        if target is None:
            if reply.get("allow_sending_without_reply"):
                return None
            raise _bad("message to be replied not found")
        result = copy.deepcopy(target)
        result.pop("reply_to_message", None)
        return result

    def _bot_message(
        self, chat_id: int, content: dict, params: dict, markup: dict | None
    ) -> dict:
        """Create, store and return (a copy of) a message authored by the bot."""
        chat = self.chat(chat_id)
        reply = self._reply_target(chat_id, params)
        message: dict[str, Any] = {"message_id": self._alloc_message_id(chat_id)}
        if chat["type"] == "channel":
            message["sender_chat"] = copy.deepcopy(chat)
        else:
            message["from"] = copy.deepcopy(self.bot_user)
        message["chat"] = chat
        message["date"] = int(time.time())
        if reply is not None:
            message["reply_to_message"] = reply
        message.update(content)
        if markup is not None:
            message["reply_markup"] = markup
        if params.get("protect_content") is True:
            message["has_protected_content"] = True
        self._store(message)
        self.sent.append(message)
        self._notify()
        return copy.deepcopy(message)

    def _editable(self, params: dict, not_found: str) -> dict | None:
        """The stored message addressed by chat_id+message_id (None for inline messages)."""
        if params.get("inline_message_id"):
            return None
        chat_id = self._chat_id(params)
        message_id = self._int(params, "message_id", "message identifier is not specified")
        message = self._lookup(chat_id, message_id)
        if message is None:
            raise _bad(not_found)
        return message

    def _is_own(self, message: dict) -> bool:
        """Whether the bot authored ``message`` (only those can be edited)."""
        if message.get("from", {}).get("id") == self.bot_id:
            return True
        return message["chat"]["type"] == "channel" and any(m is message for m in self.sent)

    # ------------------------------------------------------------------ Bot API methods

    def _register_methods(self) -> None:
        """Map lower-cased method names to (canonical name, implementation)."""
        table: dict[str, Callable[[dict, _Ctx], Any]] = {
            "getMe": self._m_get_me,
            "getUpdates": self._m_get_updates,
            "setWebhook": self._m_set_webhook,
            "deleteWebhook": self._m_delete_webhook,
            "getWebhookInfo": self._m_get_webhook_info,
            "setMyCommands": self._m_set_my_commands,
            "getMyCommands": self._m_get_my_commands,
            "deleteMyCommands": self._m_delete_my_commands,
            "sendMessage": self._m_send_message,
            "editMessageText": self._m_edit_message_text,
            "editMessageCaption": self._m_edit_message_caption,
            "editMessageReplyMarkup": self._m_edit_message_reply_markup,
            "deleteMessage": self._m_delete_message,
            "deleteMessages": self._m_delete_messages,
            "pinChatMessage": self._m_pin_chat_message,
            "unpinChatMessage": self._m_unpin_chat_message,
            "answerCallbackQuery": self._m_answer_callback_query,
            "answerInlineQuery": self._m_answer_inline_query,
            "getChatAdministrators": self._m_get_chat_administrators,
            "getChatMember": self._m_get_chat_member,
            "getChat": self._m_get_chat,
            "sendChatAction": self._m_send_chat_action,
            "getFile": self._m_get_file,
        }
        for kind in ("photo", "document", "voice", "audio", "video", "animation", "sticker"):
            table["send" + kind.capitalize()] = self._media_sender(kind)
        self._methods = {name.lower(): (name, impl) for name, impl in table.items()}

    def _m_get_me(self, params: dict, ctx: _Ctx) -> dict:
        """getMe."""
        return copy.deepcopy(self.bot_user)

    async def _m_get_updates(self, params: dict, ctx: _Ctx) -> list[dict]:
        """getUpdates: acknowledge by offset, long poll, 409 for a concurrent poll."""
        if self.webhook_url:
            raise _APIError(409, "Conflict: can't use getUpdates method while webhook is "
                                 "active; use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, float(params.get("timeout") or 0))
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._notify()
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("conflict")
        if not self._updates and timeout > 0:
            waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._poll_waiter = waiter
            closed = asyncio.ensure_future(ctx.conn.closed.wait())
            try:
                await asyncio.wait({waiter, closed}, timeout=timeout,
                                   return_when=asyncio.FIRST_COMPLETED)
            finally:
                closed.cancel()
                if self._poll_waiter is waiter:
                    self._poll_waiter = None
            if ctx.conn.closed.is_set():
                raise _Dropped  # the client went away (e.g. PTB cancelled the poll)
            if waiter.done() and waiter.result() == "conflict":
                raise _APIError(409, GETUPDATES_CONFLICT)
        return copy.deepcopy(self._updates[:limit])

    def _m_set_webhook(self, params: dict, ctx: _Ctx) -> bool:
        """setWebhook (stored only; nothing is delivered)."""
        self.webhook_url = str(params.get("url") or "")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _m_delete_webhook(self, params: dict, ctx: _Ctx) -> bool:
        """deleteWebhook, honouring drop_pending_updates."""
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
            self._notify()
        return True

    def _m_get_webhook_info(self, params: dict, ctx: _Ctx) -> dict:
        """getWebhookInfo (minimal)."""
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    @staticmethod
    def _commands_key(params: dict) -> tuple[str, str]:
        """Commands are stored per (scope, language_code)."""
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _m_set_my_commands(self, params: dict, ctx: _Ctx) -> bool:
        """setMyCommands with Telegram's validation of names and descriptions."""
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            name = str(command.get("command", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name.lower().lstrip("/")):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = [
            {"command": str(c["command"]).lower().lstrip("/"), "description": c["description"]}
            for c in commands
        ]
        return True

    def _m_get_my_commands(self, params: dict, ctx: _Ctx) -> list[dict]:
        """getMyCommands."""
        return copy.deepcopy(self.commands.get(self._commands_key(params), []))

    def _m_delete_my_commands(self, params: dict, ctx: _Ctx) -> bool:
        """deleteMyCommands."""
        self.commands.pop(self._commands_key(params), None)
        return True

    def _m_send_message(self, params: dict, ctx: _Ctx) -> dict:
        """sendMessage."""
        chat_id = self._chat_id(params)
        self._check_blocked(chat_id)
        text, entities = self._format(
            params, "text", "entities", limit=MAX_MESSAGE_LENGTH,
            too_long="message is too long", empty="message text is empty",
        )
        markup = self._inline_markup(params)
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        if isinstance(params.get("link_preview_options"), dict):
            content["link_preview_options"] = params["link_preview_options"]
        return self._bot_message(chat_id, content, params, markup)

    def _media_sender(self, kind: str) -> Callable[[dict, _Ctx], dict]:
        """Build a send<Media> implementation (sendPhoto, sendDocument, ...)."""

        def send(params: dict, ctx: _Ctx) -> dict:
            """send<Media>: upload, known file_id or URL, plus an optional caption."""
            chat_id = self._chat_id(params)
            self._check_blocked(chat_id)
            source = params.get(kind)
            if isinstance(source, str) and source.startswith("attach://"):
                source = ctx.files.get(source[len("attach://") :])
            if source is None or source == "":
                raise _bad(f"there is no {kind} in the request")
            if isinstance(source, UploadedFile):
                media = self.make_file(kind, source.data, file_name=source.filename,
                                       mime_type=source.content_type)
            elif isinstance(source, str) and source in self.files:
                info = self.files[source]
                media = {"file_id": source, "file_unique_id": info["file_unique_id"],
                         "file_size": info["file_size"]}
                if kind == "photo":
                    media = [{**media, "width": 640, "height": 480}]
                elif kind == "sticker":
                    media.update(type="regular", width=512, height=512,
                                 is_animated=False, is_video=False)
                elif kind in ("video", "animation"):
                    media.update(width=640, height=480, duration=1)
                elif kind in ("voice", "audio"):
                    media["duration"] = 1
            elif isinstance(source, str) and source.startswith(("http://", "https://")):
                media = self.make_file(kind, b"")
            else:
                raise _bad("wrong file identifier/HTTP URL specified")
            content: dict[str, Any] = {kind: media}
            if kind != "sticker":
                caption, caption_entities = self._format(
                    params, "caption", "caption_entities", limit=MAX_CAPTION_LENGTH,
                    too_long="message caption is too long", empty=None,
                )
                if caption:
                    content["caption"] = caption
                if caption_entities:
                    content["caption_entities"] = caption_entities
            return self._bot_message(chat_id, content, params, self._inline_markup(params))

        return send

    def _m_edit_message_text(self, params: dict, ctx: _Ctx) -> dict | bool:
        """editMessageText: omitting reply_markup removes the inline keyboard."""
        message = self._editable(params, "message to edit not found")
        text, entities = self._format(
            params, "text", "entities", limit=MAX_MESSAGE_LENGTH,
            too_long="message is too long", empty="message text is empty",
        )
        markup = self._inline_markup(params)
        if message is None:
            return True  # inline message
        if not self._is_own(message):
            raise _bad("message can't be edited")
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        if (
            text == message["text"]
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        message["text"] = text
        self._set_optional(message, "entities", entities)
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        self._notify()
        return copy.deepcopy(message)

    def _m_edit_message_caption(self, params: dict, ctx: _Ctx) -> dict | bool:
        """editMessageCaption."""
        message = self._editable(params, "message to edit not found")
        caption, entities = self._format(
            params, "caption", "caption_entities", limit=MAX_CAPTION_LENGTH,
            too_long="message caption is too long", empty=None,
        )
        markup = self._inline_markup(params)
        if message is None:
            return True
        if not self._is_own(message):
            raise _bad("message can't be edited")
        if "text" in message:
            raise _bad("there is no caption in the message to edit")
        if (
            caption == message.get("caption", "")
            and entities == message.get("caption_entities", [])
            and markup == message.get("reply_markup")
        ):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._set_optional(message, "caption", caption)
        self._set_optional(message, "caption_entities", entities)
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        self._notify()
        return copy.deepcopy(message)

    def _m_edit_message_reply_markup(self, params: dict, ctx: _Ctx) -> dict | bool:
        """editMessageReplyMarkup: omitting reply_markup removes the keyboard."""
        message = self._editable(params, "message to edit not found")
        markup = self._inline_markup(params)
        if message is None:
            return True
        if not self._is_own(message):
            raise _bad("message can't be edited")
        if markup == message.get("reply_markup"):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        self._notify()
        return copy.deepcopy(message)

    @staticmethod
    def _set_optional(message: dict, key: str, value: Any) -> None:
        """Set ``key`` or remove it when empty (Telegram omits empty optional fields)."""
        if value:
            message[key] = value
        else:
            message.pop(key, None)

    def _delete_one(self, chat_id: int, message_id: int) -> None:
        """Delete with Telegram's permission rules (others' group messages need admin)."""
        message = self._lookup(chat_id, message_id)
        if message is None:
            raise _bad("message to delete not found")
        chat_type = message["chat"]["type"]
        if (
            chat_type in ("group", "supergroup")
            and not self._is_own(message)
            and self.bot_id not in self.chat_admins.get(chat_id, [])
        ):
            raise _bad("message can't be deleted")
        del self._messages[chat_id][message_id]
        self.deleted.add((chat_id, message_id))
        if self._pinned.get(chat_id) == message_id:
            del self._pinned[chat_id]
        self._notify()

    def _m_delete_message(self, params: dict, ctx: _Ctx) -> bool:
        """deleteMessage."""
        chat_id = self._chat_id(params)
        self._delete_one(chat_id, self._int(params, "message_id", "message identifier is "
                                                                  "not specified"))
        return True

    def _m_delete_messages(self, params: dict, ctx: _Ctx) -> bool:
        """deleteMessages: skips missing ones, like Telegram."""
        chat_id = self._chat_id(params)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _bad("message identifiers are not specified")
        for message_id in ids:
            if self._lookup(chat_id, int(message_id)) is not None:
                self._delete_one(chat_id, int(message_id))
        return True

    def _m_pin_chat_message(self, params: dict, ctx: _Ctx) -> bool:
        """pinChatMessage."""
        chat_id = self._chat_id(params)
        message_id = self._int(params, "message_id", "message identifier is not specified")
        if self._lookup(chat_id, message_id) is None:
            raise _bad("message to pin not found")
        self._pinned[chat_id] = message_id
        return True

    def _m_unpin_chat_message(self, params: dict, ctx: _Ctx) -> bool:
        """unpinChatMessage."""
        chat_id = self._chat_id(params)
        self._pinned.pop(chat_id, None)
        return True

    def _m_answer_callback_query(self, params: dict, ctx: _Ctx) -> bool:
        """answerCallbackQuery: each query can be answered once."""
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callback_queries:
            raise _bad(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        if len(str(params.get("text") or "")) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        self._open_callback_queries.discard(query_id)
        self.callback_answers[query_id] = params
        return True

    def _m_answer_inline_query(self, params: dict, ctx: _Ctx) -> bool:
        """answerInlineQuery: <= 50 results with unique, non-empty ids."""
        query_id = str(params.get("inline_query_id") or "")
        if query_id not in self._open_inline_queries:
            raise _bad(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        results = params.get("results")
        if not isinstance(results, list):
            raise _bad("can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise _bad("RESULTS_TOO_MUCH")
        ids = [str(r.get("id", "")) for r in results]
        if any(not 1 <= len(i.encode("utf-8")) <= 64 for i in ids):
            raise _bad("RESULT_ID_INVALID")
        if len(set(ids)) != len(ids):
            raise _bad("RESULT_ID_DUPLICATE")
        self._open_inline_queries.discard(query_id)
        self.inline_answers[query_id] = results
        return True

    def _member(self, chat_id: int, user_id: int) -> dict:
        """ChatMember dict: first id in chat_admins is the owner, the rest admins."""
        admins = self.chat_admins.get(chat_id, [])
        user = self.user(user_id)
        if admins and admins[0] == user_id:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in admins:
            rights = dict.fromkeys(
                ("can_manage_chat", "can_delete_messages", "can_manage_video_chats",
                 "can_restrict_members", "can_change_info", "can_invite_users",
                 "can_post_stories", "can_edit_stories", "can_delete_stories",
                 "can_pin_messages"),
                True,
            )
            return {"status": "administrator", "user": user, "can_be_edited": False,
                    "is_anonymous": False, "can_promote_members": False, **rights}
        return {"status": "member", "user": user}

    def _m_get_chat_administrators(self, params: dict, ctx: _Ctx) -> list[dict]:
        """getChatAdministrators from ``chat_admins``."""
        chat_id = self._chat_id(params)
        if self.chat(chat_id)["type"] == "private":
            raise _bad("there are no administrators in the private chat")
        return [self._member(chat_id, uid) for uid in self.chat_admins.get(chat_id, [])]

    def _m_get_chat_member(self, params: dict, ctx: _Ctx) -> dict:
        """getChatMember."""
        chat_id = self._chat_id(params)
        user_id = self._int(params, "user_id", "user not found")
        return self._member(chat_id, user_id)

    def _m_get_chat(self, params: dict, ctx: _Ctx) -> dict:
        """getChat: a ChatFullInfo with the fields PTB requires."""
        chat_id = self._chat_id(params)
        info: dict[str, Any] = {
            **self.chat(chat_id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                "premium_subscription": False, "gifts_from_channels": False,
            },
        }
        pinned = self._pinned.get(chat_id)
        if pinned is not None and self._lookup(chat_id, pinned) is not None:
            info["pinned_message"] = self._current(self._messages[chat_id][pinned])
        return info

    def _m_send_chat_action(self, params: dict, ctx: _Ctx) -> bool:
        """sendChatAction."""
        chat_id = self._chat_id(params)
        self._check_blocked(chat_id)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _m_get_file(self, params: dict, ctx: _Ctx) -> dict:
        """getFile for files registered with make_file or uploaded by the bot."""
        file_id = str(params.get("file_id") or "")
        info = self.files.get(file_id)
        if info is None:
            raise _bad("invalid file_id")
        return {k: info[k] for k in ("file_id", "file_unique_id", "file_size", "file_path")}

