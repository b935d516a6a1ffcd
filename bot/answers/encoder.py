"""The full all-MiniLM-L6-v2 sentence encoder, for questions the static model leaves unsure.

The static model (semantic.py) reads each token alone, so "when is the strike" and "where
is the strike" differ only by one vector. The transformer reads words in context; in
cross-validation over the knowledge base it ranks unseen wordings better. It costs a few
milliseconds a question, so the matcher only asks it when the static reading is not sure.

It runs in onnxruntime from files scripts/build_embedding_model.py built: the layers as an
ONNX model with 8-bit weights (11 MB), and the word vectors, which that model starts
from, in 4 bits (6.6 MB) beside it. A test checks the vectors against the unquantised
model's, run in torch.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from bot.answers.semantic import MODEL_DIR

# Vectors of the shipped knowledge base's texts, by hash of the text, written by
# scripts/fit_calibration.py: without them the first start would spend seconds encoding
# the index. Texts not in it (an organiser's new answer) are encoded as usual.
STORE = Path(__file__).resolve().parent / "encoder-store.npz"
MODEL = "encoder.onnx"
WORDS = "encoder-words.safetensors"
TOKENIZER = "encoder-tokenizer.json"
CONFIG = "encoder-config.json"
BLOCK = 32  # word vectors are quantised in blocks of this many dimensions
READING = "one text at a time"  # how vectors are computed, in the fingerprint: caches depend on it


def dequantise_rows(packed: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """4-bit word vectors (two per byte, one scale per block) back to float32 rows."""
    values = np.empty((packed.shape[0], packed.shape[1] * 2), dtype=np.float32)
    values[:, 0::2] = (packed & 0x0F).astype(np.int8) - 8
    values[:, 1::2] = (packed >> 4).astype(np.int8) - 8
    blocks = values.reshape(packed.shape[0], -1, BLOCK) * scales[:, :, None].astype(np.float32)
    return blocks.reshape(packed.shape[0], -1)


def text_key(text: str) -> str:
    """What the store files a text under."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


class Encoder:
    """all-MiniLM-L6-v2: tokenize, look up word vectors, run the layers, unit length.

    Same interface as semantic.Embedder (`encode`, `dim`, `fingerprint`), so a
    SemanticIndex can be built on either.
    """

    def __init__(self, directory: Path = MODEL_DIR, store: Path | None = STORE) -> None:
        """Load the model; the word vectors are expanded only row by row as texts use them."""
        import onnxruntime
        from safetensors.numpy import load
        from tokenizers import Tokenizer

        # Each file is read once: the same bytes are loaded and fingerprinted.
        config_bytes, model_bytes, words_bytes = (
            (directory / name).read_bytes() for name in (CONFIG, MODEL, WORDS))
        config = json.loads(config_bytes)
        self.tokenizer = Tokenizer.from_file(str(directory / TOKENIZER))
        self.tokenizer.no_padding()
        # Keep the end of a long text, where a member's question usually is.
        self.tokenizer.enable_truncation(int(config["max_length"]), direction="left")
        words = load(words_bytes)
        self.words, self.word_scales = words["words.q4"], words["words.scale"]
        self.dim = self.words.shape[1] * 2
        options = onnxruntime.SessionOptions()
        # One thread: on a small server a pool of spinning threads slows the event loop more
        # than it speeds a 10-token question.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
        digest = hashlib.sha256(f"{READING}|".encode() + config_bytes)
        digest.update(model_bytes)
        digest.update(words_bytes)
        self.fingerprint = "encoder-" + digest.hexdigest()[:16]
        self.known: dict[str, np.ndarray] = {}
        if store is not None and store.exists():
            with np.load(store, allow_pickle=False) as saved:
                if str(saved["fingerprint"]) == self.fingerprint:
                    vectors = saved["vectors"].astype(np.float32)
                    self.known = dict(zip((str(k) for k in saved["keys"]), vectors, strict=True))

    def _one(self, ids: list[int]) -> np.ndarray:
        """The mean-pooled last hidden state of one tokenized text.

        One text at a time, index and question alike: the activations are quantised by the
        range of the whole batch, so a text would get another vector in other company.
        """
        words = dequantise_rows(self.words[ids], self.word_scales[ids])[None]
        mask = np.ones((1, len(ids)), dtype=np.int64)
        pooled: np.ndarray = self.session.run(None, {"words": words, "mask": mask})[0][0]
        return pooled

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 rows, one per text."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo = []
        for i, text in enumerate(texts):
            known = self.known.get(text_key(text))
            if known is None:
                todo.append(i)
            else:
                out[i] = known
        for i, enc in zip(todo, self.tokenizer.encode_batch_fast([texts[i] for i in todo]), strict=True):
            out[i] = self._one(enc.ids)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    def save_store(self, texts: list[str], vectors: np.ndarray, path: Path = STORE) -> None:
        """Keep these texts' vectors for the next start (float16: 2 MB for the shipped base)."""
        np.savez_compressed(path, fingerprint=np.array(self.fingerprint),
                            keys=np.array([text_key(t) for t in texts]), vectors=vectors.astype(np.float16))
