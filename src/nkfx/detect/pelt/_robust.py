"""Exact penalised segmentation with the biweight (capped quadratic) cost: FPOP over piecewise quadratics.

Fearnhead & Rigaill (2019), "Changepoint detection in the presence of outliers", JASA
114, 169-183 (R package robseg). Each observation costs
``gamma(y, mu) = min((y - mu)**2, c**2)`` (Tukey's biweight in its "capped quadratic"
form): a point further than ``c`` from the segment level costs ``c**2`` however far it
is, so one bad report cannot pay for a new segment on its own.

A segment cost ``min_mu sum_i gamma(y_i, mu)`` is no longer a function of prefix sums,
so PELT's ``O(1)`` segment costs are not available. The cost *as a function of mu* is
piecewise quadratic, though, with knots at ``y_i +- c``. We keep
``Q_s(mu) = min_t [F(t) + pen + sum_{t < i <= s} gamma(y_i, mu)]`` over the legal last
changes ``t`` as pieces ``[lo, hi]`` carrying ``a * mu**2 + b * mu + k`` and the label
``t`` of the candidate lowest there (functional pruning: a candidate that owns no piece
is lower nowhere and, as every candidate gains the same ``gamma(y_s, mu)`` at each step,
never will be). Each step adds ``gamma(y_s, .)`` to every piece (splitting pieces at
``y_s +- c``), takes the pointwise minimum with the newly legal candidate ``t = s - m``
(``m`` the minimum segment length; its function is built from its first ``m`` points)
and reads ``F(s) = min_mu Q_s(mu)``. Only levels in ``[min(y), max(y)]`` are searched: the
loss of every point is non-increasing as ``mu`` moves towards the data, so every segment
optimum lies there.

``"mbic"`` (a penalty that depends on segment lengths) breaks functional pruning's
bookkeeping of the minimum, so it runs on :func:`pelt_biweight`: PELT with each segment
cost computed exactly by :func:`segment_biweight` (``O(L log L)`` for a segment of
``L`` points), fine for a few thousand observations.

Callers pass the series standardised, ``(y - median) / sigma`` with ``c = K``, so
coefficients stay of order one; costs then scale back by ``sigma**2``.
"""

from __future__ import annotations

import math

import numpy as np

from nkfx.detect.pelt._costs import jit

__all__ = ["biweight_fit", "fpop_biweight", "pelt_biweight", "segment_biweight"]


@jit
def _push(lo: np.ndarray, hi: np.ndarray, qa: np.ndarray, qb: np.ndarray, qk: np.ndarray,
          lab: np.ndarray, q: int, x0: float, x1: float, a: float, b: float, k: float,
          who: int) -> int:
    """Append a piece; merge it into the previous one when owner and quadratic agree."""
    if x1 <= x0:
        return q
    if q > 0 and lab[q - 1] == who and qa[q - 1] == a and qb[q - 1] == b and qk[q - 1] == k:
        hi[q - 1] = x1
        return q
    lo[q] = x0
    hi[q] = x1
    qa[q] = a
    qb[q] = b
    qk[q] = k
    lab[q] = who
    return q + 1


@jit
def _add_point(p: int, lo: np.ndarray, hi: np.ndarray, qa: np.ndarray, qb: np.ndarray,
               qk: np.ndarray, lab: np.ndarray, out: tuple[np.ndarray, ...],
               olab: np.ndarray, y: float, c: float) -> int:
    """Write ``Q + gamma(y, .)`` into ``out``/``olab``: split pieces at ``y -+ c``."""
    olo, ohi, oa, ob, ok = out
    left = y - c
    right = y + c
    c2 = c * c
    q = 0
    for i in range(p):
        a, b, k, w = qa[i], qb[i], qk[i], lab[i]
        x0, x1 = lo[i], hi[i]
        q = _push(olo, ohi, oa, ob, ok, olab, q, x0, min(x1, left), a, b, k + c2, w)
        q = _push(olo, ohi, oa, ob, ok, olab, q, max(x0, left), min(x1, right),
                  a + 1.0, b - 2.0 * y, k + y * y, w)
        q = _push(olo, ohi, oa, ob, ok, olab, q, max(x0, right), x1, a, b, k + c2, w)
    return q


