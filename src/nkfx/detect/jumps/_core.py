"""Jumps in a drifting rate: exact L0-penalised jump detection (numeric core, numpy in/out).

The model is DeCAFS's (Romano, Rigaill, Runge & Fearnhead 2022, JASA 117, 2147-2162),
written for irregular report dates. With ``y_t`` the log rate on day ``d_t``::

    y_t  = mu_t + eps_t
    mu_t = mu_{t-1} + eta_t            eta_t ~ N(0, s_eta * (d_t - d_{t-1}))   (no jump)
    mu_t = mu_{t-1} + delta_t          delta_t free, cost beta                  (jump)
    eps_t = phi_t * eps_{t-1} + nu_t   phi_t = exp(-(d_t - d_{t-1}) / tau),
                                       nu_t ~ N(0, s_eps * (1 - phi_t**2))

so the underlying rate ``mu`` drifts as a random walk whose variance grows with the days
elapsed, the reports scatter around it with autocorrelated (Ornstein-Uhlenbeck) noise of
stationary variance ``s_eps`` and memory ``tau`` days, and ``mu`` jumps at a few dates.
With equal spacing this is DeCAFS exactly (``lambda = 1 / s_eta``, ``gamma = 1 / sdNu**2``).

We minimise twice the negative log-likelihood plus ``beta`` per jump::

    (y_0 - mu_0)**2 / s_eps
      + sum_t gamma_t * ((y_t - mu_t) - phi_t * (y_{t-1} - mu_{t-1}))**2
      + sum_t [jump at t ? beta : lambda_t * (mu_t - mu_{t-1})**2]

over every path ``mu`` and every set of jump times, exactly (``fit_jumps(first_weight=)``
changes the first report's weight, e.g. to R DeCAFS's). The optimal cost as a
function of the current level, ``Q_t(mu)``, is the pointwise minimum of quadratics, one per
jump history still able to win (functional pruning). Each step maps every quadratic
through the two branches (drift or jump), both infimal convolutions of a quadratic with a
quadratic and so quadratics again, and keeps only those on the lower envelope. Each
quadratic remembers its last jump, so backtracking needs no stored functions; the path
``mu`` given the jumps is then one tridiagonal solve.

One restriction makes it fast: a history is kept only while it is the best for some level
within the reports' range widened by that range on each side. Histories that win only for
levels far outside it (thousands of noise sds away) made up most of the candidates. The
optimum matches exhaustive search and R DeCAFS in every test.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from nkfx.detect.pelt._costs import jit

__all__ = [
    "VAR_FLOOR",
    "JumpFit",
    "NoiseModel",
    "brute_force",
    "estimate_noise",
    "fit_jumps",
    "objective",
    "smooth_path",
    "step_weights",
]

#: MAD to standard deviation for Gaussian data.
_MAD_SD = 1.482602218505602
#: Floor of the estimated variances (log points squared: 0.01% noise).
VAR_FLOOR = 1e-8


@dataclass(frozen=True)
class NoiseModel:
    """Drift and noise of the jump model, per day (see the module docstring).

    ``s_eta``: random-walk variance per day; ``s_eps``: stationary noise variance;
    ``tau``: noise memory in days (0: independent reports).
    """

    s_eta: float
    s_eps: float
    tau: float

    def phi_at(self, days: float) -> float:
        """Autocorrelation of the noise between reports ``days`` apart."""
        return 0.0 if self.tau <= 0 else math.exp(-days / self.tau)


@dataclass(frozen=True, eq=False)
class JumpFit:
    """Optimal jumps of one series: positions ``t`` (first new observation), path, cost."""

    jumps: np.ndarray  # int64, sorted positions of the first observation after each jump
    path: np.ndarray  # fitted underlying level mu (same scale as y)
    objective: float  # minimised value (twice the negative log-likelihood + beta * jumps)
    beta: float
    max_candidates: int  # most quadratics alive at one step (cost of functional pruning)


def step_weights(days: np.ndarray, model: NoiseModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-step ``lambda_t``, ``gamma_t``, ``phi_t`` (index 0 unused) from elapsed days."""
    gap = np.diff(days, prepend=days[0])
    gap[0] = 1.0
    lam = 1.0 / (model.s_eta * gap)
    phi = np.exp(-gap / model.tau) if model.tau > 0 else np.zeros_like(gap)
    gam = 1.0 / (model.s_eps * (1.0 - phi * phi))
    phi[0], lam[0], gam[0] = 0.0, 0.0, 1.0 / model.s_eps
    return lam, gam, phi


