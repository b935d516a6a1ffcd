"""Members are answered side by side, and each chat's updates in the order they came.

End to end: the real Application polls the fake Bot API, which answers one chat's
sendMessage late ("slow", like a distant or rate-limited Telegram). Processed one update at
a time, as PTB does by default, every other member would wait for it; processed with PTB's
plain concurrency, that chat's later messages would be answered first.
"""

from __future__ import annotations

import asyncio
import time

from telegram import Chat, Message, Update, User

from bot.tg.ordering import PerChatOrder, ordering_key
from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import ORGANISER, RunningBot

SLOW = 1.5  # seconds the fake takes over one reply


async def test_a_slow_reply_to_one_member_does_not_hold_up_another(fake: FakeBotAPI, bot: RunningBot) -> None:
    await fake.wait_idle()
    fake.fail_next("sendMessage", "slow", chat_ids=frozenset({2001}), delay=SLOW)
    fake.send_text("when is the strike", user_id=2001)
    await asyncio.sleep(0.2)
    assert fake.arrived["sendmessage"] == 1  # the first member's reply is on its way, slowly
    started = time.monotonic()
    fake.send_text("who gets the contracts", user_id=2002)
    await fake.wait_for_sent(1, chat_id=2002, timeout=SLOW)
    assert time.monotonic() - started < SLOW - 0.2
    assert not [m for m in fake.sent if m["chat"]["id"] == 2001]  # still on its way
    await fake.wait_for_sent(1, chat_id=2001, timeout=5)


async def test_one_members_messages_are_answered_in_the_order_sent(fake: FakeBotAPI, bot: RunningBot) -> None:
    await fake.wait_idle()
    fake.fail_next("sendMessage", "slow", chat_ids=frozenset({2003}), delay=0.5)
    questions = ["when is the strike", "/sources", "/help"]
    for question in questions:
        fake.send_text(question, user_id=2003)
    sent = await fake.wait_for_sent(3, chat_id=2003, timeout=10)
    replies = [m["text"] for m in sent]
    assert "strike" in replies[0].lower() and "come from:" not in replies[0]  # the answer
    assert replies[1].startswith("Where my answers come from:")  # /sources
    assert "/topics" in replies[2] and "/subscribe" in replies[2]  # /help lists every command
    await fake.wait_idle()
    processor = bot.app.update_processor
    assert isinstance(processor, PerChatOrder) and processor.chats_in_progress == 0


async def test_an_organisers_text_sent_right_after_announce_is_the_announcement(
    fake: FakeBotAPI, bot: RunningBot
) -> None:
    """The conversation PTB warns about: /announce must have been handled (and its reply
    sent, slowly) before the next text is read, or the text would be taken for a question."""
    await fake.wait_idle()
    fake.fail_next("sendMessage", "slow", chat_ids=frozenset({ORGANISER}), delay=0.5)
    fake.send_text("/announce", user_id=ORGANISER)
    fake.send_text("Picket from 7am", user_id=ORGANISER)
    sent = [m["text"] for m in await fake.wait_for_sent(3, chat_id=ORGANISER, timeout=10)]
    assert "next message" in sent[0]
    assert sent[1].startswith("Preview #1") and sent[2] == "Picket from 7am"


def _update(chat: int | None, user: int | None) -> Update:
    sender = User(user, "Member", False) if user is not None else None
    message = Message(1, None, Chat(chat, Chat.PRIVATE), from_user=sender) if chat is not None else None  # type: ignore[arg-type]
    return Update(1, message=message)


def test_updates_wait_for_their_chat_else_their_user() -> None:
    assert ordering_key(_update(5, 5)) == ordering_key(_update(5, 7)) == ("chat", 5)
    assert ordering_key(_update(5, 5)) != ordering_key(_update(6, 6))
    assert ordering_key(object()) == ordering_key(Update(2)) == ("other",)


async def test_the_lock_map_empties_and_one_chats_updates_run_one_at_a_time() -> None:
    processor = PerChatOrder(running=8)
    running: list[int] = []
    overlap: list[int] = []

    async def handle(chat: int) -> None:
        running.append(chat)
        overlap.append(running.count(chat))
        await asyncio.sleep(0.01)
        running.remove(chat)

    updates = [_update(chat, chat) for chat in (1, 1, 2, 1, 2)]
    await asyncio.gather(*(processor.process_update(u, handle(u.effective_chat.id)) for u in updates))  # type: ignore[union-attr]
    assert max(overlap) == 1
    assert processor.chats_in_progress == 0


async def test_a_flooding_chat_waits_behind_itself_not_others() -> None:
    """Chat 1's queued updates hold no running place, so chat 2's runs at once."""
    processor = PerChatOrder(running=2, waiting=64)
    finished: list[int] = []

    async def handle(chat: int) -> None:
        await asyncio.sleep(0.02)
        finished.append(chat)

    updates = [_update(1, 1)] * 5 + [_update(2, 2)]
    await asyncio.gather(*(processor.process_update(u, handle(u.effective_chat.id)) for u in updates))  # type: ignore[union-attr]
    assert finished.index(2) <= 1


async def test_quick_updates_run_one_after_another_slow_ones_side_by_side() -> None:
    """Across chats, an update runs alone while it is quick (as PTB's default would), and
    lets the next one start once it has taken longer than the handoff."""
    processor = PerChatOrder(running=8, handoff=0.2)
    running: list[int] = []
    most: list[int] = []

    async def handle(chat: int, seconds: float) -> None:
        running.append(chat)
        most.append(len(running))
        await asyncio.sleep(seconds)
        running.remove(chat)

    chats = [_update(chat, chat) for chat in range(1, 5)]
    await asyncio.gather(*(processor.process_update(u, handle(u.effective_chat.id, 0.01)) for u in chats))  # type: ignore[union-attr]
    assert max(most) == 1
    most.clear()
    await asyncio.gather(*(processor.process_update(u, handle(u.effective_chat.id, 1.0)) for u in chats))  # type: ignore[union-attr]
    assert max(most) == 4
