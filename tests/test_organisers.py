"""End-to-end tests of the organisers' announcement features, over real HTTP.

The real Application runs against the fake Bot API (tests/support/fakebotapi/) exactly as
`python -m bot run` would; restarts reuse the same DATA_DIR, so the SQLite outbox is what
carries state across them. Nothing inside python-telegram-bot is mocked.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from telegram import Update

from bot.storage import Store
from bot.tg.access import PRIVATE_ONLY
from bot.tg.announcer import NO_SUBSCRIBERS
from bot.tg.app import build_application
from tests.support.dialogue import eventually, press, replies, say
from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import CHANNEL, MEMBER, ORGANISER, RunningBot
from tests.support.messages import buttons
from tests.support.organiser_flows import LONDON, STRIKE, bold, command, post, preview


def db(bot: RunningBot) -> sqlite3.Connection:
    """The bot's SQLite file, opened directly (only while the bot is stopped)."""
    return sqlite3.connect(bot.settings().database, isolation_level=None)


def ts(dt: datetime) -> str:
    """Timestamps as the store writes them (fixed-width UTC ISO text)."""
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def dms(fake: FakeBotAPI, chat_id: int, text: str = STRIKE) -> list[dict]:
    return [m for m in fake.messages_to(chat_id) if "announcement" in m["text"] and text in m["text"]]


# ---------------------------------------------------------------- 1. the organiser's flow


async def test_announce_preview_post_and_pin(fake: FakeBotAPI, bot: RunningBot) -> None:
    text = f"/announce {STRIKE}"
    entities = [*command(text), bold(text, "Strike")]
    header, shown = await say(fake, text, n=2, entities=entities)

    ann_id = int(header["text"].split("#")[1].split(",")[0])
    assert header["text"] == f"Preview #{ann_id}, exactly as it will appear in the channel:"
    assert shown["text"] == STRIKE
    assert shown["entities"] == [{"type": "bold", "offset": 0, "length": 6}]
    assert buttons(shown) == [("Post to channel", f"a:post:{ann_id}"), ("Cancel", f"a:cancel:{ann_id}")]
    assert bot.services.store.get(ann_id).state == "draft"
    assert fake.messages_to(CHANNEL) == []

    [confirm], answer = await press(fake, shown, f"a:post:{ann_id}")
    assert answer.get("show_alert") is not True
    [posted] = fake.messages_to(CHANNEL)
    assert posted["text"] == shown["text"] and posted["entities"] == shown["entities"]
    assert buttons(fake.messages_to(ORGANISER)[-2]) == []  # the preview's buttons are gone
    ann = bot.services.store.get(ann_id)
    assert (ann.state, ann.channel_id, ann.message_id) == ("posted", CHANNEL, posted["message_id"])
    assert confirm["text"] == (f"✅ #{ann_id} posted to the channel (message id {posted['message_id']})."
                               + NO_SUBSCRIBERS)
    assert buttons(confirm) == [("📌 Pin it", f"a:pin:{ann_id}")]

    [pinned], _ = await press(fake, confirm, f"a:pin:{ann_id}")
    assert pinned["text"] == f"📌 #{ann_id} pinned."
    [pin] = fake.calls_to("pinChatMessage")
    assert (int(pin["chat_id"]), int(pin["message_id"])) == (CHANNEL, posted["message_id"])
    assert len(fake.messages_to(CHANNEL)) == 1


async def test_a_refused_pin_says_why_and_can_be_tried_again(fake: FakeBotAPI, bot: RunningBot) -> None:
    ann_id, shown = await preview(fake, STRIKE)
    [confirm], _ = await press(fake, shown, f"a:post:{ann_id}")
    fake.fail_next("pinChatMessage", "400", description="Bad Request: not enough rights to pin a message")
    [refused], _ = await press(fake, confirm, f"a:pin:{ann_id}")
    assert "was not pinned" in refused["text"] and "not enough rights" in refused["text"].lower()
    assert buttons(refused) == [("📌 Pin it", f"a:pin:{ann_id}")]
    [pinned], _ = await press(fake, refused, f"a:pin:{ann_id}")
    assert pinned["text"] == f"📌 #{ann_id} pinned."


