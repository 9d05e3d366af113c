"""Matplotlib figures of rates, breaks, event studies and change probabilities.

Every function has the signature ``plot_x(obj, *, ax=None, **kwargs) -> Axes``:
it draws on ``ax`` (or on a new figure when ``ax`` is None), returns the Axes and
never calls ``plt.show()``. matplotlib is imported only when a figure is drawn.
The results' ``plot()`` methods (``Breaks``, ``EventStudy``, ``ChangeProbability``)
call these functions, so a figure looks the same whichever way it is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from nkfx._plot_cities import plot_cities
from nkfx._plot_rates import (
    STATUS_COLOURS,
    draw_events,
    draw_series,
    finish_rate_axis,
    rate_data,
    series_style,
    shared_window,
    strip_fraction,
)
from nkfx._plot_style import (
    CITY_STYLES,
    add_credit,
    as_axes_list,
    city_style,
    format_rate_axis,
    legend_outside,
    new_axes,
)
from nkfx._validate import check_option, to_timedelta
from nkfx.errors import NkfxTypeError, NkfxValueError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from nkfx._event_result import EventStudy
    from nkfx.detect.results import Breaks
    from nkfx.probability import ChangeProbability

__all__ = [
    "CITY_STYLES",
    "STATUS_COLOURS",
    "city_style",
    "plot_breaks",
    "plot_cities",
    "plot_event_study",
    "plot_probability",
    "plot_rates",
]


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
        one colour and marker in every figure (:func:`nkfx._plot_style.city_style`),
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


def plot_breaks(breaks: Breaks, *, ax: Axes | None = None, kpw: bool = True,
                max_gap: str | pd.Timedelta | None = "180D", credit: str | None = None,
                **kwargs: Any) -> Axes:
    """Plot a series with its regimes, break dates and break-date confidence bands.

    Works for every :func:`nkfx.detect` result. Each break is a dashed line halfway
    between ``last_old`` and ``first_new`` (the break lies somewhere between those
    two reports) with a label at the top: its number, the months of the two reports
    and the jump between them in %. Bai–Perron results have intervals: each is a
    bar from ``ci_lower`` to ``ci_upper`` in a strip at the bottom, numbered like its
    break, so a wide interval does not paint the figure; PELT results have none.
    The legend sits to the right of the axes.

    Parameters
    ----------
    breaks : Breaks
        A result of :func:`nkfx.detect`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    kpw : bool, default True
        For ``scale="log"`` results, draw ``exp`` of the data and fits: KPW on a log
        axis with thousands separators; ``False`` draws the log rates themselves.
        (``scale="level"`` results are in KPW already.)
    max_gap : str or Timedelta or None, default "180D"
        Observations further apart than this are not joined by the data line (as in
        :func:`plot_rates`), so a long silence shows as a gap; ``None`` joins all.
    credit : str, optional
        Source credit written under the axes.
    **kwargs
        Passed to the line of the series.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np, pandas as pd, nkfx
    >>> from nkfx.plotting import plot_breaks
    >>> dates = pd.date_range("2021-01-04", periods=40, freq="W-MON")
    >>> rate = pd.Series(np.r_[np.full(20, 5000.0), np.full(20, 6000.0)]
    ...                  * np.exp(0.01 * np.sin(np.arange(40))), index=dates)
    >>> ax = plot_breaks(nkfx.detect(rate, method="bai-perron"))
    >>> len(ax.lines), ax.get_yscale()  # data, 2 fits, 1 break line, 1 interval bar
    (5, 'log')
    >>> [t.get_text() for t in ax.texts if t.get_gid() == "nkfx-break-label"]
    ['1: 2021-05 +21%']
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    from nkfx._plot_results import draw_breaks
    from nkfx.detect.results import Breaks

    if not isinstance(breaks, Breaks):
        raise NkfxTypeError(f"breaks must be a Breaks result of nkfx.detect; got {type(breaks).__name__}")
    gap = None if max_gap is None else to_timedelta("max_gap", max_gap)
    ax = new_axes(ax, (9, 4))
    draw_breaks(breaks, ax, kpw, gap, **kwargs)
    add_credit(ax, credit)
    return ax


