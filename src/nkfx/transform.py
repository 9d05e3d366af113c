"""Transforms of a rate frame: log rates, per-day log returns, cross rates, spreads, volatility.

Irregular reports are the norm, so every change is measured per elapsed day: a six-week
silence followed by a 6% move is 1% a week, not a jump.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from nkfx._groups import check_by, checked_rates, day_numbers, describe_key, group_codes
from nkfx._validate import check_option, check_type, to_timedelta
from nkfx.errors import InsufficientDataError, NkfxValueError

__all__ = ["city_spread", "cross_rate", "log_rates", "log_returns", "rolling_volatility"]

_PER_DAYS = {"day": 1.0, "week": 7.0, "year": 365.25}
_SERIES = ("city", "currency", "source")


def log_rates(rates: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``rates`` with ``log_rate`` = natural log of ``rate``.

    Parameters
    ----------
    rates : pandas.DataFrame
        A rate frame (not modified).

    Returns
    -------
    pandas.DataFrame
        Same rows and order, plus ``log_rate``.

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx.transform import log_rates
    >>> rates = pd.DataFrame({"date": pd.to_datetime(["2024-01-01"]), "city": "Hyesan",
    ...                       "currency": "CNY", "rate": [1000.0], "source": "Daily NK"})
    >>> round(log_rates(rates)["log_rate"].item(), 4)
    6.9078
    """
    checked_rates(rates, ("currency",), what="log_rates")
    return rates.assign(log_rate=np.log(rates["rate"].to_numpy(dtype=float)))


def log_returns(
    rates: pd.DataFrame,
    *,
    per: Literal["day", "week", "year"] = "day",
    by: Sequence[str] = _SERIES,
) -> pd.DataFrame:
    """Log changes between consecutive reports of each series, and their rate per period.

    Parameters
    ----------
    rates : pandas.DataFrame
        A rate frame with at most one report per date in each series (use
        :func:`nkfx.combine` first otherwise).
    per : {"day", "week", "year"}, default "day"
        Unit of ``log_return`` (``week`` = 7 days, ``year`` = 365.25 days).
    by : sequence of str, default ("city", "currency", "source")
        Columns defining a series.

    Returns
    -------
    pandas.DataFrame
        The rows sorted by series and date, plus ``log_change`` (log of this rate over the
        previous one), ``days`` (elapsed days) and ``log_return`` (``log_change`` per
        ``per``); NaN on the first report of each series.

    Raises
    ------
    NkfxValueError
        Unknown ``per``; a date repeated within a series (the message names the series).

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx.transform import log_returns
    >>> rates = pd.DataFrame({
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-02-19"]),
    ...     "city": "Hyesan", "currency": "CNY", "rate": [1000.0, 1010.0, 1070.0],
    ...     "source": "Daily NK"})
    >>> log_returns(rates)[["days", "log_change", "log_return"]].round(5)
       days  log_change  log_return
    0   NaN         NaN         NaN
    1   7.0     0.00995     0.00142
    2  42.0     0.05771     0.00137
    """
    check_option("per", per, tuple(_PER_DAYS))
    keys = check_by(rates, by, default=_SERIES)
    checked_rates(rates, keys, what="log_returns")
    codes, table = group_codes(rates, keys)
    day = day_numbers(rates["date"])
    order = np.lexsort((day, codes))
    g, d = codes[order], day[order]
    repeat = np.flatnonzero((g[1:] == g[:-1]) & (d[1:] == d[:-1]))
    if len(repeat):
        raise NkfxValueError(
            f"log_returns needs one report per date in each series; {len(repeat)} repeated "
            f"date(s), first in ({describe_key(table, int(g[repeat[0]]))}) on "
            f"{pd.Timestamp(int(d[repeat[0]]), unit='D'):%Y-%m-%d}. Use nkfx.combine() first "
            "or add the distinguishing column to by"
        )
    x = np.log(rates["rate"].to_numpy(dtype=float))[order]
    same = np.r_[False, g[1:] == g[:-1]]
    change = np.where(same, x - np.r_[np.nan, x[:-1]], np.nan)
    days = np.where(same, (d - np.r_[d[0] if len(d) else 0, d[:-1]]).astype(float), np.nan)
    out = rates.iloc[order].copy()
    out["log_change"] = change
    out["days"] = days
    out["log_return"] = change / days * _PER_DAYS[per]
    return out.reset_index(drop=True)


