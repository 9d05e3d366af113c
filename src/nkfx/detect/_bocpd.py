"""Bayesian online change-point detection (Adams & MacKay 2007), numeric core.

numpy, :mod:`math` and numba (the loops). The model: the series is cut into segments; a new
segment starts at observation ``t >= 1`` with probability ``hazard[t]``
(independently of the past); within a segment the observations are i.i.d.
``N(mu, 1/tau)`` with ``(mu, tau)`` drawn from a Normal–Gamma prior
``tau ~ Gamma(alpha0, rate=beta0)``, ``mu | tau ~ N(mu0, 1/(kappa0 tau))``.

Run length ``r_t`` is the number of observations of the current segment before
``x_t`` (``r_t = 0``: a segment starts at ``t``). The forward pass computes the
filtering distribution ``P(r_t | x_0..x_t)``, pruning run lengths whose mass falls
below ``threshold`` (and keeping at most ``max_run`` of them), so the cost is
O(n·R) for R retained run lengths. The optional backward pass over the same
retained run lengths gives the smoothed distribution ``P(r_t | x_0..x_{n-1})``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from nkfx.detect.pelt._costs import jit

__all__ = ["BocpdResult", "Prior", "bocpd", "bocpd_quadratic", "gap_hazard", "window_probability"]


@dataclass(frozen=True)
class Prior:
    """Normal–Gamma prior of one segment's mean and precision."""

    mu0: float
    kappa0: float
    alpha0: float
    beta0: float


@dataclass(frozen=True)
class BocpdResult:
    """Run-length posterior in compressed rows: entries ``offsets[t]:offsets[t+1]`` are time ``t``.

    ``prob`` holds the smoothed posterior when ``smoothed`` is true, else the filtering one.
    ``change_filtered[t] = P(r_t = 0 | x_0..x_t)``; ``change_smoothed[t] = P(r_t = 0 | all x)``
    (NaN when not smoothed); both are NaN at ``t = 0``, where a segment starts by definition.
    ``threshold`` is the pruning threshold used; ``mass_dropped`` the filtering probability
    removed by pruning summed over all steps, ``mass_dropped_max`` its largest value at one step.
    """

    offsets: np.ndarray
    runs: np.ndarray
    prob: np.ndarray
    change_filtered: np.ndarray
    change_smoothed: np.ndarray
    mean_run: np.ndarray
    log_evidence: float
    max_active: int
    smoothed: bool
    threshold: float = 0.0
    mass_dropped: float = 0.0
    mass_dropped_max: float = 0.0


def gap_hazard(days: np.ndarray, expected_run_days: float) -> np.ndarray:
    """Per-observation hazard ``1 - exp(-gap / expected_run_days)`` from elapsed days.

    ``days`` are the observation times in days (increasing); element 0 is NaN.
    """
    gaps = np.diff(np.asarray(days, dtype=float))
    return np.concatenate([[np.nan], -np.expm1(-gaps / expected_run_days)])


def _logsumexp(a: np.ndarray) -> float:
    m = float(a.max())
    if not math.isfinite(m):
        return m
    return m + math.log(float(np.exp(a - m).sum()))