def plot_event_study(study: EventStudy, *, ax: Axes | Sequence[Axes] | None = None,
                     kind: str = "path", placebo: bool | None = None, credit: str | None = None,
                     **kwargs: Any) -> Axes:
    """Plot an event study: the average path around the events, or a forest of events.

    ``kind="path"`` (default) puts days from the event on the x axis: the pre-window
    level is 0, each event's change is a thin step, and the mean change over events
    (per city and currency, :meth:`EventStudy.pooled`) a thick step with its
    confidence interval shaded over the post window. The study keeps window means,
    not the observations, so the path is a step, not the daily series. The placebo
    distribution (the statistic at random dates without events, with each event's
    value marked) goes on a second axes: a new figure has two side by side; pass
    ``ax=(path_ax, placebo_ax)`` to choose them; with one Axes and
    ``placebo=True`` it becomes an inset in the upper left corner.
    ``kind="forest"`` draws each event's change with its interval, one row per event.

    Parameters
    ----------
    study : EventStudy
        A result of :func:`nkfx.event_study`.
    ax : matplotlib Axes or a pair of Axes, optional
        Where to draw (see above).
    kind : {"path", "forest"}, default "path"
    placebo : bool, optional
        Draw the placebo distribution; default: when ``ax`` is None or a pair.
    credit : str, optional
        Source credit written under the (path) axes.
    **kwargs
        Passed to the mean path (``Axes.plot``) or to ``Axes.errorbar`` (forest).

    Returns
    -------
    matplotlib.axes.Axes
        The axes of the path (or forest).

    Raises
    ------
    NkfxValueError
        Contradictory arguments: a pair of axes with ``placebo=False`` or with
        ``kind="forest"``, ``placebo=True`` with ``kind="forest"``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from nkfx.events import event_study
    >>> from nkfx.plotting import plot_event_study
    >>> dates = pd.date_range("2021-01-03", "2023-06-30", freq="14D")
    >>> noise = np.random.default_rng(2).normal(0, 0.02, dates.size)
    >>> usd = pd.Series(np.exp(8.5 + 0.35 * (dates >= "2022-01-16") + noise), index=dates)
    >>> ax = plot_event_study(event_study(usd, "freight_train_resumes_2022", n_placebo=100))
    >>> ax.get_ylabel(), len(ax.figure.axes)
    ('change (log points)', 2)
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    from nkfx._event_result import EventStudy
    from nkfx._plot_results import draw_forest, draw_placebo, draw_study_path

    if not isinstance(study, EventStudy):
        raise NkfxTypeError(f"study must be an EventStudy of nkfx.event_study; got {type(study).__name__}")
    check_option("kind", kind, ("path", "forest"))
    pair = [] if ax is None else as_axes_list("ax", ax, (1, 2))
    if kind == "forest":
        if placebo or len(pair) == 2:
            raise NkfxValueError("kind='forest' draws one axes without the placebo distribution; "
                                 "pass one Axes and leave placebo unset, or use kind='path'")
        main = new_axes(pair[0] if pair else None, (7, 0.4 * len(study.results) + 1.5))
        draw_forest(study, main, **kwargs)
    else:
        if placebo is False and len(pair) == 2:
            raise NkfxValueError("ax holds 2 Axes but placebo=False leaves the second empty; "
                                 "pass one Axes or placebo=True")
        if not pair and placebo is not False:
            import matplotlib.pyplot as plt

            _, grid = plt.subplots(1, 2, figsize=(11, 4), width_ratios=(2, 1), layout="constrained")
            pair = list(grid)
        main = new_axes(pair[0] if pair else None)
        draw_study_path(study, main, **kwargs)
        if len(pair) == 2:
            draw_placebo(study, pair[1])
        elif placebo:
            draw_placebo(study, main.inset_axes((0.08, 0.6, 0.3, 0.32)), small=True)
    add_credit(main, credit)
    return main


def plot_probability(cp: ChangeProbability, *, ax: Axes | Sequence[Axes] | None = None,
                     series: bool = True, max_gap: str | pd.Timedelta | None = "180D",
                     long_gap: str | pd.Timedelta | None = "365D", credit: str | None = None,
                     **kwargs: Any) -> Axes:
    """Plot the posterior probability of a change at each date, under the series.

    With ``series=True`` and no ``ax``, a new figure has two stacked axes sharing
    the date axis: the modelled series on top (in KPW for a level model, dates with
    P(change) >= 0.5 marked) and the probabilities below. ``ax=(top, bottom)`` draws
    on given axes; one Axes with ``series=True`` shows the series on a twin right axis.

    Parameters
    ----------
    cp : ChangeProbability
        A result of :func:`nkfx.change_probability`.
    ax : matplotlib Axes or a pair of Axes, optional
        Where to draw (see above).
    series : bool, default True
        Draw the series as well as the probabilities.
    max_gap : str or Timedelta or None, default "180D"
        Reports further apart than this are not joined by the series line (as in
        :func:`plot_rates`); ``None`` joins all.
    long_gap : str or Timedelta or None, default "365D"
        Stems of reports that follow a silence longer than this are drawn light and
        labelled with the length of the silence: the prior's hazard of a change builds
        up over it, so the first report after years is likely to start a new regime
        whatever its value. ``None`` draws every stem alike.
    credit : str, optional
        Source credit written under the probability axes.
    **kwargs
        Passed to the probability stems (``Axes.vlines``).

    Notes
    -----
    Legends sit to the right of the axes; the dotted line is P = 0.5, and the dates
    above it are the dashed lines on the series.

    Returns
    -------
    matplotlib.axes.Axes
        The axes holding the probabilities.

    Raises
    ------
    NkfxValueError
        A pair of axes with ``series=False`` (the second would stay empty).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from nkfx.probability import change_probability
    >>> from nkfx.plotting import plot_probability
    >>> dates = pd.date_range("2020-01-05", periods=60, freq="14D")
    >>> noise = np.random.default_rng(0).normal(0, 0.01, 60)
    >>> rate = pd.Series(np.exp(8.9 + 0.3 * (dates >= "2021-03-01") + noise), index=dates, name="Hyesan/CNY")
    >>> ax = plot_probability(change_probability(rate))
    >>> ax.get_ylabel(), ax.figure.axes[0].get_ylabel()
    ('posterior probability of a change', 'KPW per CNY (log scale)')
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    from nkfx._plot_results import draw_probability, draw_values
    from nkfx.probability import ChangeProbability

    if not isinstance(cp, ChangeProbability):
        raise NkfxTypeError(f"cp must be a ChangeProbability of nkfx.change_probability; "
                            f"got {type(cp).__name__}")
    given = [] if ax is None else as_axes_list("ax", ax, (1, 2))
    if len(given) == 2 and not series:
        raise NkfxValueError("ax holds 2 Axes but series=False draws only the probabilities; "
                             "pass one Axes or series=True")
    if not given and series:
        import matplotlib.pyplot as plt

        _, grid = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True, height_ratios=(2, 1),
                               layout="constrained")
        given = list(grid)
    gap = None if max_gap is None else to_timedelta("max_gap", max_gap)
    silence = None if long_gap is None else to_timedelta("long_gap", long_gap)
    bottom = new_axes(given[-1] if given else None, (9, 3))
    draw_probability(cp, bottom, silence, **kwargs)
    if series:
        top = given[0] if len(given) == 2 else bottom.twinx()
        draw_values(cp, top, marks=len(given) == 2, gap=gap)
    add_credit(bottom, credit)
    return bottom
