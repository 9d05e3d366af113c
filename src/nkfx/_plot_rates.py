"""Drawing helpers of :func:`nkfx.plotting.plot_rates` and :func:`~nkfx.plotting.plot_cities`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nkfx.errors import NkfxValueError
from nkfx.schema import select, validate_rates

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["STATUS_COLOURS", "draw_events", "draw_series", "rate_data"]

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
                mfc="none", mec=colour, mew=0.8, label=_once(_FILLED, seen))
    several = per_date.transform("size") > 1
    if several.any():
        hit = part.loc[several]
        ax.scatter(hit["date"], hit["rate"], marker="x", s=14, lw=0.8, color=colour, zorder=3,
                   label=_once(_SEVERAL, seen))
    if {"rate_low", "rate_high", "n_sources"} <= set(part.columns):
        ranged = part[(part["n_sources"] > 1) & part["rate_low"].notna() & part["rate_high"].notna()]
        if len(ranged):
            ax.vlines(ranged["date"], ranged["rate_low"], ranged["rate_high"], color=colour,
                      lw=2.0, alpha=0.5, label=_once(_RANGE, seen) or "")


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


def draw_events(ax: Axes, events: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp,
                era: pd.Timedelta) -> None:
    """Events as spans coloured by status; eras longer than ``era`` as a dashed start line."""
    missing = [c for c in ("start", "end", "status") if c not in events]
    if missing:
        raise NkfxValueError(f"events is missing column(s) {missing}; use nkfx.datasets.load_events()")
    shown = events[(events["end"] >= lo) & (events["start"] <= hi)]
    seen: set[str] = set()
    for ev in shown.itertuples(index=False):
        status = str(ev.status)
        colour = STATUS_COLOURS.get(status, "0.6")
        label = _once(f"event: {status}", seen)
        start, end = pd.Timestamp(str(ev.start)), pd.Timestamp(str(ev.end))
        # a one-day event still needs a visible width: at least 0.3% of the axis span
        end = max(end, start + (hi - lo) * 0.003)
        if end - start > era:
            ax.axvline(start, color=colour, alpha=0.6, lw=1.0, ls="--", label=label)  # type: ignore[arg-type]
            continue
        ax.axvspan(start, end, color=colour, alpha=0.18, lw=0, label=label)  # type: ignore[arg-type]
