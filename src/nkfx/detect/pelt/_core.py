"""Exact penalised change-point segmentation: PELT and FPOP (numeric core, numpy in/out).

Minimises ``sum_j cost(segment_j) + penalty * (number of breaks)`` (plus the segment
length term of ``"mbic"``) over all segmentations whose segments hold at least
``min_size`` observations. Two exact solvers give the same optimum:

- PELT (Killick, Fearnhead & Eckley 2012) for every cost and penalty. With a minimum
  segment length a candidate pruned at ``s`` is dropped only from ``s + min_size`` on:
  before that the pruning argument does not hold. (ruptures drops it at once, which
  can miss the optimum when ``min_size > 1`` and the penalty is small; tested.)
- FPOP (:mod:`nkfx.detect.pelt._fpop`) for ``"l2"`` with a constant penalty, which stays
  near ``O(n log n)`` when changes are rare.
- FPOP over piecewise quadratics (:mod:`nkfx.detect.pelt._robust`) for ``"biweight"`` with
  a constant penalty; PELT with exact biweight segment costs for ``"mbic"`` (slower:
  a biweight segment cost is not a function of prefix sums).

Breaks follow the contract of :mod:`nkfx.detect`: break ``b`` means observation ``b``
is the last of the old regime. ruptures' ``predict()`` returns ``breaks + 1`` and ``n``.
"""

from __future__ import annotations

import itertools
import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from nkfx._validate import check_option
from nkfx.detect.pelt._costs import jit, prefix_sums, segment_cost, segment_costs
from nkfx.detect.pelt._fpop import fpop_l2
from nkfx.detect.pelt._penalty import COST_TABLE, COSTS, PenaltySpec, resolve_penalty
from nkfx.detect.pelt._robust import biweight_fit, fpop_biweight, pelt_biweight
from nkfx.errors import NkfxTypeError, NkfxValueError

__all__ = ["ALGORITHMS", "PathEntry", "PeltResult", "as_signal", "crops", "pelt"]

ALGORITHMS: tuple[str, ...] = ("auto", "fpop", "pelt")
#: Variance floor of the ``"normal"`` cost, relative to the robust noise variance.
VAR_FLOOR_FACTOR = 1e-6
#: Default cap of the ``"biweight"`` cost, in robust noise standard deviations.
BIWEIGHT_K = 3.0


@dataclass(frozen=True, eq=False)
class PeltResult:
    """An optimal penalised segmentation of one series.

    ``breaks`` are 0-based indices of the last observation of each old regime;
    ``cost`` is the unpenalised total cost and ``objective`` the minimised value.
    """

    breaks: np.ndarray
    n: int
    cost_name: str
    penalty: float
    penalty_name: str | None
    segment_coef: float
    sigma2: float
    var_floor: float
    min_size: int
    algorithm: str
    cost: float
    objective: float
    max_candidates: int
    noise_sd: float = math.nan  # noise sd the penalty is scaled by; the biweight cap unit
    phi: float = math.nan  # robust AR(1) coefficient of the noise, clipped to [0, 0.9]
    lrv: float = math.nan  # long-run variance of the noise (the scale of "bic-lrv")
    cap: float = math.nan  # biweight cap c = K * noise_sd (NaN for other costs)
    levels: np.ndarray | None = None  # robust level of each segment (biweight only)

    @property
    def n_breaks(self) -> int:
        """Number of breaks."""
        return int(self.breaks.size)

    @property
    def ends(self) -> np.ndarray:
        """Exclusive segment ends, ruptures' ``predict()`` convention (last one is ``n``)."""
        return np.append(self.breaks + 1, self.n)


