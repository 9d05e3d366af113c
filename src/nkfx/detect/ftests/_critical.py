"""Null distributions of the sup-F, ave-F, exp-F and UDmax structural-change tests.

The tables in ``data/fnull.npz`` are simulated by ``tools/simulate_critical_values.py`` (seeded; its
docstring records the settings and run time). They hold quantiles of

* ``supF``, ``aveF``, ``expF``: the sup, the average and ``log mean exp(./2)`` of
  ``||B(pi)||^2 / (pi (1 - pi))`` over ``pi`` in ``[pi0, 1 - pi0]``, ``B`` a ``q``-dimensional
  Brownian bridge (Andrews 1993; Andrews & Ploberger 1994), for ``q = 1..5`` and ``pi0`` from 0.02
  to 0.45 (100,000 replicates, 2,000 grid steps). ``pi0 = 0.5`` is added exactly: the functionals
  then reduce to a single point, distributed ``chi2(q)`` (``chi2(q) / 2`` for expF).
* ``UDmax``: Bai & Perron's (1998) maximum over ``m = 1..M`` of the m-break F statistic (Wald form
  divided by ``m``), for ``q = 1..5``, ``pi0 = 0.05..0.25`` and every ``M`` the trimming allows,
  ``floor(1 / pi0) - 1`` = 19/9/5/4/3 (8,000 replicates; issue 17: the sequential rule with
  ``max_breaks`` up to 8 at ``trim=0.1`` used to stop for want of a null). A trim between two
  tabulated ones that allows more breaks than the larger one tabulates is read at the smaller one,
  a conservative bound (:func:`udmax_conservative`). The sup over partitions is an exact DP on a
  grid, which is costly, so the grid is coarse: quantiles are stored on 200 and 400 steps of the
  same paths and carried to the sample's own number of dates ``n`` in ``1 / sqrt(N)`` (see
  :func:`_grid_rows`). Measured against Bai & Perron's published table (``q = 1``, ``pi0 = 0.15``,
  M = 5, 5%): theirs 8.88, ours 8.66 at n = 400, 8.80 at n = 1,000, 9.04 in the limit; over all 25
  cells of their table (q = 1..5, pi0 = 0.05..0.25) at n = 1,000 the mean gap is -0.07 / -0.13 /
  -0.15 at 10/5/1% and the largest 0.24 / 0.37 / 0.75. Beyond M = 5 the quantiles hardly move (q =
  1, pi0 = 0.05, n = 400, 5%: 9.81 for M = 5, 10 and 19): a large m rarely gives the maximum of
  ``F(m)``.
* ``WDmax`` (from the same draws): critical values at 90/95/97.5/99% of ``max_m c(1) / c(m) F(m)``,
  ``c(m)`` the level's quantile of ``F(m)`` (also stored, as ``Fm``), with the same grid and trim
  handling as UDmax. Against Bai & Perron's 25 cells at n = 1,000: mean gap -0.06 / -0.11 / -0.12
  / -0.14, largest 0.32 / 0.33 / 0.68 / 0.64.

How p-values are read: the empirical CDF is interpolated linearly between stored quantiles; below
the smallest stored quantile it is interpolated from ``(0, 0)``; beyond the largest (the upper
``20 / R`` tail) the survival function is extrapolated exponentially, with the rate fitted to the
stored tail beyond the 99% point. Between tabulated trims, p-values and quantiles are interpolated
linearly in ``log(lambda)``, ``lambda = ((1 - pi0) / pi0)^2`` (the supF null depends on ``pi0`` only
through ``lambda``; for aveF and expF it is a convenient scale). Outside the tabulated ranges a
clear error is raised.

Monte-Carlo standard error of a p-value ``p``: ``sqrt(p (1 - p) / R)``, i.e. 0.0007 at ``p = 0.05``
for supF/aveF/expF and 0.0024 for UDmax.
"""

from __future__ import annotations

import io
from functools import lru_cache
from importlib import resources
from typing import Literal

import numpy as np
from scipy import optimize, stats

from nkfx.errors import NkfxValueError

__all__ = [
    "null_pvalue",
    "null_quantile",
    "seq_pvalue",
    "seq_quantile",
    "udmax_conservative",
    "udmax_pvalue",
    "udmax_quantile",
    "wdmax_critical",
    "wdmax_weights",
]

