"""Loaders for the cited observations and events shipped inside nkfx."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import pandas as pd

from nkfx._validate import check_option
from nkfx.ingest import read_rates

__all__ = ["EVENT_COLUMNS", "load_events", "load_observations", "load_official", "observations_path"]

EVENT_COLUMNS = (
    "id", "start", "end", "date_precision", "description", "status", "status_detail", "scope",
    "expected_signal", "source", "url",
)


def _data_file(name: str) -> Path:
    return Path(str(resources.files("nkfx.datasets").joinpath("data", name)))


def observations_path() -> Path:
    """Return the path of the bundled observations CSV (as published, columns renamed).

    Returns
    -------
    pathlib.Path
        A CSV with columns ``date, date_precision, city, region, currency, rate,
        rate_low, rate_high, rate_type, publisher, url, kind, note``.

    Examples
    --------
    >>> observations_path().name
    'observations.csv'
    """
    return _data_file("observations.csv")


def load_observations() -> pd.DataFrame:
    """Load the 255 cited market and bank rates (KPW per CNY and per USD), 2009–2025.

    Each row is one figure reported in a public article (Daily NK, Asia Press,
    NK Times, Radio Free Asia, ...), read with :func:`nkfx.read_rates`. ``source`` is
    the originating outlet and ``publisher`` the exact publication; ``url`` cites
    it. Rows without a city are province- or border-level reports (``region`` says
    where). Conflicting reports of one date are kept (``duplicate`` and the
    ``note`` column, which says CONFLICTS or SUSPECT, tell which).

    Returns
    -------
    pandas.DataFrame
        A rate frame (see :mod:`nkfx.schema`), one row per reported figure, in
        the order of the bundled file. All 255 rows are accepted.

    See Also
    --------
    load_events : the event catalogue.
    nkfx.read_rates : how the file is read.

    Examples
    --------
    >>> from nkfx.datasets import load_observations
    >>> obs = load_observations()
    >>> len(obs)
    255
    >>> obs.groupby("currency").size().to_dict()
    {'CNY': 190, 'USD': 65}
    >>> hyesan_cny = (obs["city"] == "Hyesan") & (obs["currency"] == "CNY")
    >>> float(obs.loc[hyesan_cny, "rate"].max())
    3210.0
    """
    ingest = read_rates(observations_path(), old_won="reject")
    if len(ingest.quarantine):  # the bundled file is curated; a rejection is a bug here
        raise RuntimeError(f"bundled observations failed to load:\n{ingest.quarantine}")
    return ingest.rates


def load_events() -> pd.DataFrame:
    """Load the catalogue of dated events that moved (or were expected to move) the won.

    Returns
    -------
    pandas.DataFrame
        One row per event with columns ``id, start, end, date_precision,
        description, status, status_detail, scope, expected_signal, source, url``.
        ``start`` and ``end`` are datetimes; a one-day event has ``end == start``.
        ``status`` is ``"confirmed"``, ``"reported"`` or ``"rumour"`` (the
        original wording is in ``status_detail``); ``scope`` is ``national``, a
        city or a border crossing (``"Hyesan/Yanggang"``, ``"Sinuiju/border"``), or
        ``official``/``official/state`` for non-market rates.

    Examples
    --------
    >>> from nkfx.datasets import load_events
    >>> events = load_events()
    >>> events.loc[events["id"] == "hyesan_customs_rumour_2022", ["start", "status"]].iloc[0].tolist()
    [Timestamp('2022-11-25 00:00:00'), 'rumour']
    >>> bool((events["end"] >= events["start"]).all())
    True
    """
    events = pd.read_csv(_data_file("events.csv"), dtype=str, keep_default_na=False)
    events["start"] = pd.to_datetime(events["start"], format="%Y-%m-%d")
    end = pd.to_datetime(events["end"].replace("", None), format="%Y-%m-%d")
    events["end"] = end.fillna(events["start"])
    return events.loc[:, list(EVENT_COLUMNS)]


def load_official(old_won: Literal["divide", "reject"] = "divide") -> pd.DataFrame:
    """Load the 9 cited official and state-run exchange rates (KPW per USD, CNY, EUR), 2009–2025.

    These are not market rates. ``rate_type`` keeps two concepts apart, and
    ``rate_type_detail`` keeps the wording of the source:

    - ``"official"``: the administratively set government / (Foreign) Trade Bank rate,
      about 100 KPW per USD from 2010 to at least 2021 (and, per Daily NK, still in
      parallel in 2025) while the market paid about 8,000. Six quotes in all, years
      apart: 2009-11 (old won), 2010-01 (USD, CNY and EUR), 2013-11, 2016-01, 2021-10.
    - ``"state_exchange"``: the state-run exchange rate the state moved towards the
      market from 2024: 8,900 per USD (state-run market exchange, set April 2024) and
      19,900 (state-run bank exchange, 2025-03-25).

    Every row keeps its ``publisher`` and ``url``; ``source`` is the originating outlet.

    Parameters
    ----------
    old_won : {"divide", "reject"}, default "divide"
        The 2009-11-29 quote (140 old won per USD, before the redenomination of
        2009-11-30): ``"divide"`` converts it to 1.40 new won
        (``won_adjustment="divided_by_100"``), ``"reject"`` leaves it out.

    Returns
    -------
    pandas.DataFrame
        A rate frame (see :mod:`nkfx.schema`; ``city`` is missing: national rates)
        with the extra columns ``rate_type_detail``, ``publisher``, ``url`` and ``note``.

    See Also
    --------
    nkfx.premium.premium : the market premium over these rates.

    Examples
    --------
    >>> from nkfx.datasets import load_official
    >>> official = load_official()
    >>> official.groupby(["currency", "rate_type"]).size().to_dict()
    {('CNY', 'official'): 1, ('EUR', 'official'): 1, ('USD', 'official'): 5, ('USD', 'state_exchange'): 2}
    >>> first = official.iloc[0]
    >>> str(first["date"].date()), float(first["rate"]), first["won_adjustment"]
    ('2009-11-29', 1.4, 'divided_by_100')
    >>> len(load_official(old_won="reject"))
    8
    """
    check_option("old_won", old_won, ("divide", "reject"))
    ingest = read_rates(_data_file("official_rates.csv"), old_won=old_won)
    bad = ingest.quarantine
    if old_won == "divide" and len(bad):  # the bundled file is curated; a rejection is a bug here
        raise RuntimeError(f"bundled official rates failed to load:\n{bad}")
    return ingest.rates.reset_index(drop=True)
