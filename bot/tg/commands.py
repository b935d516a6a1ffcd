"""Reading an organiser's command: its arguments as Telegram HTML, so formatting survives."""

from __future__ import annotations

import re

from telegram import Message

_COMMAND = re.compile(r"^/\w+(@\w+)?\s*", re.ASCII)


def args_html(message: Message) -> str:
    """The message after its /command, keeping the sender's formatting as Telegram HTML."""
    return _COMMAND.sub("", message.text_html or "", count=1).strip()
