"""The embedder as the app loads it: fp16 weights, float32 arithmetic."""

import numpy as np
import pytest

TEXTS = ["query: Wat zei Rutte over Groenland?",
         "passage: Trump wil dat de bondgenoten op termijn 5 procent van hun bbp aan defensie uitgeven.",
         "passage: kort"]  # different lengths: padding and the attention mask are exercised


@pytest.fixture(scope="module")
def embedder(e5_dir):
    from rag.embedding import Embedder

    return Embedder("e5", str(e5_dir))


def test_only_the_word_table_stays_in_half_precision(embedder):
    import torch

    table = embedder.model[0].auto_model.get_input_embeddings().weight
    assert table.dtype == torch.float16 and table.shape == (250037, 384)
    others = {name: p.dtype for name, p in embedder.model.named_parameters() if p is not table}
    assert len(others) > 100 and set(others.values()) == {torch.float32}, others


def test_vectors_equal_a_float32_load(embedder, e5_dir):
    """Widening the fp16 file at load (what transformers did before) gives the same numbers."""
    import torch
    from sentence_transformers import SentenceTransformer

    wide = SentenceTransformer(str(e5_dir), device="cpu", model_kwargs={"dtype": torch.float32})
    assert next(wide.parameters()).dtype == torch.float32
    expected = wide.encode(TEXTS, normalize_embeddings=True, batch_size=3)
    got = embedder.model.encode(TEXTS, normalize_embeddings=True, batch_size=3)
    np.testing.assert_allclose(got, expected, atol=1e-6)


@pytest.mark.slow  # builds a real (tiny) transformer
def test_compute_in_float32_leaves_a_float32_model_alone():
    import torch

    from rag.embedding import compute_in_float32

    layer = torch.nn.Linear(4, 2)
    before = layer.weight
    compute_in_float32(layer)
    assert layer.weight is before  # nothing to widen: no copy
    half = torch.nn.Sequential(torch.nn.Embedding(10, 4).half(), torch.nn.Linear(4, 2).half())
    compute_in_float32(half)  # no get_input_embeddings(): every tensor is widened
    assert {p.dtype for p in half.parameters()} == {torch.float32}
