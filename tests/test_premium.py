"""Tests of nkfx.premium: hand-computed pairing, simulations with a known official change, real data."""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nkfx
from nkfx.datasets import load_official
from nkfx.premium import Premium, match_quotes, premium, premium_series

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "07-official-premium.ipynb"


def _market(dates: list[str], rates: list[float], city: str = "Hyesan", currency: str = "USD",
            **extra: object) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.to_datetime(dates), "city": city, "currency": currency,
                         "rate": rates, "source": "test", **extra})


QUOTES = pd.DataFrame({"date": pd.to_datetime(["2020-01-01", "2020-03-01"]), "currency": "USD",
                       "rate": [100.0, 120.0], "rate_type": "official"})


# ---------------------------------------------------------------- hand-computed cases


def test_asof_pairing_age_and_values() -> None:
    market = _market(["2019-12-31", "2020-01-01", "2020-02-29", "2020-03-01"],
                     [900.0, 1000.0, 1100.0, 1200.0])
    t = premium(market, QUOTES).table
    assert t["official"].isna().tolist() == [True, False, False, False]
    assert t["official"].tolist()[1:] == [100.0, 100.0, 120.0]
    used = t["official_date"].dt.strftime("%Y-%m-%d").tolist()[1:]
    assert used == ["2020-01-01", "2020-01-01", "2020-03-01"]
    assert t["official_age_days"].tolist() == [pd.NA, 0, 59, 0]
    np.testing.assert_allclose(t["premium"].to_numpy()[1:], np.log([10.0, 11.0, 10.0]))
    np.testing.assert_allclose(t["premium_pct"].to_numpy()[1:], [900.0, 1000.0, 900.0])
    np.testing.assert_allclose(t["ratio"].to_numpy()[1:], [10.0, 11.0, 10.0])
    assert math.isnan(t["premium"].iloc[0])


def test_nearest_pairing_takes_later_quotes_with_negative_age_and_ties_go_earlier() -> None:
    # 2020-01-31 is 30 days after the first quote and 30 days before the second: a tie
    market = _market(["2019-12-25", "2020-01-31", "2020-02-29"], [1000.0, 1000.0, 1200.0])
    t = premium(market, QUOTES, match="nearest").table
    assert t["official"].tolist() == [100.0, 100.0, 120.0]
    assert t["official_age_days"].tolist() == [-7, 30, -1]
    np.testing.assert_allclose(t["premium"], np.log([10.0, 10.0, 10.0]))


def test_max_age_cuts_the_premium_but_keeps_the_quote() -> None:
    market = _market(["2020-01-10", "2020-02-29"], [1000.0, 1100.0])
    t = premium(market, QUOTES, max_age="30D").table
    assert t["within_max_age"].tolist() == [True, False]
    assert t["official"].tolist() == [100.0, 100.0]  # the quote is still shown
    assert t["official_age_days"].tolist() == [9, 59]
    assert math.isclose(t["premium"].iloc[0], math.log(10.0))
    assert t[["premium", "premium_pct", "ratio"]].iloc[1].isna().all()
    res = premium(market, QUOTES, max_age=pd.Timedelta(days=59))
    assert res.table["within_max_age"].all()
    assert res.params["max_age"] == "59D"
    assert any("max_age 30D" in n for n in premium(market, QUOTES, max_age="30D").notes)


def test_nearest_age_limit_is_on_the_absolute_distance() -> None:
    market = _market(["2020-02-21"], [1200.0])  # 9 days before the second quote, 51 after the first
    t = premium(market, QUOTES, match="nearest", max_age="10D").table
    assert t["official_age_days"].tolist() == [-9]
    assert t["within_max_age"].tolist() == [True]


def test_quotes_are_never_carried_across_the_redenomination() -> None:
    quotes = pd.DataFrame({"date": pd.to_datetime(["2009-11-29", "2010-01-01"]), "currency": "USD",
                           "rate": [1.4, 96.9]})
    market = _market(["2009-11-22", "2009-12-15", "2010-01-04"], [38.45, 60.0, 133.0])
    asof = premium(market, quotes).table
    assert asof["official"].isna().tolist() == [True, True, False]  # 2009-12-15: nothing in force
    near = premium(market, quotes, match="nearest").table
    assert near["official"].tolist()[0] == 1.4  # the old quote, 7 days later, same era
    assert near["official_age_days"].tolist()[0] == -7
    assert near["official"].tolist()[1:] == [96.9, 96.9]  # never the old-won quote after the reform
    assert math.isclose(near["premium"].iloc[0], math.log(38.45 / 1.4))


