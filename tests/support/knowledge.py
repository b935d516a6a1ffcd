"""Small throw-away knowledge bases a test can write, and break on purpose."""

from __future__ import annotations

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
