"""Bayesian online change-point detection (Adams & MacKay 2007), numeric core.

numpy (and :mod:`math`) only. The model: the series is cut into segments; a new
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

import numpy as np

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
    threshold: float = 1e-8,
    max_run: int | None = None,
    smooth: bool = True,
) -> BocpdResult:
    """Run the truncated forward (and optionally backward) recursion; see the module docstring."""
    x, hazard = _check(x, hazard)
    n = x.size
    if n == 0:
        raise ValueError("x must hold at least one observation")
    tab = _Tables(prior, n)
    rows = tab.rows
    log_thr = math.log(threshold) if threshold > 0 else -math.inf
    lp0 = tab.logpred(x, prior.mu0, prior.beta0, 0)  # prior predictive of every observation
    log_h = np.log(hazard)
    log_1mh = np.log1p(-hazard)
    # a new run started at t has absorbed x[t] only: its state is known in advance
    d0 = x - prior.mu0
    start_mu = prior.mu0 + d0 * tab.gain[0]
    start_beta = prior.beta0 + d0 * d0 * tab.spread[0]
    # state rows: posterior mean, beta, run length r (kappa and alpha follow from r: r+1 obs
    # absorbed); one column per retained run length
    state = np.array([[start_mu[0]], [start_beta[0]], [0.0]])
    la = np.zeros(1)
    change_f = np.full(n, np.nan)
    log_ev = float(lp0[0])
    runs_t, la_t, lp_t = [state[2]], [la], [_EMPTY]
    keep_t = [np.zeros(1, dtype=np.int64)]
    max_active = 1
    for t in range(1, n):
        const, df_scale, power, gain, spread = rows[:, state[2].astype(np.intp) + 1]
        d = x[t] - state[0]
        d2 = d * d
        beta = state[1]
        lp = const - 0.5 * np.log(beta) - power * np.log1p(d2 / (beta * df_scale))
        new = np.empty(lp.size + 1)
        new[0] = log_h[t] + lp0[t]
        np.add(la, lp, out=new[1:])
        new[1:] += log_1mh[t]
        top = new.max()
        lse = top + math.log(np.exp(new - top).sum())
        log_ev += lse
        new -= lse
        change_f[t] = math.exp(new[0])
        keep = _prune(new, log_thr, max_run)
        cand = np.empty((3, lp.size + 1))
        cand[:, 0] = (start_mu[t], start_beta[t], 0.0)
        cand[0, 1:] = state[0] + d * gain
        cand[1, 1:] = beta + d2 * spread
        cand[2, 1:] = state[2] + 1.0
        state = cand[:, keep]
        la = new[keep]
        runs_t.append(state[2].copy())  # a copy: a view would keep the whole state alive
        la_t.append(la)
        lp_t.append(lp)
        keep_t.append(keep)
        max_active = max(max_active, la.size)
    return _assemble(runs_t, la_t, lp_t, keep_t, lp0, hazard, change_f, log_ev, max_active, smooth)


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


def _prune(la: np.ndarray, log_thr: float, max_run: int | None) -> np.ndarray:
    """Return the indices of run lengths kept: mass above threshold, at most ``max_run``, 0 always."""
    keep = np.flatnonzero(la > log_thr)
    if max_run is not None and keep.size > max_run:
        top = np.argpartition(la[keep], keep.size - max_run)[keep.size - max_run:]
        keep = np.sort(keep[top])
    if keep.size == 0 or keep[0] != 0:
        keep = np.concatenate([[0], keep])
    return keep


def _assemble(
    runs_t: list[np.ndarray],
    la_t: list[np.ndarray],
    lp_t: list[np.ndarray],
    keep_t: list[np.ndarray],
    lp0: np.ndarray,
    hazard: np.ndarray,
    change_f: np.ndarray,
    log_ev: float,
    max_active: int,
    smooth: bool,
) -> BocpdResult:
    n = len(runs_t)
    sizes = np.array([r.size for r in runs_t], dtype=np.int64)
    runs = np.concatenate(runs_t).astype(np.int64)
    step = np.repeat(np.arange(n), sizes)
    if smooth:
        prob = np.concatenate(_backward(la_t, lp_t, keep_t, lp0, hazard))
    else:
        prob = np.exp(np.concatenate(la_t))
    change_s = np.full(n, np.nan)
    if smooth:
        change_s[1:] = prob[np.cumsum(sizes)[:-1]]  # run length 0 is the first entry of each step
        # smoothed entries below 1e-12 carry nothing worth storing (run length 0 is kept)
        keep = (prob > 1e-12) | (runs == 0)
        runs, prob, step = runs[keep], prob[keep], step[keep]
        sizes = np.bincount(step, minlength=n)
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    mean_run = np.bincount(step, runs * prob, n) / np.bincount(step, prob, n)
    return BocpdResult(offsets, runs, prob, change_f, change_s, mean_run, log_ev, max_active, smooth)


def _backward(
    la_t: list[np.ndarray],
    lp_t: list[np.ndarray],
    keep_t: list[np.ndarray],
    lp0: np.ndarray,
    hazard: np.ndarray,
) -> list[np.ndarray]:
    """Smoothed run-length posteriors from the stored forward quantities."""
    n = len(la_t)
    lb = np.zeros(la_t[-1].size)
    post: list[np.ndarray] = [np.empty(0)] * n
    post[-1] = _normalise(la_t[-1])
    log_h = np.log(hazard)
    log_1mh = np.log1p(-hazard)
    for t in range(n - 2, -1, -1):
        # lb at t from lb at t+1: a run either grows (if that candidate was kept) or a new one
        # starts; keep[0] == 0 (the new run) is always kept
        keep = keep_t[t + 1]
        grow = np.empty(la_t[t].size)
        grow.fill(-np.inf)
        grow[keep[1:] - 1] = lb[1:]
        grow += lp_t[t + 1]
        grow += log_1mh[t + 1]
        lb = np.logaddexp(grow, log_h[t + 1] + lp0[t + 1] + lb[0])
        lb -= lb.max()  # a constant shift per step keeps the numbers small
        post[t] = _normalise(la_t[t] + lb)
        lp_t[t + 1] = keep_t[t + 1] = _EMPTY  # free memory as we go
    return post


_EMPTY = np.empty(0)


def _normalise(logw: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.exp(logw - logw.max())
    out /= out.sum()
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
