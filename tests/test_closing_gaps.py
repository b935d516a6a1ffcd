"""The whole gap-closing loop over real HTTP: members ask, opt in, an organiser answers from
Telegram, the opted-in member is told, others get the answer, it survives a restart, and
/retire takes it away. Members cannot answer, learn or forge a Save."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.tg import callbacks
from bot.tg.access import REFUSAL
from bot.tg.handlers.gaps import TOLD_KEPT
from bot.tg.handlers.organiser_facts import TOLD
from bot.tg.keyboards import TELL_ME
from tests.support.dialogue import press, say, with_bold
from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import MEMBER, ORGANISER, RunningBot
from tests.support.messages import buttons

OTHER, THIRD = 1002, 1003
ANSWER = "No: Napo has no strike pay for this one-day strike; the hardship fund can help."


def tell_me_button(message: dict) -> str:
    [(label, data)] = buttons(message)
    assert "Tell me" in label
    return data


async def test_members_gap_is_answered_from_telegram_and_the_opted_in_member_is_told(
    fake: FakeBotAPI, bot: RunningBot, writes_on_loop: list[str]
) -> None:
    # 1. Two members ask similar questions the reports don't answer; both get an honest
    # decline (knowledge/declines.yaml has its own reply for strike pay).
    decline = bot.engine.ask("do we get strike pay")
    assert decline.kind == "decline" and not decline.answered
    [first] = await say(fake, "do we get strike pay", user=MEMBER)
    [second] = await say(fake, "strike pay?", user=OTHER)
    assert first["text"] == second["text"] == decline.text
    # 2. One of them asks to be told, and is told what is kept.
    [kept], answered = await press(fake, first, tell_me_button(first), user=MEMBER)
    assert kept["text"] == TOLD_KEPT and "30 days" in kept["text"]

    # Members cannot answer, learn, or see the gaps.
    for command in ("/answer 1 Yes, lots", "/learn", "/gaps", "/facts", "/retire 1"):
        [refused] = await say(fake, command, user=OTHER)
        assert refused["text"] == REFUSAL

    # 3. The organiser sees one gap, asked twice.
    [report] = await say(fake, "/gaps")
    assert "1. “do we get strike pay” · 2×" in report["text"], report["text"]
    assert "2." not in report["text"].split("\n", 2)[-1].split("/answer")[0]
    assert str(MEMBER) not in report["text"] and str(OTHER) not in report["text"]

    # 4. /answer 1 previews exactly what members will see, sourced to the organisers.
    command = f"/answer 1 {ANSWER}"
    header, card, wordings = await say(fake, command, n=3, **with_bold(command, "No"))
    today = datetime.now(UTC).strftime("%-d %b %Y")
    assert header["text"].startswith("Preview of fact #")
    assert card["text"].startswith("No: Napo has no strike pay")
    assert any(e["type"] == "bold" for e in card.get("entities", []))  # formatting kept
    assert f"Napo organisers, {today}" in card["text"]
    assert "do we get strike pay" in wordings["text"] and "strike pay?" in wordings["text"]
    labels = dict(buttons(wordings))
    save = next(data for label, data in labels.items() if "Save" in label)

    # A forged Save from a member does nothing.
    _, refusal = await press(fake, wordings, save, user=OTHER, n=0, check=False)
    assert refusal.get("text") == REFUSAL
    assert bot.services.store.live_facts() == []

    # Save: the organiser is told, the opted-in member gets a DM, the other member nothing.
    before_other = len(fake.messages_to(OTHER))
    [saved], _ = await press(fake, wordings, save)
    assert saved["text"].startswith("✅ Saved as fact #") and "Told 1 member" in saved["text"]
    dm = fake.messages_to(MEMBER)[-1]
    assert dm["text"].startswith(TOLD.strip()) and "no strike pay" in dm["text"]
    assert len(fake.messages_to(OTHER)) == before_other
    assert bot.services.store.owed_answers() == []  # the opt-in is deleted once told

    # The gap has left /gaps.
    [report] = await say(fake, "/gaps")
    assert report["text"] == "No unanswered questions recorded yet."

    # 6. A third member, in other words, gets the answer with the organisers named as source.
    [reply] = await say(fake, "will napo pay us strike pay", user=THIRD)
    assert "no strike pay" in reply["text"] and f"Napo organisers, {today}" in reply["text"]

    # Not one of those durable writes ran on the event loop (a slow disk stalls nobody).
    assert writes_on_loop == []

    # 7. After a restart it is still served.
    await bot.restart()
    [reply] = await say(fake, "is there any strike pay", user=THIRD)
    assert "no strike pay" in reply["text"]
    [listed] = await say(fake, "/facts")
    assert "#1" in listed["text"]

    # 8. /retire removes it.
    [retired] = await say(fake, "/retire 1")
    assert "retired" in retired["text"]
    [reply] = await say(fake, "is there any strike pay", user=THIRD)
    assert reply["text"] == decline.text


# ---------------------------------------------------------------- the edges of the loop


async def save_gap(fake: FakeBotAPI, text: str = ANSWER, n: int = 1) -> tuple[dict, list[dict]]:
    """/answer 1 TEXT and press Save; returns the preview's button message and the replies."""
    *_, wordings = await say(fake, f"/answer 1 {text}", n=3)
    save = next(data for label, data in buttons(wordings) if "Save" in label)
    saved, _ = await press(fake, wordings, save, n=n)
    return wordings, saved


