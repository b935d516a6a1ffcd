"""Organiser command parsing: London wall-clock times in, aware UTC out, clear refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.storage.schedule import (
    AnnounceRequest,
    ScheduleError,
    format_london,
    london_to_utc,
    parse_announce_args,
    parse_edit_args,
    parse_id,
)

NOW = datetime(2013, 10, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("args", "due_at", "text"),
    [
        # BST (UTC+1) before the 27 Oct 2013 change, GMT from that day on.
        ("at 2013-10-26 12:00 Strike", datetime(2013, 10, 26, 11, 0, tzinfo=UTC), "Strike"),
        ("at 2013-10-27 12:00 Strike", datetime(2013, 10, 27, 12, 0, tzinfo=UTC), "Strike"),
        ("at 2013-11-05 12:00 Strike", datetime(2013, 11, 5, 12, 0, tzinfo=UTC), "Strike"),
        ("at 2013-10-27 00:59 Early", datetime(2013, 10, 26, 23, 59, tzinfo=UTC), "Early"),
        ("at 2013-10-27 02:00 After", datetime(2013, 10, 27, 2, 0, tzinfo=UTC), "After"),
        ("AT 2013-11-05 9:05 caps", datetime(2013, 11, 5, 9, 5, tzinfo=UTC), "caps"),
        ("  at  2013-11-05   12:00   Walk out\nLine 2  ",
         datetime(2013, 11, 5, 12, 0, tzinfo=UTC), "Walk out\nLine 2"),
    ],
)
def test_scheduled_london_time_becomes_utc(args: str, due_at: datetime, text: str) -> None:
    req = parse_announce_args(args, NOW)
    assert req == AnnounceRequest(text=text, due_at=due_at)
    assert req.due_at is not None and req.due_at.utcoffset() is not None
    assert req.due_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ("Strike on <b>Tuesday</b>", "Strike on <b>Tuesday</b>"),
        ("  first line\n\nsecond line \n", "first line\n\nsecond line"),
        ("Attend the picket line from 7am", "Attend the picket line from 7am"),
        ("attend the rally", "attend the rally"),
    ],
)
def test_immediate_text_is_kept_verbatim(args: str, text: str) -> None:
    assert parse_announce_args(args, NOW) == AnnounceRequest(text=text, due_at=None)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ("", "Nothing to announce"),
        ("   \n ", "Nothing to announce"),
        ("at 2013-11-05 Strike", "couldn't read"),
        ("at 05/11/2013 12:00 Strike", "couldn't read"),
        ("at 2013-11-05 12:00:00 Strike", "couldn't read"),
        ("at 2013-11-05 noon Strike", "couldn't read"),
        ("at 12:00 Strike", "couldn't read"),
        # The word "at" first always asks for a schedule, never a post-now of the literal text.
        ("at tomorrow 9am strike", "Use: at YYYY-MM-DD HH:MM"),
        ("At the picket line from 7am", "send /announce on its own"),
        ("at", "Use: at YYYY-MM-DD HH:MM"),
        ("AT\n9am strike", "Use: at YYYY-MM-DD HH:MM"),
        ("at 2013-02-30 12:00 Strike", "isn't a real date"),
        ("at 2013-11-05 25:00 Strike", "isn't a real date"),
        ("at 2013-11-05 12:00", "Add the text"),
        ("at 2013-11-05 12:00   \n", "Add the text"),
        ("at 2013-09-30 12:00 Strike", "in the past"),
        ("at 2013-10-01 10:00 Strike", "in the past"),  # == NOW (10:00 BST = 09:00Z)
        ("at 2014-03-30 01:30 Strike", "doesn't exist"),  # clocks go forward
        ("at 2013-10-27 01:30 Strike", "happens twice"),  # clocks go back
    ],
)
def test_bad_announce_args_are_refused(args: str, fragment: str) -> None:
    with pytest.raises(ScheduleError) as err:
        parse_announce_args(args, NOW)
    assert fragment in str(err.value)


@pytest.mark.parametrize("now", [
    NOW,
    datetime(2026, 12, 1, 23, 30, tzinfo=UTC),  # years after the dispute
    datetime(2014, 3, 29, 23, 30, tzinfo=UTC),  # the clocks go forward tonight
])
def test_the_format_example_can_be_copied_as_it_is(now: datetime) -> None:
    """The example in a refusal used to be 2013-11-05, in the past once that had gone by."""
    with pytest.raises(ScheduleError) as err:
        parse_announce_args("at tomorrow 9am strike", now)
    example = str(err.value).split("e.g. ", 1)[1].split(" …", 1)[0]
    request = parse_announce_args(f"{example} Strike", now)
    assert request.due_at is not None and request.due_at > now and request.text == "Strike"


def test_one_minute_ahead_is_accepted() -> None:
    req = parse_announce_args("at 2013-10-01 10:01 Soon", NOW)
    assert req.due_at == datetime(2013, 10, 1, 9, 1, tzinfo=UTC)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError) as err:
        parse_announce_args("at 2013-11-05 12:00 x", datetime(2013, 10, 1))
    assert not isinstance(err.value, ScheduleError)


def test_london_to_utc_gap_and_fold() -> None:
    assert london_to_utc(datetime(2014, 3, 30, 2, 0)) == datetime(2014, 3, 30, 1, 0, tzinfo=UTC)
    assert london_to_utc(datetime(2014, 3, 30, 0, 59)) == datetime(2014, 3, 30, 0, 59, tzinfo=UTC)
    with pytest.raises(ScheduleError):
        london_to_utc(datetime(2014, 3, 30, 1, 0))
    with pytest.raises(ScheduleError):
        london_to_utc(datetime(2013, 10, 27, 1, 0))


@pytest.mark.parametrize(
    ("dt", "expected"),
    [
        (datetime(2013, 11, 5, 12, 0, tzinfo=UTC), "Tue 5 Nov 2013, 12:00 GMT"),
        (datetime(2013, 10, 26, 11, 0, tzinfo=UTC), "Sat 26 Oct 2013, 12:00 BST"),
        (datetime(2013, 10, 27, 0, 30, tzinfo=UTC), "Sun 27 Oct 2013, 01:30 BST"),
        (datetime(2013, 10, 27, 1, 30, tzinfo=UTC), "Sun 27 Oct 2013, 01:30 GMT"),
        (datetime(2014, 1, 15, 23, 5, tzinfo=UTC), "Wed 15 Jan 2014, 23:05 GMT"),
    ],
)
def test_format_london(dt: datetime, expected: str) -> None:
    assert format_london(dt) == expected


@pytest.mark.parametrize(("arg", "expected"), [("12", 12), (" 7 ", 7), ("#3", 3), ("007", 7)])
def test_parse_id(arg: str, expected: int) -> None:
    assert parse_id(arg) == expected


@pytest.mark.parametrize("arg", ["", "  ", "abc", "12a", "-1", "0", "1.5", "1 2", "١٢", "1_000",
                                 "9" * 19])
def test_parse_id_refuses(arg: str) -> None:
    with pytest.raises(ScheduleError):
        parse_id(arg)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("12 New text", (12, "New text")),
        ("  5   Line one\nLine two ", (5, "Line one\nLine two")),
        ("#9 <b>bold</b>", (9, "<b>bold</b>")),
    ],
)
def test_parse_edit_args(args: str, expected: tuple[int, str]) -> None:
    assert parse_edit_args(args) == expected


@pytest.mark.parametrize(("args", "fragment"),
                         [("", "Which announcement"), ("12", "What should announcement 12 say"),
                          ("12   ", "What should announcement 12 say"), ("x text", "isn't")])
def test_parse_edit_args_refuses(args: str, fragment: str) -> None:
    with pytest.raises(ScheduleError) as err:
        parse_edit_args(args)
    assert fragment in str(err.value)
