"""Numeric core of common breaks: one break date shared by several irregular series.

Each series ``i`` has its own report days and a mean that shifts at dates common to
all series (Bai, Lumsdaine & Stock 1998; Qu & Perron 2007, mean-shift case, with
series-specific variances). The break dates minimise the quasi-likelihood
``sum_i SSR_i / w_i`` with ``w_i`` each series' residual variance, iterated to a fixed
point. Dates live on the *union grid*: the sorted distinct report days of all series.
A break at grid position ``b`` means the new regime starts at grid day ``b``; every
series then splits at its own last report before that day.

Confidence intervals (Bai 1997, extended to a panel in calendar time): moving the
break by ``d`` grid steps changes the objective by ``A|d| + 2 sqrt(B) W(d)`` with
``A`` the mean of ``sum_i delta_i^2 / w_i`` over reports per grid step and ``B`` the
long-run variance of the combined score ``z_j = sum_i delta_i e_ij / w_i``. Hence
``(b_hat - b0) / lambda -> argmax (W(s) - |s|/2)`` with ``lambda = B / A^2``. Taking
``B`` from the combined score keeps the correlation between cities (reports of the
same day share shocks) and the autocorrelation of each series.

The test of one common date against separate dates compares ``sum_i SSR_i / w_i`` at
the common date with the sum at each series' own best date, in the stretch between
the neighbouring breaks, and takes its p-value from a parametric bootstrap under the
common-break fit: Gaussian AR(1) noise per series with a shock shared by series that
report on the same day, both fitted to the residuals. (A wild bootstrap keeps each
residual at its date, and the residuals next to the break are the ones that decided
the observed split: re-signing them made the test reject about 0.5% of the time at
5%, so fresh noise is drawn instead.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nkfx.detect.bai_perron._ci import _quantile
from nkfx.detect.ftests._hac import hac_meat

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_VAR_FLOOR = 1e-12  # a run of identical quotes has zero variance; keep weights finite
_MAX_ITER = 25


@dataclass(frozen=True)
class Panel:
    """Series on one union grid: ``pos[i]`` are grid positions of series ``i``'s reports."""

    grid: IntArray  # days (int) of the union grid, sorted, distinct
    pos: tuple[IntArray, ...]
    y: tuple[FloatArray, ...]

    @property
    def k(self) -> int:
        return len(self.y)

    @property
    def n_grid(self) -> int:
        return int(self.grid.size)


def make_panel(days: list[IntArray], y: list[FloatArray]) -> Panel:
    """Build the union grid of several series given their (sorted, distinct) report days."""
    grid = np.unique(np.concatenate(days)).astype(np.int64)
    pos = tuple(np.searchsorted(grid, d).astype(np.int64) for d in days)
    return Panel(grid, pos, tuple(np.asarray(v, dtype=np.float64) for v in y))


def _cums(panel: Panel, y: tuple[FloatArray, ...] | None = None) -> tuple[FloatArray, ...]:
    """Per series, cumulative count, sum and sum of squares on the grid (length N + 1)."""
    ys = panel.y if y is None else y
    n = panel.n_grid
    count = np.zeros((panel.k, n + 1))
    s1 = np.zeros((panel.k, n + 1))
    s2 = np.zeros((panel.k, n + 1))
    for i, (p, v) in enumerate(zip(panel.pos, ys, strict=True)):
        count[i, 1:] = np.cumsum(np.bincount(p, minlength=n))
        s1[i, 1:] = np.cumsum(np.bincount(p, weights=v, minlength=n))
        s2[i, 1:] = np.cumsum(np.bincount(p, weights=v * v, minlength=n))
    return count, s1, s2


def _ssr(cums: tuple[FloatArray, ...], a: IntArray, b: IntArray) -> tuple[FloatArray, FloatArray]:
    """SSR and count of each series on grid segments ``[a, b)`` (arrays broadcast)."""
    count, s1, s2 = cums
    n = count[:, b] - count[:, a]
    s = s1[:, b] - s1[:, a]
    q = s2[:, b] - s2[:, a]
    with np.errstate(invalid="ignore", divide="ignore"):
        ssr = np.where(n > 0, q - s * s / np.where(n > 0, n, 1.0), 0.0)
    return np.maximum(ssr, 0.0), n


