"""Posting and delivery through the real bot: long posts, honest reports, re-delivered presses,
and durable writes kept off the event loop."""

from __future__ import annotations

from collections.abc import Callable

from bot.tg.textlimits import MAX_MESSAGE
from tests.support.dialogue import eventually, press, say
from tests.support.fakebotapi import FakeBotAPI, utf16_len
from tests.support.harness import CHANNEL, MEMBER, ORGANISER, RunningBot
from tests.support.messages import buttons
from tests.support.organiser_flows import post, preview

MEMBERS = (MEMBER, 1002, 1003)


BOLD = [{"type": "bold", "offset": 0, "length": 6}]


def announcement_of(length: int) -> str:
    """What the organiser types: `length` characters as Telegram counts them (the emoji is two);
    sent with "Strike" in bold, so the HTML the bot stores is longer than that."""
    head = "Strike & picket 🪧 x"
    text = head + "x" * (length - utf16_len(head))
    assert utf16_len(text) == length
    return text


async def subscribe_all(fake: FakeBotAPI) -> None:
    for member in MEMBERS:
        await say(fake, "/subscribe", user=member)


async def report(fake: FakeBotAPI) -> str:
    """The organiser's delivery report, once it says it has finished."""
    progress = fake.messages_to(ORGANISER)[-1]
    await eventually(fake, lambda: "finished:" in progress["text"], "the delivery report")
    return str(progress["text"])


async def test_a_full_length_announcement_reaches_every_subscriber(fake: FakeBotAPI, bot: RunningBot) -> None:
    await subscribe_all(fake)
    text = announcement_of(MAX_MESSAGE)
    await say(fake, "/announce")
    header, shown = await say(fake, text, n=2, entities=BOLD)
    assert header["text"].startswith("Preview #1") and shown["entities"][0] == BOLD[0]
    await press(fake, shown, "a:post:1", n=2)
    assert await report(fake) == "#1 to subscribers, finished: sent 3 of 3."
    [posted] = fake.messages_to(CHANNEL)
    assert posted["text"] == shown["text"]
    for member in MEMBERS:
        dms = [m["text"] for m in fake.messages_to(member)][1:]  # after "You're subscribed"
        assert posted["text"] in dms and "Napo announcement" in dms[0]
    assert not [e for e in fake.errors if e["method"] == "sendMessage"]


async def test_the_preview_refuses_a_post_over_the_limit(fake: FakeBotAPI, bot: RunningBot) -> None:
    await say(fake, "/announce")
    [warning] = await say(fake, announcement_of(MAX_MESSAGE + 1), entities=BOLD)
    assert warning["text"].startswith("⚠️ That announcement is 4,097 characters; Telegram allows 4,096")
    assert "Shorten it by 1" in warning["text"]
    assert bot.services.store.get(1) is None and fake.messages_to(CHANNEL) == []


async def test_markup_does_not_count_towards_the_limit(fake: FakeBotAPI, bot: RunningBot) -> None:
    header, shown = await say(fake, "/announce " + "&" * 3000, n=2)  # "&amp;" x 3,000 as HTML
    assert header["text"].startswith("Preview #1") and shown["text"] == "&" * 3000


async def test_a_dm_lost_in_flight_is_unknown_not_sent(fake: FakeBotAPI, bot: RunningBot) -> None:
    await subscribe_all(fake)
    # Telegram delivers it, but the answer never comes back: nobody knows, so no retry either.
    fake.fail_next("sendMessage", "drop_after", chat_ids=frozenset({MEMBERS[1]}))
    await post(fake, "Strike on Tuesday", subscribers=3)
    assert await report(fake) == ("#1 to subscribers, finished: sent 2 of 3. "
                                  "1 unknown: interrupted by a restart, not sent again.")
    assert [len(fake.messages_to(m)) for m in MEMBERS] == [2, 2, 2]  # subscribed + one DM each


async def test_a_blocked_member_is_counted_and_forgotten(fake: FakeBotAPI, bot: RunningBot) -> None:
    await subscribe_all(fake)
    fake.blocked_users.add(MEMBERS[2])
    await post(fake, "Strike on Tuesday", subscribers=3)
    assert await report(fake) == "#1 to subscribers, finished: sent 2 of 3. 1 blocked the bot (removed)."
    assert not bot.services.store.is_subscribed(MEMBERS[2])