async def test_cancel_posts_nothing(fake: FakeBotAPI, bot: RunningBot) -> None:
    ann_id, shown = await preview(fake, STRIKE)
    [reply], _ = await press(fake, shown, f"a:cancel:{ann_id}")
    assert reply["text"] == f"#{ann_id} cancelled."
    assert bot.services.store.get(ann_id).state == "cancelled"
    assert buttons(fake.messages_to(ORGANISER)[-2]) == []
    assert fake.messages_to(CHANNEL) == []
    # A stale Post button (e.g. pressed in another client) does not resurrect it.
    [stale], _ = await press(fake, shown, f"a:post:{ann_id}", check=False)
    assert stale["text"] == f"#{ann_id} is already cancelled; nothing more was sent."
    assert fake.messages_to(CHANNEL) == []


async def test_double_tap_on_post_posts_once(fake: FakeBotAPI, bot: RunningBot) -> None:
    ann_id, shown = await preview(fake, STRIKE)
    data = f"a:post:{ann_id}"
    first, second = await replies(
        fake, ORGANISER, lambda: [fake.press_button(shown, data, user_id=ORGANISER) for _ in range(2)], 2
    )
    assert first["text"].startswith(f"✅ #{ann_id} posted")
    assert second["text"] == f"#{ann_id} is already posted; nothing more was sent."
    assert len(fake.messages_to(CHANNEL)) == 1
    assert len(fake.callback_answers) == 2  # both taps were answered


async def test_a_refused_request_is_not_repeated(fake: FakeBotAPI, bot: RunningBot) -> None:
    ann_id, shown = await preview(fake, STRIKE)
    await press(fake, shown, f"a:cancel:{ann_id}")
    await press(fake, shown, f"a:post:{ann_id}", check=False)  # a stale button on a second device
    refused = [e for e in fake.errors if e["method"] == "editMessageReplyMarkup"]
    assert [e["status"] for e in refused] == [400]


async def test_bare_announce_asks_for_the_text(fake: FakeBotAPI, bot: RunningBot) -> None:
    [ask] = await say(fake, "/announce")
    assert "next message" in ask["text"]
    assert bot.services.store.get(1) is None
    header, shown = await say(fake, STRIKE, n=2)  # the next message is the announcement, not a question
    assert header["text"].startswith("Preview #1,")
    assert shown["text"] == STRIKE
    assert buttons(shown) == [("Post to channel", "a:post:1"), ("Cancel", "a:cancel:1")]
    assert bot.services.store.get(1).text == STRIKE
    # ...and only that one: the message after it is a question again.
    [answer] = await say(fake, "when is the strike?")
    assert "Preview" not in answer["text"] and bot.services.store.get(2) is None

    [ask] = await say(fake, "/announce")
    [cancelled] = await say(fake, "/cancel")
    assert cancelled["text"] == "Cancelled."
    [answer] = await say(fake, "when is the strike?")
    assert "Preview" not in answer["text"] and bot.services.store.get(2) is None
    assert fake.messages_to(CHANNEL) == []


async def test_announce_in_a_group_is_redirected(fake: FakeBotAPI, bot: RunningBot) -> None:
    group = -4002
    fake.send_text(f"/announce {STRIKE}", user_id=ORGANISER, chat_id=group, chat_type="group")
    [reply] = await fake.wait_for_sent(1, chat_id=group)
    await fake.wait_idle()
    assert reply["text"] == PRIVATE_ONLY
    assert len(fake.messages_to(group)) == 1 and bot.services.store.get(1) is None


# ---------------------------------------------------------------- 2. refusals

REFUSAL = "Sorry, only the union's organisers can do that."


