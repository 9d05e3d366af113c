"""Events: the catalogue, the data around an event, event studies and breaks against events.

Did the market move on the rumour, before it, or not at all? :func:`event_window`
shows the observations around one event, :func:`event_study` measures the change
from before to after with uncertainty and placebo p-values, and
:func:`match_breaks` lines detected breaks up with catalogued events.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from nkfx._validate import check_option, to_timedelta
from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError
from nkfx.events.catalogue import (
    _event_table,
    _one_event,
    _precision,
    read_events,
)
from nkfx.events.matching import BreakMatch, match_breaks
from nkfx.events.probability import prepare_series, to_scale
from nkfx.events.study import LONG_BRACKET_DAYS, EventStudy, Side, WindowSpec, run_event_study
from nkfx.schema import select, validate_rates

if TYPE_CHECKING:
    pass

__all__ = ["BreakMatch", "EventStudy", "event_study", "event_window", "match_breaks", "read_events"]

#: How far either side of its catalogue date an event may have happened, by ``date_precision``.
#: ``approx`` ("late November") is a week either way, ``month`` half a month, ``year`` half a
#: year; an empty precision is ``day``. Reports inside this band enter neither event-study window.
DATE_TOLERANCE = {"day": "0D", "approx": "7D", "month": "15D", "year": "182D"}
#: The default event-study windows hold at least this many reports and this many days a side.
DEFAULT_REPORTS = 4
DEFAULT_DAYS = 30
_DAY = pd.Timedelta(days=1)


_WINDOW_TYPE = "must be a number of reports (an int, as detect(trim=6)) or a duration such as '60D'"


def _window_side(name: str, value: Any, *, gap: bool = False, allow_zero: bool = False) -> Side:
    """Check one window argument: an int counts reports, a duration counts days, None is the default.

    ``gap`` (and ``allow_zero``) accept 0; only the event-study windows take None (the default).
    """
    allow_zero = allow_zero or gap
    if value is None and not allow_zero:
        return Side(count=DEFAULT_REPORTS, days=float(DEFAULT_DAYS))
    if isinstance(value, bool | np.bool_) or not isinstance(
            value, int | np.integer | str | pd.Timedelta | datetime.timedelta | np.timedelta64):
        raise NkfxTypeError(f"{name} {_WINDOW_TYPE}; got {value!r} ({type(value).__name__})")
    if isinstance(value, int | np.integer):
        low = 0 if allow_zero else 1
        if value < low:
            raise NkfxValueError(f"{name} as a number of reports must be >= {low}; got {value!r}")
        return Side(count=int(value))
    if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise NkfxValueError(f"{name} as text needs a unit, such as '{value.strip()}D'; got {value!r} "
                             "(pass an int for a number of reports)")
    return Side(days=to_timedelta(name, value, allow_zero=allow_zero) / _DAY)


def _tolerances(tolerance: Mapping[str, Any] | None) -> dict[str, float]:
    """Days of date uncertainty per precision: :data:`DATE_TOLERANCE` updated by ``tolerance``."""
    out = {k: pd.Timedelta(v) / _DAY for k, v in DATE_TOLERANCE.items()}
    if tolerance is None:
        return out
    if not isinstance(tolerance, Mapping):
        raise NkfxTypeError("tolerance must map date precisions to durations, such as "
                            f"{{'approx': '7D'}}; got {type(tolerance).__name__}")
    for key, value in tolerance.items():
        if not isinstance(key, str):
            raise NkfxTypeError(f"tolerance keys must be date precisions (str); got {key!r}")
        if isinstance(value, bool | np.bool_) or not isinstance(
                value, str | pd.Timedelta | datetime.timedelta | np.timedelta64):
            raise NkfxTypeError(f"tolerance[{key!r}] must be a duration such as '7D'; got {value!r} "
                                f"({type(value).__name__})")
        out[_precision(key)] = to_timedelta(f"tolerance[{key!r}]", value, allow_zero=True) / _DAY
    return out


def _event_tolerance(table: pd.DataFrame, tolerances: dict[str, float]) -> np.ndarray:
    """Days of uncertainty per event; an unknown precision becomes a row problem (in place)."""
    out = np.zeros(len(table))
    known = ", ".join(repr(k) for k in tolerances)
    for i, value in enumerate(table["date_precision"].tolist()):
        word = _precision(value)
        table.loc[i, "date_precision"] = word
        if word in tolerances:
            out[i] = tolerances[word]
        elif not table.loc[i, "problem"]:
            table.loc[i, "problem"] = (f"date_precision must be one of {known}; got {word!r} "
                                       f"(or pass tolerance={{{word!r}: '7D'}})")
    return out


def _series_list(
    series_or_rates: pd.Series | pd.DataFrame, city: str | None, currency: str | None,
    source: str | None,
) -> tuple[list[tuple[str | None, str | None, pd.Series]], list[str]]:
    """One checked series per city and currency (medians per date), with notes."""
    if not isinstance(series_or_rates, pd.DataFrame):
        values, first_notes = prepare_series(series_or_rates, name="series_or_rates")
        return [(None, None, _calendar_days(values, first_notes))], first_notes

    rates = validate_rates(series_or_rates, name="series_or_rates")
    if city is not None or currency is not None or source is not None:
        rates = select(rates, city=city, currency=currency, source=source)
    out: list[tuple[str | None, str | None, pd.Series]] = []
    notes: list[str] = []
    keys = rates[["city", "currency"]].astype(object)
    for (c, k), part in rates.groupby([keys["city"], keys["currency"]], dropna=False, sort=True):
        c_str = str(c) if isinstance(c, str) else None
        values, part_notes = prepare_series(part, name="series_or_rates")
        out.append((c_str, str(k), values))
        notes.extend(f"{c_str or '(no city)'}/{k}: {n}" for n in part_notes)
    return out, notes


def _calendar_days(values: pd.Series, notes: list[str]) -> pd.Series:
    """Return the series on naive calendar days, with finite values and one report at least (issue 18).

    Time-zone-aware dates keep their local calendar day (as :func:`nkfx.read_rates` does)
    and lose the zone, so they compare with the catalogue's naive dates; undated reports
    are left out with a note.
    """
    index = pd.DatetimeIndex(values.index)
    if index.tz is not None:
        notes.append(f"dates in time zone {index.tz} taken as calendar days (zone dropped)")
        values = pd.Series(values.to_numpy(), index=index.tz_localize(None), name=values.name)
    undated = np.asarray(values.index.isna())
    if undated.any():
        notes.append(f"{int(undated.sum())} report(s) without a date left out")
        values = values[~undated]
    bad = values.index[~np.isfinite(values.to_numpy(dtype=float))]
    if len(bad):
        raise NkfxValueError(f"series_or_rates must hold finite rates; got {float(values[bad[0]])!r} on "
                             f"{bad[0].date()} ({len(bad)} value(s))")
    if values.empty:
        raise InsufficientDataError("series_or_rates holds no dated rate; got an empty series "
                                    "(after leaving out missing values)")
    values.index.name = "date"
    return values


def event_window(
    series_or_rates: pd.Series | pd.DataFrame,
    event: Any,
    *,
    before: Any = "90D",
    after: Any = "90D",
    city: str | None = None,
    currency: str | None = None,
    source: str | None = None,
    scale: Literal["log", "level"] = "log",
    events: pd.DataFrame | None = None,
    tolerance: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Return the observations around one event, with days elapsed since its start.

    An event with an uncertain date (``date_precision`` ``approx``, ``month`` or ``year``
    in the catalogue) is widened by its tolerance (:data:`DATE_TOLERANCE`: 7, 15 and 182
    days): the band ``[start - tol, end + tol]`` is ``during``, and the windows start
    outside it.

    Parameters
    ----------
    series_or_rates : pandas.Series or pandas.DataFrame
        Rates indexed by date, or a rate frame (one block per city and currency;
        several reports of one date become their median).
    event : str, pandas.Series or date-like
        An event id (looked up in ``events``, default :func:`nkfx.datasets.load_events`),
        a row of an event table, or a date (precision ``day``).
    before, after : int or duration, default "90D"
        A duration (``"90D"``, :class:`pandas.Timedelta`) keeps the observations from
        ``start - tol - before`` to ``end + tol + after``; an int ``n`` keeps the ``n``
        reports before the band (or after it) in each series, as ``detect(trim=6)`` counts
        observations.
    city, currency, source : str, optional
        Narrow a rate frame first.
    scale : {"log", "level"}, default "log"
        Scale of the ``value`` column.
    events : pandas.DataFrame, optional
        The event table ids are looked up in.
    tolerance : mapping, optional
        Date uncertainty per precision, updating :data:`DATE_TOLERANCE` (``{"approx": "3D"}``).

    Returns
    -------
    pandas.DataFrame
        ``event_id, city, currency, date, rate, value, days, position`` with
        ``days`` = date - event start in days (negative before) and ``position`` one
        of ``before``, ``during`` (inside the band, inclusive) or ``after``.

    Raises
    ------
    NkfxTypeError, NkfxValueError
        A window that is neither an int >= 1 nor a positive duration (bools, floats and
        unit-less text such as ``"150"`` are refused), naming the argument.

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx.events import event_window
    >>> dates = pd.to_datetime(["2022-01-02", "2022-01-09", "2022-01-23", "2022-03-20"])
    >>> usd = pd.Series([4700.0, 4720.0, 6750.0, 6900.0], index=dates)
    >>> event_window(usd, "freight_train_resumes_2022", before="30D", after="30D")[
    ...     ["date", "days", "position"]]
            date  days position
    0 2022-01-02 -14.0   before
    1 2022-01-09  -7.0   before
    2 2022-01-23   7.0    after
    >>> event_window(usd, "freight_train_resumes_2022", before=1, after=2)["rate"].tolist()
    [4720.0, 6750.0, 6900.0]
    """
    side_before = _window_side("before", before, allow_zero=True)
    side_after = _window_side("after", after, allow_zero=True)
    event_id, start, end, precision = _one_event(event, events)
    tolerances = _tolerances(tolerance)
    if precision not in tolerances:
        raise NkfxValueError(f"date_precision of event {event_id!r} must be one of "
                             f"{', '.join(repr(k) for k in tolerances)}; got {precision!r}")
    tol = pd.Timedelta(days=tolerances[precision])
    band_lo, band_hi = start - tol, end + tol
    blocks, _ = _series_list(series_or_rates, city, currency, source)
    parts = []
    for c, k, values in blocks:
        index = pd.DatetimeIndex(values.index)
        first_in = int(index.searchsorted(band_lo, side="left"))
        past = int(index.searchsorted(band_hi, side="right"))
        lo = min(int(index.searchsorted(band_lo - side_before.days * _DAY, side="left")),
                 max(first_in - side_before.count, 0))
        hi = max(int(index.searchsorted(band_hi + side_after.days * _DAY, side="right")),
                 min(past + side_after.count, len(index)))
        part = values.iloc[lo:hi]
        days = (pd.DatetimeIndex(part.index) - start) / _DAY
        position = np.where(part.index < band_lo, "before",
                            np.where(part.index <= band_hi, "during", "after"))
        parts.append(pd.DataFrame({
            "event_id": event_id, "city": c, "currency": k, "date": part.index,
            "rate": part.to_numpy(), "value": to_scale(part, scale).to_numpy(),
            "days": np.asarray(days, dtype=float), "position": position}))
    return pd.concat(parts, ignore_index=True)


