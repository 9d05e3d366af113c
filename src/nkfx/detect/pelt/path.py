"""The penalty path of PELT (CROPS): how many breaks each penalty gives, and its plot."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nkfx.detect._prepare import prepare
from nkfx.detect.pelt._core import crops, pelt
from nkfx.detect.pelt._method import _COST_CHOICES, resolve_min_size
from nkfx.detect.pelt._penalty import COSTS, resolve_penalty
from nkfx.errors import NkfxTypeError, NkfxValueError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["penalty_path", "plot_penalty_path"]


def penalty_path(
    data: pd.Series | pd.DataFrame, *, city: str | None = None, currency: str | None = None,
    source: str | None = None, scale: str = "log", cost: str = "l2", trim: Any = None,
    penalties: Any = None, pen_range: tuple[float, float] | None = None,
    biweight_k: float = 3.0,
) -> pd.DataFrame:
    """How many breaks each penalty gives: every optimal segmentation over a penalty range.

    Uses CROPS (Haynes, Eckley & Fearnhead 2017), which finds every distinct optimal
    segmentation for penalties in ``pen_range`` in about two runs per segmentation;
    or, with ``penalties``, one run per given penalty. Look for an elbow: a long range
    of penalties over which the number of breaks does not change.

    Parameters
    ----------
    data : pandas.Series or pandas.DataFrame
        Rates with a DatetimeIndex, or a rate frame with ``city``/``currency``/``source``.
        Several values on one date become their median, as in :func:`nkfx.detect` (whose
        result's notes say how many; this table has no notes).
    city, currency, source : str, optional
        Select one series from a rate frame.
    scale : {"log", "level"}
        Analyse log rates (default) or levels.
    cost : {"l2", "normal", "biweight"}, default "l2"
        Change in mean, in mean and variance, or in level with the robust capped loss
        (as ``detect(method="pelt")``).
    trim : int, float, str or pandas.Timedelta, optional
        Minimum segment length, as in ``detect(method="pelt")`` (default 2 observations).
    penalties : array_like of float, optional
        Penalties to run (a dense grid), in the units of the cost.
    pen_range : (float, float), optional
        Range for CROPS; default from 0.1 to 100 times the ``"bic"`` penalty.
    biweight_k : float, default 3.0
        Cap of ``cost="biweight"`` in short-run noise sds (ignored by other costs).

    Returns
    -------
    pandas.DataFrame
        One row per segmentation: ``penalty`` (CROPS: the smallest penalty where it is
        optimal; ``penalty_max`` the largest), ``relative_to_bic``, ``n_breaks``,
        ``cost`` (unpenalised), ``last_old`` and ``first_new`` (lists of dates).
        ``attrs`` holds ``bic_penalty``, ``cost``, ``min_size`` and ``search``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> dates = pd.date_range("2020-01-06", periods=90, freq="W-MON")
    >>> rng = np.random.default_rng(0)
    >>> level = np.r_[np.full(30, 5000.0), np.full(30, 7000.0), np.full(30, 6000.0)]
    >>> rate = pd.Series(level * np.exp(rng.normal(0, 0.01, 90)), index=dates)
    >>> path = penalty_path(rate)
    >>> path[["n_breaks", "relative_to_bic"]].tail(3).round(2)
        n_breaks  relative_to_bic
    11         6             0.49
    12         4             0.63
    13         2             0.84

    Two breaks hold from 0.84 to 100 times the BIC penalty (the end of the range):

    >>> two = path[path["n_breaks"] == 2].iloc[0]
    >>> [d.date().isoformat() for d in two["first_new"]]
    ['2020-08-03', '2021-03-01']
    >>> round(two["penalty_max"] / path.attrs["bic_penalty"])
    100

    The robust cost gives a path too:

    >>> robust = penalty_path(rate, cost="biweight")
    >>> robust.loc[robust["n_breaks"] == 2, "relative_to_bic"].round(2).tolist()
    [0.84]
    """
    prep = prepare(data, city=city, currency=currency, source=source, scale=scale, model="mean")
    if cost not in COSTS:
        raise NkfxValueError(f"cost must be one of {_COST_CHOICES}; got {cost!r}")
    min_size, _ = resolve_min_size(trim, prep.dates, cost)
    bic = resolve_penalty("bic", cost=cost, y=prep.y).per_change
    if penalties is not None:
        grid = _check_penalties(penalties)
        entries = [(p, math.nan, pelt(prep.y, cost=cost, penalty=p, min_size=min_size,
                                      biweight_k=biweight_k)) for p in grid]
        search = "grid"
    else:
        lo, hi = pen_range if pen_range is not None else (0.1 * bic, 100.0 * bic)
        entries = [(e.low, e.high, e.result) for e in
                   crops(prep.y, pen_min=lo, pen_max=hi, cost=cost, min_size=min_size,
                         biweight_k=biweight_k)]
        search = "crops"
    dates = prep.dates
    frame = pd.DataFrame({
        "penalty": [e[0] for e in entries],
        "penalty_max": [e[1] for e in entries],
        "relative_to_bic": [e[0] / bic for e in entries],
        "n_breaks": [e[2].n_breaks for e in entries],
        "cost": [e[2].cost for e in entries],
        "last_old": [list(dates[e[2].breaks]) for e in entries],
        "first_new": [list(dates[e[2].breaks + 1]) for e in entries],
    })
    if search == "grid":
        frame = frame.drop(columns="penalty_max")
    frame.attrs.update(bic_penalty=bic, cost=cost, min_size=min_size, search=search)
    return frame


def _check_penalties(penalties: Any) -> list[float]:
    try:
        grid = np.asarray(penalties, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise NkfxTypeError(f"penalties must be positive numbers; got {penalties!r}") from exc
    bad = ~(np.isfinite(grid) & (grid > 0))
    if grid.size == 0 or bad.any():
        raise NkfxValueError(f"penalties must be positive numbers; got {grid[bad][:5].tolist()}"
                             if bad.any() else "penalties must not be empty")
    return sorted(float(p) for p in grid)


def plot_penalty_path(path: pd.DataFrame, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Plot the number of breaks against the penalty (log scale), marking the BIC penalty.

    Parameters
    ----------
    path : pandas.DataFrame
        The result of :func:`penalty_path`.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when omitted.
    **kwargs
        Passed to the step line.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rate = pd.Series(np.r_[np.full(20, 100.0), np.full(20, 150.0)] + np.arange(40) % 3,
    ...                  index=pd.date_range("2024-01-01", periods=40))
    >>> ax = plot_penalty_path(penalty_path(rate, scale="level"))
    >>> ax.get_xlabel()
    'penalty per break (log scale)'
    """
    if not isinstance(path, pd.DataFrame) or not {"penalty", "n_breaks"} <= set(path.columns):
        raise NkfxTypeError("path must be the DataFrame returned by penalty_path(); got "
                            f"{type(path).__name__}")
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 3.5))
    x = path["penalty"].to_numpy(dtype=np.float64)
    y = path["n_breaks"].to_numpy(dtype=np.float64)
    if "penalty_max" in path:  # CROPS: each count holds up to the next boundary
        x, y = np.append(x, path["penalty_max"].iloc[-1]), np.append(y, y[-1])
    style: dict[str, Any] = {"where": "post", "color": "C0", "label": "optimal segmentation"}
    style.update(kwargs)
    ax.step(x, y, **style)
    bic = path.attrs.get("bic_penalty")
    if bic is not None:
        ax.axvline(bic, color="C3", ls=":", lw=1, label="'bic' penalty")
    ax.set_xscale("log")
    ax.set_xlabel("penalty per break (log scale)")
    ax.set_ylabel("number of breaks")
    ax.legend(loc="best", fontsize="small")
    return ax
