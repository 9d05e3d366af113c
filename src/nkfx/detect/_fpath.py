"""The Chow F path of strucchange's ``Fstats`` from cumulative sums, and its HAC variant.

``F(b) = (RSS_0 - RSS_1(b) - RSS_2(b)) / s^2(b)``, ``s^2(b) = (RSS_1(b) + RSS_2(b)) / (n - 2k)``,
for every candidate ``b`` (last index of the old regime) from ``h - 1`` to ``n - h - 1``. Segment
RSS come from forward and backward cumulative cross-products in O(n k^2) (plus k x k solves), not
from a regression per date; the mean-shift model uses the closed form
``RSS_0 - RSS_1 - RSS_2 = n_1 n_2 / n (mean_1 - mean_2)^2``. Data are centred (when X holds a
constant) and scaled first: RSS ratios are invariant to that, cumulative-sum cancellation is not.

HAC variant (``hac=True``), exactly ``Fstats(y ~ X, from = h, vcov. = kernHAC)`` in R: at each ``b``

1. fit ``y = X a + D d + e`` by OLS with ``D = X * 1{t > b}`` (``d`` is the coefficient change);
2. estimate ``V = cov(a, d)`` by ``sandwich::kernHAC`` defaults (:func:`nkfx.detect._hac.hac_vcov`):
   estimating functions ``Z_t e_t`` (``Z = [X, D]``) prewhitened by a VAR(1), quadratic-spectral
   kernel with Andrews' (1991) AR(1) plug-in bandwidth (intercept-like columns get weight 0),
   small-sample factor ``n / (n - 2k)``, recoloured, sandwiched with ``(Z'Z)^{-1}``;
3. ``F(b) = d' V_dd^{-1} d`` (Wald form). The bandwidth is re-estimated at every date, as in R.

Cost O(n^2 log n) for the HAC path; :mod:`nkfx.detect._hac_path` computes it for all dates at
once, :func:`hac_wald` is the per-date reference it is tested against.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nkfx.detect._hac import hac_vcov
from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError

__all__ = ["f_statistics", "hac_wald"]


def _as_data(y: Any, X: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert ``y`` (n,) and ``X`` (n, k) or None to float64 arrays."""
    try:
        yy = np.asarray(y, dtype=np.float64)
        XX = np.ones((yy.shape[0] if yy.ndim else 0, 1)) if X is None else np.asarray(X, float)
    except (TypeError, ValueError) as exc:
        raise NkfxTypeError(f"y and X must be numeric arrays; got {type(y).__name__}") from exc
    if yy.ndim != 1:
        raise NkfxValueError(f"y must be one-dimensional; got shape {yy.shape}")
    if XX.ndim == 1:
        XX = XX[:, None]
    if XX.ndim != 2 or XX.shape[0] != yy.shape[0]:
        raise NkfxValueError(f"X must have shape ({yy.shape[0]}, k); got {XX.shape}")
    for name, arr in (("y", yy), ("X", XX)):
        bad = np.flatnonzero(~np.isfinite(arr).reshape(arr.shape[0], -1).all(axis=1))
        if bad.size:
            raise NkfxValueError(f"{name} must be finite; row {bad[0]} holds NaN or inf")
    return yy, XX


def _check_h(h: Any, n: int, k: int) -> int:
    if isinstance(h, bool) or not isinstance(h, int | np.integer):
        raise NkfxTypeError(f"h must be an integer number of observations; got {h!r}")
    if h < k + 1:
        raise NkfxValueError(f"h must be at least k + 1 = {k + 1} observations; got {h}")
    if n < 2 * h:
        raise InsufficientDataError(f"need at least 2 * h = {2 * h} observations; got n = {n}")
    return int(h)


