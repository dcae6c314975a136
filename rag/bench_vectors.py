"""`rag bench`, part 4: synthetic vector indexes of 10k-1M vectors, of the type
`rag.vectors.choose_index_type` picks, on a clustered set (the target) and a uniform one.

Pure generators and measures first (tested in tests/test_bench.py), then the run.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from rag.measure import percentile, size_label, timed

QUERIES = 200  # synthetic queries per size for recall@10
EXACT_TIMING_QUERIES = 50  # single exact queries timed per size (1M: ~0.15 s each)


def noise_scale(centre_cosine: float, dim: int) -> float:
    """Per-coordinate sigma of Gaussian noise that puts a point at `centre_cosine` from its centre.

    Noise e ~ N(0, sigma^2 I) in d dimensions has |e|^2 ~ d sigma^2 and is nearly
    orthogonal to the (unit) centre, so cos(c + e, c) ~ 1 / sqrt(1 + d sigma^2).
    """
    if not 0 < centre_cosine < 1:
        raise ValueError(f"centre cosine {centre_cosine} must be between 0 and 1")
    return math.sqrt((1 / centre_cosine**2 - 1) / dim)


def clustered_vectors(centres: np.ndarray, n: int, spread: float, rng: np.random.Generator,
                      block: int = 65_536) -> np.ndarray:
    """n unit vectors from a Gaussian mixture around `centres` (rows, unit length).

    Each vector is a centre picked uniformly at random plus isotropic noise of
    per-coordinate sigma `spread` (see `noise_scale`), re-normalised. The centres are
    the index's real chunk and sentence embeddings, so the set keeps the real
    embeddings' anisotropy and topic structure (all five articles are about NATO:
    e5 puts them in a narrow cone); the noise stands for the many other passages that
    say nearly the same thing. Queries are drawn the same way (new draws, not members).
    Built block by block so that the peak stays near the size of the result.
    """
    dim = centres.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    centres = np.asarray(centres, dtype=np.float32)
    for start in range(0, n, block):
        rows = min(block, n - start)
        chunk = centres[rng.integers(0, len(centres), rows)]
        chunk += rng.standard_normal((rows, dim), dtype=np.float32) * np.float32(spread)
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
        out[start:start + rows] = chunk
    return out


def uniform_vectors(n: int, dim: int, rng: np.random.Generator, block: int = 65_536) -> np.ndarray:
    """n unit vectors uniform on the sphere: the worst case for any approximate index."""
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, block):
        rows = min(block, n - start)
        chunk = rng.standard_normal((rows, dim), dtype=np.float32)
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
        out[start:start + rows] = chunk
    return out


def nearest_neighbour_cosines(vectors: np.ndarray, duplicate: float = 0.999) -> np.ndarray:
    """Each row's highest cosine to another row that is not a duplicate of it."""
    sims = vectors @ vectors.T
    sims[sims >= duplicate] = -1.0  # itself, and a one-sentence chunk equal to its sentence
    return sims.max(axis=1)


