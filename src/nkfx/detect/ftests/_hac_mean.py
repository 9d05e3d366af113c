"""The HAC Chow-Wald path for a change in mean, compiled: O(n) memory, no FFT per date.

For ``X`` a column of ones (the mean-shift test of :func:`nkfx.sup_f_test`), the statistic of
:func:`nkfx.detect.ftests._path.hac_f_paths` at every candidate date ``b`` is rebuilt from sums
over the series instead of a per-date FFT:

1. per date, the segment means, the scores ``u_t = (e_t, e_t 1{t > b})``, the VAR(1)
   prewhitening matrix ``A`` and Andrews' bandwidth (as ``kernHAC``) in O(1): every sum they
   need is a sum of ``e_s e_{s+l}`` (l = 0, 1, 2) or of ``e_s`` over a few ranges of constant
   coefficients, answered by prefix sums (:func:`_date_setup_sums`; the O(n) pass
   :func:`_date_setup` is kept as its reference in the tests);
2. the kernel-weighted autocovariance sum of the prewhitened scores ``v_t = u_{t+1} - A u_t``
   is expanded into lag-``l`` cross-products of ``u``, and those into three regions (both
   observations before the break, across it, both after) of ``sum y_s y_{s+l}``, which one
   prefix sum per lag answers for every date. The loop runs over lags outside, dates inside,
   with the quadratic-spectral weights of each date advanced by a rotation (no sine per pair).

Same numbers as the FFT path to rounding (tests: relative difference below 1e-8); O(n^2) time
per series with a small constant, O(n) memory.

Why not near-linear: every date has its own Andrews bandwidth, and the quadratic-spectral
kernel has unbounded support (sandwich keeps every weight above 1e-7, in practice all n - 1
lags), so the statistic at each of the O(n) dates is a weighted sum of O(n) lag sums with
weights of its own. Sharing one bandwidth across dates or draws, or cutting the lags, would
change the statistic (``kernHAC``'s), which this module must reproduce.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from nkfx.detect.ftests._hac import _QS_TOL
from nkfx.detect.pelt._costs import jit

FloatArray = NDArray[np.float64]

__all__ = ["mean_shift_paths"]

_ILL = 1e10
_QS_C = 6.0 * math.pi / 5.0
_CF = 1e6 * math.log(3.0 / (_QS_C * 0.001) ** 2 * (math.sin(_QS_C * 0.001) / (_QS_C * 0.001)
                                                     - math.cos(_QS_C * 0.001)))


@jit
def _qs(x: float) -> float:
    if x < 0.001:
        return float(math.exp(_CF * x * x))
    z = _QS_C * x
    return float(3.0 / (z * z) * (math.sin(z) / z - math.cos(z)))


@jit
def _date_setup(y: FloatArray, b: int, out: FloatArray) -> bool:
    """Means, ``A``, ``D = (I - A)^-1`` and bandwidth at date ``b`` into ``out``; False if ill."""
    n = y.size
    n1, n2 = b + 1, n - b - 1
    m1 = y[: b + 1].sum() / n1
    m2 = y[b + 1:].sum() / n2
    # ll = sum_{t<n-1} u_t u_t', lx = sum_{t<n-1} u_t u_{t+1}' (u = (e, e 1{t>b}))
    l00 = l11 = x00 = x01 = x10 = x11 = 0.0
    e0 = y[0] - m1
    wcol2 = 0.0
    for t in range(n - 1):
        e1 = y[t + 1] - (m1 if t + 1 <= b else m2)
        a2 = e0 if t > b else 0.0
        c2 = e1 if t + 1 > b else 0.0
        l00 += e0 * e0
        l11 += a2 * a2
        x00 += e0 * e1
        x01 += e0 * c2
        x10 += a2 * e1
        x11 += a2 * c2
        if t <= b:
            wcol2 += e0 * e0
        e0 = e1
    l01 = l11  # sum e_t * e_t 1{t>b}
    tr, det = l00 + l11, l00 * l11 - l01 * l01
    disc = math.sqrt(max(tr * tr / 4.0 - det, 0.0))
    lo, hi = tr / 2.0 - disc, tr / 2.0 + disc
    if not (lo > 0.0 and hi / lo < _ILL):
        return False
    # A = lx' ll^{-1}
    i00, i01, i11 = l11 / det, -l01 / det, l00 / det
    a00 = x00 * i00 + x10 * i01
    a01 = x00 * i01 + x10 * i11
    a10 = x01 * i00 + x11 * i01
    a11 = x01 * i01 + x11 * i11
    out[0], out[1], out[2], out[3], out[4], out[5] = m1, m2, a00, a01, a10, a11
    out[6] = _bandwidth(y, b, m1, m2, a00, a01, a10, a11, wcol2)
    return True


@jit
def _bandwidth(y: FloatArray, b: int, m1: float, m2: float, a00: float, a01: float,
               a10: float, a11: float, wcol2: float) -> float:
    """Andrews' AR(1) plug-in bandwidth from the prewhitened scores (as ``_batched_wald``)."""
    n = y.size
    m = n - 1
    w1, w2 = 0.0, (1.0 if wcol2 >= 1e-16 else 0.0)
    if w2 == 0.0:
        w1 = w2 = 1.0
    # v_t = u_{t+1} - A u_t, t = 0..m-1, both columns in one pass; AR(1) of v[:-1] -> v[1:]
    st = np.zeros((2, 5))  # per column: sum lag, sum lead, sum lag^2, sum lead^2, sum lag*lead
    p0 = p1 = 0.0
    e0 = y[0] - m1
    for t in range(m):
        e1 = y[t + 1] - (m1 if t + 1 <= b else m2)
        u0b = e0 if t > b else 0.0
        u1b = e1 if t + 1 > b else 0.0
        v0 = e1 - a00 * e0 - a01 * u0b
        v1 = u1b - a10 * e0 - a11 * u0b
        if t > 0:
            st[0, 0] += p0
            st[0, 1] += v0
            st[0, 2] += p0 * p0
            st[0, 3] += v0 * v0
            st[0, 4] += p0 * v0
            st[1, 0] += p1
            st[1, 1] += v1
            st[1, 2] += p1 * p1
            st[1, 3] += v1 * v1
            st[1, 4] += p1 * v1
        p0, p1, e0 = v0, v1, e1
    num = den = 0.0
    k = m - 1
    for col in range(2):
        sl, sd, sll, sdd, sld = st[col, 0], st[col, 1], st[col, 2], st[col, 3], st[col, 4]
        sxx = sll - sl * sl / k
        rho = (sld - sl * sd / k) / sxx
        sig2 = (sdd - sd * sd / k - rho * rho * sxx) / (m - 1)
        wc = w1 if col == 0 else w2
        num += wc * 4.0 * rho * rho * sig2 * sig2 / (1.0 - rho) ** 8
        den += wc * sig2 * sig2 / (1.0 - rho) ** 4
    return float(1.3221 * (m * num / den) ** 0.2)