def test_match_quotes_core() -> None:
    days, quotes = np.array([-3, 0, 4, 10, 30]), np.array([0, 10])
    assert match_quotes(days, quotes).tolist() == [-1, 0, 0, 1, 1]
    assert match_quotes(days, quotes, nearest=True).tolist() == [0, 0, 0, 1, 1]
    assert match_quotes(days, np.array([], dtype=np.int64)).tolist() == [-1] * 5
    assert match_quotes(days, np.array([], dtype=np.int64), nearest=True).tolist() == [-1] * 5
    assert match_quotes(days, quotes, split=5).tolist() == [-1, 0, 0, 1, 1]
    assert match_quotes(days, quotes, split=5, nearest=True).tolist() == [0, 0, 0, 1, 1]
    assert match_quotes(days, quotes, split=2).tolist() == [-1, 0, -1, 1, 1]


def test_reports_of_one_day_become_their_median_and_non_market_rows_are_counted() -> None:
    market = _market(["2020-01-05"] * 3 + ["2020-01-05"], [1000.0, 1100.0, 1300.0, 700.0],
                     rate_type=["market", "market", "market", "bank"])
    res = premium(market, QUOTES)
    row = res.table.iloc[0]
    assert (row["market"], row["n_reports"]) == (1100.0, 3)
    assert any("1 USD row(s) not of rate_type 'market' left out: {'bank': 1}" in n for n in res.notes)
    everything = premium(market, QUOTES, market_type=None).table.iloc[0]
    assert (everything["market"], everything["n_reports"]) == (1050.0, 4)


def test_rate_types_are_kept_apart() -> None:
    quotes = pd.concat([QUOTES, pd.DataFrame({"date": pd.to_datetime(["2020-02-01"]), "currency": "USD",
                                               "rate": [900.0], "rate_type": "state_exchange"})])
    market = _market(["2020-01-15", "2020-02-15"], [1000.0, 1000.0])
    res = premium(market, quotes, rate_type=["official", "state_exchange"])
    t = res.table
    assert t["rate_type"].tolist() == ["official", "official", "state_exchange", "state_exchange"]
    assert t["official"].tolist()[:2] == [100.0, 100.0]  # the state rate never enters "official"
    assert t["official"].isna().tolist()[2:] == [True, False]
    assert math.isclose(t["premium"].iloc[3], math.log(1000 / 900))
    assert res.series(rate_type="state_exchange").round(4).tolist() == [round(math.log(1000 / 900), 4)]


def test_official_as_a_series_and_without_rate_type() -> None:
    market = _market(["2020-01-10"], [1000.0])
    s = pd.Series([125.0], index=pd.to_datetime(["2020-01-01"]))
    assert premium(market, s).table["official"].tolist() == [125.0]
    res = premium(market, s, rate_type="state_exchange")
    assert res.table["rate_type"].tolist() == ["state_exchange"]
    no_type = premium(market, QUOTES.drop(columns="rate_type"))
    assert any("every quote taken as 'official'" in n for n in no_type.notes)


def test_inputs_are_not_modified() -> None:
    market = _market(["2020-01-05", "2020-03-09"], [1000.0, 1100.0])
    quotes = QUOTES.copy()
    before_m, before_q = market.copy(deep=True), quotes.copy(deep=True)
    premium(market, quotes, max_age="30D", match="nearest")
    pd.testing.assert_frame_equal(market, before_m)
    pd.testing.assert_frame_equal(quotes, before_q)


