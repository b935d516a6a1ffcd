"""The bot token never reaches a log line: not in messages, arguments or tracebacks."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from bot.logs import RedactSecrets, setup_logging
from tests.support.knowledge import ROOT

TOKEN = "123456789:AAE-fake_token_for_tests_only_xyz"
OTHER_TOKEN = "987654321:ZZZ_another-token-shaped-thing_12"


@pytest.fixture
def capture() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactSecrets((TOKEN, "webhook-secret-value")))
    logger = logging.getLogger("test_logs.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_token_in_the_message_is_redacted(capture: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = capture
    logger.info(f"GET https://api.telegram.org/bot{TOKEN}/getMe 200")
    out = stream.getvalue()
    assert TOKEN not in out and TOKEN.split(":")[1] not in out
    assert "https://api.telegram.org/bot[REDACTED]/getMe 200" in out


def test_token_in_arguments_is_redacted(capture: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = capture
    logger.warning("request to %s failed after %d tries", f"/bot{TOKEN}/sendMessage", 3)
    out = stream.getvalue()
    assert TOKEN not in out
    assert "request to /bot[REDACTED]/sendMessage failed after 3 tries" in out


def test_token_in_a_traceback_is_redacted(capture: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = capture
    try:
        raise ConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getUpdates")
    except ConnectionError:
        logger.exception("polling failed")
    out = stream.getvalue()
    assert "Traceback" in out and "ConnectionError" in out
    assert TOKEN not in out
    assert "bot[REDACTED]/getUpdates" in out


def test_other_secrets_and_token_shaped_strings_are_redacted(
    capture: tuple[logging.Logger, io.StringIO]
) -> None:
    logger, stream = capture
    logger.info("secret=%s other=%s", "webhook-secret-value", OTHER_TOKEN)
    out = stream.getvalue()
    assert "webhook-secret-value" not in out and OTHER_TOKEN not in out
    assert out.count("[REDACTED]") == 2


def test_ordinary_messages_pass_unchanged(capture: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = capture
    logger.info("answered %s for chat %d", "strike-timing", 12345)
    assert stream.getvalue() == "INFO answered strike-timing for chat 12345\n"


def test_empty_secrets_are_ignored() -> None:
    assert RedactSecrets(("",)).scrub("nothing to hide") == "nothing to hide"


@pytest.fixture
def clean_root() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("httpx").level)
    stream = io.StringIO()
    root.handlers = [logging.StreamHandler(stream)]
    yield root, stream
    root.handlers, level, httpx_level = saved
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(httpx_level)


def test_setup_logging_installs_one_filter_and_updates_the_secret(
    clean_root: tuple[logging.Logger, io.StringIO]
) -> None:
    root, stream = clean_root
    setup_logging(secret="first-secret-123")
    setup_logging(secret="second-secret-456")
    filters = [f for f in root.handlers[0].filters if isinstance(f, RedactSecrets)]
    assert len(filters) == 1
    logging.getLogger("test_logs.setup").warning("a second-secret-456 b")
    assert "second-secret-456" not in stream.getvalue()
    assert "a [REDACTED] b" in stream.getvalue()
    assert logging.getLogger("httpx").level == logging.WARNING


@pytest.mark.parametrize("where", ["main", "thread"])
def test_uncaught_exceptions_never_print_the_token(where: str) -> None:
    """Python prints an uncaught traceback itself, past logging; a Procfile host keeps it."""
    token = "1234567:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-x"
    program = textwrap.dedent(f"""
        import threading
        from bot.logs import install_excepthooks
        install_excepthooks({token!r})
        def fail():
            raise RuntimeError("the token `{token}` was rejected")
        if {where!r} == "thread":
            worker = threading.Thread(target=fail)
            worker.start()
            worker.join()
        else:
            fail()
    """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert "RuntimeError: the token `[REDACTED]` was rejected" in done.stderr
    assert token not in done.stderr and token.split(":")[1] not in done.stderr
