"""A seeded simulator of irregular multi-city, multi-source market rates with known breaks.

The generator imitates what real reports look like: several outlets on their own
irregular schedules (one to six weeks apart, with occasional long silences), a
level bias per outlet, noisy quotes around a piecewise-constant log level, a few
outliers and x100/÷100 unit slips (old/new won confusion). It returns the data and
the truth, so tests and benchmarks can score what nkfx finds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nkfx._json import jsonable
from nkfx._validate import check_positive, to_timestamp
from nkfx.errors import NkfxTypeError, NkfxValueError
from nkfx.plotting import city_style, plot_rates
from nkfx.schema import RATE_COLUMNS
from nkfx.summary import Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["Break", "Simulation", "simulate"]

_BASE_LEVEL = {"CNY": 1000.0, "USD": 8000.0}
_CITY_PREMIUM = {"Pyongyang": 0.0, "Sinuiju": -0.01, "Hyesan": 0.02}


@dataclass(frozen=True)
class Break:
    """One true break: from ``date`` on, the log level shifts by ``size``.

    ``city``/``currency`` of ``None`` mean every city / every currency.
    """

    date: str | pd.Timestamp
    size: float
    city: str | None = None
    currency: str | None = None


DEFAULT_BREAKS: tuple[Break, ...] = (
    Break("2020-02-01", -0.10),  # border closure: the won firms
    Break("2022-01-16", 0.30, currency="USD"),  # freight restart: the dollar jumps
    Break("2022-11-25", 0.25, city="Hyesan", currency="CNY"),  # customs rumours: Hyesan yuan only
    Break("2024-06-01", 0.35),  # crackdown: broad depreciation
)


@dataclass(frozen=True, eq=False)
class Simulation:
    """Simulated observations with their truth.

    Attributes
    ----------
    rates : pandas.DataFrame
        A rate frame (see :mod:`nkfx.schema`) plus ``true_rate`` (the rate the
        source would have reported without noise, outliers or slips).
    truth : pandas.DataFrame
        One row per (break, city, currency) affected: ``date`` (first day of the
        new regime), ``city``, ``currency``, ``size`` (log points).
    anomalies : pandas.DataFrame
        One row per injected anomaly: ``row`` (position in ``rates``), ``kind``
        (``"outlier"``, ``"unit_slip_x100"``, ``"unit_slip_div100"``), ``rate``,
        ``true_rate``.
    params : dict
        Every argument used, including the seed.
    """

    rates: pd.DataFrame
    truth: pd.DataFrame
    anomalies: pd.DataFrame
    params: dict[str, Any] = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """Return the simulated rate frame (a copy).

        Examples
        --------
        >>> from nkfx.datasets import simulate
        >>> frame = simulate(seed=0).to_frame()
        >>> frame.shape, frame.columns[:5].tolist(), frame.columns[-1]
        ((1179, 13), ['date', 'city', 'currency', 'rate', 'source'], 'true_rate')
        """
        return self.rates.copy()

    def plot(self, ax: Axes | None = None, *, currency: str = "CNY", **kwargs: Any) -> Axes:
        """Plot the simulated rates of one currency by city, with the true breaks dashed.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.
        currency : str, default "CNY"
            Currency to plot.
        **kwargs
            Passed to :func:`nkfx.plotting.plot_rates`.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from nkfx.datasets import simulate
        >>> ax = simulate(seed=0).plot()
        >>> ax.get_title(loc="left")
        'Simulated KPW per CNY (seed 0): dashed lines are the true breaks'
        """
        ax = plot_rates(self.rates, ax=ax, currency=currency, **kwargs)
        truth = self.truth[self.truth["currency"] == currency]
        for date, cities in truth.groupby("date")["city"]:
            # one city's break in its colour; a break several cities share in grey
            one = len(set(cities)) == 1 and isinstance(cities.iloc[0], str)
            colour = city_style(cities.iloc[0])["color"] if one else "0.3"
            when: Any = date  # a date on a date axis
            ax.axvline(when, color=colour, ls="--", lw=1.0, alpha=0.8)
        ax.set_title(f"Simulated KPW per {currency} (seed {self.params['seed']}): dashed lines are "
                     "the true breaks", loc="left", fontsize="medium")
        return ax

    def to_dict(self) -> dict[str, Any]:
        """Return the rates, the true breaks, the anomalies and the parameters as plain JSON types.

        Examples
        --------
        >>> from nkfx.datasets import simulate
        >>> d = simulate(seed=0).to_dict()
        >>> sorted(d), len(d["rates"]), d["truth"][0]["date"]
        (['anomalies', 'params', 'rates', 'truth'], 1179, '2020-02-01')
        """
        out: dict[str, Any] = jsonable({"rates": self.rates, "truth": self.truth,
                                        "anomalies": self.anomalies, "params": self.params})
        return out

    def summary(self) -> Summary:
        """Return the :class:`~nkfx.summary.Summary` of what was simulated (the true breaks as a table).

        Examples
        --------
        >>> from nkfx.datasets import simulate
        >>> print(simulate(seed=0).summary())
        Simulation(seed=0): 1179 observations, 3 cities, 2 sources, 2018-01-15 to 2024-11-29; ...
        """
        counts = self.anomalies["kind"].value_counts().to_dict()
        text = (
            f"Simulation(seed={self.params['seed']}): {len(self.rates)} observations, "
            f"{self.rates['city'].nunique()} cities, {self.rates['source'].nunique()} sources, "
            f"{self.rates['date'].min():%Y-%m-%d} to {self.rates['date'].max():%Y-%m-%d}; "
            f"{len(self.truth)} true (city, currency) breaks; anomalies {counts}"
        )
        return Summary.from_text(text, {"True breaks": self.truth})

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return self.summary().as_html()


def simulate(
    *,
    start: str | pd.Timestamp = "2018-01-01",
    end: str | pd.Timestamp = "2024-12-31",
    cities: Sequence[str] = ("Pyongyang", "Sinuiju", "Hyesan"),
    currencies: Sequence[str] = ("CNY", "USD"),
    sources: Mapping[str, float] | None = None,
    breaks: Sequence[Break] | None = None,
    mean_gap_days: float = 14.0,
    long_gap_prob: float = 0.03,
    noise_sd: float = 0.02,
    outlier_prob: float = 0.01,
    slip_prob: float = 0.005,
    seed: int = 0,
) -> Simulation:
    """Simulate irregular city-level market rates with known breaks, biases and anomalies.

    Parameters
    ----------
    start, end : str or Timestamp
        Period covered.
    cities : sequence of str
        Cities reported (any names; Pyongyang, Sinuiju and Hyesan get small premia).
    currencies : sequence of {"CNY", "USD"}
        Currencies reported on each report date.
    sources : mapping of str to float, optional
        Outlet name -> log level bias relative to the truth. Default
        ``{"Daily NK": 0.0, "Asia Press": 0.15}`` (one outlet ~16% above the other,
        as in real reports). The first source reports every ``mean_gap_days``;
        others report half as often.
    breaks : sequence of Break, optional
        True level shifts; default :data:`DEFAULT_BREAKS` (border closure 2020,
        freight restart 2022 for the dollar, Hyesan customs rumours 2022 for the
        Hyesan yuan, crackdown 2024).
    mean_gap_days : float, default 14
        Mean days between two reports of the first source (gamma distributed,
        at least one day).
    long_gap_prob : float, default 0.03
        Probability that a gap is a long silence of 60 to 150 days.
    noise_sd : float, default 0.02
        Standard deviation of a quote around the true log level.
    outlier_prob, slip_prob : float
        Per-observation probabilities of an outlier (log error of 0.3 to 0.7, either
        sign) and of a x100 or ÷100 unit slip.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same data.

    Returns
    -------
    Simulation
        ``rates`` (a rate frame with a ``true_rate`` column), ``truth``,
        ``anomalies`` and ``params``.

    Raises
    ------
    NkfxValueError
        If ``end`` is not after ``start``, a probability is outside [0, 1), a
        currency is not CNY or USD, or ``sources`` is empty.

    Examples
    --------
    >>> from nkfx.datasets import simulate
    >>> sim = simulate(seed=1)
    >>> sim.rates[["date", "city", "currency", "rate", "source"]].shape[1]
    5
    >>> sim.truth.query("city == 'Hyesan' and currency == 'CNY'")["date"].dt.strftime("%Y-%m-%d").tolist()
    ['2020-02-01', '2022-11-25', '2024-06-01']
    >>> simulate(seed=1).rates.equals(sim.rates)
    True
    """
    params = dict(locals())
    t0, t1 = to_timestamp("start", start).normalize(), to_timestamp("end", end).normalize()
    if t1 <= t0:
        raise NkfxValueError(f"end must be after start; got start={t0.date()}, end={t1.date()}")
    sources = dict(sources) if sources is not None else {"Daily NK": 0.0, "Asia Press": 0.15}
    if not sources:
        raise NkfxValueError("sources must name at least one outlet; got an empty mapping")
    for cur in currencies:
        if cur not in _BASE_LEVEL:
            raise NkfxValueError(f"currencies must be among 'CNY', 'USD'; got {cur!r}")
    for name in ("long_gap_prob", "outlier_prob", "slip_prob"):
        p = params[name]
        if not isinstance(p, int | float) or not 0 <= p < 1:
            raise NkfxValueError(f"{name} must be in [0, 1); got {p!r}")
    check_positive("mean_gap_days", mean_gap_days)
    check_positive("noise_sd", noise_sd, strict=False)
    if not isinstance(seed, int | np.integer):
        raise NkfxTypeError(f"seed must be an int; got {type(seed).__name__}")
    breaks = tuple(DEFAULT_BREAKS if breaks is None else breaks)
    rng = np.random.default_rng(seed)
    truth = _truth_table(breaks, cities, currencies)
    frames = []
    for i, (source, bias) in enumerate(sources.items()):
        dates = _schedule(rng, t0, t1, mean_gap_days * (1 if i == 0 else 2), long_gap_prob)
        frames.append(_observe(rng, dates, cities, currencies, source, bias, truth, noise_sd))
    rates = pd.concat(frames, ignore_index=True).sort_values(["date", "source", "city", "currency"])
    rates = rates.reset_index(drop=True)
    rates, anomalies = _inject(rng, rates, outlier_prob, slip_prob)
    rates["row"] = np.arange(len(rates), dtype="int64")
    key = ["date", "city", "currency", "source"]
    rates["duplicate"] = rates.duplicated(key, keep=False)
    for col, value in (("rate_low", np.nan), ("rate_high", np.nan), ("date_precision", "day"),
                       ("rate_type", "market"), ("won_adjustment", "none")):
        rates[col] = value
    rates = rates.loc[:, [*RATE_COLUMNS, "true_rate"]]
    params["sources"], params["breaks"] = sources, breaks
    return Simulation(rates=rates, truth=truth, anomalies=anomalies, params=params)


def _truth_table(breaks: Sequence[Break], cities: Sequence[str],
                 currencies: Sequence[str]) -> pd.DataFrame:
    rows = []
    for b in breaks:
        if not isinstance(b, Break):
            raise NkfxTypeError(f"breaks must hold nkfx.datasets.Break objects; got {type(b).__name__}")
        date = to_timestamp("Break.date", b.date).normalize()
        for city in cities:
            for cur in currencies:
                if b.city in (None, city) and b.currency in (None, cur):
                    rows.append({"date": date, "city": city, "currency": cur, "size": float(b.size)})
    truth = pd.DataFrame(rows, columns=["date", "city", "currency", "size"])
    return truth.sort_values(["city", "currency", "date"], kind="stable").reset_index(drop=True)


def _schedule(rng: np.random.Generator, t0: pd.Timestamp, t1: pd.Timestamp, mean_gap: float,
              long_gap_prob: float) -> pd.DatetimeIndex:
    span = (t1 - t0).days
    # gamma(shape 4) gaps: mostly one to four weeks, rarely a day; plus rare long silences
    n_max = int(span / max(mean_gap, 1.0) * 2) + 10
    gaps = np.maximum(1.0, rng.gamma(4.0, mean_gap / 4.0, size=n_max))
    silent = rng.random(n_max) < long_gap_prob
    gaps[silent] = rng.uniform(60, 150, size=int(silent.sum()))
    offsets = np.cumsum(np.round(gaps)).astype(int)
    offsets = offsets[offsets <= span]
    return pd.DatetimeIndex(t0 + pd.to_timedelta(offsets, unit="D"))


def _observe(rng: np.random.Generator, dates: pd.DatetimeIndex, cities: Sequence[str],
             currencies: Sequence[str], source: str, bias: float, truth: pd.DataFrame,
             noise_sd: float) -> pd.DataFrame:
    parts = []
    for city in cities:
        for cur in currencies:
            level = np.log(_BASE_LEVEL[cur]) + _CITY_PREMIUM.get(city, 0.0)
            mine = truth[(truth["city"] == city) & (truth["currency"] == cur)]
            log_true = np.full(len(dates), level)
            for date, size in zip(mine["date"], mine["size"], strict=True):
                log_true += size * (dates >= date)
            reported = rng.random(len(dates)) < 0.9  # a city is sometimes missing from a report
            log_obs = log_true + bias + rng.normal(0.0, noise_sd, size=len(dates))
            parts.append(pd.DataFrame({
                "date": dates[reported], "city": city, "currency": cur,
                "rate": np.round(np.exp(log_obs[reported]), 0), "source": source,
                "true_rate": np.exp(log_true[reported] + bias),
            }))
    return pd.concat(parts, ignore_index=True)


def _inject(rng: np.random.Generator, rates: pd.DataFrame, outlier_prob: float,
            slip_prob: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(rates)
    u = rng.random(n)
    outlier = u < outlier_prob
    slip = (u >= outlier_prob) & (u < outlier_prob + slip_prob)
    up = rng.random(n) < 0.5
    shock = rng.uniform(0.3, 0.7, size=n) * np.where(rng.random(n) < 0.5, -1.0, 1.0)
    rate = rates["rate"].to_numpy(dtype=float).copy()
    rate[outlier] = np.round(rate[outlier] * np.exp(shock[outlier]), 0)
    rate[slip & up] *= 100.0
    rate[slip & ~up] /= 100.0
    rates = rates.assign(rate=rate)
    kind = np.where(outlier, "outlier", np.where(up, "unit_slip_x100", "unit_slip_div100"))
    hit = outlier | slip
    anomalies = pd.DataFrame({
        "row": np.flatnonzero(hit).astype("int64"), "kind": kind[hit],
        "rate": rate[hit], "true_rate": rates["true_rate"].to_numpy()[hit],
    })
    return rates, anomalies
