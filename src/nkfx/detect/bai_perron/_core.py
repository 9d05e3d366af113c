"""Exact Bai–Perron multiple structural breaks: the numeric core (numpy arrays only).

Conventions (shared with the pandas layer): indices are 0-based positions; a
break ``b`` is the LAST observation of the old regime, ``b + 1`` the first of
the new one. R strucchange's 1-based ``breakpoints`` equal ``b + 1``. Every
column of ``X`` changes at every break (pure structural change, as
``breakpoints(y ~ x)``); ``X=None`` is the intercept-only mean-shift model.

The pieces live in small modules: the dynamic programme in ``_dp``, per-segment
fits in ``_fit``, break-date intervals in ``_ci`` and the HAC long-run variance
in ``_hac``; this module holds the public entry points.

References
----------
Bai, J. and Perron, P. (2003). Computation and analysis of multiple structural
change models. Journal of Applied Econometrics 18, 1-22.

Liu, J., Wu, S. and Zidek, J. V. (1997). On segmented multivariate regression.
Statistica Sinica 7, 497-525.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nkfx.detect.bai_perron._ci import CI_UNAVAILABLE, breakdate_ci
from nkfx.detect.bai_perron._dp import optimal_partitions, standardise
from nkfx.detect.bai_perron._fit import SegmentFit, as_data, segment_fit, total_rss
from nkfx.errors import NkfxTypeError, NkfxValueError

__all__ = [
    "CI_UNAVAILABLE",
    "SegmentFit",
    "SegmentationPath",
    "bai_perron",
    "breakdate_ci",
    "information_criteria",
    "segment_fit",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: LWZ penalty constants (Liu, Wu & Zidek 1997, as used by Bai & Perron 2003).
_LWZ_C0, _LWZ_DELTA0 = 0.299, 0.1


@dataclass(frozen=True, eq=False)
class SegmentationPath:
    """Least-squares optimal partitions for every number of breaks 0..max_breaks.

    Attributes
    ----------
    n, k, h : int
        Observations, regressors, minimal segment length.
    max_breaks : int
        Largest number of breaks computed (capped at ``n // h - 1``).
    rss : ndarray, shape (max_breaks + 1,)
        ``rss[m]``: minimal total residual sum of squares with ``m`` breaks.
    breaks : tuple of ndarray of int64
        ``breaks[m]``: the ``m`` sorted break indices of that optimum.
    """

    n: int
    k: int
    h: int
    max_breaks: int
    rss: FloatArray
    breaks: tuple[IntArray, ...]


def _check_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise NkfxTypeError(f"{name} must be an integer; got {type(value).__name__}")
    return int(value)


def bai_perron(
    y: ArrayLike, X: ArrayLike | None = None, *, h: int, max_breaks: int | None = None
) -> SegmentationPath:
    """Globally optimal least-squares breaks for m = 0..max_breaks (Bai & Perron 2003).

    Dynamic programming over segment RSS taken from cumulative sums: O(n^2)
    time and O(n * max_breaks) memory; the n x n RSS matrix is never stored.

    Parameters
    ----------
    y : array_like, shape (n,)
        Response; must be finite.
    X : array_like, shape (n, k), or None
        Regressors, all of which change at each break; ``None`` (fast path) is
        the intercept-only mean-shift model.
    h : int
        Minimal segment length in observations, ``k <= h <= n / 2``
        (strucchange's ``h = 0.15`` is ``floor(0.15 * n)``).
    max_breaks : int, optional
        Largest number of breaks; capped at ``n // h - 1`` (the most that fit).
        Default: that cap (strucchange's default, ``ceil(n/h) - 2``, is one less
        when ``h`` divides ``n``). Time and memory grow linearly with it:
        about ``16 n (max_breaks + 1)`` bytes.

    Returns
    -------
    SegmentationPath
        RSS and break indices of the optimum for each number of breaks. Ties go
        to the earliest break, as in strucchange.

    Examples
    --------
    >>> import numpy as np
    >>> from nkfx.detect.bai_perron._core import bai_perron
    >>> y = np.r_[np.zeros(20), np.full(20, 5.0), np.zeros(20)]
    >>> y = y + 0.1 * np.random.default_rng(0).standard_normal(60)
    >>> path = bai_perron(y, h=9, max_breaks=3)
    >>> [b.tolist() for b in path.breaks]
    [[], [19], [19, 39], [19, 39, 50]]
    """
    ya, Xa = as_data(y, X)
    n = ya.shape[0]
    k = 1 if Xa is None else Xa.shape[1]
    h = _check_int("h", h)
    if h < k or h < 1:
        raise NkfxValueError(f"h must be >= k = {k} (number of regressors); got h = {h}")
    if 2 * h > n:
        raise NkfxValueError(f"h must be <= n / 2 = {n / 2:g} so that one break fits; got h = {h}")
    cap = n // h - 1
    top = cap if max_breaks is None else min(_check_int("max_breaks", max_breaks), cap)
    if top < 0:
        raise NkfxValueError(f"max_breaks must be >= 0; got {max_breaks}")
    if Xa is not None and k == 1 and np.all(Xa == 1.0):
        Xa = None  # an explicit intercept column: take the fast path
    z, Xs = standardise(ya, Xa)
    breaks = tuple(optimal_partitions(z, Xs, h, top))
    rss = np.array([total_rss(ya, Xa, b) for b in breaks])
    return SegmentationPath(n=n, k=k, h=h, max_breaks=top, rss=rss, breaks=breaks)


def information_criteria(path: SegmentationPath) -> dict[str, FloatArray]:
    """Gaussian log-likelihood, BIC and LWZ for each number of breaks.

    With ``m`` breaks and ``k`` regressors, BIC counts ``df = (k + 1)(m + 1)``
    parameters (the coefficients, the m break dates and one variance), as
    strucchange's ``logLik.breakpoints``; LWZ counts Bai & Perron's (2003)
    ``p = (m + 1) k + m`` (no variance):

    * ``loglik = -n/2 (log(RSS/n) + 1 + log(2 pi))``
    * ``bic = -2 loglik + log(n) df`` (equal to ``summary(bp)$RSS["BIC", ]``)
    * ``lwz = log(RSS / (n - p)) + p / n * 0.299 * log(n)^2.1``
      (Liu, Wu & Zidek 1997 with ``c0 = 0.299``, ``delta0 = 0.1``, as in Bai &
      Perron 2003). ``inf`` where ``p >= n``.

    Examples
    --------
    >>> import numpy as np
    >>> from nkfx.detect.bai_perron._core import bai_perron, information_criteria
    >>> y = np.r_[np.zeros(30), np.ones(30)] + 0.3 * np.random.default_rng(1).standard_normal(60)
    >>> ic = information_criteria(bai_perron(y, h=9, max_breaks=3))
    >>> int(np.argmin(ic["bic"])), int(np.argmin(ic["lwz"]))
    (1, 1)
    """
    n, k = path.n, path.k
    m = np.arange(path.max_breaks + 1)
    df = (k + 1) * (m + 1)
    p = (m + 1) * k + m
    with np.errstate(divide="ignore"):  # RSS = 0 (perfect fit) gives loglik = +inf
        loglik = -0.5 * n * (np.log(path.rss) + 1.0 - np.log(n) + np.log(2.0 * np.pi))
        resid_df = np.where(p < n, n - p, 1)
        lwz = np.log(path.rss / resid_df) + p / n * _LWZ_C0 * np.log(n) ** (2.0 + _LWZ_DELTA0)
    lwz = np.where(p < n, lwz, np.inf)
    return {"loglik": loglik, "bic": -2.0 * loglik + np.log(n) * df, "lwz": lwz}
