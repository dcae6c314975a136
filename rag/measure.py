"""Measuring helpers shared by `rag bench` (rag.bench, bench_llm, bench_vectors) and `rag eval`."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (q in 0..100, linear interpolation); None for no values."""
    return float(np.percentile(values, q)) if len(values) else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def size_label(n: int) -> str:
    """The key part for a size: 10000 -> "10k", 1000000 -> "1m", 2500 -> "2500"."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def timed(function: Callable[[], object]) -> tuple[float, object]:
    """(milliseconds, value) of one call."""
    started = time.perf_counter()
    value = function()
    return (time.perf_counter() - started) * 1000, value
