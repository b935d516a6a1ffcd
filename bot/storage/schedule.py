"""Parsing organisers' command arguments: /announce times, announcement ids, /edit.

Organisers think in London wall-clock time; the store keeps UTC. Every way a typed time
can be wrong (malformed, in the past, skipped or repeated by a clock change) is refused
with a message the organiser can act on, because a strike call posted at the wrong hour
is worse than one that asks to be retyped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def format_hint(now: datetime) -> str:
    """The schedule format, with an example that is always to come (tomorrow at noon, London),
    so an organiser who copies it is not told it is in the past."""
    _require_aware(now)
    tomorrow = now.astimezone(LONDON) + timedelta(days=1)
    return f"Use: at YYYY-MM-DD HH:MM your announcement (London time), e.g. at {tomorrow:%Y-%m-%d} 12:00 …"

LITERAL_HINT = ("To post a text that starts with the word “at”, send /announce on its own, "
                "then the text in your next message.")

# The word "at" first always means a schedule: "at tomorrow 9am strike" is refused with the
# expected format rather than posted now as the literal text "at tomorrow 9am strike".
_AT_WORD = re.compile(r"at(?:\s|$)", re.IGNORECASE)
_SCHEDULE = re.compile(r"at\s+(\S+)(?:\s+(\S+))?(?:\s+(.*))?", re.IGNORECASE | re.DOTALL)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_TIME = re.compile(r"(\d{1,2}):(\d{2})", re.ASCII)
_ID = re.compile(r"#?(\d{1,18})", re.ASCII)


class ScheduleError(ValueError):
    """str(error) is a user-facing message: reply with it as-is."""


@dataclass(frozen=True)
class AnnounceRequest:
    text: str
    due_at: datetime | None  # aware UTC; None = post now


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")


def london_to_utc(naive: datetime) -> datetime:
    """Refuse times a clock change skips or repeats instead of silently guessing."""
    first = naive.replace(tzinfo=LONDON, fold=0)
    second = naive.replace(tzinfo=LONDON, fold=1)
    when = f"{naive:%Y-%m-%d %H:%M}"
    if first.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != naive:
        raise ScheduleError(
            f"{when} doesn't exist in London: the clocks go forward that night. "
            "Pick a time outside 01:00–01:59."
        )
    if first.utcoffset() != second.utcoffset():
        raise ScheduleError(
            f"{when} happens twice in London: the clocks go back that night. "
            "Pick a time outside 01:00–01:59."
        )
    return first.astimezone(UTC)


def _parse_when(date_text: str, time_text: str | None, now: datetime) -> datetime:
    date_m = _DATE.fullmatch(date_text)
    time_m = _TIME.fullmatch(time_text or "")
    if date_m is None or time_m is None:
        raise ScheduleError(f"I couldn't read that date and time. {format_hint(now)} {LITERAL_HINT}")
    year, month, day = (int(g) for g in date_m.groups())
    hour, minute = (int(g) for g in time_m.groups())
    try:
        return datetime(year, month, day, hour, minute)
    except ValueError:
        raise ScheduleError(
            f"{date_text} {time_text} isn't a real date and time. {format_hint(now)}"
        ) from None


def parse_announce_args(args: str, now: datetime) -> AnnounceRequest:
    """Split "/announce [at YYYY-MM-DD HH:MM] TEXT"; keeps the text's own line breaks."""
    _require_aware(now)
    body = args.strip()
    if not body:
        raise ScheduleError("Nothing to announce: put the text after the command, or "
                            "'at YYYY-MM-DD HH:MM text' to schedule it (London time).")
    if not _AT_WORD.match(body):
        return AnnounceRequest(text=body, due_at=None)
    match = _SCHEDULE.fullmatch(body)
    if match is None:
        raise ScheduleError(f"I couldn't read a date and time after “at”. {format_hint(now)} {LITERAL_HINT}")
    date_text, time_text, text = match.groups()
    due_at = london_to_utc(_parse_when(date_text, time_text, now))
    if due_at <= now:
        raise ScheduleError(
            f"{format_london(due_at)} is in the past (it's now {format_london(now)})."
        )
    text = (text or "").strip()
    if not text:
        raise ScheduleError(f"What should I post at {format_london(due_at)}? Add the text "
                            "after the time.")
    return AnnounceRequest(text=text, due_at=due_at)


def format_london(dt: datetime) -> str:
    """Always show the zone name so nobody misreads GMT for BST around a clock change."""
    _require_aware(dt)
    local = dt.astimezone(LONDON)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M %Z}"


def parse_id(arg: str) -> int:
    """Announcement numbers as shown in /scheduled and /recent ("12" or "#12")."""
    text = arg.strip()
    if not text:
        raise ScheduleError("Which announcement? Give its number, e.g. 12.")
    match = _ID.fullmatch(text)
    if match is None or int(match.group(1)) == 0:
        raise ScheduleError(f"“{text[:40]}” isn't an announcement number. Give a number, e.g. 12.")
    return int(match.group(1))


def parse_edit_args(args: str) -> tuple[int, str]:
    """Split "/edit ID NEW TEXT", keeping the new text's line breaks."""
    parts = args.strip().split(maxsplit=1)
    if not parts:
        raise ScheduleError("Which announcement? Use: /edit 12 the corrected text")
    ann_id = parse_id(parts[0])
    text = parts[1].strip() if len(parts) > 1 else ""
    if not text:
        raise ScheduleError(f"What should announcement {ann_id} say now? "
                            f"Use: /edit {ann_id} the corrected text")
    return ann_id, text
