"""Detected breaks lined up with catalogued events: lead or lag, precision and recall."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nkfx._json import jsonable
from nkfx._validate import to_timedelta
from nkfx.datasets import load_events
from nkfx.errors import NkfxTypeError, NkfxValueError
from nkfx.events.catalogue import _event_table
from nkfx.summary import Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["BreakMatch", "match_breaks"]


@dataclass(frozen=True, eq=False)
class BreakMatch:
    """Detected breaks lined up with catalogued events.

    Attributes
    ----------
    breaks : pandas.DataFrame
        One row per break: ``date``, the nearest event (``event_id``, ``event_start``),
        ``lag_days`` = break date - event start (negative: the market moved before the
        event) and ``matched`` (``|lag| <= tolerance``).
    events : pandas.DataFrame
        One row per event: ``event_id``, ``start``, ``n_breaks`` within tolerance,
        ``nearest_break``, ``lag_days`` (nearest break - start) and ``matched``.
    precision : float
        Share of breaks within tolerance of some event (NaN without breaks).
    recall : float
        Share of events with a break within tolerance (NaN without events).
    tolerance : pandas.Timedelta
    """

    breaks: pd.DataFrame
    events: pd.DataFrame
    precision: float
    recall: float
    tolerance: pd.Timedelta

    def to_frame(self) -> pd.DataFrame:
        """Return the per-break table (a copy).

        Examples
        --------
        >>> from nkfx.events import match_breaks
        >>> m = match_breaks(["2022-01-24", "2019-03-01"], "freight_train_resumes_2022", tolerance="30D")
        >>> m.to_frame()[["date", "lag_days", "matched"]]
                date  lag_days  matched
        0 2019-03-01   -1052.0    False
        1 2022-01-24       8.0     True
        """
        return self.breaks.copy()

    def to_dict(self) -> dict[str, Any]:
        """Return both tables and the scores as JSON-safe types.

        Examples
        --------
        >>> from nkfx.events import match_breaks
        >>> m = match_breaks(["2022-01-24", "2019-03-01"], "freight_train_resumes_2022", tolerance="30D")
        >>> d = m.to_dict()
        >>> sorted(d)
        ['breaks', 'events', 'precision', 'recall', 'tolerance_days']
        >>> d["breaks"][1]["date"], d["breaks"][1]["matched"], d["tolerance_days"]
        ('2022-01-24', True, 30.0)
        """
        out: dict[str, Any] = jsonable({
            "breaks": self.breaks, "events": self.events, "precision": self.precision,
            "recall": self.recall, "tolerance_days": self.tolerance / pd.Timedelta(days=1)})
        return out

    def summary(self) -> Summary:
        """Return the :class:`~nkfx.summary.Summary`: precision, recall, each break and its nearest event.

        Examples
        --------
        >>> from nkfx.events import match_breaks
        >>> m = match_breaks(["2022-01-24", "2019-03-01"], "freight_train_resumes_2022", tolerance="30D")
        >>> print(m.summary().splitlines()[-1])
          break 2022-01-24: 8 days after freight_train_resumes_2022 (matched)
        """
        lines = [f"Breaks vs events (tolerance {self.tolerance.days} days): {len(self.breaks)} breaks, "
                 f"{len(self.events)} events; precision {self.precision:.2f}, recall {self.recall:.2f}"]
        for r in self.breaks.to_dict("records"):
            when = "before" if r["lag_days"] < 0 else "after"
            lines.append(f"  break {r['date'].date()}: {abs(r['lag_days']):.0f} days {when} {r['event_id']}"
                         + (" (matched)" if r["matched"] else ""))
        table = self.breaks[["date", "event_id", "lag_days", "matched"]]
        return Summary.from_text("\n".join(lines), {"Breaks and their nearest events": table})

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Plot the lag of each break to its nearest event (days; negative = before the event).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure is created when omitted.
        **kwargs
            Passed to ``Axes.scatter``.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from nkfx.events import match_breaks
        >>> m = match_breaks(["2022-01-24", "2019-03-01"], "freight_train_resumes_2022", tolerance="30D")
        >>> ax = m.plot()
        >>> type(ax).__name__, ax.get_ylabel()
        ('Axes', 'break - event start (days)')
        >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
        """
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(8, 3))
        tol = self.tolerance.days
        ax.axhspan(-tol, tol, color="C2", alpha=0.15, lw=0, label=f"±{tol} days")
        ax.scatter(self.breaks["date"], self.breaks["lag_days"], **{"color": "C3", **kwargs})
        ax.axhline(0.0, color="0.5", lw=0.8)
        ax.set_ylabel("break - event start (days)")
        ax.legend(loc="best", fontsize="small")
        return ax


