"""Posterior probabilities of a change: Bayesian online change-point detection by date.

:func:`change_probability` runs the Adams & MacKay (2007) recursion of
:mod:`nkfx.detect._bocpd` on one series of irregular reports, with a hazard that
grows with the time between observations, and returns a :class:`ChangeProbability`
that answers questions asked in dates ("did anything change within ±30 days of
the rumour?").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from nkfx._groups import NO_CITY
from nkfx._json import jsonable
from nkfx._series import median_per_date
from nkfx._validate import check_option, check_positive, check_type, to_timedelta, to_timestamp
from nkfx.detect._bocpd import BocpdResult, Prior, bocpd, gap_hazard, window_probability
from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError
from nkfx.plotting import plot_probability
from nkfx.schema import select, validate_rates
from nkfx.summary import Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes


__all__ = [
    "ChangeProbability",
    "change_probability",
]



def prepare_series(
    series_or_rates: pd.Series | pd.DataFrame,
    *,
    city: str | None = None,
    currency: str | None = None,
    source: str | None = None,
    name: str = "series",
) -> tuple[pd.Series, list[str]]:
    """One positive rate per date, sorted, from a Series or a rate frame; notes say what was done.

    Several values on one date are replaced by their median (:func:`nkfx._series.median_per_date`,
    the rule of every nkfx analysis, and a note says so); missing
    values are left out (and counted in a note). A rate frame must hold one city and one
    currency after ``city=``/``currency=``/``source=`` are applied.
    """
    notes: list[str] = []
    if isinstance(series_or_rates, pd.DataFrame):
        rates = validate_rates(series_or_rates, name=name)
        if city is not None or currency is not None or source is not None:
            rates = select(rates, city=city, currency=currency, source=source)
        keys = rates[["city", "currency"]].astype(object).fillna(NO_CITY).drop_duplicates()
        if len(keys) > 1:
            found = ", ".join(f"{c}/{k}" for c, k in keys.itertuples(index=False))
            raise NkfxValueError(
                f"{name} holds {len(keys)} series (city/currency: {found}); pass city= and currency= "
                "to choose one")
        label = "/".join(str(v) for v in keys.iloc[0]) if len(keys) else None
        series = pd.Series(rates["rate"].to_numpy(dtype=float), index=pd.DatetimeIndex(rates["date"]),
                           name=label)
    elif isinstance(series_or_rates, pd.Series):
        series = series_or_rates
        if not isinstance(series.index, pd.DatetimeIndex):
            raise NkfxTypeError(f"{name} must have a DatetimeIndex; got {type(series.index).__name__}")
        if not pd.api.types.is_numeric_dtype(series):
            raise NkfxTypeError(f"{name} must hold numbers; got dtype {series.dtype}")
        series = series.astype(float)
    else:
        raise NkfxTypeError(
            f"{name} must be a pandas Series indexed by date or a rate frame; "
            f"got {type(series_or_rates).__name__}")
    series = _naive_days(series, name)
    finite = np.isfinite(series.to_numpy()) | series.isna().to_numpy()
    if not finite.all():
        day = series.index[~finite][0]
        raise NkfxValueError(f"{name} must hold finite numbers; got {series[~finite].iloc[0]!r} on "
                             f"{day.date()} ({int((~finite).sum())} value(s))")
    missing = int(series.isna().sum())
    if missing:
        notes.append(f"{missing} missing value(s) left out")
        series = series.dropna()
    series, combined = median_per_date(series)
    notes.extend(combined)
    series = series.sort_index()
    series.index.name = "date"
    return series, notes


def _naive_days(series: pd.Series, name: str) -> pd.Series:
    """Dates as tz-naive days (an aware index keeps its local dates); undated values refused."""
    index = pd.DatetimeIndex(series.index)
    if index.hasnans:
        raise NkfxValueError(f"{name} has {int(np.sum(index.isna()))} value(s) without a date (NaT); "
                             "drop or date them first")
    if index.tz is not None:  # rate frames are tz-naive days: keep the local calendar date
        series = pd.Series(series.to_numpy(), index=index.tz_localize(None), name=series.name)
    return series


def to_scale(series: pd.Series, scale: str, name: str = "series") -> pd.Series:
    """Log or level values of a positive rate series (log needs every value > 0)."""
    check_option("scale", scale, ("log", "level"))
    if scale == "level":
        return series.copy()
    bad = series.index[~(series.to_numpy() > 0)]
    if len(bad):
        raise NkfxValueError(
            f"{name} must be > 0 on the log scale; got {float(series[bad[0]])!r} on {bad[0].date()} "
            f"({len(bad)} value(s)); use scale='level' or remove them")
    out = pd.Series(np.log(series.to_numpy()), index=series.index, name=series.name)
    return out


def change_probability(
    series_or_rates: pd.Series | pd.DataFrame,
    *,
    city: str | None = None,
    currency: str | None = None,
    source: str | None = None,
    model: Literal["level", "returns"] = "level",
    scale: Literal["log", "level"] = "log",
    expected_run: Any = None,
    hazard: float | None = None,
    prior: Mapping[str, float] | None = None,
    smooth: bool = True,
    threshold: float = 1e-9,
    max_run: int | None = 1000,
) -> ChangeProbability:
    """Posterior probability of a change in regime at each date (Bayesian online change points).

    The Adams & MacKay (2007) recursion over the run length (observations since the
    current regime began) with a conjugate Normal–Gamma model: within a regime the
    modelled values are Normal with unknown mean and variance. The prior probability
    of a change before an observation that comes ``gap`` days after the previous one is
    ``1 - exp(-gap / expected_run)``, so a six-week silence is more likely to hide a
    change than a one-week one. Run lengths whose filtering probability falls below
    ``threshold`` are dropped and at most ``max_run`` are kept, so the cost is O(n·R).

    Parameters
    ----------
    series_or_rates : pandas.Series or pandas.DataFrame
        Rates indexed by date, or a rate frame narrowed by ``city``/``currency``/``source``
        to one series. Several values on one date are replaced by their median (``notes``).
    city, currency, source : str, optional
        Select one series of a rate frame (see :func:`nkfx.select`).
    model : {"level", "returns"}, default "level"
        ``"level"``: regimes of the (log) rate's level. ``"returns"``: regimes of the
        drift and volatility of log returns, each divided by the square root of its
        gap relative to the median gap (a random walk's increments then share one
        variance); the first date is lost.
    scale : {"log", "level"}, default "log"
        Model log rates or rates (``model="returns"`` needs ``"log"``).
    expected_run : duration, default "180D"
        Expected length of a regime in calendar time (the gap-aware hazard).
    hazard : float, optional
        A constant prior probability of a change per observation, ignoring gaps
        (e.g. ``1/26``); give either this or ``expected_run``.
    prior : mapping, optional
        ``mu0, kappa0, alpha0, beta0`` of the Normal–Gamma prior; missing keys take
        data-based defaults: ``mu0`` the median, ``alpha0 = 1``, ``beta0 = s**2`` with
        ``s`` a robust noise scale (MAD of first differences / sqrt 2 for levels, MAD
        for returns), ``kappa0 = s**2 / var`` so a regime mean may lie anywhere in the data.
    smooth : bool, default True
        Also run the backward pass: probabilities given all the data (else filtering).
    threshold : float, default 1e-9
        Drop run lengths with a filtering probability below this. The filtering mass
        dropped is reported in ``params``: ``mass_dropped`` (summed over all dates) and
        ``mass_dropped_max`` (the largest at one date). Measured on a simulated daily
        series of 10,000 values, filtering probabilities then differ from the exact
        (unpruned) recursion by at most 1.3e-7 (``benchmarks/bench_bocpd.py``, which also
        times 10^5 values in 0.5 s, 10x PELT, and 10^6 in 5 s).
    max_run : int or None, default 1000
        Keep at most this many run lengths (the most probable ones).

    Returns
    -------
    ChangeProbability

    Raises
    ------
    InsufficientDataError
        With fewer than 3 modelled values.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from nkfx.events.probability import change_probability
    >>> dates = pd.date_range("2022-01-02", periods=40, freq="7D")
    >>> noise = np.random.default_rng(1).normal(0, 0.01, 40)
    >>> rate = pd.Series(np.exp(8.5 + 0.4 * (dates >= "2022-05-01") + noise), index=dates)
    >>> res = change_probability(rate, expected_run="365D")
    >>> res.probability.idxmax().date()
    datetime.date(2022, 5, 1)
    >>> print(f"{res.probability.max():.2f}")
    1.00
    """
    check_option("model", model, ("level", "returns"))
    check_option("scale", scale, ("log", "level"))
    if model == "returns" and scale != "log":
        raise NkfxValueError("model='returns' needs scale='log'; got scale='level'")
    check_type("smooth", smooth, bool, "True or False")
    check_positive("threshold", threshold, strict=False)
    if max_run is not None and (isinstance(max_run, bool) or not isinstance(max_run, int) or max_run < 1):
        raise NkfxValueError(f"max_run must be a positive integer or None; got {max_run!r}")
    series, notes = prepare_series(series_or_rates, city=city, currency=currency, source=source)
    if len(series) < 2:
        raise InsufficientDataError(
            f"change_probability needs at least 3 modelled values; got {len(series)} value(s)")
    values = _model_values(to_scale(series, scale), model)
    if len(values) < 3:
        raise InsufficientDataError(
            f"change_probability needs at least 3 modelled values; got {len(values)}")
    days = _elapsed_days(pd.DatetimeIndex(values.index))
    h, rule = _hazard(days, expected_run, hazard)
    resolved = _resolve_prior(values.to_numpy(), model, prior)
    core = bocpd(values.to_numpy(), h, Prior(**resolved), threshold=threshold, max_run=max_run,
                 smooth=smooth)
    index = values.index
    filtered = pd.Series(core.change_filtered, index=index, name="filtered")
    prob = pd.Series(core.change_smoothed, index=index, name="probability") if smooth else \
        filtered.rename("probability")
    params = {"model": model, "scale": scale, "hazard_rule": rule, "prior": resolved,
              "smooth": smooth, "threshold": threshold, "max_run": max_run, "city": city,
              "currency": currency, "source": source, "max_active_runs": core.max_active,
              "mass_dropped": core.mass_dropped, "mass_dropped_max": core.mass_dropped_max,
              "input": list(notes)}
    return ChangeProbability(
        values=values, probability=prob, filtered=filtered,
        hazard=pd.Series(h, index=index, name="hazard"),
        expected_run=pd.Series(core.mean_run, index=index, name="expected_run"),
        log_evidence=core.log_evidence, params=params, notes=tuple(notes), _core=core)


def _elapsed_days(dates: pd.DatetimeIndex) -> np.ndarray:
    out: np.ndarray = ((dates - dates[0]) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    return out


def _model_values(values: pd.Series, model: str) -> pd.Series:
    if model == "level":
        return values.copy()
    days = _elapsed_days(pd.DatetimeIndex(values.index))
    gaps = np.diff(days)
    ret = np.diff(values.to_numpy()) / np.sqrt(gaps / np.median(gaps)) if gaps.size else gaps
    return pd.Series(ret, index=values.index[1:], name=values.name)


def _hazard(days: np.ndarray, expected_run: Any, hazard: float | None) -> tuple[np.ndarray, str]:
    if hazard is not None and expected_run is not None:
        raise NkfxValueError("give either hazard= (per observation) or expected_run= (a duration), not both")
    if hazard is not None:
        if isinstance(hazard, bool) or not isinstance(hazard, int | float) or not 0 < hazard < 1:
            raise NkfxValueError(f"hazard must be a probability strictly between 0 and 1; got {hazard!r}")
        h = np.full(days.size, float(hazard))
        h[0] = np.nan
        return h, f"constant {hazard:.4g} per observation"
    run = to_timedelta("expected_run", "180D" if expected_run is None else expected_run)
    run_days = run / pd.Timedelta(days=1)
    h = np.clip(gap_hazard(days, run_days), 1e-12, 1 - 1e-12)
    h[0] = np.nan
    return h, f"1 - exp(-gap / {run_days:g} days)"


def _resolve_prior(x: np.ndarray, model: str, prior: Mapping[str, float] | None) -> dict[str, float]:
    given = dict(prior or {})
    unknown = sorted(set(given) - set(_PRIOR_KEYS))
    if unknown:
        raise NkfxValueError(f"prior keys must be among {', '.join(_PRIOR_KEYS)}; got {unknown}")
    mad = 1.4826 * np.median(np.abs(x - np.median(x)))
    if model == "level":
        d = np.diff(x)
        noise = 1.4826 * np.median(np.abs(d - np.median(d))) / math.sqrt(2.0)
    else:
        noise = mad
    spread = float(np.var(x))
    if not noise > 0:  # constant stretches: fall back to the overall spread, then to a floor
        noise = math.sqrt(spread) if spread > 0 else 1e-6
    out = {
        "mu0": float(np.median(x)),
        "kappa0": float(np.clip(noise**2 / spread, 1e-6, 1.0)) if spread > 0 else 1.0,
        "alpha0": 1.0,
        "beta0": float(noise**2),
    }
    for key, value in given.items():
        value = float(value)
        if key != "mu0":
            check_positive(f"prior[{key!r}]", value)
        elif not math.isfinite(value):
            raise NkfxValueError(f"prior['mu0'] must be finite; got {value!r}")
        out[key] = value
    return out



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
        >>> from nkfx.events.probability import change_probability
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
        out: dict[str, Any] = jsonable({"table": self.to_frame(), "log_evidence": self.log_evidence,
                                         "params": self.params, "notes": list(self.notes)})
        return out

    def summary(self) -> Summary:
        """Return the :class:`~nkfx.summary.Summary`: data, options, the dates likeliest to start a regime.

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
        table = pd.DataFrame({"date": pd.DatetimeIndex(top.index), "probability": top.to_numpy()})
        return Summary.from_text("\n".join(lines), {"Dates with P(change) >= 0.5": table})

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
