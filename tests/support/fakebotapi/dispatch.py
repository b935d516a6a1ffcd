"""Routing of ``/bot<token>/<method>`` requests: parameter decoding, fault injection and
Telegram's error answers.

Why a mixin of :class:`~.server.FakeBotAPI`: every request records into the fake's
observation lists (``calls``, ``errors``) and wakes its waiters.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.support.fakebotapi.http import Answer, Connection, Request

_LOG = logging.getLogger("fakebotapi")

FAULT_KINDS = ("429", "500", "502", "400", "403", "drop", "drop_after", "hang", "slow")

# Parameters that are plain strings on the wire and must never be JSON-decoded
# (PTB JSON-encodes every non-str value but sends str values raw, so "123" as text
# must stay a string).
_STRING_PARAMS = frozenset(
    {
        "text", "parse_mode", "callback_query_id", "inline_query_id", "next_offset",
        "switch_pm_text", "switch_pm_parameter", "url", "description", "language_code",
        "message_effect_id", "business_connection_id", "inline_message_id",
    }
)

MethodImpl = Callable[[dict, Connection], Any]
# Called with (method, params) as each request arrives; may return "drop" (close the
# connection without performing it) or "drop_after" (perform it, then close): crash tests
# kill the bot process from here, at an exact request.
RequestHook = Callable[[str, dict], str | None]


class APIError(Exception):
    """An error answer of the Bot API: HTTP status plus Telegram's description."""

    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        """Keep status and description separate for the JSON error body."""
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def bad(description: str) -> APIError:
    """Shortcut for a 400 whose description is prefixed the way Telegram does."""
    return APIError(400, f"Bad Request: {description}")


class Dropped(Exception):
    """Raised when the request must end by closing the TCP connection without an answer."""


@dataclass
class Fault:
    """A pending fault-injection rule."""

    method: str
    kind: str
    remaining: int
    retry_after: int
    description: str | None
    chat_ids: frozenset[int] | None = None  # only requests to these chats (None: any)
    delay: float = 0.0  # "slow": seconds before the call is performed and answered


