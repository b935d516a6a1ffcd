"""Validation of Bot API parameters with Telegram's error wording.

Why pure functions: they need no server state, so the method implementations stay
short and these rules can be read in one place.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

from tests.support.fakebotapi.dispatch import bad
from tests.support.fakebotapi.html import HTMLParseError, normalize_url, parse_html
from tests.support.fakebotapi.text import find_auto_entities, fix_text, sort_entities, utf16_len

MAX_MESSAGE_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64

_BUTTON_ACTIONS = (
    "callback_data", "url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "web_app", "login_url", "callback_game", "pay", "copy_text",
)


def chat_id(params: dict) -> int:
    """Resolve ``chat_id`` (an integer, possibly sent as a string) or fail like Telegram."""
    value = params.get("chat_id")
    if value is None or value == "":
        raise bad("chat_id is empty")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    raise bad("chat not found")


def int_param(params: dict, key: str, missing: str) -> int:
    """Required integer parameter."""
    value = params.get(key)
    if value is None or value == "" or isinstance(value, bool):
        raise bad(missing)
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise bad(f"field \"{key}\" must be of type Integer") from exc


def message_id(params: dict) -> int:
    """The required ``message_id`` parameter."""
    return int_param(params, "message_id", "message identifier is not specified")


def format_text(params: dict, user_lookup: Callable[[int], dict]) -> tuple[str, list[dict]]:
    """Turn text + parse_mode/entities into Telegram's stored (text, entities).

    Explicit ``entities`` win over ``parse_mode``; the result is cleaned and trimmed like
    tdlib does and gets auto-detected entities (links, commands, mentions...).
    """
    raw = params.get("text")
    if raw is None or raw == "":
        raise bad("message text is empty")
    text = raw if isinstance(raw, str) else json.dumps(raw)
    explicit = params.get("entities")
    parse_mode = params.get("parse_mode")
    if explicit:
        if not isinstance(explicit, list) or not all(
            isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in explicit
        ):
            raise bad("can't parse entities JSON object")
        entities = copy.deepcopy(explicit)
    elif parse_mode:
        mode = str(parse_mode).lower()
        if mode == "html":
            try:
                text, entities = parse_html(text, user_lookup)
            except HTMLParseError as exc:
                raise bad(f"can't parse entities: {exc}") from exc
        elif mode in ("markdown", "markdownv2"):
            raise bad(f"FakeBotAPI does not implement parse_mode {parse_mode}")
        else:
            raise bad("unsupported parse_mode")
    else:
        entities = []
    text, entities = fix_text(text, entities)
    if not text:
        raise bad("message text is empty")
    if utf16_len(text) > MAX_MESSAGE_LENGTH:
        raise bad("message is too long")
    return text, sort_entities(entities + find_auto_entities(text, entities))


def inline_markup(params: dict) -> dict | None:
    """Validate ``reply_markup``; return it if it is an inline keyboard (the only kind
    Telegram echoes in Message.reply_markup)."""
    markup = params.get("reply_markup")
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return None  # reply keyboards / remove / force_reply are accepted, not echoed
    keyboard = markup["inline_keyboard"]
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        raise bad("can't parse inline keyboard button: field \"inline_keyboard\" must be of type Array")
    for row in keyboard:
        for button in row:
            if (
                not isinstance(button, dict)
                or not button.get("text")
                or not any(a in button for a in _BUTTON_ACTIONS)
            ):
                raise bad("can't parse inline keyboard button: Text buttons are unallowed in the "
                          "inline keyboard")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
                    raise bad("BUTTON_DATA_INVALID")
            if "url" in button and normalize_url(str(button["url"])) is None:
                raise bad("BUTTON_URL_INVALID")
    return {"inline_keyboard": copy.deepcopy([row for row in keyboard if row])}