@jit
def _esum(cps: FloatArray, cy: FloatArray, lam: int, lo: int, hi: int, b: int, m1: float,
          m2: float) -> float:
    """``sum_{s=lo}^{hi} e_s e_{s+lam}`` with ``e`` the residuals of the split at ``b``."""
    cp = cps[lam]
    return (_region(cp, cy, lam, lo, min(hi, b - lam), m1, m1)
            + _region(cp, cy, lam, max(lo, b - lam + 1), min(hi, b), m1, m2)
            + _region(cp, cy, lam, max(lo, b + 1), hi, m2, m2))


@jit
def _e1(cy: FloatArray, lo: int, hi: int, b: int, m1: float, m2: float) -> float:
    """``sum_{t=lo}^{hi} e_t``."""
    if hi < lo:
        return 0.0
    c1 = max(0, min(hi, b) - lo + 1)
    c2 = max(0, hi - max(lo, b + 1) + 1)
    return float(cy[hi + 1] - cy[lo] - m1 * c1 - m2 * c2)


@jit
def _coef(col: int, t: int, b: int, a: FloatArray) -> tuple[float, float]:
    """``(alpha, beta)`` with ``v_t = alpha e_{t+1} + beta e_t`` for score column ``col``."""
    if col == 0:
        return 1.0, (-a[0] if t <= b else -(a[0] + a[1]))
    return (0.0 if t < b else 1.0), (-a[2] if t <= b else -(a[2] + a[3]))