def single_break(cums: tuple[FloatArray, ...], w: FloatArray, lo: int, hi: int,
                 h: int) -> tuple[int, float]:
    """Best common break in grid stretch ``[lo, hi)``: (start of new regime, cost); -1 if none.

    Every series must keep at least ``h`` reports on each side.
    """
    b = np.arange(lo + 1, hi, dtype=np.int64)
    if b.size == 0:
        return -1, math.inf
    left, n_left = _ssr(cums, np.full_like(b, lo), b)
    right, n_right = _ssr(cums, b, np.full_like(b, hi))
    cost = ((left + right) / w[:, None]).sum(axis=0)
    ok = ((n_left >= h) & (n_right >= h)).all(axis=0)
    if not ok.any():
        return -1, math.inf
    cost = np.where(ok, cost, np.inf)
    j = int(np.argmin(cost))
    return int(b[j]), float(cost[j])


def own_breaks(cums: tuple[FloatArray, ...], lo: int, hi: int, h: int) -> tuple[IntArray, FloatArray]:
    """Each series' own best single break in ``[lo, hi)`` (its own SSR; -1 where none fits)."""
    b = np.arange(lo + 1, hi, dtype=np.int64)
    k = cums[0].shape[0]
    if b.size == 0:
        return np.full(k, -1, dtype=np.int64), np.full(k, np.inf)
    left, n_left = _ssr(cums, np.full_like(b, lo), b)
    right, n_right = _ssr(cums, b, np.full_like(b, hi))
    cost = np.where((n_left >= h) & (n_right >= h), left + right, np.inf)
    # Among equal costs (a series without reports between two grid days) take the
    # earliest day after its last old report, i.e. the first minimiser.
    j = np.argmin(cost, axis=1)
    best = cost[np.arange(k), j]
    return np.where(np.isfinite(best), b[j], -1).astype(np.int64), best


def segment_costs(cums: tuple[FloatArray, ...], w: FloatArray, h: int) -> FloatArray:
    """Weighted cost of every grid segment ``[a, b)``; inf where a series has < h reports."""
    n = cums[0].shape[1] - 1
    a, b = np.triu_indices(n + 1, k=1)
    ssr, cnt = _ssr(cums, a, b)
    cost = np.where((cnt >= h).all(axis=0), (ssr / w[:, None]).sum(axis=0), np.inf)
    out = np.full((n + 1, n + 1), np.inf)
    out[a, b] = cost
    return out


def partition(cost: FloatArray, m: int) -> tuple[IntArray, float]:
    """Exact optimal ``m``-break partition of the grid from a segment-cost matrix (DP)."""
    n = cost.shape[0] - 1
    best = cost[0].copy()  # best[b]: optimal cost of [0, b) with j breaks
    back = np.zeros((m + 1, n + 1), dtype=np.int64)
    for j in range(1, m + 1):
        total = best[:, None] + cost  # total[a, b] = best_j-1(a) + cost(a, b)
        arg = np.argmin(total, axis=0)
        best = total[arg, np.arange(n + 1)]
        back[j] = arg
    if not np.isfinite(best[n]):
        return np.empty(0, dtype=np.int64), math.inf
    bounds = []
    b = n
    for j in range(m, 0, -1):
        b = int(back[j, b])
        bounds.append(b)
    return np.asarray(bounds[::-1], dtype=np.int64), float(best[n])


def series_ssr(cums: tuple[FloatArray, ...], starts: IntArray) -> tuple[FloatArray, FloatArray]:
    """SSR and count of each series summed over the segments that ``starts`` define."""
    n = cums[0].shape[1] - 1
    edges = np.r_[0, starts, n].astype(np.int64)
    ssr, cnt = _ssr(cums, edges[:-1], edges[1:])
    return ssr.sum(axis=1), cnt.sum(axis=1)


