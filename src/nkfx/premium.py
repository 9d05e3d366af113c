"""The market premium over official exchange rates: log(market / official), report by report.

North Korea's official rate is set by decree and quoted rarely: the bundled table
(:func:`nkfx.datasets.load_official`) has five USD quotes of the government / Trade
Bank rate in 2009–2021 (about 100 KPW per USD while the market paid about 8,000) and
two of the state-run exchange rate that the state moved towards the market in
2024–2025 (8,900 and 19,900). :func:`premium` pairs every market report with the
official quote in force on its date, says how old that quote is, and gives the
premium; :func:`premium_series` returns one city's premium as a Series for
:func:`nkfx.detect` and :func:`nkfx.event_study`.

What the premium can and cannot tell
------------------------------------
While the official rate stays constant, ``log(market / official)`` is the log market
rate minus a constant: its breaks, jumps and event-study changes are exactly those
of the market rate. The premium carries information of its own only where the
official rate changes (the state-run rate of 2024–2025), and those changes are known
from one or two quotes years apart. Most premiums rest on a quote carried forward
for years (``official_age_days``); ``max_age=`` turns them into NaN.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from nkfx._groups import NO_CITY, checked_rates, day_numbers
from nkfx._validate import check_option, check_type, to_timedelta
from nkfx.datasets import load_official
from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError
from nkfx.plotting.style import as_axes_list, format_rate_axis, tidy
from nkfx.schema import REDENOMINATION_DATE
from nkfx.summary import Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["Premium", "premium", "premium_series"]

Match = Literal["asof", "nearest"]
How = Literal["log", "pct", "ratio"]

#: Columns of :attr:`Premium.table`, in order.
TABLE_COLUMNS = (
    "date", "city", "currency", "market", "n_reports", "rate_type", "official", "official_date",
    "official_age_days", "official_detail", "official_source", "within_max_age", "premium",
    "premium_pct", "ratio",
)
_HOW_COLUMN = {"log": "premium", "pct": "premium_pct", "ratio": "ratio"}


@dataclass(frozen=True, eq=False)
class Premium:
    """The market premium over an official rate, one row per market report and rate type.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (rate type, city, date) of the market, sorted that way, with columns
        ``date, city, currency``; ``market`` (median of the day's market reports, KPW per
        unit) and ``n_reports``; ``rate_type`` (the official concept);
        ``official``, ``official_date``, ``official_age_days`` (market date minus quote
        date; negative when ``match="nearest"`` picked a later quote),
        ``official_detail`` (the source's wording) and ``official_source`` of the quote
        used (NaN/NaT when none applies); ``within_max_age``; ``premium`` =
        log(market / official), ``premium_pct`` = 100 (market / official - 1) and
        ``ratio`` = market / official (NaN without a quote, beyond ``max_age``, or
        where the ratio overflows a float; ``premium`` is still given there).
    official : pandas.DataFrame
        The official quotes of the currency and rate types used: ``date, currency,
        rate, rate_type, detail, source, url``.
    currency : str
        The currency (ISO code).
    rate_types : tuple of str
        The official concepts, each paired with the market separately.
    params : dict
        ``match``, ``max_age`` (text or None), ``market_type``.
    notes : tuple of str
        What was left out and why, and how stale the quotes are.
    """

    table: pd.DataFrame
    official: pd.DataFrame
    currency: str
    rate_types: tuple[str, ...]
    params: dict[str, Any]
    notes: tuple[str, ...] = field(default=())

    def series(self, city: str | None = None, *, rate_type: str | None = None,
               how: How = "log", dropna: bool = True) -> pd.Series:
        """Return one city's premium as a Series indexed by date.

        Parameters
        ----------
        city : str, optional
            A city of :attr:`table` (``"(no city)"`` selects reports without one); may be
            omitted when there is one city.
        rate_type : str, optional
            One of :attr:`rate_types`; may be omitted when there is one.
        how : {"log", "pct", "ratio"}, default "log"
            ``"log"``: log(market / official), for ``detect(s, scale="level")`` and
            ``event_study(s, ..., scale="level")``; ``"ratio"``: market / official, for
            their default log scale (the same numbers); ``"pct"``: percent.
        dropna : bool, default True
            Leave out dates without a premium (no quote in force, or beyond ``max_age``).

        Returns
        -------
        pandas.Series

        Examples
        --------
        >>> import pandas as pd
        >>> from nkfx.premium import premium
        >>> market = pd.DataFrame({"date": pd.to_datetime(["2013-11-13", "2016-02-12"]),
        ...                        "city": "Pyongyang", "currency": "USD",
        ...                        "rate": [8100.0, 8190.0], "source": "Daily NK"})
        >>> premium(market).series(how="ratio").round(1)
        date
        2013-11-13    84.4
        2016-02-12    74.7
        Name: Pyongyang USD premium over official, dtype: float64
        """
        check_option("how", how, tuple(_HOW_COLUMN))
        rows = self.table[self.table["rate_type"] == self._one_type(rate_type)]
        label = _city_labels(rows["city"])
        cities = sorted(set(label))
        if city is None and len(cities) > 1:
            raise NkfxValueError(f"city must be one of {cities} (the premium has several cities); got None")
        wanted = cities[0] if city is None else city
        if wanted not in cities:
            raise NkfxValueError(f"city must be one of {cities}; got {city!r}")
        rows = rows[(label == wanted).to_numpy()]
        out = pd.Series(rows[_HOW_COLUMN[how]].to_numpy(dtype=float),
                        index=pd.DatetimeIndex(rows["date"], name="date"),
                        name=f"{wanted} {self.currency} premium over {rows['rate_type'].iloc[0]}")
        return out.dropna() if dropna else out

    def _one_type(self, rate_type: str | None) -> str:
        if rate_type is None and len(self.rate_types) > 1:
            raise NkfxValueError(f"rate_type must be one of {list(self.rate_types)} (the premium "
                                 "has several official concepts); got None")
        wanted = self.rate_types[0] if rate_type is None else rate_type
        check_option("rate_type", wanted, self.rate_types)
        return wanted

    def to_frame(self) -> pd.DataFrame:
        """Return :attr:`table` (a copy).

        Examples
        --------
        >>> import pandas as pd
        >>> from nkfx.premium import premium
        >>> market = pd.DataFrame({"date": pd.to_datetime(["2013-11-13"]), "city": "Hyesan",
        ...                        "currency": "USD", "rate": [8180.0], "source": "Daily NK"})
        >>> premium(market).to_frame()[["official", "official_date", "official_age_days"]]
           official official_date  official_age_days
        0      96.0    2013-11-03                 10
        """
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """Return the table, quotes, parameters and notes as JSON-safe types (ISO dates, None for NaN).

        Examples
        --------
        >>> import json, pandas as pd
        >>> from nkfx.premium import premium
        >>> market = pd.DataFrame({"date": pd.to_datetime(["2013-11-13"]), "city": "Hyesan",
        ...                        "currency": "USD", "rate": [8180.0], "source": "Daily NK"})
        >>> d = premium(market).to_dict()
        >>> d["table"][0]["official_date"], round(d["table"][0]["premium"], 3)
        ('2013-11-03', 4.446)
        >>> json.loads(json.dumps(d)) == d
        True
        """
        return {"currency": self.currency, "rate_types": list(self.rate_types),
                "params": dict(self.params), "notes": list(self.notes),
                "official": _records(self.official), "table": _records(self.table)}

    def summary(self) -> Summary:
        """Return the :class:`~nkfx.summary.Summary`: per rate type and city, reports, quotes and premia.

        Examples
        --------
        >>> import pandas as pd
        >>> from nkfx.premium import premium
        >>> market = pd.DataFrame({"date": pd.to_datetime(["2013-11-13", "2016-02-12"]),
        ...                        "city": "Hyesan", "currency": "USD",
        ...                        "rate": [8180.0, 8210.0], "source": "Daily NK"})
        >>> print(premium(market).summary().splitlines()[2])
          official    Hyesan        2 reports 2013-11-13..2016-02-12, 2 with a premium; ...
        """
        p = self.params
        lines = [f"Market premium over the official {self.currency} rate (match {p['match']!r}, "
                 f"max_age {p['max_age']}, market rate_type {p['market_type']!r})",
                 "  rate type      city         reports and premium = log(market / official)"]
        t = self.table
        for (kind, city), rows in t.groupby([t["rate_type"], _city_labels(t["city"])], sort=True):
            ok = rows["premium"].dropna()
            head = (f"  {kind:<14} {city:<12} {len(rows):>3} reports {_ymd(rows['date'].min())}.."
                    f"{_ymd(rows['date'].max())}, {len(ok)} with a premium")
            if len(ok):
                age = rows.loc[ok.index, "official_age_days"].abs()
                head += (f"; premium {ok.min():+.3f}..{ok.max():+.3f} (median {ok.median():+.3f}); "
                         f"quote age median {age.median():.0f} days, max {age.max():.0f}")
            lines.append(head)
        lines.append("  official quotes: " + "; ".join(
            f"{_ymd(d)} {r:g} ({k})" for d, r, k in
            zip(self.official["date"], self.official["rate"], self.official["rate_type"], strict=True)))
        lines.extend(f"  note: {n}" for n in self.notes)
        return Summary.from_text("\n".join(lines), {"Official quotes": self.official})

    def plot(self, ax: Any = None, *, city: str | None = None, rate_type: str | None = None,
             **kwargs: Any) -> Axes:
        """Plot the market and official rates (log KPW axis) above the premium, on shared dates.

        Parameters
        ----------
        ax : pair of matplotlib Axes, optional
            The rate panel and the premium panel; a new two-panel figure when omitted.
        city : str, optional
            The city drawn (may be omitted when there is one).
        rate_type : str, optional
            Draw the premium over this concept only (default: every rate type).
        **kwargs
            Passed to the market line (``color``, ``lw``, ...).

        Returns
        -------
        matplotlib.axes.Axes
            The premium panel (the rate panel is ``ax.figure.axes[0]`` on a new figure).

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import pandas as pd
        >>> from nkfx.premium import premium
        >>> market = pd.DataFrame({"date": pd.to_datetime(["2013-11-13", "2016-02-12"]),
        ...                        "city": "Hyesan", "currency": "USD",
        ...                        "rate": [8180.0, 8210.0], "source": "Daily NK"})
        >>> ax = premium(market).plot()
        >>> ax.get_ylabel()
        'premium, log(market / official)'
        >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
        """
        return _plot(self, ax, city=city, rate_type=rate_type, **kwargs)

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.summary())}</pre>"


def _city_labels(cities: pd.Series) -> pd.Series:
    """City names with missing ones as ``"(no city)"``."""
    return cities.astype(object).where(cities.notna(), NO_CITY).astype(str)


def _ymd(value: Any) -> str:
    return "NaT" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe records: ISO dates, None for NaN/NaT, plain numbers."""
    text = frame.to_json(orient="records", date_format="iso", date_unit="s")
    rows: list[dict[str, Any]] = json.loads(text)
    dates = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    for row in rows:
        for c in dates:
            row[c] = row[c][:10] if isinstance(row[c], str) else None
    return rows


def premium(
    rates: pd.DataFrame,
    official: pd.DataFrame | pd.Series | None = None,
    *,
    currency: str = "USD",
    rate_type: str | Sequence[str] = "official",
    max_age: str | pd.Timedelta | None = None,
    match: Match = "asof",
    market_type: str | None = "market",
) -> Premium:
    """Pair each market report with the official rate in force and give the premium over it.

    For every (city, date) of the market (several reports of one day, e.g. from several
    sources, become their median) and every official concept in ``rate_type``, the
    official quote in force is the last one on or before the date (``match="asof"``:
    an official rate is set by decree and stays until changed) or the nearest in date
    (``match="nearest"``, ties to the earlier). Quotes dated before the redenomination
    of 2009-11-30 are never paired with later market dates, nor later quotes with
    earlier dates: the old official rate ended with the old won. ``official_age_days``
    says how far back the quote is; beyond ``max_age`` the premium is NaN.

    Parameters
    ----------
    rates : pandas.DataFrame
        A rate frame (see :mod:`nkfx.schema`); not modified.
    official : pandas.DataFrame or pandas.Series, optional
        Official quotes: a DataFrame with ``date``, ``currency`` and ``rate`` (KPW per
        unit) and optionally ``rate_type`` (missing: all ``"official"``),
        ``rate_type_detail``, ``source``/``publisher`` and ``url``; or a Series of one
        currency's quotes (``currency``) indexed by date, of the one concept named by
        ``rate_type``. Default: :func:`nkfx.datasets.load_official` (old won divided by 100).
    currency : str, default "USD"
        The currency; it needs an official quote (bundled: USD, CNY and EUR; CNY and EUR
        have a single quote, of 2010-01-01).
    rate_type : str or sequence of str, default "official"
        The official concept(s), each paired with the market separately, never mixed:
        bundled ``"official"`` (government / Trade Bank, ~100 per USD) and
        ``"state_exchange"`` (state-run exchange, 2024–2025, USD only).
    max_age : str or pandas.Timedelta, optional
        Longest distance between a market date and its quote (``"730D"``); beyond it the
        premium is NaN (``within_max_age`` False, the quote still shown). None: no limit.
    match : {"asof", "nearest"}, default "asof"
        Which quote applies (above).
    market_type : str or None, default "market"
        Keep only market rows of this ``rate_type`` (bank, foreigner and state-exchange
        reports are not market rates); None keeps every row. Rows left out are counted
        in ``notes``.

    Returns
    -------
    Premium
        The table (one row per rate type and market (city, date)), the quotes, notes.

    Raises
    ------
    NkfxTypeError
        ``official`` neither a DataFrame nor a Series, ``rate_type`` not text.
    NkfxValueError
        ``currency`` without an official quote (the message lists the currencies that
        have one) or without market rows; a ``rate_type`` the quotes do not have for the
        currency; missing official columns, non-positive or unparsable official values,
        two quotes of one concept on one date; a bad ``max_age``, ``match`` or
        ``market_type``.

    Notes
    -----
    With a constant official rate the premium is the log market rate minus a constant,
    so its breaks and event-study changes are those of the market rate; the premium
    says something new only where the official rate changes. The bundled quotes are
    sparse: the government rate is quoted in 2010, 2013, 2016 and 2021, so a premium
    of 2018 rests on a quote two years old and one of 2025 on a quote more than three
    years old (Daily NK reported it still ~100 in 2025). The state-run exchange rate
    has two quotes, and the bundled table does not say what it was between them.

    On Daily NK's dollar survey (2009–2026, three cities) ``detect`` finds the same jumps
    in the premium over the government rate as in the market rate, in every city: its
    moves of 1–13% (96.9, 96, 109.6, 100) are lost in the market's drift. The premium
    over the state-run rate has one jump, between the reports of 2025-03-16 and
    2025-03-30 (-53%, the state's move from 8,900 to 19,900), where the market rose 5%.

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx.premium import premium
    >>> market = pd.DataFrame({
    ...     "date": pd.to_datetime(["2013-11-13", "2024-04-28", "2025-03-30"]),
    ...     "city": "Pyongyang", "currency": "USD", "rate": [8100.0, 8700.0, 21200.0],
    ...     "source": "Daily NK"})
    >>> res = premium(market, rate_type=["official", "state_exchange"])
    >>> res.table[["date", "rate_type", "official", "official_age_days", "premium"]].round({"premium": 3})
            date       rate_type  official  official_age_days  premium
    0 2013-11-13        official      96.0                 10    4.435
    1 2024-04-28        official     100.0                927    4.466
    2 2025-03-30        official     100.0               1263    5.357
    3 2013-11-13  state_exchange       NaN               <NA>      NaN
    4 2024-04-28  state_exchange    8900.0                 13   -0.023
    5 2025-03-30  state_exchange   19900.0                  5    0.063
    >>> premium(market, max_age="730D").table["premium"].round(3).tolist()
    [4.435, nan, nan]
    """
    check_option("match", match, ("asof", "nearest"))
    limit = None if max_age is None else to_timedelta("max_age", max_age)
    if market_type is not None:
        check_type("market_type", market_type, str, "a rate_type such as 'market', or None")
    kinds = _rate_types(rate_type)
    quotes, quote_notes = _official_quotes(official, currency, kinds)
    market, notes = _market(rates, currency, market_type)
    table = pd.concat([_pair(market, quotes[quotes["rate_type"] == k], k, match, limit) for k in kinds],
                      ignore_index=True)
    table.insert(2, "currency", currency)
    notes += quote_notes + _age_notes(table, limit)
    params = {"match": match, "max_age": None if limit is None else f"{limit.days}D",
              "market_type": market_type}
    return Premium(table=table.loc[:, list(TABLE_COLUMNS)], official=quotes.reset_index(drop=True),
                   currency=currency, rate_types=kinds, params=params, notes=tuple(notes))


def premium_series(
    rates: pd.DataFrame,
    official: pd.DataFrame | pd.Series | None = None,
    *,
    city: str | None = None,
    currency: str = "USD",
    rate_type: str = "official",
    max_age: str | pd.Timedelta | None = None,
    match: Match = "asof",
    how: How = "log",
) -> pd.Series:
    """One city's premium over one official concept as a Series indexed by date.

    ``premium(rates, official, ...).series(city, how=how)``: dates without a quote in
    force (or beyond ``max_age``) are left out. Pass ``how="ratio"`` to
    :func:`nkfx.detect` and :func:`nkfx.event_study` with their default
    ``scale="log"`` (they then work on the log premium, and report jumps in percent of
    the ratio), or ``how="log"`` with ``scale="level"``. While the official rate is
    constant the result is the market rate divided by a constant: the same breaks.

    Parameters
    ----------
    rates, official, currency, rate_type, max_age, match
        As :func:`premium` (one ``rate_type`` only).
    city : str, optional
        The city; may be omitted when ``rates`` has one.
    how : {"log", "pct", "ratio"}, default "log"
        The unit (see :meth:`Premium.series`).

    Returns
    -------
    pandas.Series

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx.premium import premium_series
    >>> market = pd.DataFrame({"date": pd.to_datetime(["2025-03-16", "2025-03-30"]),
    ...                        "city": "Hyesan", "currency": "USD", "rate": [20270.0, 21290.0],
    ...                        "source": "Daily NK"})
    >>> premium_series(market, rate_type="state_exchange").round(3).tolist()  # 8,900 then 19,900
    [0.823, 0.068]
    """
    if not isinstance(rate_type, str):
        raise NkfxTypeError(f"rate_type must be one official concept (str) for a series; "
                            f"got {type(rate_type).__name__}")
    res = premium(rates, official, currency=currency, rate_type=rate_type, max_age=max_age, match=match)
    return res.series(city, how=how)


def _rate_types(rate_type: str | Sequence[str]) -> tuple[str, ...]:
    kinds = (rate_type,) if isinstance(rate_type, str) else rate_type
    if not isinstance(kinds, Sequence) or not kinds or not all(isinstance(k, str) for k in kinds):
        raise NkfxTypeError(f"rate_type must be an official concept or a non-empty sequence of them "
                            f"(str), such as 'official'; got {rate_type!r}")
    return tuple(dict.fromkeys(kinds))


def _official_quotes(official: pd.DataFrame | pd.Series | None, currency: str,
                     kinds: tuple[str, ...]) -> tuple[pd.DataFrame, list[str]]:
    """Return the checked quotes of ``currency`` and ``kinds`` (date, currency, rate, rate_type, ...)."""
    notes: list[str] = []
    if official is None:

        frame = load_official()
    elif isinstance(official, pd.Series):
        if len(kinds) != 1:
            raise NkfxValueError(f"official as a Series holds one concept: pass one rate_type; got {kinds}")
        check_type("official.index", official.index, pd.DatetimeIndex, "a DatetimeIndex (quote dates)")
        frame = pd.DataFrame({"date": official.index, "currency": currency,
                              "rate": official.to_numpy(), "rate_type": kinds[0]})
    else:
        check_type("official", official, pd.DataFrame,
                   "a DataFrame with 'date', 'currency' and 'rate', a Series indexed by date, or None")
        missing = [c for c in ("date", "currency", "rate") if c not in official]
        if missing:
            raise NkfxValueError(f"official must have columns 'date', 'currency' and 'rate'; missing "
                                 f"{missing} (columns: {list(official.columns)})")
        frame = official
        if "rate_type" not in frame:
            frame = frame.assign(rate_type="official")
            notes.append("official has no 'rate_type' column: every quote taken as 'official'")
    quotes = _clean_quotes(frame)
    have = sorted(quotes["currency"].unique().tolist())
    if currency not in have:
        raise NkfxValueError(f"currency {currency!r} has no official rate; currencies with one: {have}")
    quotes = quotes[quotes["currency"] == currency]
    types = sorted(quotes["rate_type"].unique().tolist())
    for k in kinds:
        if k not in types:
            raise NkfxValueError(f"rate_type must be among the official concepts of {currency}: {types}; "
                                 f"got {k!r}")
    quotes = quotes[quotes["rate_type"].isin(kinds)].sort_values(["rate_type", "date"], kind="stable")
    twice = quotes.duplicated(["rate_type", "date"], keep=False)
    if twice.any():
        first = quotes[twice].iloc[0]
        raise NkfxValueError(f"official has {int(twice.sum())} quotes of one rate_type on one date "
                             f"({first['rate_type']!r} on {_ymd(first['date'])}); keep one per date")
    return quotes.reset_index(drop=True), notes


def _clean_quotes(frame: pd.DataFrame) -> pd.DataFrame:
    """Parse dates and rates of official quotes (a new frame)."""
    raw = pd.Series(frame["date"]).reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw):  # not days since 1970
        raise NkfxValueError(f"official 'date' must hold dates or date strings; got dtype {raw.dtype}")
    dates = pd.to_datetime(raw, errors="coerce", format="mixed")
    if isinstance(dates.dtype, pd.DatetimeTZDtype):  # aware quotes: their local calendar day (issue 18)
        dates = dates.dt.tz_localize(None)
    dates = dates.dt.normalize()
    rate = pd.to_numeric(pd.Series(frame["rate"]).reset_index(drop=True), errors="coerce")
    bad = dates.isna() | rate.isna() | ~(rate > 0) | ~np.isfinite(rate.to_numpy(dtype=float))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise NkfxValueError("official must have a date and a finite positive 'rate' (KPW per unit) "
                             "in every row; "
                             f"row {i} has date {frame['date'].iloc[i]}, rate {frame['rate'].iloc[i]}")

    def text(col: str, default: Any) -> Any:
        return frame[col].to_numpy() if col in frame else default

    out = pd.DataFrame({"date": dates.astype("datetime64[ns]"),
                        "currency": pd.Series(text("currency", "")).astype(str).str.upper().to_numpy(),
                        "rate": rate.astype(float), "rate_type": text("rate_type", "official")})
    out["rate_type"] = out["rate_type"].astype(str)
    out["detail"] = text("rate_type_detail", out["rate_type"].to_numpy())
    out["source"] = text("source", text("publisher", ""))
    out["url"] = text("url", "")
    return out


