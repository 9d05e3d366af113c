"""Jumps in a drifting rate behind ``detect(method="jumps")`` (the default).

A market rate drifts like a random walk, its reports scatter around it with noise that
lingers for a report or two, and now and then it jumps. :mod:`nkfx.detect.jumps._core` finds
the jumps exactly under that model; this module turns them into a dated :class:`Breaks`:
the jump of the underlying level, the move between the two reports that bracket it, and
the smoothed level for plots.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import pandas as pd

from nkfx.detect._prepare import Prepared, check_penalised, run_params
from nkfx.detect.jumps._core import (
    VAR_FLOOR,
    NoiseModel,
    estimate_noise,
    fit_jumps,
    objective,
    smooth_path,
    step_weights,
)
from nkfx.detect.results import Breaks
from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError

__all__ = ["PENALTY_PER_LOG_N", "jumps_method"]

#: Default penalty per jump, in units of twice the log-likelihood: 6 log n, so a jump must be
#: about sqrt(6 log n) drift sd (5.9 at n = 343) to count. DeCAFS's default is 2 log n, for
#: known parameters. With parameters estimated from 300 irregular reports of a random walk
#: plus AR(1) noise (phi = 0.5), 2 log n reports a spurious jump in 30-38% of the series,
#: 4 log n in 0.5-3% and 6 log n in 0-1.5%; jumps of 0.1 / 0.15 log points (8 / 12 noise sd)
#: are found at the exact report in 80% / 99.8% of cases. Real rates have fatter tails than
#: the Gaussian drift: on the Daily NK dollar series 4 log n gives 27-32 jumps in 17 years,
#: 6 log n 21-24 (10-11 from 2012 on). tools/simulate_jumps.py measures all of it.
PENALTY_PER_LOG_N = 6.0

_OPTIONS = ("penalty", "noise", "tau_max")

NO_INTERVALS = (
    "No break-date intervals: the jump model dates each jump between two consecutive "
    "reports (last_old, first_new), which is as precise as the reports allow; "
    "report_jump_pct is the move between those two reports, jump_pct the move of the "
    "smoothed level between them (the reports' move less what the model reads as noise)."
)


def jumps_method(
    prep: Prepared, *, trim: Any = None, max_breaks: Any = "auto",
    n_breaks: str | int = "bic", hac: bool = False, **options: Any,
) -> Breaks:
    """Exact jumps of a random walk observed with autocorrelated noise, as :class:`Breaks`.

    Bai–Perron's ``level``, ``alpha``, ``het_reg`` and ``het_err`` are not options of this
    method (:func:`nkfx.detect` refuses them); ``trim``, ``max_breaks``, ``n_breaks`` and
    ``hac=True`` raise, because the penalty decides the number of jumps and a jump lasts one report.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from nkfx.detect._prepare import prepare
    >>> rng = np.random.default_rng(1)
    >>> walk = np.cumsum(rng.normal(0, 0.01, 60)) + np.r_[np.zeros(30), np.full(30, 0.4)]
    >>> rate = pd.Series(5000 * np.exp(walk), index=pd.date_range("2021-01-03", periods=60, freq="14D"))
    >>> prep = prepare(rate, city=None, currency=None, source=None, scale="log", model="mean")
    >>> res = jumps_method(prep)
    >>> res.breaks[["last_old", "first_new"]]
            last_old  first_new
    break
    1     2022-02-13 2022-02-27
    """
    _check_unused(prep, trim=trim, max_breaks=max_breaks, n_breaks=n_breaks, hac=hac)
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        names = ", ".join(repr(k) for k in unknown)
        raise NkfxTypeError(f"detect(method='jumps') got unexpected option(s) {names}; it takes "
                            "scale, penalty, noise and tau_max")
    if prep.n < 4:
        raise InsufficientDataError(f"method='jumps' needs at least 4 observations; got {prep.n}")
    tau_max = _check_positive("tau_max", options.get("tau_max", 2.0))
    noise, estimated = _noise_model(options.get("noise"), prep, tau_max)
    beta, penalty = _penalty(options.get("penalty", "auto"), prep.n)
    fit = fit_jumps(prep.y, prep.days, noise, beta)
    params = run_params(prep, method="jumps", trim=1, h=1, rule="", level=float("nan"), hac=False)
    for key in ("trim", "h", "trim_rule", "trim_fraction", "level", "hac"):  # Bai-Perron's, unused
        params.pop(key)
    spacing = float(np.median(np.diff(prep.days)))
    params.update(
        model="drift", max_breaks_used=None, n_breaks=f"penalty={penalty!r}", intervals="none",
        penalty=penalty, penalty_value=beta, noise_estimated=estimated, tau_max=tau_max,
        s_eta=noise.s_eta, s_eps=noise.s_eps, tau=noise.tau, median_spacing_days=spacing,
        drift_sd_per_spacing=math.sqrt(noise.s_eta * spacing), noise_sd=math.sqrt(noise.s_eps),
        noise_phi_per_spacing=noise.phi_at(spacing), objective=fit.objective,
        max_candidates=fit.max_candidates, algorithm="functional pruning (exact)",
    )
    path = pd.Series(fit.path, index=prep.dates.copy(), name="level")
    return Breaks(
        series=prep.series, breaks=_breaks_table(prep, fit.jumps, fit.path, noise),
        segments=_segments_table(prep, fit.jumps, fit.path),
        criteria=_criteria(prep, fit.jumps, noise, beta, fit.objective), tests={},
        method="jumps", model="drift", scale=prep.scale, params=params,
        notes=_notes(prep, noise, estimated, beta, penalty, spacing), path=path,
    )


def _check_unused(prep: Prepared, *, trim: Any, max_breaks: Any, n_breaks: Any, hac: Any) -> None:
    why = ("the penalty chooses the number of jumps; pass penalty= (a number, or 'auto' for "
           f"{PENALTY_PER_LOG_N:g} log n)")
    if prep.model != "mean":
        raise NkfxValueError(f"method='jumps' has its own model (a drifting level with jumps); "
                             f"got model={prep.model!r}; use method='bai-perron' for trend breaks")
    if trim is not None:
        raise NkfxValueError("trim does not apply to method='jumps': a jump happens between two "
                             f"consecutive reports; got trim={trim!r}")
    check_penalised("jumps", why, max_breaks=max_breaks, n_breaks=n_breaks)
    if hac:
        raise NkfxValueError("hac=True does not apply to method='jumps': the model has "
                             "autocorrelated noise built in")


def _check_positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise NkfxTypeError(f"{name} must be a positive number; got {type(value).__name__}")
    if not (math.isfinite(float(value)) and float(value) > 0):
        raise NkfxValueError(f"{name} must be a positive finite number; got {value!r}")
    return float(value)


def _noise_model(noise: Any, prep: Prepared, tau_max: float) -> tuple[NoiseModel, bool]:
    """Return the model's variances: estimated robustly, or given as a dict (per day, log scale)."""
    if noise is None:
        return estimate_noise(prep.y, prep.days, tau_max=tau_max), True
    keys = ("s_eta", "s_eps", "tau")
    if not isinstance(noise, dict) or set(noise) != set(keys):
        raise NkfxTypeError("noise must be None (estimate from the data) or a dict with keys "
                            f"'s_eta' (drift variance per day), 's_eps' (noise variance) and 'tau' "
                            f"(noise memory in days); got {noise!r}")
    s_eta, s_eps = _check_positive("noise['s_eta']", noise["s_eta"]), _check_positive(
        "noise['s_eps']", noise["s_eps"])
    tau = noise["tau"]
    if isinstance(tau, bool) or not isinstance(tau, numbers.Real) or not float(tau) >= 0:
        raise NkfxValueError(f"noise['tau'] must be a number >= 0 (days); got {tau!r}")
    return NoiseModel(s_eta=s_eta, s_eps=s_eps, tau=float(tau)), False


