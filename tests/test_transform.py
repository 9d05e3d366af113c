"""Tests of nkfx.transform: log rates, per-day returns, cross rates, city spreads, volatility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError
from nkfx.transform import city_spread, cross_rate, log_rates, log_returns, rolling_volatility


def frame(dates, rates, city="Hyesan", currency="CNY", source="Daily NK", **extra):
    n = len(dates)
    data = {
        "date": pd.to_datetime(dates),
        "city": city if isinstance(city, list) else [city] * n,
        "currency": currency if isinstance(currency, list) else [currency] * n,
        "rate": np.asarray(rates, dtype=float),
        "source": source if isinstance(source, list) else [source] * n,
    }
    data.update(extra)
    return pd.DataFrame(data)


def test_log_rates():
    rates = frame(["2024-01-01", "2024-01-02"], [1000, np.e ** 7], note=["a", "b"])
    before = rates.copy()
    out = log_rates(rates)
    pd.testing.assert_frame_equal(rates, before)
    np.testing.assert_allclose(out["log_rate"], [np.log(1000), 7.0])
    assert out["note"].tolist() == ["a", "b"]


def test_log_returns_per_elapsed_day():
    rates = frame(["2024-02-19", "2024-01-01", "2024-01-08"], [1070, 1000, 1010])
    out = log_returns(rates)
    assert out["date"].dt.strftime("%m-%d").tolist() == ["01-01", "01-08", "02-19"]
    np.testing.assert_allclose(out["days"], [np.nan, 7, 42])
    np.testing.assert_allclose(out["log_change"], [np.nan, np.log(1.01), np.log(1070 / 1010)])
    np.testing.assert_allclose(out["log_return"],
                               [np.nan, np.log(1.01) / 7, np.log(1070 / 1010) / 42])
    # the six-week move of 5.8% is a slower pace than the one-week move of 1%
    assert out["log_return"].iloc[2] < out["log_return"].iloc[1]
    weekly = log_returns(rates, per="week")
    np.testing.assert_allclose(weekly["log_return"].iloc[1], np.log(1.01))
    yearly = log_returns(rates, per="year")
    np.testing.assert_allclose(yearly["log_return"].iloc[1], np.log(1.01) / 7 * 365.25)


def test_log_returns_keep_series_apart():
    rates = frame(["2024-01-01", "2024-01-01", "2024-01-11", "2024-01-06"], [100, 50, 110, 55],
                  city=["Hyesan", "Sinuiju", "Hyesan", "Sinuiju"])
    out = log_returns(rates).set_index("city")
    np.testing.assert_allclose(out.loc["Hyesan", "log_return"].iloc[1], np.log(1.1) / 10)
    np.testing.assert_allclose(out.loc["Sinuiju", "log_return"].iloc[1], np.log(1.1) / 5)


def test_log_returns_errors():
    rates = frame(["2024-01-01", "2024-01-01"], [100, 101])
    with pytest.raises(NkfxValueError, match=(
            r"one report per date in each series; 1 repeated date\(s\), first in "
            r"\(city='Hyesan', currency='CNY', source='Daily NK'\) on 2024-01-01")):
        log_returns(rates)
    with pytest.raises(NkfxValueError, match=r"per must be one of 'day', 'week', 'year'; got 'month'"):
        log_returns(rates, per="month")  # type: ignore[arg-type]


# --- cross rate ------------------------------------------------------------------------------

@pytest.fixture
def two_currencies():
    return frame(["2024-03-31", "2024-03-31", "2024-03-31", "2024-04-14"],
                 [11500, 1600, 1620, 1750], currency=["USD", "CNY", "CNY", "CNY"],
                 source=["Daily NK", "Daily NK", "Mirror", "Daily NK"])


def test_cross_rate_hand_computed(two_currencies):
    out = cross_rate(two_currencies)
    assert len(out) == 1  # 04-14 has no USD quote
    row = out.iloc[0]
    assert (row["usd"], row["cny"]) == (11500.0, 1610.0)  # median of 1600 and 1620
    assert row["implied"] == pytest.approx(11500 / 1610)
    assert list(out.columns) == ["date", "city", "usd", "cny", "implied"]


def test_cross_rate_against_official(two_currencies):
    official = pd.DataFrame({"date": pd.to_datetime(["2024-03-20", "2024-03-29"]),
                             "rate": [7.10, 7.22]})
    row = cross_rate(two_currencies, official).iloc[0]
    assert row["official"] == 7.22
    assert row["official_date"] == pd.Timestamp("2024-03-29")
    assert row["premium"] == pytest.approx(np.log(11500 / 1610 / 7.22))
    series = pd.Series([7.10], index=pd.to_datetime(["2024-03-20"]))
    far = cross_rate(two_currencies, series, tolerance="3D").iloc[0]
    assert np.isnan(far["official"])
    assert np.isnan(far["premium"])
    near = cross_rate(two_currencies, series, tolerance="11D").iloc[0]
    assert near["official"] == 7.10


def test_cross_rate_errors(two_currencies):
    only_cny = two_currencies[two_currencies["currency"] == "CNY"]
    with pytest.raises(InsufficientDataError, match=(
            r"cross_rate needs at least one \(city, date\) with both a USD and a CNY rate; "
            r"rates has 0 USD and 2 CNY")):
        cross_rate(only_cny)
    with pytest.raises(NkfxValueError, match=(
            r"official must have columns 'date' and 'rate' \(CNY per USD\); missing "
            r"\['rate'\]")):
        cross_rate(two_currencies, pd.DataFrame({"date": ["2024-01-01"], "cny_usd": [7.1]}))
    with pytest.raises(NkfxTypeError, match=r"official must be a DataFrame with 'date' and 'rate'"):
        cross_rate(two_currencies, [7.1])  # type: ignore[arg-type]
    with pytest.raises(NkfxValueError, match=r"official 'rate' must hold finite positive numbers"):
        cross_rate(two_currencies, pd.DataFrame({"date": ["2024-01-01"], "rate": [-7.1]}))


def test_cross_rate_on_real_articles_and_official(shared_data):
    raw = pd.read_csv(shared_data / "observations_from_articles.csv", parse_dates=["date"])
    rates = pd.DataFrame({
        "date": raw["date"], "city": raw["city"], "currency": raw["currency"],
        "rate": raw["kpw_per_unit"].fillna((raw["kpw_low"] + raw["kpw_high"]) / 2),
        "source": raw["publisher"]})
    out = cross_rate(rates)
    hyesan = out[(out["city"] == "Hyesan")].set_index("date")
    # 2022-01-11: USD range 4000-5000 (midpoint 4500) over CNY median(620, 600) = 610
    assert hyesan.loc["2022-01-11", "implied"] == pytest.approx(4500 / 610)
    official = pd.read_csv(shared_data / "official_rates.csv", parse_dates=["date"])
    trade_bank = official[official["date"] == "2010-01-01"].set_index("currency")["kpw_per_unit"]
    cny_per_usd = trade_bank["USD"] / trade_bank["CNY"]
    assert cny_per_usd == pytest.approx(6.8239, abs=1e-4)  # 96.9 / 14.2


# --- city spread -----------------------------------------------------------------------------

def test_city_spread_matches_nearest_within_tolerance():
    rates = frame(["2022-12-04", "2022-12-06", "2023-01-20", "2022-12-20"],
                  [1120, 1000, 1100, 1010], city=["Hyesan", "Pyongyang", "Hyesan", "Pyongyang"])
    out = city_spread(rates)
    assert len(out) == 1
    assert out["spread"].iloc[0] == pytest.approx(np.log(1.12))
    assert out["days_apart"].iloc[0] == 2
    wide = city_spread(rates, tolerance="31D")
    assert wide["date_b"].dt.strftime("%m-%d").tolist() == ["12-06", "12-20"]
    np.testing.assert_allclose(wide["spread"], [np.log(1.12), np.log(1100 / 1010)])


def test_city_spread_on_daily_nk(shared_data):
    raw = pd.read_csv(shared_data / "dailynk_usd_kpw_by_city.csv", parse_dates=["time"])
    rates = pd.DataFrame({"date": raw["time"], "city": raw["entity"].str.title(),
                          "currency": "USD", "rate": raw["value"].astype(float),
                          "source": "Daily NK"})
    out = city_spread(rates, "Hyesan", "Pyongyang", currency="USD", tolerance="0D")
    assert len(out) == 343
    spike = out.set_index("date").loc["2010-03-03"]
    assert spike["spread"] == pytest.approx(np.log(2350 / 2300))


def test_city_spread_errors():
    rates = frame(["2022-12-04", "2022-12-06"], [1120, 1000], city=["Hyesan", "Pyongyang"])
    with pytest.raises(NkfxValueError, match=(
            r"b='Sinuiju' has no CNY rate; cities with CNY: \['Hyesan', 'Pyongyang'\]")):
        city_spread(rates, b="Sinuiju")
    with pytest.raises(NkfxValueError, match=r"currency must be one of \['CNY'\]; got 'USD'"):
        city_spread(rates, currency="USD")
    with pytest.raises(NkfxValueError, match=r"a and b must be two different cities; got 'Hyesan' twice"):
        city_spread(rates, "Hyesan", "Hyesan")


# --- rolling volatility ----------------------------------------------------------------------

def test_rolling_volatility_hand_computed():
    rates = frame(["2024-01-01", "2024-01-05", "2024-01-06", "2024-01-10", "2024-03-01"],
                  [100, 110, 105, 115, 115])
    out = rolling_volatility(rates, "30D", min_returns=2)
    c1, c2, c3 = np.log(1.1), np.log(105 / 110), np.log(115 / 105)
    assert out["n_returns"].tolist() == [0, 1, 2, 3, 1]
    np.testing.assert_allclose(
        out["volatility"],
        [np.nan, np.nan, np.sqrt((c1**2 + c2**2) / 5), np.sqrt((c1**2 + c2**2 + c3**2) / 9),
         np.nan])
    # the 51-day return alone is in the last window: zero change over 51 days
    assert rolling_volatility(rates, "30D", min_returns=1)["volatility"].iloc[4] == 0.0
    yearly = rolling_volatility(rates, "30D", per="year", min_returns=2)
    np.testing.assert_allclose(yearly["volatility"].iloc[3],
                               np.sqrt((c1**2 + c2**2 + c3**2) / 9 * 365.25))


def test_rolling_volatility_errors():
    rates = frame(["2024-01-01", "2024-01-05"], [100, 110])
    with pytest.raises(NkfxValueError, match=r"window must be a duration > 0; got '0D'"):
        rolling_volatility(rates, "0D")
    with pytest.raises(NkfxValueError, match=r"min_returns must be an int >= 1; got 0"):
        rolling_volatility(rates, min_returns=0)
    with pytest.raises(NkfxValueError, match=r"per must be one of 'day', 'year'; got 'week'"):
        rolling_volatility(rates, per="week")  # type: ignore[arg-type]


def test_cross_rate_takes_aware_official_dates_as_calendar_days() -> None:
    # issue 18: astype from aware to naive dates raised TypeError
    import nkfx

    raw = pd.DataFrame({"date": ["2010-01-01"] * 2, "city": "Hyesan", "currency": ["CNY", "USD"],
                        "source": "Daily NK", "rate": [700.0, 4900.0]})
    official = pd.Series([6.8], index=pd.DatetimeIndex(["2010-01-01 08:00"], tz="Asia/Seoul"))
    out = nkfx.cross_rate(nkfx.read_rates(raw).rates, official)
    assert out["official"].tolist() == [6.8]
    assert out["official_date"].tolist() == [pd.Timestamp("2010-01-01")]


def test_cross_rate_refuses_an_infinite_official_rate() -> None:
    # Found by the long fuzz (issue 18): inf passed the check and the premium was -inf.
    import numpy as np

    rates = pd.DataFrame({"date": pd.to_datetime(["2024-03-31"] * 2), "city": "Hyesan",
                          "currency": ["USD", "CNY"], "rate": [11500.0, 1610.0], "source": "x"})
    official = pd.DataFrame({"date": pd.to_datetime(["2024-03-29"]), "rate": [np.inf]})
    with pytest.raises(NkfxValueError, match=r"official 'rate' must hold finite positive numbers"):
        cross_rate(rates, official)


def test_cross_rate_refuses_undated_official_quotes() -> None:
    # Found by the long fuzz (issue 18): pandas' "Merge keys contain null values" escaped.
    rates = pd.DataFrame({"date": pd.to_datetime(["2024-03-31"] * 2), "city": "Hyesan",
                          "currency": ["USD", "CNY"], "rate": [11500.0, 1610.0], "source": "x"})
    official = pd.DataFrame({"date": pd.to_datetime(["2024-03-29", None]), "rate": [7.2, 7.3]})
    with pytest.raises(NkfxValueError, match=r"official dates must be dates; 1 are missing \(NaT\)"):
        cross_rate(rates, official)
