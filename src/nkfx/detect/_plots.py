"""Plots of detection results (matplotlib imported lazily, never ``plt.show()``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from nkfx.detect._prepare import fmt_date
from nkfx.errors import NkfxValueError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from nkfx.detect.results import Breaks, TestResult

__all__ = ["plot_breaks", "plot_f_path"]


def plot_breaks(res: Breaks, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Draw the series, regime fits, break lines (``last_old``) and interval bands."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(9, 4))
    style: dict[str, Any] = {"color": "0.35", "lw": 1.0, "marker": ".", "ms": 3, "label": "data"}
    style.update(kwargs)
    ax.plot(res.series.index, res.series.to_numpy(), **style)
    fitted = res.fitted
    for i, (start, end) in enumerate(zip(res.segments["start"], res.segments["end"], strict=True)):
        part = fitted[(fitted.index >= start) & (fitted.index <= end)]
        ax.plot(part.index, part.to_numpy(), color="C1", lw=2, label="regime fit" if i == 0 else None)
    # matplotlib takes dates on a date axis; its stubs only say float, hence Any
    when: dict[str, list[Any]] = {
        c: list(pd.DatetimeIndex(res.breaks[c])) for c in ("last_old", "ci_lower", "ci_upper")
    }
    level = float(res.params.get("level", float("nan")))
    shaded = 0
    for i in range(res.n_breaks):
        ax.axvline(
            when["last_old"][i], color="C3", ls="--", lw=1, label="break (last old date)" if i == 0 else None
        )
        if pd.isna(when["ci_lower"][i]) or pd.isna(when["ci_upper"][i]):
            continue  # interval not computable (see notes)
        ax.axvspan(
            when["ci_lower"][i],
            when["ci_upper"][i],
            color="C3",
            alpha=0.15,
            lw=0,
            label=f"{level:.0%} interval" if shaded == 0 else None,
        )
        shaded += 1
    ax.set_ylabel("log rate" if res.scale == "log" else "rate")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_f_path(test: TestResult, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Draw a sup-F test's F path, its 95% critical value and the date of the maximum."""
    path = test.detail.get("f_path")
    if not isinstance(path, pd.Series):
        raise NkfxValueError(f"{test.name} has no F path to plot; only sup-F tests have one")
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(9, 3.5))
    style: dict[str, Any] = {"color": "0.2", "lw": 1.2, "label": "F statistic"}
    style.update(kwargs)
    ax.plot(path.index, path.to_numpy(), **style)
    crit = test.critical_values.get(0.95)
    if crit is not None:
        ax.axhline(crit, color="C3", ls="--", lw=1, label="95% critical value")
    if test.date is not None:
        when: Any = test.date  # matplotlib's stubs say float; a date axis takes dates
        ax.axvline(when, color="C1", lw=1, label=f"maximum ({fmt_date(test.date)})")
    ax.set_ylabel(test.name)
    ax.legend(loc="best", fontsize="small")
    return ax
