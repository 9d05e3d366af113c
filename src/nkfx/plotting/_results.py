"""Drawing code behind the result plots: breaks, event studies, change probabilities.

The public entry points (with the documentation) are in :mod:`nkfx.plotting`; the
results' ``plot()`` methods call them, so each figure has one implementation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from nkfx.plotting._rates import break_gaps, event_name, label_strip, strip_fraction
from nkfx.plotting.style import add_below, add_proxy, city_style, format_rate_axis, legend_outside, tidy

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from nkfx.detect.results import Breaks
    from nkfx.events.probability import ChangeProbability
    from nkfx.events.study import EventStudy

__all__ = [
    "BreaksLike",
    "EventStudyLike",
    "ProbabilityLike",
    "break_label",
    "draw_breaks",
    "draw_forest",
    "draw_placebo",
    "draw_probability",
    "draw_study_path",
    "draw_values",
    "report_jump_pct",
]


@runtime_checkable
class BreaksLike(Protocol):
    """What :func:`~nkfx.plotting.plot_breaks` draws: a :class:`~nkfx.detect.results.Breaks`."""

    series: pd.Series
    breaks: pd.DataFrame
    segments: pd.DataFrame
    method: str
    model: str
    scale: str
    params: dict[str, Any]


@runtime_checkable
class EventStudyLike(Protocol):
    """What :func:`~nkfx.plotting.plot_event_study` draws: an :class:`~nkfx.events.study.EventStudy`."""

    results: pd.DataFrame
    placebo: pd.DataFrame
    jump_placebo: pd.DataFrame
    params: dict[str, Any]


@runtime_checkable
class ProbabilityLike(Protocol):
    """What :func:`~nkfx.plotting.plot_probability` draws: a ``ChangeProbability``."""

    values: pd.Series
    probability: pd.Series
    filtered: pd.Series
    hazard: pd.Series
    params: dict[str, Any]


def draw_breaks(res: Breaks, ax: Axes, kpw: bool, gap: pd.Timedelta | None = None, **kwargs: Any) -> None:
    """Series, one fitted line per regime, a numbered line per break and its interval as a bar.

    Break ``i`` is a dashed line halfway between ``last_old`` and ``first_new`` (the
    break lies somewhere between those reports), with a label in the top strip: its
    number, the dates and the jump in % between the two reports. Its confidence
    interval is a bar with the same number in a strip at the bottom, so a wide
    interval does not paint the figure. The data line is not joined across silences
    longer than ``gap``.
    """
    back = kpw and res.scale == "log"  # draw exp(log rate): KPW on a log axis

    def y(values: pd.Series) -> np.ndarray:
        arr = values.to_numpy(dtype=float)
        return np.exp(arr) if back else arr

    style: dict[str, Any] = {"color": "0.35", "lw": 1.0, "marker": ".", "ms": 3, "label": "data",
                             "zorder": 3}
    dates, values = break_gaps(pd.Series(res.series.index), pd.Series(res.series.to_numpy()), gap)
    ax.plot(pd.DatetimeIndex(dates), y(values), **(style | kwargs))
    fitted = res.fitted
    jumps = res.method == "jumps"
    for i, (start, end) in enumerate(zip(res.segments["start"], res.segments["end"], strict=True)):
        part = fitted[(fitted.index >= start) & (fitted.index <= end)]
        if jumps:  # the level drifts: like the data, it is not drawn across long silences
            stamps, path = break_gaps(pd.Series(part.index), pd.Series(part.to_numpy()), gap)
            ax.plot(pd.DatetimeIndex(stamps), y(path), color="C1", lw=1.5, alpha=0.8, zorder=2,
                    label="smoothed level" if i == 0 else None)
        else:
            ax.plot(part.index, y(part), color="C1", lw=2, label="regime fit" if i == 0 else None)
    _break_marks(res, ax, jumps)
    currency = res.params.get("currency")
    if back or res.scale == "level":
        if back:
            ax.set_yscale("log")
        format_rate_axis(ax, currency if isinstance(currency, str) else None, log=back)
    else:
        ax.set_ylabel(f"log KPW per {currency}" if isinstance(currency, str) else "log rate")
        tidy(ax)
    _room_for_strips(ax, y(pd.Series(res.series.to_numpy())), log=back, n_bars=_n_bars(res))
    city = res.params.get("city")
    if isinstance(city, str):
        what = (f"{res.n_breaks} jump(s) in a drifting rate" if jumps else
                f"{res.n_breaks} break(s), {res.method}, {res.model} model")
        ax.set_title(f"{city}: {what}", loc="left", fontsize="medium")
    legend_outside(ax)


def report_jump_pct(res: Breaks, last_old: pd.Timestamp, first_new: pd.Timestamp) -> float:
    """Return the change in % between the reports on ``last_old`` and ``first_new`` (NaN if absent)."""
    series = res.series
    if last_old not in series.index or first_new not in series.index:
        return float("nan")
    a, b = float(series.loc[last_old]), float(series.loc[first_new])
    if res.scale == "log":
        return 100.0 * float(np.expm1(b - a))
    return 100.0 * (b / a - 1.0)


def break_label(number: int, last_old: pd.Timestamp, first_new: pd.Timestamp, jump: float) -> str:
    """``"2: 2022-11|2022-12 +32%"``: number, last old and first new month, jump between them.

    Examples
    --------
    >>> import pandas as pd
    >>> break_label(2, pd.Timestamp("2022-11-27"), pd.Timestamp("2022-12-12"), 31.8)
    '2: 2022-11|2022-12 +32%'
    """
    when = f"{last_old:%Y-%m}" if f"{last_old:%Y-%m}" == f"{first_new:%Y-%m}" else \
        f"{last_old:%Y-%m}|{first_new:%Y-%m}"
    size = "" if not np.isfinite(jump) else f" {jump:+.0f}%"
    return f"{number}: {when}{size}"


def _n_bars(res: Breaks) -> int:
    table = res.breaks
    return int((table["ci_lower"].notna() & table["ci_upper"].notna()).sum()) if len(table) else 0


def _break_marks(res: Breaks, ax: Axes, jumps: bool) -> None:
    """Draw a dashed line and a label per break; the interval as a numbered bar in the bottom strip."""
    from matplotlib.transforms import blended_transform_factory


    trans = blended_transform_factory(ax.transData, ax.transAxes)
    level = float(res.params.get("level", float("nan")))
    bar = 0
    mids, texts = [], []
    table = {c: list(pd.DatetimeIndex(res.breaks[c]))
             for c in ("last_old", "first_new", "ci_lower", "ci_upper")}
    for i in range(len(res.breaks)):
        old, new = table["last_old"][i], table["first_new"][i]
        mid: Any = old + (new - old) / 2  # matplotlib's stubs say float; a date axis takes dates
        ax.axvline(mid, color="C3", ls="--", lw=1,
                   label=("jump, midway between its reports" if jumps else
                          "break, midway between its reports") if i == 0 else None)
        mids.append(mid)
        texts.append(break_label(i + 1, old, new, report_jump_pct(res, old, new)))
        lower: Any = table["ci_lower"][i]
        upper: Any = table["ci_upper"][i]
        if pd.isna(lower) or pd.isna(upper):
            continue  # PELT, or an interval that could not be computed (see notes)
        height = 0.035 + 0.045 * (bar % 3)
        x0, x1 = lower, upper
        ax.plot([x0, x1], [height, height], transform=trans, color="C3", lw=2.5, alpha=0.6,
                solid_capstyle="butt", gid="nkfx-break-interval",
                label=f"{level:.0%} interval of the break date (numbered)" if bar == 0 else None)
        ax.text(x0, height, f"{i + 1} ", transform=trans, fontsize=7, ha="right", va="center", color="C3")
        bar += 1
    if texts:
        label_strip(ax, mids, ["C3"] * len(texts), texts, res.series.index.min(), res.series.index.max(),
                    centre=True, fontsize=7, gid="nkfx-break-label")


def _room_for_strips(ax: Axes, values: np.ndarray, log: bool, n_bars: int) -> None:
    """Y limits with free strips: the label rows at the top, up to 17% at the bottom for bars."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return
    lo, hi = float(finite.min()), float(finite.max())
    top, bottom = strip_fraction(ax) + 0.03, (0.04 + 0.045 * min(n_bars, 3)) if n_bars else 0.04
    if log and lo > 0:
        span = np.log10(hi / lo) or 0.1
        full = span / (1 - top - bottom)
        ax.set_ylim(lo / 10 ** (bottom * full), hi * 10 ** (top * full))
    else:
        span = (hi - lo) or abs(hi) * 0.1 or 1.0
        full = span / (1 - top - bottom)
        ax.set_ylim(lo - bottom * full, hi + top * full)