def pelt(
    y: Any,
    *,
    cost: str = "l2",
    penalty: str | float = "bic",
    min_size: int = 2,
    algorithm: str = "auto",
    biweight_k: float = BIWEIGHT_K,
) -> PeltResult:
    """Find the exact optimal penalised segmentation of ``y``.

    Parameters
    ----------
    y : array_like of float, shape (n,)
        Finite values, in time order.
    cost : {"l2", "normal", "biweight"}, default "l2"
        Change in mean (residual sum of squares); change in mean and variance
        (twice the Gaussian negative log-likelihood, variance floored at
        ``1e-6 * sigma2``); or change in level with the robust biweight loss
        ``sum min((y_i - mu)**2, c**2)``, ``c = biweight_k * noise_sd``, so that one
        wild value costs at most ``c**2`` and cannot open a regime on its own
        (Fearnhead & Rigaill 2019).
    penalty : {"bic", "bic-lrv", "mbic"} or float, default "bic"
        Named criteria are described in :mod:`nkfx.detect.pelt._penalty` (for ``"l2"``,
        ``"bic"`` is ``2 * log(n) * sigma2`` and ``"bic-lrv"`` is ``2 * log(n) * lrv``,
        with ``lrv`` the long-run variance of robustly fitted AR(1) noise); a number is
        the penalty per break in the units of the cost, as ruptures' ``pen``.
    min_size : int, default 2
        Minimum number of observations per segment (ruptures' ``min_size`` with
        ``jump=1``). At least 2 for ``"normal"``.
    algorithm : {"auto", "fpop", "pelt"}, default "auto"
        ``"auto"`` uses FPOP for ``"l2"`` and ``"biweight"`` with a constant penalty,
        PELT otherwise.
    biweight_k : float, default 3.0
        Cap of the ``"biweight"`` cost in robust noise standard deviations ``noise_sd``
        (the marginal sd of the AR(1) fit behind ``"bic-lrv"``). Ignored by other costs.

    Returns
    -------
    PeltResult

    Examples
    --------
    >>> import numpy as np
    >>> y = np.r_[np.zeros(50), np.full(50, 3.0)] + np.random.default_rng(1).normal(size=100)
    >>> res = pelt(y, penalty="bic")
    >>> res.breaks.tolist(), res.algorithm
    ([49], 'fpop')
    >>> res.ends.tolist()  # ruptures' Pelt(...).predict() convention
    [50, 100]

    A report keyed in ten times too large (``log(10) = 2.3``) is a regime for ``"l2"``
    (with its neighbour: segments hold at least ``min_size = 2`` points), and nothing for
    ``"biweight"``:

    >>> flat = np.random.default_rng(2).normal(8.0, 0.02, 100)
    >>> flat[60] += np.log(10)
    >>> pelt(flat).breaks.tolist(), pelt(flat, cost="biweight").breaks.tolist()
    ([59, 61], [])
    """
    x = as_signal(y)
    check_option("cost", cost, COSTS)
    check_option("algorithm", algorithm, ALGORITHMS)
    _check_min_size(min_size, x.size, cost)
    k = check_biweight_k(biweight_k)
    spec = resolve_penalty(penalty, cost=cost, y=x)
    return _solve(x, cost, spec, min_size, algorithm, k)


