"""Turn the numeric cores' arrays into the dated tables of :class:`Breaks`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from nkfx.detect._prepare import DAYS_PER_YEAR, Prepared
from nkfx.detect.bai_perron._core import CI_UNAVAILABLE, SegmentFit
from nkfx.detect.results import Breaks, TestResult

__all__ = [
    "breaks_frame",
    "criteria_frame",
    "exact_fit",
    "make_test_result",
    "no_break_result",
    "segments_frame",
]

_BREAK_COLUMNS = (
    "last_old",
    "first_new",
    "ci_lower",
    "ci_upper",
    "level",
    "jump",
    "jump_pct",
    "index",
    "index_ci_lower",
    "index_ci_upper",
    "index_ci_lower_unclipped",
    "index_ci_upper_unclipped",
)


def exact_fit(prep: Prepared) -> bool:
    """Tell whether one regime fits the data exactly (constant, or exactly linear)."""
    if prep.X is None:
        resid = prep.y - prep.y.mean()
    else:
        coef = np.linalg.lstsq(prep.X, prep.y, rcond=None)[0]
        resid = prep.y - prep.X @ coef
    scale = max(1.0, float(np.max(np.abs(prep.y))))
    return float(np.max(np.abs(resid))) <= 1e-10 * scale


def interval_notes(
    prep: Prepared, breaks: np.ndarray, ci: np.ndarray, missing: np.ndarray
) -> tuple[str, ...]:
    """Say what strucchange's ``breakdates(confint(...))`` warns about: bounds past the data, overlap.

    Overlap is R's test: the lower bound of break ``i + 1`` before the upper bound of break ``i``
    (on the unclipped bounds).
    """
    notes: list[str] = []
    ok = ~missing
    if (((ci < 0) | (ci > prep.n - 2)).any(axis=1) & ok).any():
        notes.append(
            "Some break-date intervals reached past the data and were clipped to the first/last "
            "possible break (the unclipped positions are in index_ci_lower_unclipped and "
            "index_ci_upper_unclipped; strucchange warns 'Confidence intervals outside data time "
            "interval')."
        )
    pairs = [
        i for i in range(len(breaks) - 1) if ok[i] and ok[i + 1] and ci[i + 1, 0] < ci[i, 1]
    ]
    if pairs:
        which = ", ".join(f"{i + 1} and {i + 2}" for i in pairs)
        notes.append(
            f"The intervals of breaks {which} overlap (strucchange warns 'Overlapping confidence "
            "intervals'): the data do not separate these break dates well; consider fewer breaks."
        )
    return tuple(notes)


def breaks_frame(
    prep: Prepared,
    breaks: np.ndarray,
    ci: np.ndarray,
    fit: Any,
    level: float,
    X: np.ndarray | None = None,
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Dated table of breaks (index ``break`` = 1..m) and notes about the intervals.

    Interval bounds the core could not compute (``CI_UNAVAILABLE``) become ``NaT`` and
    ``<NA>``; bounds beyond the data are clipped to the first/last possible break (the
    ``*_unclipped`` columns keep strucchange's positions). ``X`` (default ``prep.X``) holds the
    breaking regressors matching ``fit.coef``; the jump is their fitted change at ``first_new``.
    """
    dates, n = prep.dates, prep.n
    ci = ci.reshape(-1, 2).astype(np.int64)
    missing = (ci == CI_UNAVAILABLE).any(axis=1)
    clipped = np.clip(ci, 0, n - 2)
    notes = interval_notes(prep, breaks, ci, missing)
    coef = np.asarray(fit.coef, dtype=np.float64)
    design = X if X is not None else prep.X
    if design is None:
        design = np.ones((n, 1))
    jump = np.array(
        [float(design[b + 1] @ (coef[i + 1] - coef[i])) for i, b in enumerate(breaks)],
        dtype=np.float64,
    )
    bounds: dict[str, Any] = {}
    for j, side in enumerate(("lower", "upper")):
        pos = pd.array(clipped[:, j], dtype="Int64")
        pos[missing] = pd.NA
        raw = pd.array(ci[:, j], dtype="Int64")
        raw[missing] = pd.NA
        bounds[f"ci_{side}"] = pd.DatetimeIndex(
            np.where(missing, np.datetime64("NaT"), dates[clipped[:, j]].to_numpy())
        )
        bounds[f"index_ci_{side}"] = pos
        bounds[f"index_ci_{side}_unclipped"] = raw
    table = pd.DataFrame(
        {
            "last_old": dates[breaks],
            "first_new": dates[breaks + 1],
            "level": np.full(len(breaks), level),
            "jump": jump,
            "jump_pct": 100.0 * np.expm1(jump) if prep.scale == "log" else np.full(len(jump), np.nan),
            "index": breaks,
            **bounds,
        },
        index=pd.RangeIndex(1, len(breaks) + 1, name="break"),
        columns=list(_BREAK_COLUMNS),
    )
    if prep.scale != "log":
        table = table.drop(columns="jump_pct")
    return table, notes


