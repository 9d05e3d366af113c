"""Regular calendars from irregular reports: :func:`resample` and its wide result.

The module is called ``resampling`` so that ``nkfx.resample`` can be the function.
Every output row says what it is: ``observed`` (one report in the bin),
``aggregated`` (several), ``filled`` (interpolated in log space between real
observations no more than ``max_gap`` apart) or ``missing``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BaseOffset, Day, MonthBegin, MonthEnd, QuarterBegin, Week

from nkfx._groups import (
    NO_CITY,
    check_by,
    checked_rates,
    day_numbers,
    days_to_dates,
    factorize_sorted,
    group_codes,
)
from nkfx._typing import Aggregate
from nkfx._validate import check_option, check_type, to_timedelta
from nkfx.errors import NkfxValueError
from nkfx.resampling._calendar import aggregate, bin_index, calendar, days_to_obs, fill
from nkfx.summary import Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["STATUSES", "Resampled", "resample"]

#: The values of the ``status`` column, in this order (a categorical).
STATUSES: tuple[str, ...] = ("observed", "aggregated", "filled", "missing")

_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
#: freq -> (offset, labelled by the bin's end?) ; weekly and month-end bins are closed right.
_FREQS: dict[str, tuple[BaseOffset, bool]] = {
    "D": (Day(1), False),
    "W": (Week(weekday=6), True),
    **{f"W-{d}": (Week(weekday=i), True) for i, d in enumerate(_WEEKDAYS)},
    "MS": (MonthBegin(), False),
    "ME": (MonthEnd(), True),
    "QS": (QuarterBegin(startingMonth=1), False),
}


@dataclass(frozen=True, eq=False)
class Resampled:
    """A wide (date x city) resampled series with its status, from ``resample(wide=True)``.

    Attributes
    ----------
    rates : pandas.DataFrame
        Rates, index ``date`` (the calendar shared by every city), one column per city
        (``"(no city)"`` for rows without a city). NaN where nothing was observed or filled.
    status : pandas.DataFrame
        Same shape: ``"observed"``, ``"aggregated"``, ``"filled"`` or ``"missing"``.
    long : pandas.DataFrame
        The long output of :func:`resample` (one row per city and bin).
    currency : str
        The currency of every column.
    freq, how : str
        Calendar and aggregation used.
    max_gap : pandas.Timedelta
        Longest gap between real observations that was interpolated.
    interpolate : bool
        Whether empty bins were filled at all.
    """

    rates: pd.DataFrame
    status: pd.DataFrame
    long: pd.DataFrame
    currency: str
    freq: str
    how: str
    max_gap: pd.Timedelta
    interpolate: bool

    def to_frame(self) -> pd.DataFrame:
        """Return the long table (one row per city and bin), a copy.

        Examples
        --------
        >>> from nkfx import resample
        >>> from nkfx.datasets import simulate
        >>> cny = simulate(seed=0).rates.query("currency == 'CNY' and source == 'Daily NK'")
        >>> res = resample(cny, "W-SUN", wide=True)
        >>> frame = res.to_frame()
        >>> len(frame) == res.rates.size, frame.columns.tolist()
        (True, ['date', 'city', 'currency', 'source', 'rate', 'status', 'n_obs', 'days_to_obs'])
        """
        return self.long.copy()

    def to_dict(self) -> dict[str, Any]:
        """Return parameters, status counts and the long table as JSON-safe objects.

        Examples
        --------
        >>> from nkfx import resample
        >>> from nkfx.datasets import simulate
        >>> cny = simulate(seed=0).rates.query("currency == 'CNY' and source == 'Daily NK'")
        >>> res = resample(cny, "W-SUN", wide=True)
        >>> d = res.to_dict()
        >>> sorted(d)
        ['counts', 'currency', 'freq', 'how', 'interpolate', 'max_gap_days', 'rows']
        >>> d["freq"], d["max_gap_days"], d["counts"]["Hyesan"]["filled"], d["rows"][0]["date"]
        ('W-SUN', 35, 105, '2018-01-21')
        """
        long = self.long.assign(date=self.long["date"].dt.strftime("%Y-%m-%d"),
                                status=self.long["status"].astype(str))
        long = long.astype(object).where(long.notna(), None)
        return {"currency": self.currency, "freq": self.freq, "how": self.how,
                "max_gap_days": int(self.max_gap.days), "interpolate": self.interpolate,
                "counts": {str(c): {k: int(v) for k, v in col.items()}
                           for c, col in self.counts().items()},
                "rows": long.to_dict(orient="records")}

    def counts(self) -> pd.DataFrame:
        """Return the number of bins of each status per city.

        Examples
        --------
        >>> from nkfx import resample
        >>> from nkfx.datasets import simulate
        >>> cny = simulate(seed=0).rates.query("currency == 'CNY' and source == 'Daily NK'")
        >>> res = resample(cny, "W-SUN", wide=True)
        >>> res.counts()
                    Hyesan  Pyongyang  Sinuiju
        observed       115        114      117
        aggregated       4          3        2
        filled         105        118      120
        missing        135        124      120
        """
        counts = {c: self.status[c].value_counts().reindex(list(STATUSES), fill_value=0)
                  for c in self.status.columns}
        return pd.DataFrame(counts, index=list(STATUSES)).astype("int64")

    def summary(self) -> Summary:
        """Return the :class:`~nkfx.summary.Summary`: calendar, parameters and status counts.

        Examples
        --------
        >>> from nkfx import resample
        >>> from nkfx.datasets import simulate
        >>> cny = simulate(seed=0).rates.query("currency == 'CNY' and source == 'Daily NK'")
        >>> res = resample(cny, "W-SUN", wide=True)
        >>> print(res.summary().splitlines()[0])
        Resampled CNY rates, freq='W-SUN', how='median', max_gap=35D, interpolate=True: 359 dates ...
        """
        head = (
            f"Resampled {self.currency} rates, freq={self.freq!r}, how={self.how!r}, "
            f"max_gap={self.max_gap.days}D, interpolate={self.interpolate}: "
            f"{len(self.rates)} dates x {self.rates.shape[1]} cities, "
            f"{self.rates.index.min():%Y-%m-%d} to {self.rates.index.max():%Y-%m-%d}"
        )
        counts = self.counts()
        return Summary.from_text(head + "\n" + counts.to_string(),
                                 {"Dates by status and city": counts.rename_axis("status").reset_index()})

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        head = self.summary().splitlines()[0]
        return f"<p>{head}</p>" + self.counts().to_html()

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Plot each city's series; real observations as dots, filled stretches as lines.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure is created when omitted.
        **kwargs
            Passed to :meth:`matplotlib.axes.Axes.plot` for the lines.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from nkfx import resample
        >>> from nkfx.datasets import simulate
        >>> cny = simulate(seed=0).rates.query("currency == 'CNY' and source == 'Daily NK'")
        >>> res = resample(cny, "W-SUN", wide=True)
        >>> ax = res.plot()
        >>> type(ax).__name__, ax.get_ylabel(), [t.get_text() for t in ax.get_legend().get_texts()]
        ('Axes', 'KPW per CNY', ['Hyesan', 'Pyongyang', 'Sinuiju'])
        >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(9, 4))
        for city in self.rates.columns:
            (line,) = ax.plot(self.rates.index, self.rates[city], label=str(city), **kwargs)
            real = self.status[city].isin(["observed", "aggregated"])
            ax.plot(self.rates.index[real], self.rates[city][real], "o", ms=3,
                    color=line.get_color())
        ax.set_yscale("log")
        ax.set_ylabel(f"KPW per {self.currency}")
        ax.legend(title="city")
        return ax


def _parse_freq(freq: str) -> tuple[BaseOffset, bool]:
    check_type("freq", freq, str, "a string such as 'W-SUN'")
    return _FREQS[check_option("freq", freq, tuple(_FREQS))]


@overload
def resample(rates: pd.DataFrame, freq: str = ..., *, how: Aggregate = ...,
             max_gap: str | pd.Timedelta = ..., interpolate: bool = ...,
             wide: Literal[False] = ..., by: Sequence[str] = ...) -> pd.DataFrame: ...


@overload
def resample(rates: pd.DataFrame, freq: str = ..., *, how: Aggregate = ...,
             max_gap: str | pd.Timedelta = ..., interpolate: bool = ...,
             wide: Literal[True], by: Sequence[str] = ...) -> Resampled: ...


def resample(
    rates: pd.DataFrame,
    freq: str = "W-SUN",
    *,
    how: Aggregate = "median",
    max_gap: str | pd.Timedelta = "35D",
    interpolate: bool = True,
    wide: bool = False,
    by: Sequence[str] = ("city", "currency"),
) -> pd.DataFrame | Resampled:
    """Put irregular reports on a regular calendar, one series per city and currency.

    Reports falling in one bin are aggregated with ``how``. An empty bin is filled by
    interpolating the log rate linearly in time between the neighbouring occupied bins
    (at their bin dates), but only when the last real observation before the hole and the
    first one after it are at most ``max_gap`` apart; otherwise it stays missing. Each
    series runs from its first to its last occupied bin, on one calendar shared by all
    series, so cities line up date by date.

    Parameters
    ----------
    rates : pandas.DataFrame
        A rate frame (see :mod:`nkfx.schema`).
    freq : {"D", "W", "W-MON", ..., "W-SUN", "MS", "ME", "QS"}, default "W-SUN"
        Calendar. Weekly bins end on (and are labelled by) their anchor day, as in pandas;
        ``"ME"`` is labelled by the month's last day, ``"MS"``/``"QS"`` by the first.
    how : {"median", "mean", "last", "first"}, default "median"
        Aggregation of the rates in one bin (in levels; ``last``/``first`` by date).
    max_gap : str or pandas.Timedelta, default "35D"
        Longest distance between two real observations across which empty bins are
        interpolated. ``"0D"`` never fills.
    interpolate : bool, default True
        ``False`` leaves every empty bin missing.
    wide : bool, default False
        Return a :class:`Resampled` (date x city rates and status) instead of the long
        table; needs a single currency and ``by=("city", "currency")``.
    by : sequence of str, default ("city", "currency")
        Columns defining a series; add ``"source"`` to keep outlets apart. A missing city
        is a series of its own.

    Returns
    -------
    pandas.DataFrame or Resampled
        Long: ``date`` (bin label), the ``by`` columns, ``source`` (the series' outlets,
        joined by ``"; "``, unless in ``by``), ``rate``, ``status`` (categorical:
        observed, aggregated, filled, missing), ``n_obs`` (reports in the bin) and
        ``days_to_obs`` (days from the bin date to the nearest real observation).

    Raises
    ------
    NkfxValueError
        Unknown ``freq`` or ``how``, negative ``max_gap``, bad ``by``, a series whose
        rates are all missing, several currencies with ``wide=True``.
    InsufficientDataError
        Fewer than two observations.
    SchemaError, NkfxTypeError
        ``rates`` is not a rate frame.

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx.resampling import resample
    >>> rates = pd.DataFrame({"date": pd.to_datetime(["2024-01-07", "2024-02-04"]),
    ...                       "city": "Hyesan", "currency": "CNY", "rate": [100.0, 400.0],
    ...                       "source": "Daily NK"})
    >>> out = resample(rates, "W-SUN")
    >>> out[["date", "rate", "status", "days_to_obs"]]
            date        rate    status  days_to_obs
    0 2024-01-07  100.000000  observed            0
    1 2024-01-14  141.421356    filled            7
    2 2024-01-21  200.000000    filled           14
    3 2024-01-28  282.842712    filled            7
    4 2024-02-04  400.000000  observed            0
    >>> resample(rates, "weekly")
    Traceback (most recent call last):
    ...
    nkfx.errors.NkfxValueError: freq must be one of 'D', 'W', 'W-MON', ...; got 'weekly'
    """
    offset, right = _parse_freq(freq)
    check_option("how", how, ("median", "mean", "last", "first"))
    check_type("interpolate", interpolate, bool, "True or False")
    check_type("wide", wide, bool, "True or False")
    gap = to_timedelta("max_gap", max_gap, allow_zero=True)
    keys_by = check_by(rates, by, default=("city", "currency"))
    checked_rates(rates, keys_by, min_rows=2, what="resample")
    if wide:
        _check_wide(rates, keys_by)
    long = _resample_long(rates, offset, right, how, gap, interpolate, keys_by)
    if not wide:
        return long
    return _widen(long, freq, how, gap, interpolate)


def _resample_long(rates: pd.DataFrame, offset: BaseOffset, right: bool, how: str,
                   gap: pd.Timedelta, interpolate: bool, by: tuple[str, ...]) -> pd.DataFrame:
    codes, keys = group_codes(rates, by)
    day = day_numbers(rates["date"])
    labels = calendar(int(day.min()), int(day.max()), offset, right)
    b = bin_index(labels, day, right)
    n_bins = len(labels)
    cell = codes * n_bins + b
    n_cells = len(keys) * n_bins
    if n_cells <= 4 * len(cell) + 2**20:
        cells, count, value, dmin, dmax = aggregate(cell, n_cells, day,
                                                     rates["rate"].to_numpy(float), how)
    else:  # sparse cells (many series, fine calendar): compact the ids first
        uniq, inverse = np.unique(cell, return_inverse=True)
        compact, count, value, dmin, dmax = aggregate(inverse, len(uniq), day,
                                                       rates["rate"].to_numpy(float), how)
        cells = uniq[compact]
    # one output row per bin from each series' first to its last occupied bin
    cg, cb = cells // n_bins, cells % n_bins
    n_groups = len(keys)
    starts = np.flatnonzero(np.r_[True, cg[1:] != cg[:-1]])
    ends = np.r_[starts[1:], len(cells)] - 1
    f, length = cb[starts], cb[ends] - cb[starts] + 1
    offs = np.r_[0, np.cumsum(length)[:-1]]
    total = int(length.sum())
    grp = np.repeat(np.arange(n_groups), length)
    obin = f[grp] + np.arange(total) - offs[grp]
    pos = offs[cg] + cb - f[cg]
    label = labels[obin]
    has = np.zeros(total, dtype=bool)
    has[pos] = True
    n_obs = np.zeros(total, dtype=np.int64)
    n_obs[pos] = count
    rate = np.full(total, np.nan)
    rate[pos] = value
    first_day = np.zeros(total, dtype=np.int64)
    last_day = np.zeros(total, dtype=np.int64)
    first_day[pos], last_day[pos] = dmin, dmax
    filled = (fill(label, rate, has, first_day, last_day, gap.days) if interpolate
              else np.full(total, np.nan))
    status = np.where(has, np.where(n_obs > 1, 1, 0), np.where(np.isnan(filled), 3, 2))
    out: dict[str, Any] = {"date": days_to_dates(label, rates["date"])}
    for col in by:
        out[col] = keys[col].to_numpy()[grp]
    if "source" not in by:
        out["source"] = _sources(rates, codes, n_groups)[grp]
    out["rate"] = np.where(has, rate, filled)
    out["status"] = pd.Categorical.from_codes(status.astype(np.int8), categories=pd.Index(STATUSES))
    out["n_obs"] = n_obs
    out["days_to_obs"] = days_to_obs(label, grp, has, first_day, last_day, right)
    return pd.DataFrame(out)


def _sources(rates: pd.DataFrame, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Return the distinct sources of each series, sorted and joined by '; '."""
    s_codes, s_names = factorize_sorted(rates["source"])
    n_names = max(len(s_names), 1)
    pairs = np.flatnonzero(np.bincount(codes * n_names + s_codes, minlength=n_groups * n_names))
    names = [str(x) for x in s_names]
    joined: list[list[str]] = [[] for _ in range(n_groups)]
    for p in pairs.tolist():  # one iteration per (series, source) pair, not per row
        g, k = divmod(p, n_names)
        joined[g].append(names[k])
    return np.asarray(["; ".join(j) for j in joined], dtype=object)