Functional = Literal["supF", "aveF", "expF"]
_TAIL_FROM = 0.99  # the exponential tail is fitted to stored points beyond this probability


@lru_cache(maxsize=1)
def _tables() -> dict[str, np.ndarray]:
    """Load the simulated quantile tables once and add the exact ``pi0 = 0.5`` rows."""
    raw = resources.files("nkfx.detect").joinpath("data/fnull.npz").read_bytes()
    with np.load(io.BytesIO(raw)) as data:
        tab = {key: np.asarray(data[key]) for key in data.files}
    probs, qs = tab["probs"], tab["qs"]
    chi = np.stack([stats.chi2.ppf(probs, q) for q in qs])[:, None, :]  # (Q, 1, P)
    for key, scale in (("supF", 1.0), ("aveF", 1.0), ("expF", 0.5)):
        tab[key] = np.concatenate([tab[key].astype(float), scale * chi], axis=1)
    tab["trims"] = np.append(tab["trims"], 0.5)
    return tab


def _log_lambda(trim: float) -> float:
    return float(2.0 * np.log((1.0 - trim) / trim))


def _bracket(name: str, trim: float, trims: np.ndarray) -> tuple[int, int, float]:
    """Neighbouring tabulated trims and the interpolation weight of the upper one."""
    lo_t, hi_t = float(trims[0]), float(trims[-1])
    if not (isinstance(trim, float | int) and lo_t - 1e-12 <= trim <= hi_t + 1e-12):
        raise NkfxValueError(
            f"{name} must be a trimming fraction between {lo_t} and {hi_t} (the simulated "
            f"range); got {trim!r}"
        )
    j = int(np.clip(np.searchsorted(trims, trim), 1, len(trims) - 1))
    a, b = _log_lambda(float(trims[j - 1])), _log_lambda(float(trims[j]))
    w = float(np.clip((_log_lambda(float(trim)) - a) / (b - a), 0.0, 1.0))
    return j - 1, j, w


def _q_index(q: int, qs: np.ndarray, what: str) -> int:
    if isinstance(q, bool) or not isinstance(q, int | np.integer) or q not in set(qs.tolist()):
        raise NkfxValueError(
            f"q (number of breaking regressors) must be an integer from {qs[0]} to {qs[-1]} for "
            f"{what}; got {q!r}"
        )
    return int(q) - int(qs[0])


def _survival(x: float, values: np.ndarray, probs: np.ndarray) -> float:
    """P(T > x) from stored quantiles ``values`` at probabilities ``probs``."""
    if x <= 0.0:
        return 1.0
    if x <= values[0]:
        return float(1.0 - probs[0] * x / values[0])
    if x <= values[-1]:
        return float(1.0 - np.interp(x, values, probs))
    tail = probs >= _TAIL_FROM
    rate = np.polyfit(values[tail], np.log1p(-probs[tail]), 1)[0]  # log S linear in x
    return float((1.0 - probs[-1]) * np.exp(min(rate, 0.0) * (x - values[-1])))


def _quantile(p: float, values: np.ndarray, probs: np.ndarray) -> float:
    """Inverse of :func:`_survival` at probability ``p``."""
    if p <= probs[0]:
        return float(values[0] * p / probs[0])
    if p <= probs[-1]:
        return float(np.interp(p, probs, values))
    tail = probs >= _TAIL_FROM
    rate = np.polyfit(values[tail], np.log1p(-probs[tail]), 1)[0]
    return float(values[-1] + np.log((1.0 - p) / (1.0 - probs[-1])) / rate)


def _check_stat(stat: float) -> float:
    if isinstance(stat, bool) or not isinstance(stat, float | int | np.floating | np.integer):
        raise NkfxValueError(f"stat must be a real number; got {stat!r}")
    if np.isnan(stat):
        raise NkfxValueError("stat must be a real number; got nan")
    return float(stat)


def _check_prob(level: float) -> float:
    if not (isinstance(level, float | int | np.floating) and 0.0 < float(level) < 1.0):
        raise NkfxValueError(f"levels must be probabilities in (0, 1); got {level!r}")
    return float(level)