async def test_members_cannot_use_organiser_commands(fake: FakeBotAPI, bot: RunningBot) -> None:
    for text in ("/announce " + STRIKE, "/scheduled", "/edit 1 hacked", "/delete 1", "/gaps",
                 "/announcements"):
        [reply] = await say(fake, text, user=MEMBER)
        assert reply["text"] == REFUSAL, text
    # In a group a member gets what an organiser gets there: the group must not learn who
    # the organisers are from the replies (it used to be REFUSAL for one, PRIVATE_ONLY for the other).
    group = -4001
    for user in (MEMBER, ORGANISER):
        before = len(fake.messages_to(group))
        fake.send_text("/gaps", user_id=user, chat_id=group, chat_type="group")
        [reply] = (await fake.wait_for_sent(before + 1, chat_id=group))[before:]
        assert reply["text"] == PRIVATE_ONLY, user
    fake.send_text(f"/announce {STRIKE}", user_id=MEMBER, chat_id=group, chat_type="group")
    await fake.wait_idle()
    assert bot.services.store.get(1) is None  # no draft was created
    assert fake.messages_to(CHANNEL) == []
    assert not fake.calls_to("editMessageText") and not fake.calls_to("deleteMessage")


async def test_members_cannot_press_organiser_buttons(fake: FakeBotAPI, bot: RunningBot) -> None:
    ann_id, shown = await preview(fake, STRIKE)
    _, answer = await press(fake, shown, f"a:post:{ann_id}", user=MEMBER, n=0)
    assert answer["text"] == REFUSAL and answer["show_alert"] is True
    assert buttons(fake.messages_to(ORGANISER)[-1]) == buttons(shown)  # untouched
    assert not fake.calls_to("editMessageReplyMarkup")

    # Forged callback data sent from the member's own chat.
    [own] = await say(fake, "/start", user=MEMBER)
    for forged in (f"a:post:{ann_id}", f"a:cancel:{ann_id}", f"a:there:{ann_id}"):
        _, answer = await press(fake, own, forged, user=MEMBER, n=0, check=False)
        assert answer["text"] == REFUSAL and answer["show_alert"] is True
    assert fake.messages_to(CHANNEL) == []
    assert bot.services.store.get(ann_id).state == "draft"


async def test_channel_admin_is_an_organiser(fake: FakeBotAPI, bot: RunningBot) -> None:
    admin = 4242
    fake.chat_admins[CHANNEL] = [admin]
    ann_id, shown = await preview(fake, STRIKE, user=admin)
    [confirm], _ = await press(fake, shown, f"a:post:{ann_id}", user=admin)
    assert confirm["text"].startswith(f"✅ #{ann_id} posted")
    assert [m["text"] for m in fake.messages_to(CHANNEL)] == [STRIKE]
    assert bot.services.store.get(ann_id).author_id == admin
    # Someone who is neither in ORGANISER_IDS nor a channel admin is still refused.
    [reply] = await say(fake, "/scheduled", user=MEMBER)
    assert reply["text"] == REFUSAL


# ---------------------------------------------------------------- 3. scheduling


def london_in(days: int) -> str:
    return (datetime.now(LONDON) + timedelta(days=days)).strftime("%Y-%m-%d 12:00")


async def schedule(fake: FakeBotAPI, text: str, when: str) -> tuple[int, dict]:
    """/announce at WHEN TEXT, then Schedule; returns the id and the confirmation."""
    header, shown = await say(fake, f"/announce at {when} {text}", n=2)
    ann_id = int(header["text"].split("#")[1].split(",")[0])
    assert "to post at" in header["text"] and "12:00" in header["text"]
    assert shown["text"] == text
    assert buttons(shown) == [("Schedule", f"a:sched:{ann_id}"), ("Cancel", f"a:cancel:{ann_id}")]
    [done], _ = await press(fake, shown, f"a:sched:{ann_id}")
    return ann_id, done


