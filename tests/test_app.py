"""`python -m bot run` at start-up: one `error:` line and exit 1 for what an operator must fix,
never a traceback or the token; patience while the network is down.

Each test runs the real command as a child process against the fake Bot API on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.tg.app import TOKEN_REJECTED
from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import MEMBER
from tests.support.process import BotProcess

WRONG_TOKEN = "987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as api:
        yield api


async def run_to_exit(bot: BotProcess) -> tuple[int, str]:
    """Start the bot, wait for it to exit by itself, and return its exit code and output."""
    await bot.start(wait=False)
    try:
        code = await bot.wait_dead()
    finally:
        await bot.stop()
    return code, bot.log.read_text(errors="replace")


def assert_one_error_line(output: str, expected: str) -> None:
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert errors == [expected], output
    assert "Traceback" not in output, output


async def test_a_rejected_token_is_one_line_and_never_printed(fake: FakeBotAPI, tmp_path: Path) -> None:
    bot = BotProcess(fake, tmp_path / "data", {"TELEGRAM_BOT_TOKEN": WRONG_TOKEN})
    code, output = await run_to_exit(bot)
    assert code == 1
    assert_one_error_line(output, TOKEN_REJECTED)
    assert WRONG_TOKEN.split(":")[1] not in output and WRONG_TOKEN not in output
    assert (tmp_path / "data" / "bot.sqlite3").exists()  # the database was opened first


async def test_data_dir_that_is_a_file_is_refused_before_telegram(fake: FakeBotAPI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.write_text("not a directory")
    code, output = await run_to_exit(BotProcess(fake, data))
    assert code == 1
    assert_one_error_line(output, f"error: DATA_DIR {data} is a file, not a directory")
    assert sum(fake.arrived.values()) == 0  # Telegram was never contacted


async def test_data_dir_that_cannot_be_created_is_refused(fake: FakeBotAPI, tmp_path: Path) -> None:
    data = Path("/proc/version/data")  # under a file, so not even root can create it
    code, output = await run_to_exit(BotProcess(fake, data, log_dir=tmp_path))
    assert code == 1
    assert_one_error_line(output, f"error: cannot create DATA_DIR {data}: Not a directory")
    assert sum(fake.arrived.values()) == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to any directory")
async def test_data_dir_that_is_not_writable_is_refused(fake: FakeBotAPI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o500)
    code, output = await run_to_exit(BotProcess(fake, data))
    assert code == 1
    assert_one_error_line(output, f"error: DATA_DIR {data} is not writable")
    assert sum(fake.arrived.values()) == 0


async def test_a_database_that_cannot_be_opened_is_refused(fake: FakeBotAPI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "bot.sqlite3").write_bytes(b"this is not an SQLite file, it is some other thing" * 100)
    code, output = await run_to_exit(BotProcess(fake, data))
    assert code == 1
    assert_one_error_line(output, f"error: cannot open the database {data / 'bot.sqlite3'}: "
                                  "file is not a database")
    assert sum(fake.arrived.values()) == 0


async def test_the_network_down_at_boot_is_waited_out(tmp_path: Path) -> None:
    """Telegram unreachable at boot: the bot keeps trying, then answers once it is back."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    attempts = 0

    def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal attempts
        attempts += 1
        writer.close()  # the connection dies before any answer: a network failure

    down = await asyncio.start_server(refuse, "127.0.0.1", port)
    fake = FakeBotAPI(port=port)
    bot = BotProcess(fake, tmp_path / "data")
    try:
        await bot.start(wait=False)
        # Longer than the rate limiter's own retries (4 attempts): only boot-time retrying
        # (bootstrap_retries) gets past this.
        await bot.wait_until(lambda: attempts >= 6, "six attempts while the network is down")
        down.close()
        await down.wait_closed()
        async with fake:  # the network is back, on the same address
            await bot.wait_until(lambda: fake.arrived["getupdates"] > 0, "polling after the outage")
            fake.send_text("who is ian lawrence", user_id=MEMBER)
            [reply] = await fake.wait_for_sent(1, chat_id=MEMBER, timeout=10)
            assert "Lawrence" in reply["text"]
            await bot.stop()
    finally:
        await bot.stop()
    assert "Traceback" not in bot.log.read_text(errors="replace")
