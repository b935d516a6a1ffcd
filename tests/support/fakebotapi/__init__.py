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
by ``offset``, 409 for concurrent ``getUpdates``), but only for the methods the bot
uses; see :class:`FakeBotAPI` for what is not modelled.

Modules: ``server`` (FakeBotAPI: state, observation, waits), ``updates`` (injected
users' updates), ``methods`` (Bot API methods), ``params`` (parameter validation),
``dispatch`` (routing, faults, error answers), ``http`` (HTTP/1.1), ``html`` and
``text`` (Telegram HTML -> text + entities).
"""

from __future__ import annotations

from tests.support.fakebotapi.html import HTMLParseError, parse_html
from tests.support.fakebotapi.server import TOKEN, FakeBotAPI
from tests.support.fakebotapi.text import utf16_len

__all__ = [
    "TOKEN",
    "FakeBotAPI",
    "HTMLParseError",
    "parse_html",
    "utf16_len",
]
