"""Drawing helpers of :func:`nkfx.plotting.plot_rates` and :func:`~nkfx.plotting.plot_cities`."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from nkfx.errors import NkfxValueError
from nkfx.plotting.style import add_below, add_proxy, city_style, robust_limits, take_below
from nkfx.schema import select, validate_rates

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["STATUS_COLOURS", "draw_events", "draw_series", "event_name", "finish_rate_axis", "label_strip",
           "rate_data", "series_style", "shared_window", "strip_fraction"]

#: Colours of event spans by status: solid facts dark, rumours light.
STATUS_COLOURS = {"confirmed": "#4d4d4d", "reported": "#e08214", "rumour": "#8073ac"}

_FILLED = "filled (interpolated)"
_SEVERAL = "several reports, one date"
_RANGE = "range across sources"


def rate_data(rates: pd.DataFrame, city: str | None, currency: str | None) -> pd.DataFrame:
    """Return the validated rows of one currency (and city), sorted by date.

    A resampled frame (``status`` column) has rows with status ``missing`` and no rate;
    they are kept with a NaN rate so the drawn line breaks there.
    """
    missing = pd.Series(False, index=rates.index)
    if "status" in rates:
        missing = (rates["status"].astype(object) == "missing") | rates["rate"].isna()
    validate_rates(rates.loc[~missing])
    data = select(rates.loc[~missing], city=city, currency=currency)
    if missing.any():
        holes = rates.loc[missing]
        keys = set(data[["city", "currency"]].astype(object).itertuples(index=False, name=None))
        inside = [k in keys for k in holes[["city", "currency"]].astype(object)
                  .itertuples(index=False, name=None)]
        holes = holes.loc[inside].assign(rate=np.nan)
        data = pd.concat([data, holes]).sort_values("date", kind="stable")
    currencies = sorted(data["currency"].unique())
    if len(currencies) != 1:
        raise NkfxValueError(
            f"rates holds currencies {currencies}; pass currency= one of them "
            "(KPW per yuan and per dollar do not share an axis)"
        )
    return data


def series_style(label: str, by: str, style: dict[str, Any]) -> dict[str, Any]:
    """Return the line style of one city: its fixed colour and marker unless ``style`` sets them."""
    if by != "city":
        return style
    fixed: dict[str, Any] = city_style(label)
    if "color" in style or "c" in style:
        fixed.pop("color")
    if "marker" in style:
        fixed.pop("marker")
    return style | fixed


def draw_series(ax: Axes, part: pd.DataFrame, label: str, gap: pd.Timedelta | None,
                style: dict[str, Any], seen: set[str]) -> None:
    """One line: per-date median through the reports, observed vs filled, conflicts marked."""
    per_date = part.groupby("date", sort=True)["rate"]
    centre = per_date.median()
    filled = _filled_dates(part)
    dates, values = break_gaps(pd.Series(centre.index), pd.Series(centre.to_numpy()), gap)
    if filled is not None and filled.any():
        # markers only on real observations; filled bins get hollow markers below
        real = ~pd.Series(dates).isin(pd.DatetimeIndex(centre.index[filled.to_numpy()])).to_numpy()
        real &= values.notna().to_numpy()
        style = style | {"markevery": [bool(v) for v in real]}
    line = ax.plot(dates, values, label=label, **style)[0]
    colour = line.get_color()
    if filled is not None and filled.any():
        ax.plot(centre.index[filled.to_numpy()], centre[filled.to_numpy()], ls="none",
                marker=style.get("marker", "o") or "o", ms=style.get("markersize", 3) + 1,
                mfc="none", mec=colour, mew=0.8)
        _once_proxy(ax, _FILLED, seen, marker="o", mfc="none")
    several = per_date.transform("size") > 1
    if several.any():
        hit = part.loc[several]
        ax.scatter(hit["date"], hit["rate"], marker="x", s=14, lw=0.8, color=colour, zorder=3)
        _once_proxy(ax, _SEVERAL, seen, marker="x")
    if {"rate_low", "rate_high", "n_sources"} <= set(part.columns):
        ranged = part[(part["n_sources"] > 1) & part["rate_low"].notna() & part["rate_high"].notna()]
        if len(ranged):
            ax.vlines(ranged["date"], ranged["rate_low"], ranged["rate_high"], color=colour,
                      lw=2.0, alpha=0.5)
            _once_proxy(ax, _RANGE, seen, marker="|", markersize=8, mew=2.0, alpha=0.5)


def _once_proxy(ax: Axes, label: str, seen: set[str], **style: Any) -> None:
    """Add a grey legend entry for a mark drawn in each city's colour (once per axes)."""
    from matplotlib.lines import Line2D

    if _once(label, seen) is not None:
        add_proxy(ax, Line2D([], [], color="0.3", ls="none", label=label, **style))