async def test_schedule_pressed_after_the_due_time_is_refused(fake: FakeBotAPI, bot: RunningBot) -> None:
    """Previewed for 12:00, Schedule pressed at 12:10: nothing is posted late behind the
    organiser's back; they are told the time has passed."""
    header, shown = await say(fake, f"/announce at {london_in(3)} {STRIKE}", n=2)
    ann_id = int(header["text"].split("#")[1].split(",")[0])
    passed = (datetime.now(UTC) - timedelta(minutes=10)).isoformat(timespec="microseconds")
    with sqlite3.connect(bot.services.settings.database) as db:  # as if the preview were older
        db.execute("UPDATE announcements SET due_at = ? WHERE id = ?", (passed, ann_id))
    [reply], _ = await press(fake, shown, f"a:sched:{ann_id}")
    assert "which has passed" in reply["text"] and "/announce again" in reply["text"]
    await fake.wait_idle()
    assert fake.messages_to(CHANNEL) == [] and bot.services.store.get(ann_id).state == "draft"
    assert not bot.app.job_queue.get_jobs_by_name(f"announce-{ann_id}")


async def test_schedule_list_and_unschedule(fake: FakeBotAPI, bot: RunningBot) -> None:
    when = london_in(3)
    ann_id, done = await schedule(fake, STRIKE, when)
    assert done["text"].startswith(f"🕒 #{ann_id} scheduled for ")
    ann = bot.services.store.get(ann_id)
    assert ann.state == "scheduled"
    assert ann.due_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") == when
    assert bot.app.job_queue.get_jobs_by_name(f"announce-{ann_id}")

    [listing] = await say(fake, "/scheduled")
    assert listing["text"].startswith("Scheduled\n")
    assert f"#{ann_id} · " in listing["text"] and STRIKE in listing["text"]

    [removed] = await say(fake, f"/unschedule {ann_id}")
    assert removed["text"] == f"#{ann_id} removed from the queue."
    assert bot.services.store.get(ann_id).state == "cancelled"
    [listing] = await say(fake, "/scheduled")
    assert listing["text"] == "Nothing is scheduled."
    assert fake.messages_to(CHANNEL) == []


async def test_overdue_schedule_posts_once_late_after_restart(fake: FakeBotAPI, bot: RunningBot) -> None:
    ann_id, _ = await schedule(fake, STRIKE, london_in(3))
    await bot.stop()
    with db(bot) as conn:  # the bot was down when it fell due
        conn.execute("UPDATE announcements SET due_at = ? WHERE id = ?",
                     (ts(datetime.now(UTC) - timedelta(hours=2)), ann_id))
    before = len(fake.messages_to(ORGANISER))
    await bot.start()

    [posted] = await fake.wait_for_sent(1, chat_id=CHANNEL)
    await fake.wait_for_sent(before + 1, chat_id=ORGANISER)
    await fake.wait_idle()
    told = fake.messages_to(ORGANISER)
    assert len(fake.messages_to(CHANNEL)) == 1
    assert posted["text"].startswith(STRIKE)
    assert "Delayed post: scheduled for " in posted["text"]
    ann = bot.services.store.get(ann_id)
    assert (ann.state, ann.late, ann.message_id) == ("posted", True, posted["message_id"])
    assert [m["text"] for m in told[before:]] == [
        f"✅ #{ann_id} posted to the channel (message id {posted['message_id']})." + NO_SUBSCRIBERS
    ]
    # Another restart does not post it again.
    await bot.restart()
    await fake.wait_idle()
    assert len(fake.messages_to(CHANNEL)) == 1


