"""Small throw-away knowledge bases a test can write, and break on purpose."""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT.parent / "shared" / "seeds"

# A tiny, valid knowledge base for a fictional teachers' union, nothing to do with Napo, so
# a test can prove which knowledge base an answer came from. Each value is one file.
MINI_SOURCES = """\
sources:
  - id: gazette
    outlet: The Schoolroom Gazette
    title: Teachers back walkout over class sizes
    date: 2020-03-02
    order: 1
  - id: bulletin
    outlet: Staffroom Bulletin
    title: Class size strike called for Thursday
    date: null
    order: 2
"""

MINI_FACTS = """\
facts:
  - id: class-sizes
    title: Why teachers are striking
    answer: The Federation of School Teachers is striking over class sizes of up to 38 pupils.
    claims:
      - source: gazette
        quote: classes of up to 38 pupils
    phrasings:
      - why are teachers striking
      - what is the dispute about
      - how big are the classes
    keywords: [class, sizes, pupils]
  - id: walkout-day
    title: When the walkout is
    answer: The walkout is on Thursday and lasts one day.
    claims:
      - source: bulletin
        quote: strike called for Thursday
    phrasings:
      - when is the walkout
      - what day is the walkout
      - is it on thursday
    keywords: [thursday, day, when]
    related: [class-sizes]
"""

MINI_BOT = """\
bot:
  name: FST dispute bot
  union: FST
  welcome: Ask me about the class size dispute.
  decline: No sourced answer to that, ask your FST rep.
  examples:
    - When is the walkout?
"""

MINI_SMALLTALK = """\
smalltalk:
  - id: greeting
    phrasings: [hi, hello]
    reply: Hello from the FST bot.
"""

MINI_FILES: dict[str, str] = {
    "sources": MINI_SOURCES,
    "facts_main": MINI_FACTS,
    "bot": MINI_BOT,
    "smalltalk": MINI_SMALLTALK,
}

KbWriter = Callable[..., Path]


def kb_file(name: str) -> str:
    """The relative path for a `write_kb` keyword: `facts_x` -> facts/x.yaml, `bot` -> bot.yaml."""
    if name.startswith("facts_"):
        return f"facts/{name.removeprefix('facts_')}.yaml"
    return f"{name}.yaml"


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of `text` containing `needle`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def write_kb_dir(root: Path, **files: str | None) -> Path:
    """Write the mini knowledge base into root/knowledge, overriding or (with None) removing files."""
    directory = root / "knowledge"
    (directory / "facts").mkdir(parents=True, exist_ok=True)
    merged: dict[str, str | None] = {**MINI_FILES, **files}
    for name, content in merged.items():
        path = directory / kb_file(name)
        if content is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return directory


# The mini base's two "articles", for `check --sources`: every mini quote is in one of them.
MINI_TEXTS: dict[str, str] = {
    # A quote may run over a line break in the text: whitespace is compared collapsed.
    "gazette.txt": "Teachers voted to walk out over classes of up\nto 38 pupils in some schools.\n",
    "bulletin.txt": "The union says the class size strike called for Thursday will go ahead.\n",
}


def write_texts(root: Path, texts: dict[str, str] | None = None) -> tuple[Path, str]:
    """Write source texts into root/texts; returns the directory and a MINI_SOURCES that names
    them (`seed`) with the sha256 of MINI_TEXTS, so `texts=` can plant a text that differs."""
    directory = root / "texts"
    directory.mkdir(parents=True, exist_ok=True)
    texts = MINI_TEXTS if texts is None else texts
    for name, content in texts.items():
        (directory / name).write_text(content, encoding="utf-8")
    sources = MINI_SOURCES
    for sid, name in (("gazette", "gazette.txt"), ("bulletin", "bulletin.txt")):
        digest = hashlib.sha256(MINI_TEXTS[name].encode()).hexdigest()
        named = f"  - id: {sid}\n    seed: {name}\n    sha256: {digest}\n"
        sources = sources.replace(f"  - id: {sid}\n", named)
    return directory, sources
