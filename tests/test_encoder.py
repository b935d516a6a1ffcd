"""The transformer the matcher asks about unsure questions (bot/answers/encoder.py).

The model loaded here is the one the bot ships (bot/answers/model/encoder.onnx): no
other. Its reference vectors come from the unquantised model run in torch, when
scripts/build_embedding_model.py built it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.answers.encoder import STORE, Encoder, text_key
from bot.answers.engine import Engine
from bot.answers.matcher import shared_encoder

REFERENCE = Path(__file__).resolve().parent / "data" / "encoder-reference.json"


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return shared_encoder()


@pytest.fixture(scope="module")
def bare() -> Encoder:
    """The same model without the store of the shipped base's vectors: it computes everything."""
    return Encoder(store=None)


def test_the_quantised_model_agrees_with_the_torch_reference(bare: Encoder) -> None:
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    ours = bare.encode([r["text"] for r in reference])
    theirs = np.array([r["vector"] for r in reference], dtype=np.float32)
    agreement = (ours * theirs).sum(axis=1)
    assert agreement.min() > 0.98, agreement  # 0.987 to 0.993 when it was built


def test_vectors_are_unit_length_and_repeatable(bare: Encoder) -> None:
    texts = ["when is the strike", "wot woz the turnot", "G4S & Serco: £450m?", "🙂"]
    first, second = bare.encode(texts), bare.encode(list(reversed(texts)))[::-1]
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert np.allclose(first, second, atol=1e-6)


def test_meaning_is_closer_than_wording(bare: Encoder) -> None:
    a, b, c = bare.encode(["will the service be privatised",
                           "are they selling off probation to private companies",
                           "what time does the pub open"])
    assert float(a @ b) > float(a @ c) + 0.1


def test_a_long_message_is_read_from_its_end(bare: Encoder) -> None:
    """Past the 48 tokens it reads, what differs at the start of a message changes nothing;
    the end, where the question usually is, always counts."""
    story = " ".join(["I have worked in the service for many years and"] * 8)
    question = "when does the strike start"
    one, other, changed = bare.encode([f"hello {story} {question}", f"good evening all {story} {question}",
                                       f"hello {story} who voted for it"])
    assert np.allclose(one, other, atol=1e-6)
    assert float(one @ changed) < 0.99


def test_the_store_gives_what_the_model_would_compute(encoder: Encoder, bare: Encoder,
                                                      engine: Engine) -> None:
    assert STORE.exists(), "run scripts/fit_calibration.py"
    assert encoder.known, "the store was written for another build of the model"
    refiner = engine.matcher.refiner
    assert refiner is not None
    # Every text of the shipped base is in the store, so the first start encodes nothing.
    assert all(text_key(t) in encoder.known for t in refiner.semantic.texts)
    texts = refiner.semantic.texts[::200]
    # float16 in the store, and onnxruntime's 8-bit kernels differ a little between CPUs
    # (with or without VNNI): the same direction, not the same digits.
    agreement = (encoder.encode(texts) * bare.encode(texts)).sum(axis=1)
    assert agreement.min() > 0.995, agreement


def test_a_store_for_another_model_is_ignored(tmp_path: Path, bare: Encoder) -> None:
    stale = tmp_path / "store.npz"
    np.savez(stale, fingerprint=np.array("encoder-0000"), keys=np.array([text_key("when is the strike")]),
             vectors=np.ones((1, bare.dim), dtype=np.float16))
    assert Encoder(store=stale).known == {}
    fresh = tmp_path / "fresh.npz"
    bare.save_store(["when is the strike"], bare.encode(["when is the strike"]), fresh)
    assert list(Encoder(store=fresh).known) == [text_key("when is the strike")]