async def test_a_redelivered_post_press_posts_once(fake: FakeBotAPI, bot: RunningBot) -> None:
    """Telegram re-sends a press whose acknowledgement a crash cut off; there is no update
    de-duplication any more, so the outbox's compare-and-set must refuse it."""
    ann_id, confirm = await post(fake, "Strike on Tuesday")
    press_update = next(u for u in fake.updates_log if "callback_query" in u)
    before = len(fake.messages_to(ORGANISER))
    fake.redeliver(press_update)
    await fake.wait_for_sent(before + 1, chat_id=ORGANISER)
    assert fake.messages_to(ORGANISER)[-1]["text"] == f"#{ann_id} is already posted; nothing more was sent."
    assert len(fake.messages_to(CHANNEL)) == 1


async def test_a_redelivered_post_again_press_posts_once(fake: FakeBotAPI, bot: RunningBot) -> None:
    """"Post again" counts only from the newest question: an old press, re-delivered, is refused."""
    fake.fail_next("sendMessage", "drop_after", chat_ids=frozenset({CHANNEL}))
    await say(fake, "/announce Strike on Tuesday", n=2)
    [ask], _ = await press(fake, fake.messages_to(ORGANISER)[-1], "a:post:1")
    assert buttons(ask)[1] == ("Post again", "a:again:1")
    fake.fail_next("sendMessage", "drop_after", chat_ids=frozenset({CHANNEL}))  # lost again
    [ask_again], _ = await press(fake, ask, "a:again:1")
    assert ask_again["text"].startswith("⚠️ I can't tell whether #1")
    old_press = [u for u in fake.updates_log if "callback_query" in u][-1]
    [refused] = await say_nothing_but(fake, lambda: fake.redeliver(old_press))
    assert refused["text"] == "#1 is already uncertain; nothing more was sent."
    assert len(fake.messages_to(CHANNEL)) == 2  # the two lost answers; no third post
    [confirm], _ = await press(fake, ask_again, "a:there:1")
    assert confirm["text"].startswith("Thanks: #1 is recorded as posted")


async def say_nothing_but(fake: FakeBotAPI, action: Callable[[], object]) -> list[dict]:
    before = len(fake.messages_to(ORGANISER))
    action()
    await fake.wait_for_sent(before + 1, chat_id=ORGANISER)
    await fake.wait_idle()
    return fake.messages_to(ORGANISER)[before:]


async def test_durable_writes_never_run_on_the_event_loop(
    fake: FakeBotAPI, bot: RunningBot, writes_on_loop: list[str]
) -> None:
    """An fsync on a slow disk must not stall every member: each write runs in a worker thread."""
    store = bot.services.store
    await subscribe_all(fake)
    await post(fake, "Strike on Tuesday", subscribers=3)
    await report(fake)
    await say(fake, "what colour is the sky on mars", user=MEMBER)  # declined: a gap is counted
    await say(fake, "/announce at 2099-01-01 12:00 Later", n=2)
    await press(fake, fake.messages_to(ORGANISER)[-1], "a:sched:2")
    await say(fake, "/unschedule 2")
    await say(fake, "/unsubscribe", user=MEMBER)
    assert store.top_gaps() and not store.is_subscribed(MEMBER)
    assert writes_on_loop == []


async def test_an_edit_during_delivery_reaches_the_dms_not_yet_sent(fake: FakeBotAPI,
                                                                   bot: RunningBot) -> None:
    """The DM text used to be built once, so members still waiting got the uncorrected text."""
    members = (*MEMBERS, 1004, 1005, 1006)
    for member in members:
        await say(fake, "/subscribe", user=member)
    ann_id, shown = await preview(fake, "Strike on Tuesday")
    fake.latency = 0.25  # every call takes a while: the delivery is still going when /edit comes
    fake.press_button(shown, f"a:post:{ann_id}", user_id=ORGANISER)
    await fake.wait_for_sent(2, chat_id=members[0], timeout=10)  # the first DM is out
    before = len(fake.messages_to(ORGANISER))
    fake.send_text(f"/edit {ann_id} Strike on Wednesday", user_id=ORGANISER)
    def edits() -> list[dict]:
        return [m for m in fake.messages_to(ORGANISER)[before:] if m["text"].startswith("✏️")]

    await eventually(fake, lambda: bool(edits()), "the edit's reply", 10)
    [edited] = edits()
    assert edited["text"].startswith(f"✏️ #{ann_id} edited in the channel.")
    assert "still to send go out as edited" in edited["text"]
    await eventually(fake, lambda: all(len(fake.messages_to(m)) == 2 for m in members), "every DM", 20)
    texts = [fake.messages_to(m)[1]["text"] for m in members]
    assert "Strike on Tuesday" in texts[0] and "Strike on Wednesday" in texts[-1]
    # Each member got one DM, old or new, never both.
    assert all(("Tuesday" in t) != ("Wednesday" in t) for t in texts)
