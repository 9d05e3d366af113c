"""Segment costs from prefix sums, as compiled kernels shared by PELT and FPOP.

Two costs, both additive over segments and "superadditive" (splitting a segment never
raises its cost), which is what makes PELT's pruning exact:

``"l2"``
    Residual sum of squares around the segment mean (ruptures' ``CostL2``).
``"normal"``
    Twice the negative Gaussian log-likelihood with the segment's own mean and
    variance, ``L * (log(2 pi v) + 1)``. The variance is constrained to ``v >= floor``
    (then the cost is ``L * log(2 pi floor) + RSS / floor``, the constrained maximum
    likelihood), so a run of identical quotes cannot drive the cost to minus infinity.

Prefix sums are taken after subtracting the median, which keeps the cancellation in
``S2 - S1**2 / L`` small when the series sits far from zero (log rates near 8).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

__all__ = ["jit", "prefix_sums", "segment_cost", "segment_costs"]

# Kernel codes: 0 "l2", 1 "normal" (``Cost.code`` in nkfx.detect.pelt._penalty.COST_TABLE).

_LOG_2PI = math.log(2.0 * math.pi)

Func = TypeVar("Func", bound=Callable[..., Any])

def _load_njit() -> Callable[..., Any] | None:
    """Return numba's ``njit``, or None (then the loops run, slowly, as plain Python)."""
    try:
        import numba  # type: ignore[import-untyped, unused-ignore]
    except ImportError:  # pragma: no cover - numba is a runtime dependency
        return None
    return cast(Callable[..., Any], numba.njit)


_NJIT = _load_njit()
HAVE_NUMBA = _NJIT is not None


def jit(func: Func) -> Func:
    """Compile ``func`` with numba (cached on disk) when numba is installed."""
    if _NJIT is None:  # pragma: no cover
        return func
    return cast(Func, _NJIT(cache=True, nogil=True)(func))


def prefix_sums(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``S1``, ``S2`` of length ``n + 1`` for the median-centred series."""
    z = y - np.median(y)
    s1 = np.zeros(y.size + 1)
    s2 = np.zeros(y.size + 1)
    np.cumsum(z, out=s1[1:])
    np.cumsum(z * z, out=s2[1:])
    return s1, s2


@jit
def segment_cost(
    kind: int, s1: np.ndarray, s2: np.ndarray, t: int, s: int, floor: float
) -> float:
    """Cost of the segment ``y[t:s]`` (``t < s``) for cost code ``kind``."""
    length = s - t
    a = s1[s] - s1[t]
    rss: float = s2[s] - s2[t] - a * a / length
    if rss < 0.0:  # rounding only
        rss = 0.0
    if kind == 0:
        return rss
    v: float = rss / length
    if v < floor:
        v = floor
    return length * (_LOG_2PI + math.log(v)) + rss / v


def segment_costs(
    kind: int, y: np.ndarray, ends: np.ndarray, floor: float
) -> np.ndarray:
    """Costs of the segments ``y[ends[i-1]:ends[i]]``, two-pass (not from prefix sums)."""
    starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    lengths = ends - starts
    means = np.add.reduceat(y, starts) / lengths
    dev = y - np.repeat(means, lengths)
    rss = np.add.reduceat(dev * dev, starts)
    if kind == 0:
        return np.asarray(rss, dtype=np.float64)
    v = np.maximum(rss / lengths, floor)
    return np.asarray(lengths * (_LOG_2PI + np.log(v)) + rss / v, dtype=np.float64)
