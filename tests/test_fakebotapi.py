"""Tests for the fake Bot API server, driven by the real PTB Application over HTTP.

Why: the bot's end-to-end tests trust this fake, so it must behave like Telegram where
PTB can tell the difference (offsets, error codes, HTML entities, dropped connections).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest
import pytest_asyncio
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    MessageEntity,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from tests.support.fakebotapi import TOKEN, FakeBotAPI, HTMLParseError, parse_html, utf16_len

pytestmark = pytest.mark.asyncio

USER = 1001


@dataclass
class Running:
    """A started Application plus what it observed."""

    app: Application
    polling_errors: list[TelegramError] = field(default_factory=list)
    handler_errors: list[BaseException] = field(default_factory=list)


def build_app(api: FakeBotAPI, running_errors: list[BaseException]) -> Application:
    """A tiny bot: /start answers in HTML, text is echoed, buttons edit their message."""
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer /start in HTML."""
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            "<b>Hello</b>, &lt;friend&gt;", parse_mode="HTML"
        )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Echo plain text."""
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer the button press and edit the message."""
        query = update.callback_query
        assert query is not None
        await query.answer("ok")
        await query.edit_message_text(f"chose {query.data}")

    async def inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Offer three inline results."""
        assert update.inline_query is not None
        results = [
            InlineQueryResultArticle(str(i), f"r{i}", InputTextMessageContent(f"t{i}"))
            for i in range(3)
        ]
        await update.inline_query.answer(results)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Collect handler errors so tests can assert there were none."""
        assert context.error is not None
        running_errors.append(context.error)

    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(InlineQueryHandler(inline))
    app.add_error_handler(on_error)
    return app


@asynccontextmanager
async def running_app(api: FakeBotAPI) -> AsyncIterator[Running]:
    """Start a real Application with long polling against ``api``; stop it cleanly."""
    handler_errors: list[BaseException] = []
    running = Running(build_app(api, handler_errors), handler_errors=handler_errors)
    app = running.app
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(
        poll_interval=0, timeout=1, error_callback=running.polling_errors.append
    )
    try:
        yield running
    finally:
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()


@pytest_asyncio.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    """A started fake server, stopped after the test (after any app using it)."""
    server = FakeBotAPI()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest_asyncio.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Running]:
    """The test bot, polling the fake server."""
    async with running_app(api) as running:
        yield running
    assert not running.handler_errors, running.handler_errors


def texts(messages: list[dict]) -> list[str]:
    """Texts of bot messages, for compact assertions."""
    return [m.get("text", "") for m in messages]


# ----------------------------------------------------------------------------- basics


async def test_get_me_and_echo(api: FakeBotAPI, bot: Running) -> None:
    """getMe feeds bot.username; a private text message is echoed to the sender."""
    assert bot.app.bot.username == "napo_test_bot"
    assert bot.app.bot.id == 123456
    assert api.calls[0][0] == "getMe"

    update = api.send_text("hello there")
    assert update["update_id"] == 1
    [reply] = await api.wait_for_sent(1, chat_id=USER)
    assert reply["text"] == "hello there"
    assert reply["chat"] == {
        "id": USER, "type": "private", "first_name": "User1001", "username": "user1001"
    }
    assert reply["from"]["id"] == api.bot_id
    assert reply["message_id"] == update["message"]["message_id"] + 1  # shared per chat
    await api.wait_idle()
    assert api.pending_updates == []