def check_biweight_k(value: Any) -> float:
    """Return ``biweight_k`` as a float, or raise naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise NkfxTypeError(f"biweight_k must be a positive number (noise sds); got "
                            f"{type(value).__name__}")
    if not (math.isfinite(float(value)) and float(value) > 0.0):
        raise NkfxValueError(f"biweight_k must be a positive number (noise sds); got {value!r}")
    return float(value)


def as_signal(y: Any, name: str = "y") -> np.ndarray:
    """Return ``y`` as a finite float64 vector or raise naming ``name``."""
    try:
        x = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise NkfxTypeError(f"{name} must be a 1-D array of numbers; got {type(y).__name__}") from exc
    if x.ndim != 1:
        raise NkfxValueError(f"{name} must be one-dimensional; got shape {x.shape}")
    if x.size == 0:
        raise NkfxValueError(f"{name} is empty; segmentation needs observations")
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        more = f" and {bad.size - 5} more" if bad.size > 5 else ""
        raise NkfxValueError(
            f"{name} has NaN or infinite values at positions {bad[:5].tolist()}{more}; "
            "drop or fill them first"
        )
    return x


def _check_min_size(min_size: Any, n: int, cost: str) -> None:
    if isinstance(min_size, bool) or not isinstance(min_size, numbers.Integral):
        raise NkfxTypeError(f"min_size must be an int (observations); got {type(min_size).__name__}")
    low, why = COST_TABLE[cost].min_segment, COST_TABLE[cost].why_min
    if int(min_size) < low:
        raise NkfxValueError(f"min_size must be >= {low} for cost={cost!r}{why}; got {min_size}")
    if int(min_size) > n:
        raise NkfxValueError(
            f"min_size must be at most the series length n={n}; got {min_size}"
        )


def _solve(x: np.ndarray, cost: str, spec: PenaltySpec, min_size: int, algorithm: str,
           biweight_k: float = BIWEIGHT_K) -> PeltResult:
    kind = COST_TABLE[cost]
    if kind.kernel == "biweight":
        return _solve_biweight(x, spec, min_size, algorithm, biweight_k)
    constant = spec.segment_coef == 0.0
    if algorithm == "fpop" and not (kind.fpop and constant):
        raise NkfxValueError(
            "algorithm='fpop' needs cost='l2' and a constant penalty ('bic' or a number); "
            f"got cost={cost!r}, penalty={spec.name!r}; use algorithm='pelt' or 'auto'"
        )
    use_fpop = algorithm == "fpop" or (algorithm == "auto" and kind.fpop and constant)
    floor = VAR_FLOOR_FACTOR * spec.sigma2 if kind.var_floor else 0.0
    s1, s2 = prefix_sums(x)
    if use_fpop:
        _, last, widest = fpop_l2(s1, s2, spec.per_change, min_size)
    else:
        _, last, widest = _pelt_kernel(
            s1, s2, spec.per_change, min_size, kind.code, floor, spec.segment_coef
        )
    ends = _backtrack(last, x.size)
    seg = segment_costs(kind.code, x, ends, floor)
    lengths = np.diff(np.concatenate([[0], ends]))
    total = float(seg.sum())
    objective = total + spec.per_change * (ends.size - 1)
    objective += spec.segment_coef * float(np.sum(np.log(lengths / x.size)))
    return PeltResult(
        breaks=ends[:-1] - 1,
        n=int(x.size),
        cost_name=cost,
        penalty=spec.per_change,
        penalty_name=spec.name,
        segment_coef=spec.segment_coef,
        sigma2=spec.sigma2,
        var_floor=floor,
        min_size=int(min_size),
        algorithm="fpop" if use_fpop else "pelt",
        cost=total,
        objective=objective,
        max_candidates=int(widest),
        noise_sd=math.sqrt(spec.scale if spec.name is not None and kind.noise_scaled
                           else spec.sigma2),
        phi=spec.noise.phi,
        lrv=spec.noise.lrv,
    )


def _solve_biweight(x: np.ndarray, spec: PenaltySpec, min_size: int, algorithm: str,
                    biweight_k: float) -> PeltResult:
    constant = spec.segment_coef == 0.0
    if algorithm == "fpop" and not constant:
        raise NkfxValueError(
            "algorithm='fpop' needs a constant penalty ('bic', 'bic-lrv' or a number); "
            f"got penalty={spec.name!r}; use algorithm='pelt' or 'auto'"
        )
    use_fpop = constant and algorithm != "pelt"
    var = spec.scale if spec.name is not None else spec.sigma2  # the penalty's own scale
    sd = math.sqrt(var)
    cap = biweight_k * sd
    z = (x - np.median(x)) / sd
    if use_fpop:
        _, last, widest, _ = fpop_biweight(z, spec.per_change / var, biweight_k, min_size)
    else:
        _, last, widest = pelt_biweight(z, spec.per_change / var, biweight_k, min_size,
                                        spec.segment_coef / var)
    ends = _backtrack(last, x.size)
    seg, levels = biweight_fit(x, ends, cap)
    total = float(seg.sum())
    objective = total + spec.per_change * (ends.size - 1)
    objective += spec.segment_coef * float(np.sum(np.log(np.diff(np.r_[0, ends]) / x.size)))
    return PeltResult(
        breaks=ends[:-1] - 1, n=int(x.size), cost_name="biweight", penalty=spec.per_change,
        penalty_name=spec.name, segment_coef=spec.segment_coef, sigma2=spec.sigma2,
        var_floor=0.0, min_size=int(min_size), algorithm="fpop" if use_fpop else "pelt",
        cost=total, objective=objective, max_candidates=int(widest),
        noise_sd=sd, phi=spec.noise.phi, lrv=spec.noise.lrv, cap=cap, levels=levels,
    )


@dataclass(frozen=True, eq=False)
class PathEntry:
    """One segmentation of a penalty path, optimal for penalties in [``low``, ``high``]."""

    low: float
    high: float
    result: PeltResult


def crops(
    y: Any,
    *,
    pen_min: float,
    pen_max: float,
    cost: str = "l2",
    min_size: int = 2,
    max_runs: int = 200,
    biweight_k: float = BIWEIGHT_K,
) -> list[PathEntry]:
    """Every optimal segmentation for penalties in ``[pen_min, pen_max]`` (CROPS).

    Haynes, Eckley & Fearnhead (2017), "Computationally efficient changepoint
    detection for a range of penalties", JCGS 26, 134-143: the optimal cost is a
    concave, piecewise-linear function of the penalty, and solving at the penalty where
    two known solutions cost the same either finds a new solution in between or proves
    there is none. About ``2 * (number of solutions)`` runs. Penalties are in the units
    of the cost (constant per break, as ruptures' ``pen``).

    Returns
    -------
    list of PathEntry
        Ordered by increasing penalty (decreasing number of breaks); consecutive
        entries share a boundary penalty where both are optimal.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> y = np.r_[np.zeros(40), np.full(40, 4.0), np.full(40, 1.0)] + rng.normal(size=120)
    >>> path = crops(y, pen_min=1.0, pen_max=1000.0)
    >>> [e.result.n_breaks for e in path][-3:]
    [2, 1, 0]
    >>> path[-2].result.breaks.tolist()
    [39]
    """
    x = as_signal(y)
    check_option("cost", cost, COSTS)
    _check_min_size(min_size, x.size, cost)
    for value in (pen_min, pen_max):
        resolve_penalty(value, cost=cost, y=x[:2])  # same checks and message as penalty=
    if not pen_min < pen_max:
        raise NkfxValueError(f"pen_min must be < pen_max; got {pen_min!r} and {pen_max!r}")

    def solve(pen: float) -> PeltResult:
        return pelt(x, cost=cost, penalty=pen, min_size=min_size, biweight_k=biweight_k)

    found = {r.n_breaks: r for r in (solve(float(pen_min)), solve(float(pen_max)))}
    todo = [(found[max(found)], found[min(found)])]
    runs = 2
    while todo and runs < max_runs:
        a, b = todo.pop()
        if a.n_breaks <= b.n_breaks + 1:
            continue
        pen = (b.cost - a.cost) / (a.n_breaks - b.n_breaks)  # where both cost the same
        if not a.penalty < pen < b.penalty:  # rounding: nothing representable in between
            continue
        c = solve(pen)
        runs += 1
        if c.n_breaks in (a.n_breaks, b.n_breaks):
            continue
        found[c.n_breaks] = c
        todo += [(a, c), (c, b)]
    return _envelope(sorted(found.values(), key=lambda r: -r.n_breaks), pen_min, pen_max)


def _envelope(results: list[PeltResult], pen_min: float, pen_max: float) -> list[PathEntry]:
    """Penalty range of each solution: between its crossings with its neighbours."""
    bounds = [float(pen_min)]
    for a, b in itertools.pairwise(results):
        cross = (b.cost - a.cost) / (a.n_breaks - b.n_breaks)
        bounds.append(min(max(cross, bounds[-1]), float(pen_max)))
    bounds.append(float(pen_max))
    return [PathEntry(lo, hi, r) for lo, hi, r in zip(bounds[:-1], bounds[1:], results, strict=True)]


def _backtrack(last: np.ndarray, n: int) -> np.ndarray:
    ends = []
    s = n
    while s > 0:
        ends.append(s)
        s = int(last[s])
    return np.array(ends[::-1], dtype=np.int64)


@jit
def _pelt_kernel(
    s1: np.ndarray,
    s2: np.ndarray,
    pen: float,
    min_size: int,
    kind: int,
    floor: float,
    seg_coef: float,
) -> tuple[np.ndarray, np.ndarray, int]:
    """PELT with pruning delayed by ``min_size``; same outputs as :func:`fpop_l2`."""
    n = s1.size - 1
    m = min_size
    log_n = math.log(n)
    f = np.full(n + 1, np.inf)
    f[0] = -pen
    last = np.zeros(n + 1, np.int64)
    cands = np.empty(n + 1, np.int64)  # increasing, so ties go to the earliest (as ruptures)
    vals = np.empty(n + 1)
    death = np.full(n + 1, n + 1, np.int64)  # first step at which a candidate is dropped
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
            v = f[o] + pen + segment_cost(kind, s1, s2, o, s, floor)
            if seg_coef != 0.0:  # mbic: log(n_j / n) is subadditive, so pruning stays exact
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
            if death[o] > n and vals[i] > best + pen:  # F(o) + C(o, s) > F(s)
                death[o] = s + m
            if death[o] > s + 1:
                cands[j] = o
                j += 1
        k = j
    return f, last, widest

