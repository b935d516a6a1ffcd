"""The real bot as a child process (`python -m bot run`), for tests that kill it with SIGKILL.

Why a process: a crash test must lose exactly what a real crash loses (memory, tasks,
half-sent requests) and keep exactly what reached the disk. The fake Bot API runs in the
test's event loop on 127.0.0.1; its `on_request` hook can SIGKILL the child at an exact
request. Every wait is bounded, and `stop` always reaps the child.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import CHANNEL, ORGANISER

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0


@dataclass
class BotProcess:
    """`python -m bot run` against the fake, with DATA_DIR kept across restarts."""

    fake: FakeBotAPI
    data_dir: Path
    env_extra: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None  # default: next to DATA_DIR
    argv: tuple[str, ...] = ("-m", "bot", "run")  # what the interpreter runs
    proc: asyncio.subprocess.Process | None = None
    starts: int = 0

    def env(self) -> dict[str, str]:
        """Only what `run` reads, pointed at the fake; nothing from the developer's shell."""
        keep = {k: v for k, v in os.environ.items()
                if k in ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")}
        return {
            **keep,
            "PYTHONUNBUFFERED": "1",
            "TELEGRAM_BOT_TOKEN": self.fake.token,
            "TELEGRAM_API_URL": self.fake.base_url,
            "DATA_DIR": str(self.data_dir),
            "ORGANISER_IDS": str(ORGANISER),
            "ANNOUNCE_CHANNEL_ID": str(CHANNEL),
            **self.env_extra,
        }

    @property
    def log(self) -> Path:
        return (self.log_dir or self.data_dir.parent) / f"bot-{self.starts}.log"

    async def start(self, wait: bool = True) -> BotProcess:
        """Start the child; with `wait`, return once it polls (post_init and restore done)."""
        self.starts += 1
        polls = self.fake.arrived["getupdates"]
        with self.log.open("wb") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, *self.argv, cwd=ROOT, env=self.env(),
                stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=asyncio.subprocess.STDOUT,
            )
        if wait:
            await self.wait_until(lambda: self.fake.arrived["getupdates"] > polls, "first poll")
        return self

    def kill(self) -> None:
        """SIGKILL: no clean-up, no flush, exactly like a crash or an OOM kill."""
        if self.proc is not None and self.proc.returncode is None:
            os.kill(self.proc.pid, signal.SIGKILL)

    async def wait_dead(self) -> int:
        assert self.proc is not None
        return await asyncio.wait_for(self.proc.wait(), START_TIMEOUT)

    async def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL) and reap it; safe to call twice."""
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.kill()
            await self.proc.wait()

    async def wait_until(self, predicate: Callable[[], object], what: str,
                         timeout: float = START_TIMEOUT) -> None:
        """Poll `predicate()` until true; fail with the child's log if it died or time ran out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            died = self.proc is not None and self.proc.returncode is not None
            if died or loop.time() > deadline:
                log = self.log.read_text(errors="replace")[-3000:]
                state = "exited" if died else "timed out"
                raise AssertionError(f"{state} waiting for {what}\n{self.fake.debug_summary()}\n{log}")
            await asyncio.sleep(0.02)
