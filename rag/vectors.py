"""The dense-vector index, its type chosen by size: exact search while it is cheap, IVF above.

`choose_index_type(n_vectors, dim)` is the one place that decides; `rag index` and
`rag bench` both call it, so the bench measures what the app would build.

- Up to `FLAT_MAX_VECTORS` (scaled by the dimension: exact search costs n x dim) the
  index is `IndexFlatIP`: exact, no training, and a single query takes at most a few
  milliseconds on one core (see `rag bench`: exact_search_*_p95_ms).
- Above it, `IndexIVFFlat` over inner product: k-means cells (`nlist` ~ sqrt(N)), a
  query scans the `nprobe` closest cells. The vectors are stored uncompressed, so
  recall is limited only by the cells probed, never by quantisation.

The spec (type, nlist, nprobe) is written to the manifest; the FAISS file is read
memory-mapped where FAISS allows it, so a large index costs page cache, not heap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Exact search up to this many 384-dimensional vectors (scaled for other dimensions).
# Measured on this machine (2 vCPU Xeon, one thread, one query, p95): 10k 0.6 ms,
# 25k 1.5 ms, 50k 3.3 ms (77 MB of vectors), then the vectors leave the caches and the
# cost jumps: 100k 11.7 ms, 1M 137 ms. Up to 50k exact search costs less than embedding
# the question and IVF could save at most ~3 ms, at the price of k-means training and
# recall below 1; above it the approximate index wins (100k: IVF 1.0 ms, 1M: ~4-7 ms).
FLAT_MAX_VECTORS = 50_000
REFERENCE_DIM = 384
NLIST_PER_SQRT_N = 1.0  # nlist = sqrt(N): measured build/search/recall trade-off, see choose_index_type
MIN_POINTS_PER_LIST = 39  # FAISS k-means wants at least this many training points per cell
TRAIN_POINTS_PER_LIST = 64  # k-means sample: nlist x this many vectors (FAISS subsamples)
TRAIN_ITERATIONS = 10
NPROBE_FRACTION = 1 / 32  # cells probed, as a fraction of nlist ...
MIN_NPROBE = 16  # ... but at least this many


@dataclass(frozen=True)
class VectorIndexSpec:
    """What to build: `kind` "flat" (exact) or "ivf" (nlist cells, nprobe scanned per query)."""

    kind: str = "flat"
    nlist: int = 0
    nprobe: int = 0

    @property
    def factory(self) -> str:
        """The FAISS index_factory string."""
        return "Flat" if self.kind == "flat" else f"IVF{self.nlist},Flat"

    def __str__(self) -> str:
        return "flat" if self.kind == "flat" else f"ivf{self.nlist},flat nprobe={self.nprobe}"

    def as_manifest(self) -> dict:
        data = {"type": self.kind, "factory": self.factory, "metric": "inner_product"}
        if self.kind == "ivf":
            data.update(nlist=self.nlist, nprobe=self.nprobe)
        return data

    @classmethod
    def from_manifest(cls, data: dict | None) -> VectorIndexSpec:
        """The spec a manifest records; indexes written before specs existed are flat."""
        data = data or {}
        if data.get("type") == "ivf":
            return cls("ivf", int(data["nlist"]), int(data["nprobe"]))
        return cls("flat")


def choose_index_type(n_vectors: int, dim: int, flat_max: int = FLAT_MAX_VECTORS) -> VectorIndexSpec:
    """Exact search while n_vectors x dim stays within flat_max x 384, else IVF-Flat.

    nlist = sqrt(N) (at most N / 39, FAISS's minimum of training points per cell);
    nprobe = max(16, nlist / 32), so a query scans ~3% of the vectors (at least 16
    cells). Measured at 1M clustered vectors on 2 cores (k-means on 64 x nlist points,
    10 iterations): IVF1000 trains in 12 s and adds in 19 s; recall@10 is 0.998 at
    nprobe 8 and 1.0 from 16 (p95 3.9 ms) to 32 (6.6 ms). IVF2000 needs 44 + 36 s for
    the same recall and speed, and the usual 4 x sqrt(N) would cost minutes to build.
    nprobe 31 at 1M leaves a margin for real embeddings that cluster less cleanly than
    the bench's set.
    """
    if n_vectors < 0 or dim < 1:
        raise ValueError(f"cannot size an index for {n_vectors} vectors of dimension {dim}")
    if n_vectors * dim <= flat_max * REFERENCE_DIM:
        return VectorIndexSpec("flat")
    nlist = int(round(NLIST_PER_SQRT_N * math.sqrt(n_vectors)))
    nlist = max(1, min(nlist, n_vectors // MIN_POINTS_PER_LIST))
    nprobe = min(nlist, max(MIN_NPROBE, int(round(nlist * NPROBE_FRACTION))))
    return VectorIndexSpec("ivf", nlist, nprobe)


def build_vector_index(matrix: np.ndarray, spec: VectorIndexSpec, threads: int | None = None):
    """A FAISS inner-product index over the rows of `matrix` (normalised float32), built as `spec` says."""
    import faiss

    if threads:
        faiss.omp_set_num_threads(threads)  # retrieval sets 1 for single queries; builds want all
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    dim = matrix.shape[1]
    index = faiss.index_factory(dim, spec.factory, faiss.METRIC_INNER_PRODUCT)
    if spec.kind == "ivf":
        ivf = faiss.extract_index_ivf(index)
        ivf.cp.max_points_per_centroid = TRAIN_POINTS_PER_LIST
        ivf.cp.niter = TRAIN_ITERATIONS
        ivf.cp.spherical = True  # centroids on the unit sphere, like the vectors
        ivf.nprobe = spec.nprobe
        index.train(matrix)
    if len(matrix):
        index.add(matrix)
    return index


def read_vector_index(path: Path, spec: VectorIndexSpec):
    """Read an index written by build_vector_index, memory-mapped where FAISS supports it:
    IVF inverted lists always (IO_FLAG_MMAP), flat vectors when this FAISS has IO_FLAG_MMAP_IFC."""
    import faiss

    flags = 0
    if spec.kind == "ivf":
        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY
    elif hasattr(faiss, "IO_FLAG_MMAP_IFC"):
        flags = faiss.IO_FLAG_MMAP_IFC
    index = faiss.read_index(str(path), flags)
    if spec.kind == "ivf":
        faiss.extract_index_ivf(index).nprobe = spec.nprobe
    return index


def search_vectors(index, spec: VectorIndexSpec, queries: np.ndarray, k: int,
                   allowed: np.ndarray | None = None,
                   stored: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(scores, rows) of the k best rows per query; `allowed` restricts the rows (date filter).

    An IVF search restricted to few rows could miss them in the cells it probes, so with
    `stored` (the same vectors, row-aligned, e.g. the memory-mapped embeddings.npy) a
    filter that leaves at most FLAT_MAX_VECTORS rows is searched exactly over those rows.
    """
    import faiss

    queries = np.ascontiguousarray(queries, dtype=np.float32)
    if allowed is None:
        return index.search(queries, k)
    allowed = np.sort(np.asarray(allowed, dtype=np.int64))
    if spec.kind == "ivf" and stored is not None and len(allowed) <= FLAT_MAX_VECTORS:
        vectors = np.ascontiguousarray(stored[allowed], dtype=np.float32)
        scores, positions = faiss.knn(queries, vectors, min(k, len(allowed)), metric=faiss.METRIC_INNER_PRODUCT)
        return scores, np.where(positions >= 0, allowed[np.clip(positions, 0, None)], -1)
    selector = faiss.IDSelectorBatch(allowed)
    params = (faiss.SearchParametersIVF(sel=selector, nprobe=spec.nprobe) if spec.kind == "ivf"
              else faiss.SearchParameters(sel=selector))
    return index.search(queries, k, params=params)