def _market(rates: pd.DataFrame, currency: str, market_type: str | None) -> tuple[pd.DataFrame, list[str]]:
    """Median market rate and report count per (city, date) of one currency, with notes."""
    checked_rates(rates, ("city", "currency"), what="premium")
    have = sorted(str(c) for c in pd.unique(rates["currency"]))
    if currency not in have:
        raise NkfxValueError(f"currency must be one of the currencies in rates {have}; got {currency!r}")
    part = rates.loc[rates["currency"] == currency, ["date", "city", "rate"]]
    notes = []
    if market_type is not None and "rate_type" in rates:
        kind = rates.loc[part.index, "rate_type"]
        keep = (kind == market_type).to_numpy()
        if not keep.any():
            found = sorted(map(str, kind.unique()))
            raise InsufficientDataError(f"rates has no {currency} row of rate_type {market_type!r}; rate "
                                        f"types: {found} (market_type=None keeps every row)")
        if not keep.all():
            left = kind[~keep].value_counts().to_dict()
            notes.append(f"{int((~keep).sum())} {currency} row(s) not of rate_type {market_type!r} "
                         f"left out: {left}")
        part = part[keep]
    part = part.assign(date=part["date"].dt.normalize())
    grouped = part.groupby(["city", "date"], dropna=False, sort=True)["rate"]
    daily = grouped.agg(market="median", n_reports="size").reset_index()
    return daily, notes


