"""The event catalogue: reading, checking and looking up dated events (:func:`read_events`)."""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from nkfx.datasets import load_events
from nkfx.errors import NkfxTypeError, NkfxValueError, SchemaError

__all__ = ["EVENT_COLUMNS", "REQUIRED_EVENT_COLUMNS", "STATUSES", "read_events"]

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
    ids = _text(out["id"])
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
    status = _text(out["status"]).str.lower()
    for i, st in enumerate(status):
        if "status" in frame and st not in STATUSES:
            allowed = ", ".join(repr(s) for s in STATUSES)
            problems[i].append(f"status must be one of {allowed}; got {frame['status'].iloc[i]!r}")
    out["status"] = status.to_numpy()
    out["problem"] = ["; ".join(p) for p in problems]
    extra = [c for c in out.columns if c not in EVENT_COLUMNS and c != "problem"]
    return out.loc[:, [*EVENT_COLUMNS, *extra, "problem"]].reset_index(drop=True)


def _text(values: pd.Series) -> pd.Series:
    r"""Return the stripped text of each cell, "" when missing.

    ``str()`` per cell: pandas' ``astype(str)`` decodes bytes as UTF-8 and raised
    UnicodeDecodeError on ``b"\\xff"`` (issue 18); ``str(b"\\xff")`` never fails.
    """
    text = [str(v) for v in values.astype(object).where(values.notna(), "")]
    return pd.Series(text, index=values.index, dtype=object).str.strip()


def _parse_dates(values: pd.Series, column: str, problems: list[list[str]], *,
                 allow_missing: bool = False) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.Series(pd.DatetimeIndex(values).tz_localize(None).normalize())
    else:
        raw = _text(values)
        parsed = pd.Series(pd.DatetimeIndex(pd.to_datetime(raw.replace("", None), errors="coerce",
                                                           format="mixed")))
        for i in np.flatnonzero((parsed.isna() & (raw != "")).to_numpy()):
            problems[i].append(f"{column} {raw.iloc[i]!r} is not a date")
    if not allow_missing:
        for i in np.flatnonzero(values.isna().to_numpy() | (_text(values) == "").to_numpy()):
            problems[i].append(f"{column} is missing")
    return parsed.reset_index(drop=True)


def _event_table(events: Any) -> pd.DataFrame:
    """Return checked events (``problem`` column) from a table, one id, a list of ids or one row."""
    if isinstance(events, pd.DataFrame):
        return _check_events(events)
    if isinstance(events, pd.Series):
        return _check_events(events.to_frame().T.reset_index(drop=True))

    if isinstance(events, str):
        events = [events]
    if not isinstance(events, Sequence) or not all(isinstance(e, str) for e in events):
        raise NkfxTypeError(
            "events must be an event table, a row of one, or event ids from load_events(); "
            f"got {type(events).__name__}")
    catalogue = load_events()
    unknown = [e for e in events if e not in set(catalogue["id"])]
    if unknown:
        ids = catalogue["id"].tolist()
        close = {u: difflib.get_close_matches(u, ids, n=1, cutoff=0.6) for u in unknown}
        hints = [f"{u!r}: did you mean {c[0]!r}?" for u, c in close.items() if c]
        hint = f" ({'; '.join(hints)})" if hints else ""
        raise NkfxValueError(f"unknown event id(s) {unknown}{hint}; load_events() has ids such as "
                             f"{catalogue['id'].head(4).tolist()}")
    picked = catalogue.set_index("id").loc[list(events)].reset_index()
    return _check_events(picked)


def _one_event(event: Any, events: pd.DataFrame | None) -> tuple[str, pd.Timestamp, pd.Timestamp, str]:
    """Return (id, start, end, date precision) of an event given as an id, a catalogue row or a date."""
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
        return str(day.date()), day.normalize(), day.normalize(), "day"
    row = table.iloc[0]
    if row["problem"]:
        raise NkfxValueError(f"event {row['id']!r} cannot be used: {row['problem']}")
    return (str(row["id"]), pd.Timestamp(row["start"]), pd.Timestamp(row["end"]),
            _precision(row["date_precision"]))


def _precision(value: Any) -> str:
    """Return a ``date_precision`` cell as a lower-case word; empty or missing is ``"day"``."""
    text = str(value).strip().lower() if isinstance(value, str) else ""
    return text or "day"


def _looks_like_date(text: str) -> bool:
    try:
        return not pd.isna(pd.Timestamp(text)) and any(ch.isdigit() for ch in text)
    except (TypeError, ValueError):
        return False