async def test_command_gets_entity_and_html_reply(api: FakeBotAPI, bot: Running) -> None:
    """A /command carries a bot_command entity, so only the CommandHandler answers."""
    update = api.send_text("/start@napo_test_bot now")
    assert update["message"]["entities"] == [
        {"type": "bot_command", "offset": 0, "length": 20}
    ]
    [reply] = await api.wait_for_sent(1)
    assert reply["text"] == "Hello, <friend>"
    assert reply["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
    await api.wait_idle()
    assert [m for m in texts(api.sent)] == ["Hello, <friend>"]  # not echoed as well


async def test_group_command_and_mention_entities(api: FakeBotAPI, bot: Running) -> None:
    """Auto entities use UTF-16 offsets; group replies quote the message."""
    update = api.send_text(
        "hi @napo_test_bot 😀 /start", user_id=7, chat_id=-5, chat_type="group"
    )
    entities = update["message"]["entities"]
    assert {"type": "mention", "offset": 3, "length": 14} in entities
    # the emoji is 2 UTF-16 code units, so /start begins at 21, not 20
    assert {"type": "bot_command", "offset": 21, "length": 6} in entities
    [reply] = await api.wait_for_sent(1, chat_id=-5)
    assert reply["chat"]["type"] == "group"
    assert reply["reply_to_message"]["message_id"] == update["message"]["message_id"]


# ----------------------------------------------------------------------- offsets & restarts


async def test_offsets_acknowledged_across_restart(api: FakeBotAPI) -> None:
    """No update is answered twice, even by a second Application on the same server."""
    async with running_app(api) as first:
        api.send_text("one")
        await api.wait_for_sent(1)
        await api.wait_idle()
    assert not first.handler_errors
    # PTB's Updater.stop() makes a final getUpdates(offset=last+1, timeout=0).
    last_poll = api.calls_to("getUpdates")[-1]
    assert last_poll["offset"] == 2 and last_poll["timeout"] == 0
    assert api.pending_updates == []

    async with running_app(api) as second:
        api.send_text("two")
        await api.wait_for_sent(2)
        await api.wait_idle()
    assert not second.handler_errors
    assert texts(api.sent) == ["one", "two"]


async def test_unacknowledged_updates_are_redelivered(api: FakeBotAPI) -> None:
    """Only a later offset drops updates, like Telegram (also JSON bodies, negative offset)."""
    url = f"{api.base_url}{TOKEN}/getUpdates"
    api.send_text("a")
    api.send_text("b")
    async with httpx.AsyncClient() as client:
        first = (await client.post(url, data={"timeout": "0"})).json()
        again = (await client.post(url, json={"timeout": 0, "limit": 1})).json()
        assert [u["update_id"] for u in first["result"]] == [1, 2]
        assert [u["update_id"] for u in again["result"]] == [1]
        acked = (await client.post(url, data={"offset": "2"})).json()
        assert [u["update_id"] for u in acked["result"]] == [2]
        negative = (await client.post(url, data={"offset": "-1"})).json()
        assert [u["update_id"] for u in negative["result"]] == [2]
        await client.post(url, data={"offset": "3"})
    assert api.pending_updates == []


async def test_long_poll_wakes_up_and_concurrent_poll_conflicts(api: FakeBotAPI) -> None:
    """Long polls wait, wake on a new update, and a newer poll ends an older one with 409."""
    url = f"{api.base_url}{TOKEN}/getUpdates"
    async with httpx.AsyncClient() as client:
        started = time.monotonic()
        empty = await client.post(url, data={"timeout": "0.2"})
        assert empty.json() == {"ok": True, "result": []}
        assert time.monotonic() - started >= 0.2

        waiting = asyncio.create_task(client.post(url, data={"timeout": "5"}))
        await asyncio.sleep(0.05)
        api.send_text("wake")
        woke = await asyncio.wait_for(waiting, 1)
        assert [u["message"]["text"] for u in woke.json()["result"]] == ["wake"]

        older = asyncio.create_task(client.post(url, data={"offset": "2", "timeout": "5"}))
        await asyncio.sleep(0.05)
        newer = asyncio.create_task(client.post(url, data={"offset": "2", "timeout": "0"}))
        old_answer, new_answer = await asyncio.gather(older, newer)
        assert old_answer.status_code == 409
        assert old_answer.json()["description"].startswith("Conflict: terminated by other")
        assert new_answer.json() == {"ok": True, "result": []}


async def test_http_level_errors(api: FakeBotAPI) -> None:
    """Wrong token is 401, unknown method 404, and JSON bodies are accepted."""
    async with httpx.AsyncClient() as client:
        wrong = await client.post(f"{api.base_url}123:wrong/getMe")
        assert wrong.status_code == 401
        assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        unknown = await client.post(f"{api.base_url}{TOKEN}/sendPigeon")
        assert unknown.status_code == 404
        assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        # JSON bodies work, including PTB-style JSON-in-JSON values
        sent = await client.post(
            f"{api.base_url}{TOKEN}/sendMessage",
            json={"chat_id": 5, "text": "123", "reply_markup": '{"inline_keyboard": []}'},
        )
        assert sent.json()["result"]["text"] == "123"
        empty = await client.post(f"{api.base_url}{TOKEN}/sendMessage", data={"chat_id": "5"})
        assert empty.json()["description"] == "Bad Request: message text is empty"


# ----------------------------------------------------------------------- fault injection


async def _get_updates_fault_scenario(kind: str) -> None:
    """The first getUpdates fails with ``kind``; the queued update and a later one must
    each be answered exactly once."""
    async with FakeBotAPI() as api:
        api.send_text("first")
        api.fail_next("getUpdates", kind, retry_after=1)
        async with running_app(api) as running:
            await api.wait_for_sent(1, timeout=5)
            first_answered = time.monotonic()
            api.send_text("second")
            await api.wait_for_sent(2, timeout=5)
            await api.wait_idle()
        assert texts(api.sent) == ["first", "second"], kind
        assert not running.handler_errors, kind

        polls = api.calls_to("getUpdates")
        if kind == "drop_after":
            # the server performed the call (delivering "first") but the answer was lost,
            # so PTB asked again with the same offset and got the same update
            assert polls[0] == polls[1]
        if kind == "429":
            [fault] = [e for e in api.errors if e["injected"]]
            assert fault["status"] == 429
            # RetryAfter does not reach error_callback; PTB sleeps retry_after + 0.5 s.
            assert first_answered - fault["time"] >= 1.5
            assert running.polling_errors == []
        else:
            # other errors reach error_callback and PTB backs off for 1 s
            assert len(running.polling_errors) == 1, kind
            assert isinstance(running.polling_errors[0], NetworkError), kind


# PTB's own RetryAfter.__init__ reads the deprecated int-valued retry_after property.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_polling_recovers_from_get_updates_faults() -> None:
    """429 (retry_after), 500, a dropped connection and a lost answer on getUpdates.

    Run concurrently (one server each) because PTB backs off >= 1 s after each fault.
    """
    await asyncio.gather(
        *(_get_updates_fault_scenario(kind) for kind in ("429", "500", "drop", "drop_after"))
    )


async def test_drop_after_send_message(api: FakeBotAPI, bot: Running) -> None:
    """Telegram performed the send but the answer was lost: PTB sees NetworkError."""
    api.fail_next("sendMessage", "drop_after")
    with pytest.raises(NetworkError) as caught:
        await bot.app.bot.send_message(USER, "did it arrive?")
    assert not isinstance(caught.value, TimedOut)
    assert texts(api.messages_to(USER)) == ["did it arrive?"]
    assert api.calls_to("sendMessage")[0]["text"] == "did it arrive?"
    # the next call works normally on a fresh connection
    message = await bot.app.bot.send_message(USER, "again")
    assert message.message_id == 2


async def test_send_message_faults_map_to_ptb_errors(api: FakeBotAPI, bot: Running) -> None:
    """Injected 500/drop and blocked users surface as PTB's exception types."""
    api.fail_next("sendMessage", "500")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.app.bot.send_message(USER, "x")
    api.fail_next("sendMessage", "drop")
    with pytest.raises(NetworkError):
        await bot.app.bot.send_message(USER, "x")
    assert api.sent == []
    api.blocked_users.add(USER)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.app.bot.send_message(USER, "x")


# ----------------------------------------------------------------------- HTML


async def test_html_through_ptb(api: FakeBotAPI, bot: Running) -> None:
    """HTML becomes text + UTF-16 entities that PTB's de_json and parse_entity accept."""
    message = await bot.app.bot.send_message(
        USER,
        '😀 <b>bold <i>both</i></b> <a href="https://example.com">link</a> '
        '<pre><code class="language-python">x = 1</code></pre> &amp; &#65;',
        parse_mode="HTML",
    )
    assert message.text == "😀 bold both link x = 1 & A"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        (MessageEntity.BOLD, 3, 9),
        (MessageEntity.ITALIC, 8, 4),
        (MessageEntity.TEXT_LINK, 13, 4),
        (MessageEntity.PRE, 18, 5),
    ]
    assert message.entities[2].url == "https://example.com/"
    assert message.entities[3].language == "python"
    assert message.parse_entity(message.entities[1]) == "both"


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("a <br> b", 'Unsupported start tag "br" at byte offset 2'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_invalid_html_is_bad_request(
    api: FakeBotAPI, bot: Running, html: str, error: str
) -> None:
    """Broken HTML is a 400 with tdlib's wording, which PTB raises as BadRequest."""
    with pytest.raises(BadRequest, match="Can't parse entities") as caught:
        await bot.app.bot.send_message(USER, html, parse_mode="HTML")
    assert api.errors[-1]["description"].startswith(f"Bad Request: can't parse entities: {error}")
    assert "message_id" not in str(caught.value)
    assert api.sent == []


async def test_parse_html_details() -> None:
    """The rarer tags, lenient '&', text_mention and dropped empty entities."""
    assert parse_html("a & b &foo; &lt;&#x1F600;") == ("a & b &foo; <😀", [])
    text, entities = parse_html(
        "<tg-spoiler>s</tg-spoiler><span class=\"tg-spoiler\">p</span>"
        "<blockquote expandable>q</blockquote><u>u</u><s>x</s><code>c</code>"
        '<a href="tg://user?id=42">you</a><tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    assert text == "spquxcyou👍"
    assert [e["type"] for e in entities] == [
        "spoiler", "spoiler", "expandable_blockquote", "underline", "strikethrough", "code",
        "text_mention", "custom_emoji",
    ]
    assert entities[6]["user"]["id"] == 42
    assert entities[7] == {
        "type": "custom_emoji", "offset": 9, "length": 2, "custom_emoji_id": "5368324170671202286"
    }
    assert parse_html("<b></b>x") == ("x", [])  # empty entities vanish
    with pytest.raises(HTMLParseError):
        parse_html("<a href='x'>unclosed")
    assert utf16_len("a😀") == 3


async def test_text_is_trimmed_and_limited(api: FakeBotAPI, bot: Running) -> None:
    """Telegram trims/cleans whitespace and limits text to 4096 UTF-16 units."""
    # tdlib trims trailing whitespace, and leading whitespace up to the first entity
    message = await bot.app.bot.send_message(USER, "\n  <b>hi</b>  \r\n", parse_mode="HTML")
    assert message.text == "hi"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bold", 0, 2)]
    tabbed = await bot.app.bot.send_message(USER, "a\tb\r\nc")
    assert tabbed.text == "a b\nc"
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.app.bot.send_message(USER, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.app.bot.send_message(USER, "😀" * 2049)
    ok = await bot.app.bot.send_message(USER, "x" * 4096)
    assert len(ok.text) == 4096


# ----------------------------------------------------------------------- editing & buttons


async def test_buttons_edits_and_deletes(api: FakeBotAPI, bot: Running) -> None:
    """Button presses reach the bot; edits and deletes follow Telegram's rules."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    message = await bot.app.bot.send_message(USER, "Pick", reply_markup=keyboard)
    assert message.reply_markup == keyboard

    api.press_button(api.sent[0], "yes")
    await api.wait_for_call("editMessageText")
    await api.wait_idle()
    [answer] = api.callback_answers.values()
    assert answer["text"] == "ok"
    # edited in place; editing without reply_markup removed the keyboard
    assert api.sent[0]["text"] == "chose yes"
    assert "reply_markup" not in api.sent[0]
    with pytest.raises(AssertionError, match="no button"):
        api.press_button(api.sent[0], "yes")

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.app.bot.edit_message_text("chose yes", USER, message.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.app.bot.edit_message_text("x", USER, 999)
    assert await bot.app.bot.delete_message(USER, message.message_id) is True
    assert api.is_deleted(api.sent[0])
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.app.bot.delete_message(USER, message.message_id)

    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.app.bot.send_message(USER, "x", reply_markup=too_long)


async def test_user_edit_reply_and_pin(api: FakeBotAPI, bot: Running) -> None:
    """User edits are queued; replies embed the current replied message; only known messages pin."""
    update = api.send_text("typo")
    await api.wait_for_sent(1)
    edited = api.edit_text(update["message"], "fixed")
    assert edited["edited_message"]["text"] == "fixed"
    reply = await bot.app.bot.send_message(
        USER, "re", reply_to_message_id=update["message"]["message_id"]
    )
    assert reply.reply_to_message is not None and reply.reply_to_message.text == "fixed"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.app.bot.send_message(USER, "re", reply_to_message_id=999)
    assert await bot.app.bot.pin_chat_message(USER, reply.message_id)
    with pytest.raises(BadRequest, match="Message to pin not found"):
        await bot.app.bot.pin_chat_message(USER, 999)
    await api.wait_idle()


# ----------------------------------------------------------------------- other methods


async def test_admins_inline_and_commands(api: FakeBotAPI, bot: Running) -> None:
    """getChatAdministrators, inline answers and bot commands."""
    api.chat_admins[-100777] = [1, 2]
    api.add_chat(-100777, "supergroup", title="Union")
    admins = await bot.app.bot.get_chat_administrators(-100777)
    assert [(a.status, a.user.id) for a in admins] == [("creator", 1), ("administrator", 2)]
    with pytest.raises(BadRequest, match="no administrators in the private chat"):
        await bot.app.bot.get_chat_administrators(USER)

    api.inline_query("q")
    await api.wait_for_call("answerInlineQuery")
    [results] = api.inline_answers.values()
    assert [r["id"] for r in results] == ["0", "1", "2"]

    assert await bot.app.bot.set_my_commands([("start", "Start the bot")])
    assert api.calls_to("setMyCommands")[-1]["commands"] == [
        {"command": "start", "description": "Start the bot"}
    ]
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.app.bot.set_my_commands([("Start!", "Start the bot")])
    await api.wait_idle()


async def test_channels_and_timeouts(api: FakeBotAPI, bot: Running) -> None:
    """Channel posts and the helpful wait_for_sent timeout."""
    post = await bot.app.bot.send_message(-100123, "news")
    assert post.chat.type == "channel" and post.sender_chat is not None
    assert post.from_user is None

    with pytest.raises(AssertionError, match="expected >= 5 sent messages to chat 42"):
        await api.wait_for_sent(5, chat_id=42, timeout=0.05)