def _check(x: np.ndarray, hazard: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.ascontiguousarray(x, dtype=float)
    hazard = np.asarray(hazard, dtype=float)
    if x.ndim != 1 or hazard.shape != x.shape:
        raise ValueError("x and hazard must be 1-D arrays of the same length")
    h = hazard[1:]
    if x.size and (not np.isfinite(x).all() or not ((h > 0) & (h < 1)).all()):
        raise ValueError("x must be finite and hazard[1:] strictly between 0 and 1")
    return x, hazard


def bocpd(
    x: np.ndarray,
    hazard: np.ndarray,
    prior: Prior,
    *,
    threshold: float = 1e-9,
    max_run: int | None = None,
    smooth: bool = True,
) -> BocpdResult:
    """Run the pruned forward (and optionally backward) recursion; see the module docstring.

    The loops are compiled with numba (:func:`nkfx.detect.pelt._costs.jit`). ``mass_dropped`` on
    the result is the filtering mass removed by pruning, summed over all steps.

    Examples
    --------
    >>> x = np.r_[np.zeros(20), np.full(20, 3.0)] + np.random.default_rng(0).normal(0, 0.1, 40)
    >>> h = np.full(40, 0.05)
    >>> res = bocpd(x, h, Prior(0.0, 0.1, 1.0, 0.01))
    >>> int(np.nanargmax(res.change_smoothed)), res.mass_dropped < 1e-6
    (20, True)
    """
    x, hazard = _check(x, hazard)
    n = x.size
    if n == 0:
        raise ValueError("x must hold at least one observation")
    tab = _Tables(prior, n)
    log_thr = math.log(threshold) if threshold > 0 else -math.inf
    lp0 = tab.logpred(x, prior.mu0, prior.beta0, 0)  # prior predictive of every observation
    with np.errstate(divide="ignore", invalid="ignore"):
        log_h = np.log(hazard)
        log_1mh = np.log1p(-hazard)
    # a new run started at t has absorbed x[t] only: its state is known in advance
    d0 = x - prior.mu0
    start_mu = prior.mu0 + d0 * tab.gain[0]
    start_beta = prior.beta0 + d0 * d0 * tab.spread[0]
    fwd = _forward(x, log_h, log_1mh, lp0, start_mu, start_beta, tab.const, tab.df_scale,
                   tab.power, tab.gain, tab.spread, log_thr, -1 if max_run is None else int(max_run))
    offsets, runs, prob, parent, g, change_f, log_ev, max_active, dropped, dropped_max = fwd
    change_s = np.full(n, np.nan)
    if smooth:
        _backward(offsets, prob, parent, g, int(max_active))  # prob: filtering -> smoothed
        change_s[1:] = prob[offsets[1:-1]]  # run length 0 is the first entry of each step
        offsets, runs, prob = _compact(offsets, runs, prob, 1e-12)
    mean_run = _mean_run(offsets, runs, prob)
    return BocpdResult(offsets, runs, prob, change_f, change_s, mean_run, float(log_ev),
                       int(max_active), smooth, float(threshold), float(dropped), float(dropped_max))


class _Tables:
    """Per-count constants of the Normal–Gamma posterior (index m = observations absorbed)."""

    def __init__(self, prior: Prior, n: int) -> None:
        m = np.arange(n + 2, dtype=float)
        kappa = prior.kappa0 + m
        alpha = prior.alpha0 + m / 2.0
        lg = np.array([math.lgamma(a) for a in np.append(alpha, alpha[-1] + 0.5)])
        # predictive Student-t: df = 2 alpha, scale^2 = beta * (kappa+1) / (alpha kappa)
        self.const = lg[1:] - lg[:-1] - 0.5 * np.log(2.0 * math.pi * (kappa + 1.0) / kappa)
        self.df_scale = 2.0 * (kappa + 1.0) / kappa  # df * scale^2 / beta
        self.power = alpha + 0.5
        self.gain = 1.0 / (kappa + 1.0)  # weight of the new observation in the mean
        self.spread = kappa / (2.0 * (kappa + 1.0))  # increment of beta per squared deviation
        self.rows = np.vstack((self.const, self.df_scale, self.power, self.gain, self.spread))

    def logpred(self, x: np.ndarray | float, mu: np.ndarray | float, beta: np.ndarray | float,
                m: np.ndarray | int) -> np.ndarray:
        d = x - mu
        z = d * d / (beta * self.df_scale[m])
        out: np.ndarray = self.const[m] - 0.5 * np.log(beta) - self.power[m] * np.log1p(z)
        return out


@jit
def _forward(
    x: np.ndarray, log_h: np.ndarray, log_1mh: np.ndarray, lp0: np.ndarray, start_mu: np.ndarray,
    start_beta: np.ndarray, const: np.ndarray, df_scale: np.ndarray, power: np.ndarray,
    gain: np.ndarray, spread: np.ndarray, log_thr: float, max_run: int,
) -> tuple[Any, ...]:
    """Pruned filtering recursion; stores what the backward pass needs, step after step.

    Per stored entry: run length, filtering probability, index of the parent entry at the
    previous step and the entry's transition weight ``g``: for a grown run
    ``(1 - h_t) p(x_t | parent) / c_t``, for the new run (first entry) ``h_t p0(x_t) / c_t``,
    with one scale ``c_t`` per step (it cancels in the backward pass, which then needs no
    logarithm or exponential).
    """
    n = x.size
    mu, beta, logb = np.empty(n + 1), np.empty(n + 1), np.empty(n + 1)
    run, la, pl = np.empty(n + 1, np.int64), np.empty(n + 1), np.empty(n + 1)
    nmu, nbeta, nlogb = np.empty(n + 1), np.empty(n + 1), np.empty(n + 1)
    nrun, nla, npl = np.empty(n + 1, np.int64), np.empty(n + 1), np.empty(n + 1)
    new, ev, lp, keep = np.empty(n + 1), np.empty(n + 1), np.empty(n + 1), np.empty(n + 1, np.int64)
    cbeta, clogb = np.empty(n + 1), np.empty(n + 1)  # updated beta of every candidate, its log
    cap = max(128 * n, 1024)  # virtual: pages are allocated when written; growth copies
    runs_s, pl_s = np.empty(cap, np.int32), np.empty(cap)
    par_s, g_s = np.empty(cap, np.int32), np.empty(cap)
    offsets = np.zeros(n + 1, np.int64)
    change_f = np.full(n, np.nan)
    size = 1
    mu[0], beta[0], logb[0], run[0] = start_mu[0], start_beta[0], math.log(start_beta[0]), 0
    la[0], pl[0] = 0.0, 1.0
    runs_s[0], pl_s[0], par_s[0], g_s[0] = 0, 1.0, -1, 1.0
    offsets[1] = pos = 1
    log_ev, max_active, dropped, dropped_max = lp0[0], 1, 0.0, 0.0
    for t in range(1, n):
        xt = x[t]
        new[0] = top = log_h[t] + lp0[t]
        for i in range(size):
            # Student-t predictive: beta * df_scale + d^2 = df_scale * beta_new (spread = 1 /
            # df_scale), so log1p(d^2 / (beta df_scale)) = log(beta_new) - log(beta): one log
            m = run[i] + 1
            d = xt - mu[i]
            cbeta[i] = beta[i] + d * d * spread[m]
            clogb[i] = math.log(cbeta[i])
            lp[i] = const[m] + (power[m] - 0.5) * logb[i] - power[m] * clogb[i]
            new[i + 1] = la[i] + lp[i] + log_1mh[t]
            top = max(top, new[i + 1])
        s = 0.0
        for i in range(size + 1):
            ev[i] = math.exp(new[i] - top)
            s += ev[i]
        lse = top + math.log(s)
        log_ev += lse
        change_f[t] = ev[0] / s
        kept = _prune_nb(new, size + 1, log_thr + lse, max_run, keep)
        if pos + kept > cap:  # grow the stores
            cap = 2 * cap + kept
            runs_s, pl_s = _grow(runs_s, cap), _grow(pl_s, cap)
            par_s, g_s = _grow(par_s, cap), _grow(g_s, cap)
        lost, nxt = 0.0, 0
        for i in range(size + 1):  # the mass of the candidates not kept
            if nxt < kept and keep[nxt] == i:
                nxt += 1
            else:
                lost += ev[i] / s
        for j in range(kept):
            i = keep[j]
            if i == 0:
                nmu[j], nbeta[j], nlogb[j], nrun[j] = start_mu[t], start_beta[t], math.log(start_beta[t]), 0
                par_s[pos + j], g_s[pos + j] = -1, ev[0]
            else:
                p = i - 1
                m = run[p] + 1
                nmu[j], nbeta[j], nlogb[j], nrun[j] = mu[p] + (xt - mu[p]) * gain[m], cbeta[p], clogb[p], m
                # ev[i] / pl[p] = (1 - h) p(x_t | p) exp(-top); directly if pl[p] underflowed
                g = ev[i] / pl[p] if pl[p] > 0.0 else math.exp(lp[p] + log_1mh[t] - top)
                par_s[pos + j], g_s[pos + j] = p, g
            nla[j] = new[i] - lse
            npl[j] = ev[i] / s
            runs_s[pos + j], pl_s[pos + j] = nrun[j], npl[j]
        dropped += lost
        dropped_max = max(dropped_max, lost)
        mu, nmu, beta, nbeta, logb, nlogb = nmu, mu, nbeta, beta, nlogb, logb
        run, nrun, la, nla, pl, npl = nrun, run, nla, la, npl, pl
        size = kept
        pos += kept
        offsets[t + 1] = pos
        max_active = max(max_active, kept)
    # views, not copies: pages of the stores never written are never allocated
    return (offsets, runs_s[:pos], pl_s[:pos], par_s[:pos], g_s[:pos],
            change_f, log_ev, max_active, dropped, dropped_max)


@jit
def _grow(a: np.ndarray, cap: int) -> np.ndarray:
    out = np.empty(cap, a.dtype)
    out[: a.size] = a
    return out


@jit
def _prune_nb(new: np.ndarray, size: int, log_thr: float, max_run: int, keep: np.ndarray) -> int:
    """Write the indices of the candidates kept into ``keep`` (ascending); return their count.

    Kept: mass above ``log_thr``, at most ``max_run`` of them (the most probable), 0 always.
    """
    count = 0
    for i in range(size):
        if new[i] > log_thr:
            count += 1
    cut = log_thr
    strict = True
    if max_run > 0 and count > max_run:
        vals = np.empty(count)
        c = 0
        for i in range(size):
            if new[i] > log_thr:
                vals[c] = new[i]
                c += 1
        cut = np.partition(vals, count - max_run)[count - max_run]  # the max_run-th largest
        strict = False
    kept = 0
    for i in range(size):
        ok = (new[i] > cut) if strict else (new[i] >= cut and new[i] > log_thr)
        if ok or i == 0:
            keep[kept] = i
            kept += 1
    return kept


@jit
def _backward(offsets: np.ndarray, pl: np.ndarray, parent: np.ndarray, g: np.ndarray,
              max_active: int) -> None:
    """Smoothed run-length posteriors, written over the filtering ones in ``pl``.

    The backward message of an entry at ``t`` is ``g`` of its grown child times the child's
    message, plus ``g`` of the new run at ``t + 1`` times that run's message (a run either
    grows, if that candidate was kept, or restarts); rescaled to a maximum of 1 at each step.
    """
    n = offsets.size - 1
    lb, lbn = np.ones(max_active + 1), np.empty(max_active + 1)
    _normalise_nb(pl, offsets[n - 1], offsets[n], lb)
    for t in range(n - 2, -1, -1):
        a, b, c, d = offsets[t], offsets[t + 1], offsets[t + 1], offsets[t + 2]
        base = g[c] * lb[0]
        for i in range(b - a):
            lbn[i] = base
        for j in range(1, d - c):
            lbn[parent[c + j]] += g[c + j] * lb[j]
        top = 0.0
        for i in range(b - a):
            top = max(top, lbn[i])
        if top > 0.0:
            for i in range(b - a):
                lbn[i] /= top
        lb, lbn = lbn, lb
        _normalise_nb(pl, a, b, lb)


@jit
def _normalise_nb(pl: np.ndarray, a: int, b: int, lb: np.ndarray) -> None:
    s = 0.0
    for i in range(a, b):
        pl[i] *= lb[i - a]
        s += pl[i]
    for i in range(a, b):
        pl[i] /= s


@jit
def _compact(
    offsets: np.ndarray, runs: np.ndarray, prob: np.ndarray, floor: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop entries with probability below ``floor`` (run length 0 is kept), in place.

    Returns views of the front of ``runs`` and ``prob``: no new large array is allocated
    (at 10^6 observations, fresh pages cost more than the pass itself).
    """
    n = offsets.size - 1
    out_off = np.zeros(n + 1, np.int64)
    pos = 0
    for t in range(n):
        for i in range(offsets[t], offsets[t + 1]):
            if prob[i] > floor or runs[i] == 0:
                runs[pos], prob[pos] = runs[i], prob[i]
                pos += 1
        out_off[t + 1] = pos
    return out_off, runs[:pos], prob[:pos]


@jit
def _mean_run(offsets: np.ndarray, runs: np.ndarray, prob: np.ndarray) -> np.ndarray:
    n = offsets.size - 1
    out = np.empty(n)
    for t in range(n):
        s, w = 0.0, 0.0
        for i in range(offsets[t], offsets[t + 1]):
            s += runs[i] * prob[i]
            w += prob[i]
        out[t] = s / w
    return out


def window_probability(res: BocpdResult, start: int, end: int) -> float:
    """P(a segment starts at some observation in ``start..end``), ``1 <= start <= end``.

    No change in ``start..end`` means the segment holding ``end`` began before
    ``start``, i.e. ``r_end > end - start``; the answer uses the run-length
    posterior stored at ``end`` (smoothed or filtering, as computed).
    """
    lo, hi = res.offsets[end], res.offsets[end + 1]
    runs = res.runs[lo:hi]
    prob = res.prob[lo:hi]
    total = float(prob.sum())
    return float(prob[runs <= end - start].sum()) / total


def bocpd_quadratic(x: np.ndarray, hazard: np.ndarray, prior: Prior) -> np.ndarray:
    """Plain untruncated filtering recursion (O(n^2)); returns ``P(r_t = 0 | x_0..x_t)``.

    A reference for tests and the benchmark: every run length is kept, and the
    Student-t predictive is evaluated from the full posterior parameters.
    """
    x, hazard = _check(x, hazard)
    n = x.size
    out = np.full(n, np.nan)
    if n == 0:
        return out
    lg = np.array([math.lgamma(prior.alpha0 + m / 2.0) for m in range(n + 3)])
    c = lg[1:] - lg[:-1]
    p0 = np.array([prior.mu0, prior.kappa0, prior.alpha0, prior.beta0])
    state = _nig_update(x[0], p0[:, None])
    la = np.zeros(1)
    for t in range(1, n):
        lp = _student_logpdf(x[t], state, c[1:t + 1])
        lp0 = float(_student_logpdf(x[t], p0[:, None], c[:1])[0])
        new = np.concatenate(([math.log(hazard[t]) + lp0], la + lp + math.log1p(-hazard[t])))
        la = new - _logsumexp(new)
        out[t] = math.exp(la[0])
        state = _nig_update(x[t], np.concatenate((p0[:, None], state), axis=1))
    return out


def _student_logpdf(x: float, state: np.ndarray, c: np.ndarray) -> np.ndarray:
    mu, kappa, alpha, beta = state
    df = 2.0 * alpha
    scale2 = beta * (kappa + 1.0) / (alpha * kappa)
    out: np.ndarray = c - 0.5 * np.log(df * math.pi * scale2) - (alpha + 0.5) * np.log1p(
        (x - mu) ** 2 / (df * scale2))
    return out


def _nig_update(x: float, state: np.ndarray) -> np.ndarray:
    mu, kappa, alpha, beta = state
    k1 = kappa + 1.0
    return np.stack((( kappa * mu + x) / k1, k1, alpha + 0.5, beta + kappa * (x - mu) ** 2 / (2.0 * k1)))