async def test_overdue_post_survives_a_slow_startup(fake: FakeBotAPI, bot: RunningBot) -> None:
    """run_polling arms the queue in post_init, then starts polling (deleteWebhook over the
    network), and only then the JobQueue: a slow Telegram there must not lose the post."""
    ann_id, _ = await schedule(fake, STRIKE, london_in(3))
    await bot.stop()
    with db(bot) as conn:
        conn.execute("UPDATE announcements SET due_at = ? WHERE id = ?",
                     (ts(datetime.now(UTC) - timedelta(hours=2)), ann_id))
    bot.app = app = build_application(bot.settings(), bot.engine)  # run_polling's order
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
    await asyncio.sleep(1.2)  # deleteWebhook took a while to answer
    await app.start()
    [posted] = await fake.wait_for_sent(1, chat_id=CHANNEL, timeout=3)
    await fake.wait_idle()
    assert "Delayed post: scheduled for " in posted["text"]
    assert bot.services.store.get(ann_id).state == "posted"
    assert len(fake.messages_to(CHANNEL)) == 1


async def test_schedule_falling_due_after_restart_is_not_late(fake: FakeBotAPI, bot: RunningBot) -> None:
    ann_id, _ = await schedule(fake, STRIKE, london_in(3))
    await bot.stop()
    due = datetime.now(UTC) + timedelta(seconds=1.5)
    with db(bot) as conn:
        conn.execute("UPDATE announcements SET due_at = ? WHERE id = ?", (ts(due), ann_id))
    await bot.start()
    [posted] = await fake.wait_for_sent(1, chat_id=CHANNEL, timeout=5)
    await fake.wait_idle()
    assert posted["text"] == STRIKE
    assert "Delayed" not in posted["text"]
    ann = bot.services.store.get(ann_id)
    assert (ann.state, ann.late) == ("posted", False)
    [send] = [e for e in bot.services.store.audit() if e.action == "begin_send"]
    assert send.at >= due and send.actor_id is None  # the queue posted it, not early
    assert len(fake.messages_to(CHANNEL)) == 1


# ---------------------------------------------------------------- 4. the outbox across failures


def uncertain_asks(fake: FakeBotAPI, ann_id: int) -> list[dict]:
    return [m for m in fake.messages_to(ORGANISER)
            if m["text"].startswith(f"⚠️ I can't tell whether #{ann_id} reached the channel")]


async def test_crash_before_send_asks_and_never_reposts_alone(fake: FakeBotAPI, bot: RunningBot) -> None:
    await bot.stop()
    with Store(bot.settings().database) as store:  # stopped between "sending" and the send
        ann = store.create_draft(STRIKE, ORGANISER)
        assert store.begin_send(ann.id, CHANNEL, ORGANISER)
    await bot.start()

    [ask] = await fake.wait_for_sent(1, chat_id=ORGANISER)
    await fake.wait_idle()
    assert ask in uncertain_asks(fake, ann.id)
    assert buttons(ask) == [("It's there", f"a:there:{ann.id}"), ("Post again", f"a:again:{ann.id}")]
    assert bot.services.store.get(ann.id).state == "uncertain"
    assert fake.messages_to(CHANNEL) == []  # the bot never re-posts on its own

    [confirm], _ = await press(fake, ask, f"a:again:{ann.id}")
    [posted] = fake.messages_to(CHANNEL)
    assert posted["text"] == STRIKE
    assert confirm["text"] == (f"✅ #{ann.id} posted to the channel (message id {posted['message_id']})."
                               + NO_SUBSCRIBERS)
    assert bot.services.store.get(ann.id).state == "posted"


async def test_lost_answer_after_send_is_confirmed_by_a_person(fake: FakeBotAPI, bot: RunningBot) -> None:
    ann_id, shown = await preview(fake, STRIKE)
    fake.fail_next("sendMessage", "drop_after")  # Telegram posts it, but the answer is lost
    [ask], _ = await press(fake, shown, f"a:post:{ann_id}")
    assert ask in uncertain_asks(fake, ann_id)
    assert len(fake.messages_to(CHANNEL)) == 1
    assert bot.services.store.get(ann_id).state == "uncertain"

    before = len(fake.messages_to(ORGANISER))
    await bot.restart()
    [ask] = (await fake.wait_for_sent(before + 1, chat_id=ORGANISER))[before:]
    await fake.wait_idle()
    assert len(uncertain_asks(fake, ann_id)) == 2
    assert len(fake.messages_to(ORGANISER)) == before + 1
    assert len(fake.messages_to(CHANNEL)) == 1

    [thanks], _ = await press(fake, ask, f"a:there:{ann_id}")
    assert thanks["text"].startswith(f"Thanks: #{ann_id} is recorded as posted.")
    assert bot.services.store.get(ann_id).state == "posted"
    assert len(fake.messages_to(CHANNEL)) == 1