def test_result_api_summary_dict_html_series() -> None:
    market = pd.concat([_market(["2020-01-05", "2020-03-09"], [1000.0, 1100.0]),
                        _market(["2020-01-05"], [990.0], city=None)], ignore_index=True)
    res = premium(market, QUOTES)
    assert isinstance(res, Premium)
    d = res.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["table"][0]["official_date"] == "2020-01-01"
    assert d["official"][1]["date"] == "2020-03-01"
    text = res.summary()
    assert "Hyesan" in text
    assert "(no city)" in text
    assert "2020-03-01 120 (official)" in text
    assert res._repr_html_().startswith("<pre>Market premium")
    s = res.series("Hyesan", how="pct")
    assert s.index.tolist() == [pd.Timestamp("2020-01-05"), pd.Timestamp("2020-03-09")]
    np.testing.assert_allclose(s.to_numpy(), [900.0, 100 * (1100 / 120 - 1)])
    assert res.series("(no city)").round(4).tolist() == [round(math.log(9.9), 4)]
    frame = res.to_frame()
    frame.loc[0, "premium"] = 0.0  # a copy
    assert res.table.loc[0, "premium"] != 0.0


def test_series_keeps_missing_dates_on_request() -> None:
    market = _market(["2019-12-01", "2020-01-05"], [1000.0, 1100.0])
    assert premium_series(market, QUOTES).size == 1
    full = premium(market, QUOTES).series(dropna=False)
    assert full.size == 2
    assert math.isnan(full.iloc[0])