def fit_breaks(panel: Panel, m: int, h: int, w0: FloatArray) -> tuple[IntArray, FloatArray, int]:
    """Fit ``m`` common breaks; return their starts and the weights at the fixed point.

    Returns (starts, weights, iterations). The weights are each series' residual
    variance under the current partition; iteration stops when the partition repeats.
    """
    cums = _cums(panel)
    w = np.maximum(w0, _VAR_FLOOR)
    seen: list[tuple[int, ...]] = []
    starts = np.empty(0, dtype=np.int64)
    for it in range(1, _MAX_ITER + 1):
        if m == 0:
            starts = np.empty(0, dtype=np.int64)
        elif m == 1:
            b, _ = single_break(cums, w, 0, panel.n_grid, h)
            starts = np.asarray([b] if b >= 0 else [], dtype=np.int64)
        else:
            starts, _ = partition(segment_costs(cums, w, h), m)
        if starts.size != m:
            return starts, w, it
        ssr, cnt = series_ssr(cums, starts)
        w = np.maximum(ssr / cnt, _VAR_FLOOR)
        key = tuple(int(s) for s in starts)
        if key in seen:
            return starts, w, it
        seen.append(key)
    return starts, w, _MAX_ITER


def start_weights(panel: Panel) -> FloatArray:
    """Robust first weights: half the mean squared change between reports, per series."""
    out = np.empty(panel.k)
    for i, v in enumerate(panel.y):
        d = np.diff(v)
        out[i] = 0.5 * float(np.mean(d * d)) if d.size else 1.0
    return np.maximum(out, _VAR_FLOOR)


