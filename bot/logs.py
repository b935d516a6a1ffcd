"""Logging set-up: quiet HTTP libraries, and the token scrubbed from every record.

PTB puts the token in request URLs; httpx logs URLs at INFO. We silence httpx and, as a
second line of defence, redact the token from any message or traceback that mentions it.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from types import TracebackType

_TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


class RedactSecrets(logging.Filter):
    """Replaces secrets (and anything shaped like a bot token) with [REDACTED]."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[REDACTED]")
        return _TOKEN_SHAPE.sub("[REDACTED]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self.scrub(message), None
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        return True


def setup_logging(level: int = logging.INFO, secret: str = "") -> None:
    """Configure the root logger once; calling again only updates the secret to redact."""
    root = logging.getLogger()
    if not root.handlers:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(stream)
        root.setLevel(level)
    for handler in root.handlers:
        for f in list(handler.filters):
            if isinstance(f, RedactSecrets):
                handler.removeFilter(f)
        handler.addFilter(RedactSecrets((secret,)))
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def install_excepthooks(secret: str) -> None:
    """Scrub the token from any uncaught exception, in the main thread or another one.

    Python prints those to stderr itself, bypassing logging, and a Procfile host keeps
    stderr. (The event loop's unhandled errors go through logging, so the filter covers them.)
    """
    redact = RedactSecrets((secret,))

    def print_scrubbed(exc_type: type[BaseException], exc: BaseException | None,
                       tb: TracebackType | None, heading: str = "") -> None:
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        sys.stderr.write(redact.scrub(heading + text))
        sys.stderr.flush()

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "?"
        print_scrubbed(args.exc_type, args.exc_value, args.exc_traceback,
                       f"Exception in thread {name}:\n")

    sys.excepthook = print_scrubbed
    threading.excepthook = thread_hook
