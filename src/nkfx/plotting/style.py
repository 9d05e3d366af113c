"""Shared figure helpers of :mod:`nkfx.plotting`: axes handling, rate axes, captions.

matplotlib is imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import math
import textwrap
import weakref
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from nkfx.errors import NkfxTypeError, NkfxValueError

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.ticker import Locator

# Public: the city styles and the legend rule every figure shares. The other helpers build
# nkfx's own figures and may change without notice.
__all__ = ["CITY_STYLES", "city_style", "legend_outside"]

#: Colour and marker of each city, the same in every panel and figure. Event spans use
#: grey, orange and purple (:data:`nkfx.plotting.STATUS_COLOURS`), so cities avoid them.
CITY_STYLES: dict[str, tuple[str, str]] = {
    "Hyesan": ("#d62728", "o"),
    "Pyongyang": ("#1f77b4", "s"),
    "Sinuiju": ("#2ca02c", "^"),
    "Chongjin": ("#17becf", "v"),
    "Hoeryong": ("#bcbd22", "D"),
    "Musan": ("#8c564b", "P"),
    "Onsong": ("#e377c2", "X"),
    "Pyongsong": ("#393b79", "<"),
    "Yanggang area": ("#f4a582", "h"),  # the province around Hyesan: a light red
    "(no city)": ("#969696", "."),
}
_SPARE_COLOURS = ("#637939", "#843c39", "#7b4173", "#3182bd", "#31a354", "#756bb1", "#e6550d",
                  "#969696", "#9c9ede", "#cedb9c")
_SPARE_MARKERS = ("o", "s", "^", "v", "D", "P", "X", "<", ">", "h")


def city_style(city: str) -> dict[str, str]:
    """Return the colour and marker of ``city``, fixed across panels, figures and sessions.

    Known cities have a fixed pair (:data:`CITY_STYLES`); any other name gets one from a
    spare palette chosen by a checksum of the name, so it too is the same everywhere.

    Examples
    --------
    >>> city_style("Hyesan")
    {'color': '#d62728', 'marker': 'o'}
    >>> city_style("Kanggye") == city_style("Kanggye")
    True
    """
    if city in CITY_STYLES:
        colour, marker = CITY_STYLES[city]
    else:
        key = zlib.crc32(city.encode("utf-8"))
        colour, marker = _SPARE_COLOURS[key % len(_SPARE_COLOURS)], _SPARE_MARKERS[key // 7 % 10]
    return {"color": colour, "marker": marker}


_PROXIES: weakref.WeakKeyDictionary[Any, list[Artist]] = weakref.WeakKeyDictionary()


def add_proxy(ax: Axes, artist: Artist) -> None:
    """Keep ``artist`` (not drawn) as a legend entry of ``ax`` for :func:`legend_outside`."""
    mine = _PROXIES.setdefault(ax, [])
    if artist.get_label() not in [a.get_label() for a in mine]:
        mine.append(artist)


def legend_outside(ax: Axes, drop: Sequence[str] = (), **kwargs: Any) -> None:
    """Put the legend of ``ax`` to the right of the axes, where it cannot hide data.

    Entries: the labelled artists of ``ax``, then the proxies of :func:`add_proxy`
    (one per event status, ...), without the labels in ``drop``. An older legend
    of ``ax`` is replaced; with no entries left, ``ax`` has no legend.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes whose legend to place.
    drop : sequence of str, optional
        Labels to leave out of the legend.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.legend`; they override the placement.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from nkfx.plotting import legend_outside
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([1, 2], [3, 4], label="Hyesan")
    >>> _ = ax.plot([1, 2], [4, 5], label="trend")
    >>> legend_outside(ax, drop=["trend"])
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['Hyesan']
    >>> plt.close(fig)
    """
    handles, labels = ax.get_legend_handles_labels()
    for proxy in _PROXIES.get(ax, []):
        handles.append(proxy)
        labels.append(str(proxy.get_label()))
    kept = [(h, lab) for h, lab in zip(handles, labels, strict=True) if lab not in drop]
    handles, labels = [h for h, _ in kept], [lab for _, lab in kept]
    old = ax.get_legend()
    if old is not None:
        old.remove()
    if not handles:
        return
    kwargs = {"handles": handles, "labels": labels} | kwargs
    style: dict[str, Any] = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "borderaxespad": 0.0,
                             "fontsize": "small", "frameon": False} | kwargs
    ax.legend(**style)


def robust_limits(values: Any, log: bool, fence: float = 3.0,
                  times: Any = None) -> tuple[float, float, np.ndarray]:
    """Return axis limits that hold all but far outliers, and the mask of those outliers.

    A value is an outlier when it lies more than ``fence`` interquartile ranges outside
    the quartiles of the log values (at least 0.18 log10 units wide, a factor 1.5) and,
    when ``times`` (numbers, e.g. dates as days) are given, also more than a factor 3
    from the median of its 4 nearest reports in time: one report days after the 2009
    redenomination cannot squash years of data into a few pixels, while the last
    months of a real run-up stay in view. Limits are padded by 5% of the range (in
    log space when ``log``).

    Examples
    --------
    >>> lo, hi, out = robust_limits([50.0] + [1000.0 + 10 * i for i in range(30)], log=True)
    >>> int(out.sum()), lo > 50
    (1, True)
    """
    arr = np.asarray(values, dtype=float)
    good = np.isfinite(arr) & (arr > 0)
    logs = np.log10(arr[good])
    out = np.zeros(arr.shape, dtype=bool)
    if logs.size >= 10:
        q1, q3 = np.percentile(logs, [25, 75])
        width = max(q3 - q1, math.log10(1.5))
        far = (logs < q1 - fence * width) | (logs > q3 + fence * width)
        if times is not None and far.any():
            when = np.asarray(times, dtype=float)[good]
            for i in np.flatnonzero(far):
                others = np.delete(np.arange(logs.size), i)
                near = others[np.argsort(np.abs(when[others] - when[i]), kind="stable")[:4]]
                far[i] = abs(logs[i] - np.median(logs[near])) > math.log10(3.0)
        out[np.flatnonzero(good)[far]] = True
    kept = arr[good & ~out]
    if not kept.size:
        return math.nan, math.nan, out
    lo, hi = float(kept.min()), float(kept.max())
    if log:
        span = max(math.log10(hi / lo), 0.02)
        return lo / 10 ** (0.05 * span), hi * 10 ** (0.05 * span), out
    span = max(hi - lo, 0.02 * abs(hi))
    return lo - 0.05 * span, hi + 0.05 * span, out


def is_axes(obj: Any) -> bool:
    """Tell whether ``obj`` is one matplotlib Axes."""
    from matplotlib.axes import Axes

    return isinstance(obj, Axes)


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (9, 4.5)) -> Axes:
    """Return ``ax``, or the Axes of a new constrained-layout figure when it is None."""
    if ax is not None:
        if not is_axes(ax):
            raise NkfxTypeError(f"ax must be a matplotlib Axes; got {type(ax).__name__}")
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def as_axes_list(name: str, value: Any, allowed: Sequence[int]) -> list[Axes]:
    """Check that ``value`` is one Axes or a sequence of Axes with a length in ``allowed``."""
    if is_axes(value):
        items = [value]
    elif isinstance(value, Sequence) or hasattr(value, "ravel"):
        items = list(value.ravel()) if hasattr(value, "ravel") else list(value)
        bad = [type(a).__name__ for a in items if not is_axes(a)]
        if bad:
            raise NkfxTypeError(f"{name} must hold matplotlib Axes; got {bad[0]} among them")
    else:
        raise NkfxTypeError(f"{name} must be a matplotlib Axes or a sequence of Axes; "
                            f"got {type(value).__name__}")
    if len(items) not in allowed:
        counts = " or ".join(str(n) for n in allowed)
        raise NkfxValueError(f"{name} must hold {counts} Axes; got {len(items)}")
    return items


def _thousands(value: float, _pos: int | None = None) -> str:
    return f"{value:,.0f}"


def _blank(_value: float, _pos: int | None = None) -> str:
    return ""


_LOG_SUBS = ((1.0,), (1.0, 2.0, 5.0), (1.0, 2.0, 3.0, 5.0), (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0),
             (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0))


def nice_log_ticks(vmin: float, vmax: float) -> list[float]:
    """Return round tick values for a log axis from ``vmin`` to ``vmax`` that label its whole range.

    The coarsest of 1; 1-2-5; 1-2-3-5; ... that gives at least 4 ticks (3 on a narrow
    axis) and leaves no more than a third of the axis (in log space) without a label
    at either end.

    Examples
    --------
    >>> nice_log_ticks(3000, 45000)
    [3000.0, 5000.0, 10000.0, 20000.0, 30000.0]
    >>> nice_log_ticks(40, 6000)
    [50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0]
    """
    lo, hi = sorted((float(vmin), float(vmax)))
    if not (lo > 0 and math.isfinite(hi)):
        return []
    span = math.log10(hi / lo)
    need = 4 if span > 0.3 else 3
    best: list[float] = []
    for subs in _LOG_SUBS:
        ticks = [float(f"{s * 10.0 ** k:.6g}") for k in range(math.floor(math.log10(lo)) - 1,
                                                             math.ceil(math.log10(hi)) + 1)
                 for s in subs]
        ticks = [t for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
        best = ticks
        if len(ticks) >= need and span > 0 and \
                math.log10(hi / ticks[-1]) <= span / 3 and math.log10(ticks[0] / lo) <= span / 3:
            return ticks
    return best


def _log_locator() -> Locator:
    """Return a matplotlib Locator placing :func:`nice_log_ticks` on the current view."""
    from matplotlib.ticker import Locator

    class NiceLogLocator(Locator):
        def __call__(self) -> Sequence[float]:
            assert self.axis is not None  # set by matplotlib before any call
            lo, hi = self.axis.get_view_interval()
            return self.tick_values(lo, hi)

        def tick_values(self, vmin: float, vmax: float) -> Sequence[float]:
            return nice_log_ticks(vmin, vmax)

    return NiceLogLocator()


def format_rate_axis(ax: Axes, currency: str | None, log: bool) -> None:
    """KPW label, thousands separators, light grid: the look of every rate axis.

    A log axis gets round ticks that label its whole range (:func:`nice_log_ticks`).
    """
    from matplotlib.ticker import FuncFormatter

    if log:
        ax.yaxis.set_major_locator(_log_locator())
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    # minor log ticks would print every 100, 200, ... label: keep only majors
    ax.yaxis.set_minor_formatter(FuncFormatter(_blank))
    unit = f"KPW per {currency}" if currency else "KPW per unit"
    ax.set_ylabel(unit + (" (log scale)" if log else ""))
    tidy(ax)


def tidy(ax: Axes) -> None:
    """Light major grid, no top/right frame."""
    ax.grid(True, which="major", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def add_credit(ax: Axes, credit: str | None) -> None:
    """Write a source credit in small grey type under the axes (after any note already there)."""
    if credit:
        add_below(ax, credit)


_BELOW: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()


def add_below(ax: Axes, text: str, wrap: bool = False, part: str | None = None) -> None:
    """Add a line of small grey text under the axes: one note block, parts in call order.

    ``wrap`` breaks ``text`` into lines as wide as the axes. A named ``part`` (such as
    the event key) replaces an earlier part of that name and can be taken back with
    :func:`take_below`.
    """
    if wrap:
        fig_width = ax.get_figure(root=True).get_figwidth()  # type: ignore[union-attr]
        chars = max(int(ax.get_position().width * fig_width * 72.0 / 3.6), 40)
        text = "\n".join(textwrap.wrap(text, chars, break_long_words=False))
    parts = _BELOW.setdefault(ax, {})
    parts[part or f"note {len(parts)}"] = text
    _render_below(ax)


def take_below(ax: Axes, part: str) -> None:
    """Remove the named ``part`` of the note block under ``ax`` (nothing if absent)."""
    parts = _BELOW.get(ax, {})
    if parts.pop(part, None) is not None:
        _render_below(ax)


def _render_below(ax: Axes) -> None:
    text = "\n".join(_BELOW.get(ax, {}).values())
    old = [t for t in ax.texts if t.get_gid() == "nkfx-below"]
    if old and text:
        old[0].set_text(text)
    elif old:
        old[0].remove()
    elif text:
        ax.annotate(text, (0, 0), xycoords="axes fraction", xytext=(0, -28), textcoords="offset points",
                    fontsize="x-small", color="0.4", va="top", gid="nkfx-below")


def save_figure(ax: Axes, path: Any, dpi: int = 150) -> None:
    """Save the figure holding ``ax`` to ``path`` (legends outside the axes included) and close it."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    fig = ax.get_figure(root=True)
    if isinstance(fig, Figure):
        try:
            fig.savefig(path, dpi=dpi, bbox_inches="tight")
        finally:
            plt.close(fig)
