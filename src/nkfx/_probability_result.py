"""The result of :func:`nkfx.change_probability`: posterior change probabilities by date."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nkfx._validate import to_timestamp
from nkfx.detect._bocpd import BocpdResult, window_probability
from nkfx.errors import NkfxValueError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ChangeProbability"]

_PRIOR_KEYS = ("mu0", "kappa0", "alpha0", "beta0")


@dataclass(frozen=True, eq=False)
class ChangeProbability:
    """Posterior probabilities of a change in regime at each observation of one series.

    A "change at date ``d``" means that the observation dated ``d`` is the first of
    a new regime, i.e. the change happened after the previous observation and on
    or before ``d``.

    Attributes
    ----------
    values : pandas.Series
        The modelled values by date (log rates, rates, or scaled log returns).
    probability : pandas.Series
        P(change at each date | all data) when ``params["smooth"]`` is true (the
        default), else the filtering P(change at date | data up to that date).
        NaN on the first date, where the first regime starts by definition.
    filtered : pandas.Series
        The filtering probabilities P(change at date | data up to that date).
    hazard : pandas.Series
        Prior probability of a change at each date (grows with the gap before it).
    expected_run : pandas.Series
        Posterior mean run length (observations since the regime began) per date.
    log_evidence : float
        Log marginal likelihood of the data under the model.
    params : dict
        Every option used, including the resolved prior.
    notes : tuple of str
        What was done to the input (medians per date, dropped missing values).
    """

    values: pd.Series
    probability: pd.Series
    filtered: pd.Series
    hazard: pd.Series
    expected_run: pd.Series
    log_evidence: float
    params: dict[str, Any]
    notes: tuple[str, ...] = ()
    _core: BocpdResult | None = field(default=None, repr=False)

    def window(self, start: Any, end: Any) -> float:
        """Probability of at least one change at the observations dated in ``[start, end]``.

        Computed from the run-length posterior at the last observation on or before
        ``end``: no change in the window means that observation's regime began before
        the first observation in the window. With ``smooth=True`` (default) this
        uses all the data (the smoothed posterior, forward–backward); with
        ``smooth=False`` it is the filtering probability given the data up to the
        window's end. A change in the gap just before the first observation in
        the window is counted (it is first seen there).

        Parameters
        ----------
        start, end : date-like
            Window bounds, inclusive.

        Returns
        -------
        float
            NaN when no observation after the first one lies in the window.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from nkfx.probability import change_probability
        >>> dates = pd.date_range("2020-01-05", periods=60, freq="14D")
        >>> noise = np.random.default_rng(0).normal(0, 0.01, 60)
        >>> rate = pd.Series(np.exp(8.9 + 0.3 * (dates >= "2021-03-01") + noise), index=dates)
        >>> res = change_probability(rate)
        >>> res.window("2021-02-01", "2021-04-01") > 0.95
        True
        >>> res.window("2020-03-01", "2020-06-01") < 0.05
        True
        """
        # The series' dates are tz-naive days: an aware bound counts by its local date.
        lo = _naive(to_timestamp("start", start))
        hi = _naive(to_timestamp("end", end))
        if hi < lo:
            raise NkfxValueError(f"end must be on or after start; got start={lo.date()}, end={hi.date()}")
        dates = pd.DatetimeIndex(self.values.index)
        s = max(int(dates.searchsorted(lo, side="left")), 1)
        e = int(dates.searchsorted(hi, side="right")) - 1
        if self._core is None or e < s:
            return math.nan
        return window_probability(self._core, s, e)

    def to_frame(self) -> pd.DataFrame:
        """Return one row per date: value, probability, filtered, hazard, expected_run.

        Examples
        --------
        >>> from nkfx import change_probability
        >>> from nkfx.datasets import load_observations
        >>> res = change_probability(load_observations(), city="Hyesan", currency="CNY", source="Daily NK")
        >>> frame = res.to_frame()
        >>> frame.shape, frame.columns.tolist()
        ((39, 6), ['date', 'value', 'probability', 'filtered', 'hazard', 'expected_run'])
        """
        frame = pd.DataFrame({
            "value": self.values,
            "probability": self.probability,
            "filtered": self.filtered,
            "hazard": self.hazard,
            "expected_run": self.expected_run,
        })
        return frame.reset_index()

    def to_dict(self) -> dict[str, Any]:
        """Return the per-date table, parameters and notes as JSON-safe types.

        Examples
        --------
        >>> from nkfx import change_probability
        >>> from nkfx.datasets import load_observations
        >>> res = change_probability(load_observations(), city="Hyesan", currency="CNY", source="Daily NK")
        >>> d = res.to_dict()
        >>> sorted(d), len(d["table"]), d["params"]["model"]
        (['log_evidence', 'notes', 'params', 'table'], 39, 'level')
        >>> d["table"][0]["date"], d["table"][0]["probability"]  # NaN on the first date -> None
        ('2011-11-27', None)
        """
        from nkfx._event_study import json_safe

        out: dict[str, Any] = json_safe({"table": self.to_frame(), "log_evidence": self.log_evidence,
                                         "params": self.params, "notes": list(self.notes)})
        return out

    def summary(self) -> str:
        """Return a text summary: data, options, and the dates most likely to start a regime.

        Examples
        --------
        >>> from nkfx import change_probability
        >>> from nkfx.datasets import load_observations
        >>> res = change_probability(load_observations(), city="Hyesan", currency="CNY", source="Daily NK")
        >>> print(res.summary().splitlines()[1])
          observations: 39 from 2011-11-27 to 2025-02-02
        """
        p = self.params
        idx = pd.DatetimeIndex(self.values.index)
        top = self.probability.dropna().sort_values(ascending=False)
        top = top[top >= 0.5].sort_index()
        lines = [
            f"Change probability (BOCPD, Adams & MacKay 2007): {self.values.name or '(unnamed)'}",
            f"  observations: {len(idx)} from {idx[0].date()} to {idx[-1].date()}",
            f"  model: {p['model']} on {p['scale']} scale; hazard: {p['hazard_rule']}",
            "  prior: " + ", ".join(f"{k}={p['prior'][k]:.4g}" for k in _PRIOR_KEYS),
            f"  posterior: {'smoothed (all data)' if p['smooth'] else 'filtering'}; "
            f"log evidence {self.log_evidence:.2f}; expected number of changes "
            f"{float(np.nansum(self.probability.to_numpy())):.2f}",
            f"  pruning: run lengths below {p['threshold']:.3g} dropped, at most {p['max_run']} kept; "
            f"filtering mass dropped {p.get('mass_dropped', float('nan')):.3g} in all, "
            f"{p.get('mass_dropped_max', float('nan')):.3g} at most at one date",
            "  dates with P(change) >= 0.5: "
            + (", ".join(f"{d.date()} ({v:.2f})" for d, v in
                         zip(pd.DatetimeIndex(top.index), top.to_numpy(), strict=True)) or "none"),
        ]
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def plot(self, ax: Axes | None = None, series: bool = True, **kwargs: Any) -> Axes:
        """Plot the change probability by date (stems) under the modelled series.

        Parameters
        ----------
        ax : matplotlib Axes or a pair of Axes, optional
            Axes to draw on; a new figure with two stacked axes is created when omitted.
        series : bool, default True
            Draw the series above the probabilities (see :func:`nkfx.plotting.plot_probability`).
        **kwargs
            Passed to :func:`nkfx.plotting.plot_probability` and from there to the stems.

        Returns
        -------
        matplotlib.axes.Axes
            The axes holding the probabilities.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from nkfx import change_probability
        >>> from nkfx.datasets import load_observations
        >>> res = change_probability(load_observations(), city="Hyesan", currency="CNY", source="Daily NK")
        >>> ax = res.plot()
        >>> type(ax).__name__, len(ax.figure.axes), ax.get_ylabel()
        ('Axes', 2, 'posterior probability of a change')
        >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
        """
        from nkfx.plotting import plot_probability

        return plot_probability(self, ax=ax, series=series, **kwargs)

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(self.summary())}</pre>"

    def __repr__(self) -> str:
        n_high = int((self.probability > 0.5).sum())
        return (f"ChangeProbability({self.values.name!r}, n={len(self.values)}, "
                f"model={self.params['model']!r}, dates with P>0.5: {n_high})")


def _naive(ts: pd.Timestamp) -> pd.Timestamp:
    """Drop a time zone, keeping the local date and time."""
    return ts.tz_localize(None) if ts.tz is not None else ts
