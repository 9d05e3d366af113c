"""Plot of a test's F path (matplotlib imported lazily, never ``plt.show()``).

``Breaks.plot`` is :func:`nkfx.plotting.plot_breaks`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from nkfx.detect._prepare import fmt_date
from nkfx.errors import NkfxValueError
from nkfx.plotting.style import legend_outside, new_axes, tidy

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from nkfx.detect.results import TestResult

__all__ = ["plot_f_path"]


def plot_f_path(test: TestResult, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Draw a sup-F test's F path, its 95% critical value and the date of the maximum.

    The path is evaluated at the candidate break dates (the reports): each is a
    point, so a line across a silence is not read as evidence. The legend sits to
    the right of the axes.
    """
    path = test.detail.get("f_path")
    if not isinstance(path, pd.Series):
        raise NkfxValueError(f"{test.name} has no F path to plot; only sup-F tests have one")
    ax = new_axes(ax, (9, 3.5))
    style: dict[str, Any] = {"color": "0.2", "lw": 1.0, "marker": ".", "ms": 4,
                             "label": "F statistic at a candidate date"}
    style.update(kwargs)
    ax.plot(path.index, path.to_numpy(), **style)
    crit = test.critical_values.get(0.95)
    if crit is not None:
        ax.axhline(crit, color="C3", ls="--", lw=1, label="95% critical value")
    if test.date is not None:
        when: Any = test.date  # matplotlib's stubs say float; a date axis takes dates
        ax.axvline(when, color="C1", lw=1, label=f"maximum ({fmt_date(test.date)})")
    ax.set_ylabel(f"F statistic ({test.name})")
    tidy(ax)
    legend_outside(ax)
    return ax