def estimate_noise(y: np.ndarray, days: np.ndarray, max_lag: int = 15, tau_max: float = 2.0
                   ) -> NoiseModel:
    """Robust method-of-moments estimates of ``s_eta``, ``s_eps`` and ``tau``.

    For lags ``k = 1..max_lag`` (in reports) the squared MAD of ``y[t+k] - y[t]``
    estimates ``Var = s_eta * E + 2 * s_eps * (1 - exp(-E / tau))`` with ``E`` the median
    days spanned (DeCAFS's estimator, written in days). Medians ignore the rare jumps.
    ``tau`` is found on a grid (0, and 0.2 to ``tau_max`` median spacings), the two
    variances by non-negative least squares on relative errors (so short lags, which
    carry the noise, weigh as much as long ones). Variances are floored at ``1e-8``
    (0.01% noise on the log scale) so runs of identical quotes do not make the model
    degenerate.

    Why ``tau_max``: over a window of 15 reports, noise that forgets slowly grows like a
    random walk, and the two cannot be told apart; letting ``tau`` run long makes the
    estimate put the drift into the noise (``s_eta`` near 0) in a fifth of simulated
    random walks, and each then shows spurious jumps. Noise that persists for longer
    than about two reports is treated as drift of the rate.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> days = np.arange(2000) * 14.0
    >>> y = np.cumsum(rng.normal(0, 0.02, 2000)) + rng.normal(0, 0.01, 2000)
    >>> m = estimate_noise(y, days)
    >>> round(float(np.sqrt(m.s_eta * 14)), 3), round(float(np.sqrt(m.s_eps)), 3)
    (0.02, 0.01)
    """
    n = y.size
    lags = np.arange(1, max(1, min(max_lag, n // 3)) + 1)
    w = np.empty(lags.size)
    e = np.empty(lags.size)
    for i, k in enumerate(lags):
        d = y[k:] - y[:-k]
        w[i] = (_MAD_SD * np.median(np.abs(d - np.median(d)))) ** 2
        e[i] = np.median(days[k:] - days[:-k])
    spacing = float(np.median(np.diff(days))) if n > 1 else 1.0
    floor = VAR_FLOOR
    wt = 1.0 / np.maximum(w, floor)
    best: tuple[float, float, float, float] = (math.inf, 0.0, 0.0, 0.0)
    for tau in np.r_[0.0, np.geomspace(0.2 * spacing, tau_max * spacing, 40)]:
        x2 = 2.0 * (1.0 - np.exp(-e / tau)) if tau > 0 else np.full(e.size, 2.0)
        coef = _nnls2(e * wt, x2 * wt, w * wt)
        sse = float(np.sum(((coef[0] * e + coef[1] * x2 - w) * wt) ** 2))
        if sse < best[0]:
            best = (sse, float(coef[0]), float(coef[1]), float(tau))
    s_eta = max(best[1], floor / max(spacing, 1e-9))
    s_eps = max(best[2], floor)
    return NoiseModel(s_eta=s_eta, s_eps=s_eps, tau=best[3])


def _nnls2(x1: np.ndarray, x2: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Least squares ``w ~ a * x1 + b * x2`` with ``a, b >= 0`` (two columns: try the faces)."""
    X = np.column_stack([x1, x2])
    coef, *_ = np.linalg.lstsq(X, w, rcond=None)
    if (coef >= 0).all():
        return np.asarray(coef)
    out, sse = np.zeros(2), float(np.sum(w * w))
    for j, col in enumerate((x1, x2)):
        denom = float(col @ col)
        if denom > 0:
            c = max(0.0, float(col @ w) / denom)
            s = float(np.sum((w - c * col) ** 2))
            if s < sse:
                out, sse = np.zeros(2), s
                out[j] = c
    return out


@jit
def _envelope(A: np.ndarray, B: np.ndarray, C: np.ndarray, m: int, keep: np.ndarray,
              lo: float, hi: float) -> None:
    """Mark in ``keep`` the quadratics that are the minimum somewhere in ``[lo, hi]``.

    Sweeps from ``lo``: the current minimum is left at the first crossing, to the right of
    the current position, where another quadratic goes below it. ``lo = -inf`` and
    ``hi = inf`` give the envelope on the whole line.
    """
    for i in range(m):
        keep[i] = False
    cur = 0
    if lo == -np.inf:
        for j in range(1, m):  # at -inf: smallest curvature, then largest slope, then lowest
            if _lower_at_minus_inf(A[j] - A[cur], B[j] - B[cur], C[j] - C[cur],
                                   abs(A[j]) + abs(A[cur]), abs(B[j]) + abs(B[cur])):
                cur = j
    else:  # lowest at lo, then lowest just after it
        best = (A[0] * lo + B[0]) * lo + C[0]
        for j in range(1, m):
            v = (A[j] * lo + B[j]) * lo + C[j]
            if v < best or (v == best and 2.0 * A[j] * lo + B[j] < 2.0 * A[cur] * lo + B[cur]):
                best, cur = v, j
    x = lo
    for _ in range(2 * m + 2):  # two convex quadratics cross at most twice
        keep[cur] = True
        best_r = np.inf
        nxt = -1
        for j in range(m):
            if j == cur:
                continue
            dA = A[j] - A[cur]
            dB = B[j] - B[cur]
            dC = C[j] - C[cur]
            r = _first_down_crossing(dA, dB, dC, x, abs(A[j]) + abs(A[cur]))
            if r < best_r:
                best_r, nxt = r, j
            elif (r == best_r and nxt >= 0 and r < np.inf
                  and 2.0 * A[j] * r + B[j] < 2.0 * A[nxt] * r + B[nxt]):
                nxt = j  # several cross at one point: the lowest just after it wins
        if nxt < 0 or best_r >= hi:
            return
        x, cur = best_r, nxt


@jit
def _lower_at_minus_inf(dA: float, dB: float, dC: float, scale_a: float, scale_b: float) -> bool:
    """Whether ``q_j - q_cur = dA x^2 + dB x + dC`` is negative as ``x -> -inf``.

    Curvatures (and slopes) equal up to rounding count as equal, as in
    :func:`_first_down_crossing`: otherwise a quadratic a rounding error flatter but higher
    everywhere would win at -inf and, its difference then read as linear, never be left.
    """
    if abs(dA) > 1e-13 * scale_a:
        return dA < 0.0
    if abs(dB) > 1e-13 * scale_b:
        return dB > 0.0
    return dC < 0.0


@jit
def _first_down_crossing(dA: float, dB: float, dC: float, x: float, scale: float) -> float:
    """Smallest ``r > x`` where ``dA r^2 + dB r + dC`` changes sign from + to - (else inf)."""
    if abs(dA) <= 1e-13 * scale:
        if dB < 0.0:
            r = -dC / dB
            if r > x:
                return r
        return np.inf
    disc = dB * dB - 4.0 * dA * dC
    if disc <= 0.0:
        return np.inf
    sq = math.sqrt(disc)
    q = -0.5 * (dB + sq) if dB >= 0 else -0.5 * (dB - sq)
    r1 = q / dA
    r2 = dC / q if q != 0.0 else r1
    lo, hi = min(r1, r2), max(r1, r2)
    # a convex difference (dA > 0) goes down at the first root; a concave one at the second
    r = lo if dA > 0 else hi
    if 2.0 * dA * r + dB >= 0:  # touching, not crossing
        return np.inf
    if r > x:
        return r
    return np.inf


@jit
def _grow(a: np.ndarray, size: int) -> np.ndarray:
    """Copy ``a`` into a new array of ``size`` (at least ``a.size``) elements."""
    out = np.empty(size, dtype=a.dtype)
    out[:a.size] = a
    return out


@jit
def _branches(A: np.ndarray, B: np.ndarray, C: np.ndarray, node: np.ndarray, k: int,
              g: float, ph: float, lm: float, z: float, beta: float, cA: np.ndarray,
              cB: np.ndarray, cC: np.ndarray, cnode: np.ndarray, cjump: np.ndarray) -> int:
    """Map each of the ``k`` quadratics through the drift and the jump branch; return 2k.

    Drift: ``min_u q(u) + lm (v - u)^2 + g (z - v + ph u)^2``; jump: the same without the
    drift term, plus ``beta``. Both are quadratics in ``v`` with positive curvature.
    """
    m = 0
    for i in range(k):
        L0 = B[i] + 2.0 * g * ph * z
        P = A[i] + g * ph * ph + lm
        L1 = 2.0 * (g * ph + lm)
        cA[m] = ((g + lm) * A[i] + g * lm * (1.0 - ph) ** 2) / P
        cB[m] = -2.0 * g * z + L0 * L1 / (2.0 * P)
        cC[m] = C[i] + g * z * z - L0 * L0 / (4.0 * P)
        cnode[m], cjump[m] = node[i], False
        m += 1
        P = A[i] + g * ph * ph
        L1 = 2.0 * g * ph
        cA[m] = g * A[i] / P
        cB[m] = -2.0 * g * z + L0 * L1 / (2.0 * P)
        cC[m] = C[i] + g * z * z - L0 * L0 / (4.0 * P) + beta
        cnode[m], cjump[m] = node[i], True
        m += 1
    return m


@jit
def _backtrack(nd: int, ntime: np.ndarray, nparent: np.ndarray) -> np.ndarray:
    """Jump times of the history whose last jump is node ``nd`` (-1: none), in order."""
    count = 0
    walk = nd
    while walk >= 0:
        count += 1
        walk = nparent[walk]
    jumps = np.empty(count, dtype=np.int64)
    for i in range(count - 1, -1, -1):
        jumps[i] = ntime[nd]
        nd = nparent[nd]
    return jumps


@jit
def _dp(y: np.ndarray, lam: np.ndarray, gam: np.ndarray, phi: np.ndarray, beta: float,
        lo: float, hi: float) -> tuple[np.ndarray, float, int]:
    """Functional-pruning recursion; returns jump positions, optimum, largest candidate set.

    ``gam[0] > 0`` weighs the first report's term ``(y_0 - mu_0)**2``; every quadratic then
    has a positive curvature (both branches keep it positive), so each has a minimum.
    Histories are kept only while they are the best somewhere in ``[lo, hi]``: most
    histories that survive on the whole line are the best only for levels thousands of noise
    sds away from every report, and dropping them makes the recursion several times faster.
    Each history carries its last jump as a node of a tree (time, parent node).
    """
    # survivors (at most 2k of k) and candidates (2k) share one capacity, kept >= 2k
    A, B, C = np.empty(128), np.empty(128), np.empty(128)
    node = np.empty(128, dtype=np.int64)
    cA, cB, cC = np.empty(128), np.empty(128), np.empty(128)
    cnode, cjump = np.empty(128, dtype=np.int64), np.empty(128, dtype=np.bool_)
    keep = np.empty(128, dtype=np.bool_)
    ntime, nparent = np.empty(1024, dtype=np.int64), np.empty(1024, dtype=np.int64)
    n_nodes = 0
    # Q_0(mu) = gamma_0 (y_0 - mu)^2: the noise term of the first report
    A[0], B[0], C[0], node[0] = gam[0], -2.0 * gam[0] * y[0], gam[0] * y[0] * y[0], -1
    k = widest = 1
    for t in range(1, y.size):
        if 2 * k > A.size:
            cA, cB, cC = _grow(cA, 4 * k), _grow(cB, 4 * k), _grow(cC, 4 * k)
            cnode, cjump, keep = _grow(cnode, 4 * k), _grow(cjump, 4 * k), _grow(keep, 4 * k)
            A, B, C, node = _grow(A, 4 * k), _grow(B, 4 * k), _grow(C, 4 * k), _grow(node, 4 * k)
        m = _branches(A, B, C, node, k, gam[t], phi[t], lam[t], y[t] - phi[t] * y[t - 1], beta,
                      cA, cB, cC, cnode, cjump)
        _envelope(cA, cB, cC, m, keep, lo, hi)
        k = 0
        for j in range(m):
            if not keep[j]:
                continue
            A[k], B[k], C[k], node[k] = cA[j], cB[j], cC[j], cnode[j]
            if cjump[j]:  # a new jump: a new node of the history tree
                if n_nodes >= ntime.size:
                    ntime, nparent = _grow(ntime, 2 * ntime.size), _grow(nparent, 2 * ntime.size)
                ntime[n_nodes], nparent[n_nodes] = t, cnode[j]
                node[k] = n_nodes
                n_nodes += 1
            k += 1
        widest = max(widest, k)
    best, best_val = 0, np.inf
    for i in range(k):
        v = C[i] - B[i] * B[i] / (4.0 * A[i])
        if v < best_val:
            best, best_val = i, v
    return _backtrack(node[best], ntime, nparent), best_val, widest


def smooth_path(y: np.ndarray, jumps: np.ndarray, lam: np.ndarray, gam: np.ndarray,
                phi: np.ndarray) -> np.ndarray:
    """Return the level ``mu`` minimising the objective for given jumps (one tridiagonal solve)."""
    from scipy.linalg import solveh_banded  # lazy: scipy comes with statsmodels

    n = y.size
    drift = lam.copy()
    drift[0] = 0.0
    drift[np.asarray(jumps, dtype=np.int64)] = 0.0
    z = y.copy()
    z[1:] = y[1:] - phi[1:] * y[:-1]
    diag = gam.copy()
    diag[:-1] += gam[1:] * phi[1:] ** 2
    diag[1:] += drift[1:]
    diag[:-1] += drift[1:]
    off = -gam[1:] * phi[1:] - drift[1:]
    rhs = gam * z
    rhs[:-1] -= (gam[1:] * phi[1:] * z[1:])
    if n == 1:
        return y.copy()
    banded = np.zeros((2, n))
    banded[0, 1:] = off
    banded[1] = diag
    return np.asarray(solveh_banded(banded, rhs), dtype=np.float64)


def objective(y: np.ndarray, mu: np.ndarray, jumps: np.ndarray, lam: np.ndarray,
              gam: np.ndarray, phi: np.ndarray, beta: float) -> float:
    """Evaluate the penalised objective of a path ``mu`` with the given jumps."""
    eps = y - mu
    total = gam[0] * eps[0] ** 2 + float(np.sum(gam[1:] * (eps[1:] - phi[1:] * eps[:-1]) ** 2))
    drift = lam[1:] * np.diff(mu) ** 2
    is_jump = np.zeros(y.size, dtype=bool)
    is_jump[np.asarray(jumps, dtype=np.int64)] = True
    return float(total + np.sum(drift[~is_jump[1:]]) + beta * int(is_jump.sum()))


def fit_jumps(y: np.ndarray, days: np.ndarray, model: NoiseModel, beta: float,
              first_weight: float | None = None) -> JumpFit:
    """Exact optimum of the jump model for one series (``days`` strictly increasing).

    The data are centred and scaled internally (the optimum does not change) so the
    quadratics' coefficients stay near 1 whatever the units. ``first_weight`` weighs the
    first report's term ``(y_0 - mu_0)**2``: by default ``1 / s_eps``, the stationary noise
    precision, which makes the objective twice the exact negative log-likelihood. R's
    DeCAFS 3.3.3 uses ``gamma / (1 - phi**2)`` (``gamma = 1 / sdNu**2``) in its code (its
    documentation says ``(1 - phi**2) * gamma``, our default); passing that weight
    reproduces its output (tests/test_jumps_reference.py).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.r_[np.zeros(20), np.ones(20)] + 0.01 * np.sin(np.arange(40))
    >>> days = np.arange(40) * 14.0
    >>> fit = fit_jumps(y, days, NoiseModel(s_eta=1e-6, s_eps=1e-4, tau=0.0), beta=20.0)
    >>> fit.jumps.tolist()
    [20]
    """
    y = np.ascontiguousarray(y, dtype=np.float64)
    days = np.ascontiguousarray(days, dtype=np.float64)
    weight = 1.0 / model.s_eps if first_weight is None else float(first_weight)
    if not (math.isfinite(weight) and weight > 0):
        raise ValueError(f"first_weight must be a positive finite number; got {first_weight!r}")
    spacing = float(np.median(np.diff(days))) if y.size > 1 else 1.0
    centre, scale = float(np.median(y)), math.sqrt(model.s_eps + model.s_eta * spacing)
    scaled = NoiseModel(s_eta=model.s_eta / scale**2, s_eps=model.s_eps / scale**2, tau=model.tau)
    ys = (y - centre) / scale
    lam, gam, phi = step_weights(days, scaled)
    gam[0] = weight * scale**2
    # levels searched: the range of the reports widened by that range on each side (the
    # optimal level never leaves the reports' range by much; tested against exhaustive search)
    width = max(float(np.ptp(ys)), 1.0)
    lo, hi = float(ys.min()) - width, float(ys.max()) + width
    jumps, best, widest = _dp(ys, lam, gam, phi, float(beta), lo, hi)
    path = smooth_path(ys, jumps, lam, gam, phi)
    return JumpFit(jumps=jumps, path=centre + scale * path, objective=float(best),
                   beta=float(beta), max_candidates=int(widest))


def brute_force(y: np.ndarray, days: np.ndarray, model: NoiseModel, beta: float
                ) -> tuple[np.ndarray, float]:
    """Exhaustive optimum over every set of jump times (tests only: 2**(n-1) solves).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0.0, 0.01, 1.0, 1.02, 0.99])
    >>> jumps, best = brute_force(y, np.arange(5.0), NoiseModel(1e-4, 1e-3, 0.0), beta=10.0)
    >>> jumps.tolist()
    [2]
    """
    lam, gam, phi = step_weights(np.asarray(days, dtype=np.float64), model)
    best_j: Any = np.zeros(0, dtype=np.int64)
    best = math.inf
    n = y.size
    for size in range(n):
        for subset in itertools.combinations(range(1, n), size):
            jumps = np.array(subset, dtype=np.int64)
            mu = smooth_path(y, jumps, lam, gam, phi)
            value = objective(y, mu, jumps, lam, gam, phi, beta)
            if value < best:
                best, best_j = value, jumps
    return best_j, best
