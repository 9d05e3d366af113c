"""Long-run variance of OLS estimating functions, as ``sandwich::kernHAC`` defaults.

``kernHAC`` (Zeileis 2004) with its defaults uses: VAR(1) prewhitening of the
estimating functions ``u_t = x_t e_t`` (Andrews & Monahan 1992), the
quadratic-spectral kernel with Andrews' (1991) automatic bandwidth from
univariate AR(1) fits, and the small-sample factor ``n / (n - k)``. The pieces
below follow that recipe step by step so that results agree with R.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

_QS_TOL = 1e-7  # sandwich::weightsAndrews drops trailing weights below this


def qs_kernel(x: FloatArray) -> FloatArray:
    """Quadratic-spectral kernel ``3/z^2 (sin z / z - cos z)``, ``z = 6 pi x / 5``.

    Near 0 (``|x| < 0.001``) sandwich switches to ``exp(c x^2)`` fitted at 0.001;
    so do we, to agree with R to the last digit.

    Examples
    --------
    >>> from nkfx.detect.ftests._hac import qs_kernel
    >>> [round(float(w), 4) for w in qs_kernel(np.array([0.0, 0.5, 1.0]))]
    [1.0, 0.6869, 0.1379]
    """
    x = np.abs(np.asarray(x, dtype=np.float64))

    def qs(v: FloatArray) -> FloatArray:
        z = 6.0 * np.pi * v / 5.0
        return np.asarray(3.0 / z**2 * (np.sin(z) / z - np.cos(z)), dtype=np.float64)

    small = x < 0.001
    out = np.empty_like(x)
    out[~small] = qs(x[~small])
    cf = 1e6 * np.log(qs(np.array([0.001]))[0])
    out[small] = np.exp(cf * x[small] ** 2)
    return out


def _bandwidth_weights(X: FloatArray, e: FloatArray) -> FloatArray:
    """Column weights in Andrews' bandwidth: 0 for an intercept column (as sandwich)."""
    u = X * e[:, None]
    w = np.where(((u - e[:, None]) ** 2).sum(axis=0) < 1e-16, 0.0, 1.0)
    if not w.any() or w.shape[0] < 2:
        w = np.ones_like(w)
    return w


def _prewhiten(u: FloatArray) -> tuple[FloatArray, FloatArray]:
    """VAR(1) without intercept by OLS; return residuals and ``D = (I - A)^{-1}``."""
    lag, lead = u[:-1], u[1:]
    # Least squares by SVD, not normal equations: score columns can be collinear (a regime
    # whose residuals are all zero makes its column equal the full-sample one), and the
    # minimum-norm VAR is then the sensible answer instead of a singular-matrix error.
    A = np.linalg.lstsq(lag, lead, rcond=None)[0].T  # lead_t ~ A lag_t
    resid = lead - lag @ A.T
    D = np.linalg.pinv(np.eye(u.shape[1]) - A)
    return resid, D


def andrews_bandwidth(v: FloatArray, weights: FloatArray) -> float:
    """Andrews (1991) AR(1) plug-in bandwidth for the quadratic-spectral kernel.

    Each column gets a demeaned AR(1) fit by OLS with intercept (R's
    ``ar(x, order.max = 1, aic = FALSE, method = "ols")``), then
    ``bw = 1.3221 (n alpha2)^(1/5)`` with
    ``alpha2 = sum w 4 rho^2 s^4 / (1 - rho)^8 / sum w s^4 / (1 - rho)^4``.

    Examples
    --------
    >>> from nkfx.detect.ftests._hac import andrews_bandwidth
    >>> v = np.random.default_rng(1).standard_normal((200, 1))
    >>> 0.0 < andrews_bandwidth(v, np.ones(1)) < 5.0
    True
    """
    n = v.shape[0]
    x = v - v.mean(axis=0)
    lag, lead = x[:-1], x[1:]
    lag_c = lag - lag.mean(axis=0)
    rho = (lag_c * (lead - lead.mean(axis=0))).sum(axis=0) / (lag_c**2).sum(axis=0)
    resid = lead - lead.mean(axis=0) - rho * lag_c
    sig2 = (resid**2).sum(axis=0) / (n - 1)
    num = np.sum(weights * 4.0 * rho**2 * sig2**2 / (1.0 - rho) ** 8)
    den = np.sum(weights * sig2**2 / (1.0 - rho) ** 4)
    alpha2 = num / den
    return float(1.3221 * (n * alpha2) ** 0.2)


