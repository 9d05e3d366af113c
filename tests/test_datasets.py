import numpy as np
import pandas as pd
import pytest

from nkfx.datasets import Break, load_events, simulate
from nkfx.errors import NkfxTypeError, NkfxValueError


def test_events_catalogue_has_known_dates_and_statuses():
    events = load_events()
    assert len(events) == 25
    assert events["id"].is_unique
    assert set(events["status"]) == {"confirmed", "reported", "rumour"}
    by_id = events.set_index("id")
    assert by_id.loc["redenomination_2009", "start"] == pd.Timestamp("2009-11-30")
    assert by_id.loc["freight_train_resumes_2022", "start"] == pd.Timestamp("2022-01-16")
    assert by_id.loc["hyesan_customs_rumour_2022", "status"] == "rumour"
    assert by_id.loc["hyesan_customs_rumour_2022", "status_detail"] == "rumour/report"
    # single-day events get end == start, ranges keep their end
    assert by_id.loc["covid_tourist_ban_2020", "end"] == pd.Timestamp("2020-01-22")
    assert by_id.loc["freight_train_suspended_2022", "end"] == pd.Timestamp("2022-09-26")
    assert events["url"].str.startswith("http").all()


def test_simulate_is_deterministic_and_seed_sensitive():
    a, b, c = simulate(seed=3), simulate(seed=3), simulate(seed=4)
    pd.testing.assert_frame_equal(a.rates, b.rates)
    assert not a.rates["rate"].equals(c.rates["rate"])


def test_simulate_truth_matches_the_data():
    sim = simulate(seed=7, outlier_prob=0.0, slip_prob=0.0, noise_sd=0.0,
                   sources={"Daily NK": 0.0})
    r = sim.rates
    hy = r[(r["city"] == "Hyesan") & (r["currency"] == "CNY")].set_index("date")["rate"]
    # Hyesan yuan: base 1000 * exp(0.02), -10% log at 2020-02-01, +25% at 2022-11-25, +35% at 2024-06-01
    base = 1000 * np.exp(0.02)
    assert hy[:"2020-01-31"].eq(round(base)).all()
    assert hy["2020-02-01":"2022-11-24"].eq(round(base * np.exp(-0.10))).all()
    assert hy["2022-11-25":"2024-05-31"].eq(round(base * np.exp(0.15))).all()
    assert hy["2024-06-01":].eq(round(base * np.exp(0.50))).all()
    # Pyongyang yuan has no customs-rumour break
    pyc = sim.truth.query("city == 'Pyongyang' and currency == 'CNY'")
    assert pyc["date"].dt.year.tolist() == [2020, 2024]


def test_simulate_anomalies_are_where_it_says():
    sim = simulate(seed=11, outlier_prob=0.02, slip_prob=0.02)
    an = sim.anomalies
    assert len(an) > 10
    ratio = an["rate"].to_numpy() / sim.rates.loc[an["row"], "true_rate"].to_numpy()
    slips_up = an["kind"].to_numpy() == "unit_slip_x100"
    slips_dn = an["kind"].to_numpy() == "unit_slip_div100"
    assert np.all((ratio[slips_up] > 70) & (ratio[slips_up] < 140))
    assert np.all((ratio[slips_dn] > 0.007) & (ratio[slips_dn] < 0.014))
    clean = ~sim.rates["row"].isin(an["row"])
    log_err = np.log(sim.rates.loc[clean, "rate"] / sim.rates.loc[clean, "true_rate"])
    assert abs(log_err.std() - 0.02) < 0.004  # noise_sd (plus rounding to whole won)


def test_simulate_sources_have_their_bias():
    sim = simulate(seed=5, outlier_prob=0.0, slip_prob=0.0)
    r = sim.rates.sort_values("date")
    assert sorted(r["source"].unique()) == ["Asia Press", "Daily NK"]
    # outlets keep their own calendars: pair each Asia Press quote with Daily NK's within 7 days
    ap, dn = (r[r["source"] == s] for s in ("Asia Press", "Daily NK"))
    pairs = pd.merge_asof(ap, dn, on="date", by=["city", "currency"], direction="nearest",
                          tolerance=pd.Timedelta("7D"), suffixes=("_ap", "_dn")).dropna(subset=["rate_dn"])
    assert len(pairs) > 100
    log_ratio = np.log(pairs["rate_ap"] / pairs["rate_dn"])
    assert abs(np.median(log_ratio) - 0.15) < 0.01


def test_simulate_gaps_are_irregular_with_long_silences():
    sim = simulate(seed=2, long_gap_prob=0.05, sources={"Daily NK": 0.0})
    dates = sim.rates["date"].drop_duplicates().sort_values()
    gaps = dates.diff().dt.days.dropna()
    assert gaps.min() >= 1
    assert 10 < gaps.median() < 18
    assert gaps.max() >= 60


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"start": "2020-01-01", "end": "2019-01-01"}, NkfxValueError, "end must be after start"),
        ({"currencies": ("EUR",)}, NkfxValueError, "currencies must be among 'CNY', 'USD'; got 'EUR'"),
        ({"outlier_prob": 1.5}, NkfxValueError, r"outlier_prob must be in \[0, 1\); got 1.5"),
        ({"sources": {}}, NkfxValueError, "sources must name at least one outlet"),
        ({"mean_gap_days": 0}, NkfxValueError, "mean_gap_days must be > 0; got 0"),
        ({"seed": 1.5}, NkfxTypeError, "seed must be an int; got float"),
        ({"breaks": [("2020-01-01", 0.1)]}, NkfxTypeError, "breaks must hold nkfx.datasets.Break"),
        ({"start": "not a date"}, NkfxValueError, "start must be a date; got 'not a date'"),
    ],
)
def test_simulate_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        simulate(**kwargs)


def test_custom_breaks_apply_only_where_scoped():
    sim = simulate(seed=1, breaks=[Break("2021-01-01", 0.5, city="Sinuiju", currency="USD")],
                   noise_sd=0.0, outlier_prob=0.0, slip_prob=0.0, sources={"Daily NK": 0.0})
    assert sim.truth[["city", "currency"]].drop_duplicates().values.tolist() == [["Sinuiju", "USD"]]
    r = sim.rates
    py = r[(r["city"] == "Pyongyang") & (r["currency"] == "USD")]["rate"]
    assert py.nunique() == 1
