"""Just enough HTTP/1.1 for httpx: keep-alive, Content-Length and chunked request bodies.

Why hand-written: the server must run inside the test's event loop, notice a client
hanging up during a long poll, and be able to abort a connection for fault injection,
none of which ``http.server`` allows.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus

# What a request handler answers: (status, body, content type), or None to drop the connection.
Answer = tuple[int, bytes, str] | None
Handler = Callable[["Connection", "Request"], Awaitable[Answer]]


@dataclass
class Request:
    """One parsed HTTP/1.1 request."""

    method: str
    path: str
    query: str
    version: str
    headers: dict[str, str]
    body: bytes

    @property
    def keep_alive(self) -> bool:
        """HTTP/1.1 keeps the connection unless told otherwise; 1.0 only on request."""
        conn = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return conn == "keep-alive"
        return conn != "close"


class _BadHTTP(Exception):
    """Malformed HTTP; answered with 400 and the connection is closed."""


def parse_request(buf: bytearray) -> Request | None:
    """Parse one request from the front of ``buf`` (consuming it) or return None if partial."""
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        if len(buf) > 65536:
            raise _BadHTTP("headers too large")
        return None
    lines = bytes(buf[:head_end]).decode("latin-1").split("\r\n")
    try:
        method, target, version = lines[0].split(" ", 2)
    except ValueError as exc:
        raise _BadHTTP(f"bad request line {lines[0]!r}") from exc
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    pos = head_end + 4
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = bytearray()
        while True:
            line_end = buf.find(b"\r\n", pos)
            if line_end < 0:
                return None
            try:
                size = int(bytes(buf[pos:line_end]).split(b";")[0].strip(), 16)
            except ValueError as exc:
                raise _BadHTTP("bad chunk size") from exc
            pos = line_end + 2
            if size == 0:
                while True:  # optional trailers, then an empty line
                    line_end = buf.find(b"\r\n", pos)
                    if line_end < 0:
                        return None
                    if line_end == pos:
                        pos += 2
                        break
                    pos = line_end + 2
                break
            if len(buf) < pos + size + 2:
                return None
            body += buf[pos : pos + size]
            pos += size + 2
        body_bytes = bytes(body)
    else:
        try:
            length = int(headers.get("content-length", "0") or 0)
        except ValueError as exc:
            raise _BadHTTP("bad content-length") from exc
        if len(buf) < pos + length:
            return None
        body_bytes = bytes(buf[pos : pos + length])
        pos += length
    del buf[:pos]
    path, _, query = target.partition("?")
    return Request(method.upper(), urllib.parse.unquote(path), query, version, headers, body_bytes)


def http_response(
    status: int, body: bytes, content_type: str = "application/json", keep_alive: bool = True
) -> bytes:
    """Serialize an HTTP/1.1 response with Content-Length (so keep-alive works)."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Server: FakeBotAPI\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


class Connection(asyncio.Protocol):
    """One client TCP connection; serves requests sequentially (no pipelining needed)."""

    def __init__(self, handle: Handler, registry: set[Connection]) -> None:
        """Why a Protocol and not streams: we need to notice a client hang-up during a
        long poll and to abort the transport for fault injection."""
        self.handle = handle
        self.registry = registry
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.data_event = asyncio.Event()
        self.closed = asyncio.Event()
        self.task: asyncio.Task | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Register and start the serving task."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.registry.add(self)
        self.task = asyncio.get_running_loop().create_task(self._serve())

    def data_received(self, data: bytes) -> None:
        """Buffer and wake the serving task."""
        self.buffer.extend(data)
        self.data_event.set()

    def eof_received(self) -> bool | None:
        """Client closed its side: treat as gone (httpx never half-closes)."""
        self.closed.set()
        self.data_event.set()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        """Wake everything waiting on this connection."""
        self.closed.set()
        self.data_event.set()
        self.registry.discard(self)

    def abort(self) -> None:
        """Close the TCP connection immediately, without an answer (fault injection)."""
        self.closed.set()
        if self.transport is not None:
            self.transport.abort()

    async def _serve(self) -> None:
        """Read requests, dispatch them and write answers until the connection ends."""
        try:
            while not self.closed.is_set():
                try:
                    request = parse_request(self.buffer)
                except _BadHTTP as exc:
                    self._write(http_response(400, str(exc).encode(), "text/plain", False))
                    break
                if request is None:
                    self.data_event.clear()
                    await self.data_event.wait()
                    continue
                answer = await self.handle(self, request)
                if answer is None:  # dropped
                    self.abort()
                    break
                status, body, ctype = answer
                self._write(http_response(status, body, ctype, request.keep_alive))
                if not request.keep_alive:
                    break
        except asyncio.CancelledError:
            pass
        finally:
            if self.transport is not None and not self.transport.is_closing():
                self.transport.close()

    def _write(self, data: bytes) -> None:
        """Write unless the peer is already gone."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