def null_pvalue(stat: float, *, kind: Functional = "supF", q: int, trim: float) -> float:
    """Asymptotic p-value of a supF/aveF/expF statistic (Wald scale) under no break."""
    x = _check_stat(stat)
    tab = _tables()
    iq = _q_index(q, tab["qs"], kind)
    lo, hi, w = _bracket("trim", trim, tab["trims"])
    rows = tab[kind][iq]
    if np.isinf(x):
        return 0.0
    p_lo = _survival(x, rows[lo], tab["probs"])
    p_hi = _survival(x, rows[hi], tab["probs"])
    return (1.0 - w) * p_lo + w * p_hi


def null_quantile(level: float, *, kind: Functional = "supF", q: int, trim: float) -> float:
    """Asymptotic ``level`` quantile (critical value) of a supF/aveF/expF statistic."""
    p = _check_prob(level)
    tab = _tables()
    iq = _q_index(q, tab["qs"], kind)
    lo, hi, w = _bracket("trim", trim, tab["trims"])
    rows = tab[kind][iq]
    return (1.0 - w) * _quantile(p, rows[lo], tab["probs"]) + w * _quantile(
        p, rows[hi], tab["probs"]
    )


def _grid_rows(table: np.ndarray, steps: np.ndarray, n: int | None) -> np.ndarray:
    """Quantile rows for a grid of ``n`` steps from the 200- and 400-step tables (axis 0).

    The error of a sup over a grid is of order ``sqrt(step)``, so rows are interpolated linearly
    in ``1 / sqrt(N)``: exact at 200 and 400, extrapolated beyond 400 (``n=None``: the
    continuum, ``N = inf``), held at 200 below it. Quantiles are kept non-decreasing.
    """
    x_lo, x_hi = 1.0 / np.sqrt(steps[0]), 1.0 / np.sqrt(steps[1])
    x = 0.0 if n is None else 1.0 / np.sqrt(max(float(n), float(steps[0])))
    g = (x - x_hi) / (x_lo - x_hi)  # 1 at 200 steps, 0 at 400, negative beyond
    rows = g * table[0] + (1.0 - g) * table[1]
    return np.asarray(np.maximum.accumulate(rows, axis=-1))


def _udmax_rows(
    q: int, trim: float, max_breaks: int, n: int | None
) -> tuple[np.ndarray, np.ndarray, float]:
    tab = _tables()
    iq = _q_index(q, tab["ud_qs"], "UDmax")
    lo, hi, w = _bracket("trim", trim, tab["ud_trims"])
    allowed = int(tab["ud_max_breaks"][lo] if w < 1.0 else tab["ud_max_breaks"][hi])
    if isinstance(max_breaks, bool) or not isinstance(max_breaks, int | np.integer):
        raise NkfxValueError(f"max_breaks must be an integer; got {max_breaks!r}")
    if max_breaks > int(tab["ud_max_breaks"][hi]):
        w = 0.0  # only the smaller tabulated trim has this M: conservative (see udmax_conservative)
    if not 1 <= max_breaks <= allowed:
        raise NkfxValueError(
            f"max_breaks must be between 1 and {allowed} for UDmax at trim {trim:g} (the "
            f"tabulated range); got {max_breaks!r}"
        )
    table = _grid_rows(tab["UDmax"][:, iq, :, max_breaks - 1, :], tab["ud_steps"], n)
    if w == 0.0:  # exactly on the lower trim: the upper one may not tabulate this M
        return table[lo], table[lo], 0.0
    return table[lo], table[hi], w


def udmax_conservative(trim: float, max_breaks: int) -> bool:
    """Tell whether UDmax(``max_breaks``) at ``trim`` is read from a smaller tabulated trim.

    The simulated tables hold ``M`` up to ``floor(1 / pi0) - 1`` at each tabulated ``pi0``. A
    trim between two of them can allow more breaks than the larger one tabulates; the null at
    the smaller trim is then used. A sup over more partitions is stochastically larger, so the
    p-value is an upper bound (the test is conservative).
    """
    tab = _tables()
    _, hi, w = _bracket("trim", trim, tab["ud_trims"])
    return bool(0.0 < w < 1.0 and max_breaks > int(tab["ud_max_breaks"][hi]))