async def test_a_partial_answer_is_a_gap_too(fake: FakeBotAPI, bot: RunningBot) -> None:
    """"The reports don't give the date" answers nothing: organisers see it in /gaps, and the
    member may ask to be told, below the related facts."""
    question = "what date is the strike"
    reply = bot.engine.ask(question)
    assert reply.kind == "partial" and not reply.answered
    [first] = await say(fake, question, user=MEMBER)
    assert first["text"] == reply.text
    labels = [label for label, _ in buttons(first)]
    assert labels == [f.title for f in reply.related[:3]] + [TELL_ME]
    assert [g.question for g in bot.services.store.gap_questions()] == [question]
    [kept], _ = await press(fake, first, buttons(first)[-1][1], user=MEMBER)
    assert kept["text"] == TOLD_KEPT


async def test_save_refuses_what_check_would_refuse_and_says_why(fake: FakeBotAPI, bot: RunningBot) -> None:
    bot.services.store.record_gap("when is the strike")  # a wording another fact owns
    wordings, [refused] = await save_gap(fake, "Tuesday.")
    assert refused["text"].startswith("Not saved: check would refuse it.")
    assert "'when is the strike' is under two facts" in refused["text"]
    assert bot.services.store.live_facts() == []
    cancel = next(data for label, data in buttons(wordings) if label == "Cancel")  # still there
    [cancelled], _ = await press(fake, wordings, cancel)
    assert cancelled["text"] == "Cancelled: nothing was saved."
    [reply] = await say(fake, "when is the strike", user=OTHER)
    assert "Tuesday." not in reply["text"]


async def test_gap_numbers_stay_put_while_members_ask_more(fake: FakeBotAPI, bot: RunningBot) -> None:
    """/answer N must answer the gap the organiser read as N, even if the list reordered since."""
    await say(fake, "do we get strike pay", user=MEMBER)
    await say(fake, "is there a picket line at my office", user=OTHER)
    [report] = await say(fake, "/gaps")
    line = next(ln for ln in report["text"].splitlines() if "strike pay" in ln)
    number = line.split(".", 1)[0]
    for user in (THIRD, MEMBER):  # the picket question becomes the most asked
        await say(fake, "is there a picket line at my office", user=user)
    [again] = await say(fake, "/gaps")
    assert "picket" in again["text"].split("\n")[1]  # listed first now
    *_, wordings = await say(fake, f"/answer {number} {ANSWER}", n=3)
    assert "do we get strike pay" in wordings["text"] and "picket" not in wordings["text"]


async def test_odd_answer_commands_get_a_polite_reply(fake: FakeBotAPI, bot: RunningBot) -> None:
    for command, expected in [("/answer", "Usage"), ("/answer x words", "Usage"), ("/answer 1", "Usage"),
                              ("/answer 3 words", "no unanswered questions"), ("/retire x", "Usage"),
                              ("/retire 77", "not a live organiser fact"), ("/editfact 77 new", "not a live"),
                              ("/gaps please", "Usage"), (f"/answer 1 {'x' * 500}", "no unanswered")]:
        [reply] = await say(fake, command)
        assert expected in reply["text"], (command, reply["text"])
    bot.services.store.record_gap("strike pay?")
    [reply] = await say(fake, "/answer 3 words")
    assert "There is no gap 3 now" in reply["text"]
    [reply] = await say(fake, f"/answer 1 {'word ' * 100}")
    assert "keep it under 400" in reply["text"]