def _pair(market: pd.DataFrame, quotes: pd.DataFrame, kind: str, match: str,
          limit: pd.Timedelta | None) -> pd.DataFrame:
    """Return the market frame with the quote of ``kind`` in force on each date and the premium."""
    days = day_numbers(market["date"])
    qdays = day_numbers(quotes["date"])
    idx = match_quotes(days, qdays, nearest=match == "nearest",
                       split=int(day_numbers(pd.Series([REDENOMINATION_DATE]))[0]))
    has = idx >= 0
    take = np.where(has, idx, 0)

    def pick(col: str) -> np.ndarray:
        values = quotes[col].to_numpy()[take] if len(quotes) else np.full(len(market), np.nan)
        blank: Any = np.nan if values.dtype.kind == "f" else None
        return np.where(has, values, blank)

    out = market.assign(rate_type=kind, official=pick("rate").astype(float))
    out["official_date"] = pd.to_datetime(pd.Series(pick("date"), index=out.index))
    age = days - np.where(has, qdays[take] if len(qdays) else 0, 0)
    out["official_age_days"] = pd.array(np.where(has, age, 0), dtype="Int64")
    out.loc[~has, "official_age_days"] = pd.NA
    out["official_detail"], out["official_source"] = pick("detail"), pick("source")
    within = has & (True if limit is None else np.abs(age) <= limit.days)
    out["within_max_age"] = within
    kpw, quote = out["market"].to_numpy(dtype=float), out["official"].to_numpy(dtype=float)
    with np.errstate(over="ignore"):
        ratio = np.where(within, kpw / quote, np.nan)
    # an absurd pair (1e300 over 1e-10) overflows the ratio: NaN, the log premium stays exact
    ratio = np.where(np.isfinite(ratio), ratio, np.nan)
    # a difference of logs: log(ratio) was -inf when the ratio underflowed to 0 (issue 18)
    log_premium = np.where(within, np.log(kpw) - np.log(quote), np.nan)
    out["ratio"], out["premium"], out["premium_pct"] = ratio, log_premium, 100 * (ratio - 1)
    return out