def test_plot_draws_rates_official_steps_and_premium() -> None:
    import matplotlib.pyplot as plt

    quotes = pd.concat([QUOTES, pd.DataFrame({"date": pd.to_datetime(["2020-02-01"]), "currency": "USD",
                                               "rate": [900.0], "rate_type": "state_exchange"})])
    market = _market(["2020-01-15", "2020-02-15", "2020-04-01"], [1000.0, 1000.0, 1100.0])
    res = premium(market, quotes, rate_type=["official", "state_exchange"])
    ax = res.plot()
    top = ax.figure.axes[0]
    assert top.get_yscale() == "log"
    labels = [t.get_text() for t in top.get_legend().get_texts()]
    assert labels == ["market (Hyesan)", "official rate in force (carried forward)", "official quotes (2)",
                      "state_exchange rate in force (carried forward)", "state_exchange quotes (1)"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["over official", "over state_exchange"]
    assert ax.get_shared_x_axes().joined(ax, top)
    plt.close(ax.figure)
    fig, pair = plt.subplots(2, 1)
    assert res.plot(pair, rate_type="official") is pair[1]
    with pytest.raises(nkfx.NkfxValueError, match="ax must hold 2 Axes; got 1"):
        res.plot(pair[0])
    plt.close(fig)


# ---------------------------------------------------------------- errors


def test_errors_name_the_argument_the_allowed_values_and_the_value() -> None:
    market = _market(["2020-01-05"], [1000.0])
    with pytest.raises(nkfx.NkfxValueError, match=r"currency 'KRW' has no official rate; "
                                                  r"currencies with one: \['CNY', 'EUR', 'USD'\]"):
        premium(market, currency="KRW")
    with pytest.raises(nkfx.NkfxValueError,
                       match=r"currency must be one of the currencies in rates \['USD'\]; got 'EUR'"):
        premium(market, currency="EUR")
    with pytest.raises(nkfx.NkfxValueError,
                       match=r"rate_type must be among the official concepts of CNY: \['official'\]; "
                             r"got 'state_exchange'"):
        premium(_market(["2020-01-05"], [150.0], currency="CNY"), currency="CNY", rate_type="state_exchange")
    with pytest.raises(nkfx.NkfxValueError, match=r"max_age must be a duration > 0; got '-5D'"):
        premium(market, max_age="-5D")
    with pytest.raises(nkfx.NkfxValueError, match=r"max_age must be a duration such as '30D'.*got 'soon'"):
        premium(market, max_age="soon")
    with pytest.raises(nkfx.NkfxValueError, match=r"match must be one of 'asof', 'nearest'; got 'last'"):
        premium(market, match="last")  # type: ignore[arg-type]
    with pytest.raises(nkfx.NkfxTypeError, match=r"rate_type must be an official concept .*got \[\]"):
        premium(market, rate_type=[])
    with pytest.raises(nkfx.NkfxTypeError,
                       match=r"market_type must be a rate_type such as 'market', or None; got int"):
        premium(market, market_type=1)  # type: ignore[arg-type]
    with pytest.raises(nkfx.InsufficientDataError, match=r"rates has no USD row of rate_type 'market'; "
                                                         r"rate types: \['bank'\]"):
        premium(market.assign(rate_type="bank"))


def test_errors_on_bad_official_quotes() -> None:
    market = _market(["2020-01-05"], [1000.0])
    with pytest.raises(nkfx.NkfxTypeError, match=r"official must be a DataFrame with 'date', 'currency' and "
                                                 r"'rate'.*got list"):
        premium(market, [100.0])  # type: ignore[arg-type]
    with pytest.raises(nkfx.NkfxValueError,
                       match=r"official must have columns 'date', 'currency' and 'rate'; "
                             r"missing \['currency'\]"):
        premium(market, QUOTES.drop(columns="currency"))
    with pytest.raises(nkfx.NkfxValueError,
                       match=r"positive 'rate'.*; row 1 has date 2020-03-01 00:00:00, rate -5.0$"):
        premium(market, QUOTES.assign(rate=[100.0, -5.0]))
    with pytest.raises(nkfx.NkfxValueError,
                       match=r"official must have a date and a finite positive 'rate' \(KPW per "
                             r"unit\) in every row; row 0 has date soon, rate 100.0$"):
        premium(market, QUOTES.assign(date=["soon", "later"]))
    with pytest.raises(nkfx.NkfxValueError, match=r"official has 2 quotes of one rate_type on one date "
                                                  r"\('official' on 2020-01-01\); keep one per date"):
        premium(market, QUOTES.assign(date=pd.to_datetime(["2020-01-01", "2020-01-01"])))
    s = pd.Series([125.0], index=pd.to_datetime(["2020-01-01"]))
    with pytest.raises(nkfx.NkfxValueError,
                       match=r"official as a Series holds one concept: pass one rate_type"):
        premium(market, s, rate_type=["official", "state_exchange"])
    with pytest.raises(nkfx.NkfxTypeError, match=r"official.index must be a DatetimeIndex \(quote dates\); "
                                                 r"got Index"):
        premium(market, pd.Series([125.0], index=[20200101]))
    with pytest.raises(nkfx.NkfxValueError, match=r"official 'date' must hold dates or date strings; "
                                                  r"got dtype int64"):
        premium(market, QUOTES.assign(date=[20200101, 20200301]))


def test_errors_of_the_series() -> None:
    market = pd.concat([_market(["2020-01-05"], [1000.0]), _market(["2020-01-05"], [1010.0], city="Sinuiju")])
    res = premium(market, QUOTES)
    with pytest.raises(nkfx.NkfxValueError, match=r"city must be one of \['Hyesan', 'Sinuiju'\] "
                                                  r"\(the premium has several cities\); got None"):
        res.series()
    with pytest.raises(nkfx.NkfxValueError,
                       match=r"city must be one of \['Hyesan', 'Sinuiju'\]; got 'Hamhung'"):
        res.series("Hamhung")
    with pytest.raises(nkfx.NkfxValueError, match=r"how must be one of 'log', 'pct', 'ratio'; got 'diff'"):
        res.series("Hyesan", how="diff")  # type: ignore[arg-type]
    with pytest.raises(nkfx.NkfxValueError, match=r"rate_type must be one of 'official'; got 'bank'"):
        res.series("Hyesan", rate_type="bank")
    both = premium(market, rate_type=["official", "state_exchange"])
    with pytest.raises(nkfx.NkfxValueError,
                       match=r"rate_type must be one of \['official', 'state_exchange'\] "
                             r"\(the premium has several official concepts\); got None"):
        both.series("Hyesan")
    with pytest.raises(nkfx.NkfxTypeError,
                       match=r"rate_type must be one official concept \(str\) for a series; got list"):
        premium_series(market, city="Hyesan", rate_type=["official"])  # type: ignore[arg-type]


# ---------------------------------------------------------------- bundled official rates


def test_bundled_official_rates_keep_sources_and_convert_old_won_explicitly() -> None:
    official = load_official()
    assert len(official) == 9
    assert official["url"].str.startswith("http").all()
    assert official["publisher"].str.len().gt(0).all()
    old = official[official["won_adjustment"] == "divided_by_100"]
    assert old["date"].dt.strftime("%Y-%m-%d").tolist() == ["2009-11-29"]
    assert old["rate"].tolist() == [1.4]
    assert old["rate_type_detail"].tolist() == ["official (old won)"]
    state = official[official["rate_type"] == "state_exchange"]
    assert state["rate"].tolist() == [8900.0, 19900.0]
    assert state["rate_type_detail"].tolist() == ["state-run market exchange",
                                                  "state-run bank exchange (posted daily ~10am)"]
    assert len(load_official(old_won="reject")) == 8
    with pytest.raises(nkfx.NkfxValueError, match=r"old_won must be one of 'divide', 'reject'; got 'keep'"):
        load_official(old_won="keep")  # type: ignore[arg-type]


def test_bundled_official_rates_match_the_shared_file(shared_data: Path) -> None:
    raw = pd.read_csv(shared_data / "official_rates.csv")
    official = load_official()
    assert official["rate_type_detail"].tolist() == raw["rate_type"].tolist()
    old = raw["rate_type"] == "official (old won)"
    expected = np.where(old, raw["kpw_per_unit"] / 100, raw["kpw_per_unit"])
    np.testing.assert_allclose(official["rate"], expected)
    assert official["url"].tolist() == raw["url"].tolist()


# ---------------------------------------------------------------- simulations with known truth


def _simulate(seed: int, n: int = 120, step: float = math.log(1.3),
              at: int = 70) -> tuple[pd.Series, pd.Series]:
    """Fortnightly market rate (random walk + noise) and an official rate that rises by ``step`` once.

    The official change is dated 3 days before market report ``at``: the premium's break lies
    between reports ``at - 1`` and ``at``.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2016-01-03", periods=n, freq="14D")
    level = np.log(8000) + np.cumsum(rng.normal(0, 0.01, n)) + rng.normal(0, 0.01, n)
    market = pd.Series(np.exp(level), index=dates)
    change = dates[at] - pd.Timedelta(days=3)
    official = pd.Series([100.0, 100.0 * math.exp(step)], index=pd.DatetimeIndex([dates[0], change]))
    return market, official


def _frame(market: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"date": market.index, "city": "Sim", "currency": "USD", "rate": market.to_numpy(),
                         "source": "sim"})


def _jump_dates(s: pd.Series, **kw: object) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nkfx.DataQualityWarning)
        b = nkfx.detect(s, **kw).breaks  # type: ignore[arg-type]
    return list(zip(b["last_old"], b["first_new"], strict=True))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_simulated_official_change_is_a_break_of_the_premium_only(seed: int) -> None:
    market, official = _simulate(seed)
    s = premium_series(_frame(market), official, how="ratio")
    truth = (market.index[69], market.index[70])
    assert truth in _jump_dates(s)
    assert truth not in _jump_dates(market)  # the market itself did not move
    np.testing.assert_allclose(np.log(s.iloc[70] / s.iloc[69]) - np.log(market.iloc[70] / market.iloc[69]),
                               -math.log(1.3))


@pytest.mark.parametrize("method", ["jumps", "bai-perron"])
def test_constant_official_rate_gives_the_market_breaks_exactly(method: str) -> None:
    market, _ = _simulate(4, step=0.0)
    market = market * np.exp(0.4 * (np.arange(market.size) >= 50))  # a market jump
    official = pd.Series([100.0], index=pd.DatetimeIndex([market.index[0]]))
    ratio = premium_series(_frame(market), official, how="ratio")
    log = premium_series(_frame(market), official, how="log")
    np.testing.assert_allclose(log.to_numpy(), np.log(market.to_numpy()) - math.log(100.0))
    expected = _jump_dates(market, method=method)
    assert (market.index[49], market.index[50]) in expected
    assert _jump_dates(ratio, method=method) == expected
    assert _jump_dates(log, method=method, scale="level") == expected


def test_event_study_on_the_simulated_premium_measures_the_official_step() -> None:
    market, official = _simulate(5)
    s = premium_series(_frame(market), official, how="ratio")
    day = official.index[1]
    event = pd.DataFrame({"id": ["official_change"], "start": [day], "status": ["confirmed"],
                          "scope": ["official"], "description": ["official rate +30%"], "source": ["sim"]})
    res = nkfx.event_study(s, event, before="90D", after="90D", n_placebo=200)
    row = res.results.iloc[0]
    assert abs(row.jump_log + math.log(1.3)) < 0.05
    assert row.change_lower < -math.log(1.3) < row.change_upper
    assert row.jump_placebo_pvalue < 0.05
    same = nkfx.event_study(market, event, before="90D", after="90D", n_placebo=200).results.iloc[0]
    assert abs(same.jump_log) < 0.05  # the market did not move


@pytest.mark.slow
def test_simulated_power_and_false_breaks_over_many_series() -> None:
    hits, extra, identical = 0, 0, 0
    n_sim = 200
    for seed in range(n_sim):
        market, official = _simulate(1000 + seed)
        found = _jump_dates(premium_series(_frame(market), official, how="ratio"))
        truth = (market.index[69], market.index[70])
        hits += truth in found
        extra += len([b for b in found if b != truth])
        flat = pd.Series([100.0], index=pd.DatetimeIndex([market.index[0]]))
        identical += _jump_dates(premium_series(_frame(market), flat, how="ratio")) == _jump_dates(market)
    assert hits / n_sim >= 0.95  # measured: 1.00 (a 30% official step, 1% noise; 13%: 0.99; 5%: 0.07)
    assert extra / n_sim <= 0.05  # measured: 0.000 other breaks per series
    assert identical == n_sim


# ---------------------------------------------------------------- real data


@pytest.fixture
def daily_nk(shared_data: Path) -> pd.DataFrame:
    return nkfx.read_rates(shared_data / "dailynk_usd_kpw_by_city.csv", currency="USD",
                           source_name="Daily NK", old_won="keep").rates


def _at(res: Premium, city: str, day: str, rate_type: str = "official") -> pd.Series:
    t = res.table
    return t[(t["city"] == city) & (t["date"] == day) & (t["rate_type"] == rate_type)].iloc[0]


def test_real_premium_of_the_stable_decade(daily_nk: pd.DataFrame) -> None:
    res = premium(daily_nk, rate_type=["official", "state_exchange"])
    for city in ("Pyongyang", "Sinuiju", "Hyesan"):
        row = _at(res, city, "2013-11-13")  # Reuters 2013-11-03: official 96 "vs market ~8000"
        assert row["official"] == 96.0
        assert row["official_age_days"] == 10
        assert abs(row["premium"] - math.log(83)) < 0.05
        row = _at(res, city, "2016-02-12")  # the Foreign Trade Bank board of 2016-01-28: 109.60
        assert row["official"] == 109.6
        assert row["official_age_days"] == 15
        assert abs(row["premium"] - math.log(8200 / 109.6)) < 0.02
    t = res.table
    decade = t[(t["rate_type"] == "official") & t["date"].between("2013-01-01", "2019-12-31")]
    assert decade["premium"].between(4.25, 4.65).all()  # about log(80) = 4.38 for seven years
    assert abs(decade["premium"].median() - math.log(80)) < 0.1
    first = _at(res, "Pyongyang", "2010-01-04")  # right after the reform: market near the official rate
    assert first["official"] == 96.9
    assert abs(first["premium"] - math.log(134 / 96.9)) < 1e-9


def test_real_state_exchange_rate_nearly_closes_the_premium(daily_nk: pd.DataFrame) -> None:
    res = premium(daily_nk, rate_type=["official", "state_exchange"])
    for city in ("Pyongyang", "Sinuiju", "Hyesan"):
        spring_2024 = _at(res, city, "2024-04-28", "state_exchange")  # 8,900 set April 2024
        assert spring_2024["official"] == 8900.0
        assert abs(spring_2024["premium"]) < 0.03
        before = _at(res, city, "2025-03-16", "state_exchange")  # still 8,900: the market ran away
        assert before["official"] == 8900.0
        assert 0.8 < before["premium"] < 0.85
        after = _at(res, city, "2025-03-30", "state_exchange")  # 19,900 posted 2025-03-25
        assert after["official"] == 19900.0
        assert 0.05 < after["premium"] < 0.08
        govt = _at(res, city, "2025-03-30")  # the government rate (~100) still exists in parallel
        assert govt["official"] == 100.0
        assert govt["official_age_days"] == 1263
        assert abs(govt["premium"] - math.log(212)) < 0.01
    # Daily NK's article: "market 21000 same evening" against 19,900: a premium of 5.4%
    pyongyang = _at(res, "Pyongyang", "2025-03-30", "state_exchange")["premium"]
    assert abs(math.log(21000 / 19900) - pyongyang) < 0.01


def test_real_premium_is_sparse_and_max_age_says_so(daily_nk: pd.DataFrame) -> None:
    res = premium(daily_nk)
    age = res.table["official_age_days"].dropna()
    assert int(age.max()) == 2076  # 2021-10-04 on the quote of 2016-01-28
    assert int(age.iloc[-1]) == 1809  # 2026-09-27 on the quote of 2021-10-14
    assert (age > 365).mean() > 0.75  # most premiums rest on a quote over a year old
    capped = premium(daily_nk, max_age="365D").table
    assert capped["premium"].notna().sum() == 225  # 75 dates a city within a year of a quote
    assert capped["official"].notna().sum() == res.table["official"].notna().sum() == 3 * 335


def test_real_breaks_of_the_premium(daily_nk: pd.DataFrame) -> None:
    market = nkfx.select(daily_nk, city="Pyongyang").set_index("date")["rate"]
    official = premium_series(daily_nk, city="Pyongyang", how="ratio")
    # the government rate barely moved (96.9, 96, 109.6, 100): the premium breaks where the market does
    assert _jump_dates(official) == _jump_dates(market[market.index >= "2010-01-04"])
    changes = pd.to_datetime(["2013-11-03", "2016-01-28", "2021-10-14"])  # 96.9 -> 96 -> 109.6 -> 100
    for method in ("jumps", "bai-perron", "pelt"):
        for _, first_new in _jump_dates(official, method=method):
            assert not ((first_new >= changes) & (first_new <= changes + pd.Timedelta("31D"))).any()
    state = premium_series(daily_nk, city="Pyongyang", rate_type="state_exchange", how="ratio")
    assert _jump_dates(state) == [(pd.Timestamp("2025-03-16"), pd.Timestamp("2025-03-30"))]
    eras = _jump_dates(state, method="bai-perron")
    assert (pd.Timestamp("2025-03-16"), pd.Timestamp("2025-03-30")) in eras


def test_real_event_study_of_the_premium(daily_nk: pd.DataFrame) -> None:
    market = nkfx.select(daily_nk, city="Pyongyang").set_index("date")["rate"]
    state = premium_series(daily_nk, city="Pyongyang", rate_type="state_exchange", how="ratio")
    prem = nkfx.event_study(state, "state_rate_near_market_2025", n_placebo=200).results.iloc[0]
    mkt = nkfx.event_study(market, "state_rate_near_market_2025", n_placebo=200).results.iloc[0]
    assert abs(prem.jump_log - math.log((21200 / 19900) / (20200 / 8900))) < 1e-9  # -0.756
    assert prem.jump_placebo_pvalue < 0.05
    assert abs(mkt.jump_log - math.log(21200 / 20200)) < 1e-9  # +0.048: the market barely moved
    assert mkt.jump_placebo_pvalue > 0.1
    # with a constant official rate the event study is the market's, number for number
    official = premium_series(daily_nk, city="Pyongyang", how="ratio")
    kw = {"before": "60D", "after": "60D", "n_placebo": 200}
    a = nkfx.event_study(official, "freight_train_resumes_2022", **kw).results.iloc[0]
    b = nkfx.event_study(market[official.index], "freight_train_resumes_2022", **kw).results.iloc[0]
    for col in ("jump_log", "change", "change_se", "placebo_pvalue", "jump_placebo_pvalue"):
        assert math.isclose(a[col], b[col], rel_tol=1e-9, abs_tol=1e-12)


def test_bundled_observations_premium() -> None:
    obs = nkfx.datasets.load_observations()
    res = premium(obs, rate_type=["official", "state_exchange"])
    assert any("row(s) not of rate_type 'market' left out" in n for n in res.notes)
    t = res.table
    row = t[(t["date"] == "2016-06-07") & (t["city"] == "Pyongyang") & (t["rate_type"] == "official")].iloc[0]
    assert row["official"] == 109.6
    assert abs(row["premium"] - math.log(8010 / 109.6)) < 1e-9
    cny = premium(obs, currency="CNY").table  # one CNY quote (14.2, 2010-01-01) carried for 15 years
    assert cny["official"].dropna().eq(14.2).all()
    assert int(cny["official_age_days"].max()) > 5000


def test_notebook_is_committed_without_outputs() -> None:
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert "assert" in code[-1].source


@pytest.mark.slow
def test_notebook_runs_and_states_its_facts(shared_data: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # the same kernel set-up as tests/test_notebooks.py (this interpreter, whatever python3 is)
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    spec = tmp_path / "kernels" / "nkfx-premium-test"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "nkfx tests",
                                                  "language": "python"}), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="nkfx-premium-test",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    last = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    assert last.startswith("checked: premium 2013-11-13 4.435 | state-run premium jump -0.756")


def test_premium_of_a_tiny_market_rate_is_finite() -> None:
    # log(market / official) was -inf when the ratio underflowed to 0 (issue 18). read_rates
    # now quarantines such a rate as implausible; a frame built by hand can still hold it.
    raw = pd.DataFrame({"date": pd.to_datetime(["2010-01-01"]), "city": "Hyesan", "currency": "USD",
                        "source": "Daily NK", "rate": [5e-324]})
    res = nkfx.premium(raw, pd.Series([100.0], index=pd.to_datetime(["2010-01-01"])))
    assert res.to_frame()["premium"].iloc[0] == pytest.approx(np.log(5e-324) - np.log(100.0))


def test_premium_takes_aware_official_dates_as_calendar_days() -> None:
    # pandas refused astype from aware to naive dates (TypeError, issue 18)
    raw = pd.DataFrame({"date": pd.to_datetime(["2010-01-01"]), "city": "Hyesan", "currency": "USD",
                        "source": "Daily NK", "rate": [8000.0]})
    official = pd.Series([100.0], index=pd.DatetimeIndex(["2009-12-31 23:00"], tz="Asia/Seoul"))
    frame = nkfx.premium(nkfx.read_rates(raw).rates, official).to_frame()
    assert frame["official_date"].iloc[0] == pd.Timestamp("2009-12-31")
    assert frame["premium"].iloc[0] == pytest.approx(np.log(80.0))


def test_an_infinite_official_quote_is_refused() -> None:
    # Found by the long fuzz (issue 18): an official rate of inf gave a premium of -inf.
    raw = pd.DataFrame({"date": pd.to_datetime(["2010-01-01"]), "city": "Hyesan", "currency": "CNY",
                        "source": "Daily NK", "rate": [14.0]})
    with pytest.raises(nkfx.NkfxValueError, match="official must have a date and a finite positive 'rate'"):
        nkfx.premium(raw, pd.Series([np.inf], index=pd.to_datetime(["2010-01-01"])), currency="CNY")


def test_an_overflowing_ratio_is_nan_and_the_log_premium_exact() -> None:
    # Found by the long fuzz (issue 18): 1e300 over 1e-10 gave ratio and premium_pct inf.
    raw = pd.DataFrame({"date": pd.to_datetime(["2010-01-01"]), "city": "Hyesan", "currency": "USD",
                        "source": "Daily NK", "rate": [1e300]})
    row = nkfx.premium(raw, pd.Series([1e-10], index=pd.to_datetime(["2010-01-01"]))).to_frame().iloc[0]
    assert np.isnan(row["ratio"])
    assert np.isnan(row["premium_pct"])
    assert row["premium"] == pytest.approx(np.log(1e300) - np.log(1e-10))