@jit
def _candidate(z: np.ndarray, start: int, stop: int, base: float, c: float, dlo: float,
               dhi: float, out: tuple[np.ndarray, ...], olab: np.ndarray, who: int) -> int:
    """Pieces of ``base + sum_{start <= i < stop} gamma(z_i, mu)`` on ``[dlo, dhi]``."""
    olo, ohi, oa, ob, ok = out
    m = stop - start
    c2 = c * c
    knots = np.empty(2 * m)
    sign = np.empty(2 * m)
    for j in range(m):
        knots[2 * j] = z[start + j] - c
        sign[2 * j] = 1.0  # the point enters its quadratic zone
        knots[2 * j + 1] = z[start + j] + c
        sign[2 * j + 1] = -1.0
    order = np.argsort(knots, kind="mergesort")
    a = 0.0
    b = 0.0
    k = base + m * c2
    x = dlo
    q = 0
    for j in order:
        yj = z[start + j // 2]
        if knots[j] > x:
            q = _push(olo, ohi, oa, ob, ok, olab, q, x, min(knots[j], dhi), a, b, k, who)
            x = min(max(knots[j], x), dhi)
        a += sign[j]
        b -= 2.0 * yj * sign[j]
        k += (yj * yj - c2) * sign[j]
    return _push(olo, ohi, oa, ob, ok, olab, q, x, dhi, a, b, k, who)


@jit
def _roots(a: float, b: float, k: float, x0: float, x1: float) -> tuple[float, float]:
    """Roots of ``a x**2 + b x + k`` strictly inside ``(x0, x1)``, NaN when absent, sorted."""
    r1 = math.nan
    r2 = math.nan
    if a == 0.0:
        if b != 0.0:
            r1 = -k / b
    else:
        disc = b * b - 4.0 * a * k
        if disc > 0.0:
            qq = -0.5 * (b + math.copysign(math.sqrt(disc), b))
            r1 = qq / a
            r2 = k / qq if qq != 0.0 else math.nan
    if not x0 < r1 < x1:
        r1 = math.nan
    if not x0 < r2 < x1:
        r2 = math.nan
    if math.isnan(r1) or (not math.isnan(r2) and r2 < r1):
        r1, r2 = r2, r1
    return r1, r2


@jit
def _minimum(p: int, lo: np.ndarray, hi: np.ndarray, qa: np.ndarray, qb: np.ndarray,
             qk: np.ndarray, g: int, glo: np.ndarray, ghi: np.ndarray,
             gpieces: tuple[np.ndarray, np.ndarray, np.ndarray], who: int,
             out: tuple[np.ndarray, ...], olab: np.ndarray, lab: np.ndarray) -> int:
    """Pointwise minimum of the envelope and candidate ``who`` (ties go to the older label)."""
    olo, ohi, oa, ob, ok = out
    ga, gb, gk = gpieces
    i = 0
    j = 0
    q = 0
    x = lo[0]
    while i < p and j < g:
        end = min(hi[i], ghi[j])
        da, db, dk = qa[i] - ga[j], qb[i] - gb[j], qk[i] - gk[j]
        r1, r2 = _roots(da, db, dk, x, end)
        cuts = (r1, r2, end)
        for cut in cuts:
            if math.isnan(cut):
                continue
            mid = 0.5 * (x + cut)
            if (da * mid + db) * mid + dk <= 0.0:
                q = _push(olo, ohi, oa, ob, ok, olab, q, x, cut, qa[i], qb[i], qk[i], lab[i])
            else:
                q = _push(olo, ohi, oa, ob, ok, olab, q, x, cut, ga[j], gb[j], gk[j], who)
            x = max(x, cut)
        if hi[i] <= end:
            i += 1
        if ghi[j] <= end:
            j += 1
    return q


@jit
def _piece_min(a: float, b: float, k: float, x0: float, x1: float) -> tuple[float, float]:
    """Minimum value and minimiser of ``a x**2 + b x + k`` on ``[x0, x1]`` (a >= 0)."""
    # a == 0 means no point on its quadratic: b is 0 up to rounding, keep the left end
    x = min(max(-b / (2.0 * a), x0), x1) if a > 0.0 else (x0 if b >= 0.0 else x1)
    return (a * x + b) * x + k, x


@jit
def fpop_biweight(z: np.ndarray, pen: float, c: float, min_size: int
                  ) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Exact penalised biweight segmentation of the standardised series ``z``.

    Returns ``F`` (``F[s]``: optimal penalised cost of ``z[:s]`` minus one ``pen``),
    ``last`` (optimal last change before ``s``, exclusive ends), the largest number of
    candidates alive at once and the largest number of pieces.
    """
    n = z.size
    m = min_size
    dlo = z.min()
    dhi = z.max()
    if dhi - dlo < 1e-12:
        dlo -= 1.0
        dhi += 1.0
    f = np.full(n + 1, np.inf)
    f[0] = -pen
    last = np.zeros(n + 1, np.int64)
    seen = np.full(n + 1, -1, np.int64)
    size = 64
    cur = (np.empty(size), np.empty(size), np.empty(size), np.empty(size), np.empty(size))
    lab = np.empty(size, np.int64)
    nxt = (np.empty(size), np.empty(size), np.empty(size), np.empty(size), np.empty(size))
    nlab = np.empty(size, np.int64)
    cand = (np.empty(size), np.empty(size), np.empty(size), np.empty(size), np.empty(size))
    clab = np.empty(size, np.int64)
    p = 0
    widest = 0
    most = 0
    for s in range(m, n + 1):
        t = s - m
        need = 3 * (p + 2 * m + 2) + 8
        if need > lab.size:
            size = 2 * need
            nxt = (np.empty(size), np.empty(size), np.empty(size), np.empty(size), np.empty(size))
            nlab = np.empty(size, np.int64)
            cand = (np.empty(size), np.empty(size), np.empty(size), np.empty(size),
                    np.empty(size))
            clab = np.empty(size, np.int64)
            grown = (np.empty(size), np.empty(size), np.empty(size), np.empty(size),
                     np.empty(size))
            glab = np.empty(size, np.int64)
            for r in range(5):
                grown[r][:p] = cur[r][:p]
            glab[:p] = lab[:p]
            cur, lab = grown, glab
        if p > 0:  # every alive candidate gains the newest point
            p = _add_point(p, cur[0], cur[1], cur[2], cur[3], cur[4], lab, nxt, nlab,
                           z[s - 1], c)
            cur, nxt = nxt, cur
            lab, nlab = nlab, lab
        if t == 0 or t >= m:  # candidate t becomes a legal last change
            g = _candidate(z, t, s, f[t] + pen, c, dlo, dhi, cand, clab, t)
            if p == 0:
                for r in range(5):
                    cur[r][:g] = cand[r][:g]
                lab[:g] = clab[:g]
                p = g
            else:
                p = _minimum(p, cur[0], cur[1], cur[2], cur[3], cur[4], g, cand[0],
                             cand[1], (cand[2], cand[3], cand[4]), t, nxt, nlab, lab)
                cur, nxt = nxt, cur
                lab, nlab = nlab, lab
        best = np.inf
        arg = -1
        alive = 0
        for i in range(p):
            v, _ = _piece_min(cur[2][i], cur[3][i], cur[4][i], cur[0][i], cur[1][i])
            o = lab[i]
            if seen[o] != s:
                seen[o] = s
                alive += 1
            if v < best or (v == best and o < arg):
                best = v
                arg = o
        f[s] = best
        last[s] = arg
        widest = max(widest, alive)
        most = max(most, p)
    return f, last, widest, most


@jit
def segment_biweight(z: np.ndarray, c: float) -> tuple[float, float]:
    """Exact ``min_mu sum gamma(z_i, mu)`` and its minimiser (the segment's robust level).

    Sweeps the knots ``z_i -+ c`` in order; among equal minima the smallest level wins.
    """
    n = z.size
    lo = np.empty(2 * n + 2)
    hi = np.empty(2 * n + 2)
    qa = np.empty(2 * n + 2)
    qb = np.empty(2 * n + 2)
    qk = np.empty(2 * n + 2)
    lab = np.empty(2 * n + 2, np.int64)
    dlo = z.min()
    dhi = z.max()
    q = _candidate(z, 0, n, 0.0, c, dlo, dhi, (lo, hi, qa, qb, qk), lab, 0)
    if q == 0:  # constant segment: the domain is a point
        return 0.0, float(dlo)
    best = np.inf
    where = dlo
    for i in range(q):
        v, x = _piece_min(qa[i], qb[i], qk[i], lo[i], hi[i])
        if v < best:
            best = v
            where = x
    return best, where


@jit
def pelt_biweight(z: np.ndarray, pen: float, c: float, min_size: int, seg_coef: float
                  ) -> tuple[np.ndarray, np.ndarray, int]:
    """PELT for the biweight cost (any penalty, incl. ``"mbic"``'s length term).

    Same outputs as :func:`nkfx.detect.pelt._core._pelt_kernel`, whose pruning (delayed by
    ``min_size``) it copies; the biweight segment cost is superadditive too.
    """
    n = z.size
    m = min_size
    log_n = math.log(n)
    f = np.full(n + 1, np.inf)
    f[0] = -pen
    last = np.zeros(n + 1, np.int64)
    cands = np.empty(n + 1, np.int64)
    vals = np.empty(n + 1)
    death = np.full(n + 1, n + 1, np.int64)
    k = 0
    widest = 0
    for s in range(m, n + 1):
        t = s - m
        if t == 0 or t >= m:
            cands[k] = t
            k += 1
        best = np.inf
        arg = -1
        for i in range(k):
            o = cands[i]
            v = f[o] + pen + segment_biweight(z[o:s], c)[0]
            if seg_coef != 0.0:
                v += seg_coef * (math.log(s - o) - log_n)
            vals[i] = v
            if v < best:
                best = v
                arg = o
        f[s] = best
        last[s] = arg
        widest = max(widest, k)
        j = 0
        for i in range(k):
            o = cands[i]
            if death[o] > n and vals[i] > best + pen:
                death[o] = s + m
            if death[o] > s + 1:
                cands[j] = o
                j += 1
        k = j
    return f, last, widest


def biweight_fit(y: np.ndarray, ends: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    """Biweight cost and robust level of each segment ``y[ends[i-1]:ends[i]]``.

    ``c`` is the cap in the units of ``y``; costs are in squared units of ``y``.
    """
    starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    costs = np.empty(ends.size)
    levels = np.empty(ends.size)
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        seg = y[a:b]
        centre = float(np.median(seg))
        cost, level = segment_biweight((seg - centre) / c, 1.0)
        costs[i] = cost * c * c
        levels[i] = centre + level * c
    return costs, levels
