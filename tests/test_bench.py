"""Pure parts of `rag bench`: sizes, labels, the synthetic sets, recall and targets.

The bench itself never runs in the test suite (it takes minutes and its numbers are
timings); `rag bench --help` is checked so the command stays wired up.
"""

import math
import os

import numpy as np
import pytest
from click.testing import CliRunner

from rag.bench import check_targets, other_load, parse_sizes
from rag.bench_llm import common_prefix
from rag.bench_vectors import (
    clustered_vectors,
    exact_top_k,
    nearest_neighbour_cosines,
    noise_scale,
    recall_at_k,
    uniform_vectors,
)
from rag.cli import cli
from rag.measure import percentile, size_label


def unit_rows(n, dim, seed=0):
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_one_percentile_scale_for_bench_and_eval():
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([0.0, 10.0], 95) == 9.5
    assert percentile([], 50) is None


def test_parse_sizes_and_labels():
    assert parse_sizes("10000,100k, 1m") == [10_000, 100_000, 1_000_000]
    assert parse_sizes("2500,") == [2500]
    assert [size_label(n) for n in (10_000, 100_000, 1_000_000, 2500, 2_000_000)] == \
        ["10k", "100k", "1m", "2500", "2m"]
    with pytest.raises(ValueError, match="'ten'"):
        parse_sizes("ten")
    with pytest.raises(ValueError, match="at least 1"):
        parse_sizes("0")


def test_clustered_set_shape_and_spread():
    centres = unit_rows(20, 384)
    target = 0.95
    spread = noise_scale(target, 384)
    vectors = clustered_vectors(centres, 5000, spread, np.random.default_rng(1), block=1024)
    assert vectors.shape == (5000, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # each vector sits at the chosen cosine from its centre (the closest one)
    to_centre = (vectors @ centres.T).max(axis=1)
    assert abs(float(np.median(to_centre)) - target) < 0.01
    # and two members of one cluster at about target^2
    one = clustered_vectors(centres[:1], 200, spread, np.random.default_rng(2))
    pairs = (one @ one.T)[np.triu_indices(200, 1)]
    assert abs(float(np.median(pairs)) - target**2) < 0.01
    # the same seed gives the same set; queries from another draw are not members
    again = clustered_vectors(centres, 5000, spread, np.random.default_rng(1), block=1024)
    assert np.array_equal(vectors, again)
    queries = clustered_vectors(centres, 10, spread, np.random.default_rng(3))
    assert (queries @ vectors.T).max() < 0.999


def test_uniform_set_is_spread_out():
    vectors = uniform_vectors(2000, 384, np.random.default_rng(0), block=500)
    assert vectors.shape == (2000, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(np.median(nearest_neighbour_cosines(vectors))) < 0.35


def test_noise_scale_formula():
    assert math.isclose(1 / math.sqrt(1 + 384 * noise_scale(0.9, 384) ** 2), 0.9)
    with pytest.raises(ValueError):
        noise_scale(1.0, 384)


def test_nearest_neighbour_ignores_duplicates():
    rows = unit_rows(3, 8)
    with_copy = np.vstack([rows, rows[:1]])
    nn = nearest_neighbour_cosines(with_copy)
    assert (nn < 0.999).all()


def test_exact_top_k_matches_brute_force_and_recall():
    base, queries = unit_rows(1000, 16, seed=4), unit_rows(7, 16, seed=5)
    rows, scores = exact_top_k(queries, base, 10, block=128)  # blocks smaller than the base
    expected = np.argsort(-(queries @ base.T), axis=1)[:, :10]
    assert np.array_equal(rows, expected)
    assert np.allclose(scores, np.take_along_axis(queries @ base.T, expected, axis=1))
    assert recall_at_k(rows, expected) == 1.0
    half = rows.copy()
    half[:, 5:] = -1
    assert recall_at_k(half, expected) == 0.5


def test_targets_and_prefix():
    checked = check_targets({"ttft_over_floor": 1.2, "tg_over_floor": 0.8, "evidence_ms_p50": None})
    assert checked["ttft_over_floor"] == {"target": "<= 1.3", "value": 1.2, "met": True}
    assert checked["tg_over_floor"]["met"] is False
    assert checked["evidence_ms_p50"]["met"] is None
    assert set(checked) >= {"search_1m_p95_ms", "recall_at_10_1m", "peak_rss_mb"}
    assert common_prefix([1, 2, 3, 4], [1, 2, 9]) == 2
    assert common_prefix([], [1]) == 0


def test_other_load_subtracts_own_cpu():
    measured = other_load((100.0, 5.0), (110.0, 9.0), wall_s=10.0)  # 10 s busy, 4 s of them ours
    assert measured["other_processes_cpu_s"] == 6.0
    assert measured["other_processes_cpu_share"] == round(6.0 / (10.0 * (os.cpu_count() or 1)), 3)
    assert measured["disturbed"] is True
    assert other_load((100.0, 5.0), (104.0, 9.0), wall_s=10.0)["disturbed"] is False
    assert other_load((float("nan"), 0.0), (float("nan"), 1.0), 1.0)["other_processes_cpu_s"] is None


def test_bench_command_is_wired():
    result = CliRunner().invoke(cli, ["bench", "--help"])
    assert result.exit_code == 0
    for option in ("--json", "--out", "--sizes", "--questions", "--skip-llm", "--llm"):
        assert option in result.output
    bad = CliRunner().invoke(cli, ["bench", "--sizes", "lots"])
    assert bad.exit_code != 0 and "lots" in bad.output