def event_study(
    series_or_rates: pd.Series | pd.DataFrame,
    events: Any,
    *,
    city: str | None = None,
    currency: str | None = None,
    source: str | None = None,
    before: Any = None,
    after: Any = None,
    gap: Any = "0D",
    anchor: Literal["start", "end"] = "start",
    tolerance: Mapping[str, Any] | None = None,
    scale: Literal["log", "level"] = "log",
    statistic: Literal["change", "abnormal"] = "change",
    bandwidth: Any = "30D",
    level: float = 0.95,
    n_placebo: int = 500,
    seed: int = 0,
) -> EventStudy:
    """Measure the jump at each event between the reports that bracket it, and the change in window means.

    **The event.** An event whose catalogue date is uncertain happened somewhere in the band
    ``[start - tol, anchor + tol]`` (``anchor`` is the start, or the end of a multi-day
    event), with ``tol`` set by its ``date_precision`` (:data:`DATE_TOLERANCE`: ``day`` 0,
    ``approx`` 7, ``month`` 15, ``year`` 182 days; ``tolerance=`` changes them). Reports
    inside the band could be from before or after the news, so they enter neither window.

    **The jump.** The last report before the band and the first on or after its end
    bracket the event; ``jump_log``/``jump_pct`` is the change between them
    (``before_date``, ``before_rate``, ``after_date``, ``after_rate``, ``bracket_days``).
    When the band holds reports, each step between consecutive reports across it could be
    the one that straddles the event: the largest is the jump, and ``span_log``/``span_pct``
    is the change across the whole band. ``note`` says so, and says when the bracketing
    reports are more than 31 days apart. This is the headline of :meth:`EventStudy.summary`.

    **The change of window means.** The mean value in the pre window (before the band,
    less ``gap``) and in the post window (after it, plus ``gap``): ``change`` = post - pre;
    ``abnormal`` = post mean minus the pre-window linear trend (time in days) extrapolated
    to the mean day of the post observations. Standard errors come from least squares
    (value on a post dummy, or on pre intercept and slope plus a post mean) with a sandwich
    covariance whose Bartlett weights decay with the distance in calendar days
    (``bandwidth``), so autocorrelation is allowed and irregular spacing is respected.
    Intervals and p-values use Student's t with n - k degrees of freedom, a small-sample
    allowance: with two or three observations a side the variance itself is estimated from
    a handful of residuals, so prefer the placebo p-value there.

    **Placebo.** Pseudo-events at up to ``n_placebo`` random days of the same series, with
    the band of the event they are compared with, whose windows and bracketing reports fit
    the data (holding as many reports as an int window asks) and miss those of every
    event. ``placebo_pvalue`` is the share with ``|statistic|`` at least as large as the
    event's and ``jump_placebo_pvalue`` the same for the jump (plus one in numerator and
    denominator).

    Parameters
    ----------
    series_or_rates : pandas.Series or pandas.DataFrame
        Rates indexed by date, or a rate frame (studied per city and currency;
        several reports of one date become their median, said in ``notes``).
    events : pandas.DataFrame, str or sequence of str
        An event table (as :func:`read_events`; bad rows give NaN results with a
        ``reason``, not errors), or ids of :func:`nkfx.datasets.load_events`.
    city, currency, source : str, optional
        Narrow a rate frame first.
    before, after : int, duration or None, default None
        The windows. An int ``n`` is the ``n`` reports nearest the band on that side (as
        ``detect(trim=6)`` counts observations); a duration (``"60D"``,
        :class:`pandas.Timedelta`) is that many calendar days. The default adapts to the
        reporting frequency: at least 4 reports and at least 30 days, so it is never empty
        when the series has reports on that side; the windows chosen are in ``results``
        (``pre_start`` ... ``post_end``) and ``notes``.
    gap : int or duration, default "0D"
        Left out next to the band on both sides: reports (int) or days (duration).
    anchor : {"start", "end"}, default "start"
        Where the band (and so the post window) ends.
    tolerance : mapping, optional
        Date uncertainty per precision, updating :data:`DATE_TOLERANCE` (``{"approx": "3D"}``).
    scale : {"log", "level"}, default "log"
        Scale of the window means (the jump is always in log points and percent).
    statistic : {"change", "abnormal"}, default "change"
        The statistic of ``placebo_pvalue``.
    bandwidth : duration, default "30D"
        HAC kernel width in calendar days ("0D": heteroskedasticity-robust only).
    level : float, default 0.95
        Confidence level of the intervals.
    n_placebo : int, default 500
    seed : int, default 0
        Seed of the placebo dates (each series and band shape uses its own stream from it).

    Returns
    -------
    EventStudy

    Raises
    ------
    NkfxTypeError, NkfxValueError
        Naming the argument: a window that is neither an int (>= 1; >= 0 for ``gap``) nor a
        positive duration (bools, floats and unit-less text such as ``"150"`` are refused),
        an unknown option, a bad ``tolerance``.

    Examples
    --------
    >>> import nkfx
    >>> from nkfx.datasets import load_observations
    >>> yuan = nkfx.combine(load_observations())
    >>> res = nkfx.event_study(yuan, "hyesan_customs_rumour_2022", city="Hyesan", currency="CNY")
    >>> row = res.results.iloc[0]
    >>> print(res.summary().splitlines()[1])
      hyesan_customs_rumour_2022       Hyesan/CNY     jump +31.8% (+0.276 log points): 850 on ...
    >>> float(row.before_rate), float(row.after_rate), int(row.bracket_days), int(row.n_band)
    (850.0, 1120.0, 15, 1)
    >>> int(row.n_pre), int(row.n_post), round(float(row.change), 3)  # window means, 4 reports a side
    (4, 4, 0.302)

    On a simulated series with a known +0.35 log-point step:

    >>> import numpy as np, pandas as pd
    >>> dates = pd.date_range("2021-01-03", "2023-06-30", freq="14D")
    >>> noise = np.random.default_rng(2).normal(0, 0.02, dates.size)
    >>> usd = pd.Series(np.exp(8.5 + 0.35 * (dates >= "2022-01-16") + noise), index=dates)
    >>> row = nkfx.event_study(usd, "freight_train_resumes_2022", before="60D", after="60D",
    ...                        n_placebo=200).results.iloc[0]
    >>> bool(row.change_lower < 0.35 < row.change_upper), bool(row.placebo_pvalue < 0.05)
    (True, True)
    """
    spec = WindowSpec(before=_window_side("before", before), after=_window_side("after", after),
                      gap=_window_side("gap", gap, gap=True))
    check_option("anchor", anchor, ("start", "end"))
    check_option("scale", scale, ("log", "level"))
    check_option("statistic", statistic, ("change", "abnormal"))
    if isinstance(level, bool) or not isinstance(level, float) or not 0 < level < 1:
        raise NkfxValueError(f"level must be a float strictly between 0 and 1; got {level!r}")
    for name, value in (("n_placebo", n_placebo), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise NkfxValueError(f"{name} must be an integer >= 0; got {value!r}")
    width = to_timedelta("bandwidth", bandwidth, allow_zero=True) / _DAY
    tolerances = _tolerances(tolerance)
    table = _event_table(events)
    tol = _event_tolerance(table, tolerances)
    blocks, notes = _series_list(series_or_rates, city, currency, source)
    for _, _, v in blocks:
        to_scale(v, scale, name="series_or_rates")  # raises on values the scale cannot take
    params = {"before": spec.before.text(), "after": spec.after.text(), "gap": spec.gap.text(),
              "windows": {"before": spec.before.text(), "after": spec.after.text(),
                          "gap": spec.gap.text()}, "default_windows": before is None or after is None,
              "anchor": anchor, "tolerance": {k: f"{v:g}D" for k, v in tolerances.items()},
              "scale": scale, "statistic": statistic, "bandwidth": f"{width:g}D", "level": level,
              "n_placebo": n_placebo, "seed": seed, "city": city, "currency": currency,
              "source": source, "long_bracket_days": LONG_BRACKET_DAYS, "input": list(notes)}
    res = run_event_study(blocks, table, spec=spec, anchor=anchor, tolerance=tol, scale=scale,
                          bandwidth=width, level=level, statistic=statistic, n_placebo=n_placebo,
                          seed=seed, params=params, notes=notes)
    extra = _study_notes(res.results, blocks, tolerances, before is None, after is None)
    params.update(_window_days(res.results, spec))
    return dataclasses.replace(res, notes=(*res.notes, *extra))


def _window_days(results: pd.DataFrame, spec: WindowSpec) -> dict[str, str]:
    """Window lengths in days for ``params`` (the rule itself is in ``params["windows"]``).

    A window counted in reports has no single length: the median over events and series of
    the calendar days it spanned is recorded (the path plot draws it).
    """
    out = {}

    def days(lo: str, hi: str) -> np.ndarray:
        span = pd.DatetimeIndex(pd.to_datetime(results[hi])) - pd.DatetimeIndex(pd.to_datetime(results[lo]))
        values: np.ndarray = (span / _DAY).to_numpy(dtype=float)
        finite: np.ndarray = values[np.isfinite(values)]
        return finite

    spans = {"before": days("pre_start", "pre_end"), "after": days("post_start", "post_end"),
             "gap": days("pre_end", "band_start")}
    for name, side in (("before", spec.before), ("after", spec.after), ("gap", spec.gap)):
        if side.count:
            found = spans[name]
            out[name] = f"{float(np.median(found)) if found.size else side.days:g}D"
        else:
            out[name] = f"{side.days:g}D"
    return out


def _study_notes(results: pd.DataFrame, blocks: list[tuple[str | None, str | None, pd.Series]],
                 tolerances: dict[str, float], auto_before: bool, auto_after: bool) -> list[str]:
    """Return notes on the date bands used and on the windows the defaults chose."""
    out = []
    used = sorted({p for p, t in zip(results["precision"], results["tolerance_days"], strict=True)
                   if isinstance(p, str) and t > 0})
    if used:
        out.append("uncertain dates are bands: " + ", ".join(
            f"{p!r} +-{tolerances[p]:g} days" for p in used)
            + "; reports inside a band enter neither window, and the jump is taken across it")
    if not (auto_before or auto_after):
        return out
    sides = " and ".join(s for s, on in (("pre", auto_before), ("post", auto_after)) if on)
    out.append(f"default {sides} window(s): at least {DEFAULT_REPORTS} reports and {DEFAULT_DAYS} days "
               "a side (they adapt to the reporting frequency; pass before=/after= to choose)")
    series = {(c, k): v for c, k, v in blocks}
    for r in results.to_dict("records"):
        if not (r["n_pre"] or r["n_post"]):
            continue
        # a block without a city is keyed None; its rows hold NaN (KeyError, issue 18)
        city = r["city"] if isinstance(r["city"], str) else None
        values = series[(city, r["currency"])]
        start = pd.Timestamp(r["start"])
        near = values.index[(values.index >= start - pd.Timedelta("365D"))
                            & (values.index <= start + pd.Timedelta("365D"))]
        spacing = (f"{float(np.median(np.diff(near.to_numpy()) / _DAY)):.0f} days" if near.size > 1
                   else "fewer than 2 reports")
        label = "/".join(str(r[x]) for x in ("city", "currency") if isinstance(r[x], str)) or "series"
        out.append(f"{r['event_id']} {label}: pre {_ymd(r['pre_start'])} to {_ymd(r['pre_end'])} "
                   f"({r['n_pre']} reports), post {_ymd(r['post_start'])} to {_ymd(r['post_end'])} "
                   f"({r['n_post']} reports); median spacing of reports within a year: {spacing}")
    return out


def _ymd(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")
