"""What a member sees of a bot message: the text of its Telegram HTML, and its inline buttons."""

from __future__ import annotations

from html.parser import HTMLParser

# Tags Telegram's HTML parse mode accepts (https://core.telegram.org/bots/api#html-style).
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                 "span", "tg-spoiler", "tg-emoji", "blockquote"}


class _TelegramHTML(HTMLParser):
    """Collects the text a Telegram client would show, and checks the markup on the way."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in TELEGRAM_TAGS, f"Telegram does not support <{tag}>"
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"unbalanced </{tag}> with {self.open} open"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def telegram_text(markup: str) -> str:
    """What a member sees for `markup`: tags stripped, entities unescaped; asserts it is valid."""
    parser = _TelegramHTML()
    parser.feed(markup)
    parser.close()
    assert parser.open == [], f"unclosed tags: {parser.open}"
    # Telegram only knows these entities; a bare & or < would be a parse error there.
    stripped = markup.replace("&lt;", "").replace("&gt;", "").replace("&amp;", "").replace("&quot;", "")
    assert "&" not in stripped, "unknown HTML entity or bare &"
    return "".join(parser.parts)


def buttons(message: dict) -> list[tuple[str, str]]:
    """(label, callback_data) of every inline button of a message, as it is now."""
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in keyboard for b in row]
