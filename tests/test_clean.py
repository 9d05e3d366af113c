"""Tests of nkfx.clean: combine, source_bias, flag, drop_flagged."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from nkfx.clean import SourceBias, combine, drop_flagged, flag, source_bias
from nkfx.errors import DataQualityWarning, NkfxTypeError, NkfxValueError, NkfxWarning


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


def articles(shared_data) -> pd.DataFrame:
    """observations_from_articles.csv as a rate frame (ranges: rate = midpoint)."""
    raw = pd.read_csv(shared_data / "observations_from_articles.csv", parse_dates=["date"])
    rate = raw["kpw_per_unit"].fillna((raw["kpw_low"] + raw["kpw_high"]) / 2)
    return pd.DataFrame({
        "date": raw["date"], "city": raw["city"], "currency": raw["currency"],
        "rate": rate.astype(float), "source": raw["publisher"], "rate_low": raw["kpw_low"],
        "rate_high": raw["kpw_high"], "date_precision": raw["date_precision"],
        "rate_type": raw["rate_type"], "region": raw["region"], "row": np.arange(len(raw)),
        "note": raw["note"],
    })


def daily_nk_usd(shared_data) -> pd.DataFrame:
    raw = pd.read_csv(shared_data / "dailynk_usd_kpw_by_city.csv", parse_dates=["time"])
    return pd.DataFrame({"date": raw["time"], "city": raw["entity"].str.title(),
                         "currency": "USD", "rate": raw["value"].astype(float),
                         "source": "Daily NK"})


# --- combine ---------------------------------------------------------------------------------

@pytest.fixture
def conflicting():
    # one date and city, three outlets that disagree (one gives a range), plus a lone row
    return frame(["2024-01-01"] * 3 + ["2024-01-08"], [100, 110, 130, 120],
                 source=["B", "A", "C", "D"], rate_low=[95, np.nan, np.nan, np.nan],
                 rate_high=[105, np.nan, np.nan, np.nan], row=[7, 3, 5, 9],
                 date_precision=["day", "day", "approx-day", "day"])


def test_combine_median_keeps_count_sources_and_spread(conflicting):
    before = conflicting.copy()
    out = combine(conflicting)
    pd.testing.assert_frame_equal(conflicting, before)
    assert len(out) == 2
    first = out.iloc[0]
    assert first["rate"] == 110.0
    assert first["n_obs"] == 3
    assert first["n_sources"] == 3
    assert first["sources"] == "A; B; C"
    assert first["source"] == "A; B; C"
    assert first["spread"] == pytest.approx(0.3)
    assert (first["rate_low"], first["rate_high"]) == (95.0, 130.0)
    assert first["rows"] == "3; 5; 7"
    assert first["date_precision"] == "approx-day; day"
    second = out.iloc[1]
    assert (second["rate"], second["n_sources"], second["spread"]) == (120.0, 1, 0.0)


def test_combine_mean_and_priority(conflicting):
    assert combine(conflicting, how="mean")["rate"].iloc[0] == pytest.approx(340 / 3)
    by_c = combine(conflicting, how="priority", priority=["C", "A"])
    assert by_c["rate"].tolist() == [130.0, 120.0]  # D is not listed but is alone on 01-08
    assert by_c["source"].tolist() == ["C", "D"]
    assert by_c["sources"].iloc[0] == "A; B; C"
    # unlisted sources rank after listed ones, alphabetically: A before B
    assert combine(conflicting, how="priority", priority=["D"])["rate"].iloc[0] == 110.0


def test_combine_priority_takes_median_of_repeated_source():
    rates = frame(["2024-01-01"] * 3, [100, 104, 90], source=["A", "A", "B"])
    assert combine(rates, how="priority", priority=["A"])["rate"].item() == 102.0


def test_combine_missing_city_is_its_own_group():
    rates = frame(["2024-01-01"] * 4, [100, 110, 80, 90], city=["Hyesan", "Hyesan", None, None],
                  source=["A", "B", "A", "B"])
    out = combine(rates)
    assert len(out) == 2
    assert out["rate"].tolist() == [105.0, 85.0]
    assert out["city"].iloc[0] == "Hyesan"
    assert pd.isna(out["city"].iloc[1])


def test_combine_errors(conflicting):
    with pytest.raises(NkfxValueError, match=(
            r"priority names sources not in rates: \['Z'\]; sources present are \['A', 'B', "
            r"'C', 'D'\]")):
        combine(conflicting, how="priority", priority=["A", "Z"])
    with pytest.raises(NkfxValueError, match=r"how='priority' needs priority="):
        combine(conflicting, how="priority")
    with pytest.raises(NkfxValueError, match=r"priority is only used with how='priority'; got how='median'"):
        combine(conflicting, priority=["A"])
    with pytest.raises(NkfxValueError, match=r"how must be one of 'median', 'mean', 'priority'; got 'max'"):
        combine(conflicting, how="max")  # type: ignore[arg-type]
    with pytest.raises(NkfxTypeError, match=r"rates must be a rate frame"):
        combine("rates.csv")  # type: ignore[arg-type]


def test_combine_conflicts_rows_of_the_articles(shared_data):
    rates = articles(shared_data)
    conflicts = rates[rates["note"].str.contains("CONFLICTS", na=False)]
    assert len(conflicts) == 18
    out = combine(conflicts)
    # only the two Asia Press versions of the 2019-08-06 survey share (date, city, currency)
    assert len(out) == 17
    survey = out[(out["date"] == "2019-08-06") & out["city"].isna()].iloc[0]
    assert survey["rate"] == 9553.0  # median of 9463 (Japanese) and 9643 (English)
    assert survey["n_sources"] == 2
    assert survey["sources"] == "Asia Press (Japanese); Asia Press (Rimjin-gang)"
    assert survey["spread"] == pytest.approx(9643 / 9463 - 1)
    assert survey["rows"] == "58; 59"  # 0-based data rows (file lines 60, 61)


def test_combine_all_articles_keeps_every_row(shared_data):
    rates = articles(shared_data)
    out = combine(rates)
    assert out["n_obs"].sum() == len(rates) == 255
    hyesan = out[(out["city"] == "Hyesan") & (out["currency"] == "CNY")].set_index("date")
    assert hyesan.loc["2022-01-11", "rate"] == 610.0  # Daily NK 620 vs its mirror 600
    assert hyesan.loc["2024-03-31", "rate"] == 1615.0  # 1610 vs 1620
    assert hyesan.loc["2024-03-31", "sources"] == "Daily NK; Daily NK (mirror cashinsight.co.uk)"


# --- source bias -----------------------------------------------------------------------------

def test_source_bias_hand_computed():
    rates = frame(["2024-01-01", "2024-01-15", "2024-02-01", "2024-01-03", "2024-01-15",
                   "2024-01-29"], [1000, 1100, 1200, 1100, 1320, 1440],
                  source=["Daily NK"] * 3 + ["Asia Press"] * 3)
    bias = source_bias(rates, tolerance="3D")
    row = bias.table.set_index("source").loc["Asia Press"]
    # pairs: 1100/1000, 1320/1100, 1440/1200 -> log ratios log 1.1, log 1.2, log 1.2
    assert row["n_pairs"] == 3
    assert row["log_ratio"] == pytest.approx(np.log(1.2))
    assert row["ratio_pct"] == pytest.approx(20.0)
    assert row["ci_low"] == pytest.approx(np.log(1.1))
    assert row["ci_high"] == pytest.approx(np.log(1.2))
    assert bias.table["source"].tolist() == ["Daily NK", "Asia Press"]


def test_source_bias_recovers_simulated_15_percent(rng):
    from nkfx.datasets import simulate

    sim = simulate(seed=11, sources={"Daily NK": 0.0, "Asia Press": np.log(1.15)})
    bias = source_bias(sim.rates, seed=int(rng.integers(1000)))
    row = bias.table.set_index("source").loc["Asia Press"]
    assert row["ci_low"] < np.log(1.15) < row["ci_high"]
    assert row["ci_high"] - row["ci_low"] < 0.02
    assert row["ratio_pct"] == pytest.approx(15.0, abs=1.0)
    assert row["n_pairs"] > 100


def test_source_bias_is_reproducible_and_reports():
    rates = frame(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22"] * 2,
                  [100, 102, 104, 103, 110, 113, 114, 114], source=["R"] * 4 + ["S"] * 4)
    one, two = source_bias(rates, reference="R", seed=3), source_bias(rates, reference="R", seed=3)
    pd.testing.assert_frame_equal(one.to_frame(), two.to_frame())
    assert isinstance(one, SourceBias)
    assert "Source bias vs 'R'" in one.summary()
    assert "<table" in one._repr_html_()
    assert one.plot().get_xlabel() == "level vs R (%)"
    as_dict = one.to_dict()
    assert as_dict["reference"] == "R"
    assert as_dict["table"][1]["source"] == "S"
    assert as_dict["table"][1]["n_pairs"] == 4
    import json

    json.dumps(as_dict)


def test_source_without_overlap_gets_nan_factor_and_note():
    rates = frame(["2024-01-01", "2024-01-02", "2024-06-01"], [100, 115, 90],
                  source=["Daily NK", "Asia Press", "Lonely"])
    bias = source_bias(rates)
    lonely = bias.table.set_index("source").loc["Lonely"]
    assert np.isnan(lonely["factor"])
    assert lonely["n_pairs"] == 0
    assert lonely["note"].startswith("no overlap: no report within 7 days of a 'Daily NK'")
    assert bias.table.set_index("source").loc["Asia Press", "note"] == "only 1 pair(s): no interval"
    with pytest.warns(DataQualityWarning, match=r"no bias factor for sources \['Lonely'\]"):
        adjusted = bias.adjust(rates)
    assert adjusted["rate"].tolist() == pytest.approx([100.0, 100.0, 90.0])
    assert adjusted["bias_factor"].iloc[:2].tolist() == pytest.approx([1.0, 1.15])
    assert np.isnan(adjusted["bias_factor"].iloc[2])
    with pytest.raises(NkfxValueError, match=r"no bias factor for sources \['Lonely'\].*unknown='warn'"):
        bias.adjust(rates, unknown="raise")


def test_adjust_divides_ranges_and_does_not_mutate():
    rates = frame(["2024-01-01", "2024-01-01"], [100, 120], source=["Daily NK", "Asia Press"],
                  rate_low=[np.nan, 110.0], rate_high=[np.nan, 130.0])
    before = rates.copy()
    adjusted = source_bias(rates).adjust(rates)
    pd.testing.assert_frame_equal(rates, before)
    assert adjusted.loc[1, ["rate", "rate_low", "rate_high"]].tolist() == pytest.approx(
        [100.0, 110 / 1.2, 130 / 1.2])


def test_source_bias_errors():
    rates = frame(["2024-01-01", "2024-01-01"], [100, 120], source=["A", "B"])
    with pytest.raises(NkfxValueError, match=(
            r"reference must be one of the sources \['A', 'B'\]; got 'Daily NK'")):
        source_bias(rates)
    with pytest.raises(NkfxValueError, match=r"confidence must be in \(0, 1\); got 1.5"):
        source_bias(rates, reference="A", confidence=1.5)
    with pytest.raises(NkfxValueError, match=r"n_boot must be >= 100; got 10"):
        source_bias(rates, reference="A", n_boot=10)
    with pytest.raises(NkfxValueError, match=r"tolerance must be a duration >= 0; got '-1D'"):
        source_bias(rates, reference="A", tolerance="-1D")


# --- flag ------------------------------------------------------------------------------------

def fortnightly(values, city="Hyesan", start="2024-01-07"):
    dates = pd.date_range(start, periods=len(values), freq="14D")
    return frame(dates, values, city=city)


WIGGLE = [0, 0.01, 0, 0.01, 0, None, 0, 0.01, 0, 0.01, 0]


def test_flag_outlier_with_hand_computed_z():
    logs = [0.51 if v is None else v for v in WIGGLE]
    rates = fortnightly(1000 * np.exp(logs))
    out = flag(rates)
    assert out["flag"].tolist() == [i == 5 for i in range(11)]
    # changes: +-0.01 eight times and +-0.51 once each: median 0, MAD 0.01, so the
    # robust sd per sqrt-day is 1.4826 * 0.01 / sqrt(14); z = 0.51 / (1.4826 * 0.01) = 34.4
    assert out["flag_reason"].iloc[5] == "outlier: log deviation 0.51 from neighbours (robust z = 34.4)"
    assert out.index.equals(rates.index)


def test_level_shift_confirmed_by_following_reports_is_not_flagged():
    logs = [0, 0.01, 0, 0.01, 0, 0.5, 0.51, 0.5, 0.51, 0.5, 0.51]
    assert not flag(fortnightly(1000 * np.exp(logs)))["flag"].any()


@pytest.mark.parametrize(("factor", "label"), [(100, "×100"), (0.01, "÷100"), (10, "×10")])
def test_flag_unit_slips(factor, label):
    values = [800.0, 805.0, 810.0, 812.0, 806.0, 815.0, 820.0]
    values[3] *= factor
    out = flag(fortnightly(values))
    assert out["flag"].tolist() == [False, False, False, True, False, False, False]
    assert out["flag_reason"].iloc[3] == f"unit slip: {label} vs neighbours"


def test_slip_at_the_start_of_a_series():
    out = flag(fortnightly([80500.0, 805.0, 810.0, 812.0]))
    assert out["flag"].tolist() == [True, False, False, False]


def test_stale_quotes():
    values = [800, 810, 820, 820, 820, 820, 820, 820, 830, 835]
    out = flag(fortnightly(values))
    assert out["flag"].tolist() == [False] * 3 + [True] * 5 + [False] * 2
    assert out["flag_reason"].iloc[3] == "stale: same value on 6 consecutive reports over 70 days"
    # four repeats (56 days) are not stale by default, but are with looser thresholds
    short = fortnightly([800, 820, 820, 820, 820, 830])
    assert not flag(short)["flag"].any()
    assert flag(short, stale_min_reports=4, stale_min_days=42)["flag"].sum() == 3


def test_spike_confirmed_by_another_city_is_not_flagged():
    logs = [0.51 if v is None else v for v in WIGGLE]
    one = fortnightly(1000 * np.exp(logs), city="Hyesan")
    other = fortnightly(900 * np.exp(np.asarray(logs) * 0.9), city="Sinuiju")
    assert flag(one)["flag"].sum() == 1
    both = pd.concat([one, other], ignore_index=True)
    assert not flag(both)["flag"].any()
    # moves three weeks apart do not confirm each other with the default 7-day window
    shifted = other.assign(date=other["date"] + pd.Timedelta(days=21))
    apart = flag(pd.concat([one, shifted], ignore_index=True))
    assert apart.loc[apart["flag"], "city"].tolist() == ["Hyesan", "Sinuiju"]
    assert not flag(pd.concat([one, shifted], ignore_index=True), confirm_window="21D")[
        "flag"].any()


def test_real_march_2010_spike_is_not_flagged(shared_data):
    rates = daily_nk_usd(shared_data)
    assert not flag(rates)["flag"].any()
    # even as a one-date spike (drop 2010-03-08) it is confirmed by the other cities...
    spike = rates[rates["date"] != "2010-03-08"]
    assert not flag(spike)["flag"].any()
    # ...but Pyongyang alone, with no other city to confirm it, is an outlier
    alone = flag(spike[spike["city"] == "Pyongyang"]).set_index("date")
    assert alone.loc["2010-03-03", "flag_reason"] == (
        "outlier: log deviation 1.30 from neighbours (robust z = 30.4)")


def test_flag_on_simulator_catches_slips_and_outliers():
    from nkfx.datasets import simulate

    sim = simulate(seed=1)
    out = flag(sim.rates)
    anomalies = sim.anomalies.assign(caught=sim.anomalies["row"].map(out["flag"]))
    rate = anomalies.groupby("kind")["caught"].mean()
    assert rate["unit_slip_x100"] == 1.0
    assert rate["unit_slip_div100"] == 1.0
    assert rate["outlier"] >= 0.9
    false_flags = out["flag"].sum() - anomalies["caught"].sum()
    assert false_flags <= 2
    slipped = out.loc[sim.anomalies.loc[sim.anomalies["kind"] == "unit_slip_x100", "row"]]
    assert (slipped["flag_reason"] == "unit slip: ×100 vs neighbours").all()


def test_flag_errors():
    rates = fortnightly([800, 805, 810])
    with pytest.raises(NkfxValueError, match=r"outlier_threshold must be > 0; got -1"):
        flag(rates, outlier_threshold=-1)
    with pytest.raises(NkfxTypeError, match=r"stale_min_reports must be an int; got float"):
        flag(rates, stale_min_reports=5.0)  # type: ignore[arg-type]
    with pytest.raises(NkfxValueError, match=r"confirm_window must be a duration >= 0; got '-7D'"):
        flag(rates, confirm_window="-7D")
    with pytest.raises(NkfxValueError, match=r"by must include 'currency'"):
        flag(rates, by=("city",))


def test_short_series_never_flagged():
    assert not flag(fortnightly([800.0, 80000.0]))["flag"].any()


# --- drop_flagged ----------------------------------------------------------------------------

def test_drop_flagged_says_how_many():
    values = [800, 805, 810, 81200, 806, 815, 820]
    flagged = flag(fortnightly(values))
    with pytest.warns(NkfxWarning, match=r"drop_flagged removed 1 of 7 rows \(unit slip: 1\)"):
        kept = drop_flagged(flagged)
    assert kept["rate"].tolist() == [800, 805, 810, 806, 815, 820]
    assert kept.index.tolist() == [0, 1, 2, 4, 5, 6]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(drop_flagged(kept)) == 6  # nothing flagged: no warning
    with pytest.raises(NkfxValueError, match=r"frame has no 'flag' column; call nkfx.flag"):
        drop_flagged(fortnightly(values))


def test_source_bias_normal_approximation_for_many_pairs(rng):
    n = 6000
    dates = list(pd.Timestamp("2000-01-01") + pd.to_timedelta(np.arange(n), unit="D"))
    covered, ses = 0, []
    for _ in range(40):  # coverage of the 95% interval over seeded replications
        reference = 1000 * np.exp(rng.normal(0, 0.2, n))
        other = reference * 1.15 * np.exp(rng.normal(0, 0.02, n))
        rates = frame(dates * 2, np.r_[reference, other], source=["R"] * n + ["S"] * n)
        row = source_bias(rates, reference="R", tolerance="0D").table.set_index("source").loc["S"]
        assert row["interval"] == "normal approximation"
        assert row["n_pairs"] == n
        covered += row["ci_low"] < np.log(1.15) < row["ci_high"]
        ses.append(row["se"])
    assert 34 <= covered <= 40
    assert np.mean(ses) == pytest.approx(np.sqrt(np.pi / 2) * 0.02 / np.sqrt(n), rel=0.05)
