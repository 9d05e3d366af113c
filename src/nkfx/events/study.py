"""Statistics and the result type behind :func:`nkfx.event_study`.

Window conventions (days are calendar days). An event is the band
``[start - tol, anchor + tol]`` with ``anchor`` its start (or end) and ``tol`` the uncertainty
of its date; reports inside the band enter neither window. With durations the pre window is
``[start - tol - gap - before, start - tol - gap)`` and the post window
``[anchor + tol + gap, anchor + tol + gap + after]``; an int counts reports instead of days
(see :class:`Side`). The bracketing reports are the last before the band and the first on or
after its end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from nkfx._json import jsonable
from nkfx._validate import check_option
from nkfx.errors import NkfxValueError
from nkfx.plotting import plot_event_study
from nkfx.summary import Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes


# The event-study machinery below is shared with nkfx.events and the CLI; the public name
# of this module is its result.
__all__ = ["EventStudy"]


@dataclass(frozen=True)
class Side:
    """One window side: the reports within ``days`` calendar days of its edge, and at least ``count``.

    A duration argument is ``Side(days=d)``, an int ``n`` is ``Side(count=n)`` (exactly the ``n``
    reports nearest the edge) and the adaptive default is ``Side(count=4, days=30)``. For the
    gap, the reports skipped next to the event are those within ``days`` and at least ``count``.
    """

    count: int = 0
    days: float = 0.0

    def text(self) -> str:
        """``"60D"``, ``"4 reports"`` or ``">= 4 reports and >= 30D"``."""
        if self.count and self.days:
            return f">= {self.count} reports and >= {self.days:g}D"
        if self.count:
            return f"{self.count} report{'s' if self.count != 1 else ''}"
        return f"{self.days:g}D"


@dataclass(frozen=True)
class WindowSpec:
    """The pre and post windows and the gap left out next to the event."""

    before: Side
    after: Side
    gap: Side


def _bounds(spec: WindowSpec, band_lo: np.ndarray, band_hi: np.ndarray,
            days: np.ndarray) -> dict[str, np.ndarray]:
    """Index ranges [lo, hi) of the pre and post windows in sorted ``days``, and their calendar edges.

    Reports before ``band_lo`` may enter the pre window and reports on or after ``band_hi``
    the post window; reports inside the band (the date uncertainty) enter neither.
    """
    n = days.size
    ext = np.concatenate((days, [np.inf]))  # ext[i] = day of report i, +inf past the end
    prev = np.concatenate(([-np.inf], days))  # prev[i] = day of report i - 1
    first_in = np.searchsorted(days, band_lo, side="left")
    first_after = np.searchsorted(days, band_hi, side="left")
    g, b, a = spec.gap, spec.before, spec.after
    pre_hi = np.clip(np.minimum(np.searchsorted(days, band_lo - g.days, side="left"),
                                first_in - g.count), 0, n)
    post_by_days = np.searchsorted(days, band_hi + g.days, side="left")
    post_lo = np.clip(np.maximum(post_by_days, first_after + g.count), 0, n)
    pre_edge = np.minimum(band_lo - g.days, ext[pre_hi])  # exclusive end of the pre window
    post_edge = np.maximum(band_hi + g.days, prev[post_lo])  # the post window starts after it
    pre_lo = np.clip(np.minimum(np.searchsorted(days, pre_edge - b.days, side="left"),
                                pre_hi - b.count), 0, n)
    post_hi = np.clip(np.maximum(np.searchsorted(days, post_edge + a.days, side="right"),
                                 post_lo + a.count), 0, n)
    post_hi = np.maximum(post_hi, post_lo)
    with np.errstate(invalid="ignore"):
        pre_start = np.where(pre_hi > pre_lo, np.minimum(pre_edge - b.days, ext[pre_lo]),
                             pre_edge - b.days)
        # a gap counted in reports starts the post window at the first report kept
        post_start = np.where((post_lo > post_by_days) & (post_lo < n), ext[post_lo], band_hi + g.days)
        post_end = np.where(post_hi > post_lo, np.maximum(post_edge + a.days, prev[post_hi]),
                            post_edge + a.days)
    return {"pre_lo": pre_lo, "pre_hi": pre_hi, "post_lo": post_lo, "post_hi": post_hi,
            "pre_start": pre_start, "pre_end": pre_edge, "post_start": post_start, "post_end": post_end,
            "before_band": first_in - 1, "after_band": first_after}


def _range_argmax(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Position of the largest of ``values[lo:hi]`` for each pair (``hi > lo``; first of ties).

    A sparse table: level ``k`` holds the argmax of each run of ``2**k`` values, and a range
    is covered by two (overlapping) runs of the largest such length.
    """
    out = np.zeros(lo.size, dtype=int)
    if not lo.size:
        return out
    levels = [np.arange(values.size)]
    while 2 ** len(levels) <= values.size:
        prev, half = levels[-1], 2 ** (len(levels) - 1)
        a, b = prev[: values.size - 2 * half + 1], prev[half: values.size - half + 1]
        levels.append(np.where(values[b] > values[a], b, a))
    k = np.floor(np.log2(hi - lo)).astype(int)
    for level in np.unique(k):
        sel = k == level
        i1 = levels[level][lo[sel]]
        i2 = levels[level][hi[sel] - 2**level]
        out[sel] = np.where(values[i2] > values[i1], i2, i1)
    return out


