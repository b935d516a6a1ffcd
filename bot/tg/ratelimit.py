"""Outgoing requests: PTB's AIORateLimiter, plus retries for errors that are safe to retry.

AIORateLimiter already waits out 429s. We add retries for network failures:
- when Telegram answered with a 5xx, or we never reached it, the request had no effect,
  so sending it again is always safe;
- when the connection died *after* the request left, nobody knows whether Telegram acted.
  A member's reply is retried anyway (a rare double beats a lost answer), but a call made
  with `rate_limit_args=AT_MOST_ONCE` (channel posts, announcement DMs) is not: the outbox
  decides those.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import httpx
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

AT_MOST_ONCE = {"at_most_once": True}


def never_reached_telegram(error: NetworkError) -> bool:
    """True when the request certainly did not take effect, so a retry cannot double it."""
    if isinstance(error, BadRequest):
        return True  # refused outright (PTB makes BadRequest a NetworkError)
    cause = error.__cause__
    if cause is None:
        return True  # Telegram answered with an HTTP error status: it did not act
    if isinstance(error, TimedOut) and "Pool timeout" in str(error):
        return True
    return isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter that also retries requests that provably never took effect."""

    def __init__(self, *args: Any, network_retries: int = 3, backoff: float = 0.25, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._network_retries = network_retries
        self._backoff = backoff

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """AIORateLimiter's request, sent again after a network failure that is safe to retry.

        `rate_limit_args` is AIORateLimiter's max_retries (int), or AT_MOST_ONCE.
        """
        at_most_once = isinstance(rate_limit_args, dict) and rate_limit_args.get("at_most_once", False)
        max_retries = rate_limit_args if isinstance(rate_limit_args, int) else None
        delay = self._backoff
        for _ in range(self._network_retries):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, max_retries)
            except NetworkError as exc:
                # A refusal (400) will be refused again; 429s were already handled above.
                if isinstance(exc, BadRequest):
                    raise
                if at_most_once and not never_reached_telegram(exc):
                    raise
                log.info("%s failed (%s); retrying in %.2fs", endpoint, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay *= 2
        # The last attempt: whatever it raises is the caller's to handle.
        return await super().process_request(callback, args, kwargs, endpoint, data, max_retries)


async def best_effort(call: Awaitable[object], what: str) -> None:
    """For courtesy calls (an apology, a progress edit, removing spent buttons): a Telegram
    error there is logged and swallowed, so it never stops the real work around it."""
    try:
        await call
    except TelegramError as exc:
        log.info("%s skipped: %s", what, type(exc).__name__)
