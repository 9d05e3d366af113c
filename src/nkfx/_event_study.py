"""Statistics and the result type behind :func:`nkfx.event_study`.

Window conventions (days are calendar days relative to the event start):
the pre window is ``[start - gap - before, start - gap)``, the post window is
``[anchor + gap, anchor + gap + after]`` with ``anchor`` the event start (or end).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from nkfx._event_result import EventStudy

__all__ = ["WindowSpec", "hac_event_stats", "json_safe", "placebo_anchors", "window_stats"]


def json_safe(obj: Any) -> Any:
    """Convert tables, dates and numbers to JSON types: ISO dates, NaN/NaT -> None, lists, dicts."""
    if isinstance(obj, pd.DataFrame):
        return [json_safe(r) for r in obj.to_dict("records")]
    if isinstance(obj, pd.Series):
        return {str(json_safe(k)): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [json_safe(v) for v in obj]
    if obj is None or isinstance(obj, str | bool):
        return obj
    if isinstance(obj, pd.Timestamp | np.datetime64):
        return None if pd.isna(obj) else pd.Timestamp(obj).strftime("%Y-%m-%d")
    if isinstance(obj, pd.Timedelta):
        return None if pd.isna(obj) else str(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(float(obj)) else None
    return None if pd.isna(obj) else str(obj)


@dataclass(frozen=True)
class WindowSpec:
    """Window lengths in days."""

    before: float
    after: float
    gap: float


def _bounds(spec: WindowSpec, start: np.ndarray, anchor: np.ndarray,
            days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Index ranges [lo, hi) of the pre and post windows in sorted ``days``."""
    pre_lo = np.searchsorted(days, start - spec.gap - spec.before, side="left")
    pre_hi = np.searchsorted(days, start - spec.gap, side="left")
    post_lo = np.searchsorted(days, anchor + spec.gap, side="left")
    post_hi = np.searchsorted(days, anchor + spec.gap + spec.after, side="right")
    return pre_lo, pre_hi, post_lo, np.maximum(post_hi, post_lo)