def _standardise(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre (when X has a constant) and scale; RSS ratios are invariant, cancellation is not."""
    y, X = y.copy(), X.copy()
    const = np.ptp(X, axis=0) == 0
    if np.any(const & (X[0] != 0)):
        X[:, ~const] -= X[:, ~const].mean(axis=0)
        y -= y.mean()
    scale = np.sqrt(np.mean(X**2, axis=0))
    X /= np.where(scale > 0, scale, 1.0)
    ys = np.sqrt(np.mean(y**2))
    return (y / ys if ys > 0 else y), X


def _rss0(y: np.ndarray, X: np.ndarray) -> float:
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ coef
    return float(r @ r)


def _cum_rss(y: np.ndarray, X: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """RSS of the regressions on observations ``0..e`` for every ``e`` in ``ends``, O(n k^2)."""
    xx = np.cumsum(X[:, :, None] * X[:, None, :], axis=0)[ends]
    xy = np.cumsum(X * y[:, None], axis=0)[ends]
    yy = np.cumsum(y * y)[ends]
    if np.any(np.linalg.cond(xx) > 1e12):  # a singular segment would give garbage, not an error
        raise NkfxValueError("X is rank deficient within a segment of h observations; increase h")
    coef = np.linalg.solve(xx, xy[:, :, None])[:, :, 0]
    return np.asarray(np.maximum(yy - np.einsum("ij,ij->i", xy, coef), 0.0), dtype=float)


def check_not_exact(y: np.ndarray, X: np.ndarray) -> float:
    """RSS without a break of standardised data; raise if it is zero (F would be 0 / 0)."""
    rss0 = _rss0(y, X)
    if rss0 <= 1e-24 * len(y):
        raise NkfxValueError("y is fitted exactly without a break (a constant series?); F undefined")
    return rss0


def _f_path(y: np.ndarray, X: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
    n, k = X.shape
    b = np.arange(h - 1, n - h)
    y, X = _standardise(y, X)
    rss0 = check_not_exact(y, X)
    if k == 1 and np.all(X[0, 0] == X):  # mean shift: stable closed form
        n1 = b + 1.0
        c = np.cumsum(y)
        diff = c[b] / n1 - (c[-1] - c[b]) / (n - n1)
        num = n1 * (n - n1) / n * diff**2
        den = rss0 - num
    else:
        den = _cum_rss(y, X, b) + _cum_rss(y[::-1], X[::-1], n - 2 - b)
        num = rss0 - den
    # a break that leaves no residual (den at rounding level of rss0) is an infinite F
    exact = den <= 1e-13 * rss0
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(exact, np.inf, num / (den / (n - 2 * k)))
    return b, np.maximum(f, 0.0)


def f_statistics(
    y: Any, X: Any = None, *, h: int, hac: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Chow F statistic (Wald form) at every admissible break index.

    Parameters
    ----------
    y : array_like, shape (n,)
        Response.
    X : array_like, shape (n, k), optional
        Regressors that change at the break; ``None`` for the mean-shift model.
    h : int
        Minimal segment length in observations (strucchange ``from = h``).
    hac : bool, default False
        Use the HAC Wald form described in the module docstring (R: ``vcov. = kernHAC``);
        O(n^2 log n).

    Returns
    -------
    b : ndarray of int64
        Candidate break indices ``h - 1 .. n - h - 1``.
    f : ndarray of float64
        ``F(b)`` as in ``strucchange::Fstats(...)$Fstats`` (not divided by ``k``).

    Examples
    --------
    >>> b, f = f_statistics([0.0, 1.0, 0.0, 5.0, 6.0, 5.0], h=2)
    >>> b.tolist(), np.round(f, 3).tolist()
    ([1, 2, 3], [2.904, 112.5, 4.876])
    """
    yy, XX = _as_data(y, X)
    hh = _check_h(h, *XX.shape)
    b, f = _f_path(yy, XX, hh)
    if hac:
        from nkfx.detect._hac_path import hac_f_paths  # vectorised; equals hac_wald per date

        f = hac_f_paths(yy[None], XX, b)[0]
    return b, f


def hac_wald(y: np.ndarray, X: np.ndarray, b: int) -> float:
    """HAC Wald statistic for a change of all coefficients after index ``b`` (steps 1-3 above)."""
    n, k = X.shape
    Z = np.hstack([X, X * (np.arange(n) > b)[:, None]])
    coef, *_ = np.linalg.lstsq(Z, y, rcond=None)
    cov = hac_vcov(Z, y - Z @ coef)
    d = coef[k:]
    return float(d @ np.linalg.solve(cov[k:, k:], d))


def _segments(n: int, breaks: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (start, end) of the segments delimited by sorted break indices."""
    starts = np.r_[0, breaks + 1]
    ends = np.r_[breaks, n - 1]
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def _check_breaks(breaks: Any, n: int) -> np.ndarray:
    arr = np.asarray(breaks if breaks is not None else [], dtype=float).ravel()
    if arr.size and (np.any(arr != np.round(arr)) or np.any(np.diff(arr) <= 0)):
        raise NkfxValueError(f"breaks must be increasing integer indices; got {arr.tolist()}")
    if arr.size and (arr[0] < 0 or arr[-1] > n - 2):
        raise NkfxValueError(f"breaks must lie between 0 and n - 2 = {n - 2}; got {arr.tolist()}")
    return arr.astype(np.int64)
