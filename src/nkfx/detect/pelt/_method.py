"""PELT behind ``detect(method="pelt")`` (its penalty path is in :mod:`nkfx.detect.pelt.path`).

Minimum segment length (``trim``): ``None`` means 2 observations; an int is the count;
a fraction in (0, 0.5) gives ``floor(n * trim)``; a duration ``d`` (``"90D"``) gives
``ceil(n * d / span)``, the same share of the observations as ``d`` is of the time
spanned by the data (the rule Bai–Perron uses, so both methods read ``trim`` alike).
With irregular reports a segment may then span less calendar time than ``d`` where
reports are dense. The count is raised to the cost's minimum (1 for ``"l2"`` and
``"biweight"``, 2 for ``"normal"``) and the rule is recorded in
``Breaks.params["trim_rule"]``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nkfx.detect._prepare import Prepared, check_penalised, fmt_date, run_params
from nkfx.detect._tables import breaks_frame, segments_frame
from nkfx.detect.bai_perron import _core as bp
from nkfx.detect.bai_perron._fit import SegmentFit
from nkfx.detect.pelt._core import check_biweight_k, pelt
from nkfx.detect.pelt._penalty import COST_TABLE, COSTS, PHI_MAX
from nkfx.detect.results import Breaks
from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError

if TYPE_CHECKING:

    from nkfx.detect.pelt._core import PeltResult

__all__ = ["pelt_method"]

NO_INTERVALS = (
    "No confidence intervals were computed: PELT returns the optimal segmentation for one "
    "penalty, and Bai (1997) break-date intervals assume a fixed number of breaks chosen "
    "before looking at the data, so they would be too narrow here. Use method='bai-perron' "
    "for intervals, and penalty_path() to see how the breaks depend on the penalty."
)

NO_HAC = ("Segment standard errors 'se' are classical (sd / sqrt(n)); HAC standard errors are "
          "not computed by method='pelt' (se_hac is NaN).")

RANDOM_WALK = (
    "The noise looks like a random walk (its variogram keeps growing up to lag 10; AR(1) "
    "phi reached its cap {phi:g}): a mean-shift model cannot describe a drifting rate, "
    "so the breaks mark only its largest moves. Use method='jumps' for jumps in a "
    "drifting rate."
)
_COST_CHOICES = ", ".join(repr(c) for c in COSTS)


def pelt_method(
    prep: Prepared, *, trim: Any = None, max_breaks: Any = "auto",
    n_breaks: str | int = "bic", hac: bool = False, cost: str = "biweight",
    penalty: str | float = "bic-lrv", biweight_k: float = 3.0,
) -> Breaks:
    """Exact penalised segmentation (PELT/FPOP) of a prepared series as :class:`Breaks`.

    Bai–Perron's ``level``, ``alpha``, ``het_reg`` and ``het_err`` are not options of this
    method (:func:`nkfx.detect` refuses them); ``max_breaks``, ``n_breaks`` (other than
    the default) and ``hac=True`` raise, because the penalty decides the number of breaks.

    Parameters
    ----------
    prep : Prepared
        The series, from :func:`nkfx.detect._prepare.prepare` (``model="mean"``).
    trim : int, float, str or pandas.Timedelta, optional
        Minimum segment length (module notes); default 2 observations.
    cost : {"biweight", "l2", "normal"}, default "biweight"
        ``"biweight"``: change in level with the capped quadratic loss
        ``min((y - mu)**2, (biweight_k * sd)**2)``, so one bad report or a value keyed
        ten times too large is not a regime (Fearnhead & Rigaill 2019). ``"l2"``:
        change in mean, least squares (the default before 2026). ``"normal"``: change
        in mean and variance.
    penalty : {"bic-lrv", "bic", "mbic"} or float, default "bic-lrv"
        ``"bic-lrv"``: BIC scaled by the long-run variance of robustly fitted AR(1)
        noise, so autocorrelated reporting noise is not read as breaks. ``"bic"``
        and ``"mbic"`` assume white noise (the default before 2026 was ``"bic"``). A
        number is the penalty per break in squared units of ``y`` (log rates by
        default). See :mod:`nkfx.detect.pelt._penalty`.
    biweight_k : float, default 3.0
        Cap of ``"biweight"`` in noise sds: ``sd`` is the square root of the variance
        the penalty is scaled by (long-run for ``"bic-lrv"``, short-run otherwise).

    Notes
    -----
    Simulations (tests/test_pelt.py, seeded; n = 300 reports 7-21 days apart, AR(1)
    noise with phi = 0.5 between reports, 300 series each; numbers from the slow test):

    - no break in a constant mean: 97.0% of series with the default (``"l2"`` with
      ``"bic"``, the old default: 0.3%, about 12 breaks per series);
    - three mean shifts of 4 noise sds: 98.9% found within two reports, 0.03 spurious
      breaks per series;
    - three reports keyed ten times too large in a constant series: no break in 98%
      of series with ``"biweight"``, 0% with ``"l2"`` (both with ``"bic-lrv"``);
    - a random walk (step sd half the noise innovation sd) plus the same noise: a
      break in 96% of series, 2.4 on average. A mean-shift model cannot describe a
      drifting rate: PELT cuts the path into plateaus. ``method="jumps"`` models
      jumps in a drifting rate.

    On the Daily NK dollar series (343 fortnightly reports, 2009-2026, log rates) the
    default finds 7 breaks per city (Hyesan, Pyongyang, Sinuiju); the old default
    (``cost="l2", penalty="bic"``) found 60, 70 and 65. The fitted noise there is at
    the random-walk cap (phi = 0.9), and a note says so.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from nkfx.detect._prepare import prepare
    >>> rate = pd.Series(np.r_[np.full(8, 100.0), np.full(8, 130.0)] + np.arange(16) % 2,
    ...                  index=pd.date_range("2024-01-01", periods=16, freq="W-MON"))
    >>> prep = prepare(rate, city=None, currency=None, source=None, scale="log", model="mean")
    >>> res = pelt_method(prep)
    >>> res.breaks[["last_old", "first_new"]]
            last_old  first_new
    break
    1     2024-02-19 2024-02-26
    >>> res.params["cost"], res.params["penalty"]
    ('biweight', 'bic-lrv')
    >>> res.breaks["ci_lower"].isna().all()  # no intervals: see res.notes
    np.True_

    A report keyed ten times too large is not a regime with the default cost:

    >>> rng = np.random.default_rng(0)
    >>> level = np.r_[np.full(30, 5000.0), np.full(30, 7000.0)]
    >>> rate = pd.Series(level * np.exp(rng.normal(0, 0.01, 60)),
    ...                  index=pd.date_range("2024-01-01", periods=60, freq="W-MON"))
    >>> rate.iloc[10] *= 10
    >>> prep = prepare(rate, city=None, currency=None, source=None, scale="log", model="mean")
    >>> pelt_method(prep).breaks["first_new"].dt.date.astype(str).tolist()
    ['2024-07-29']
    >>> pelt_method(prep, cost="l2").n_breaks  # the slip is a two-report regime
    3
    """
    _check_pelt_options(prep, max_breaks=max_breaks, n_breaks=n_breaks, hac=hac, cost=cost)
    check_biweight_k(biweight_k)
    min_size, rule = resolve_min_size(trim, prep.dates, cost)
    res = pelt(prep.y, cost=cost, penalty=penalty, min_size=min_size, biweight_k=biweight_k)
    breaks = res.breaks
    fit = segment_means(prep.y, breaks)
    if res.levels is not None:  # biweight: the robust level of each segment
        fit = replace(fit, coef=res.levels[:, None])
    no_ci = np.full((breaks.size, 2), bp.CI_UNAVAILABLE, dtype=np.int64)
    table, _ = breaks_frame(prep, breaks, no_ci, fit, float("nan"))
    params = run_params(prep, method="pelt", trim=min_size if trim is None else trim,
                        h=min_size, rule=rule, level=float("nan"), hac=False)
    params.update(_penalty_params(res, penalty), max_breaks_used=None,
                  n_breaks=f"penalty={penalty!r}", intervals="none")
    return Breaks(
        series=prep.series, breaks=table, segments=segments_frame(prep, fit),
        criteria=_criteria(prep, fit.rss, res.n_breaks, min_size), tests={}, method="pelt",
        model=prep.model, scale=prep.scale, params=params, notes=_notes(res, penalty),
    )


def _notes(res: PeltResult, penalty: Any) -> tuple[str, ...]:
    notes = [NO_INTERVALS, _penalty_note(res, penalty), NO_HAC]
    kind = COST_TABLE[res.cost_name]
    if kind.var_floor:
        notes.append(f"cost='normal' floors each segment variance at {res.var_floor:.3g} "
                     "(1e-6 x the robust noise variance), so runs of identical quotes stay finite.")
    if kind.kernel == "biweight":
        notes.append(f"cost='biweight' caps each observation's squared deviation at "
                     f"({res.cap:.3g})**2 = ({res.cap / res.noise_sd:g} noise sds)**2; segment "
                     "levels ('coef') are the robust levels that minimise it, and 'sigma'/'se' "
                     "are classical.")
    if penalty == "bic-lrv" and res.phi >= PHI_MAX:
        notes.append(RANDOM_WALK.format(phi=PHI_MAX))
    return tuple(notes)


def segment_means(y: np.ndarray, breaks: np.ndarray) -> SegmentFit:
    """Mean, residual sd and classical standard error of each segment (vectorised, two-pass).

    Constant segments (runs of identical quotes) are fine: their sd is 0.
    """
    start = np.concatenate([[0], breaks + 1]).astype(np.int64)
    end = np.concatenate([breaks, [y.size - 1]]).astype(np.int64)
    length = end - start + 1
    mean = np.add.reduceat(y, start) / length
    dev = y - np.repeat(mean, length)
    rss = np.add.reduceat(dev * dev, start)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.where(length > 1, np.sqrt(rss / np.maximum(length - 1, 1)), np.nan)
    se = (sigma / np.sqrt(length))[:, None]
    return SegmentFit(start=start, end=end, n=length, coef=mean[:, None], se=se,
                      se_hac=np.full_like(se, np.nan), sigma=sigma, rss=rss)


def _check_pelt_options(prep: Prepared, *, max_breaks: Any, n_breaks: Any, hac: Any,
                        cost: Any) -> None:
    if cost not in COSTS:
        raise NkfxValueError(f"cost must be one of {_COST_CHOICES}; got {cost!r}")
    if prep.model != "mean":
        raise NkfxValueError(
            f"method='pelt' fits model='mean' only (cost='biweight' or 'l2': change in level, "
            f"cost='normal': change in mean and variance); got model={prep.model!r}; use "
            "method='bai-perron' for trend breaks"
        )
    why = ("the penalty chooses the number of breaks; pass penalty= ('bic-lrv', 'bic', "
           "'mbic' or a number) and see penalty_path() for how many breaks each penalty gives")
    check_penalised("pelt", why, max_breaks=max_breaks, n_breaks=n_breaks)
    if hac:
        raise NkfxValueError("hac=True does not apply to method='pelt': it concerns the "
                             "Bai-Perron intervals and tests, which PELT does not compute")


def resolve_min_size(trim: Any, dates: pd.DatetimeIndex, cost: str) -> tuple[int, str]:
    """Minimum segment length (observations) from ``trim``, and the rule used."""
    n, low = len(dates), COST_TABLE[cost].min_segment
    if n < low:
        raise InsufficientDataError(f"cost={cost!r} needs at least {low} observations; got {n}")
    if trim is None:
        return min(2, n) if low == 1 else 2, "default: 2 observations"
    if isinstance(trim, bool) or not isinstance(trim, numbers.Real | str | pd.Timedelta):
        raise NkfxTypeError("trim must be a number of observations, a fraction in (0, 0.5) or "
                            f"a duration such as '90D'; got {type(trim).__name__}")
    if isinstance(trim, numbers.Integral):
        if not low <= int(trim) <= n:
            raise NkfxValueError(f"trim as a count must be between {low} (cost={cost!r}) and "
                                 f"the series length {n}; got {trim!r}")
        return int(trim), f"count: {int(trim)} observations"
    if isinstance(trim, numbers.Real):
        if not 0.0 < float(trim) < 0.5:
            raise NkfxValueError(f"trim as a fraction must be in (0, 0.5); got {trim!r}")
        size = max(low, math.floor(n * float(trim)))
        return size, f"fraction: max({low}, floor({n} * {float(trim):g})) = {size}"
    try:
        duration = pd.Timedelta(trim)
    except (TypeError, ValueError) as exc:
        raise NkfxValueError("trim must be a number of observations, a fraction in (0, 0.5) "
                             f"or a duration such as '90D'; got {trim!r}") from exc
    span = dates[-1] - dates[0]
    if not pd.Timedelta(0) < duration <= span:
        raise NkfxValueError(f"trim as a duration must be > 0 and at most the span of the data "
                             f"({span.days} days, {fmt_date(dates[0])} to {fmt_date(dates[-1])}); "
                             f"got {trim!r}")
    size = max(low, math.ceil(n * (duration / span)))
    return size, f"duration: ceil({n} * {duration.days}D / {span.days}D span) = {size}"


def _penalty_params(res: PeltResult, penalty: Any) -> dict[str, Any]:
    return {"cost": res.cost_name, "penalty": penalty, "penalty_value": res.penalty,
            "noise_variance": res.sigma2, "noise_phi": res.phi, "noise_lrv": res.lrv,
            "biweight_cap": res.cap if COST_TABLE[res.cost_name].kernel == "biweight" else None,
            "min_size": res.min_size, "algorithm": res.algorithm, "objective": res.objective}


def _penalty_note(res: PeltResult, penalty: Any) -> str:
    kind = COST_TABLE[res.cost_name]
    unit = kind.unit
    scale = ""
    if kind.noise_scaled and penalty == "bic-lrv":
        scale = (f" = {res.penalty / res.lrv:.4g} x the long-run noise variance {res.lrv:.3g}"
                 f" (robust AR(1) fit, phi = {res.phi:.2f})")
    elif kind.noise_scaled and isinstance(penalty, str):
        scale = f" = {res.penalty / res.sigma2:.4g} x the robust noise variance {res.sigma2:.3g}"
    extra = " plus the segment-length term of the modified BIC" if penalty == "mbic" else ""
    return (f"Penalty {penalty!r}: {res.penalty:.4g} per break in units of {unit}{scale}{extra};"
            f" exact optimum by {res.algorithm.upper()}.")


def _criteria(prep: Prepared, rss: np.ndarray, m: int, min_size: int) -> pd.DataFrame:
    """RSS, log-likelihood, BIC, LWZ (Bai–Perron's formulas) of no break and of the result."""
    path_rss = np.full(m + 1, np.nan)
    path_rss[0] = float(np.sum((prep.y - prep.y.mean()) ** 2))
    path_rss[m] = float(np.sum(rss))
    path = bp.SegmentationPath(n=prep.n, k=1, h=min_size, max_breaks=m, rss=path_rss,
                               breaks=tuple(np.zeros(0, np.int64) for _ in range(m + 1)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ic = bp.information_criteria(path)
    rows = sorted({0, m})
    return pd.DataFrame({
        "m": rows, "rss": path_rss[rows], "loglik": ic["loglik"][rows],
        "bic": ic["bic"][rows], "lwz": ic["lwz"][rows], "chosen": [r == m for r in rows],
    })