def match_breaks(breaks: Any, events: Any = None, tolerance: Any = "60D") -> BreakMatch:
    """Nearest event of each break (lead or lag in days) and precision/recall for a tolerance.

    Parameters
    ----------
    breaks : Breaks, DataFrame or sequence of dates
        A :class:`nkfx.detect.Breaks` (its ``breaks["first_new"]`` dates are used:
        the first observation of each new regime), a DataFrame with a ``first_new``
        or ``date`` column, or dates.
    events : DataFrame, str or sequence of str, optional
        An event table or ids; default the whole :func:`nkfx.datasets.load_events`.
        Distances are measured to each event's ``start``.
    tolerance : duration, default "60D"
        A break matches an event when ``|break - start| <= tolerance``.

    Returns
    -------
    BreakMatch

    Examples
    --------
    >>> from nkfx.events import match_breaks
    >>> m = match_breaks(["2022-01-24", "2019-03-01"], "freight_train_resumes_2022", tolerance="30D")
    >>> m.breaks[["date", "event_id", "lag_days", "matched"]]
            date                    event_id  lag_days  matched
    0 2019-03-01  freight_train_resumes_2022   -1052.0    False
    1 2022-01-24  freight_train_resumes_2022       8.0     True
    >>> m.precision, m.recall
    (0.5, 1.0)
    """
    tol = to_timedelta("tolerance", tolerance, allow_zero=True)
    dates = _break_dates(breaks)
    if events is None:

        events = load_events()

    table = _event_table(events)
    bad = table[table["problem"] != ""]
    if len(bad):
        raise NkfxValueError(f"events has unusable rows: {bad['id'].iloc[0]!r}: {bad['problem'].iloc[0]}")
    starts = pd.DatetimeIndex(table["start"])
    lag = (np.asarray(dates.values)[:, None] - np.asarray(starts.values)[None, :]) / np.timedelta64(1, "D")
    lag = lag.reshape(len(dates), len(starts)).astype(float)
    tol_days = tol / pd.Timedelta(days=1)
    near = np.argmin(np.abs(lag), axis=1) if len(starts) else np.zeros(len(dates), dtype=int)
    b_lag = lag[np.arange(len(dates)), near] if len(starts) else np.full(len(dates), np.nan)
    b = pd.DataFrame({"date": dates, "event_id": table["id"].to_numpy()[near] if len(starts) else None,
                      "event_start": starts[near] if len(starts) else pd.NaT, "lag_days": b_lag,
                      "matched": np.abs(b_lag) <= tol_days})
    within = np.abs(lag) <= tol_days
    e_near = np.argmin(np.abs(lag), axis=0) if len(dates) else np.zeros(len(starts), dtype=int)
    e_lag = lag[e_near, np.arange(len(starts))] if len(dates) else np.full(len(starts), np.nan)
    e = pd.DataFrame({"event_id": table["id"].to_numpy(), "start": starts,
                      "n_breaks": within.sum(axis=0).astype(int),
                      "nearest_break": dates[e_near] if len(dates) else pd.NaT,
                      "lag_days": e_lag, "matched": within.any(axis=0)})
    precision = float(b["matched"].mean()) if len(b) else math.nan
    recall = float(e["matched"].mean()) if len(e) else math.nan
    return BreakMatch(breaks=b, events=e, precision=precision, recall=recall, tolerance=tol)


def _break_dates(breaks: Any) -> pd.DatetimeIndex:
    frame = getattr(breaks, "breaks", None)
    if isinstance(frame, pd.DataFrame):
        breaks = frame
    if isinstance(breaks, pd.DataFrame):
        column = next((c for c in ("first_new", "date") if c in breaks), None)
        if column is None:
            raise NkfxValueError(
                f"breaks must have a 'first_new' or 'date' column; got columns {list(breaks.columns)}")
        breaks = breaks[column]
    if isinstance(breaks, str | pd.Timestamp):
        breaks = [breaks]
    try:
        dates = pd.DatetimeIndex(pd.to_datetime(pd.Series(list(breaks), dtype=object), errors="raise"))
    except (TypeError, ValueError) as exc:
        raise NkfxTypeError(f"breaks must be a Breaks result, a DataFrame with a 'date' column or dates; "
                            f"got {breaks!r}") from exc
    if dates.hasnans:
        raise NkfxValueError("breaks must not contain missing dates")
    return dates.sort_values().normalize()