def udmax_pvalue(
    stat: float, *, q: int, trim: float, max_breaks: int, n: int | None = None
) -> float:
    """P-value of Bai & Perron's UDmax with ``max_breaks`` = M, for ``n`` dates (None: limit)."""
    x = _check_stat(stat)
    row_lo, row_hi, w = _udmax_rows(q, trim, max_breaks, n)
    if np.isinf(x):
        return 0.0
    probs = _tables()["ud_probs"]
    return (1.0 - w) * _survival(x, row_lo, probs) + w * _survival(x, row_hi, probs)


def udmax_quantile(
    level: float, *, q: int, trim: float, max_breaks: int, n: int | None = None
) -> float:
    """``level`` quantile of Bai & Perron's UDmax, for ``n`` dates (None: the limit)."""
    p = _check_prob(level)
    row_lo, row_hi, w = _udmax_rows(q, trim, max_breaks, n)
    probs = _tables()["ud_probs"]
    return (1.0 - w) * _quantile(p, row_lo, probs) + w * _quantile(p, row_hi, probs)


def seq_pvalue(stat: float, q: int, trims: list[float]) -> float:
    """1 - prod_j F_j(stat): independent segment-wise sups, segment j trimmed by h / n_j."""
    cdf = 1.0
    for t in trims:
        cdf *= 1.0 - null_pvalue(stat, kind="supF", q=q, trim=t)
    return 1.0 - cdf


def seq_quantile(level: float, q: int, trims: list[float]) -> float:
    """Critical value of the sup-F(l+1|l) test: root of ``seq_pvalue(c) = 1 - level``."""
    hi = null_quantile(1 - (1 - level) / (10 * len(trims)), kind="supF", q=q, trim=0.02)
    return float(optimize.brentq(lambda c: seq_pvalue(c, q, trims) - (1 - level), 0.0, hi))


def _wd_rows(key: str, q: int, trim: float, max_breaks: int, n: int | None) -> np.ndarray:
    """Rows (over ``wd_levels``) of the ``Fm`` or ``WDmax`` table for ``max_breaks``, at ``trim``."""
    tab = _tables()
    if key not in tab:
        raise NkfxValueError("the bundled tables have no WDmax null; regenerate them with the tool")
    _udmax_rows(q, trim, max_breaks, n)  # the same argument checks as UDmax
    iq = int(q) - int(tab["ud_qs"][0])
    lo, hi, w = _bracket("trim", trim, tab["ud_trims"])
    if max_breaks > int(tab["ud_max_breaks"][hi]) or w == 0.0:
        w, hi = 0.0, lo  # as UDmax: the smaller tabulated trim (conservative)
    table = _grid_rows(tab[key][:, iq, :, max_breaks - 1, :], tab["ud_steps"], n)
    return np.asarray((1.0 - w) * table[lo] + w * table[hi], dtype=np.float64)


def _wd_level(level: float) -> int:
    levels = _tables().get("wd_levels", np.array([]))
    hits = np.flatnonzero(np.abs(levels - level) < 1e-9)
    if not hits.size:
        raise NkfxValueError(f"WDmax is tabulated at levels {levels.tolist()}; got {level!r}")
    return int(hits[0])


def wdmax_weights(level: float, *, q: int, trim: float, max_breaks: int, n: int | None = None) -> np.ndarray:
    """Weights ``c(q, level, 1) / c(q, level, m)`` of Bai & Perron's WDmax, m = 1..max_breaks.

    ``c(q, level, m)`` is the ``level`` quantile of the m-break statistic ``F(m)`` (simulated with
    UDmax, same grid and trims).
    """
    li = _wd_level(level)
    c = np.array([_wd_rows("Fm", q, trim, m, n)[li] for m in range(1, max_breaks + 1)])
    return np.asarray(c[0] / c, dtype=np.float64)


def wdmax_critical(level: float, *, q: int, trim: float, max_breaks: int, n: int | None = None) -> float:
    """Critical value of WDmax(``max_breaks``) at ``level`` (one of 0.90, 0.95, 0.975, 0.99).

    WDmax has critical values, not p-values: its weights depend on the level.
    """
    return float(_wd_rows("WDmax", q, trim, max_breaks, n)[_wd_level(level)])