def window_stats(days: np.ndarray, y: np.ndarray, band_lo: np.ndarray, band_hi: np.ndarray,
                 spec: WindowSpec) -> dict[str, np.ndarray]:
    """Point statistics for many events at once (cumulative sums; NaN where a side is empty).

    ``change`` = post mean - pre mean; ``abnormal`` = post mean - the pre-window linear trend
    (in days) extrapolated to the mean day of the post observations.
    """
    bd = _bounds(spec, band_lo, band_hi, days)
    pre_lo, pre_hi, post_lo, post_hi = bd["pre_lo"], bd["pre_hi"], bd["post_lo"], bd["post_hi"]
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
    return {**bd, "n_pre": n_pre.astype(int), "n_post": n_post.astype(int), "pre_level": pre_mean,
            "post_level": post_mean, "change": post_mean - pre_mean, "abnormal": abnormal,
            "pre_slope": slope}


def bracket_stats(days: np.ndarray, log_rate: np.ndarray, band_lo: np.ndarray,
                  band_hi: np.ndarray) -> dict[str, np.ndarray]:
    """Return the step between the reports that bracket each event, vectorised over events.

    The last report before ``band_lo`` and the first on or after ``band_hi`` bracket the
    band; with reports inside the band, each step between consecutive reports from the one
    to the other could be the one that straddles the event, and the largest in absolute
    value is returned (``before``/``after`` are its report positions, ``span`` the log
    change across the whole band). -1 positions and NaN where a side has no report.
    """
    n = days.size
    first = np.searchsorted(days, band_lo, side="left") - 1
    last = np.searchsorted(days, band_hi, side="left")
    ok = (first >= 0) & (last < n)
    before = np.full(first.size, -1)
    before[ok] = _range_argmax(np.abs(np.diff(log_rate)), first[ok], last[ok])
    after = np.where(ok, before + 1, -1)
    nan = np.full(first.size, np.nan)
    jump = np.where(ok, log_rate[np.clip(after, 0, n - 1)] - log_rate[np.clip(before, 0, n - 1)], nan)
    span = np.where(ok, log_rate[np.clip(last, 0, n - 1)] - log_rate[np.clip(first, 0, n - 1)], nan)
    span_days = np.where(ok, days[np.clip(last, 0, n - 1)] - days[np.clip(first, 0, n - 1)], nan)
    return {"before": before, "after": after, "jump": jump, "span": span, "span_days": span_days,
            "n_band": last - first - 1, "first": np.where(ok, first, -1),
            "last": np.where(ok, last, -1)}


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


def hac_event_stats(days: np.ndarray, y: np.ndarray, start: float, band_lo: float, band_hi: float,
                    spec: WindowSpec, bandwidth: float) -> dict[str, float]:
    """Return standard errors of ``change`` and ``abnormal`` for one event (NaN if not estimable)."""
    bd = _bounds(spec, np.array([band_lo]), np.array([band_hi]), days)
    pre_lo, pre_hi, post_lo, post_hi = (int(bd[k][0]) for k in ("pre_lo", "pre_hi", "post_lo", "post_hi"))
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


