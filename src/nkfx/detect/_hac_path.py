"""The HAC Chow-Wald path at every candidate date, vectorised over dates and series.

Same statistic as :func:`nkfx.detect._fpath.hac_wald` (R: ``Fstats(vcov. = kernHAC)``), which
fits one regression and one ``kernHAC`` per date in Python. Here every step is a batched numpy
operation over a stack of (series, date) pairs:

1. segment OLS from cumulative cross-products (the full ``[X, D]`` fit is the two segment fits,
   ``a = beta_1`` and ``d = beta_2 - beta_1``), residuals ``e`` and scores ``u = [X e, D e]``;
2. VAR(1) prewhitening by batched normal equations, ``D = (I - A)^{-1}``;
3. Andrews' AR(1) plug-in bandwidth per pair, quadratic-spectral weights truncated as sandwich
   does, and the weighted autocovariance sum by FFT;
4. ``W = d' V_dd^{-1} d`` with ``V = n (Z'Z)^{-1} Omega (Z'Z)^{-1}``.

Pairs whose prewhitening system is ill-conditioned (a regime fitted exactly) are recomputed by
the per-date reference, whose SVD least squares handles them. The batch is cut into chunks so
that memory stays near ``_CHUNK_BYTES`` whatever ``n``: O(n^2 log n) time per series, O(n) memory
per date.

The bootstrap of :mod:`nkfx.detect._bootstrap` needs this path hundreds of times per test.
For a change in mean (``X`` a column of ones) :func:`nkfx.detect._hac_mean.mean_shift_paths`
computes the same numbers without an FFT per date and in O(n) memory. ``benchmarks/bench_hac.py``
(2 shared cores, one run): 3.6 ms per series at n = 500, 36 ms at n = 2,000 and 0.12 s at
n = 5,000, against 34 ms and 1.7 s for the batched FFT below (9x and 48x).
``benchmarks/bench_hac.py``: at n = 200 this takes 6 ms, the per-date loop 48 ms and R's
``Fstats(vcov. = kernHAC)`` 0.91 s; at n = 1,000, 0.11 s, 0.42 s and 12.4 s.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nkfx.detect._fpath import hac_wald
from nkfx.detect._hac import _QS_TOL, qs_kernel
from nkfx.detect._hac_mean import mean_shift_paths

FloatArray = NDArray[np.float64]

__all__ = ["hac_f_paths"]

_CHUNK_BYTES = 48 * 2**20
_ILL = 1e10  # condition number of lag'lag above which the SVD reference takes over


def _segment_fits(
    y: FloatArray, X: FloatArray, xx: FloatArray, xy: FloatArray, b: NDArray[np.int64]
) -> tuple[FloatArray, FloatArray]:
    """Residuals (nb, n) and coefficient changes ``d`` (nb, k) of the two-segment fits.

    ``xx`` (n, k, k) and ``xy`` (n, k) are the cumulative cross-products of ``X`` and ``y``.
    """
    n = X.shape[0]
    s1 = xx[b]
    beta1 = np.linalg.solve(s1, xy[b][..., None])[..., 0]  # (nb, k)
    beta2 = np.linalg.solve(xx[-1][None] - s1, (xy[-1][None] - xy[b])[..., None])[..., 0]
    after = np.arange(n)[None, :] > b[:, None]  # (nb, n)
    fit = np.where(after, beta2 @ X.T, beta1 @ X.T)
    return y[None, :] - fit, beta2 - beta1


def _qs_weights(lags: FloatArray, bw: FloatArray) -> FloatArray:
    """Quadratic-spectral weights ``k(l / bw)`` for every row's bandwidth (as :func:`qs_kernel`)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (6.0 * np.pi / 5.0) * lags[None, :] / bw[:, None]
        w = 3.0 / z**2 * (np.sin(z) / z - np.cos(z))
    small = (lags[None, :] / bw[:, None]) < 0.001
    if small.any():  # sandwich's exp(c x^2) branch near zero
        x = np.broadcast_to(lags[None, :] / bw[:, None], w.shape)[small]
        w[small] = qs_kernel(x)
    flat = ~(bw > 0.0) | ~np.isfinite(bw)  # no autocorrelation at all: lag 0 only
    w[flat] = 0.0
    w[flat, 0] = 1.0
    return np.asarray(w, dtype=np.float64)