@jit
def _vsums(cps: FloatArray, cy: FloatArray, col: int, lo: int, hi: int, b: int, m1: float,
           m2: float, a: FloatArray) -> tuple[float, float]:
    """``sum v_t`` and ``sum v_t^2`` over ``t = lo..hi`` (pieces of constant coefficients)."""
    sv = sq = 0.0
    for plo, phi in ((lo, min(hi, b - 1)), (max(lo, b), min(hi, b)), (max(lo, b + 1), hi)):
        if phi < plo:
            continue
        al, be = _coef(col, plo, b, a)
        sv += al * _e1(cy, plo + 1, phi + 1, b, m1, m2) + be * _e1(cy, plo, phi, b, m1, m2)
        sq += (al * al * _esum(cps, cy, 0, plo + 1, phi + 1, b, m1, m2)
               + 2.0 * al * be * _esum(cps, cy, 1, plo, phi, b, m1, m2)
               + be * be * _esum(cps, cy, 0, plo, phi, b, m1, m2))
    return sv, sq


@jit
def _vcross(cps: FloatArray, cy: FloatArray, col: int, m: int, b: int, m1: float, m2: float,
            a: FloatArray) -> float:
    """``sum_{t=0}^{m-2} v_t v_{t+1}``."""
    out = 0.0
    for plo, phi in ((0, b - 2), (b - 1, b - 1), (b, b), (b + 1, m - 2)):
        plo, phi = max(plo, 0), min(phi, m - 2)
        if phi < plo:
            continue
        a0, b0 = _coef(col, plo, b, a)
        a1, b1 = _coef(col, plo + 1, b, a)
        out += (a0 * a1 * _esum(cps, cy, 1, plo + 1, phi + 1, b, m1, m2)
                + a0 * b1 * _esum(cps, cy, 0, plo + 1, phi + 1, b, m1, m2)
                + b0 * a1 * _esum(cps, cy, 2, plo, phi, b, m1, m2)
                + b0 * b1 * _esum(cps, cy, 1, plo, phi, b, m1, m2))
    return out


@jit
def _date_setup_sums(y: FloatArray, cy: FloatArray, cps: FloatArray, b: int, out: FloatArray) -> bool:
    """:func:`_date_setup` in O(1) from prefix sums of ``y`` and of its lag-0..2 products."""
    n = y.size
    m1 = cy[b + 1] / (b + 1)
    m2 = (cy[n] - cy[b + 1]) / (n - b - 1)
    l00 = _esum(cps, cy, 0, 0, n - 2, b, m1, m2)
    l11 = _esum(cps, cy, 0, b + 1, n - 2, b, m1, m2)
    x00 = _esum(cps, cy, 1, 0, n - 2, b, m1, m2)
    x01 = _esum(cps, cy, 1, b, n - 2, b, m1, m2)
    x10 = x11 = _esum(cps, cy, 1, b + 1, n - 2, b, m1, m2)
    wcol2 = _esum(cps, cy, 0, 0, b, b, m1, m2)
    l01 = l11
    tr, det = l00 + l11, l00 * l11 - l01 * l01
    disc = math.sqrt(max(tr * tr / 4.0 - det, 0.0))
    lo, hi = tr / 2.0 - disc, tr / 2.0 + disc
    if not (lo > 0.0 and hi / lo < _ILL):
        return False
    i00, i01, i11 = l11 / det, -l01 / det, l00 / det
    a = np.empty(4)
    a[0] = x00 * i00 + x10 * i01
    a[1] = x00 * i01 + x10 * i11
    a[2] = x01 * i00 + x11 * i01
    a[3] = x01 * i01 + x11 * i11
    out[0], out[1], out[2], out[3], out[4], out[5] = m1, m2, a[0], a[1], a[2], a[3]
    m = n - 1
    k = m - 1
    w1, w2 = 0.0, (1.0 if wcol2 >= 1e-16 else 0.0)
    if w2 == 0.0:
        w1 = w2 = 1.0
    num = den = 0.0
    for col in range(2):
        sl, sll = _vsums(cps, cy, col, 0, m - 2, b, m1, m2, a)
        sd, sdd = _vsums(cps, cy, col, 1, m - 1, b, m1, m2, a)
        sld = _vcross(cps, cy, col, m, b, m1, m2, a)
        sxx = sll - sl * sl / k
        rho = (sld - sl * sd / k) / sxx
        sig2 = (sdd - sd * sd / k - rho * rho * sxx) / (m - 1)
        wc = w1 if col == 0 else w2
        num += wc * 4.0 * rho * rho * sig2 * sig2 / (1.0 - rho) ** 8
        den += wc * sig2 * sig2 / (1.0 - rho) ** 4
    out[6] = 1.3221 * (m * num / den) ** 0.2
    return True


