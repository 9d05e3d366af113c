"""Per-segment OLS fits for a given set of breaks (numeric core, numpy only)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nkfx.detect.ftests._hac import hac_vcov
from nkfx.errors import NkfxValueError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def as_data(y: ArrayLike, X: ArrayLike | None) -> tuple[FloatArray, FloatArray | None]:
    """Return float64 copies of ``y`` (n,) and ``X`` (n, k), with cheap sanity checks."""
    ya = np.array(y, dtype=np.float64, copy=True)
    if ya.ndim != 1:
        raise NkfxValueError(f"y must be one-dimensional; got shape {ya.shape}")
    bad = np.flatnonzero(~np.isfinite(ya))
    if bad.size:
        raise NkfxValueError(
            f"y must be finite; got {ya[bad[0]]} at position {bad[0]} ({bad.size} bad values)"
        )
    if X is None:
        return ya, None
    Xa = np.array(X, dtype=np.float64, copy=True)
    if Xa.ndim == 1:
        Xa = Xa[:, None]
    if Xa.ndim != 2 or Xa.shape[0] != ya.shape[0]:
        raise NkfxValueError(
            f"X must have shape (n, k) with n = len(y) = {ya.shape[0]}; got {Xa.shape}"
        )
    if not np.isfinite(Xa).all():
        raise NkfxValueError("X must be finite; it contains NaN or inf")
    return ya, Xa


def design(n: int, X: FloatArray | None) -> FloatArray:
    """Return the regressor matrix: a column of ones for the mean model."""
    return np.ones((n, 1)) if X is None else X


def check_breaks(breaks: ArrayLike, n: int, k: int) -> IntArray:
    """Sorted, distinct break indices leaving at least ``k`` observations per segment."""
    b = np.asarray(breaks)
    if b.ndim != 1 or (b.size and not np.issubdtype(b.dtype, np.integer)):
        raise NkfxValueError(f"breaks must be a 1-d array of integer indices; got {b!r}")
    b = b.astype(np.int64)
    bounds = np.concatenate([[-1], b, [n - 1]])
    if (np.diff(bounds) < k).any():
        raise NkfxValueError(
            f"breaks must be increasing indices in [{k - 1}, {n - 1 - k}] leaving at least "
            f"k = {k} observations per segment; got {b.tolist()} for n = {n}"
        )
    return b


def segment_bounds(breaks: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """Inclusive start and end index of each segment."""
    start = np.concatenate([[0], breaks + 1]).astype(np.int64)
    end = np.concatenate([breaks, [n - 1]]).astype(np.int64)
    return start, end


def ols(y: FloatArray, X: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Coefficients and residuals of ``y`` on ``X`` (least squares; the mean if X is ones)."""
    if X.shape[1] == 1 and np.all(X == 1.0):  # exact two-pass mean: a flat segment has RSS 0
        mu = float(y.mean())
        return np.array([mu]), y - mu
    norms = np.sqrt((X * X).sum(axis=0))
    norms[norms == 0.0] = 1.0
    # unit columns first: lstsq's rank cut-off would drop an intercept beside raw timestamps
    coef = np.asarray(np.linalg.lstsq(X / norms, y, rcond=None)[0], dtype=np.float64) / norms
    return coef, y - X @ coef


def total_rss(y: FloatArray, X: FloatArray | None, breaks: IntArray) -> float:
    """Sum of segment-wise OLS RSS, computed directly (two-pass, accurate)."""
    start, end = segment_bounds(breaks, y.shape[0])
    if X is None:  # segment means, then squared deviations, without a Python loop
        means = np.add.reduceat(y, start) / (end - start + 1)
        dev = y - np.repeat(means, end - start + 1)
        return float(dev @ dev)
    Xd = design(y.shape[0], X)
    total = 0.0
    for a, b in zip(start, end, strict=True):
        e = ols(y[a : b + 1], Xd[a : b + 1])[1]
        total += float(e @ e)
    return total


@dataclass(frozen=True, eq=False)
class SegmentFit:
    """OLS fit of every segment between breaks.

    Attributes
    ----------
    start, end : ndarray of int64, shape (m+1,)
        First and last index (inclusive) of each segment.
    n : ndarray of int64, shape (m+1,)
        Observations per segment.
    coef, se, se_hac : ndarray, shape (m+1, k)
        OLS coefficients, their classical standard errors
        (``sigma^2 (X'X)^{-1}``) and HAC standard errors (kernHAC defaults:
        quadratic-spectral kernel, Andrews bandwidth, VAR(1) prewhitening);
        NaN where a segment is too short to estimate them.
    sigma : ndarray, shape (m+1,)
        Residual standard deviation ``sqrt(rss / (n - k))``.
    rss : ndarray, shape (m+1,)
        Residual sum of squares.
    """

    start: IntArray
    end: IntArray
    n: IntArray
    coef: FloatArray
    se: FloatArray
    se_hac: FloatArray
    sigma: FloatArray
    rss: FloatArray


def segment_fit(y: ArrayLike, X: ArrayLike | None, breaks: ArrayLike) -> SegmentFit:
    """Fit OLS separately in each segment defined by ``breaks``.

    Parameters
    ----------
    y : array_like, shape (n,)
        Response.
    X : array_like, shape (n, k), or None
        Regressors; ``None`` for the mean model (intercept only).
    breaks : array_like of int
        Sorted break indices (last observation of each old regime).

    Returns
    -------
    SegmentFit
        Coefficients, OLS and HAC standard errors, sigma, n and RSS per segment.

    Examples
    --------
    >>> import numpy as np
    >>> from nkfx.detect.bai_perron._core import segment_fit
    >>> fit = segment_fit([1.0, 2.0, 3.0, 10.0, 11.0, 12.0], None, [2])
    >>> fit.coef[:, 0].tolist(), fit.rss.tolist(), fit.sigma.tolist()
    ([2.0, 11.0], [2.0, 2.0], [1.0, 1.0])
    """
    ya, Xa = as_data(y, X)
    Xd = design(ya.shape[0], Xa)
    k = Xd.shape[1]
    b = check_breaks(breaks, ya.shape[0], k)
    start, end = segment_bounds(b, ya.shape[0])
    segs = len(start)
    coef, se, se_hac = (np.full((segs, k), np.nan) for _ in range(3))
    sigma, rss = np.full(segs, np.nan), np.zeros(segs)
    for s, (a, z) in enumerate(zip(start, end, strict=True)):
        ys, Xs = ya[a : z + 1], Xd[a : z + 1]
        coef[s], e = ols(ys, Xs)
        rss[s] = e @ e
        dof = ys.shape[0] - k
        if dof > 0:
            sigma[s] = np.sqrt(rss[s] / dof)
            se[s] = np.sqrt(np.diag(np.linalg.inv(Xs.T @ Xs)) * rss[s] / dof)
        if dof > 2 and rss[s] > 0.0:  # the VAR(1) prewhitening needs a few residuals
            se_hac[s] = np.sqrt(np.diag(hac_vcov(Xs, e)))
    return SegmentFit(start, end, end - start + 1, coef, se, se_hac, sigma, rss)