def _batched_wald(e: FloatArray, d: FloatArray, X: FloatArray, b: NDArray[np.int64]) -> FloatArray:
    """HAC Wald statistics for residual stacks ``e`` (p, n) with break indices ``b`` (p,)."""
    # Arrays are laid out (pair, column, time) so that every pass runs over contiguous time.
    p, n = e.shape
    k = X.shape[1]
    q = 2 * k
    after = (np.arange(n)[None, :] > b[:, None]).astype(float)
    Xt = np.ascontiguousarray(X.T)
    Z = np.concatenate([np.broadcast_to(Xt, (p, k, n)), Xt[None] * after[:, None, :]], axis=1)
    u = Z * e[:, None, :]  # (p, q, n)
    lag, lead = u[:, :, :-1], u[:, :, 1:]
    ll = lag @ lag.transpose(0, 2, 1)
    cond = np.linalg.cond(ll)
    ok = np.isfinite(cond) & (cond < _ILL)
    ll_safe = np.where(ok[:, None, None], ll, np.eye(q))
    A = np.linalg.solve(ll_safe, lag @ lead.transpose(0, 2, 1)).transpose(0, 2, 1)  # lead ~ A lag
    v = lead - A @ lag  # (p, q, m)
    m = n - 1
    Dm = np.linalg.inv(np.eye(q)[None] - A)

    # Andrews' bandwidth; a score column equal to the residual (the constant) gets weight 0
    wcol = np.where(((u - e[:, None, :]) ** 2).sum(axis=2) < 1e-16, 0.0, 1.0)
    wcol[~wcol.any(axis=1)] = 1.0
    xl, xd = v[:, :, :-1], v[:, :, 1:]
    xl_c = xl - xl.mean(axis=2, keepdims=True)
    xd_c = xd - xd.mean(axis=2, keepdims=True)
    sxx = np.einsum("pqt,pqt->pq", xl_c, xl_c)
    rho = np.einsum("pqt,pqt->pq", xl_c, xd_c) / sxx
    # sum (xd_c - rho xl_c)^2 = sum xd_c^2 - rho^2 sum xl_c^2 (rho is the OLS slope)
    sig2 = (np.einsum("pqt,pqt->pq", xd_c, xd_c) - rho**2 * sxx) / (m - 1)
    num = (wcol * 4.0 * rho**2 * sig2**2 / (1.0 - rho) ** 8).sum(axis=1)
    den = (wcol * sig2**2 / (1.0 - rho) ** 4).sum(axis=1)
    bw = 1.3221 * (m * num / den) ** 0.2

    lags = np.arange(m, dtype=float)
    w = _qs_weights(lags, bw)
    big = np.abs(w) > _QS_TOL
    last = m - 1 - np.argmax(big[:, ::-1], axis=1)  # sandwich drops weights after the last big one
    w[lags[None, :] > last[:, None]] = 0.0
    w[:, 0] *= 0.5

    # sum_l w_l sum_t v_t v_{t+l}' by FFT, without the lag-domain autocovariances: irfft is
    # real-linear, so the lag sum becomes sum_f c_f / N Re(conj(F_a) F_b conj(W_f)) with
    # F = rfft(v), W = rfft(w), c_f = 1 at 0 and N/2, else 2. Only utu + utu' is needed, and
    # in it the imaginary part of W cancels: 2 sum_f c_f / N (Re F_a Re F_b + Im F_a Im F_b) Re W_f.
    size = 1 << int(np.ceil(np.log2(2 * m)))
    f = np.fft.rfft(v, size, axis=2)  # (p, q, F)
    g = np.fft.rfft(w, size, axis=1).real
    g[:, 1:-1] *= 2.0
    g *= 2.0 / size
    fr, fi = f.real, f.imag
    utu = np.empty((p, q, q))
    for a in range(q):
        ga, gb = fr[:, a] * g, fi[:, a] * g
        for c in range(a, q):
            utu[:, a, c] = utu[:, c, a] = (ga * fr[:, c]).sum(axis=1) + (gb * fi[:, c]).sum(axis=1)
    utu *= n / (n - q)
    meat = Dm @ utu @ Dm.transpose(0, 2, 1) / n
    zz_inv = np.linalg.inv(Z @ Z.transpose(0, 2, 1))
    V = n * zz_inv @ meat @ zz_inv
    stat = np.einsum("pa,pa->p", d, np.linalg.solve(V[:, k:, k:], d[:, :, None])[..., 0])
    return np.asarray(np.where(ok, stat, np.nan), dtype=np.float64)


def hac_f_paths(Y: FloatArray, X: FloatArray, b: NDArray[np.int64]) -> FloatArray:
    """HAC Wald statistic at every break index ``b`` for every row of ``Y``.

    Parameters
    ----------
    Y : ndarray, shape (r, n)
        Responses (one series per row) sharing the regressors ``X``.
    X : ndarray, shape (n, k)
        Regressors; all change at the break.
    b : ndarray of int, shape (nb,)
        Candidate last indices of the old regime; every segment must have full rank.

    Returns
    -------
    ndarray, shape (r, nb)
        Equal to ``hac_wald(Y[i], X, b[j])`` (to rounding).

    Examples
    --------
    >>> from nkfx.detect._fpath import hac_wald
    >>> y = np.random.default_rng(0).standard_normal(60)
    >>> X, b = np.ones((60, 1)), np.arange(9, 50)
    >>> fast = hac_f_paths(y[None], X, b)[0]
    >>> bool(np.allclose(fast, [hac_wald(y, X, int(i)) for i in b], rtol=1e-10))
    True
    """
    Y = np.atleast_2d(np.asarray(Y, dtype=np.float64))
    r, n = Y.shape
    X = np.asarray(X, dtype=np.float64)
    b = np.asarray(b, dtype=np.int64)
    q = 2 * X.shape[1]
    # a change in mean at many dates: the compiled path (its per-lag prefix sums are shared by
    # the dates, so a few dates, as in the Chow test, are cheaper by FFT)
    if X.shape[1] == 1 and b.size >= 16 and np.all(X == 1.0):
        out = mean_shift_paths(Y, b)
        for i, j in zip(*np.nonzero(np.isnan(out)), strict=True):
            out[i, j] = hac_wald(Y[i], X, int(b[j]))
        return out
    out = np.empty((r, b.size))
    per_pair = 16 * (1 << int(np.ceil(np.log2(2 * n)))) * q * 2 + 8 * n * q * 12  # FFTs, (q, n) arrays
    step = max(1, _CHUNK_BYTES // per_pair)
    xx = np.cumsum(X[:, :, None] * X[:, None, :], axis=0)
    for i in range(r):
        xy = np.cumsum(Y[i][:, None] * X, axis=0)
        for s in range(0, b.size, step):
            e, d = _segment_fits(Y[i], X, xx, xy, b[s : s + step])
            out[i, s : s + step] = _batched_wald(e, d, X, b[s : s + step])
        for j in np.flatnonzero(np.isnan(out[i])):
            out[i, j] = hac_wald(Y[i], X, int(b[j]))
    return out