def _days(text: Any) -> float:
    return float(pd.Timedelta(str(text)) / pd.Timedelta(days=1))


def _series_label(city: Any, currency: Any) -> str:
    return " ".join(str(v) for v in (city, currency) if isinstance(v, str)) or "series"


def draw_study_path(study: EventStudy, ax: Axes, **kwargs: Any) -> None:
    """Pre level (0) and post change per event (thin) and pooled over events, with its interval.

    The mean and band are :meth:`EventStudy.pooled` (events with a standard error);
    when no event of a series has one, the plain mean of the changes is drawn, unbanded.
    """
    p = study.params
    before, after, gap = _days(p["before"]), _days(p["after"]), _days(p["gap"])
    # nothing is measured inside the gap: a NaN leaves it empty
    x = np.array([-gap - before, -gap, np.nan, gap, gap + after]) if gap > 0 else \
        np.array([-before, 0.0, 0.0, after])
    res = study.results
    pooled = study.pooled()
    for k, row in enumerate(pooled.to_dict("records")):
        colour, dash = _series_look(k, row["city"], row["currency"])
        mine = res.loc[_same(res["city"], row["city"]) & _same(res["currency"], row["currency"]), "change"]
        changes = mine[np.isfinite(mine.to_numpy(dtype=float))].to_numpy(dtype=float)
        for i, change in enumerate(changes):
            ax.plot(x, _step(x, change), color=colour, lw=0.8, alpha=0.4, ls=dash,
                    label="single events" if k == 0 and i == 0 else None)
        if not len(changes):
            continue
        banded = row["n_change"] > 0
        mean, n = float(row["change"]), int(row["n_change"])
        if not banded:
            mean, n = float(changes.mean()), len(changes)
        label = f"{_series_label(row['city'], row['currency'])}: mean of {n} event(s)"
        style: dict[str, Any] = {"color": colour, "lw": 2.2, "ls": dash, "label": label} | kwargs
        ax.plot(x, _step(x, mean), **style)
        lower, upper = float(row["change_lower"]), float(row["change_upper"])
        if banded and np.isfinite(lower) and np.isfinite(upper):
            ax.fill_between([max(gap, 0.0), gap + after], lower, upper,
                            color=colour, alpha=0.2, lw=0,
                            label=f"{p['level']:.0%} interval" if k == 0 else None)
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.axvline(0.0, color="0.3", lw=1.0, ls=":")
    ax.set_xlabel("days from the event (post window from the " + str(p["anchor"]) + ")")
    ax.set_ylabel("change (log points)" if p["scale"] == "log" else "change (KPW)")
    tidy(ax)
    legend_outside(ax)