def _check_wide(rates: pd.DataFrame, by: tuple[str, ...]) -> None:
    if set(by) != {"city", "currency"}:
        raise NkfxValueError(
            f"wide=True makes one column per city, so by must be ('city', 'currency'); got {by}"
        )
    currencies = sorted(str(c) for c in pd.unique(rates["currency"]))
    if len(currencies) != 1:
        raise NkfxValueError(
            f"wide=True needs rates of one currency; got {currencies}. "
            "Select one first, e.g. nkfx.select(rates, currency='USD')"
        )


def _widen(long: pd.DataFrame, freq: str, how: str, gap: pd.Timedelta,
           interpolate: bool) -> Resampled:
    city = long["city"].astype(object).where(long["city"].notna(), NO_CITY)
    frame = long.assign(city=city)
    # pivot, not pivot_table: (date, city) is unique here and nothing may be aggregated
    wide_rates = frame.pivot(index="date", columns="city", values="rate")  # noqa: PD010
    status = frame.assign(status=frame["status"].astype(str)).pivot(  # noqa: PD010
        index="date", columns="city", values="status")
    dates = pd.date_range(wide_rates.index.min(), wide_rates.index.max(), freq=_FREQS[freq][0])
    wide_rates = wide_rates.reindex(dates).rename_axis(index="date", columns="city")
    status = status.reindex(dates).fillna("missing").rename_axis(index="date", columns="city")
    return Resampled(rates=wide_rates, status=status, long=long,
                     currency=str(long["currency"].iloc[0]), freq=freq, how=how, max_gap=gap,
                     interpolate=interpolate)