async def test_gaps_clear_asks_first_and_deletes_only_on_clear(fake: FakeBotAPI, bot: RunningBot) -> None:
    """/gaps clear used to delete at once, members' "Tell me" opt-ins with it, unasked."""
    store = bot.services.store
    [decline] = await say(fake, "do we get strike pay", user=MEMBER)
    await press(fake, decline, tell_me_button(decline), user=MEMBER)
    gap = callbacks.parse_number(tell_me_button(decline), callbacks.TELL_ME)
    up_to = store.record_gap("when do the ballot papers arrive")
    [asked] = await say(fake, "/gaps clear")
    assert asked["text"] == ("Delete 2 unanswered questions and 1 member's request to be told "
                             "of an answer? This can't be undone.")
    assert buttons(asked) == [("🗑 Clear", f"g:clear:{up_to}"), ("Keep", f"g:keep:{up_to}")]
    assert len(store.gap_questions()) == 2 and store.watchers(gap) == [MEMBER]  # nothing deleted yet

    [kept], _ = await press(fake, asked, f"g:keep:{up_to}")
    assert kept["text"] == "Kept: nothing was deleted." and buttons(fake.messages_to(ORGANISER)[-2]) == []
    assert len(store.gap_questions()) == 2 and store.watchers(gap) == [MEMBER]

    [asked] = await say(fake, "/gaps clear")
    [cleared], _ = await press(fake, asked, f"g:clear:{up_to}")
    assert cleared["text"] == ("Cleared: 2 unanswered questions and 1 member's request to be told "
                               "of an answer.")
    assert (await say(fake, "/gaps"))[0]["text"] == "No unanswered questions recorded yet."
    assert store.watchers(gap) == []
    # A second press (another device, a re-delivered update) spares what members asked since.
    store.record_gap("is there strike pay")
    [stale], _ = await press(fake, asked, f"g:clear:{up_to}", check=False)
    assert stale["text"] == "Nothing left to clear: those questions are already gone."
    assert store.top_gaps() == [("is there strike pay", 1)]
    # Members cannot press it; with nothing recorded there is nothing to ask.
    _, refused = await press(fake, asked, f"g:clear:{up_to + 1}", user=MEMBER, n=0, check=False)
    assert refused["text"] == REFUSAL and store.top_gaps() == [("is there strike pay", 1)]
    [asked] = await say(fake, "/gaps clear")
    assert asked["text"] == ("Delete 1 unanswered question (no member asked to be told of an answer)? "
                             "This can't be undone.")
    await press(fake, asked, f"g:clear:{up_to + 1}")
    [nothing] = await say(fake, "/gaps clear")
    assert nothing["text"] == "There are no unanswered questions to clear." and buttons(nothing) == []


async def test_unsubscribe_deletes_opt_ins(fake: FakeBotAPI, bot: RunningBot) -> None:
    [decline] = await say(fake, "do we get strike pay", user=MEMBER)
    await press(fake, decline, tell_me_button(decline), user=MEMBER)
    [done] = await say(fake, "/unsubscribe", user=MEMBER)
    assert "deleted" in done["text"]
    assert bot.services.store._query("SELECT * FROM gap_watchers") == []


async def test_tell_me_only_in_private_chats_and_forged_ones_store_nothing(
    fake: FakeBotAPI, bot: RunningBot
) -> None:
    [decline] = await say(fake, "do we get strike pay", user=MEMBER)
    _, answer = await press(fake, decline, "n:99999", user=MEMBER, n=0, check=False)
    assert "answered or cleared" in answer["text"]
    _, answer = await press(fake, decline, "n:abc", user=MEMBER, n=0, check=False)
    assert answer["text"] == "That button isn't valid any more."
    group = -4004
    fake.send_text("/ask do we get strike pay", user_id=MEMBER, chat_id=group, chat_type="group")
    [reply] = await fake.wait_for_sent(1, chat_id=group)
    assert buttons(reply) == []
    assert bot.services.store._query("SELECT * FROM gap_watchers") == []