def _series_look(k: int, city: Any, currency: Any) -> tuple[str, str]:
    """Colour and line style of a series: the city's colour (as in every figure), dashed for USD."""
    colour = city_style(city)["color"] if isinstance(city, str) else f"C{k % 10}"
    return colour, "--" if currency == "USD" else "-"


def _same(column: pd.Series, value: Any) -> pd.Series:
    """Rows equal to ``value``, where a missing value (a study of a plain Series) equals missing."""
    if pd.isna(value):
        return column.isna()
    out: pd.Series = column.astype(object) == value
    return out


def _step(x: np.ndarray, change: float) -> np.ndarray:
    """Return the step path on ``x``: 0 on the pre half, ``change`` on the post half."""
    half = len(x) // 2
    out: np.ndarray = np.r_[np.zeros(half), np.full(len(x) - half, change)]
    out[np.isnan(x)] = np.nan
    return out


def draw_placebo(study: EventStudy, ax: Axes, small: bool = False) -> None:
    """Histogram of the placebo statistics per series, with each event's statistic marked."""
    stat = str(study.params["statistic"])
    res, placebo = study.results, study.placebo
    keys = res[["city", "currency"]].astype(object).drop_duplicates()
    for k, (city, currency) in enumerate(keys.itertuples(index=False, name=None)):
        colour, dash = _series_look(k, city, currency)
        null = placebo.loc[_same(placebo["city"], city) & _same(placebo["currency"], currency),
                           "statistic"].dropna()
        if len(null):
            ax.hist(null.to_numpy(dtype=float), bins=20, histtype="stepfilled", alpha=0.35,
                    color=colour, label=f"placebo {_series_label(city, currency)}")
        mine = res.loc[_same(res["city"], city) & _same(res["currency"], currency), stat].dropna()
        for i, value in enumerate(mine):
            ax.axvline(float(value), color=colour, lw=1.2, ls=dash,
                       label="events" if k == 0 and i == 0 else None)
    unit = "log points" if study.params["scale"] == "log" else "KPW"
    ax.set_xlabel(f"{stat} ({unit})")
    ax.set_ylabel("placebo dates")
    ax.set_title("placebo distribution", loc="left", fontsize="small")
    tidy(ax)
    if small:  # an inset: small type so it does not crowd the path
        ax.tick_params(labelsize="x-small")
        ax.xaxis.label.set_fontsize("x-small")
        ax.yaxis.label.set_fontsize("x-small")