@jit
def _region(cp: FloatArray, cy: FloatArray, lam: int, lo: int, hi: int, a: float, c: float) -> float:
    """``sum_{s=lo}^{hi} (y_s - a)(y_{s+lam} - c)``; 0 for an empty range."""
    if hi < lo:
        return 0.0
    return float(cp[hi + 1] - cp[lo] - c * (cy[hi + 1] - cy[lo]) - a * (cy[hi + lam + 1] - cy[lo + lam])
                 + a * c * (hi - lo + 1))


@jit
def _weight(lam: int, bw: float, last: int, s: float, c: float) -> float:
    """Halved-at-0 quadratic-spectral weight of lag ``lam`` (``s``, ``c``: sine, cosine of z)."""
    if lam > last:
        return 0.0
    if not (bw > 0.0 and math.isfinite(bw)):
        return 0.5 if lam == 0 else 0.0
    x = lam / bw
    if x < 0.001:
        w = math.exp(_CF * x * x)
    else:
        z = _QS_C * x
        w = 3.0 / (z * z) * (s / z - c)
    return 0.5 * w if lam == 0 else w


@jit
def _last_lag(bw: float, m: int) -> int:
    """Largest lag whose weight exceeds the tolerance (sandwich truncates after it)."""
    if not (bw > 0.0 and math.isfinite(bw)):
        return 0
    # |w| <= 3 (1 + 1/z) / z^2: no lag beyond z_max can pass the tolerance
    z = math.sqrt(3.0 / _QS_TOL) + 1.0
    top = min(m - 1, int(z / _QS_C * bw) + 1)
    for lam in range(top, -1, -1):
        if abs(_qs(lam / bw)) > _QS_TOL:
            return lam
    return m - 1


@jit
def _series_path(y: FloatArray, bs: NDArray[np.int64], out: FloatArray) -> None:
    """Fill ``out[j]`` with the HAC Wald statistic at date ``bs[j]`` (NaN where ill-posed)."""
    n = y.size
    m = n - 1
    nb = bs.size
    cy = np.zeros(n + 1)
    for t in range(n):
        cy[t + 1] = cy[t] + y[t]
    par = np.empty((nb, 7))
    ok = np.zeros(nb, np.bool_)
    last = np.zeros(nb, np.int64)
    cps = np.zeros((3, n + 1))  # prefix sums of y_s y_{s+l}, l = 0, 1, 2
    for lam in range(3):
        for t in range(n - lam):
            cps[lam, t + 1] = cps[lam, t] + y[t] * y[t + lam]
    for j in range(nb):
        ok[j] = _date_setup_sums(y, cy, cps, bs[j], par[j])
        if ok[j]:
            last[j] = _last_lag(par[j, 6], m)
    # per date: S1..S4 as entries (00, 01, 10) (11 equals 10); weights of lags lam-1..lam+1
    acc = np.zeros((nb, 4, 3))
    fprev = np.zeros((nb, 3))  # w_0 times G at lag 1 (transposed in S2)
    sn, cs, rs, rc = np.zeros(nb), np.ones(nb), np.zeros(nb), np.ones(nb)
    wprev, wcur, wnext = np.zeros(nb), np.zeros(nb), np.zeros(nb)
    izc, small = np.zeros(nb), np.zeros(nb, np.int64)  # 1/z = izc / lag; exp branch below small
    inv = np.zeros(n + 1)
    for lag in range(1, n + 1):
        inv[lag] = 1.0 / lag
    for j in range(nb):
        bw = par[j, 6]
        d = _QS_C / bw if (bw > 0.0 and math.isfinite(bw)) else 0.0
        rs[j], rc[j] = math.sin(d), math.cos(d)
        wcur[j] = _weight(0, bw, last[j], 0.0, 1.0)
        sn[j], cs[j] = rs[j], rc[j]  # sine, cosine at lag 1
        if d > 0.0:
            izc[j] = 1.0 / d
            small[j] = math.ceil(0.001 * bw)
    cp = np.zeros(n + 1)
    top = 0
    for j in range(nb):
        if ok[j]:
            top = max(top, last[j] + 2)
    for lam in range(min(n, top)):  # beyond a date's last lag + 1 its three weights are 0
        for s in range(n - lam):
            cp[s + 1] = cp[s] + y[s] * y[s + lam]
        lag = lam + 1
        for j in range(nb):
            if not ok[j] or lam > last[j] + 1:
                continue
            b = bs[j]
            m1, m2 = par[j, 0], par[j, 1]
            if lag > last[j]:
                wnext[j] = 0.0
            elif lag < small[j]:
                wnext[j] = _weight(lag, par[j, 6], last[j], sn[j], cs[j])
            else:
                iz = izc[j] * inv[lag]
                wnext[j] = 3.0 * iz * iz * (sn[j] * iz - cs[j])
            sn[j], cs[j] = sn[j] * rc[j] + cs[j] * rs[j], cs[j] * rc[j] - sn[j] * rs[j]
            hi = n - 1 - lam
            r1 = _region(cp, cy, lam, 0, min(b - lam, hi), m1, m1)
            r2 = _region(cp, cy, lam, max(0, b + 1 - lam), min(b, hi), m1, m2)
            r3 = _region(cp, cy, lam, b + 1, hi, m2, m2)
            f = (r1 + r2 + r3, r2 + r3, r3)
            e0 = y[0] - m1
            el = y[lam] - (m1 if lam <= b else m2)
            f0 = (e0 * el, e0 * el if lam > b else 0.0, 0.0)
            en = y[n - 1] - m2
            es = y[hi] - (m1 if hi <= b else m2)
            fl = (es * en, es * en, es * en if hi > b else 0.0)
            a = acc[j]
            for k in range(3):
                if lam <= n - 2:
                    a[0, k] += wcur[j] * (f[k] - f0[k])
                    a[3, k] += wcur[j] * (f[k] - fl[k])
                if lam <= n - 3:
                    a[1, k] += wnext[j] * (f[k] - f0[k] - fl[k])
                if lam >= 1:
                    a[2, k] += wprev[j] * f[k]
                if lam == 1:  # the l = 0 term of S2 is (G at lag 1 over the whole range)'
                    fprev[j, k] = wprev[j] * f[k]
            wprev[j], wcur[j] = wcur[j], wnext[j]
    for j in range(nb):
        out[j] = _finish(acc[j], fprev[j], par[j], n, bs[j]) if ok[j] else np.nan