def _regression_columns(
    prep: Prepared, coef: np.ndarray, se: np.ndarray, se_hac: np.ndarray, fixed: Any
) -> dict[str, Any]:
    """Columns ``<name>``, ``se_<name>``, ``se_hac_<name>`` for every regressor.

    ``fixed`` (partial change) holds ``(coef, se)`` of the fixed regressors, repeated on every
    row (their HAC errors are not computed: NaN).
    """
    segs = coef.shape[0]
    breaking = prep.names[: len(prep.names) - prep.n_fixed]
    out: dict[str, Any] = {}
    for j, name in enumerate(breaking):
        out.update({name: coef[:, j], f"se_{name}": se[:, j], f"se_hac_{name}": se_hac[:, j]})
    if prep.n_fixed:
        f_coef, f_se = fixed
        for j, name in enumerate(prep.names[len(breaking) :]):
            out.update({
                name: np.full(segs, f_coef[j]),
                f"se_{name}": np.full(segs, f_se[j]),
                f"se_hac_{name}": np.full(segs, np.nan),
            })
    return out


def segments_frame(prep: Prepared, fit: Any, fixed: Any = None) -> pd.DataFrame:
    """One row per regime: dates, size, coefficients, standard errors, residual sd.

    Regression model: one column per regressor (``fixed``: coefficients and standard errors of
    the regressors held fixed, see :func:`_regression_columns`).
    """
    dates = prep.dates
    start, end = np.asarray(fit.start, dtype=np.int64), np.asarray(fit.end, dtype=np.int64)
    coef, se = np.asarray(fit.coef, dtype=np.float64), np.asarray(fit.se, dtype=np.float64)
    se_hac = np.asarray(fit.se_hac, dtype=np.float64)
    cols: dict[str, Any] = {"start": dates[start], "end": dates[end], "n": np.asarray(fit.n, dtype=np.int64)}
    if prep.model == "regression":
        cols.update(_regression_columns(prep, coef, se, se_hac, fixed))
        cols.update(sd=np.asarray(fit.sigma, dtype=np.float64), rss=np.asarray(fit.rss, dtype=np.float64))
    elif prep.model == "mean":
        cols.update(
            level=coef[:, 0],
            se=se[:, 0],
            se_hac=se_hac[:, 0],
            sd=np.asarray(fit.sigma, dtype=np.float64),
            rss=np.asarray(fit.rss, dtype=np.float64),
        )
        if prep.scale == "log":
            cols["level_kpw"] = np.exp(coef[:, 0])
    else:
        first = coef[:, 0] + coef[:, 1] * prep.days[start]
        last = coef[:, 0] + coef[:, 1] * prep.days[end]
        cols.update(
            intercept=coef[:, 0],
            slope=coef[:, 1],
            slope_per_year=coef[:, 1] * DAYS_PER_YEAR,
            se_intercept=se[:, 0],
            se_slope=se[:, 1],
            se_hac_intercept=se_hac[:, 0],
            se_hac_slope=se_hac[:, 1],
            sd=np.asarray(fit.sigma, dtype=np.float64),
            rss=np.asarray(fit.rss, dtype=np.float64),
            fitted_start=first,
            fitted_end=last,
        )
        if prep.scale == "log":
            cols.update(fitted_start_kpw=np.exp(first), fitted_end_kpw=np.exp(last))
    return pd.DataFrame(cols, index=pd.RangeIndex(1, len(start) + 1, name="segment"))