def draw_forest(study: EventStudy, ax: Axes, **kwargs: Any) -> None:
    """Each event's change with its confidence interval, one row per event and series.

    Rows without an estimate are left out and named in a note under the axes; an
    estimate without an interval is a hollow marker saying so. Labels name the city
    and currency (and the event, when the study has several); a log-scale study gets
    a second axis in percent on top.
    """
    res = study.results.reset_index(drop=True)
    has = np.isfinite(res["change"].to_numpy(dtype=float))
    dropped, res = res.loc[~has], res.loc[has].reset_index(drop=True)
    pos = np.arange(len(res))[::-1].astype(float)
    several = res["event_id"].drop_duplicates().size > 1
    style: dict[str, Any] = {"fmt": "o", "color": "C0", "capsize": 3} | kwargs
    change = res["change"].to_numpy(dtype=float)
    lower, upper = res["change_lower"].to_numpy(dtype=float), res["change_upper"].to_numpy(dtype=float)
    banded = np.isfinite(lower) & np.isfinite(upper)
    if banded.any():
        err = np.vstack((change - lower, upper - change))[:, banded]
        ax.errorbar(change[banded], pos[banded], xerr=err,
                    label=f"change of window means, {study.params['level']:.0%} interval", **style)
    for x, y0 in zip(change[~banded], pos[~banded], strict=True):
        ax.plot([x], [y0], "o", mfc="none", mec=style["color"])
        ax.annotate("no interval", (x, y0), xytext=(6, 0), textcoords="offset points", va="center",
                    fontsize="x-small", color="0.3")
    ax.axvline(0.0, color="0.5", lw=0.8)
    labels = [(f"{event_name(r.event_id)}: " if several else "")
              + (" ".join(str(v) for v in (r.city, r.currency) if isinstance(v, str)) or "series")
              for r in res.itertuples(index=False)]
    ax.set_yticks(pos, labels)
    ax.set_ylim(-0.7, max(len(res), 1) - 0.3)
    if not several and len(res):
        ax.set_ylabel(event_name(str(res["event_id"].iloc[0])), fontsize="small")
    log = study.params["scale"] == "log"
    ax.set_xlabel("change (log points)" if log else "change")
    if log:
        top = ax.secondary_xaxis("top", functions=(_to_pct, _from_pct))
        top.set_xlabel("change (%)", fontsize="small")
        top.tick_params(labelsize="small")
    tidy(ax)
    ax.grid(False, axis="y")
    if len(dropped):
        add_below(ax, "No estimate: " + "; ".join(
            f"{' '.join(str(v) for v in (r.city, r.currency) if isinstance(v, str))}"
            + (f" ({r.reason})" if isinstance(r.reason, str) and r.reason else "")
            for r in dropped.itertuples(index=False)), wrap=True)


