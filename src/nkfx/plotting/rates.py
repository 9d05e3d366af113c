"""Figures of rate series: one axes (:func:`plot_rates`) and small multiples by city (:func:`plot_cities`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from nkfx._validate import check_option, to_timedelta
from nkfx.errors import NkfxTypeError, NkfxValueError
from nkfx.names import canonical_city
from nkfx.plotting._rates import (
    draw_events,
    draw_series,
    finish_rate_axis,
    rate_data,
    series_style,
    shared_window,
    strip_fraction,
)
from nkfx.plotting.style import (
    add_credit,
    as_axes_list,
    format_rate_axis,
    legend_outside,
    new_axes,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_cities", "plot_rates"]


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
    event_labels: str = "auto",
    event_key: bool = True,
    clip_outliers: bool = True,
    credit: str | None = None,
    **kwargs: Any,
) -> Axes:
    """Plot market rates over time, one line per city (or per source).

    Each line runs through the median of the reports of each date. Dates with
    several reports (several sources, or a repeated report) show every report as a
    small ``x``, so disagreeing sources stay visible; a frame from
    :func:`nkfx.combine` shows the range across sources (``rate_low`` to
    ``rate_high``) as a bar where ``n_sources > 1``. A frame from
    :func:`nkfx.resample` (``status`` column) draws observed and aggregated bins
    with solid markers, ``filled`` bins with hollow markers, and leaves ``missing``
    bins as gaps.

    Parameters
    ----------
    rates : pandas.DataFrame
        A rate frame (:func:`nkfx.read_rates`, :func:`nkfx.datasets.load_observations`,
        :func:`nkfx.combine`, or the long output of :func:`nkfx.resample`).
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    currency : str, optional
        Currency to plot. Required when ``rates`` holds several currencies, since
        KPW per yuan and per dollar do not share an axis.
    city : str, optional
        Restrict to one city.
    by : {"city", "source"}, default "city"
        What each line represents. Rows without a city are drawn as points labelled
        "(no city)". ``"source"`` needs a single city (pass ``city=``). Each city has
        one colour and marker in every figure (:func:`nkfx.plotting.style.city_style`),
        unless ``color=`` or ``marker=`` is passed.
    log : bool, default False
        Logarithmic rate axis (changes read as percentages).
    events : pandas.DataFrame, optional
        Events from :func:`nkfx.datasets.load_events` to draw as vertical spans
        coloured by status (:data:`STATUS_COLOURS`), clipped to the data's dates
        (events outside them are not drawn; on panels sharing the date axis, the
        dates of all their data), one legend entry per status.
    max_gap : str or Timedelta or None, default "180D"
        Consecutive observations of one line further apart than this are not
        joined, so a long silence shows as a gap instead of an invented path.
        ``None`` joins everything.
    long_event : str or Timedelta, default "365D"
        Events lasting longer than this (eras such as "stabilisation 2013-2023")
        are marked by a dashed line at their start instead of a span that would
        cover the figure (only when the start lies within the data's dates).
    event_labels : {"auto", "names", "numbers", "none"}, default "auto"
        How drawn events are named in a strip at the top of the axes: short names,
        or numbers (their rank by start date in ``events``, so the same in every
        panel) explained in a key under the axes. "auto": names for up to 5 events.
    event_key : bool, default True
        Write the key of event numbers under the axes. On panels sharing the date
        axis the key of an earlier panel moves under this one, merged, so stacked
        panels drawn top to bottom end with one key under the last.
    clip_outliers : bool, default True
        Y limits hold all reports but far outliers (more than 3 interquartile ranges
        of the log rates outside the quartiles, such as one report in the new won
        days after the 2009 redenomination); each is written at the edge with its
        value and date. ``False`` fits every report.
    credit : str, optional
        Source credit written under the axes (e.g. ``"Data: Daily NK, Asia Press"``).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` for every line.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The legend sits to the right of the axes, so it hides no data.

    Raises
    ------
    NkfxValueError
        If several currencies are present and ``currency`` is not given, ``by`` or
        ``event_labels`` is not one of the allowed values, or ``by="source"`` meets
        several cities.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from nkfx.datasets import load_events, load_observations
    >>> from nkfx.plotting import plot_rates
    >>> ax = plot_rates(load_observations(), currency="CNY", log=True, events=load_events())
    >>> ax.get_ylabel()
    'KPW per CNY (log scale)'
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    check_option("by", by, ("city", "source"))
    check_option("event_labels", event_labels, ("auto", "names", "numbers", "none"))
    data = rate_data(rates, city, currency)
    if by == "source" and len(data["city"].drop_duplicates()) > 1:
        found = sorted(str(c) for c in data["city"].dropna().unique())
        raise NkfxValueError(f"by='source' draws one line per source of one city; pass city= one of {found}")
    gap = None if max_gap is None else to_timedelta("max_gap", max_gap)
    era = to_timedelta("long_event", long_event)
    ax = new_axes(ax)
    labels = data[by].astype(object).where(data[by].notna(), f"(no {by})")
    style: dict[str, Any] = {"marker": "o", "markersize": 3, "linewidth": 1.0} | kwargs
    seen: set[str] = set()
    for label, part in data.groupby(labels, sort=True):
        mine = series_style(str(label), by, style)
        if str(label).startswith("(no "):
            # rows without a city come from different regions: a line through them would invent a path
            ax.plot(part["date"], part["rate"], label=str(label), **(mine | {"linestyle": "none"}))
            continue
        draw_series(ax, part, str(label), gap, mine, seen)
    if events is not None:
        lo, hi = shared_window(ax, data["date"].min(), data["date"].max())
        draw_events(ax, events, lo, hi, era, labels=event_labels, key=event_key)
    ax.set_yscale("log" if log else "linear")
    finish_rate_axis(ax, data, log, clip_outliers, strip=strip_fraction(ax))
    format_rate_axis(ax, str(data["currency"].iloc[0]), log)
    legend_outside(ax)
    add_credit(ax, credit)
    return ax



def plot_cities(
    rates: pd.DataFrame,
    *,
    currency: str,
    cities: Sequence[str] | None = None,
    events: pd.DataFrame | None = None,
    axes: Sequence[Axes] | None = None,
    log: bool = False,
    credit: str | None = None,
    **kwargs: Any,
) -> list[Axes]:
    """Small multiples: one panel per city, stacked on a shared date axis.

    Parameters
    ----------
    rates : pandas.DataFrame
        A rate frame (as for :func:`plot_rates`).
    currency : str
        The currency of every panel.
    cities : sequence of str, optional
        Panels, top to bottom; default every city with rates in ``currency``, most
        reported first. Rows without a city are not drawn here (use :func:`plot_rates`).
    events : pandas.DataFrame, optional
        Events drawn on every panel (see :func:`plot_rates`), clipped to the dates of
        all panels, numbered alike, with the key of numbers under the last panel.
    axes : sequence of matplotlib Axes, optional
        One Axes per city; a new figure is made when omitted.
    log : bool, default False
        Logarithmic rate axes.
    credit : str, optional
        Source credit under the last panel.
    **kwargs
        Passed to :func:`plot_rates` for every panel (``max_gap``, line style, ...).

    Returns
    -------
    list of matplotlib.axes.Axes
        One per city, in the order of ``cities``.

    Raises
    ------
    NkfxValueError
        A city without rates in ``currency``, an empty ``cities``, or ``axes`` of the
        wrong length.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from nkfx.datasets import load_observations
    >>> from nkfx.plotting import plot_cities
    >>> axes = plot_cities(load_observations(), currency="USD", cities=["Hyesan", "Pyongyang"])
    >>> [ax.get_title(loc="left") for ax in axes]
    ['Hyesan', 'Pyongyang']
    >>> import matplotlib.pyplot as plt; plt.close(axes[0].figure)
    """
    for name in ("ax", "by", "city"):
        if name in kwargs:
            raise NkfxValueError(f"plot_cities draws one panel per city; {name}= is not allowed "
                                 "(use axes= and cities=)")
    data = rate_data(rates, None, currency)
    counts = data["city"].dropna().astype(object).value_counts()
    available = sorted(counts.index, key=lambda c: (-int(counts[c]), str(c)))
    chosen = list(available) if cities is None else _checked_cities(cities, available, currency)
    if not chosen:
        raise NkfxValueError(f"cities is empty; cities with {currency} rates: {available}")
    if axes is None:
        import matplotlib.pyplot as plt

        _, grid = plt.subplots(len(chosen), 1, figsize=(9, 1.9 * len(chosen) + 0.8), sharex=True,
                               layout="constrained", squeeze=False)
        panels = list(grid.ravel())
    else:
        panels = as_axes_list("axes", axes, (len(chosen),))
    lo, hi = data["date"].min(), data["date"].max()
    if events is not None:
        # an invisible span over all dates: every panel clips the events to the same window
        panels[0].axvspan(lo, hi, visible=False)
    for i, (city, ax) in enumerate(zip(chosen, panels, strict=True)):
        plot_rates(data, ax=ax, currency=currency, city=city, log=log, events=events,
                   event_key=i == len(panels) - 1, **kwargs)
        ax.set_title(city, loc="left", fontsize="medium")
        _legend_without(ax, city, keep=i == 0)
        ax.set_xlim(lo - (hi - lo) * 0.01, hi + (hi - lo) * 0.01)
    add_credit(panels[-1], credit)
    return panels


def _legend_without(ax: Axes, city: str, *, keep: bool) -> None:
    """Drop the city from the legend (the panel title names it); keep a legend on one panel only."""
    legend = ax.get_legend()
    if legend is not None:
        legend.remove()
    if keep:
        legend_outside(ax, drop=(city,))


def _checked_cities(cities: Sequence[str], available: list[str], currency: str) -> list[str]:
    if isinstance(cities, str):
        raise NkfxTypeError(f"cities must be a sequence of city names; got the string {cities!r}")

    chosen = [canonical_city(c) for c in cities]
    unknown = [c for c in chosen if c not in available]
    if unknown:
        raise NkfxValueError(f"cities {unknown} have no {currency} rates; cities with {currency} "
                             f"rates: {available}")
    return chosen