def _filled_dates(part: pd.DataFrame) -> pd.Series | None:
    """Per date: True where every row is an interpolated (``filled``) value; None without status."""
    if "status" not in part:
        return None
    flag = part["status"].astype(object) == "filled"
    out: pd.Series = flag.groupby(part["date"], sort=True).all()
    return out


def _once(label: str, seen: set[str]) -> str | None:
    """Return the legend label the first time it is used on these axes, else None."""
    if label in seen:
        return None
    seen.add(label)
    return label


def break_gaps(dates: pd.Series, values: pd.Series,
               gap: pd.Timedelta | None) -> tuple[pd.Series, pd.Series]:
    """Insert a NaN between observations further apart than ``gap`` (matplotlib breaks the line)."""
    if gap is None or len(dates) < 2:
        return dates, values
    known = pd.Series(dates.to_numpy()[values.notna().to_numpy()])
    far = known.diff() > gap
    if not far.any():
        return dates, values
    breaks = known[far] - gap / 2  # any date inside the silence will do
    frame = pd.concat([pd.DataFrame({"date": dates.to_numpy(), "value": values.to_numpy()}),
                       pd.DataFrame({"date": breaks.to_numpy(), "value": np.nan})])
    frame = frame.sort_values("date", kind="stable")
    return frame["date"].reset_index(drop=True), frame["value"].reset_index(drop=True)


def event_name(event_id: str) -> str:
    """Return a short readable name of an event id (its words, capitalised).

    Examples
    --------
    >>> event_name("freight_train_resumes_2022")
    'Freight train resumes 2022'
    """
    text = str(event_id).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _event_numbers(events: pd.DataFrame) -> pd.Series:
    """Return the numbers 1, 2, ... of the events by start date over the table (alike in every panel)."""
    order = events.sort_values(["start", "end"], kind="stable").index
    return pd.Series(np.arange(1, len(order) + 1), index=order).reindex(events.index)