def criteria_frame(rss: np.ndarray, ic: dict[str, np.ndarray], chosen: int) -> pd.DataFrame:
    """RSS, log-likelihood, BIC and LWZ for each number of breaks, and the choice."""
    m = np.arange(len(rss))
    return pd.DataFrame(
        {
            "m": m,
            "rss": np.asarray(rss, dtype=np.float64),
            "loglik": np.asarray(ic["loglik"], dtype=np.float64),
            "bic": np.asarray(ic["bic"], dtype=np.float64),
            "lwz": np.asarray(ic["lwz"], dtype=np.float64),
            "chosen": m == chosen,
        }
    )


def make_test_result(
    ftest: Any,
    prep: Prepared,
    name: str,
    null: str,
    params: dict[str, Any],
    notes: tuple[str, ...] = (),
    detail: dict[str, Any] | None = None,
) -> TestResult:
    """Convert a core ``FTest`` (index ``at`` = last old observation) to a dated result."""
    at = ftest.at
    dates = prep.dates
    found = at is not None and 0 <= int(at) < prep.n - 1
    extra = {
        str(k): (float(v) if isinstance(v, float | np.floating) else v) for k, v in dict(ftest.detail).items()
    }
    if "b" in extra and "f" in extra:  # the F path: dated by the first new observation
        cand = np.asarray(extra.pop("b"), dtype=np.int64)
        extra["f_path"] = pd.Series(
            np.asarray(extra.pop("f"), dtype=np.float64), index=dates[cand + 1], name="F"
        ).rename_axis("first_new")
    return TestResult(
        name=name,
        statistic=float(ftest.statistic),
        pvalue=float(ftest.pvalue),
        df=tuple(float(d) for d in ftest.df),
        critical_values={round(float(k), 6): float(v) for k, v in dict(ftest.critical).items()},
        date=dates[int(at) + 1] if found else None,
        last_old=dates[int(at)] if found else None,
        null=null,
        params=dict(params),
        detail={**extra, **(detail or {})},
        notes=notes,
    )


def no_break_result(prep: Prepared, params: dict[str, Any], m_max: int, n_breaks: Any) -> Breaks:
    """Build the documented result for an exactly fitting series: no break, no tests."""
    X = np.ones((prep.n, 1)) if prep.X is None else prep.X
    coef = np.linalg.lstsq(X, prep.y, rcond=None)[0][None, :]
    zeros = np.zeros_like(coef)
    fit = SegmentFit(
        start=np.array([0]),
        end=np.array([prep.n - 1]),
        n=np.array([prep.n]),
        coef=coef,
        se=zeros,
        se_hac=zeros,
        sigma=np.zeros(1),
        rss=np.zeros(1),
    )
    kind = "constant" if prep.model == "mean" else "exactly linear"
    notes = [
        f"The series is {kind} on the {prep.scale} scale: the residual sum of squares is 0 "
        "for every number of breaks, so no break can be detected and no test is defined."
    ]
    if not isinstance(n_breaks, str) and n_breaks > 0:
        notes.append(f"n_breaks={n_breaks} was not applied: every placement fits exactly.")
    nan = np.full(m_max + 1, np.nan)
    table, _ = breaks_frame(prep, np.zeros(0, dtype=np.int64), np.zeros((0, 2)), fit, 0.0)
    return Breaks(
        series=prep.series,
        breaks=table,
        segments=segments_frame(prep, fit),
        criteria=criteria_frame(np.zeros(m_max + 1), {"loglik": nan, "bic": nan, "lwz": nan}, 0),
        tests={},
        method=str(params["method"]),
        model=prep.model,
        scale=prep.scale,
        params=params,
        notes=tuple(notes),
    )