def _to_pct(v: Any) -> Any:
    return 100.0 * np.expm1(np.asarray(v, dtype=float))


def _from_pct(q: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):  # -100% and below: no log change
        return np.log1p(np.asarray(q, dtype=float) / 100.0)


def draw_probability(cp: ChangeProbability, ax: Axes, long_gap: pd.Timedelta | None = None,
                     **kwargs: Any) -> None:
    """Stems of the posterior probability of a change at each date, with a legend.

    Stems of reports that follow a silence longer than ``long_gap`` are light and
    labelled with the gap: the prior's hazard builds up over the silence, so such a
    report is likely to open a new regime whatever the data say.
    """
    prob = cp.probability.fillna(0.0)
    when = pd.DatetimeIndex(prob.index)
    after = np.zeros(len(when), dtype=bool)
    gaps = pd.Series(when).diff()
    if long_gap is not None and len(when) > 1:
        after = (gaps > long_gap).to_numpy()
    base = str(kwargs.pop("color", "C3"))
    colours = [(base, 0.35) if a else (base, 1.0) for a in after]
    style: dict[str, Any] = {"colors": colours, "lw": 1.5} | kwargs
    ax.vlines(when, 0.0, prob.to_numpy(dtype=float), **style)
    ax.axhline(0.5, color="0.5", lw=0.8, ls=":")
    for i in np.flatnonzero(after):
        years = gaps.iloc[i] / pd.Timedelta(days=365.25)
        x: Any = when[int(i)]
        ax.annotate(f"after {years:.1f} y\nwithout reports", (x, float(prob.iloc[i])), xytext=(3, 1),
                    textcoords="offset points", fontsize=6, color="0.35", va="top", ha="left")
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("posterior probability of a change")
    tidy(ax)
    _probability_legend(ax, base, bool(after.any()), long_gap)


def _probability_legend(ax: Axes, colour: str, after: bool, long_gap: pd.Timedelta | None) -> None:
    from matplotlib.lines import Line2D


    add_proxy(ax, Line2D([], [], color=colour, lw=1.5, label="P(change) at a report"))
    if after and long_gap is not None:
        add_proxy(ax, Line2D([], [], color=colour, alpha=0.35, lw=1.5,
                             label=f"after > {long_gap.days} days without reports\n(the prior's hazard "
                                   "builds up\nover the silence)"))
    add_proxy(ax, Line2D([], [], color="0.5", lw=0.8, ls=":", label="P = 0.5 (dates marked above)"))
    legend_outside(ax)


def draw_values(cp: ChangeProbability, ax: Axes, marks: bool, gap: pd.Timedelta | None = None) -> None:
    """Draw the modelled series (in KPW for a level model), dates of P(change) >= 0.5 marked.

    Reports further apart than ``gap`` are not joined.
    """
    p = cp.params
    values = cp.values
    name = str(values.name) if values.name is not None else ""
    currency = name.replace("/", " ").split()[-1] if name else None
    dates, joined = break_gaps(pd.Series(values.index), pd.Series(values.to_numpy(dtype=float)), gap)
    x = pd.DatetimeIndex(dates)
    if p["model"] == "level":
        kpw = np.exp(joined.to_numpy(dtype=float)) if p["scale"] == "log" else joined.to_numpy(dtype=float)
        ax.plot(x, kpw, color="0.3", lw=1, marker=".", ms=3, label=name or "rate")
        if p["scale"] == "log":
            ax.set_yscale("log")
        format_rate_axis(ax, currency if currency in ("CNY", "USD") else None, log=p["scale"] == "log")
    else:
        ax.plot(x, joined.to_numpy(dtype=float), color="0.3", lw=1, marker=".", ms=3, label=name or "series")
        ax.set_ylabel(f"{p['model']} ({p['scale']})")
        tidy(ax)
    if marks:
        high = cp.probability[cp.probability >= 0.5]
        for i, when in enumerate(pd.DatetimeIndex(high.index)):
            ax.axvline(when, color="C3", lw=0.8, ls="--",  # type: ignore[arg-type]
                       label="P(change) ≥ 0.5" if i == 0 else None)
    legend_outside(ax)
