"""Break-date confidence intervals of Bai (1997), as strucchange's ``confint()``.

For a break between regimes 1 and 2 with coefficient change ``delta``, Bai
(1997, Theorem 4 / Proposition 3 of Bai 1999) gives

    (delta' Q1 delta)^2 / (delta' Omega1 delta) (T_hat - T0)  ->  argmax_v V(v),

where ``V`` is a two-sided Brownian motion with drift, whose left and right
halves are scaled by ``xi = delta'Q2 delta / delta'Q1 delta`` and by the ratio
of the long-run variances ``phi_j^2 = delta'Omega_j delta / delta'Q_j delta``.
Its distribution function has a closed form (``pargmax_v``). An interval at
level ``1 - 2 a`` is ``[b - ceil(u), b - floor(l)]`` with ``l``, ``u`` the ``a``
and ``1 - a`` quantiles times ``phi1^2 / delta'Q1 delta``.

Without HAC, ``Omega_j = sigma_j^2 Q_j`` so ``phi_j = sigma_j``; ``het_reg``
lets ``Q`` differ across regimes, ``het_err`` lets ``sigma^2`` (or ``Omega``)
differ. Variances are ML (divided by n), as in strucchange.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq
from scipy.special import log_ndtr

from nkfx.detect.bai_perron._fit import as_data, check_breaks, design, ols, segment_bounds
from nkfx.detect.ftests._hac import hac_meat
from nkfx.errors import NkfxValueError, NkfxWarning

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Marks a bound that cannot be computed (strucchange returns NA and warns).
CI_UNAVAILABLE = np.iinfo(np.int64).min


def pargmax_v(x: float, xi: float = 1.0, phi1: float = 1.0, phi2: float = 1.0) -> float:
    """Distribution function of ``argmax V`` (Bai 1997, p. 557), as strucchange's pargmaxV.

    Examples
    --------
    >>> from nkfx.detect.bai_perron._ci import pargmax_v
    >>> round(pargmax_v(0.0), 6)  # symmetric case: the median is 0
    0.5
    >>> round(pargmax_v(-5.0) + pargmax_v(5.0), 12)
    1.0
    """
    phi = xi * (phi2 / phi1) ** 2
    a = abs(x)
    if x < 0:
        frac = xi / phi
        return float(
            -np.exp(np.log(a) / 2 - a / 8 - np.log(2 * np.pi) / 2)
            - (phi / xi * (phi + 2 * xi) / (phi + xi))
            * np.exp(frac * (1 + frac) * a / 2 + log_ndtr(-(0.5 + frac) * np.sqrt(a)))
            + np.exp(
                np.log(a / 2 - 2 + (phi + 2 * xi) ** 2 / ((phi + xi) * xi))
                + log_ndtr(-np.sqrt(a) / 2)
            )
        )
    frac = xi**2 / phi
    # sqrt(frac) * dnorm-like term; it is 0 at x = 0 (avoid log(0))
    sqrt_term = (
        0.0 if a == 0 else np.sqrt(frac) * np.exp(np.log(a) / 2 - frac * a / 8 - np.log(2 * np.pi) / 2)
    )
    return float(
        1
        + sqrt_term
        + (xi / phi * (2 * phi + xi) / (phi + xi))
        * np.exp((phi + xi) * a / 2 + log_ndtr(-(phi + xi / 2) / np.sqrt(phi) * np.sqrt(a)))
        - np.exp(
            np.log((2 * phi + xi) ** 2 / ((phi + xi) * phi) - 2 + frac * a / 2)
            + log_ndtr(-np.sqrt(frac) * np.sqrt(a) / 2)
        )
    )


def _quantile(p: float, xi: float, phi1: float, phi2: float) -> float:
    """Root of ``pargmax_v(x) = p``, bracketed in steps of 1000 like strucchange."""

    def cdf(x: float) -> float:
        return pargmax_v(x, xi, phi1, phi2) - p

    if cdf(0.0) == 0.0:
        return 0.0
    lo = hi = 0.0
    if cdf(0.0) < 0.0:  # the root lies to the right of 0
        while cdf(hi) < 0.0:
            hi += 1000.0
    else:
        while cdf(lo) > 0.0:
            lo -= 1000.0
    return float(brentq(cdf, lo, hi, xtol=1e-10, rtol=1e-12))


class _Regime:
    """What the interval needs from one regime (or the pooled sample): Q, sigma^2, Omega."""

    def __init__(self, X: FloatArray, e: FloatArray, hac: bool) -> None:
        n = X.shape[0]
        self.Q: FloatArray = X.T @ X / n
        self.sigma2 = float(e @ e) / n
        if not hac:
            self.omega: FloatArray = self.sigma2 * self.Q
        elif n < 4 or self.sigma2 == 0.0:  # too short or exact fit: no long-run variance
            self.omega = np.full_like(self.Q, np.nan)
        else:
            self.omega = hac_meat(X, e)

    def pool(self, pooled: _Regime, het_reg: bool, het_err: bool, hac: bool) -> _Regime:
        """Swap in the full-sample Q and/or error variance where the user pools them.

        With HAC, strucchange forms ``Omega = Q V Q`` from the sandwich covariance
        ``V`` of the regime; with a pooled ``Q`` that is ``Qp Qj^-1 Omega_j Qj^-1 Qp``.
        """
        out = _Regime.__new__(_Regime)
        out.Q = self.Q if het_reg else pooled.Q
        out.sigma2 = self.sigma2 if het_err else pooled.sigma2
        if not het_err:
            out.omega = pooled.omega
        elif hac and not het_reg:
            inv = np.linalg.inv(self.Q)
            out.omega = pooled.Q @ inv @ self.omega @ inv @ pooled.Q
        else:
            out.omega = self.omega
        return out


def _interval(
    b: int, delta: FloatArray, r1: _Regime, r2: _Regime, level: float, hac: bool
) -> tuple[int, int]:
    """Bai (1997) interval for one break given the two adjacent regimes."""
    a2 = (1.0 - level) / 2.0
    with np.errstate(all="ignore"):  # degenerate regimes give NaN/inf, reported below
        q1, q2 = np.float64(delta @ r1.Q @ delta), np.float64(delta @ r2.Q @ delta)
        xi = q2 / q1
        if hac:
            phi1 = np.sqrt(np.float64(delta @ r1.omega @ delta) / q1)
            phi2 = np.sqrt(np.float64(delta @ r2.omega @ delta) / q2)
        else:
            phi1, phi2 = np.sqrt(np.float64(r1.sigma2)), np.sqrt(np.float64(r2.sigma2))
        ok = all(np.isfinite(v) and v > 0 for v in (q1, q2, phi1, phi2))
        p0 = pargmax_v(0.0, float(xi), float(phi1), float(phi2)) if ok else np.nan
    if not a2 <= p0 <= 1.0 - a2:  # NaN fails too
        warnings.warn(
            f"confidence interval for the break at index {b} cannot be computed: "
            f"P(argmax V <= 0) = {p0:.4f} lies outside [{a2:.4f}, {1 - a2:.4f}]",
            NkfxWarning,
            stacklevel=3,
        )
        return CI_UNAVAILABLE, CI_UNAVAILABLE
    p1, p2, x = float(phi1), float(phi2), float(xi)
    scale = p1**2 / float(q1)
    upper = _quantile(1.0 - a2, x, p1, p2) * scale
    lower = _quantile(a2, x, p1, p2) * scale
    return b - int(np.ceil(upper)), b - int(np.floor(lower))


def breakdate_ci(
    y: ArrayLike,
    X: ArrayLike | None,
    breaks: ArrayLike,
    *,
    level: float = 0.95,
    het_reg: bool = True,
    het_err: bool = True,
    hac: bool = False,
) -> IntArray:
    """Confidence intervals for break dates (Bai 1997), as strucchange's ``confint()``.

    Parameters
    ----------
    y : array_like, shape (n,)
        Response.
    X : array_like, shape (n, k), or None
        Regressors (all coefficients change at each break); ``None`` for the
        mean model.
    breaks : array_like of int
        Estimated break indices (last observation of each old regime).
    level : float, default 0.95
        Coverage, any value in (0, 1).
    het_reg : bool, default True
        Let the regressor moments ``Q = X'X/n`` differ between regimes.
    het_err : bool, default True
        Let the error variance (or long-run variance) differ between regimes.
    hac : bool, default False
        Use the HAC long-run variance of ``x_t e_t`` (``sandwich::kernHAC``
        defaults) instead of ``sigma^2 Q``; strucchange's ``vcov. = kernHAC``.

    Returns
    -------
    ndarray of int64, shape (m, 2)
        ``[lower, upper]`` in the break-index convention, not clipped to the
        sample. A row that cannot be computed (the limiting distribution puts
        less than ``(1 - level)/2`` on one side of 0) is ``CI_UNAVAILABLE``, with
        an :class:`~nkfx.errors.NkfxWarning`.

    References
    ----------
    Bai, J. (1997). Estimation of a change point in multiple regression models.
    Review of Economics and Statistics 79, 551-563.

    Examples
    --------
    >>> import numpy as np
    >>> from nkfx.detect.bai_perron._core import breakdate_ci
    >>> rng = np.random.default_rng(0)
    >>> y = np.r_[np.zeros(50), np.full(50, 2.0)] + rng.standard_normal(100)
    >>> breakdate_ci(y, None, [49]).tolist()
    [[45, 52]]
    """
    if not 0.0 < level < 1.0:
        raise NkfxValueError(f"level must be in (0, 1); got {level!r}")
    ya, Xa = as_data(y, X)
    Xd = design(ya.shape[0], Xa)
    b = check_breaks(breaks, ya.shape[0], Xd.shape[1])
    start, end = segment_bounds(b, ya.shape[0])
    fits = [ols(ya[a : z + 1], Xd[a : z + 1]) for a, z in zip(start, end, strict=True)]
    pooled = _Regime(Xd, np.concatenate([e for _, e in fits]), hac and not het_err)
    regimes = [
        _Regime(Xd[a : z + 1], e, hac and het_err).pool(pooled, het_reg, het_err, hac)
        for (a, z), (_, e) in zip(zip(start, end, strict=True), fits, strict=True)
    ]
    out = np.empty((b.shape[0], 2), dtype=np.int64)
    for i in range(b.shape[0]):
        delta = fits[i + 1][0] - fits[i][0]
        out[i] = _interval(int(b[i]), delta, regimes[i], regimes[i + 1], level, hac)
    return out