def window_stats(days: np.ndarray, y: np.ndarray, start: np.ndarray, anchor: np.ndarray,
                 spec: WindowSpec) -> dict[str, np.ndarray]:
    """Point statistics for many events at once (cumulative sums; NaN where a side is empty).

    ``change`` = post mean - pre mean; ``abnormal`` = post mean - the pre-window linear trend
    (in days) extrapolated to the mean day of the post observations.
    """
    pre_lo, pre_hi, post_lo, post_hi = _bounds(spec, start, anchor, days)
    t = days - days[0]  # small numbers keep the sums of squares exact enough
    cs = {k: np.concatenate(([0.0], np.cumsum(v)))
          for k, v in {"n": np.ones_like(y), "y": y, "t": t, "tt": t * t, "ty": t * y}.items()}

    def total(key: str, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        out: np.ndarray = cs[key][hi] - cs[key][lo]
        return out

    with np.errstate(invalid="ignore", divide="ignore"):
        n_pre, n_post = total("n", pre_lo, pre_hi), total("n", post_lo, post_hi)
        pre_mean = total("y", pre_lo, pre_hi) / n_pre
        post_mean = total("y", post_lo, post_hi) / n_post
        t_pre = total("t", pre_lo, pre_hi) / n_pre
        t_post = total("t", post_lo, post_hi) / n_post
        sxx = total("tt", pre_lo, pre_hi) - n_pre * t_pre**2
        sxy = total("ty", pre_lo, pre_hi) - n_pre * t_pre * pre_mean
        slope = np.where(sxx > 1e-9 * np.maximum(n_pre, 1), sxy / sxx, np.nan)
        abnormal = post_mean - (pre_mean + slope * (t_post - t_pre))
    return {"n_pre": n_pre.astype(int), "n_post": n_post.astype(int), "pre_level": pre_mean,
            "post_level": post_mean, "change": post_mean - pre_mean, "abnormal": abnormal,
            "pre_slope": slope}


def _hac(X: np.ndarray, e: np.ndarray, days: np.ndarray, bandwidth: float) -> np.ndarray:
    """Sandwich covariance with Bartlett weights in calendar time, 1 - |d_i - d_j| / bandwidth.

    The triangular kernel is positive definite on the real line, so irregular spacing is
    handled by distance in days rather than by lags in observations. ``bandwidth = 0``
    gives White's heteroskedasticity-robust covariance. A small-sample factor n/(n-k) is used.
    """
    n, k = X.shape
    dist = np.abs(days[:, None] - days[None, :])
    w = np.eye(n) if bandwidth <= 0 else np.clip(1.0 - dist / bandwidth, 0.0, None)
    u = X * e[:, None]
    bread = np.linalg.pinv(X.T @ X)
    out: np.ndarray = bread @ (u.T @ w @ u) @ bread * (n / max(n - k, 1))
    return out


def hac_event_stats(days: np.ndarray, y: np.ndarray, start: float, anchor: float,
                    spec: WindowSpec, bandwidth: float) -> dict[str, float]:
    """Return standard errors of ``change`` and ``abnormal`` for one event (NaN if not estimable)."""
    pre_lo, pre_hi, post_lo, post_hi = (int(v[0]) for v in _bounds(
        spec, np.array([start]), np.array([anchor]), days))
    d = np.concatenate((days[pre_lo:pre_hi], days[post_lo:post_hi])) - start
    yy = np.concatenate((y[pre_lo:pre_hi], y[post_lo:post_hi]))
    n_pre, n_post = pre_hi - pre_lo, post_hi - post_lo
    post = np.r_[np.zeros(n_pre), np.ones(n_post)]
    out = {"change_se": math.nan, "abnormal_se": math.nan,
           "change_df": float(n_pre + n_post - 2), "abnormal_df": float(n_pre + n_post - 3)}
    if n_pre >= 2 and n_post >= 2:
        X = np.column_stack((np.ones_like(post), post))
        beta, *_ = np.linalg.lstsq(X, yy, rcond=None)
        out["change_se"] = math.sqrt(_hac(X, _resid(yy, X @ beta), d, bandwidth)[1, 1])
    if n_pre >= 3 and n_post >= 2 and np.ptp(d[:n_pre]) > 0:
        pre = 1.0 - post
        X = np.column_stack((pre, pre * d, post))  # pre intercept and slope; post mean
        beta, *_ = np.linalg.lstsq(X, yy, rcond=None)
        c = np.array([-1.0, -float(d[n_pre:].mean()), 1.0])
        out["abnormal_se"] = math.sqrt(float(c @ _hac(X, _resid(yy, X @ beta), d, bandwidth) @ c))
    return out


def _resid(y: np.ndarray, fit: np.ndarray) -> np.ndarray:
    """Residuals with rounding noise set to exactly 0 (constant windows give a zero, not 1e-15)."""
    e: np.ndarray = y - fit
    e[np.abs(e) <= 1e-12 * max(1.0, float(np.abs(y).max()))] = 0.0
    return e


def placebo_anchors(days: np.ndarray, spec: WindowSpec, blocked: list[tuple[float, float]],
                    n: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``n`` distinct whole days whose window fits the data and misses every blocked interval."""
    lo = math.ceil(days[0] + spec.gap + spec.before)
    hi = math.floor(days[-1] - spec.gap - spec.after)
    if hi < lo:
        return np.empty(0)
    cand = np.arange(lo, hi + 1, dtype=float)
    ok = np.ones(cand.size, dtype=bool)
    for b_lo, b_hi in blocked:
        ok &= ~((cand - spec.gap - spec.before <= b_hi) & (cand + spec.gap + spec.after >= b_lo))
    cand = cand[ok]
    if cand.size > n:
        cand = np.sort(rng.choice(cand, size=n, replace=False))
    return cand


def t_value(level: float, df: float) -> float:
    """Two-sided Student-t critical value (NaN without degrees of freedom)."""
    from scipy.stats import t

    return float(t.ppf(0.5 + level / 2.0, df)) if df > 0 else math.nan


def t_pvalue(stat: float, se: float, df: float) -> float:
    """Two-sided p-value of ``stat / se`` against Student's t; NaN when ``se`` is not positive."""
    from scipy.stats import t

    if not (se > 0) or math.isnan(stat) or not df > 0:
        return math.nan
    return float(2.0 * t.sf(abs(stat / se), df))


def z_value(level: float) -> float:
    """Two-sided normal critical value for a confidence level."""
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def normal_pvalue(stat: float, se: float) -> float:
    """Two-sided p-value of ``stat / se`` against N(0, 1); NaN when ``se`` is not positive."""
    if not (se > 0) or math.isnan(stat):
        return math.nan
    return math.erfc(abs(stat / se) / math.sqrt(2.0))


_ORIGIN = pd.Timestamp("1970-01-01")
_DAY = pd.Timedelta(days=1)


def _days(dates: Any) -> np.ndarray:
    out: np.ndarray = ((pd.DatetimeIndex(dates) - _ORIGIN) / _DAY).to_numpy(dtype=float)
    return out


def _overlaps(ids: list[str], lo: np.ndarray, hi: np.ndarray, valid: np.ndarray) -> list[str]:
    """For each event, the ids of the other valid events whose windows intersect its window."""
    out = []
    for i in range(len(ids)):
        hits = [ids[j] for j in range(len(ids)) if j != i and valid[i] and valid[j]
                and lo[j] <= hi[i] and hi[j] >= lo[i]]
        out.append(",".join(hits))
    return out


def run_event_study(
    series: list[tuple[str | None, str | None, pd.Series]],
    events: pd.DataFrame,
    *,
    spec: WindowSpec,
    anchor: str,
    bandwidth: float,
    level: float,
    statistic: str,
    n_placebo: int,
    seed: int,
    params: dict[str, Any],
    notes: list[str],
) -> EventStudy:
    """Compute the event study for checked series and a checked event table (``problem`` column)."""
    valid = (events["problem"] == "").to_numpy()
    start = _days(events["start"].where(valid, _ORIGIN))
    anchor_days = _days(events["end" if anchor == "end" else "start"].where(valid, _ORIGIN))
    lo, hi = start - spec.gap - spec.before, anchor_days + spec.gap + spec.after
    overlaps = _overlaps(events["id"].tolist(), lo, hi, valid)
    blocked = [(a, b) for a, b, v in zip(lo, hi, valid, strict=True) if v]
    rows: list[dict[str, Any]] = []
    placebo: list[pd.DataFrame] = []
    for city, currency, values in series:
        days, y = _days(values.index), values.to_numpy(dtype=float)
        rng = np.random.default_rng(seed)  # one stream per series: adding a series changes nothing else
        anchors = placebo_anchors(days, spec, blocked, n_placebo, rng)
        null = window_stats(days, y, anchors, anchors, spec)[statistic]
        ok = np.isfinite(null)
        null = null[ok]
        placebo.append(pd.DataFrame({"city": city, "currency": currency,
                                     "date": _ORIGIN + pd.to_timedelta(anchors[ok], unit="D"),
                                     "statistic": null}))
        stats = window_stats(days, y, start, anchor_days, spec)
        for i, ev in enumerate(events.itertuples(index=False)):
            row = _event_row(ev, i, stats, days, y, start[i], anchor_days[i], spec, bandwidth, level,
                             null, statistic)
            rows.append({"event_id": ev.id, "city": city, "currency": currency, **row,
                         "overlaps": overlaps[i]})
    results = pd.DataFrame(rows, columns=_RESULT_COLUMNS)
    frame = pd.concat(placebo, ignore_index=True) if placebo else pd.DataFrame(
        columns=["city", "currency", "date", "statistic"])
    from nkfx._event_result import EventStudy  # the result imports helpers from here

    return EventStudy(results=results, placebo=frame, params=params, notes=tuple(notes))


_RESULT_COLUMNS = [
    "event_id", "city", "currency", "start", "end", "status", "scope", "n_pre", "n_post", "pre_start",
    "pre_end", "post_start", "post_end", "pre_level", "post_level", "change", "change_se", "change_lower",
    "change_upper", "pvalue", "pre_slope_30d", "abnormal", "abnormal_se", "abnormal_lower",
    "abnormal_upper", "abnormal_pvalue", "placebo_pvalue", "n_placebo", "overlaps", "reason",
]


def _day(value: float) -> pd.Timestamp:
    return _ORIGIN + pd.Timedelta(days=float(value))


def _event_row(ev: Any, i: int, stats: dict[str, np.ndarray], days: np.ndarray, y: np.ndarray,
               start: float, anchor: float, spec: WindowSpec, bandwidth: float, level: float,
               null: np.ndarray, statistic: str) -> dict[str, Any]:
    nan = math.nan
    row: dict[str, Any] = {"start": ev.start, "end": ev.end, "status": ev.status, "scope": ev.scope}
    if ev.problem:
        row.update({"n_pre": 0, "n_post": 0, "n_placebo": 0, "reason": ev.problem})
        return row
    row.update({"pre_start": _day(start - spec.gap - spec.before), "pre_end": _day(start - spec.gap),
                "post_start": _day(anchor + spec.gap), "post_end": _day(anchor + spec.gap + spec.after)})
    n_pre, n_post = int(stats["n_pre"][i]), int(stats["n_post"][i])
    row.update({"n_pre": n_pre, "n_post": n_post, "n_placebo": int(null.size)})
    reasons: list[str] = []
    if n_pre == 0 or n_post == 0:
        first, last = _day(days[0]).date(), _day(days[-1]).date()
        if not days[0] <= start <= days[-1]:
            reasons.append(f"event start {_day(start).date()} is outside the data ({first} to {last})")
        side = "pre" if n_pre == 0 else "post"
        lo, hi = (row["pre_start"], row["pre_end"]) if side == "pre" else (row["post_start"], row["post_end"])
        reasons.append(f"no observations in the {side} window {lo.date()} to {hi.date()}")
        row["reason"] = "; ".join(reasons)
        return row
    se = hac_event_stats(days, y, start, anchor, spec, bandwidth)
    tc, ta = t_value(level, se["change_df"]), t_value(level, se["abnormal_df"])
    change, abnormal = float(stats["change"][i]), float(stats["abnormal"][i])
    row.update({
        "pre_level": float(stats["pre_level"][i]), "post_level": float(stats["post_level"][i]),
        "change": change, "change_se": se["change_se"], "change_lower": change - tc * se["change_se"],
        "change_upper": change + tc * se["change_se"],
        "pvalue": t_pvalue(change, se["change_se"], se["change_df"]),
        "pre_slope_30d": float(stats["pre_slope"][i]) * 30.0, "abnormal": abnormal,
        "abnormal_se": se["abnormal_se"], "abnormal_lower": abnormal - ta * se["abnormal_se"],
        "abnormal_upper": abnormal + ta * se["abnormal_se"],
        "abnormal_pvalue": t_pvalue(abnormal, se["abnormal_se"], se["abnormal_df"]),
    })
    if se["change_se"] == 0.0:
        reasons.append("standard error is 0: the values do not vary within the windows")
    if math.isnan(se["change_se"]):
        reasons.append("fewer than 2 observations on one side: no standard error for change")
    if math.isnan(abnormal):
        reasons.append("fewer than 2 dates in the pre window: no pre-event trend")
    elif math.isnan(se["abnormal_se"]):
        reasons.append("fewer than 3 pre or 2 post observations: no standard error for abnormal")
    obs = change if statistic == "change" else abnormal
    if null.size and not math.isnan(obs):
        row["placebo_pvalue"] = (1 + int(np.sum(np.abs(null) >= abs(obs) - 1e-12))) / (1 + null.size)
    else:
        row["placebo_pvalue"] = nan
        reasons.append("no placebo date available (series too short for the windows)"
                       if not null.size else f"no {statistic} to compare with the placebo dates")
    row["reason"] = "; ".join(reasons)
    return row
