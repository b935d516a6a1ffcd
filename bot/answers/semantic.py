"""Meaning-level similarity from a pretrained sentence-embedding model.

Members word things in ways no phrasing uses ("are we getting sold off"); word overlap
misses those, a sentence embedding does not. The model is all-MiniLM-L6-v2 distilled into
static token vectors (model2vec, built by scripts/build_embedding_model.py and shipped in
bot/answers/model/), so a question costs a tokenizer call and an average: no torch, no
network. Index embeddings are cached on disk, keyed by a hash of the texts and the model.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Protocol

import numpy as np

MODEL_DIR = Path(__file__).resolve().parent / "model"
CACHE_ENV = "UNION_BOT_CACHE"
SOFT = 0.05  # temperature of the soft maximum over an entry's texts
# A base with more entries than this compares the question with entry centroids first, and
# with the texts of the nearest SHORTLIST entries only (the shipped base is compared in full).
PREFILTER_ENTRIES = 256
SHORTLIST = 64


def cache_dir() -> Path:
    """Where derived files go: $UNION_BOT_CACHE, else the user's cache directory."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "union-dispute-bot"


class Encodes(Protocol):
    """A sentence-embedding model: the static one below, or the transformer (encoder.py)."""

    fingerprint: str  # keys caches to this very model
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 rows, one per text."""
        ...


class Embedder:
    """A static sentence-embedding model in model2vec's format, loaded from a local directory.

    The format is a tokenizer and one vector per token; a sentence is the mean of its
    tokens' vectors (exactly model2vec's `StaticModel.encode`, which a test checks). It is
    read with `tokenizers` and `safetensors` directly because importing model2vec pulls in
    huggingface_hub's model-card code, 0.8 s of the bot's 1.5 s start-up budget.
    """

    def __init__(self, directory: Path = MODEL_DIR) -> None:
        """Load tokenizer and vectors; the fingerprint keys caches to this very model."""
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        if config.get("max_length"):
            self.tokenizer.enable_truncation(int(config["max_length"]))
        self.tokenizer.no_padding()
        unk = getattr(self.tokenizer.model, "unk_token", None)
        self.unk = self.tokenizer.token_to_id(unk) if unk else None
        self.vectors = load_file(str(directory / "model.safetensors"))["embeddings"].astype(np.float32)
        self.dim = int(self.vectors.shape[1])
        digest = hashlib.sha256()
        for name in ("config.json", "tokenizer.json", "model.safetensors"):
            digest.update(f"{name}:{(directory / name).stat().st_size}".encode())
        digest.update(self.vectors[:: max(1, len(self.vectors) // 64)].tobytes())
        self.fingerprint = digest.hexdigest()[:16]

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 rows, one per text (a text with no known token gives zeros)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, enc in enumerate(self.tokenizer.encode_batch_fast(texts, add_special_tokens=False)):
            ids = [t for t in enc.ids if t != self.unk]
            if ids:
                out[i] = self.vectors[ids].mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


def cached_encode(embedder: Encodes, texts: list[str], directory: Path | None = None) -> np.ndarray:
    """`embedder.encode(texts)`, read from or saved to the cache when it can be.

    A read-only or missing cache directory only costs the encoding time, never an error.
    """
    digest = hashlib.sha256(embedder.fingerprint.encode())
    for text in texts:
        digest.update(text.encode("utf-8") + b"\0")
    path = (directory or cache_dir()) / f"index-{digest.hexdigest()[:24]}.npy"
    try:
        cached = np.load(path, allow_pickle=False)
        if cached.shape[0] == len(texts):
            return cached
    except (OSError, ValueError):
        pass
    vectors = embedder.encode(texts)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as fh:
            np.save(fh, vectors, allow_pickle=False)
        os.replace(fh.name, path)
    except OSError:
        pass
    return vectors


class SemanticIndex:
    """Embedded texts grouped by entry; `best` gives each entry's closest text to a question."""

    def __init__(self, embedder: Encodes, groups: list[tuple[str, list[str], int]],
                 cache: Path | None = None) -> None:
        """`groups`: (entry id, texts, how many of the texts are phrasings, which come first)."""
        self.embedder = embedder
        self.ids = [eid for eid, _, _ in groups]
        texts = [t for _, ts, _ in groups for t in ts]
        self.texts = texts
        self.starts = np.cumsum([0] + [len(ts) for _, ts, _ in groups[:-1]]).astype(np.int64)
        self.counts = [len(ts) for _, ts, _ in groups]
        self.phrasing_counts = [n for _, _, n in groups]
        self.position = {eid: i for i, eid in enumerate(self.ids)}
        self.vectors = cached_encode(embedder, texts, cache) if texts else np.zeros((0, 1), np.float32)
        self.centroids: np.ndarray | None = None
        if len(self.ids) > PREFILTER_ENTRIES:
            sums = np.add.reduceat(self.vectors, self.starts, axis=0)
            self.centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-9)
            self._rows = [np.arange(s, s + n) for s, n in zip(self.starts, self.counts, strict=True)]

    def query(self, text: str) -> np.ndarray:
        """The question's unit vector."""
        return self.embedder.encode([text])[0]

    def best(self, vector: np.ndarray, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per entry: the highest cosine between the question and the entry's texts, and a
        soft maximum that also counts how many of its texts come close (kNN-like votes).

        `mask` (one bool per text) hides texts for leave-out training; a fully hidden entry
        scores -1.
        """
        if not self.ids:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.float32)
        if self.centroids is not None and mask is None:
            return self._shortlisted(vector)
        sims = self.vectors @ vector
        if mask is not None:
            sims = np.where(mask, sims, -1.0)
        votes = np.add.reduceat(np.exp((sims - 1.0) / SOFT), self.starts)
        return np.maximum.reduceat(sims, self.starts), 1.0 + SOFT * np.log(np.maximum(votes, 1e-30))

    def _shortlisted(self, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`best` for a big base: exact for the entries nearest by centroid, -1 elsewhere."""
        assert self.centroids is not None
        near = np.argpartition(-(self.centroids @ vector), SHORTLIST)[:SHORTLIST]
        near.sort()
        rows = np.concatenate([self._rows[i] for i in near])
        sims = self.vectors[rows] @ vector
        starts = np.cumsum([0] + [self.counts[i] for i in near[:-1]])
        best = np.full(len(self.ids), -1.0, dtype=np.float32)
        votes = np.full(len(self.ids), -1.0, dtype=np.float32)
        best[near] = np.maximum.reduceat(sims, starts)
        total = np.add.reduceat(np.exp((sims - 1.0) / SOFT), starts)
        votes[near] = 1.0 + SOFT * np.log(np.maximum(total, 1e-30))
        return best, votes

    def row(self, entry: str, phrasing: int) -> int:
        """The row of an entry's phrasing, to hide it when leaving it out."""
        return int(self.starts[self.position[entry]]) + phrasing

    def rows(self, entry: str) -> slice:
        """All rows of one entry."""
        start = int(self.starts[self.position[entry]])
        return slice(start, start + self.counts[self.position[entry]])