def match_quotes(days: np.ndarray, quote_days: np.ndarray, *, nearest: bool = False,
                 split: int | None = None) -> np.ndarray:
    """Index of the quote in force on each day (-1: none), the numeric core of :func:`premium`.

    ``quote_days`` must be sorted. As-of: the last quote on or before the day; nearest:
    the closest, ties to the earlier. With ``split``, days before it use only quotes
    before it, and days on or after it only quotes on or after it.

    Examples
    --------
    >>> import numpy as np
    >>> match_quotes(np.array([0, 5, 10, 14]), np.array([5, 20])).tolist()
    [-1, 0, 0, 0]
    >>> match_quotes(np.array([0, 5, 10, 14]), np.array([5, 20]), nearest=True).tolist()
    [0, 0, 0, 1]
    >>> match_quotes(np.array([0, 5, 10, 14]), np.array([5, 20]), split=8).tolist()
    [-1, 0, -1, -1]
    """
    days = np.asarray(days, dtype=np.int64)
    quote_days = np.asarray(quote_days, dtype=np.int64)
    if split is not None:
        out = np.full(len(days), -1, dtype=np.int64)
        cut = int(np.searchsorted(quote_days, split, side="left"))
        early = days < split
        out[early] = match_quotes(days[early], quote_days[:cut], nearest=nearest)
        late = match_quotes(days[~early], quote_days[cut:], nearest=nearest)
        out[~early] = np.where(late >= 0, late + cut, -1)
        return out
    before = np.searchsorted(quote_days, days, side="right") - 1
    if not nearest or len(quote_days) == 0:
        return np.asarray(before, dtype=np.int64)
    after = np.minimum(before + 1, len(quote_days) - 1)
    gap_before = np.where(before >= 0, days - quote_days[np.maximum(before, 0)], np.iinfo(np.int64).max)
    gap_after = quote_days[after] - days
    use_after = (gap_after >= 0) & (gap_after < gap_before)
    return np.asarray(np.where(use_after, after, before), dtype=np.int64)