async def test_429_and_500_on_the_channel_post_still_post_once(fake: FakeBotAPI, bot: RunningBot) -> None:
    ann_id, shown = await preview(fake, STRIKE)
    fake.fail_next("sendMessage", "429", retry_after=1)
    fake.fail_next("sendMessage", "500")
    [confirm], _ = await press(fake, shown, f"a:post:{ann_id}")
    injected = [e["status"] for e in fake.errors if e["injected"]]
    assert injected == [429, 500]
    assert [m["text"] for m in fake.messages_to(CHANNEL)] == [STRIKE]
    assert confirm["text"].startswith(f"✅ #{ann_id} posted")
    assert bot.services.store.get(ann_id).state == "posted"


# ---------------------------------------------------------------- 5. subscribers

OTHERS = (1002, 1003)


async def test_subscribers_get_exactly_one_dm(fake: FakeBotAPI, bot: RunningBot) -> None:
    for member in (MEMBER, *OTHERS):
        [reply] = await say(fake, "/subscribe", user=member)
        assert reply["text"].startswith("You're subscribed")
    [reply] = await say(fake, "/unsubscribe", user=OTHERS[1])
    assert reply["text"] == "Done: you're unsubscribed and your record is deleted."
    store = bot.services.store
    assert [store.is_subscribed(c) for c in (MEMBER, *OTHERS)] == [True, True, False]

    ann_id, _ = await post(fake, STRIKE, subscribers=2)
    progress = fake.messages_to(ORGANISER)[-1]
    await eventually(fake, lambda: "sent 2 of 2" in progress["text"], "the progress message")
    assert progress["text"] == f"#{ann_id} to subscribers, finished: sent 2 of 2."
    await fake.wait_idle()
    for member in (MEMBER, OTHERS[0]):
        [dm] = dms(fake, member)
        assert dm["text"].startswith("📢 Napo announcement")
    assert dms(fake, OTHERS[1]) == []
    assert store.delivery_progress(ann_id) == (2, 2)


async def test_the_confirmation_says_when_nobody_gets_a_dm(fake: FakeBotAPI, bot: RunningBot) -> None:
    """With subscribers a progress message follows the confirmation; without, it says so."""
    _, confirmation = await post(fake, STRIKE)
    assert confirmation["text"].endswith(NO_SUBSCRIBERS)
    await say(fake, "/subscribe", user=MEMBER)
    _, confirmation = await post(fake, "Picket from 7am", subscribers=1)
    assert NO_SUBSCRIBERS not in confirmation["text"]


async def test_blocked_subscriber_is_forgotten(fake: FakeBotAPI, bot: RunningBot) -> None:
    blocked = OTHERS[1]
    for member in (MEMBER, *OTHERS):
        await say(fake, "/subscribe", user=member)
    fake.blocked_users.add(blocked)
    ann_id, _ = await post(fake, STRIKE, subscribers=3)
    progress = fake.messages_to(ORGANISER)[-1]
    await eventually(fake, lambda: "finished:" in progress["text"], "delivery to finish")
    # Their delivery row went with their record; only a count says what happened.
    assert progress["text"] == (f"#{ann_id} to subscribers, finished: sent 2 of 3. "
                                "1 blocked the bot (removed).")
    assert [len(dms(fake, m)) for m in (MEMBER, OTHERS[0])] == [1, 1]
    assert fake.messages_to(blocked)[-1]["text"].startswith("You're subscribed")
    assert not bot.services.store.is_subscribed(blocked)
    assert bot.services.store.subscriber_count() == 2