def shared_window(ax: Axes, lo: pd.Timestamp, hi: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Widen ``lo``..``hi`` to the data already on ``ax`` and the axes sharing its date axis."""
    from matplotlib import dates

    num2date: Any = dates.num2date  # untyped in matplotlib's stubs
    for other in ax.get_shared_x_axes().get_siblings(ax):
        if not other.has_data():
            continue
        x0, x1 = other.dataLim.intervalx
        if np.isfinite(x0) and np.isfinite(x1):
            lo = min(lo, pd.Timestamp(num2date(x0)).tz_localize(None))
            hi = max(hi, pd.Timestamp(num2date(x1)).tz_localize(None))
    return lo, hi


def draw_events(ax: Axes, events: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp,
                era: pd.Timedelta, labels: str = "auto", key: bool = True) -> list[str]:
    """Events as spans coloured by status, clipped to ``lo``..``hi``, each one named.

    Events longer than ``era`` are a dashed line at their start, drawn only when the
    start lies inside the window. Each drawn event is named in a strip at the top of
    the axes: by its short name when ``labels="names"`` (or "auto" with at most 5
    events), else by its number in the event table, with the numbers explained in a
    key under the axes (when ``key``; a key under another panel sharing the date axis
    moves here, merged). The legend gets one entry per status.
    Returns the key entries (``"3 Hyesan customs rumour 2022"``).
    """
    missing = [c for c in ("start", "end", "status") if c not in events]
    if missing:
        raise NkfxValueError(f"events is missing column(s) {missing}; use nkfx.datasets.load_events()")
    numbers = _event_numbers(events)
    starts, ends = pd.to_datetime(events["start"]), pd.to_datetime(events["end"])
    long = ends - starts > era
    inside = (ends >= lo) & (starts <= hi) & (~long | ((starts >= lo) & (starts <= hi)))
    shown = events.loc[inside].assign(start=starts[inside], end=ends[inside], number=numbers[inside],
                                      long=long[inside]).sort_values("start", kind="stable")
    statuses: list[str] = []
    marks: list[tuple[pd.Timestamp, str, str]] = []
    for ev in shown.itertuples(index=False):
        status = str(ev.status)
        colour = STATUS_COLOURS.get(status, "0.6")
        statuses += [] if status in statuses else [status]
        first, last = cast(pd.Timestamp, ev.start), cast(pd.Timestamp, ev.end)
        start, end = max(first, lo), min(last, hi)
        # a one-day event still needs a visible width: at least 0.3% of the axis span
        end = max(end, start + (hi - lo) * 0.003)
        x0: Any = start  # matplotlib's stubs say float; a date axis takes dates
        if ev.long:
            ax.axvline(x0, color=colour, alpha=0.8, lw=1.0, ls="--", zorder=1)
        else:
            ax.axvspan(x0, end, color=colour, alpha=0.18, lw=0, zorder=0)  # type: ignore[arg-type]
        name = event_name(str(getattr(ev, "id", ev.number)))
        marks.append((start, colour, name if not ev.long else f"{name} (era begins)"))
    _status_legend(ax, statuses, era=bool(shown["long"].any()) if len(shown) else False)
    use_names = labels == "names" or (labels == "auto" and len(marks) <= 5)
    if labels == "none" or not marks:
        return []
    texts = [m[2] for m in marks] if use_names else [str(int(n)) for n in shown["number"]]
    label_strip(ax, [m[0] for m in marks], [_darker(m[1]) for m in marks], texts, lo, hi)
    entries = {} if use_names else {int(n): m[2] for n, m in zip(shown["number"], marks, strict=True)}
    if entries and key:
        _event_key(ax, entries)
    return [f"{n} {name}" for n, name in entries.items()]


_KEYS: weakref.WeakKeyDictionary[Any, dict[int, str]] = weakref.WeakKeyDictionary()


def _event_key(ax: Axes, entries: dict[int, str]) -> None:
    """Write the key of event numbers under ``ax``, taking over the keys of panels sharing its dates.

    Stacked panels drawn top to bottom thus end with one key, under the last panel,
    listing the events of all of them.
    """
    merged = dict(entries)
    for other in ax.get_shared_x_axes().get_siblings(ax):
        if other is not ax and other in _KEYS:
            merged |= _KEYS.pop(other)
            take_below(other, "event key")
    _KEYS[ax] = merged
    text = " · ".join(f"{n} {merged[n]}" for n in sorted(merged))
    add_below(ax, f"Events: {text}", wrap=True, part="event key")


def _status_legend(ax: Axes, statuses: list[str], era: bool) -> None:
    """One legend entry per status (a patch of the span colour), and one for era lines."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    words = {"confirmed": "confirmed event", "reported": "reported event", "rumour": "rumoured event"}
    for status in sorted(statuses, key=lambda s: list(STATUS_COLOURS).index(s) if s in STATUS_COLOURS else 9):
        add_proxy(ax, Patch(color=STATUS_COLOURS.get(status, "0.6"), alpha=0.3, lw=0,
                            label=words.get(status, f"{status} event")))
    if era:
        add_proxy(ax, Line2D([], [], color="0.3", ls="--", lw=1.0, label="long era begins"))


def label_strip(ax: Axes, where: list[pd.Timestamp], colours: list[Any], texts: list[str],
                lo: pd.Timestamp, hi: pd.Timestamp, *, centre: bool = False, fontsize: float = 6.5,
                gid: str = "nkfx-event-label") -> None:
    """Write ``texts`` at dates ``where`` in the top strip of the axes, in up to 3 rows, no overlaps.

    Each text goes in the first row where it does not overlap the previous one (widths
    estimated from the number of characters); when every row is taken it is shifted right.
    """
    from matplotlib import dates
    from matplotlib.transforms import blended_transform_factory

    date2num: Any = dates.date2num  # untyped in matplotlib's stubs
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    fig_width = ax.get_figure(root=True).get_figwidth()  # type: ignore[union-attr]
    width_pt = max(ax.get_position().width * fig_width * 72.0, 100.0)
    span = (hi - lo) / pd.Timedelta(days=1) or 1.0
    row_end = [-1.0, -1.0, -1.0]
    for when, colour, text in zip(where, colours, texts, strict=True):
        size = 0.012 + fontsize * 0.56 * (len(text) + 1) / width_pt  # axes fraction taken by the text
        x = (when - lo) / pd.Timedelta(days=1) / span - (size / 2 if centre else 0.0)
        row = next((r for r, end in enumerate(row_end) if end < x), int(np.argmin(row_end)))
        x = min(max(x, row_end[row]), 1.0 - size)  # inside the axes, never over the legend
        row_end[row] = x + size
        stamp = float(date2num(lo + pd.Timedelta(days=(x + (size / 2 if centre else 0.0)) * span)))
        ax.annotate(text, (stamp, 1.0), xycoords=trans, xytext=(0.0, -2.0 - row * (fontsize + 2.5)),
                    textcoords="offset points", fontsize=fontsize, va="top",
                    ha="center" if centre else "left", color=colour, annotation_clip=False, gid=gid,
                    bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7})