def _autocov_sum(v: FloatArray, w: FloatArray) -> FloatArray:
    """``sum_l w_l sum_t v_t v_{t+l}'`` for lags ``l = 0..len(w)-1`` (FFT, O(n log n))."""
    n = v.shape[0]
    size = 1 << int(np.ceil(np.log2(2 * n)))
    f = np.fft.rfft(v, size, axis=0)
    cross = np.conj(f)[:, :, None] * f[:, None, :]
    gam = np.fft.irfft(cross, size, axis=0)[: w.shape[0]]  # gam[l, a, b] = sum v_a,t v_b,t+l
    return np.asarray(np.tensordot(w, gam, axes=1), dtype=np.float64)


def hac_meat(X: FloatArray, e: FloatArray, *, adjust: bool = True) -> FloatArray:
    """Long-run variance ``Omega`` of ``x_t e_t``, as ``sandwich::meatHAC`` under kernHAC.

    Parameters
    ----------
    X : ndarray, shape (n, k)
        Regressors.
    e : ndarray, shape (n,)
        OLS residuals.
    adjust : bool, default True
        Multiply by ``n / (n - k)``.

    Returns
    -------
    ndarray, shape (k, k)
        ``Omega`` (already divided by ``n``); the HAC covariance of the OLS
        coefficients is ``n (X'X)^{-1} Omega (X'X)^{-1}``.

    Examples
    --------
    >>> from nkfx.detect.ftests._hac import hac_meat
    >>> e = np.random.default_rng(0).standard_normal(100)
    >>> float(hac_meat(np.ones((100, 1)), e - e.mean())[0, 0]) > 0
    True
    """
    n, k = X.shape
    u = X * e[:, None]
    # A perfect fit (a run of identical quotes) leaves residuals at rounding level: the
    # VAR(1) prewhitening system is then singular and the long-run variance is zero.
    if np.max(np.abs(e), initial=0.0) <= 1e-12 * max(1.0, float(np.max(np.abs(X), initial=0.0))):
        return np.zeros((k, k))
    v, D = _prewhiten(u)
    bw = andrews_bandwidth(v, _bandwidth_weights(X, e))
    m = v.shape[0]
    if bw > 0.0 and np.isfinite(bw):
        w = qs_kernel(np.arange(m) / bw)
        keep = np.nonzero(np.abs(w) > _QS_TOL)[0]
        w = w[: keep[-1] + 1] if keep.size else w[:1]
    else:  # no autocorrelation at all: the kernel collapses to lag 0
        w = np.ones(1)
    w = w.copy()
    w[0] *= 0.5
    utu = _autocov_sum(v, w)
    utu = utu + utu.T
    if adjust:
        utu *= n / (n - k)
    return np.asarray(D @ utu @ D.T / n, dtype=np.float64)


def hac_vcov(X: FloatArray, e: FloatArray) -> FloatArray:
    """HAC covariance of OLS coefficients, as ``sandwich::kernHAC(lm(y ~ 0 + X))``.

    Examples
    --------
    >>> from nkfx.detect.ftests._hac import hac_vcov
    >>> e = np.random.default_rng(0).standard_normal(100)
    >>> hac_vcov(np.ones((100, 1)), e - e.mean()).shape
    (1, 1)
    """
    n = X.shape[0]
    inv = np.linalg.inv(X.T @ X)
    return np.asarray(n * inv @ hac_meat(X, e) @ inv, dtype=np.float64)
