"""Power of break detection on simulated series: :func:`power_study` and :class:`PowerStudy`.

Each simulated series is one city's log rate over a fixed span, observed at irregular
dates (gamma-distributed gaps with a given mean), with a single level shift of a given
size (log points) at a random date in the middle third, plus Gaussian noise. Series
run through :func:`nkfx.detect_many`, so an executor spreads the work.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nkfx._json import jsonable
from nkfx._validate import to_timedelta
from nkfx.batch.many import detect_many
from nkfx.errors import NkfxTypeError, NkfxValueError

if TYPE_CHECKING:
    import concurrent.futures as cf

    from matplotlib.axes import Axes

__all__ = ["PowerStudy", "power_study"]

_START = pd.Timestamp("2015-01-01")
_BASE_LOG_RATE = float(np.log(5000.0))
_CELL = ["size", "noise", "spacing_days"]


@dataclass(frozen=True, eq=False)
class PowerStudy:
    """Detection rate and date error by break size, noise and sampling interval.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (``size``, ``noise``, ``spacing_days``): ``n_series``, ``n_failed``
        (series detection could not analyse, left out of the rates), ``mean_n_obs``,
        ``detection_rate`` (share with a break whose ``first_new`` lies within the
        tolerance of the true first date of the new regime; for ``size == 0`` there is
        no true break and it is the share with any break, the false detection rate),
        ``detection_se`` (binomial standard error), ``any_break_rate``,
        ``mean_n_breaks`` and ``mean_abs_error_days`` (over detected series, distance
        of the closest break to the truth).
    series : pandas.DataFrame
        One row per simulated series: the cell, ``replicate``, ``n_obs``,
        ``true_first_new`` (NaT when ``size == 0``), ``status``, ``n_breaks``,
        ``detected`` and ``error_days``.
    params : dict
        Every setting used (span, tolerance, seed, detection options).

    Examples
    --------
    >>> import nkfx
    >>> study = nkfx.power_study(sizes=(0.0, 0.1), noise=(0.02,), spacing_days=(14,), n_series=5)
    >>> study.to_frame()[["size", "detection_rate"]]
       size  detection_rate
    0   0.0             0.0
    1   0.1             1.0
    """

    table: pd.DataFrame
    series: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Return the table by cell (a copy of :attr:`table`).

        Examples
        --------
        >>> import nkfx
        >>> study = nkfx.power_study(sizes=(0.1,), noise=(0.02,), spacing_days=(14,), n_series=3)
        >>> int(study.to_frame().loc[0, "n_series"])
        3
        """
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """Return the table by cell, the series and the parameters as plain JSON types.

        Examples
        --------
        >>> import nkfx
        >>> study = nkfx.power_study(sizes=(0.1,), noise=(0.02,), spacing_days=(14,), n_series=3)
        >>> d = study.to_dict()
        >>> sorted(d), d["table"][0]["n_series"]
        (['params', 'series', 'table'], 3)
        """
        out: dict[str, Any] = jsonable({"table": self.table, "series": self.series,
                                        "params": self.params})
        return out

    def summary(self) -> pd.DataFrame:
        """Return the detection rates as a grid: sizes down, (noise, spacing) across.

        Examples
        --------
        >>> import nkfx
        >>> study = nkfx.power_study(sizes=(0.0, 0.1), noise=(0.02,), spacing_days=(14,), n_series=3)
        >>> study.summary().shape
        (2, 1)
        """
        return self.table.pivot_table(
            index="size", columns=["noise", "spacing_days"], values="detection_rate", aggfunc="first"
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Plot detection rate against break size: one line per noise level (and spacing).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure is created when omitted.
        **kwargs
            Passed to every line.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import nkfx
        >>> study = nkfx.power_study(sizes=(0.0, 0.1), noise=(0.02, 0.1), spacing_days=(14,), n_series=3)
        >>> ax = study.plot()
        >>> len(ax.lines)
        2
        >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        styles = ["-", "--", ":", "-."]
        spacings = sorted(self.table["spacing_days"].unique())
        for (sd, gap), cell in self.table.groupby(["noise", "spacing_days"], sort=True):
            label = f"noise sd {sd:g}" + (f", every {gap:g} d" if len(spacings) > 1 else "")
            style = styles[spacings.index(gap) % len(styles)]
            ax.plot(cell["size"], cell["detection_rate"], style, marker="o", label=label, **kwargs)
        ax.set_xlabel("break size (log points)")
        ax.set_ylabel(f"detection rate (within {self.params['tolerance']})")
        ax.set_ylim(-0.02, 1.02)
        ax.legend()
        return ax

    def _repr_html_(self) -> str:
        html: str = self.table.to_html(index=False)
        return html


def power_study(
    sizes: Sequence[float] = (0.0, 0.02, 0.05, 0.1, 0.2),
    noise: Sequence[float] = (0.02, 0.05),
    spacing_days: Sequence[float] = (7.0, 14.0),
    n_series: int = 100,
    *,
    span_days: int = 1460,
    tolerance: str | pd.Timedelta = "60D",
    seed: int = 0,
    executor: cf.Executor | None = None,
    progress: bool | None = None,
    **detect_options: Any,
) -> PowerStudy:
    """Estimate how often :func:`nkfx.detect` finds a break, by size, noise and sampling.

    Parameters
    ----------
    sizes : sequence of float
        Break sizes in log points (0.1 is a jump of about 10.5%); include 0 to measure
        false detections.
    noise : sequence of float
        Standard deviations of the quotes around the true log level.
    spacing_days : sequence of float
        Mean days between observations (gamma gaps, shape 2, at least one day); the
        span is fixed, so wider spacing also means fewer observations.
    n_series : int, default 100
        Series per cell.
    span_days : int, default 1460
        Days covered by each series; the break falls in its middle third.
    tolerance : str or pandas.Timedelta, default "60D"
        A break counts as found when its ``first_new`` is this close to the truth.
    seed : int, default 0
        Seed of the simulation; the same seed gives the same study with any executor.
    executor : concurrent.futures.Executor, optional
        Passed to :func:`nkfx.detect_many`.
    progress : bool, optional
        Passed to :func:`nkfx.detect_many`.
    **detect_options
        Passed to :func:`nkfx.detect` (``method``, ``n_breaks``, ``trim``, ...).

    Returns
    -------
    PowerStudy

    Raises
    ------
    NkfxValueError
        If a size is negative, a noise or spacing is not positive, or ``n_series < 1``.

    Examples
    --------
    >>> import nkfx
    >>> study = nkfx.power_study(sizes=(0.0, 0.05), noise=(0.02,), spacing_days=(14,), n_series=4)
    >>> study.series[["size", "replicate", "detected"]].head(3)
       size  replicate  detected
    0   0.0          0     False
    1   0.0          1     False
    2   0.0          2     False
    """
    grid = _check_grid(sizes, noise, spacing_days, n_series, span_days)
    tol = to_timedelta("tolerance", tolerance)
    frame, truth = _simulate(grid, n_series, span_days, seed)
    res = detect_many(frame, by="series", executor=executor, progress=progress, **detect_options)
    per_series = _score(truth, res.groups, res.breaks, tol)
    params = {
        "span_days": span_days,
        "tolerance": f"{tol.days}D" if tol == pd.Timedelta(days=tol.days) else str(tol),
        "seed": seed,
        "n_series": n_series,
        "detect_options": dict(detect_options),
    }
    return PowerStudy(_aggregate(per_series), per_series, params)


def _check_grid(
    sizes: Any, noise: Any, spacing: Any, n_series: Any, span_days: Any
) -> list[tuple[float, float, float]]:
    for name, value in (("n_series", n_series), ("span_days", span_days)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise NkfxTypeError(f"{name} must be an int; got {type(value).__name__}")
        if value < 1:
            raise NkfxValueError(f"{name} must be >= 1; got {value!r}")
    checked = []
    for name, values, low in (("sizes", sizes, 0.0), ("noise", noise, None), ("spacing_days", spacing, None)):
        arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
        if arr.size == 0 or not np.isfinite(arr).all():
            raise NkfxValueError(f"{name} must be a non-empty sequence of finite numbers; got {values!r}")
        bad = arr < 0 if low == 0.0 else arr <= 0
        if bad.any():
            bound = ">= 0" if low == 0.0 else "> 0"
            raise NkfxValueError(f"{name} must all be {bound}; got {arr[bad].tolist()}")
        checked.append(arr.tolist())
    return list(itertools.product(*checked))


def _simulate(
    grid: list[tuple[float, float, float]], n_series: int, span_days: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    parts: list[pd.DataFrame] = []
    truth: list[tuple[Any, ...]] = []
    for size, sd, gap in grid:
        for rep in range(n_series):
            gaps = np.maximum(1, np.rint(rng.gamma(2.0, gap / 2.0, size=int(3 * span_days / gap) + 10)))
            days = np.cumsum(gaps)
            days = days[days <= span_days].astype(np.int64)
            at = int(rng.integers(span_days // 3, 2 * span_days // 3 + 1))
            new = days >= at
            y = _BASE_LOG_RATE + size * new + sd * rng.standard_normal(days.size)
            dates = _START + pd.to_timedelta(days, unit="D")
            sid = len(truth)
            parts.append(pd.DataFrame({"series": sid, "date": dates, "rate": np.exp(y)}))
            first_new = dates[new][0] if size > 0 and new.any() else pd.NaT
            truth.append((sid, size, sd, gap, rep, days.size, first_new))
    cols = ["series", *_CELL, "replicate", "n_obs", "true_first_new"]
    return pd.concat(parts, ignore_index=True), pd.DataFrame(truth, columns=cols)


def _score(
    truth: pd.DataFrame, groups: pd.DataFrame, breaks: pd.DataFrame, tol: pd.Timedelta
) -> pd.DataFrame:
    out = truth.merge(groups[["series", "status", "n_breaks"]], on="series", how="left", validate="1:1")
    found = breaks[["series", "first_new"]].merge(truth[["series", "true_first_new"]], on="series")
    gap = pd.to_timedelta(found["first_new"] - found["true_first_new"]).abs()
    found["error_days"] = gap.dt.total_seconds() / 86400.0
    closest = found.groupby("series")["error_days"].min()
    out["error_days"] = out["series"].map(closest)
    ok = out["status"] == "ok"
    within = out["error_days"] <= tol / pd.Timedelta(days=1)
    placebo = out["true_first_new"].isna() & (out["n_breaks"] > 0)
    out["detected"] = ok & (within | placebo)
    out.loc[~within, "error_days"] = np.nan  # dates are scored on detected series only
    return out


def _aggregate(per_series: pd.DataFrame) -> pd.DataFrame:
    ok = per_series[per_series["status"] == "ok"]
    by_cell = ok.groupby(_CELL, sort=True)
    table = by_cell.agg(
        n_series=("series", "size"),
        mean_n_obs=("n_obs", "mean"),
        detection_rate=("detected", "mean"),
        any_break_rate=("n_breaks", lambda s: float((s > 0).mean())),
        mean_n_breaks=("n_breaks", "mean"),
        mean_abs_error_days=("error_days", "mean"),
    )
    failed = per_series.groupby(_CELL, sort=True)["status"].agg(lambda s: int((s != "ok").sum()))
    table = table.reindex(failed.index)
    table.insert(1, "n_failed", failed)
    p, n = table["detection_rate"], table["n_series"]
    table.insert(list(table.columns).index("detection_rate") + 1, "detection_se", np.sqrt(p * (1 - p) / n))
    table["n_series"] = table["n_series"].fillna(0).astype(np.int64)
    return table.reset_index()