def _daily(rates: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Median rate per (city, date) for one currency (sources pooled)."""
    part = rates.loc[rates["currency"] == currency, ["date", "city", "rate"]]
    part = part.assign(date=part["date"].dt.normalize())
    return part.groupby(["city", "date"], dropna=False)["rate"].median().reset_index()


def cross_rate(
    rates: pd.DataFrame,
    official: pd.DataFrame | pd.Series | None = None,
    *,
    tolerance: str | pd.Timedelta = "7D",
) -> pd.DataFrame:
    """Implied market CNY per USD, (KPW/USD) / (KPW/CNY), on dates with both quotes.

    Parameters
    ----------
    rates : pandas.DataFrame
        A rate frame with USD and CNY rows. Quotes are matched on (city, date); several
        reports of one currency on one (city, date) are reduced to their median.
    official : pandas.DataFrame or pandas.Series, optional
        Official CNY per USD supplied by the user: a DataFrame with ``date`` and ``rate``
        columns, or a Series indexed by date. Each market date gets the official value
        nearest in date within ``tolerance``.
    tolerance : str or pandas.Timedelta, default "7D"
        Largest distance to an official quote.

    Returns
    -------
    pandas.DataFrame
        ``date``, ``city``, ``usd`` and ``cny`` (KPW per unit), ``implied`` (CNY per USD);
        with ``official``: ``official``, ``official_date`` and ``premium`` (log of implied
        over official; NaN where no official value is close enough).

    Raises
    ------
    InsufficientDataError
        No (city, date) carries both a USD and a CNY quote.
    NkfxValueError, NkfxTypeError
        ``official`` of the wrong shape (the message says what is expected).

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx.transform import cross_rate
    >>> rates = pd.DataFrame({
    ...     "date": pd.to_datetime(["2024-03-31", "2024-03-31"]), "city": "Hyesan",
    ...     "currency": ["USD", "CNY"], "rate": [11500.0, 1610.0], "source": "Daily NK"})
    >>> official = pd.DataFrame({"date": pd.to_datetime(["2024-03-29"]), "rate": [7.22]})
    >>> cross_rate(rates, official)[["implied", "official", "premium"]].round(4)
       implied  official  premium
    0   7.1429      7.22  -0.0107
    """
    tol = to_timedelta("tolerance", tolerance, allow_zero=True)
    checked_rates(rates, ("city", "currency"), what="cross_rate")
    usd, cny = _daily(rates, "USD"), _daily(rates, "CNY")
    both = usd.merge(cny, on=["city", "date"], suffixes=("_usd", "_cny"))
    if both.empty:
        raise InsufficientDataError(
            "cross_rate needs at least one (city, date) with both a USD and a CNY rate; "
            f"rates has {len(usd)} USD and {len(cny)} CNY (city, date) pairs and none in common"
        )
    out = pd.DataFrame({"date": both["date"], "city": both["city"], "usd": both["rate_usd"],
                        "cny": both["rate_cny"]})
    out["implied"] = out["usd"] / out["cny"]
    out = out.sort_values(["city", "date"], kind="stable", na_position="last")
    if official is not None:
        out = _attach_official(out, _official_frame(official), tol)
    return out.reset_index(drop=True)


def _official_frame(official: pd.DataFrame | pd.Series) -> pd.DataFrame:
    check_type("official", official, (pd.DataFrame, pd.Series),
               "a DataFrame with 'date' and 'rate' (CNY per USD) or a Series indexed by date")
    if isinstance(official, pd.Series):
        frame = pd.DataFrame({"date": official.index, "rate": official.to_numpy()})
    else:
        missing = [c for c in ("date", "rate") if c not in official]
        if missing:
            raise NkfxValueError(
                f"official must have columns 'date' and 'rate' (CNY per USD); missing {missing}"
            )
        frame = official.loc[:, ["date", "rate"]]
    try:
        dates = pd.to_datetime(frame["date"])
    except (TypeError, ValueError) as exc:
        raise NkfxValueError(f"official dates must be dates; got {frame['date'].dtype}") from exc
    if isinstance(dates.dtype, pd.DatetimeTZDtype):  # aware: the local calendar day (issue 18)
        dates = dates.dt.tz_localize(None)
    dates = dates.dt.normalize()
    if dates.isna().any():
        raise NkfxValueError(f"official dates must be dates; {int(dates.isna().sum())} are missing (NaT)")
    values = pd.to_numeric(frame["rate"], errors="coerce")
    if values.isna().any() or (values <= 0).any() or not np.isfinite(values.to_numpy(float)).all():
        raise NkfxValueError("official 'rate' must hold finite positive numbers (CNY per USD)")
    return pd.DataFrame({"official_date": dates.astype("datetime64[ns]"),
                         "official": values.astype(float)}).sort_values("official_date")


def _attach_official(out: pd.DataFrame, official: pd.DataFrame, tol: pd.Timedelta) -> pd.DataFrame:
    left = out.assign(_key=out["date"].astype("datetime64[ns]"), _pos=np.arange(len(out)))
    merged = pd.merge_asof(left.sort_values("_key"), official, left_on="_key",
                           right_on="official_date", direction="nearest", tolerance=tol)
    merged = merged.sort_values("_pos").drop(columns=["_key", "_pos"])
    merged["premium"] = np.log(merged["implied"] / merged["official"])
    merged.index = out.index
    return merged


def city_spread(
    rates: pd.DataFrame,
    a: str = "Hyesan",
    b: str = "Pyongyang",
    *,
    currency: str = "CNY",
    tolerance: str | pd.Timedelta = "7D",
) -> pd.DataFrame:
    """Log spread between two cities' rates on matched dates (an arbitrage gap).

    Every report of city ``a`` is paired with the report of city ``b`` nearest in date,
    at most ``tolerance`` apart. Several reports of one city on one date (sources) are
    reduced to their median first.

    Parameters
    ----------
    rates : pandas.DataFrame
        A rate frame.
    a, b : str, default "Hyesan", "Pyongyang"
        Canonical city names.
    currency : str, default "CNY"
        Currency compared.
    tolerance : str or pandas.Timedelta, default "7D"
        Largest date difference of a pair (``"0D"``: same day only).

    Returns
    -------
    pandas.DataFrame
        ``date`` (of ``a``'s report), ``date_b``, ``rate_a``, ``rate_b``, ``days_apart``
        and ``spread`` = log(rate_a / rate_b); ``a``'s reports without a partner are left
        out.

    Raises
    ------
    NkfxValueError
        A city or the currency is absent (the message lists what is present), or ``a``
        equals ``b``.

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx.transform import city_spread
    >>> rates = pd.DataFrame({
    ...     "date": pd.to_datetime(["2022-12-04", "2022-12-06", "2023-01-20"]),
    ...     "city": ["Hyesan", "Pyongyang", "Hyesan"], "currency": "CNY",
    ...     "rate": [1120.0, 1000.0, 1100.0], "source": "Daily NK"})
    >>> city_spread(rates)[["date", "date_b", "spread"]].round({"spread": 4})
            date     date_b  spread
    0 2022-12-04 2022-12-06  0.1133
    """
    tol = to_timedelta("tolerance", tolerance, allow_zero=True)
    checked_rates(rates, ("city", "currency"), what="city_spread")
    if a == b:
        raise NkfxValueError(f"a and b must be two different cities; got {a!r} twice")
    currencies = sorted(str(c) for c in pd.unique(rates["currency"]))
    if currency not in currencies:
        raise NkfxValueError(f"currency must be one of {currencies}; got {currency!r}")
    daily = _daily(rates, currency)
    cities = sorted(str(c) for c in daily["city"].dropna().unique())
    for name, city in (("a", a), ("b", b)):
        if city not in cities:
            raise NkfxValueError(
                f"{name}={city!r} has no {currency} rate; cities with {currency}: {cities}"
            )
    left = daily.loc[daily["city"] == a, ["date", "rate"]].rename(columns={"rate": "rate_a"})
    right = daily.loc[daily["city"] == b, ["date", "rate"]].rename(columns={"rate": "rate_b"})
    right = right.assign(date_b=right["date"])
    pairs = pd.merge_asof(left.sort_values("date"), right.sort_values("date"), on="date",
                          direction="nearest", tolerance=tol).dropna(subset=["rate_b"])
    pairs["days_apart"] = (pairs["date_b"] - pairs["date"]).dt.days.abs()
    pairs["spread"] = np.log(pairs["rate_a"] / pairs["rate_b"])
    cols = ["date", "date_b", "rate_a", "rate_b", "days_apart", "spread"]
    return pairs.loc[:, cols].reset_index(drop=True)


def rolling_volatility(
    rates: pd.DataFrame,
    window: str | pd.Timedelta = "90D",
    *,
    per: Literal["day", "year"] = "day",
    min_returns: int = 3,
    by: Sequence[str] = _SERIES,
) -> pd.DataFrame:
    """Volatility of the log rate over a trailing time window, for irregular reports.

    For the returns ending within ``(t - window, t]`` the volatility per day is
    ``sqrt(sum(log_change ** 2) / sum(days))``: under a random walk each squared change
    is expected to be (variance per day) x (days elapsed), so long gaps weigh as much
    time as they cover instead of counting as one large move.

    Parameters
    ----------
    rates : pandas.DataFrame
        A rate frame (one report per date in each series; see :func:`log_returns`).
    window : str or pandas.Timedelta, default "90D"
        Length of the trailing window.
    per : {"day", "year"}, default "day"
        Unit: log points per square-root day, or annualised (x sqrt(365.25)).
    min_returns : int, default 3
        Fewer returns in the window give NaN.
    by : sequence of str, default ("city", "currency", "source")
        Columns defining a series.

    Returns
    -------
    pandas.DataFrame
        The output of :func:`log_returns` plus ``n_returns`` (returns in the window) and
        ``volatility``.

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx.transform import rolling_volatility
    >>> rates = pd.DataFrame({
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-06", "2024-01-10"]),
    ...     "city": "Hyesan", "currency": "CNY", "rate": [100.0, 110.0, 105.0, 115.0],
    ...     "source": "Daily NK"})
    >>> rolling_volatility(rates, "30D", min_returns=1)[["n_returns", "volatility"]].round(4)
       n_returns  volatility
    0          0         NaN
    1          1      0.0477
    2          2      0.0474
    3          3      0.0466
    """
    span = to_timedelta("window", window)
    check_option("per", per, ("day", "year"))
    if isinstance(min_returns, bool) or not isinstance(min_returns, int) or min_returns < 1:
        raise NkfxValueError(f"min_returns must be an int >= 1; got {min_returns!r}")
    out = log_returns(rates, by=by)
    codes, _ = group_codes(out, check_by(out, by, default=_SERIES))
    valid = out["log_change"].notna().to_numpy()
    frame = pd.DataFrame({
        "g": codes, "date": out["date"].to_numpy(),
        "sq": np.where(valid, out["log_change"].to_numpy() ** 2, 0.0),
        "days": np.where(valid, out["days"].to_numpy(), 0.0), "n": valid.astype(float),
    })
    roll = frame.groupby("g", sort=False).rolling(span, on="date")[["sq", "days", "n"]].sum()
    roll = roll.reset_index(level=0, drop=True).sort_index()
    n = roll["n"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        vol = np.sqrt(roll["sq"].to_numpy() / roll["days"].to_numpy())
    scale = np.sqrt(365.25) if per == "year" else 1.0
    out["n_returns"] = n.astype("int64")
    out["volatility"] = np.where(n >= min_returns, vol * scale, np.nan)
    return out