def exact_top_k(queries: np.ndarray, base: np.ndarray, k: int,
                block: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    """(rows, scores) of the k largest inner products per query, best first (exact, in blocks).

    Faster here than faiss.knn for a few hundred queries, and with memory of one block."""
    best_scores, best_rows = [], []
    for start in range(0, len(base), block):
        sims = queries @ base[start:start + block].T
        take = min(k, sims.shape[1])
        part = np.argpartition(-sims, take - 1, axis=1)[:, :take]
        best_scores.append(np.take_along_axis(sims, part, axis=1))
        best_rows.append(part + start)
    scores, rows = np.hstack(best_scores), np.hstack(best_rows)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(rows, order, axis=1), np.take_along_axis(scores, order, axis=1)


def recall_at_k(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean share of the exact top-k rows that the approximate search also returned."""
    k = exact.shape[1]
    return float(np.mean([len(set(f) & set(e)) / k for f, e in zip(found.tolist(), exact.tolist())]))


def measure_vector_index(base: np.ndarray, probe: np.ndarray, spec, threads: int) -> dict:
    """Build `spec` over `base` with all threads, then time single queries on one thread
    (as the retriever runs them) and compare their top 10 with exact search."""
    import faiss

    from rag.vectors import build_vector_index

    build_ms, index = timed(lambda: build_vector_index(base, spec, threads=threads))
    exact, exact_scores = exact_top_k(probe, base, 10)
    faiss.omp_set_num_threads(1)
    found, times = [], []
    for row in range(len(probe)):
        ms, (_, rows) = timed(lambda row=row: index.search(probe[row:row + 1], 10))
        times.append(ms)
        found.append(rows[0])
    exact_times = [timed(lambda row=row: faiss.knn(probe[row:row + 1], base, 10,
                                                    metric=faiss.METRIC_INNER_PRODUCT))[0]
                   for row in range(min(EXACT_TIMING_QUERIES, len(probe)))]
    faiss.omp_set_num_threads(threads)
    return {
        "build_{label}_s{suffix}": round(build_ms / 1000, 2),
        "search_{label}_p50_ms{suffix}": round(percentile(times, 50), 3),
        "search_{label}_p95_ms{suffix}": round(percentile(times, 95), 3),
        "recall_at_10_{label}{suffix}": round(recall_at_k(np.array(found), exact), 4),
        "exact_search_{label}_p95_ms{suffix}": round(percentile(exact_times, 95), 3),
        "nn_cosine_median_{label}{suffix}": round(float(np.median(exact_scores[:, 0])), 4),
    }


def bench_vectors(centres: np.ndarray, sizes: list[int], threads: int, say: Callable[[str], None],
                  queries: int = QUERIES, seed: int = 0) -> dict:
    """Build, time and check the index `choose_index_type` picks for each size, on both sets.

    The clustered set's spread: cosines between members of one cluster equal the median
    nearest-neighbour cosine of the real embeddings (each real passage's most similar
    other passage; 0.91 for the seeds), i.e. every synthetic passage has near-paraphrases
    as close as the closest real ones, and clusters sit where the real topics are.
    Its limits: with the seeds there are only ~140 centres, so at 1M each cluster holds
    ~7,000 vectors around one point, and inside a cluster isotropic noise makes all
    members nearly equidistant. An IVF query must find its cluster's cells and scan
    them whole; it does so with few cells (recall@10 0.998 at nprobe 8 of 1,000), which
    is why the chosen nprobe keeps a margin for real corpora with more, less clean
    topics. Uniform vectors (no structure at all) bound it from the other side.
    """
    from rag.vectors import choose_index_type

    dim = centres.shape[1]
    real_nn = float(np.median(nearest_neighbour_cosines(centres)))
    spread = noise_scale(math.sqrt(real_nn), dim)  # member-member cosine ~ centre cosine^2
    results = {"synthetic_centres": len(centres), "real_nn_cosine_median": round(real_nn, 4),
               "synthetic_noise_sigma": round(spread, 5)}
    for n in sizes:
        label = size_label(n)
        spec = choose_index_type(n, dim)
        results[f"index_type_{label}"] = str(spec)
        for kind in ("clustered", "uniform"):
            suffix = "" if kind == "clustered" else "_uniform"
            rng = np.random.default_rng([seed, n, kind == "uniform"])
            say(f"synthetic {label} {kind}: {spec}")
            if kind == "clustered":
                base = clustered_vectors(centres, n, spread, rng)
                probe = clustered_vectors(centres, queries, spread, rng)
            else:
                base, probe = uniform_vectors(n, dim, rng), uniform_vectors(queries, dim, rng)
            measured = measure_vector_index(base, probe, spec, threads)
            del base
            results.update({key.format(label=label, suffix=suffix): value for key, value in measured.items()})
    return results
