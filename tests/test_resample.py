"""Tests of nkfx.resampling.resample: hand-computed calendars, the simulator, real Daily NK data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError, SchemaError
from nkfx.resampling import STATUSES, Resampled, resample


def frame(dates, rates, city="Hyesan", currency="CNY", source="Daily NK"):
    n = len(dates)
    return pd.DataFrame({
        "date": pd.to_datetime(dates),
        "city": city if isinstance(city, list) else [city] * n,
        "currency": currency if isinstance(currency, list) else [currency] * n,
        "rate": np.asarray(rates, dtype=float),
        "source": source if isinstance(source, list) else [source] * n,
    })


def daily_nk_usd(shared_data) -> pd.DataFrame:
    raw = pd.read_csv(shared_data / "dailynk_usd_kpw_by_city.csv", parse_dates=["time"])
    return pd.DataFrame({"date": raw["time"], "city": raw["entity"].str.title(),
                         "currency": "USD", "rate": raw["value"].astype(float),
                         "source": "Daily NK"})


# --- hand-computed ---------------------------------------------------------------------------

def test_geometric_interpolation_over_four_weeks():
    out = resample(frame(["2024-01-07", "2024-02-04"], [100, 400]))
    assert out["date"].dt.strftime("%m-%d").tolist() == ["01-07", "01-14", "01-21", "01-28", "02-04"]
    np.testing.assert_allclose(out["rate"], [100, 141.421356, 200, 282.842712, 400], rtol=1e-7)
    assert out["status"].tolist() == ["observed", "filled", "filled", "filled", "observed"]
    assert out["n_obs"].tolist() == [1, 0, 0, 0, 1]
    assert out["days_to_obs"].tolist() == [0, 7, 14, 7, 0]
    assert list(out.columns) == ["date", "city", "currency", "source", "rate", "status", "n_obs",
                                 "days_to_obs"]


def test_interpolation_uses_bin_dates_and_elapsed_time():
    # 100 on Tue 2024-01-02 (bin 01-07), 800 on Sun 2024-01-28 (bin 01-28): 3 weeks apart
    out = resample(frame(["2024-01-02", "2024-01-28"], [100, 800]))
    np.testing.assert_allclose(out["rate"], [100, 200, 400, 800])
    # nearest real observation to Sunday 01-07 is Tuesday 01-02 (5 days)
    assert out["days_to_obs"].tolist() == [5, 12, 7, 0]


@pytest.mark.parametrize(("how", "expected"), [("median", 120.0), ("mean", 380.0 / 3),
                                               ("first", 110.0), ("last", 150.0)])
def test_aggregation_in_one_bin(how, expected):
    # three reports in the week ending Sun 2024-01-14, given out of date order
    rates = frame(["2024-01-12", "2024-01-09", "2024-01-10", "2024-01-21"],
                  [150, 110, 120, 200])
    out = resample(rates, how=how)
    assert out["rate"].iloc[0] == pytest.approx(expected)
    assert out["status"].tolist() == ["aggregated", "observed"]
    assert out["n_obs"].tolist() == [3, 1]
    assert out["days_to_obs"].tolist() == [2, 0]


def test_gap_longer_than_max_gap_stays_missing():
    rates = frame(["2024-01-07", "2024-03-03"], [100, 400])  # 56 days apart
    out = resample(rates, max_gap="35D")
    assert out["status"].tolist() == ["observed"] + ["missing"] * 7 + ["observed"]
    assert out["rate"].iloc[1:8].isna().all()
    filled = resample(rates, max_gap="56D")
    assert (filled["status"].iloc[1:8] == "filled").all()
    np.testing.assert_allclose(filled["rate"].iloc[4], 200.0)


def test_gap_is_measured_between_real_observations_not_bins():
    # Mon 01-01 (bin 01-07) and Sun 02-04: 34 days apart although the bins are 28 apart
    rates = frame(["2024-01-01", "2024-02-04"], [100, 400])
    assert (resample(rates, max_gap="34D")["status"].iloc[1:4] == "filled").all()
    assert (resample(rates, max_gap="33D")["status"].iloc[1:4] == "missing").all()


def test_interpolate_false_and_zero_gap_never_fill():
    rates = frame(["2024-01-07", "2024-01-21"], [100, 400])
    for out in (resample(rates, interpolate=False), resample(rates, max_gap="0D")):
        assert out["status"].tolist() == ["observed", "missing", "observed"]
        assert np.isnan(out["rate"].iloc[1])


@pytest.mark.parametrize(("freq", "labels"), [
    ("W-WED", ["2024-01-03", "2024-01-10", "2024-01-17"]),
    ("W", ["2024-01-07", "2024-01-14", "2024-01-21"]),
    ("MS", ["2024-01-01"]),
    ("ME", ["2024-01-31"]),
    ("QS", ["2024-01-01"]),
])
def test_calendar_labels(freq, labels):
    out = resample(frame(["2024-01-02", "2024-01-15"], [100, 121]), freq)
    assert out["date"].dt.strftime("%Y-%m-%d").tolist() == labels


def test_daily_calendar_and_month_days_to_obs():
    out = resample(frame(["2024-01-01", "2024-01-04"], [100, 1000]), "D")
    np.testing.assert_allclose(out["rate"], [100, 215.443469, 464.158883, 1000])
    assert out["days_to_obs"].tolist() == [0, 1, 1, 0]
    month = resample(frame(["2024-01-20", "2024-02-03"], [100, 110]), "MS")
    assert month["days_to_obs"].tolist() == [19, 2]  # 01-01 -> 01-20; 02-01 -> 02-03


def test_missing_city_is_its_own_series_and_sources_are_listed():
    rates = frame(["2024-01-07", "2024-01-14", "2024-01-07", "2024-01-14"], [100, 110, 90, 95],
                  city=["Hyesan", "Hyesan", None, None], source=["B", "A", "C", "C"])
    out = resample(rates)
    assert len(out) == 4
    assert out["city"].isna().sum() == 2
    assert out.loc[out["city"] == "Hyesan", "source"].unique().tolist() == ["A; B"]
    by_source = resample(rates, by=("city", "currency", "source"))
    assert len(by_source) == 4
    assert "source" in by_source


def test_input_not_mutated():
    rates = frame(["2024-01-07", "2024-02-04"], [100, 400])
    before = rates.copy()
    resample(rates, wide=False)
    pd.testing.assert_frame_equal(rates, before)


# --- wide and alignment ------------------------------------------------------------------------

def test_wide_aligns_cities_on_one_calendar():
    rates = frame(["2024-01-07", "2024-01-21", "2024-01-14", "2024-01-28"], [100, 400, 50, 50],
                  city=["Hyesan", "Hyesan", "Sinuiju", "Sinuiju"])
    res = resample(rates, wide=True)
    assert isinstance(res, Resampled)
    assert res.rates.index.strftime("%m-%d").tolist() == ["01-07", "01-14", "01-21", "01-28"]
    assert list(res.rates.columns) == ["Hyesan", "Sinuiju"]
    np.testing.assert_allclose(res.rates["Hyesan"].iloc[:3], [100, 200, 400])
    assert res.status["Hyesan"].tolist() == ["observed", "filled", "observed", "missing"]
    assert res.status["Sinuiju"].tolist() == ["missing", "observed", "filled", "observed"]
    assert np.isnan(res.rates.loc["2024-01-28", "Hyesan"])
    assert res.counts().loc["filled"].tolist() == [1, 1]
    assert "2 cities" in res.summary()
    assert "<table" in res._repr_html_()
    pd.testing.assert_frame_equal(res.to_frame(), resample(rates))
    assert res.plot().get_ylabel() == "KPW per CNY"
    as_dict = res.to_dict()
    assert as_dict["counts"]["Hyesan"] == {"observed": 2, "aggregated": 0, "filled": 1,
                                           "missing": 1}
    assert as_dict["rows"][1] == {"date": "2024-01-14", "city": "Hyesan", "currency": "CNY",
                                  "source": "Daily NK", "rate": pytest.approx(200.0),
                                  "status": "filled", "n_obs": 0, "days_to_obs": 7}
    import json

    json.dumps(as_dict)


def test_wide_needs_one_currency():
    rates = frame(["2024-01-07", "2024-01-14"], [100, 7000], currency=["CNY", "USD"])
    with pytest.raises(NkfxValueError, match=r"wide=True needs rates of one currency; got \['CNY', 'USD'\]"):
        resample(rates, wide=True)
    with pytest.raises(NkfxValueError, match=r"by must be \('city', 'currency'\)"):
        resample(rates, wide=True, by=("city", "currency", "source"))


# --- bad input -----------------------------------------------------------------------------

def test_errors_name_argument_and_allowed_values():
    rates = frame(["2024-01-07", "2024-02-04"], [100, 400])
    with pytest.raises(NkfxValueError, match=r"freq must be one of 'D', 'W', 'W-MON'.*'QS'; got 'weekly'"):
        resample(rates, "weekly")
    with pytest.raises(NkfxTypeError, match=r"freq must be a string such as 'W-SUN'; got int"):
        resample(rates, 7)  # type: ignore[call-overload]
    with pytest.raises(NkfxValueError, match=(
            r"how must be one of 'median', 'mean', 'last', 'first'; got 'max'")):
        resample(rates, how="max")  # type: ignore[call-overload]
    with pytest.raises(NkfxValueError, match=r"max_gap must be a duration >= 0; got '-7D'"):
        resample(rates, max_gap="-7D")
    with pytest.raises(NkfxValueError, match=r"max_gap must be a duration such as '30D'"):
        resample(rates, max_gap="soon")
    with pytest.raises(NkfxValueError, match=r"by must include 'currency'"):
        resample(rates, by=("city",))
    with pytest.raises(NkfxValueError, match=r"by names columns not in the frame: \['province'\]"):
        resample(rates, by=("province", "currency"))
    with pytest.raises(NkfxTypeError, match=r"interpolate must be True or False; got str"):
        resample(rates, interpolate="yes")  # type: ignore[call-overload]


def test_not_a_rate_frame():
    with pytest.raises(NkfxTypeError, match=r"rates must be a rate frame .*; got list"):
        resample([1, 2, 3])  # type: ignore[call-overload]
    with pytest.raises(SchemaError, match=r"missing required column 'rate'"):
        resample(frame(["2024-01-07", "2024-02-04"], [100, 400]).drop(columns="rate"))


def test_single_observation_and_all_missing_city():
    with pytest.raises(InsufficientDataError, match=(
            r"resample needs at least 2 observations in rates; got 1")):
        resample(frame(["2024-01-07"], [100]))
    rates = frame(["2024-01-07", "2024-01-14", "2024-01-07"], [100, 110, np.nan],
                  city=["Hyesan", "Hyesan", "Sinuiju"])
    with pytest.raises(NkfxValueError, match=(
            r"no valid rate for city='Sinuiju', currency='CNY' \(all 1 rows missing\)")):
        resample(rates)


# --- simulator -------------------------------------------------------------------------------

@pytest.fixture
def simulated():
    from nkfx.datasets import simulate

    return simulate(seed=7, start="2019-01-01", end="2023-12-31").rates


def test_simulator_filled_never_observed_and_counts_add_up(simulated):
    out = resample(simulated, "W-SUN", max_gap="35D")
    assert set(out["status"].astype(str)) <= set(STATUSES)
    filled = out["status"] == "filled"
    assert (out.loc[filled, "n_obs"] == 0).all()
    assert filled.any()
    assert (out.loc[out["status"] == "observed", "n_obs"] == 1).all()
    assert (out.loc[out["status"] == "aggregated", "n_obs"] > 1).all()
    assert out["n_obs"].sum() == len(simulated)
    assert out.loc[out["status"] == "missing", "rate"].isna().all()
    assert out.loc[out["status"] != "missing", "rate"].notna().all()
    # an empty bin is filled exactly when the real reports around it are <= 35 days apart
    for (city, currency), series in out.groupby(["city", "currency"]):
        mine = simulated[(simulated["city"] == city) & (simulated["currency"] == currency)]
        obs = np.sort(mine["date"].to_numpy().astype("datetime64[D]").astype(np.int64))
        empty = series[series["n_obs"] == 0]
        label = empty["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
        gap = obs[np.searchsorted(obs, label, "right")] - obs[np.searchsorted(obs, label) - 1]
        np.testing.assert_array_equal(empty["status"] == "filled", gap <= 35)


@pytest.mark.parametrize("freq", ["W-SUN", "W-THU", "MS", "ME", "QS", "D"])
def test_occupied_bins_match_pandas(simulated, freq):
    pandas_freq = {"MS": "MS", "ME": "ME", "QS": "QS"}.get(freq, freq)
    expected = (simulated.groupby(["city", "currency", pd.Grouper(key="date", freq=pandas_freq)])
                ["rate"].median())
    out = resample(simulated, freq)
    got = out[out["n_obs"] > 0].set_index(["city", "currency", "date"])["rate"]
    got.index = got.index.set_levels(got.index.levels[2].astype(expected.index.levels[2].dtype),
                                     level=2)
    pd.testing.assert_series_equal(got, expected, check_names=False)


def test_days_to_obs_matches_brute_force(simulated):
    part = simulated[(simulated["city"] == "Hyesan") & (simulated["currency"] == "CNY")]
    out = resample(part, "W-TUE")
    obs = np.sort(part["date"].unique().to_numpy().astype("datetime64[D]").astype(np.int64))
    labels = out["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    brute = np.abs(labels[:, None] - obs[None, :]).min(axis=1)
    np.testing.assert_array_equal(out["days_to_obs"].to_numpy(), brute)


# --- real data: Daily NK market survey, KPW per USD --------------------------------------------

def test_daily_nk_weekly_median_per_city(shared_data):
    rates = daily_nk_usd(shared_data)
    out = resample(rates, "W-SUN", how="median", max_gap="35D")
    week = out.set_index(["city", "date"])
    # week ending Sunday 2010-01-10 holds the reports of 01-04 and 01-06
    jan10 = week.xs(pd.Timestamp("2010-01-10"), level="date")
    assert jan10["rate"].to_dict() == {"Hyesan": 131.5, "Pyongyang": 127.0, "Sinuiju": 126.0}
    assert (jan10["status"] == "aggregated").all()
    assert (jan10["n_obs"] == 2).all()
    # the post-reform spike is kept: 2300 in Pyongyang in the week ending 2010-03-07
    assert week.loc[("Pyongyang", pd.Timestamp("2010-03-07")), "rate"] == 2300.0
    # between 495 (Mon 02-08, bin 02-14) and 500 (Tue 02-23, bin 02-28): midpoint filled
    feb21 = week.loc[("Pyongyang", pd.Timestamp("2010-02-21"))]
    assert feb21["status"] == "filled"
    assert feb21["rate"] == pytest.approx(np.sqrt(495 * 500))
    assert (out.groupby("city")["n_obs"].sum() == 343).all()
    assert out["status"].value_counts()["aggregated"] == 3  # only the week of 2010-01-10


def test_daily_nk_long_silence_stays_missing(shared_data):
    rates = daily_nk_usd(shared_data)
    pyongyang = rates[rates["city"] == "Pyongyang"].sort_values("date")
    gaps = pyongyang["date"].diff().dt.days
    start = pyongyang["date"].iloc[int(np.argmax(gaps.to_numpy(na_value=0))) - 1]
    end = start + pd.Timedelta(days=int(gaps.max()))
    out = resample(pyongyang, "W-SUN")
    inside = out[(out["date"] > start + pd.Timedelta(days=7)) & (out["date"] < end)]
    assert gaps.max() == 76
    assert len(inside) >= 8
    assert (inside["status"] == "missing").all()


def test_many_short_series_on_a_long_daily_calendar():
    # 2000 series of two reports each, spread over 16 years: the sparse aggregation path
    n = 2000
    day = np.repeat(np.arange(n) * 3, 2) + np.tile([0, 2], n)
    rates = frame(pd.Timestamp("2010-01-01") + pd.to_timedelta(day, unit="D"),
                  np.tile([100.0, 400.0], n), city=[f"c{i:04d}" for i in np.repeat(np.arange(n), 2)])
    out = resample(rates, "D")
    assert len(out) == 3 * n
    assert out["status"].value_counts().to_dict() == {"observed": 2 * n, "filled": n,
                                                      "aggregated": 0, "missing": 0}
    np.testing.assert_allclose(out.loc[out["status"] == "filled", "rate"], 200.0)


def test_first_and_last_break_ties_by_input_order():
    rates = frame(["2024-01-10", "2024-01-10", "2024-01-10"], [1, 2, 3])
    assert resample(pd.concat([rates, frame(["2024-01-21"], [9])]), how="first")["rate"].iloc[0] == 1
    assert resample(pd.concat([rates, frame(["2024-01-21"], [9])]), how="last")["rate"].iloc[0] == 3


def test_daily_nk_through_read_rates_gives_the_same_weeks(shared_data):
    import nkfx

    ingest = nkfx.read_rates(shared_data / "dailynk_usd_kpw_by_city.csv", currency="USD",
                             source_name="Daily NK", old_won="keep")
    assert len(ingest.rates) == 3 * 343
    via_nkfx = resample(ingest.rates, "W-SUN")
    via_pandas = resample(daily_nk_usd(shared_data), "W-SUN")
    np.testing.assert_allclose(via_nkfx["rate"], via_pandas["rate"])
    assert via_nkfx["status"].tolist() == via_pandas["status"].tolist()


def test_codes_remembered_by_read_rates_do_not_outlive_an_edit(tmp_path):
    # read_rates() hands its city codes to resample() for speed; an edited column must
    # be grouped afresh, never with the stale codes of the original.
    import nkfx

    path = tmp_path / "r.csv"
    pd.DataFrame({
        "date": ["2022-01-03", "2022-01-04", "2022-01-05", "2022-01-06"],
        "city": ["Hyesan", "Hyesan", "Sinuiju", "Sinuiju"],
        "rate": [800.0, 820.0, 900.0, 920.0],
    }).to_csv(path, index=False)
    rates = nkfx.read_rates(path, currency="CNY", source_name="Daily NK").rates
    weekly = nkfx.resample(rates, "W-SUN", max_gap="7D")
    assert sorted(weekly["city"]) == ["Hyesan", "Sinuiju"]
    edited = rates.copy()
    edited.loc[edited.index[2:], "city"] = "Hyesan"
    weekly = nkfx.resample(edited, "W-SUN", max_gap="7D")
    assert weekly["city"].tolist() == ["Hyesan"]
    assert weekly["rate"].tolist() == [860.0]  # median of 800, 820, 900, 920
    assert weekly["n_obs"].tolist() == [4]


def test_iso_csv_with_one_empty_date_quarantines_it(tmp_path):
    import nkfx

    path = tmp_path / "r.csv"
    path.write_text("date,city,rate\n2022-01-03,Hyesan,800\n,Hyesan,810\n2022-01-17,Hyesan,820\n")
    ingest = nkfx.read_rates(path, currency="CNY", source_name="Daily NK")
    assert len(ingest.rates) == 2
    assert ingest.quarantine[["row", "column", "reason"]].values.tolist() == [[1, "date", "date is missing"]]