def _penalty(penalty: Any, n: int) -> tuple[float, Any]:
    if penalty == "auto":
        return PENALTY_PER_LOG_N * math.log(n), "auto"
    if isinstance(penalty, str):
        raise NkfxValueError(f"penalty must be 'auto' or a positive number; got {penalty!r}")
    return _check_positive("penalty", penalty), float(penalty)


def _breaks_table(prep: Prepared, jumps: np.ndarray, path: np.ndarray, noise: NoiseModel
                  ) -> pd.DataFrame:
    dates, y = prep.dates, prep.y
    old, new = jumps - 1, jumps
    jump = path[new] - path[old]
    gap_days = prep.days[new] - prep.days[old]
    moved = y[new] - y[old]
    log = prep.scale == "log"
    na = pd.array([pd.NA] * len(jumps), dtype="Int64")
    table = pd.DataFrame(
        {
            "last_old": dates[old], "first_new": dates[new],
            "ci_lower": pd.DatetimeIndex([pd.NaT] * len(jumps)),
            "ci_upper": pd.DatetimeIndex([pd.NaT] * len(jumps)),
            "level": np.full(len(jumps), np.nan), "jump": jump,
            "jump_pct": 100.0 * np.expm1(jump) if log else np.nan,
            "index": old, "index_ci_lower": na, "index_ci_upper": na.copy(),
            "rate_old": np.exp(y[old]) if log else y[old],
            "rate_new": np.exp(y[new]) if log else y[new],
            "report_jump": moved, "report_jump_pct": 100.0 * np.expm1(moved) if log else np.nan,
            "days_between": gap_days,
            # how many drift standard deviations (over the days between the reports) the jump is
            "z_drift": jump / np.sqrt(noise.s_eta * gap_days),
        },
        index=pd.RangeIndex(1, len(jumps) + 1, name="break"),
    )
    if not log:
        table = table.drop(columns=["jump_pct", "report_jump_pct"])
    return table


