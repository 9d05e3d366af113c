"""Events: the catalogue, the data around an event, event studies and breaks against events.

Did the market move on the rumour, before it, or not at all? :func:`event_window`
shows the observations around one event, :func:`event_study` measures the change
from before to after with uncertainty and placebo p-values, and
:func:`match_breaks` lines detected breaks up with catalogued events.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from nkfx._break_match import BreakMatch, match_breaks
from nkfx._event_result import EventStudy
from nkfx._event_study import WindowSpec, run_event_study
from nkfx._validate import check_option, to_timedelta
from nkfx.errors import NkfxTypeError, NkfxValueError, SchemaError
from nkfx.probability import prepare_series, to_scale

if TYPE_CHECKING:
    pass

__all__ = ["BreakMatch", "EventStudy", "event_study", "event_window", "match_breaks", "read_events"]

EVENT_COLUMNS = ("id", "start", "end", "date_precision", "description", "status", "status_detail",
                 "scope", "expected_signal", "source", "url")
REQUIRED_EVENT_COLUMNS = ("id", "start", "status", "scope", "description", "source")
STATUSES = ("confirmed", "reported", "rumour")


def read_events(frame_or_csv: pd.DataFrame | str | os.PathLike[str]) -> pd.DataFrame:
    """Read and check an event catalogue (a DataFrame or a CSV with the columns of ``load_events()``).

    Required columns: ``id, start, status, scope, description, source``; ``end``,
    ``date_precision``, ``status_detail``, ``expected_signal`` and ``url`` are added
    empty when absent, and extra columns are kept. ``start``/``end`` become datetimes;
    a missing ``end`` means a one-day event (``end == start``).

    Parameters
    ----------
    frame_or_csv : pandas.DataFrame, str or path
        The catalogue. It is not modified.

    Returns
    -------
    pandas.DataFrame
        The catalogue with the columns of :func:`nkfx.datasets.load_events` first.

    Raises
    ------
    SchemaError
        Listing every problem by row (0-based position) and id: missing columns,
        empty or repeated ids, dates that do not parse, ``end`` before ``start``,
        ``status`` not one of confirmed / reported / rumour. Nothing is dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx.events import read_events
    >>> mine = pd.DataFrame({"id": ["hyesan_talk"], "start": ["2022-11-20"], "status": ["rumour"],
    ...                      "scope": ["Hyesan"], "description": ["traders expect trade"],
    ...                      "source": ["my notes"]})
    >>> read_events(mine)[["id", "start", "end"]].iloc[0].tolist()
    ['hyesan_talk', Timestamp('2022-11-20 00:00:00'), Timestamp('2022-11-20 00:00:00')]
    >>> read_events(mine.assign(status="gossip"))
    Traceback (most recent call last):
    ...
    nkfx.errors.SchemaError: events is not a valid event catalogue
      - row 0 (id 'hyesan_talk'): status must be one of 'confirmed', 'reported', 'rumour'; got 'gossip'
    """
    if isinstance(frame_or_csv, str | os.PathLike):
        frame = pd.read_csv(frame_or_csv, dtype=str, keep_default_na=False)
    elif isinstance(frame_or_csv, pd.DataFrame):
        frame = frame_or_csv
    else:
        raise NkfxTypeError(
            f"events must be a DataFrame or the path of a CSV file; got {type(frame_or_csv).__name__}")
    missing = [c for c in REQUIRED_EVENT_COLUMNS if c not in frame]
    if missing:
        raise SchemaError("events is not an event catalogue",
                          [f"missing required column {c!r}" for c in missing])
    checked = _check_events(frame)
    problems = [f"row {i} (id {ident!r}): {p}" for i, (ident, p) in
                enumerate(zip(checked["id"], checked["problem"], strict=True)) if p]
    if problems:
        raise SchemaError("events is not a valid event catalogue", problems)
    return checked.drop(columns="problem")


def _check_events(frame: pd.DataFrame) -> pd.DataFrame:
    """Normalised copy of an event table with a ``problem`` column (empty when the row is usable)."""
    if "id" not in frame or "start" not in frame:
        missing = [c for c in ("id", "start") if c not in frame]
        raise NkfxValueError(f"events must have columns 'id' and 'start'; missing {missing}")
    out = frame.copy()
    for col in EVENT_COLUMNS:
        if col not in out:
            out[col] = pd.NaT if col == "end" else ""
    problems: list[list[str]] = [[] for _ in range(len(out))]
    ids = out["id"].astype(object).where(out["id"].notna(), "").astype(str).str.strip()
    for i, ident in enumerate(ids):
        if not ident:
            problems[i].append("id is empty")
        elif (ids == ident).sum() > 1:
            problems[i].append(f"id {ident!r} is repeated")
    out["id"] = ids.to_numpy()
    start = _parse_dates(out["start"], "start", problems)
    end = _parse_dates(out["end"], "end", problems, allow_missing=True)
    end = end.fillna(start)
    for j in np.flatnonzero((end < start).to_numpy()):
        problems[j].append(f"end {end.iloc[j].date()} is before start {start.iloc[j].date()}")
    out["start"], out["end"] = start.to_numpy(), end.to_numpy()
    status = out["status"].astype(object).where(out["status"].notna(), "").astype(str).str.strip().str.lower()
    for i, st in enumerate(status):
        if "status" in frame and st not in STATUSES:
            allowed = ", ".join(repr(s) for s in STATUSES)
            problems[i].append(f"status must be one of {allowed}; got {frame['status'].iloc[i]!r}")
    out["status"] = status.to_numpy()
    out["problem"] = ["; ".join(p) for p in problems]
    extra = [c for c in out.columns if c not in EVENT_COLUMNS and c != "problem"]
    return out.loc[:, [*EVENT_COLUMNS, *extra, "problem"]].reset_index(drop=True)


def _parse_dates(values: pd.Series, column: str, problems: list[list[str]], *,
                 allow_missing: bool = False) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.Series(pd.DatetimeIndex(values).tz_localize(None).normalize())
    else:
        raw = values.astype(object).where(values.notna(), "").astype(str).str.strip()
        parsed = pd.Series(pd.DatetimeIndex(pd.to_datetime(raw.replace("", None), errors="coerce",
                                                           format="mixed")))
        for i in np.flatnonzero((parsed.isna() & (raw != "")).to_numpy()):
            problems[i].append(f"{column} {raw.iloc[i]!r} is not a date")
    if not allow_missing:
        for i in np.flatnonzero(values.isna().to_numpy() | (values.astype(str).str.strip() == "").to_numpy()):
            problems[i].append(f"{column} is missing")
    return parsed.reset_index(drop=True)


def _event_table(events: Any) -> pd.DataFrame:
    """Return checked events (``problem`` column) from a table, one id, a list of ids or one row."""
    if isinstance(events, pd.DataFrame):
        return _check_events(events)
    if isinstance(events, pd.Series):
        return _check_events(events.to_frame().T.reset_index(drop=True))
    from nkfx.datasets import load_events

    if isinstance(events, str):
        events = [events]
    if not isinstance(events, Sequence) or not all(isinstance(e, str) for e in events):
        raise NkfxTypeError(
            "events must be an event table, a row of one, or event ids from load_events(); "
            f"got {type(events).__name__}")
    catalogue = load_events()
    unknown = [e for e in events if e not in set(catalogue["id"])]
    if unknown:
        raise NkfxValueError(f"unknown event id(s) {unknown}; load_events() has ids such as "
                             f"{catalogue['id'].head(4).tolist()}")
    picked = catalogue.set_index("id").loc[list(events)].reset_index()
    return _check_events(picked)


def _one_event(event: Any, events: pd.DataFrame | None) -> tuple[str, pd.Timestamp, pd.Timestamp]:
    """Return (id, start, end) of an event given as an id, a catalogue row or a date."""
    table: pd.DataFrame | None = None
    if isinstance(event, pd.Series):
        table = _event_table(event)
    elif isinstance(event, str) and events is not None:
        table = _check_events(events)
        table = table[table["id"] == event]
        if table.empty and not _looks_like_date(event):
            raise NkfxValueError(f"event {event!r} is not in the event table; pass an id, a row or a date")
    elif isinstance(event, str) and not _looks_like_date(event):
        table = _event_table(event)  # an id of the bundled catalogue (raises when unknown)
    if table is None or table.empty:
        try:
            day = pd.Timestamp(event)
        except (TypeError, ValueError) as exc:
            raise NkfxValueError(f"event must be an event id, a row of an event table or a date; "
                                 f"got {event!r}") from exc
        if pd.isna(day):
            raise NkfxValueError(f"event must be a date, not missing; got {event!r}")
        return str(day.date()), day.normalize(), day.normalize()
    row = table.iloc[0]
    if row["problem"]:
        raise NkfxValueError(f"event {row['id']!r} cannot be used: {row['problem']}")
    return str(row["id"]), pd.Timestamp(row["start"]), pd.Timestamp(row["end"])


def _looks_like_date(text: str) -> bool:
    try:
        return not pd.isna(pd.Timestamp(text)) and any(ch.isdigit() for ch in text)
    except (TypeError, ValueError):
        return False


def _series_list(
    series_or_rates: pd.Series | pd.DataFrame, city: str | None, currency: str | None,
    source: str | None,
) -> tuple[list[tuple[str | None, str | None, pd.Series]], list[str]]:
    """One checked series per city and currency (medians per date), with notes."""
    if not isinstance(series_or_rates, pd.DataFrame):
        values, first_notes = prepare_series(series_or_rates, name="series_or_rates")
        return [(None, None, values)], first_notes
    from nkfx.schema import select, validate_rates

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
) -> pd.DataFrame:
    """Return the observations around one event, with days elapsed since its start.

    Parameters
    ----------
    series_or_rates : pandas.Series or pandas.DataFrame
        Rates indexed by date, or a rate frame (one block per city and currency;
        several reports of one date become their median).
    event : str, pandas.Series or date-like
        An event id (looked up in ``events``, default :func:`nkfx.datasets.load_events`),
        a row of an event table, or a date.
    before, after : duration, default "90D"
        Window from ``start - before`` to ``end + after``.
    city, currency, source : str, optional
        Narrow a rate frame first.
    scale : {"log", "level"}, default "log"
        Scale of the ``value`` column.
    events : pandas.DataFrame, optional
        The event table ids are looked up in.

    Returns
    -------
    pandas.DataFrame
        ``event_id, city, currency, date, rate, value, days, position`` with
        ``days`` = date - event start in days (negative before) and ``position`` one
        of ``before``, ``during`` (start to end, inclusive) or ``after``.

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
    """
    event_id, start, end = _one_event(event, events)
    lo = start - to_timedelta("before", before, allow_zero=True)
    hi = end + to_timedelta("after", after, allow_zero=True)
    blocks, _ = _series_list(series_or_rates, city, currency, source)
    parts = []
    for c, k, values in blocks:
        part = values[(values.index >= lo) & (values.index <= hi)]
        days = (pd.DatetimeIndex(part.index) - start) / pd.Timedelta(days=1)
        position = np.where(part.index < start, "before", np.where(part.index <= end, "during", "after"))
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
    before: Any = "60D",
    after: Any = "60D",
    gap: Any = "0D",
    anchor: Literal["start", "end"] = "start",
    scale: Literal["log", "level"] = "log",
    statistic: Literal["change", "abnormal"] = "change",
    bandwidth: Any = "30D",
    level: float = 0.95,
    n_placebo: int = 500,
    seed: int = 0,
) -> EventStudy:
    """Change in (log) level from before to after each event, with HAC and placebo uncertainty.

    For each event and series: the mean value in the pre window
    ``[start - gap - before, start - gap)`` and in the post window
    ``[anchor + gap, anchor + gap + after]`` (``anchor`` is the start, or the end of a
    multi-day event); ``change`` = post - pre; ``abnormal`` = post mean minus the
    pre-window linear trend (time in days) extrapolated to the mean day of the post
    observations. Standard errors come from least squares (value on a post dummy,
    or on pre intercept and slope plus a post mean) with a sandwich covariance whose
    Bartlett weights decay with the distance in calendar days (``bandwidth``), so
    autocorrelation is allowed and irregular spacing is respected. Intervals and
    p-values use Student's t with n - k degrees of freedom, a small-sample allowance:
    with two or three observations a side the variance itself is estimated from a
    handful of residuals, so prefer the placebo p-value there. The placebo p-value
    is the share of pseudo-events, at up to ``n_placebo`` random dates of the same
    series whose windows miss every event window, with ``|statistic|`` at least as
    large as the event's (plus one in numerator and denominator). Placebo
    pseudo-events last one day.

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
    before, after, gap : duration
        Window lengths; ``gap`` leaves days out on both sides of the event.
    anchor : {"start", "end"}, default "start"
        Where the post window begins.
    scale : {"log", "level"}, default "log"
    statistic : {"change", "abnormal"}, default "change"
        The statistic of the placebo p-value.
    bandwidth : duration, default "30D"
        HAC kernel width in calendar days ("0D": heteroskedasticity-robust only).
    level : float, default 0.95
        Confidence level of the intervals.
    n_placebo : int, default 500
    seed : int, default 0
        Seed of the placebo dates (each series uses its own stream from this seed).

    Returns
    -------
    EventStudy

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from nkfx.events import event_study
    >>> dates = pd.date_range("2021-01-03", "2023-06-30", freq="14D")
    >>> noise = np.random.default_rng(2).normal(0, 0.02, dates.size)
    >>> usd = pd.Series(np.exp(8.5 + 0.35 * (dates >= "2022-01-16") + noise), index=dates)
    >>> res = event_study(usd, "freight_train_resumes_2022", n_placebo=200)
    >>> row = res.results.iloc[0]
    >>> bool(row.change_lower < 0.35 < row.change_upper), bool(row.placebo_pvalue < 0.05)
    (True, True)
    """
    check_option("anchor", anchor, ("start", "end"))
    check_option("scale", scale, ("log", "level"))
    check_option("statistic", statistic, ("change", "abnormal"))
    if isinstance(level, bool) or not isinstance(level, float) or not 0 < level < 1:
        raise NkfxValueError(f"level must be a float strictly between 0 and 1; got {level!r}")
    for name, value in (("n_placebo", n_placebo), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise NkfxValueError(f"{name} must be an integer >= 0; got {value!r}")
    day = pd.Timedelta(days=1)
    spec = WindowSpec(before=to_timedelta("before", before) / day, after=to_timedelta("after", after) / day,
                      gap=to_timedelta("gap", gap, allow_zero=True) / day)
    width = to_timedelta("bandwidth", bandwidth, allow_zero=True) / day
    table = _event_table(events)
    blocks, notes = _series_list(series_or_rates, city, currency, source)
    blocks = [(c, k, to_scale(v, scale, name="series_or_rates")) for c, k, v in blocks]
    params = {"before": _days_text(spec.before), "after": _days_text(spec.after),
              "gap": _days_text(spec.gap), "anchor": anchor, "scale": scale, "statistic": statistic,
              "bandwidth": _days_text(width), "level": level, "n_placebo": n_placebo,
              "seed": seed, "city": city, "currency": currency, "source": source, "input": list(notes)}
    return run_event_study(blocks, table, spec=spec, anchor=anchor, bandwidth=width, level=level,
                           statistic=statistic, n_placebo=n_placebo, seed=seed, params=params, notes=notes)


def _days_text(days: float) -> str:
    return f"{days:g}D"
