"""Shared figure helpers of :mod:`nkfx.plotting`: axes handling, rate axes, captions.

matplotlib is imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nkfx.errors import NkfxTypeError, NkfxValueError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["add_credit", "as_axes_list", "format_rate_axis", "is_axes", "new_axes", "save_figure", "tidy"]


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


def format_rate_axis(ax: Axes, currency: str | None, log: bool) -> None:
    """KPW label, thousands separators, light grid: the look of every rate axis."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    if log:  # 1-2-5 ticks: a single decade would otherwise show one label
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
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
    """Write a source credit in small grey type under the axes."""
    if credit:
        ax.annotate(credit, (0, 0), xycoords="axes fraction", xytext=(0, -28),
                    textcoords="offset points", fontsize="x-small", color="0.4", va="top")


def save_figure(ax: Axes, path: Any, dpi: int = 150) -> None:
    """Save the figure holding ``ax`` to ``path`` and close it."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    fig = ax.get_figure(root=True)
    if isinstance(fig, Figure):
        try:
            fig.savefig(path, dpi=dpi)
        finally:
            plt.close(fig)
