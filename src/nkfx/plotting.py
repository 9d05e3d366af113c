"""Matplotlib figures of rates and events.

Every function has the signature ``plot_x(obj, *, ax=None, **kwargs) -> Axes``:
it draws on ``ax`` (or on a new figure when ``ax`` is None), returns the Axes and
never calls ``plt.show()``. matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from nkfx._validate import check_option, to_timedelta
from nkfx.errors import NkfxValueError
from nkfx.schema import select, validate_rates

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["STATUS_COLOURS", "plot_rates"]

#: Colours of event spans by status: solid facts dark, rumours light.
STATUS_COLOURS = {"confirmed": "#4d4d4d", "reported": "#e08214", "rumour": "#8073ac"}


def _get_axes(ax: Axes | None) -> Axes:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    return ax


def plot_rates(
    rates: pd.DataFrame,
    *,
    ax: Axes | None = None,
    currency: str | None = None,
    city: str | None = None,
    by: str = "city",
    log: bool = False,
    events: pd.DataFrame | None = None,
    max_gap: str | pd.Timedelta | None = "180D",
    long_event: str | pd.Timedelta = "365D",
    credit: str | None = None,
    **kwargs: Any,
) -> Axes:
    """Plot market rates over time, one line per city (or per source).

    Parameters
    ----------
    rates : pandas.DataFrame
        A rate frame (:func:`nkfx.read_rates`, :func:`nkfx.datasets.load_observations`).
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    currency : str, optional
        Currency to plot. Required when ``rates`` holds several currencies, since
        KPW per yuan and per dollar do not share an axis.
    city : str, optional
        Restrict to one city.
    by : {"city", "source"}, default "city"
        What each line represents. Rows without a city are drawn as "(no city)".
    log : bool, default False
        Logarithmic rate axis (changes read as percentages).
    events : pandas.DataFrame, optional
        Events from :func:`nkfx.datasets.load_events` to draw as vertical spans
        coloured by status (:data:`STATUS_COLOURS`), clipped to the data's dates.
    max_gap : str or Timedelta or None, default "180D"
        Consecutive observations of one line further apart than this are not
        joined, so a long silence shows as a gap instead of an invented path.
        ``None`` joins everything.
    long_event : str or Timedelta, default "365D"
        Events lasting longer than this (eras such as "stabilisation 2013-2023")
        are marked by a dashed line at their start instead of a span that would
        cover the figure.
    credit : str, optional
        Source credit written under the axes (e.g. ``"Data: Daily NK, Asia Press"``).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` for every line.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    NkfxValueError
        If several currencies are present and ``currency`` is not given, or
        ``by`` is not one of the allowed values.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from nkfx.datasets import load_events, load_observations
    >>> from nkfx.plotting import plot_rates
    >>> ax = plot_rates(load_observations(), currency="CNY", log=True, events=load_events())
    >>> ax.get_ylabel()
    'KPW per CNY (log scale)'
    """
    check_option("by", by, ("city", "source"))
    validate_rates(rates)
    data = select(rates, city=city, currency=currency)
    currencies = sorted(data["currency"].unique())
    if len(currencies) != 1:
        raise NkfxValueError(
            f"rates holds currencies {currencies}; pass currency= one of them "
            "(KPW per yuan and per dollar do not share an axis)"
        )
    gap = None if max_gap is None else to_timedelta("max_gap", max_gap)
    era = to_timedelta("long_event", long_event)
    ax = _get_axes(ax)
    labels = data[by].astype(object).where(data[by].notna(), f"(no {by})")
    style: dict[str, Any] = {"marker": "o", "markersize": 3, "linewidth": 1.0} | kwargs
    for label, part in data.groupby(labels, sort=True):
        # rows without a city come from different regions: a line through them would invent a path
        extra: dict[str, Any] = {"linestyle": "none"} if str(label).startswith("(no ") else {}
        dates, values = _break_gaps(part["date"], part["rate"], gap)
        ax.plot(dates, values, label=str(label), **(style | extra))
    if events is not None:
        _draw_events(ax, events, data["date"].min(), data["date"].max(), era)
    ax.set_yscale("log" if log else "linear")
    _format_rate_axis(ax, currencies[0], log)
    ax.legend(loc="upper left", fontsize="small", frameon=False, ncols=2)
    if credit:
        ax.annotate(credit, (0, 0), xycoords="axes fraction", xytext=(0, -28),
                    textcoords="offset points", fontsize="x-small", color="0.4", va="top")
    return ax


def _format_rate_axis(ax: Axes, currency: str, log: bool) -> None:
    from matplotlib.ticker import FuncFormatter

    thousands = FuncFormatter(lambda v, _pos: f"{v:,.0f}")
    ax.yaxis.set_major_formatter(thousands)
    ax.yaxis.set_minor_formatter(thousands if log else FuncFormatter(lambda v, _p: ""))
    if log:  # minor log ticks would print every 100, 200, ... label: keep only majors
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _p: ""))
    ax.set_ylabel(f"KPW per {currency}" + (" (log scale)" if log else ""))
    ax.grid(True, which="major", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _break_gaps(dates: pd.Series, values: pd.Series,
                gap: pd.Timedelta | None) -> tuple[pd.Series, pd.Series]:
    """Insert a NaN between observations further apart than ``gap`` (matplotlib breaks the line)."""
    if gap is None or len(dates) < 2:
        return dates, values
    far = dates.diff() > gap
    if not far.any():
        return dates, values
    breaks = dates[far] - gap / 2  # any date inside the silence will do
    frame = pd.concat([pd.DataFrame({"date": dates, "value": values}),
                       pd.DataFrame({"date": breaks, "value": float("nan")})]).sort_values("date")
    return frame["date"], frame["value"]


def _draw_events(ax: Axes, events: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp,
                 era: pd.Timedelta) -> None:
    missing = [c for c in ("start", "end", "status") if c not in events]
    if missing:
        raise NkfxValueError(f"events is missing column(s) {missing}; use nkfx.datasets.load_events()")
    shown = events[(events["end"] >= lo) & (events["start"] <= hi)]
    seen: set[str] = set()
    for ev in shown.itertuples(index=False):
        status = str(ev.status)
        colour = STATUS_COLOURS.get(status, "0.6")
        label = f"event: {status}" if status not in seen else None
        seen.add(status)
        start, end = pd.Timestamp(str(ev.start)), pd.Timestamp(str(ev.end))
        # a one-day event still needs a visible width: at least 0.3% of the axis span
        min_width = (hi - lo) * 0.003
        end = max(end, start + min_width)
        if end - start > era:
            ax.axvline(start, color=colour, alpha=0.6, lw=1.0, ls="--", label=label)  # type: ignore[arg-type]
            continue
        ax.axvspan(start, end, color=colour, alpha=0.18, lw=0, label=label)  # type: ignore[arg-type]