def _segments_table(prep: Prepared, jumps: np.ndarray, path: np.ndarray) -> pd.DataFrame:
    start = np.r_[0, jumps].astype(np.int64)
    end = np.r_[jumps - 1, prep.n - 1].astype(np.int64)
    dates = prep.dates
    cols: dict[str, Any] = {
        "start": dates[start], "end": dates[end], "n": end - start + 1,
        "level_start": path[start], "level_end": path[end],
        "drift": path[end] - path[start],
        "sd": [float(np.std(prep.y[s:e + 1] - path[s:e + 1])) for s, e in zip(start, end, strict=True)],
    }
    if prep.scale == "log":
        cols.update(level_start_kpw=np.exp(path[start]), level_end_kpw=np.exp(path[end]),
                    drift_pct=100.0 * np.expm1(path[end] - path[start]))
    return pd.DataFrame(cols, index=pd.RangeIndex(1, len(start) + 1, name="segment"))


def _criteria(prep: Prepared, jumps: np.ndarray, noise: NoiseModel, beta: float,
              best: float) -> pd.DataFrame:
    """Penalised objective of the drift alone (no jump) and of the optimum."""
    lam, gam, phi = step_weights(prep.days, noise)
    none = np.zeros(0, dtype=np.int64)
    mu0 = smooth_path(prep.y, none, lam, gam, phi)
    no_jump = objective(prep.y, mu0, none, lam, gam, phi, beta)
    rows = sorted({0, int(jumps.size)})
    values = {0: no_jump, int(jumps.size): best}
    return pd.DataFrame({"m": rows, "objective": [values[m] for m in rows],
                         "penalty": [beta * m for m in rows],
                         "chosen": [m == jumps.size for m in rows]})


def _notes(prep: Prepared, noise: NoiseModel, estimated: bool, beta: float, penalty: Any,
           spacing: float) -> tuple[str, ...]:
    how = "estimated robustly from the data" if estimated else "given by the user"
    unit = "log points" if prep.scale == "log" else "units"
    model = (
        f"Model ({how}): the level drifts by {math.sqrt(noise.s_eta * spacing):.3g} {unit} (sd) "
        f"per {spacing:g} days (the median spacing of reports); reports scatter around it with "
        f"sd {math.sqrt(noise.s_eps):.3g} and autocorrelation {noise.phi_at(spacing):.2f} between "
        "reports that far apart."
    )
    if estimated and noise.s_eps <= VAR_FLOOR:
        model += (" The reports show no scatter beyond their own moves: the noise variance sits "
                  "at its floor, so each report is read as the level itself and the smoothed "
                  "level passes through the reports.")
    pen = (f"Penalty {beta:.4g} per jump ({PENALTY_PER_LOG_N:g} log n, n = {prep.n})"
           if penalty == "auto" else f"Penalty {beta:.4g} per jump (given)")
    pen += "; exact optimum by functional pruning (DeCAFS model, Romano et al. 2022)."
    return (model, pen, NO_INTERVALS)
