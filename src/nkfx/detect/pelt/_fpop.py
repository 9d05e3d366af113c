"""Functional pruning optimal partitioning (FPOP) for the l2 cost with a minimum segment length.

Maidstone, Hocking, Rigaill & Fearnhead (2017), "On optimal multiple changepoint
algorithms for large data", Statistics and Computing 27, 519-533.

Every candidate last change ``o`` is a quadratic in the segment mean ``mu``:
``q_o(mu) = F(o) + pen + sum_{o < i <= s} (y_i - mu)**2``. We keep the lower envelope
of these quadratics as contiguous pieces of the real line, each labelled with the
candidate that is lowest there. A candidate that owns no piece is lower nowhere and,
because the differences ``q_o - q_t`` do not change as points are added, never will be:
it is pruned for good. This prunes at least as much as PELT (a candidate that PELT
prunes owns nothing) and keeps working when changes are rare, where PELT turns quadratic.

Minimum segment length ``m``: candidate ``t`` enters the envelope only at ``s = t + m``,
when it first becomes a legal last change. From then on every candidate in the envelope
is legal at every later ``s``, so the pruning stays exact. Against an existing candidate
``o < t``, ``q_o < q_t`` exactly on the open interval of ``mu`` where
``F(o) + sum_{o < i <= t} (y_i - mu)**2 < F(t)``: centre ``mean(y[o:t])``, squared
half-width ``(F(t) - F(o) - RSS(o, t)) / (t - o)``, independent of ``s``.
"""

from __future__ import annotations

import math

import numpy as np

from nkfx.detect.pelt._costs import jit

__all__ = ["fpop_l2"]


@jit
def _push(
    lo: np.ndarray, hi: np.ndarray, own: np.ndarray, q: int, a: float, b: float, who: int
) -> int:
    """Append piece ``[a, b]`` owned by ``who``; merge with the previous piece if same owner."""
    if q > 0 and own[q - 1] == who:
        hi[q - 1] = b
        return q
    lo[q] = a
    hi[q] = b
    own[q] = who
    return q + 1


@jit
def _insert(
    t: int,
    lo: np.ndarray,
    hi: np.ndarray,
    own: np.ndarray,
    p: int,
    out_lo: np.ndarray,
    out_hi: np.ndarray,
    out_own: np.ndarray,
    s1: np.ndarray,
    s2: np.ndarray,
    f: np.ndarray,
) -> int:
    """Write the envelope after adding candidate ``t`` into ``out_*``; return its size."""
    q = 0
    for i in range(p):
        o = own[i]
        length = t - o
        a = s1[t] - s1[o]
        c = a / length
        r2 = (f[t] - f[o] - (s2[t] - s2[o] - a * c)) / length
        if r2 <= 0.0:  # o is above t everywhere: PELT's own pruning rule
            q = _push(out_lo, out_hi, out_own, q, lo[i], hi[i], t)
            continue
        r = math.sqrt(r2)
        left = c - r
        right = c + r
        if left > lo[i]:
            q = _push(out_lo, out_hi, out_own, q, lo[i], min(hi[i], left), t)
        x0 = max(lo[i], left)
        x1 = min(hi[i], right)
        if x0 < x1:
            q = _push(out_lo, out_hi, out_own, q, x0, x1, o)
        if right < hi[i]:
            q = _push(out_lo, out_hi, out_own, q, max(lo[i], right), hi[i], t)
    return q


@jit
def fpop_l2(
    s1: np.ndarray, s2: np.ndarray, pen: float, min_size: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Exact penalised l2 segmentation.

    Returns ``F`` (``F[s]`` = optimal penalised cost of ``y[:s]`` minus one ``pen``),
    ``last`` (optimal last change before ``s``, exclusive-end convention) and the
    largest number of candidates alive at once (for diagnostics).
    """
    n = s1.size - 1
    m = min_size
    f = np.full(n + 1, np.inf)
    f[0] = -pen
    last = np.zeros(n + 1, np.int64)
    seen = np.full(n + 1, -1, np.int64)
    lo = np.empty(64)
    hi = np.empty(64)
    own = np.empty(64, np.int64)
    lo2 = np.empty(64)  # second buffer: the envelope is rebuilt into it at each step
    hi2 = np.empty(64)
    own2 = np.empty(64, np.int64)
    p = 0
    widest = 0
    for s in range(m, n + 1):
        t = s - m
        if t == 0:
            lo[0] = -np.inf
            hi[0] = np.inf
            own[0] = 0
            p = 1
        elif t >= m:
            if 3 * p + 1 > lo2.size:  # each piece splits into at most three
                lo2 = np.empty(6 * p + 2)
                hi2 = np.empty(6 * p + 2)
                own2 = np.empty(6 * p + 2, np.int64)
            p = _insert(t, lo, hi, own, p, lo2, hi2, own2, s1, s2, f)
            lo, lo2 = lo2, lo
            hi, hi2 = hi2, hi
            own, own2 = own2, own
        best = np.inf
        arg = -1
        alive = 0
        for i in range(p):
            o = own[i]
            if seen[o] == s:
                continue
            seen[o] = s
            alive += 1
            length = s - o
            a = s1[s] - s1[o]
            v = f[o] + pen + (s2[s] - s2[o] - a * a / length)
            if v < best or (v == best and o < arg):
                best = v
                arg = o
        f[s] = best
        last[s] = arg
        widest = max(widest, alive)
    return f, last, widest