def residuals(panel: Panel, starts: IntArray) -> tuple[list[FloatArray], FloatArray]:
    """Residuals of each series from its segment means, and the means (k, m + 1)."""
    n = panel.n_grid
    edges = np.r_[0, starts, n].astype(np.int64)
    means = np.full((panel.k, edges.size - 1), np.nan)
    out = []
    for i, (p, v) in enumerate(zip(panel.pos, panel.y, strict=True)):
        seg = np.searchsorted(edges, p, side="right") - 1
        mu = np.bincount(seg, weights=v, minlength=edges.size - 1)
        cnt = np.bincount(seg, minlength=edges.size - 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            means[i] = np.where(cnt > 0, mu / np.where(cnt > 0, cnt, 1), np.nan)
        out.append(v - means[i, seg])
    return out, means


def ci_scale(panel: Panel, resid: list[FloatArray], delta: FloatArray, w: FloatArray,
             lo: int, hi: int, members: FloatArray | None = None) -> float:
    """``lambda = B / A^2`` in grid steps for a break in stretch ``[lo, hi)``.

    ``members`` (0/1 per series) restricts the panel, e.g. to one series for its own
    interval. NaN when there is no shift or no variation to scale by.
    """
    keep = np.ones(panel.k) if members is None else members
    n = hi - lo
    a = np.zeros(n)
    z = np.zeros(n)
    for i, (p, e) in enumerate(zip(panel.pos, resid, strict=True)):
        if not keep[i] or not np.isfinite(delta[i]):
            continue
        inside = (p >= lo) & (p < hi)
        a[p[inside] - lo] += delta[i] ** 2 / w[i]
        z[p[inside] - lo] += delta[i] * e[inside] / w[i]
    if members is not None:  # one series alone: its own grid, not the union grid
        rows = np.nonzero(a > 0)[0]
        a, z = a[rows], z[rows]
    big_a = float(a.mean()) if a.size else 0.0
    if big_a <= 0.0 or a.size < 4:
        return math.nan
    big_b = float(hac_meat(np.ones((a.size, 1)), z - z.mean())[0, 0])
    return big_b / big_a**2 if big_b > 0 else math.nan


def argmax_quantile(level: float) -> float:
    """Upper ``(1 + level) / 2`` quantile of ``argmax (W(s) - |s| / 2)`` (symmetric case)."""
    return _quantile(0.5 + level / 2.0, 1.0, 1.0, 1.0)


def lr_statistic(cums: tuple[FloatArray, ...], w: FloatArray, lo: int, hi: int, h: int) -> float:
    """``sum_i (SSR_i(common) - SSR_i(own)) / w_i`` in stretch ``[lo, hi)``; NaN if no date fits."""
    b, cost = single_break(cums, w, lo, hi, h)
    _, own_cost = own_breaks(cums, lo, hi, h)
    if b < 0 or not np.isfinite(own_cost).all():
        return math.nan
    return max(cost - float((own_cost / w).sum()), 0.0)


@dataclass(frozen=True)
class NoiseModel:
    """Gaussian AR(1) noise per series, in report steps, with a same-day shared shock.

    ``phi`` and the innovation ``sd`` are per series; ``shared`` is the share of the
    innovation variance common to series reporting on the same day.
    """

    phi: FloatArray
    sd: FloatArray
    shared: float


def noise_model(panel: Panel, resid: list[FloatArray]) -> NoiseModel:
    """Fit :class:`NoiseModel` to residuals.

    ``shared`` is the mean same-day correlation of the innovations over pairs of series
    with at least 8 common days (0 when none).
    """
    phi = np.zeros(panel.k)
    sd = np.zeros(panel.k)
    innov = []
    for i, e in enumerate(resid):
        den = float(e[:-1] @ e[:-1])
        raw = float(e[1:] @ e[:-1] / den) if den > 0 else 0.0
        # Residuals around fitted means understate persistence: Kendall's bias correction.
        phi[i] = float(np.clip(raw + (1 + 3 * raw) / e.size, -0.9, 0.95))
        # Innovation sd that keeps the residuals' variance (two means per stretch fitted).
        sd[i] = float(np.sqrt(np.sum(e * e) / max(e.size - 2, 1) * (1 - phi[i] ** 2)))
        u = np.r_[e[0] * np.sqrt(1 - phi[i] ** 2), e[1:] - phi[i] * e[:-1]]
        innov.append(u)
    corr = []
    for i in range(panel.k):
        for j in range(i + 1, panel.k):
            both, a, b = np.intersect1d(panel.pos[i], panel.pos[j], return_indices=True)
            if both.size >= 8 and sd[i] > 0 and sd[j] > 0:
                corr.append(float(np.corrcoef(innov[i][a], innov[j][b])[0, 1]))
    shared = float(np.clip(np.nanmean(corr), 0.0, 0.99)) if corr else 0.0
    return NoiseModel(phi, sd, shared)


def draw_noise(rng: np.random.Generator, panel: Panel, model: NoiseModel,
               size: int) -> list[FloatArray]:
    """``size`` draws of every series' noise, shape (size, n_i) per series."""
    common = rng.standard_normal((size, panel.n_grid))
    out = []
    for i, p in enumerate(panel.pos):
        u = model.sd[i] * (np.sqrt(model.shared) * common[:, p]
                           + np.sqrt(1 - model.shared) * rng.standard_normal((size, p.size)))
        e = np.empty_like(u)
        e[:, 0] = u[:, 0] / np.sqrt(1 - model.phi[i] ** 2)
        for t in range(1, p.size):
            e[:, t] = model.phi[i] * e[:, t - 1] + u[:, t]
        out.append(e)
    return out


def bootstrap_common(panel: Panel, fitted: list[FloatArray], model: NoiseModel, w: FloatArray,
                     lo: int, hi: int, h: int, *, n_boot: int,
                     rng: np.random.Generator) -> FloatArray:
    """Parametric bootstrap draws of :func:`lr_statistic` under the common-break fit."""
    noise = draw_noise(rng, panel, model, n_boot)
    out = np.empty(n_boot)
    for r in range(n_boot):
        y = tuple(f + e[r] for f, e in zip(fitted, noise, strict=True))
        out[r] = lr_statistic(_cums(panel, y), w, lo, hi, h)
    return out


def cums(panel: Panel) -> tuple[FloatArray, ...]:
    """Public name of the cumulative sums for the API layer."""
    return _cums(panel)
