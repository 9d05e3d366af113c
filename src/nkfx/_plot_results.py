"""Drawing code behind the result plots: breaks, event studies, change probabilities.

The public entry points (with the documentation) are in :mod:`nkfx.plotting`; the
results' ``plot()`` methods call them, so each figure has one implementation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nkfx._plot_style import format_rate_axis, tidy

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from nkfx._event_result import EventStudy
    from nkfx.detect.results import Breaks
    from nkfx.probability import ChangeProbability

__all__ = ["draw_breaks", "draw_forest", "draw_placebo", "draw_probability", "draw_study_path",
           "draw_values"]


def draw_breaks(res: Breaks, ax: Axes, kpw: bool, gap: pd.Timedelta | None = None, **kwargs: Any) -> None:
    """Series, one fitted line per regime, a line per break (``last_old``) and interval bands.

    The data line is not joined across silences longer than ``gap``.
    """
    from nkfx._plot_rates import break_gaps

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
    # matplotlib takes dates on a date axis; its stubs only say float, hence Any
    when: dict[str, list[Any]] = {
        c: list(pd.DatetimeIndex(res.breaks[c])) for c in ("last_old", "ci_lower", "ci_upper")
    }
    level = float(res.params.get("level", float("nan")))
    shaded = 0
    for i in range(res.n_breaks):
        ax.axvline(when["last_old"][i], color="C3", ls="--", lw=1,
                   label=("jump (last report before)" if jumps else "break (last old date)")
                   if i == 0 else None)
        if pd.isna(when["ci_lower"][i]) or pd.isna(when["ci_upper"][i]):
            continue  # PELT, or an interval that could not be computed (see notes)
        ax.axvspan(when["ci_lower"][i], when["ci_upper"][i], color="C3", alpha=0.15, lw=0,
                   label=f"{level:.0%} interval" if shaded == 0 else None)
        shaded += 1
    currency = res.params.get("currency")
    if back or res.scale == "level":
        if back:
            ax.set_yscale("log")
        format_rate_axis(ax, currency if isinstance(currency, str) else None, log=back)
    else:
        ax.set_ylabel(f"log KPW per {currency}" if isinstance(currency, str) else "log rate")
        tidy(ax)
    city = res.params.get("city")
    if isinstance(city, str):
        what = (f"{res.n_breaks} jump(s) in a drifting rate" if jumps else
                f"{res.n_breaks} break(s), {res.method}, {res.model} model")
        ax.set_title(f"{city}: {what}", loc="left", fontsize="medium")
    ax.legend(loc="best", fontsize="small", frameon=False)


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
        colour = f"C{k % 10}"
        mine = res.loc[_same(res["city"], row["city"]) & _same(res["currency"], row["currency"]), "change"]
        changes = mine[np.isfinite(mine.to_numpy(dtype=float))].to_numpy(dtype=float)
        for i, change in enumerate(changes):
            ax.plot(x, _step(x, change), color=colour, lw=0.8, alpha=0.4,
                    label="single events" if k == 0 and i == 0 else None)
        if not len(changes):
            continue
        banded = row["n_change"] > 0
        mean, n = float(row["change"]), int(row["n_change"])
        if not banded:
            mean, n = float(changes.mean()), len(changes)
        label = f"{_series_label(row['city'], row['currency'])}: mean of {n} event(s)"
        style: dict[str, Any] = {"color": colour, "lw": 2.2, "label": label} | kwargs
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
    ax.legend(loc="best", fontsize="small", frameon=False)


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
        colour = f"C{k % 10}"
        null = placebo.loc[_same(placebo["city"], city) & _same(placebo["currency"], currency),
                           "statistic"].dropna()
        if len(null):
            ax.hist(null.to_numpy(dtype=float), bins=20, histtype="stepfilled", alpha=0.35,
                    color=colour, label=f"placebo {_series_label(city, currency)}")
        mine = res.loc[_same(res["city"], city) & _same(res["currency"], currency), stat].dropna()
        for i, value in enumerate(mine):
            ax.axvline(float(value), color=colour, lw=1.2, label="events" if k == 0 and i == 0 else None)
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
    """Each event's change with its confidence interval, one row per event and series."""
    res = study.results.reset_index(drop=True)
    pos = np.arange(len(res))[::-1]
    style: dict[str, Any] = {"fmt": "o", "color": "C0", "capsize": 3} | kwargs
    err = np.vstack(((res["change"] - res["change_lower"]).to_numpy(dtype=float),
                     (res["change_upper"] - res["change"]).to_numpy(dtype=float)))
    ax.errorbar(res["change"].to_numpy(dtype=float), pos, xerr=np.nan_to_num(err), **style)
    ax.axvline(0.0, color="0.5", lw=0.8)
    labels = [" ".join(str(v) for v in (r.event_id, r.city, r.currency) if isinstance(v, str))
              for r in res.itertuples(index=False)]
    ax.set_yticks(pos, labels)
    ax.set_xlabel("change (log points)" if study.params["scale"] == "log" else "change")


def draw_probability(cp: ChangeProbability, ax: Axes, **kwargs: Any) -> None:
    """Stems of the posterior probability of a change at each date."""
    style: dict[str, Any] = {"color": "C3", "lw": 1.5, "label": "P(change)"} | kwargs
    prob = cp.probability.fillna(0.0)
    ax.vlines(prob.index, 0.0, prob.to_numpy(dtype=float), **style)
    ax.axhline(0.5, color="0.5", lw=0.8, ls=":")
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("posterior probability of a change")
    tidy(ax)


def draw_values(cp: ChangeProbability, ax: Axes, marks: bool) -> None:
    """Draw the modelled series (in KPW for a level model), dates of P(change) >= 0.5 marked."""
    p = cp.params
    values = cp.values
    name = str(values.name) if values.name is not None else ""
    currency = name.replace("/", " ").split()[-1] if name else None
    if p["model"] == "level":
        kpw = np.exp(values.to_numpy(dtype=float)) if p["scale"] == "log" else values.to_numpy(dtype=float)
        ax.plot(values.index, kpw, color="0.3", lw=1, marker=".", ms=3, label=name or "rate")
        if p["scale"] == "log":
            ax.set_yscale("log")
        format_rate_axis(ax, currency if currency in ("CNY", "USD") else None, log=p["scale"] == "log")
    else:
        ax.plot(values.index, values.to_numpy(dtype=float), color="0.3", lw=1, marker=".", ms=3)
        ax.set_ylabel(f"{p['model']} ({p['scale']})")
        tidy(ax)
    if marks:
        high = cp.probability[cp.probability >= 0.5]
        for i, when in enumerate(pd.DatetimeIndex(high.index)):
            ax.axvline(when, color="C3", lw=0.8, ls="--",  # type: ignore[arg-type]
                       label="P(change) >= 0.5" if i == 0 else None)
