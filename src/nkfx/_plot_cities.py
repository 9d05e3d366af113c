"""Small multiples of rates: :func:`plot_cities` (public as ``nkfx.plotting.plot_cities``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from nkfx._plot_rates import rate_data
from nkfx._plot_style import add_credit, as_axes_list, legend_outside
from nkfx.errors import NkfxTypeError, NkfxValueError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_cities"]


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
    from nkfx.plotting import plot_rates  # the panels are plot_rates figures

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
    from nkfx.names import canonical_city

    chosen = [canonical_city(c) for c in cities]
    unknown = [c for c in chosen if c not in available]
    if unknown:
        raise NkfxValueError(f"cities {unknown} have no {currency} rates; cities with {currency} "
                             f"rates: {available}")
    return chosen
