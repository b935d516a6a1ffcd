"""The whole gap-closing loop over real HTTP: members ask, opt in, an organiser answers from
Telegram, the opted-in member is told, others get the answer, it survives a restart, and
/retire takes it away. Members cannot answer, learn or forge a Save."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.tg.access import REFUSAL
from bot.tg.handlers.gaps import TOLD_KEPT
from bot.tg.handlers.organiser_facts import TOLD
from tests.support.dialogue import press, say, with_bold
from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import MEMBER, RunningBot
from tests.support.messages import buttons

OTHER, THIRD = 1002, 1003
ANSWER = "No: Napo has no strike pay for this one-day strike; the hardship fund can help."


def tell_me_button(message: dict) -> str:
    [(label, data)] = buttons(message)
    assert "Tell me" in label
    return data


async def test_members_gap_is_answered_from_telegram_and_the_opted_in_member_is_told(
    fake: FakeBotAPI, bot: RunningBot
) -> None:
    decline = bot.engine.kb.texts.decline
    # 1. Two members ask similar questions nobody has answered; both get an honest decline.
    [first] = await say(fake, "do we get strike pay", user=MEMBER)
    [second] = await say(fake, "strike pay?", user=OTHER)
    assert first["text"] == second["text"] == decline
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
    assert reply["text"] == decline
