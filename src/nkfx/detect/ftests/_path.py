"""The Chow F path of strucchange's ``Fstats`` from cumulative sums, and its HAC variant.

``F(b) = (RSS_0 - RSS_1(b) - RSS_2(b)) / s^2(b)``, ``s^2(b) = (RSS_1(b) + RSS_2(b)) / (n - 2k)``,
for every candidate ``b`` (last index of the old regime) from ``h - 1`` to ``n - h - 1``. Segment
RSS come from forward and backward cumulative cross-products in O(n k^2) (plus k x k solves), not
from a regression per date; the mean-shift model uses the closed form
``RSS_0 - RSS_1 - RSS_2 = n_1 n_2 / n (mean_1 - mean_2)^2``. Data are centred (when X holds a
constant) and scaled first: RSS ratios are invariant to that, cumulative-sum cancellation is not.

HAC variant (``hac=True``), exactly ``Fstats(y ~ X, from = h, vcov. = kernHAC)`` in R: at each ``b``

1. fit ``y = X a + D d + e`` by OLS with ``D = X * 1{t > b}`` (``d`` is the coefficient change);
2. estimate ``V = cov(a, d)`` by ``sandwich::kernHAC`` defaults (:func:`nkfx.detect.ftests._hac.hac_vcov`):
   estimating functions ``Z_t e_t`` (``Z = [X, D]``) prewhitened by a VAR(1), quadratic-spectral
   kernel with Andrews' (1991) AR(1) plug-in bandwidth (intercept-like columns get weight 0),
   small-sample factor ``n / (n - 2k)``, recoloured, sandwiched with ``(Z'Z)^{-1}``;
3. ``F(b) = d' V_dd^{-1} d`` (Wald form). The bandwidth is re-estimated at every date, as in R.

Cost O(n^2 log n) for the HAC path; :mod:`nkfx.detect.ftests._path` computes it for all dates at
once, :func:`hac_wald` is the per-date reference it is tested against.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from nkfx.detect.ftests._hac import _QS_TOL, hac_vcov, qs_kernel
from nkfx.detect.ftests._hac_mean import mean_shift_paths
from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError

__all__ = [
    "f_statistics",
    "hac_f_paths",
    "hac_wald",
]


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


FloatArray = NDArray[np.float64]


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
    >>> from nkfx.detect.ftests._path import hac_wald
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
