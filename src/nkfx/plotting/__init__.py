"""Matplotlib figures of rates, breaks, event studies and change probabilities.

Every function has the signature ``plot_x(obj, *, ax=None, **kwargs) -> Axes``:
it draws on ``ax`` (or on a new figure when ``ax`` is None), returns the Axes and
never calls ``plt.show()``. matplotlib is imported only when a figure is drawn.
The results' ``plot()`` methods (``Breaks``, ``EventStudy``, ``ChangeProbability``)
call these functions, so a figure looks the same whichever way it is asked for. The
functions take results by protocol (the fields they draw), never by importing their
classes, so plotting stays the last stage: nothing here imports detection or events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from nkfx._validate import check_option, to_timedelta
from nkfx.errors import NkfxTypeError, NkfxValueError
from nkfx.plotting._rates import STATUS_COLOURS
from nkfx.plotting._results import (
    BreaksLike,
    EventStudyLike,
    ProbabilityLike,
    draw_breaks,
    draw_forest,
    draw_placebo,
    draw_probability,
    draw_study_path,
    draw_values,
)
from nkfx.plotting.rates import plot_cities, plot_rates
from nkfx.plotting.style import CITY_STYLES, add_credit, as_axes_list, city_style, legend_outside, new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from nkfx.detect.results import Breaks
    from nkfx.events.probability import ChangeProbability
    from nkfx.events.study import EventStudy

__all__ = [
    "CITY_STYLES",
    "STATUS_COLOURS",
    "city_style",
    "legend_outside",
    "plot_breaks",
    "plot_cities",
    "plot_event_study",
    "plot_probability",
    "plot_rates",
]


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
    if not isinstance(breaks, BreaksLike):
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
    if not isinstance(study, EventStudyLike):
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
    >>> from nkfx.events.probability import change_probability
    >>> from nkfx.plotting import plot_probability
    >>> dates = pd.date_range("2020-01-05", periods=60, freq="14D")
    >>> noise = np.random.default_rng(0).normal(0, 0.01, 60)
    >>> rate = pd.Series(np.exp(8.9 + 0.3 * (dates >= "2021-03-01") + noise), index=dates, name="Hyesan/CNY")
    >>> ax = plot_probability(change_probability(rate))
    >>> ax.get_ylabel(), ax.figure.axes[0].get_ylabel()
    ('posterior probability of a change', 'KPW per CNY (log scale)')
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    if not isinstance(cp, ProbabilityLike):
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