def extents(days: np.ndarray, bd: dict[str, np.ndarray],
            br: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Calendar extent of each event's windows and bracketing reports, ``(lo, hi)`` in days."""
    ext = np.concatenate((days, [np.nan]))
    with np.errstate(invalid="ignore"):
        lo = np.fmin(bd["pre_start"], ext[br["first"]])  # first = -1 picks NaN: fmin ignores it
        hi = np.fmax(bd["post_end"], ext[br["last"]])
    return lo, hi


def placebo_anchors(days: np.ndarray, y: np.ndarray, spec: WindowSpec, offsets: tuple[float, float],
                    blocked: list[tuple[float, float]], n: int, rng: np.random.Generator,
                    max_extent: float = math.inf) -> np.ndarray:
    """Up to ``n`` distinct whole days ``d`` whose windows fit the data and miss every blocked interval.

    The pseudo-event at ``d`` has the band ``[d - offsets[0], d + offsets[1]]`` (the shape of
    the event it is compared with); its windows must lie inside the data and hold the reports
    an int window asks for, and its extent (windows and bracketing reports) must miss
    ``blocked`` and span at most ``max_extent`` days (the event's own: windows of a few
    reports must not be compared with windows that stretch over years of silence).
    """
    cand = _candidates(days)
    if cand.size == 0:
        return cand
    lo, hi = cand - offsets[0], cand + offsets[1]
    bd = _bounds(spec, lo, hi, days)
    e_lo, e_hi = extents(days, bd, bracket_stats(days, y, lo, hi))
    ok = ((bd["pre_start"] >= days[0]) & (bd["post_end"] <= days[-1])
          & (bd["pre_hi"] - bd["pre_lo"] >= spec.before.count)
          & (bd["post_hi"] - bd["post_lo"] >= spec.after.count) & (e_hi - e_lo <= max_extent + 1e-9))
    return _draw(cand, ok, e_lo, e_hi, blocked, n, rng)


def jump_anchors(days: np.ndarray, log_rate: np.ndarray, offsets: tuple[float, float],
                 blocked: list[tuple[float, float]], n: int, rng: np.random.Generator,
                 max_span: float) -> np.ndarray:
    """Up to ``n`` whole days whose band is bracketed by reports at most ``max_span`` days apart.

    The reports from the last before the pseudo band to the first after it must miss
    ``blocked``; ``max_span`` keeps a jump between reports two weeks apart from being compared
    with moves over years without reports.
    """
    cand = _candidates(days)
    if cand.size == 0:
        return cand
    br = bracket_stats(days, log_rate, cand - offsets[0], cand + offsets[1])
    ok = np.isfinite(br["span_days"]) & (br["span_days"] <= max_span + 1e-9)
    ext = np.concatenate((days, [np.nan]))
    return _draw(cand, ok, ext[br["first"]], ext[br["last"]], blocked, n, rng)


def _candidates(days: np.ndarray) -> np.ndarray:
    """Whole days from the first report to the last; none without two finite dates.

    ``days[0]`` on an empty series raised IndexError and a NaN first day "cannot convert
    float NaN to integer" (issue 18).
    """
    if days.size == 0 or not (np.isfinite(days[0]) and np.isfinite(days[-1])):
        return np.empty(0)
    return np.arange(math.ceil(days[0]), math.floor(days[-1]) + 1, dtype=float)


def _draw(cand: np.ndarray, ok: np.ndarray, e_lo: np.ndarray, e_hi: np.ndarray,
          blocked: list[tuple[float, float]], n: int, rng: np.random.Generator) -> np.ndarray:
    """Return the candidates still ``ok`` whose extent misses every blocked interval; ``n`` at most."""
    for b_lo, b_hi in blocked:
        ok &= ~((e_lo <= b_hi) & (e_hi >= b_lo))
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
    """Days since 1970-01-01 (NaN for NaT); aware dates count by their local calendar day."""
    index = pd.DatetimeIndex(dates)
    if index.tz is not None:  # naive minus aware raised TypeError (issue 18)
        index = index.tz_localize(None)
    out: np.ndarray = ((index - _ORIGIN) / _DAY).to_numpy(dtype=float)
    return out


def _overlaps(ids: list[str], lo: np.ndarray, hi: np.ndarray, valid: np.ndarray) -> list[str]:
    """For each event, the ids of the other valid events whose windows intersect its window."""
    out = []
    for i in range(len(ids)):
        hits = [ids[j] for j in range(len(ids)) if j != i and valid[i] and valid[j]
                and lo[j] <= hi[i] and hi[j] >= lo[i]]
        out.append(",".join(hits))
    return out


#: A note says so when the two bracketing reports are further apart than this (days): the move
#: may then have happened anywhere between them, long before or after the event.
LONG_BRACKET_DAYS = 31.0


def run_event_study(
    series: list[tuple[str | None, str | None, pd.Series]],
    events: pd.DataFrame,
    *,
    spec: WindowSpec,
    anchor: str,
    tolerance: np.ndarray,
    scale: str,
    bandwidth: float,
    level: float,
    statistic: str,
    n_placebo: int,
    seed: int,
    params: dict[str, Any],
    notes: list[str],
) -> EventStudy:
    """Compute the event study for checked positive rate series and a checked event table.

    ``events`` has a ``problem`` column (empty when the row is usable) and ``tolerance``
    holds the date uncertainty of each event in days: the event is the band
    ``[start - tolerance, anchor + tolerance]``.
    """
    valid = (events["problem"] == "").to_numpy()
    start = _days(events["start"].where(valid, _ORIGIN))
    band_lo = start - tolerance
    band_hi = _days(events["end" if anchor == "end" else "start"].where(valid, _ORIGIN)) + tolerance
    offsets = [(float(t), float(h - s)) for t, h, s in zip(tolerance, band_hi, start, strict=True)]
    rows: list[dict[str, Any]] = []
    placebo: list[pd.DataFrame] = []
    jump_placebo: list[pd.DataFrame] = []
    for city, currency, rates in series:
        days, log_rate = _days(rates.index), np.log(rates.to_numpy(dtype=float))
        y = log_rate if scale == "log" else rates.to_numpy(dtype=float)
        stats = window_stats(days, y, band_lo, band_hi, spec)
        br = bracket_stats(days, log_rate, band_lo, band_hi)
        lo, hi = extents(days, stats, br)
        overlaps = _overlaps(events["id"].tolist(), lo, hi, valid)
        blocked = [(a, b) for a, b, v in zip(lo, hi, valid, strict=True) if v]
        nulls = _nulls(days, y, log_rate, spec, offsets, blocked, stats, br, lo, hi, valid,
                       statistic=statistic, n_placebo=n_placebo, seed=seed)
        for kind, frame in (("change", placebo), ("jump", jump_placebo)):
            for (off, _), (dates, values, jumps) in nulls[kind].items():
                frame.append(pd.DataFrame({"city": city, "currency": currency, "date": dates,
                                           "band_before": off[0], "band_after": off[1],
                                           "statistic": values, "jump": jumps}))
        for i, ev in enumerate(events.itertuples(index=False)):
            null = nulls["change"].get(nulls["key"][i], (None, np.empty(0), None))[1]
            jumps = nulls["jump"].get(nulls["jkey"][i], (None, None, np.empty(0)))[2]
            row = _event_row(ev, i, stats, days, y, start[i], (band_lo[i], band_hi[i]), spec, bandwidth,
                             level, null, statistic)
            row.update(_bracket_row(ev, i, br, days, rates, jumps, band_lo[i], band_hi[i]))
            row["note"] = "; ".join(n for n in (row.get("note", ""), _long_windows(row)) if n)
            rows.append({"event_id": ev.id, "city": city, "currency": currency, **row,
                         "precision": ev.date_precision or "day", "tolerance_days": float(tolerance[i]),
                         "overlaps": overlaps[i]})
    results = pd.DataFrame(rows, columns=_RESULT_COLUMNS)

    return EventStudy(results=results, placebo=_placebo_frame(placebo),
                      jump_placebo=_placebo_frame(jump_placebo), params=params, notes=tuple(notes))


_PLACEBO_COLUMNS = ["city", "currency", "date", "band_before", "band_after", "statistic", "jump"]


def _placebo_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per series, pseudo-event date and band shape (events may share placebo dates)."""
    if not parts:
        return pd.DataFrame(columns=_PLACEBO_COLUMNS)
    frame = pd.concat(parts, ignore_index=True)
    keys = ["city", "currency", "date", "band_before", "band_after"]
    return frame[~frame[keys].astype(str).duplicated()].reset_index(drop=True)


def _nulls(days: np.ndarray, y: np.ndarray, log_rate: np.ndarray, spec: WindowSpec,
           offsets: list[tuple[float, float]], blocked: list[tuple[float, float]],
           stats: dict[str, np.ndarray], br: dict[str, np.ndarray], lo: np.ndarray, hi: np.ndarray,
           valid: np.ndarray, *, statistic: str, n_placebo: int, seed: int) -> dict[str, Any]:
    """Placebo draws of one series for every event: ``{kind: {key: (dates, statistic, jump)}}``.

    Each event is compared with pseudo-events of its band shape whose windows span no more
    days than its own (``change``), or whose bracketing reports are no further apart than its
    own or :data:`LONG_BRACKET_DAYS` (``jump``). Events with the same key share one draw, and
    every draw starts its own stream from ``seed``: adding an event or a series changes nothing else.
    """
    out: dict[str, Any] = {"change": {}, "jump": {}, "key": [], "jkey": []}
    for i, off in enumerate(offsets):
        key = (off, round(float(hi[i] - lo[i]), 6))
        jkey = (off, round(max(float(br["span_days"][i]), LONG_BRACKET_DAYS), 6))
        out["key"].append(key)
        out["jkey"].append(jkey)
        if valid[i] and np.isfinite(stats[statistic][i]) and key not in out["change"]:
            anchors = placebo_anchors(days, y, spec, off, blocked, n_placebo, np.random.default_rng(seed),
                                      max_extent=key[1])
            null = window_stats(days, y, anchors - off[0], anchors + off[1], spec)[statistic]
            jumps = bracket_stats(days, log_rate, anchors - off[0], anchors + off[1])["jump"]
            ok = np.isfinite(null)
            out["change"][key] = (_dates(anchors[ok]), null[ok], jumps[ok])
        if valid[i] and np.isfinite(br["jump"][i]) and jkey not in out["jump"]:
            anchors = jump_anchors(days, log_rate, off, blocked, n_placebo, np.random.default_rng(seed),
                                   max_span=jkey[1])
            jumps = bracket_stats(days, log_rate, anchors - off[0], anchors + off[1])["jump"]
            out["jump"][jkey] = (_dates(anchors), np.full(anchors.size, np.nan), jumps)
    return out


def _dates(days: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(_ORIGIN + pd.to_timedelta(days, unit="D"))


_RESULT_COLUMNS = [
    "event_id", "city", "currency", "start", "end", "precision", "tolerance_days", "band_start",
    "band_end", "n_band", "status", "scope",
    "before_date", "before_rate", "after_date", "after_rate", "bracket_days", "jump_log", "jump_pct",
    "jump_placebo_pvalue", "n_jump_placebo", "span_log", "span_pct",
    "n_pre", "n_post", "pre_start", "pre_end", "post_start", "post_end", "pre_level", "post_level",
    "change", "change_se", "change_lower", "change_upper", "pvalue", "pre_slope_30d", "abnormal",
    "abnormal_se", "abnormal_lower", "abnormal_upper", "abnormal_pvalue", "placebo_pvalue", "n_placebo",
    "overlaps", "note", "reason",
]


def rate_text(value: float) -> str:
    """Format a rate: whole KPW with thousands separators, four significant digits below 100."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"


def _day(value: float) -> pd.Timestamp:
    return _ORIGIN + pd.Timedelta(days=float(value))


def _placebo_p(null: np.ndarray, observed: float) -> float:
    """Share of placebo statistics at least as large as the observed one in absolute value (+1/+1)."""
    if not null.size or math.isnan(observed):
        return math.nan
    return (1 + int(np.sum(np.abs(null) >= abs(observed) - 1e-12))) / (1 + null.size)


def _pct(log_change: float) -> float:
    """Percent change of a log change; inf past float range (math.expm1 raised OverflowError, issue 18)."""
    return math.inf if log_change > 709.0 else 100.0 * math.expm1(log_change)


def _bracket_row(ev: Any, i: int, br: dict[str, np.ndarray], days: np.ndarray, rates: pd.Series,
                 jumps: np.ndarray, band_lo: float, band_hi: float) -> dict[str, Any]:
    """Return the bracketing reports of one event, the jump between them and notes about them."""
    if ev.problem:
        return {"n_band": 0}
    out: dict[str, Any] = {"band_start": _day(band_lo), "band_end": _day(band_hi),
                           "n_band": int(br["n_band"][i])}
    b, a = int(br["before"][i]), int(br["after"][i])
    if b < 0:
        return out
    jump, span = float(br["jump"][i]), float(br["span"][i])
    out.update({"before_date": _day(days[b]), "before_rate": float(rates.iloc[b]),
                "after_date": _day(days[a]), "after_rate": float(rates.iloc[a]),
                "bracket_days": float(days[a] - days[b]), "jump_log": jump,
                "jump_pct": _pct(jump), "jump_placebo_pvalue": _placebo_p(jumps, jump),
                "n_jump_placebo": int(jumps.size),
                "span_log": span, "span_pct": _pct(span)})
    notes = []
    if out["n_band"]:
        first, last = int(br["first"][i]), int(br["last"][i])
        notes.append(
            f"{out['n_band']} report(s) inside the date band {out['band_start']:%Y-%m-%d} to "
            f"{out['band_end']:%Y-%m-%d} (precision {ev.date_precision or 'day'!r}) enter neither "
            f"window; the jump is the largest of the {out['n_band'] + 1} steps across the band; across "
            f"the whole band {rate_text(rates.iloc[first])} ({_day(days[first]):%Y-%m-%d}) -> "
            f"{rate_text(rates.iloc[last])} ({_day(days[last]):%Y-%m-%d}), {out['span_pct']:+.1f}%")
    if out["bracket_days"] > LONG_BRACKET_DAYS:
        notes.append(f"the bracketing reports are {out['bracket_days']:.0f} days apart (more than "
                     f"{LONG_BRACKET_DAYS:.0f}): the move may have happened anywhere between them")
    out["note"] = "; ".join(notes)
    return out


#: A note says so when a window spans more than this many days (sparse reports, int windows).
LONG_WINDOW_DAYS = 365.0


def _long_windows(row: dict[str, Any]) -> str:
    """Return a note on windows that span more than a year, or ``""``."""
    out = []
    for side, lo, hi in (("pre", "pre_start", "pre_end"), ("post", "post_start", "post_end")):
        if row.get(f"n_{side}") and (row[hi] - row[lo]) / _DAY > LONG_WINDOW_DAYS:
            out.append(f"the {side} window spans {(row[hi] - row[lo]) / _DAY:.0f} days "
                       f"({row[lo]:%Y-%m-%d} to {row[hi]:%Y-%m-%d}): its mean mixes distant reports")
    return "; ".join(out)


def _event_row(ev: Any, i: int, stats: dict[str, np.ndarray], days: np.ndarray, y: np.ndarray,
               start: float, band: tuple[float, float], spec: WindowSpec, bandwidth: float,
               level: float, null: np.ndarray, statistic: str) -> dict[str, Any]:
    row: dict[str, Any] = {"start": ev.start, "end": ev.end, "status": ev.status, "scope": ev.scope}
    if ev.problem:
        row.update({"n_pre": 0, "n_post": 0, "n_placebo": 0, "reason": ev.problem})
        return row
    row.update({k: _day(stats[k][i]) for k in ("pre_start", "pre_end", "post_start", "post_end")})
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
    se = hac_event_stats(days, y, start, band[0], band[1], spec, bandwidth)
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
    row["placebo_pvalue"] = _placebo_p(null, change if statistic == "change" else abnormal)
    if math.isnan(row["placebo_pvalue"]):
        reasons.append("no placebo date available (series too short for the windows)"
                       if not null.size else f"no {statistic} to compare with the placebo dates")
    row["reason"] = "; ".join(reasons)
    return row



#: The columns of :meth:`EventStudy.to_frame` by default (``columns="all"``: every one).
MAIN_COLUMNS = ("event_id", "city", "currency", "start", "precision", "before_date", "before_rate",
                "after_date", "after_rate", "bracket_days", "jump_pct", "jump_placebo_pvalue",
                "change", "change_lower", "change_upper", "placebo_pvalue", "note")


@dataclass(frozen=True, eq=False)
class EventStudy:
    """Per-event changes in (log) level around catalogued events, with uncertainty.

    Attributes
    ----------
    results : pandas.DataFrame
        One row per event and series (``city``, ``currency``):

        - the event: ``event_id, start, end, precision, tolerance_days, band_start,
          band_end`` (the dates it may have happened on) and ``n_band`` (reports inside
          them, in neither window), ``status, scope``;
        - the jump between the reports that bracket it: ``before_date, before_rate,
          after_date, after_rate, bracket_days, jump_log, jump_pct``,
          ``jump_placebo_pvalue`` (of ``n_jump_placebo`` pseudo-events) and ``span_log,
          span_pct`` (across the whole band; equal to the jump when the band holds no report);
        - the change of window means: ``n_pre, n_post, pre_start, pre_end, post_start,
          post_end, pre_level, post_level, change, change_se, change_lower, change_upper,
          pvalue, pre_slope_30d, abnormal, abnormal_se, abnormal_lower, abnormal_upper,
          abnormal_pvalue, placebo_pvalue, n_placebo``;
        - ``overlaps`` (other events whose windows overlap), ``note`` (what to know when
          reading the row: reports inside the band, a long bracketing gap) and ``reason``
          (empty when every number could be computed; says why otherwise).

        Levels and changes are in log points with ``scale="log"``; the jump always is.
    placebo : pandas.DataFrame
        The placebo draws of the window statistic: ``city, currency, date`` (the
        pseudo-event), ``band_before, band_after`` (its band, days either side),
        ``statistic`` and the ``jump`` at the same date.
    params : dict
        Every option used. ``windows`` holds the window rules as asked (``"60D"``,
        ``"4 reports"``, ``">= 4 reports and >= 30D"`` for the default); ``before``,
        ``after`` and ``gap`` are lengths in days (for windows counted in reports, the
        median over events and series of the days they spanned); ``tolerance`` the date
        uncertainty per precision.
    notes : tuple of str
        What was done to the input (medians per date, ...), the date bands used and the
        windows the defaults chose.
    jump_placebo : pandas.DataFrame
        The placebo draws of the jump (same columns; ``statistic`` is NaN).
    """

    results: pd.DataFrame
    placebo: pd.DataFrame
    params: dict[str, Any]
    notes: tuple[str, ...] = field(default=())
    jump_placebo: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self, columns: Literal["main", "all"] = "main") -> pd.DataFrame:
        """Return the per-event table (a copy): the headline columns, or all of them.

        Parameters
        ----------
        columns : {"main", "all"}, default "main"
            ``"main"``: the event and series, the jump between the bracketing reports
            and the change of window means with its interval and p-values (a table that
            prints readably); ``"all"``: every column of :attr:`results`.

        Examples
        --------
        >>> from nkfx import event_study
        >>> from nkfx.datasets import simulate
        >>> events = ["freight_train_resumes_2022", "strike_force_crackdown_2024"]
        >>> res = event_study(simulate(seed=0).rates, events, city="Hyesan", source="Daily NK", n_placebo=100)
        >>> res.to_frame()[["event_id", "currency", "change"]].round(2)
                              event_id currency  change
        0   freight_train_resumes_2022      CNY    0.01
        1  strike_force_crackdown_2024      CNY    0.35
        2   freight_train_resumes_2022      USD    0.28
        3  strike_force_crackdown_2024      USD    0.37
        >>> len(res.to_frame().columns), len(res.to_frame("all").columns)
        (17, 47)
        """
        check_option("columns", columns, ("main", "all"))
        if columns == "all":
            return self.results.copy()
        return self.results.loc[:, [c for c in MAIN_COLUMNS if c in self.results]].copy()

    def to_dict(self) -> dict[str, Any]:
        """Return the results, parameters and notes as JSON-safe types (the placebo draws left out).

        Examples
        --------
        >>> from nkfx import event_study
        >>> from nkfx.datasets import simulate
        >>> events = ["freight_train_resumes_2022", "strike_force_crackdown_2024"]
        >>> res = event_study(simulate(seed=0).rates, events, city="Hyesan", source="Daily NK", n_placebo=100)
        >>> d = res.to_dict()
        >>> sorted(d), len(d["results"]), d["params"]["n_placebo"]
        (['notes', 'params', 'results'], 4, 100)
        """
        out: dict[str, Any] = jsonable({"results": self.results, "params": self.params,
                                         "notes": list(self.notes)})
        return out

    def pooled(self, by: str | list[str] | None = None) -> pd.DataFrame:
        """Average the changes over events: mean and standard error of the mean.

        Rows with a finite ``change`` and ``change_se`` enter (likewise for the
        abnormal change). The standard error combines the per-event ones as
        ``sqrt(sum se**2) / k``, which treats the events as independent (the placebo
        exclusion keeps their windows apart only if they do not overlap; see
        ``overlaps``).

        Parameters
        ----------
        by : str or list of str, optional
            Columns to group by; default ``["city", "currency"]`` (one pooled row per series).

        Returns
        -------
        pandas.DataFrame
            ``n_events, change, change_se, change_lower, change_upper, pvalue`` and the
            same for ``abnormal``, per group.

        Examples
        --------
        >>> from nkfx import event_study
        >>> from nkfx.datasets import simulate
        >>> events = ["freight_train_resumes_2022", "strike_force_crackdown_2024"]
        >>> res = event_study(simulate(seed=0).rates, events, city="Hyesan", source="Daily NK", n_placebo=100)
        >>> res.pooled()[["city", "currency", "n_change", "change"]].round(2)
             city currency  n_change  change
        0  Hyesan      CNY         2    0.18
        1  Hyesan      USD         2    0.32
        """
        keys = ["city", "currency"] if by is None else [by] if isinstance(by, str) else list(by)
        missing = [k for k in keys if k not in self.results]
        if missing:
            raise NkfxValueError(f"by must name columns of results; got {missing}")
        z = z_value(self.params["level"])
        rows = []
        for key, part in self.results.groupby(keys, dropna=False, sort=True):
            row: dict[str, Any] = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
            for stat in ("change", "abnormal"):
                ok = part[np.isfinite(part[stat]) & np.isfinite(part[f"{stat}_se"])]
                k = len(ok)
                mean = float(ok[stat].mean()) if k else math.nan
                se = float(np.sqrt((ok[f"{stat}_se"] ** 2).sum())) / k if k else math.nan
                row.update({f"n_{stat}": k, stat: mean, f"{stat}_se": se, f"{stat}_lower": mean - z * se,
                            f"{stat}_upper": mean + z * se, f"{stat}_pvalue": normal_pvalue(mean, se)})
            rows.append(row)
        return pd.DataFrame(rows)

    def compare(self, by: str = "currency", base: str | None = None) -> pd.DataFrame:
        """Difference in changes between series, event by event (e.g. Hyesan CNY minus USD).

        Parameters
        ----------
        by : {"currency", "city"}, default "currency"
            Compare currencies within a city, or cities within a currency.
        base : str, optional
            The series subtracted; default ``"USD"`` (or ``"Pyongyang"``) when present,
            else the first in sort order.

        Returns
        -------
        pandas.DataFrame
            One row per event, other key and non-base level: ``diff_change``,
            ``diff_se`` (``sqrt(se_a**2 + se_b**2)``, exact for independent series and
            conservative when they move together), ``diff_lower``, ``diff_upper``,
            ``diff_pvalue``, ``diff_abnormal``, ``diff_abnormal_se``.

        Examples
        --------
        >>> from nkfx import event_study
        >>> from nkfx.datasets import simulate
        >>> events = ["freight_train_resumes_2022", "strike_force_crackdown_2024"]
        >>> res = event_study(simulate(seed=0).rates, events, city="Hyesan", source="Daily NK", n_placebo=100)
        >>> res.compare()[["event_id", "currency", "base", "diff_change"]].round(2)  # CNY minus USD
                              event_id currency base  diff_change
        0   freight_train_resumes_2022      CNY  USD        -0.27
        1  strike_force_crackdown_2024      CNY  USD        -0.02
        """
        check_option("by", by, ("currency", "city"))
        other = "city" if by == "currency" else "currency"
        res = self.results
        levels = sorted(str(v) for v in res[by].dropna().unique())
        if base is None:
            default = "USD" if by == "currency" else "Pyongyang"
            base = default if default in levels else (levels[0] if levels else None)
        if base not in levels:
            raise NkfxValueError(f"base must be one of the {by} values {levels}; got {base!r}")
        z = z_value(self.params["level"])
        rows = []
        for (event, key), part in res.groupby(["event_id", other], dropna=False, sort=True):
            ref = part[part[by] == base]
            if ref.empty:
                continue
            r = ref.iloc[0]
            for _, row in part[part[by] != base].iterrows():
                diff = row["change"] - r["change"]
                se = math.sqrt(row["change_se"] ** 2 + r["change_se"] ** 2)
                rows.append({"event_id": event, other: key, by: row[by], "base": base,
                             "diff_change": diff, "diff_se": se, "diff_lower": diff - z * se,
                             "diff_upper": diff + z * se, "diff_pvalue": normal_pvalue(diff, se),
                             "diff_abnormal": row["abnormal"] - r["abnormal"],
                             "diff_abnormal_se": math.hypot(row["abnormal_se"], r["abnormal_se"])})
        return pd.DataFrame(rows)

    def summary(self) -> Summary:
        """Return the :class:`~nkfx.summary.Summary`: two lines per event and series, then the notes.

        The first line is the jump between the reports that bracket the event (the move a
        reader of the reports sees), the second the change of window means beside it.

        Examples
        --------
        >>> import nkfx
        >>> from nkfx.datasets import load_observations
        >>> yuan = nkfx.combine(load_observations())
        >>> res = nkfx.event_study(yuan, "hyesan_customs_rumour_2022", city="Hyesan", currency="CNY")
        >>> lines = res.summary().splitlines()
        >>> print(lines[1])
          hyesan_customs_rumour_2022       Hyesan/CNY     jump +31.8% (+0.276 log points): 850 ...
        >>> print(lines[2][:76])
              window means +0.302 log points (se 0.032, p 7.73e-05, placebo p 0.469)
        """
        p = self.params
        w = p.get("windows", p)
        lines = [f"Event study: pre {w['before']}, post {w['after']}, gap {w['gap']}, "
                 f"anchor {p['anchor']}, scale {p['scale']}, HAC bandwidth {p['bandwidth']}, "
                 f"{p['n_placebo']} placebo dates (seed {p['seed']}, statistic {p['statistic']!r})"]
        for r in self.results.to_dict("records"):
            label = "/".join(str(r[k]) for k in ("city", "currency") if isinstance(r[k], str)) or "series"
            head = f"  {r['event_id']:<32} {label:<14}"
            lines.append(f"{head} {_jump_text(r)}")
            if r["reason"] and math.isnan(r["change"]):
                lines.append(f"      window means n/a: {r['reason']}")
            else:
                unit = "log points" if p["scale"] == "log" else "(level)"
                lines.append(
                    f"      window means {_num(r['change'], '+.3f')} {unit} (se "
                    f"{_num(r['change_se'], '.3f')}, p {_num(r['pvalue'], '.3g')}, placebo p "
                    f"{_num(r['placebo_pvalue'], '.3g')}); abnormal {_num(r['abnormal'], '+.3f')} "
                    f"[n {r['n_pre']}/{r['n_post']}: {_span(r, 'pre')} | "
                    f"{_span(r, 'post')}]" + (f"  ({r['reason']})" if r["reason"] else ""))
            if isinstance(r.get("note"), str) and r["note"]:
                lines.append(f"      note: {r['note']}")
        lines.extend(f"  note: {n}" for n in self.notes)
        table = self.results[["event_id", "city", "currency", "before_date", "after_date", "jump_pct",
                              "jump_placebo_pvalue", "change", "change_se", "pvalue", "placebo_pvalue"]]
        return Summary.from_text("\n".join(lines), {"Event study": table})

    def plot(self, ax: Axes | None = None, kind: str = "path", **kwargs: Any) -> Axes:
        """Plot the study: the average path around the events (default) or a forest of events.

        The same figure as :func:`nkfx.plotting.plot_event_study`, with the same default.

        Parameters
        ----------
        ax : matplotlib Axes (or a pair for ``kind="path"``), optional
            Axes to draw on; a new figure is created when omitted.
        kind : {"path", "forest"}, default "path"
            ``"path"``: days from the event on the x axis, the mean change with its
            band, and the placebo distribution (see :func:`nkfx.plotting.plot_event_study`).
            ``"forest"``: each event's change with its confidence interval.
        **kwargs
            Passed to :func:`nkfx.plotting.plot_event_study`.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from nkfx import event_study
        >>> from nkfx.datasets import simulate
        >>> events = ["freight_train_resumes_2022", "strike_force_crackdown_2024"]
        >>> res = event_study(simulate(seed=0).rates, events, city="Hyesan", source="Daily NK", n_placebo=100)
        >>> ax = res.plot()
        >>> ax.get_ylabel(), len(ax.figure.axes)  # the path, and the placebo beside it
        ('change (log points)', 2)
        >>> forest = res.plot(kind="forest")
        >>> forest.get_xlabel(), len(forest.get_yticks())
        ('change (log points)', 4)
        >>> plt_close = [ax.figure, forest.figure]
        >>> import matplotlib.pyplot as plt; [plt.close(f) for f in plt_close] and None
        """
        return plot_event_study(self, ax=ax, kind=kind, **kwargs)

    def _repr_html_(self) -> str:
        html: str = self.results.to_html(index=False, float_format=lambda v: f"{v:.4g}")
        return html


def _span(r: dict[Any, Any], side: str) -> str:
    lo, hi = r[f"{side}_start"], r[f"{side}_end"]
    return "" if pd.isna(lo) else f"{lo:%Y-%m-%d} to {hi:%Y-%m-%d}"


def _jump_text(r: dict[Any, Any]) -> str:
    """``jump +31.8% (+0.276 log points): 850 on 2022-11-27 -> 1,120 on 2022-12-12 (15 days), ...``."""
    if pd.isna(r.get("jump_log")):
        return "jump n/a: no report on one side of the event"
    return (f"jump {r['jump_pct']:+.1f}% ({r['jump_log']:+.3f} log points): {rate_text(r['before_rate'])} on "
            f"{r['before_date']:%Y-%m-%d} -> {rate_text(r['after_rate'])} on {r['after_date']:%Y-%m-%d} "
            f"({r['bracket_days']:.0f} days), placebo p {_num(r['jump_placebo_pvalue'], '.3g')}")


def _num(value: Any, spec: str) -> str:
    """Format a number, or say ``n/a`` for a missing one (never ``+nan``)."""
    return "n/a" if value is None or pd.isna(value) else format(value, spec)