@jit
def _mat(v: FloatArray) -> FloatArray:
    out = np.empty((2, 2))
    out[0, 0], out[0, 1], out[1, 0], out[1, 1] = v[0], v[1], v[2], v[2]
    return out


@jit
def _finish(acc: FloatArray, g1: FloatArray, par: FloatArray, n: int, b: int) -> float:
    """Wald statistic from the accumulated lag sums (as the end of ``_batched_wald``)."""
    A = np.empty((2, 2))
    A[0, 0], A[0, 1], A[1, 0], A[1, 1] = par[2], par[3], par[4], par[5]
    s2 = _mat(acc[1]) + _mat(g1).T
    S = _mat(acc[0]) - s2 @ A.T - A @ _mat(acc[2]) + A @ _mat(acc[3]) @ A.T
    utu = (S + S.T) * (n / (n - 2.0))
    D = np.linalg.inv(np.eye(2) - A)
    meat = D @ utu @ D.T / n
    n2 = n - b - 1.0
    zz_inv = np.array([[n2, -n2], [-n2, float(n)]]) / (n * n2 - n2 * n2)
    V = n * zz_inv @ meat @ zz_inv
    d = par[1] - par[0]
    return float(d * d / V[1, 1])


def mean_shift_paths(Y: FloatArray, b: NDArray[np.int64]) -> FloatArray:
    """HAC Wald statistic of a change in mean at every index ``b`` for every row of ``Y``.

    Parameters
    ----------
    Y : ndarray, shape (r, n)
        Series, one per row (the regressor is a constant).
    b : ndarray of int, shape (nb,)
        Last indices of the old regime, each in ``0..n-2``.

    Returns
    -------
    ndarray, shape (r, nb)
        As ``hac_f_paths(Y, np.ones((n, 1)), b)``; NaN where the prewhitening system is
        ill-conditioned (the caller recomputes those with the per-date reference).

    Examples
    --------
    >>> from nkfx.detect.ftests._path import hac_wald
    >>> y = np.random.default_rng(0).standard_normal(60)
    >>> b = np.arange(9, 50)
    >>> fast = mean_shift_paths(y[None], b)[0]
    >>> bool(np.allclose(fast, [hac_wald(y, np.ones((60, 1)), int(i)) for i in b], rtol=1e-8))
    True
    """
    Y = np.atleast_2d(np.asarray(Y, dtype=np.float64))
    b = np.ascontiguousarray(b, dtype=np.int64)
    out = np.empty((Y.shape[0], b.size))
    for i in range(Y.shape[0]):
        y = Y[i] - Y[i].mean()  # the statistic ignores a shift; centring keeps the sums small
        _series_path(np.ascontiguousarray(y), b, out[i])
    return out