def posted_with_deliveries(path: Path, states: dict[int, str]) -> int:
    """With the bot stopped: a posted announcement whose deliveries are in `states`."""
    with Store(path) as store:
        for chat_id in states:
            store.subscribe(chat_id)
        ann = store.create_draft(STRIKE, ORGANISER)
        store.begin_send(ann.id, CHANNEL, ORGANISER)
        store.mark_posted(ann.id, 99, datetime.now(UTC))
        assert store.start_delivery(ann.id) == len(states)
        for chat_id, state in states.items():
            if state in ("sending", "sent"):
                assert store.claim_delivery(ann.id, chat_id)
            if state == "sent":
                assert store.finish_delivery(ann.id, chat_id, "sent")
    return ann.id


async def test_delivery_resumes_after_restart_without_duplicates(fake: FakeBotAPI, bot: RunningBot) -> None:
    await bot.stop()
    sent, sending, pending = MEMBER, *OTHERS
    ann_id = posted_with_deliveries(bot.settings().database,
                                    {sent: "sent", sending: "sending", pending: "pending"})
    await bot.start()
    await fake.wait_for_sent(1, chat_id=pending)
    await eventually(fake, lambda: bot.services.store.delivery_progress(ann_id) == (3, 3), "delivery")
    await fake.wait_idle()
    assert len(dms(fake, pending)) == 1
    assert dms(fake, sent) == [] and dms(fake, sending) == []  # at most once: no repeats
    await bot.restart()
    await fake.wait_idle()
    assert [len(dms(fake, c)) for c in (sent, sending, pending)] == [0, 0, 1]


async def test_rate_limited_delivery_sends_one_dm_each(fake: FakeBotAPI, bot: RunningBot) -> None:
    await bot.stop()
    members = (MEMBER, *OTHERS)
    ann_id = posted_with_deliveries(bot.settings().database, dict.fromkeys(members, "pending"))
    fake.fail_next("sendMessage", "429", count=2, retry_after=1, chat_ids=frozenset(members))
    await bot.start()
    await eventually(fake, lambda: bot.services.store.delivery_progress(ann_id) == (3, 3), "delivery",
                     timeout=10)
    await fake.wait_idle()
    injected = [e for e in fake.errors if e["injected"]]
    assert [e["status"] for e in injected] == [429, 429]
    assert {int(e["params"]["chat_id"]) for e in injected} <= set(members)  # they hit the DMs
    assert [len(dms(fake, m)) for m in members] == [1, 1, 1]
    assert all(bot.services.store.is_subscribed(m) for m in members)


# ---------------------------------------------------------------- 6. members' questions reach announcements

QUESTION = "when's the strike?"


async def test_member_question_leads_with_the_announcement(fake: FakeBotAPI, bot: RunningBot) -> None:
    [plain] = await say(fake, QUESTION, user=MEMBER)
    assert "Latest" not in plain["text"] and "noon on Tuesday 5 November" not in plain["text"]

    await post(fake, STRIKE)
    [reply] = await say(fake, QUESTION, user=MEMBER)
    text = reply["text"]
    assert text.startswith("Latest (")
    assert text.index("noon on Tuesday 5 November") < text.index("Earlier report:")
    assert "Napo announcement" in text
    assert "BBC News" in text and "The Independent" in text  # the articles are still cited

    await bot.restart()
    [again] = await say(fake, QUESTION, user=MEMBER)
    assert again["text"] == text


# ---------------------------------------------------------------- 7. corrections and reports

EDITED = "Strike starts at 1pm on Tuesday 5 November"