async def test_an_answer_owed_when_the_bot_stopped_is_sent_after_a_restart(
    fake: FakeBotAPI, bot: RunningBot
) -> None:
    [decline] = await say(fake, "do we get strike pay", user=MEMBER)
    await press(fake, decline, tell_me_button(decline), user=MEMBER)
    store = bot.services.store
    [gap] = store.gap_questions()
    # The Save committed, then the bot died before its DMs went.
    fact = store.draft_fact("No strike pay, sorry.", [gap.question], [gap.id], 9001)
    store.save_fact(fact.id, 9001)
    before = len(fake.messages_to(MEMBER))
    await bot.restart()
    await fake.wait_for_sent(before + 1, chat_id=MEMBER)
    assert fake.messages_to(MEMBER)[-1]["text"].startswith(TOLD.strip())
    assert bot.services.store.owed_answers() == []


async def test_editfact_previews_then_corrects(fake: FakeBotAPI, bot: RunningBot) -> None:
    await say(fake, "do we get strike pay", user=MEMBER)
    await save_gap(fake, n=1)
    header, card, wordings = await say(fake, "/editfact 1 Yes: £20 a day from the hardship fund.", n=3)
    assert card["text"].startswith("Yes: £20 a day")
    [reply] = await say(fake, "is there any strike pay", user=THIRD)
    assert "no strike pay" in reply["text"]  # not yet: the preview changes nothing
    [done], _ = await press(fake, wordings, next(d for label, d in buttons(wordings) if "Save" in label))
    assert done["text"] == "✏️ Fact #1 corrected."
    [reply] = await say(fake, "is there any strike pay", user=THIRD)
    assert reply["text"].startswith("Yes: £20 a day")
    assert [e.action for e in bot.services.store.audit(3)] == ["fact_edit", "fact_save", "fact_draft"]


async def test_one_correction_waits_at_a_time(fake: FakeBotAPI, bot: RunningBot) -> None:
    """Save and Cancel name only the fact: a second /editfact would make the first preview's
    Save apply a text it never showed. So the waiting one is shown again instead."""
    await say(fake, "do we get strike pay", user=MEMBER)
    await save_gap(fake, n=1)
    *_, first = await say(fake, "/editfact 1 First correction A", n=3)
    refusal, _, card, again = await say(fake, "/editfact 1 Second correction B", n=4)
    assert "already has a correction waiting" in refusal["text"]
    assert card["text"].startswith("First correction A")
    [done], _ = await press(fake, first, next(d for label, d in buttons(first) if "Save" in label))
    assert done["text"] == "✏️ Fact #1 corrected."
    assert bot.services.store.organiser_fact(1).answer.startswith("First correction A")
    [late], _ = await press(fake, again, next(d for label, d in buttons(again) if "Save" not in label))
    assert "No correction of fact #1 is waiting" in late["text"]


async def test_help_says_what_is_kept_and_for_how_long(fake: FakeBotAPI, bot: RunningBot) -> None:
    [help_reply] = await say(fake, "/help", user=MEMBER)
    text = help_reply["text"]
    assert "kept, without names or ids, for up to 30 days" in text
    assert "Tell me" in text and "/unsubscribe" in text


async def test_reload_conflict_keeps_the_organiser_fact_and_tells_who_reloaded(
    fake: FakeBotAPI, editable_knowledge: Path
) -> None:
    knowledge = editable_knowledge
    asked = "is there a hardship fund for strikers"
    await say(fake, asked, user=MEMBER)
    await save_gap(fake, n=1)
    strike = knowledge / "facts" / "strike.yaml"
    strike.write_text(strike.read_text().replace("      - strike date?\n",
                                                 f"      - strike date?\n      - {asked}\n"))
    [done] = await say(fake, "/reload")
    assert done["text"].startswith("Knowledge reloaded"), done["text"]
    assert f"'{asked}' is a phrasing of both knowledge fact 'strike-timing' and organiser fact #1" \
        in done["text"]
    [reply] = await say(fake, asked, user=THIRD)
    assert "no strike pay" in reply["text"]
