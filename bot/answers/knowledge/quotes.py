"""`check --sources DIR`: every claim's quote, verbatim, in the text of the source it cites.

The articles are someone else's text, so they stay outside the repository: sources.yaml
names each one (`seed`) and records its sha256. A text with another checksum is refused
rather than searched, so a quote can neither pass nor fail against the wrong version.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from bot.answers.knowledge.model import KnowledgeBase, KnowledgeError, Source


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file's bytes, as recorded in sources.yaml."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify_quotes(kb: KnowledgeBase, texts_dir: Path) -> list[KnowledgeError]:
    """Every problem that stops a quote being traced to its source text, as `file:line: reason`."""
    if not texts_dir.is_dir():
        return [KnowledgeError(texts_dir, None, "source texts directory not found (--sources DIR)")]
    errors: list[KnowledgeError] = []
    sources_file = kb.directory / "sources.yaml"
    texts: dict[str, str] = {}
    for source in kb.sources.values():
        text = _source_text(source, texts_dir, sources_file, errors)
        if text is not None:
            texts[source.id] = text
    for fact in kb.facts.values():
        for claim in fact.claims:
            text = texts.get(claim.source)
            if text is None:
                continue  # the source's own problem is reported once, above
            if " ".join(claim.quote.split()) not in text:
                seed = kb.sources[claim.source].seed
                errors.append(KnowledgeError(
                    fact.file, claim.line or fact.line,
                    f"fact '{fact.id}': quote is not verbatim in {seed}: \"{claim.quote}\"",
                ))
    return errors


def _source_text(source: Source, texts_dir: Path, sources_file: Path,
                 errors: list[KnowledgeError]) -> str | None:
    """The source's text with whitespace runs collapsed (as quotes are), or None after an error."""
    def fail(reason: str) -> None:
        errors.append(KnowledgeError(sources_file, source.line or None, f"source '{source.id}': {reason}"))

    if not source.seed:
        fail("names no 'seed' text, so its quotes cannot be verified")
        return None
    path = texts_dir / source.seed
    if not path.is_file():
        fail(f"seed text {path} not found")
        return None
    digest = sha256_of(path)
    if not source.sha256:
        fail(f"no 'sha256' recorded for {source.seed}; if it is the right text, add: sha256: {digest}")
    elif source.sha256.lower() != digest:
        fail(f"{path} has sha256 {digest}, but sources.yaml records {source.sha256}: "
             "it is not the text these quotes were taken from")
        return None
    try:
        return " ".join(path.read_text(encoding="utf-8").split())
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text")
        return None