def _age_notes(table: pd.DataFrame, limit: pd.Timedelta | None) -> list[str]:
    """How many reports have no quote, and how old the quotes used are."""
    notes = []
    for kind, rows in table.groupby("rate_type", sort=True):
        none = int(rows["official"].isna().sum())
        if none:
            notes.append(f"{kind}: {none} of {len(rows)} market dates have no quote in force "
                         "(before the first quote, or across the 2009 redenomination)")
        age = rows["official_age_days"].dropna().abs()
        if len(age):
            notes.append(f"{kind}: quote age median {age.median():.0f} days, "
                         f"{int((age > 365).sum())} of {len(age)} dates rest on a quote over a year old")
        if limit is not None:
            cut = int((rows["official"].notna() & ~rows["within_max_age"]).sum())
            if cut:
                notes.append(f"{kind}: {cut} premium(s) set to NaN: quote older than max_age {limit.days}D")
    return notes


_COLOURS = {"official": "tab:red", "state_exchange": "tab:green"}
_OTHER = ("tab:purple", "tab:orange", "tab:brown")


def _plot(res: Premium, ax: Any, *, city: str | None, rate_type: str | None, **kwargs: Any) -> Axes:
    """Two panels on shared dates: market and official rates (log axis), and the premium."""
    kinds = res.rate_types if rate_type is None else (res._one_type(rate_type),)
    if ax is None:
        import matplotlib.pyplot as plt

        _, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 6.5), layout="constrained",
                                          height_ratios=(3, 2))
    else:
        top, bottom = as_axes_list("ax", ax, (2,))
    first = res.series(city, rate_type=kinds[0], how="log", dropna=False)
    label = str(first.name).split(f" {res.currency} ")[0]
    market = res.table[(res.table["rate_type"] == kinds[0]) & (_city_labels(res.table["city"]) == label)]
    top.plot(market["date"], market["market"], **{"color": "0.2", "lw": 1.2,
                                                    "label": f"market ({label})", **kwargs})
    end = market["date"].max()
    for i, kind in enumerate(kinds):
        colour = _COLOURS.get(kind, _OTHER[i % len(_OTHER)])
        quotes = res.official[res.official["rate_type"] == kind]
        x, y = _steps(quotes, end)
        top.plot(x, y, color=colour, lw=1.2, ls="--", label=f"{kind} rate in force (carried forward)")
        top.scatter(quotes["date"], quotes["rate"], color=colour, s=36, zorder=3, edgecolor="white",
                    label=f"{kind} quotes ({len(quotes)})")
        s = res.series(label, rate_type=kind, how="log", dropna=False)
        bottom.plot(s.index, s.to_numpy(), color=colour, lw=1.2, label=f"over {kind}")
    top.set_yscale("log")
    format_rate_axis(top, res.currency, log=True)
    top.legend(loc="lower right", fontsize=8, frameon=False)
    top.set_title(f"{label}: market {res.currency} rate and official rates; premium below")
    bottom.axhline(0.0, color="0.5", lw=0.8)
    bottom.set_ylabel("premium, log(market / official)")
    bottom.legend(loc="upper left", fontsize=8, frameon=False)
    tidy(bottom)
    out: Axes = bottom
    return out


def _steps(quotes: pd.DataFrame, end: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Return x and y of the official rate in force from each quote to the next (NaN across 2009-11-30)."""
    xs: list[pd.Timestamp] = []
    ys: list[float] = []
    dates = list(pd.DatetimeIndex(quotes["date"]))
    for i, (day, rate) in enumerate(zip(dates, quotes["rate"].to_numpy(dtype=float), strict=True)):
        stop = dates[i + 1] if i + 1 < len(dates) else max(end, day)
        if day < REDENOMINATION_DATE <= stop:
            stop = REDENOMINATION_DATE
        xs += [day, stop, stop]
        ys += [rate, rate, np.nan]
    return np.asarray(xs, dtype="datetime64[ns]"), np.asarray(ys, dtype=float)
