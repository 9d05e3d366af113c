"""Partial structural change (Bai & Perron 2003): some coefficients stay fixed across regimes.

The model is ``y_t = z_t' beta_j + x_t' delta + e_t`` in regime ``j``: ``Z`` (n, q) breaks,
``X`` (n, p) does not. For a given ``delta`` the best breaks are those of the pure-change
problem on ``y - X delta`` (exact dynamic programme of :mod:`nkfx.detect._dp`); for given
breaks, ``delta`` and the ``beta_j`` are one OLS fit. Bai & Perron (2003, section 3.2)
alternate the two steps; each step lowers the RSS, so the iteration stops at a partition it
reproduces. It is a local search: here every ``m`` is started from three points (the
pure-change optimum, ``delta`` of the no-break fit and ``delta`` of the ``m - 1`` solution)
and the smallest RSS is kept. Tests compare it with an exhaustive search over all partitions
(R ``lm.fit`` for the Seatbelt model, numpy for simulated data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nkfx.detect._bai_perron import bai_perron
from nkfx.detect._fit import segment_bounds
from nkfx.errors import NkfxValueError

__all__ = ["PartialPath", "partial_design", "partial_fit", "partial_path"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_MAX_ITER = 50


@dataclass(frozen=True, eq=False)
class PartialPath:
    """Optimal partitions of the partial-change model for m = 0..max_breaks.

    Attributes
    ----------
    n, k, p, h, max_breaks : int
        Observations, breaking regressors (``q``; named ``k`` as in
        :class:`~nkfx.detect._bai_perron.SegmentationPath`), fixed regressors, minimal segment
        length, largest number of breaks.
    rss : ndarray, shape (max_breaks + 1,)
        Smallest RSS found for each m.
    breaks : tuple of ndarray of int64
        Break indices (last observation of each old regime) for each m.
    delta : ndarray, shape (max_breaks + 1, p)
        The fixed coefficients at each optimum.
    """

    n: int
    k: int
    p: int
    h: int
    max_breaks: int
    rss: FloatArray
    breaks: tuple[IntArray, ...]
    delta: FloatArray


def partial_design(Z: FloatArray, X: FloatArray, breaks: IntArray) -> FloatArray:
    """Design ``[Z * 1(regime 1), ..., Z * 1(regime m+1), X]`` of the partial-change model."""
    n = Z.shape[0]
    start, end = segment_bounds(np.asarray(breaks, dtype=np.int64), n)
    blocks = []
    for a, b in zip(start, end, strict=True):
        block = np.zeros_like(Z)
        block[a : b + 1] = Z[a : b + 1]
        blocks.append(block)
    return np.column_stack([*blocks, X])


def partial_fit(y: FloatArray, Z: FloatArray, X: FloatArray, breaks: IntArray) -> tuple[FloatArray, float]:
    """OLS coefficients of :func:`partial_design` (regime blocks, then ``delta``) and the RSS."""
    D = partial_design(Z, X, breaks)
    norms = np.sqrt((D * D).sum(axis=0))
    norms[norms == 0.0] = 1.0
    coef = np.linalg.lstsq(D / norms, y, rcond=None)[0] / norms
    e = y - D @ coef
    return np.asarray(coef, dtype=np.float64), float(e @ e)


def _iterate(
    y: FloatArray, Z: FloatArray, X: FloatArray, h: int, m: int, delta: FloatArray
) -> tuple[IntArray, float, FloatArray]:
    """Alternate breaks given delta and delta given breaks until the breaks repeat."""
    p = X.shape[1]
    breaks = np.zeros(0, dtype=np.int64)
    rss = np.inf
    for _ in range(_MAX_ITER):
        new = bai_perron(y - X @ delta, Z, h=h, max_breaks=m).breaks[m]
        coef, new_rss = partial_fit(y, Z, X, new)
        if np.array_equal(new, breaks) or new_rss >= rss - 1e-14 * max(rss, 1e-300):
            if new_rss < rss:
                breaks, rss, delta = new, new_rss, coef[-p:]
            break
        breaks, rss, delta = new, new_rss, coef[-p:]
    return breaks, rss, delta


def partial_path(y: FloatArray, Z: FloatArray, X: FloatArray, *, h: int, max_breaks: int) -> PartialPath:
    """Least-squares breaks of the partial-change model for m = 0..max_breaks.

    Parameters
    ----------
    y : ndarray, shape (n,)
        Response.
    Z : ndarray, shape (n, q)
        Regressors whose coefficients change at every break.
    X : ndarray, shape (n, p)
        Regressors with one coefficient over the whole sample.
    h : int
        Minimal segment length (observations).
    max_breaks : int
        Largest number of breaks (at most ``n // h - 1``).

    Returns
    -------
    PartialPath

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(90)
    >>> y = np.r_[np.zeros(45), np.full(45, 2.0)] + 0.5 * x + 0.3 * rng.standard_normal(90)
    >>> path = partial_path(y, np.ones((90, 1)), x[:, None], h=10, max_breaks=2)
    >>> path.breaks[1].tolist(), round(float(path.delta[1, 0]), 2)
    ([44], 0.53)
    """
    n, p = y.shape[0], X.shape[1]
    if max_breaks < 0 or max_breaks > n // h - 1:
        raise NkfxValueError(f"max_breaks must be in 0..{n // h - 1}; got {max_breaks}")
    coef0, rss0 = partial_fit(y, Z, X, np.zeros(0, dtype=np.int64))
    rss, deltas = [rss0], [coef0[-p:]]
    breaks: list[IntArray] = [np.zeros(0, dtype=np.int64)]
    try:  # pure-change starts; X may be singular within short segments
        pure = bai_perron(y, np.column_stack([Z, X]), h=h, max_breaks=max_breaks).breaks
    except NkfxValueError:
        pure = ()
    for m in range(1, max_breaks + 1):
        starts = [coef0[-p:], deltas[-1]]
        if len(pure) > m:
            starts.append(partial_fit(y, Z, X, pure[m])[0][-p:])
        best = min((_iterate(y, Z, X, h, m, d) for d in starts), key=lambda r: r[1])
        breaks.append(best[0])
        rss.append(best[1])
        deltas.append(best[2])
    return PartialPath(n, Z.shape[1], p, h, max_breaks, np.array(rss), tuple(breaks), np.array(deltas))