def strip_fraction(ax: Axes) -> float:
    """Return the share of the axes height taken by the label rows of :func:`label_strip` (0 if none)."""
    from matplotlib.text import Annotation

    rows = [t for t in ax.texts if isinstance(t, Annotation)
            and t.get_gid() in ("nkfx-event-label", "nkfx-break-label")]
    if not rows:
        return 0.0
    depth = max(-float(t.xyann[1]) + float(t.get_fontsize()) for t in rows) + 3.0
    fig_height = ax.get_figure(root=True).get_figheight()  # type: ignore[union-attr]
    height_pt = max(ax.get_position().height * fig_height * 72.0, 50.0)
    return min(depth / height_pt, 0.45)


def _darker(colour: str) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return (0.7 * r, 0.7 * g, 0.7 * b)


def finish_rate_axis(ax: Axes, data: pd.DataFrame, log: bool, clip: bool, strip: float) -> None:
    """Y limits holding the data but not far outliers (marked at the edge), with room for labels.

    ``strip`` is the fraction of the axes height kept free of data at the top for event
    labels. Outliers (see :func:`nkfx.plotting.style.robust_limits`) are drawn as an arrow
    at the axes' edge with their value and date.
    """
    days = (data["date"] - pd.Timestamp("2000-01-01")) / pd.Timedelta(days=1)
    lo, hi, out = robust_limits(data["rate"].to_numpy(dtype=float), log,
                                fence=3.0 if clip else np.inf, times=days.to_numpy(dtype=float))
    if not np.isfinite(lo):
        return
    if strip > 0:
        hi = hi * (hi / lo) ** (strip / (1 - strip)) if log else hi + (hi - lo) * strip / (1 - strip)
    ax.set_ylim(lo, hi)
    rates = data["rate"].to_numpy(dtype=float)[out]
    stamps = pd.DatetimeIndex(data["date"])[out]
    # A label is about a quarter of the axes wide: labels closer than that stack in rows.
    near = 0.25 * float(days.max() - days.min() or 1.0)
    placed: list[tuple[bool, float, int]] = []  # (above, day, row) of the labels so far
    for i in np.argsort(np.asarray(stamps), kind="stable"):
        rate, stamp = float(rates[i]), stamps[i]
        above, day = rate > hi, float((stamp - pd.Timestamp("2000-01-01")) / pd.Timedelta(days=1))
        taken = {row for a, d, row in placed if a == above and abs(day - d) < near}
        row = min(set(range(len(taken) + 1)) - taken)
        placed.append((above, day, row))
        when: Any = stamp  # a date on a date axis
        step = 2 + 8 * row
        ax.annotate(f"{'▲' if above else '▼'} {rate:,.0f} ({stamp:%Y-%m-%d}),"
                    " off the scale", (when, 1.0 if above else 0.0),
                    xycoords=("data", "axes fraction"), xytext=(0, -step if above else step),
                    textcoords="offset points", ha="left", va="top" if above else "bottom",
                    fontsize=6.5, color="0.25", gid="nkfx-outlier")