async def test_edit_and_delete_a_posted_announcement(fake: FakeBotAPI, bot: RunningBot) -> None:
    ann_id, _ = await post(fake, STRIKE)
    [posted] = fake.messages_to(CHANNEL)

    [edited] = await say(fake, f"/edit {ann_id} {EDITED}")
    assert edited["text"] == f"✏️ #{ann_id} edited in the channel."
    [call] = fake.calls_to("editMessageText")
    assert (int(call["chat_id"]), int(call["message_id"])) == (CHANNEL, posted["message_id"])
    assert fake.messages_to(CHANNEL)[0]["text"] == EDITED
    assert bot.services.store.get(ann_id).text == EDITED
    [reply] = await say(fake, QUESTION, user=MEMBER)
    assert "1pm on Tuesday 5 November" in reply["text"] and "noon" not in reply["text"]

    [listing] = await say(fake, "/announcements")
    assert listing["text"].startswith("Recent announcements\n")
    assert f"#{ann_id} · posted · " in listing["text"]

    [deleted] = await say(fake, f"/delete {ann_id}")
    assert deleted["text"] == f"🗑 #{ann_id} deleted from the channel."
    [call] = fake.calls_to("deleteMessage")
    assert (int(call["chat_id"]), int(call["message_id"])) == (CHANNEL, posted["message_id"])
    assert fake.messages_to(CHANNEL, include_deleted=False) == []
    assert bot.services.store.get(ann_id).state == "deleted"
    [reply] = await say(fake, QUESTION, user=MEMBER)
    assert "Latest" not in reply["text"] and "Tuesday 5 November" not in reply["text"]

    [audit] = await say(fake, "/audit")
    lines = audit["text"].splitlines()
    assert lines[0] == "Audit log"
    actions = [line.split(" · ")[1] for line in lines[1:]]
    assert actions == ["delete", "edit", "delivery_started", "posted", "begin_send", "create"]
    assert f"#{ann_id} · {ORGANISER}" in audit["text"]

    [again] = await say(fake, f"/delete {ann_id}")
    assert again["text"].startswith("Not deleted:")
    assert len(fake.calls_to("deleteMessage")) == 1


async def test_gap_report_counts_declined_questions_without_names(fake: FakeBotAPI, bot: RunningBot) -> None:
    [empty] = await say(fake, "/gaps")
    assert empty["text"] == "No unanswered questions recorded yet."
    for member in (MEMBER, OTHERS[0]):
        [decline] = await say(fake, "where can i park my caravan in leeds", user=member)
        assert decline["text"].startswith("Sorry, I don't have a sourced answer")
    [report] = await say(fake, "/gaps")
    lines = report["text"].splitlines()
    assert lines[0] == "Unanswered questions (kept 30 days, without names or ids)"
    assert lines[1].startswith("1. “where can i park my caravan in leeds” · 2× · last asked ")
    assert "no names kept" not in report["text"]  # the old, false claim
    assert str(MEMBER) not in report["text"] and str(OTHERS[0]) not in report["text"]


# ---------------------------------------------------------------- reloading knowledge


async def test_reload_refuses_a_broken_knowledge_base_and_keeps_the_old_one(
    fake: FakeBotAPI, editable_knowledge: Path
) -> None:
    knowledge = editable_knowledge
    before = (await say(fake, "who is chris grayling", user=MEMBER))[0]["text"]
    facts = knowledge / "facts" / "people.yaml"
    good = facts.read_text(encoding="utf-8")
    facts.write_text(good.replace("  - id: chris-grayling", "  - id chris-grayling"), encoding="utf-8")
    [refused] = await say(fake, "/reload")
    assert refused["text"].startswith("Reload refused; still using the old knowledge.")
    assert "people.yaml:" in refused["text"]
    assert (await say(fake, "who is chris grayling", user=MEMBER))[0]["text"] == before

    fixed = good.replace("Justice Secretary", "Justice Secretary (reloaded)", 1)
    facts.write_text(fixed, encoding="utf-8")
    [done] = await say(fake, "/reload")
    assert done["text"].startswith("Knowledge reloaded")
    [member] = await say(fake, "/reload", user=MEMBER)
    assert member["text"] == REFUSAL
    assert "(reloaded)" in (await say(fake, "who is chris grayling", user=MEMBER))[0]["text"]