class Dispatcher:
    """Turns HTTP requests into Bot API method calls (state lives in FakeBotAPI)."""

    token: str
    calls: list[tuple[str, dict]]
    errors: list[dict]
    internal_errors: list[BaseException]
    _faults: list[Fault]
    _inflight: Counter[str]
    arrived: Counter[str]
    _methods: dict[str, tuple[str, MethodImpl]]
    _notify: Callable[[], None]
    on_request: RequestHook | None
    latency: float = 0.0  # seconds every call but getUpdates takes, like a distant Telegram

    def fail_next(
        self,
        method: str,
        kind: str,
        count: int = 1,
        retry_after: int = 1,
        *,
        description: str | None = None,
        chat_ids: frozenset[int] | None = None,
        delay: float = 1.0,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail.

        kinds: "429" (Too Many Requests with retry_after), "500"/"502", "400"/"403"
        (with ``description``), "drop" (close the connection without answering),
        "drop_after" (perform the method, then drop - "Telegram took it but we never
        heard back"), "hang" (never answer; the client's read timeout fires), "slow"
        (perform and answer the call after ``delay`` seconds, like a distant server).
        ``chat_ids`` limits the fault to requests whose ``chat_id`` is one of them.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}, not {kind!r}")
        self._faults.append(Fault(method.lower(), kind, count, retry_after, description, chat_ids, delay))

    async def _handle_http(self, conn: Connection, request: Request) -> Answer:
        """Route one HTTP request; None means "drop the connection"."""
        match = re.fullmatch(r"/bot([^/]*)/([^/]*)", request.path)
        if not match:
            return self._error_body(404, "Not Found")
        token, method = match.groups()
        if token != self.token:
            return self._error_body(401, "Unauthorized")
        key = method.lower()
        if key not in self._methods:
            self.errors.append(
                {"method": method, "params": {}, "status": 404, "description": "Not Found",
                 "injected": False, "time": time.monotonic()}
            )
            return self._error_body(404, "Not Found")
        name, impl = self._methods[key]
        self._inflight[key] += 1
        self.arrived[key] += 1
        self._notify()
        try:
            return await self._call(conn, request, name, impl)
        except Dropped:
            return None
        except Exception as exc:  # a bug in the fake: surface it loudly
            _LOG.exception("FakeBotAPI crashed in %s", name)
            self.internal_errors.append(exc)
            return self._error_body(500, f"Internal Server Error: FakeBotAPI bug: {exc!r}")
        finally:
            self._inflight[key] -= 1
            self._notify()

    async def _call(self, conn: Connection, request: Request, name: str, impl: MethodImpl) -> Answer:
        """Decode params, apply faults, run the method and build the JSON answer."""
        try:
            params = self._decode_params(request)
        except APIError as exc:
            return self._record_error(name, {}, exc)
        hook = self.on_request(name, params) if self.on_request is not None else None
        if hook == "drop":
            raise Dropped
        if self.latency and name != "getUpdates":
            await asyncio.sleep(self.latency)
        fault = self._take_fault(name, params)
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
            fault = None
        if fault is not None and fault.kind != "drop_after":
            return await self._apply_fault(conn, name, params, fault)
        try:
            result = impl(params, conn)
            if inspect.isawaitable(result):
                result = await result
        except APIError as exc:
            return self._record_error(name, params, exc)
        self.calls.append((name, params))
        self._notify()
        if fault is not None or hook == "drop_after":  # it took effect; the answer is lost
            _LOG.debug("FakeBotAPI: %s performed, dropping connection (drop_after)", name)
            raise Dropped
        body = json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()
        return 200, body, "application/json"

    def _take_fault(self, name: str, params: dict) -> Fault | None:
        """Consume one matching fault rule, if any."""
        chat = params.get("chat_id")
        for fault in self._faults:
            if fault.chat_ids is not None and not (
                    isinstance(chat, int | str) and str(chat).lstrip("-").isdigit()
                    and int(chat) in fault.chat_ids):
                continue
            if fault.method == name.lower() and fault.remaining > 0:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _apply_fault(self, conn: Connection, name: str, params: dict, fault: Fault) -> Answer:
        """Answer (or not) according to an injected fault."""
        if fault.kind == "drop":
            raise Dropped
        if fault.kind == "hang":
            await conn.closed.wait()
            raise Dropped
        status = int(fault.kind)
        parameters = None
        if status == 429:
            description = f"Too Many Requests: retry after {fault.retry_after}"
            parameters = {"retry_after": fault.retry_after}
        elif fault.description:
            description = fault.description
        else:
            description = {
                500: "Internal Server Error",
                502: "Bad Gateway",
                400: "Bad Request: injected error",
                403: "Forbidden: bot was blocked by the user",
            }[status]
        return self._record_error(name, params, APIError(status, description, parameters), injected=True)

    def _record_error(
        self, name: str, params: dict, exc: APIError, injected: bool = False
    ) -> tuple[int, bytes, str]:
        """Log an error answer in ``errors`` and serialize it."""
        self.errors.append(
            {"method": name, "params": params, "status": exc.status,
             "description": exc.description, "injected": injected, "time": time.monotonic()}
        )
        self._notify()
        return self._error_body(exc.status, exc.description, exc.parameters)

    @staticmethod
    def _error_body(status: int, description: str, parameters: dict | None = None) -> tuple[int, bytes, str]:
        """Telegram's error JSON shape."""
        payload: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            payload["parameters"] = parameters
        return status, json.dumps(payload).encode(), "application/json"

    @staticmethod
    def _decode_params(request: Request) -> dict[str, Any]:
        """Decode query string + urlencoded/JSON body into Python values.

        PTB sends every non-str value JSON-encoded inside the form, so each value is
        JSON-decoded unless it is a known plain-string parameter. Multipart (file uploads)
        is refused: the bot never sends files.
        """
        raw: dict[str, Any] = dict(urllib.parse.parse_qsl(request.query, keep_blank_values=True))
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = request.body
        if body:
            if ctype == "application/json":
                try:
                    obj = json.loads(body)
                except ValueError as exc:
                    raise bad("can't parse JSON object") from exc
                if not isinstance(obj, dict):
                    raise bad("JSON object expected")
                raw.update(obj)
            elif ctype == "multipart/form-data":
                raise bad("FakeBotAPI does not implement multipart/form-data (file uploads)")
            else:
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise bad("strings must be encoded in UTF-8") from exc
                raw.update(urllib.parse.parse_qsl(text, keep_blank_values=True))
        return {key: _decode_value(key, value) for key, value in raw.items()}


def _decode_value(key: str, value: Any) -> Any:
    """JSON-decode a form value unless it is a plain-string parameter."""
    if not isinstance(value, str) or key in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
