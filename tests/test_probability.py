"""change_probability: the pandas layer of BOCPD."""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from nkfx.detect._bocpd import Prior, bocpd, window_probability
from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError
from nkfx.events.probability import ChangeProbability, change_probability


def irregular_step(rng: np.random.Generator, *, n: int = 80, at: str = "2021-06-01",
                   jump: float = 0.3, sd: float = 0.01) -> pd.Series:
    gaps = rng.integers(7, 29, size=n)
    dates = pd.Timestamp("2019-01-01") + pd.to_timedelta(np.cumsum(gaps), unit="D")
    y = 8.9 + jump * (dates >= pd.Timestamp(at)) + rng.normal(0, sd, n)
    return pd.Series(np.exp(y), index=dates, name="usd")


def test_step_found_at_the_right_date(rng: np.random.Generator) -> None:
    s = irregular_step(rng)
    res = change_probability(s)
    first_new = s.index[s.index >= "2021-06-01"][0]
    assert res.probability.idxmax() == first_new
    assert res.probability[first_new] > 0.99
    assert res.probability.drop(first_new).max() < 0.2
    assert math.isnan(res.probability.iloc[0])
    assert res.window(first_new - pd.Timedelta("10D"), first_new) > 0.99
    assert res.window("2019-03-01", "2020-12-31") < 0.2
    # the same numbers as the numeric core on the log rates with the same prior and hazard
    core = bocpd(np.log(s.to_numpy()), res.hazard.to_numpy(), Prior(**res.params["prior"]), max_run=1000)
    np.testing.assert_allclose(res.probability.to_numpy()[1:], core.change_smoothed[1:])
    k = s.index.get_loc(first_new)
    assert res.window(s.index[k - 3], s.index[k + 2]) == pytest.approx(window_probability(core, k - 3, k + 2))
    # the pruning is reported: threshold, mass dropped (here well below the threshold's scale)
    assert res.params["threshold"] == 1e-9
    assert res.params["mass_dropped"] == pytest.approx(core.mass_dropped)
    assert 0.0 <= res.params["mass_dropped_max"] <= res.params["mass_dropped"] < 1e-4
    assert "filtering mass dropped" in res.summary()


def test_gap_aware_hazard_makes_a_change_more_probable_over_a_long_gap() -> None:
    # same values, one with a six-week silence before the shift, one with a one-week gap
    values = np.exp(np.r_[np.full(12, 9.0) + np.tile([0.01, -0.01], 6), 9.03, 9.05, 9.04, 9.05])
    weekly = pd.date_range("2023-01-01", periods=16, freq="7D")
    long_gap = weekly.where(weekly < weekly[12], weekly + pd.Timedelta("35D"))
    short = change_probability(pd.Series(values, index=weekly), expected_run="365D")
    long = change_probability(pd.Series(values, index=long_gap), expected_run="365D")
    assert long.hazard.iloc[12] == pytest.approx(1 - math.exp(-42 / 365))
    assert short.hazard.iloc[12] == pytest.approx(1 - math.exp(-7 / 365))
    assert long.probability.iloc[12] > short.probability.iloc[12]
    # a constant per-observation hazard ignores the gap
    const = change_probability(pd.Series(values, index=long_gap), hazard=1 / 26)
    assert const.hazard.iloc[1:].eq(1 / 26).all()
    assert const.params["hazard_rule"] == "constant 0.03846 per observation"


def test_filtering_versus_smoothing(rng: np.random.Generator) -> None:
    s = irregular_step(rng)
    filt = change_probability(s, smooth=False)
    smooth = change_probability(s)
    pd.testing.assert_series_equal(filt.probability, filt.filtered, check_names=False)
    pd.testing.assert_series_equal(smooth.filtered, filt.filtered)
    # hindsight confirms the shift: the later observations of the new level support it
    k = int(np.nanargmax(smooth.probability.to_numpy()))
    assert smooth.probability.iloc[k] > filt.probability.iloc[k]
    assert smooth.probability.iloc[k] > 0.99


def test_returns_model_sees_a_volatility_change(rng: np.random.Generator) -> None:
    dates = pd.date_range("2015-01-04", periods=200, freq="14D")
    sd = np.where(dates < "2019-01-01", 0.005, 0.05)
    s = pd.Series(np.exp(8.9 + np.cumsum(rng.normal(0, sd))), index=dates)
    res = change_probability(s, model="returns", expected_run="720D")
    assert len(res.values) == 199
    assert res.window("2018-11-01", "2019-03-01") > 0.9
    assert res.window("2016-01-01", "2017-12-31") < 0.2


def test_rate_frame_input_with_medians_per_date() -> None:
    rates = pd.DataFrame({
        "date": pd.to_datetime(["2022-01-02", "2022-01-02", "2022-01-16", "2022-01-30", "2022-01-02"]),
        "city": ["Hyesan", "Hyesan", "Hyesan", "Hyesan", "Sinuiju"],
        "currency": ["USD"] * 5, "rate": [4700.0, 4900.0, 4750.0, 6800.0, 4600.0],
        "source": ["a", "b", "a", "a", "a"]})
    res = change_probability(rates, city="Hyesan", currency="USD")
    assert res.values.iloc[0] == pytest.approx(math.log(4800.0))
    assert res.notes == ("1 value(s) sharing a date with another were combined: median per date",)
    assert res.values.name == "Hyesan/USD"
    with pytest.raises(NkfxValueError, match=r"holds 2 series .*Hyesan/USD, Sinuiju/USD.*pass city="):
        change_probability(rates)


def test_result_methods(rng: np.random.Generator) -> None:
    res = change_probability(irregular_step(rng))
    assert isinstance(res, ChangeProbability)
    frame = res.to_frame()
    assert list(frame.columns) == ["date", "value", "probability", "filtered", "hazard", "expected_run"]
    text = res.summary()
    assert "dates with P(change) >= 0.5: 2021-06" in text
    assert "ChangeProbability('usd', n=80" in repr(res)
    assert math.isnan(res.window("2030-01-01", "2030-02-01"))
    assert "<pre>" in res._repr_html_()
    out = json.loads(json.dumps(res.to_dict()))
    assert out["table"][0]["probability"] is None  # NaN on the first date
    assert out["params"]["prior"]["alpha0"] == 1.0
    ax = res.plot()
    assert ax.get_ylabel() == "posterior probability of a change"
    plt.close(ax.figure)


def test_errors(rng: np.random.Generator) -> None:
    s = irregular_step(rng, n=10)
    with pytest.raises(NkfxValueError, match=r"give either hazard= .* or expected_run= .*, not both"):
        change_probability(s, hazard=0.1, expected_run="90D")
    with pytest.raises(NkfxValueError, match="hazard must be a probability strictly between 0 and 1; got 2"):
        change_probability(s, hazard=2)
    with pytest.raises(NkfxValueError, match="expected_run must be a duration"):
        change_probability(s, expected_run="often")
    with pytest.raises(NkfxValueError,
                       match=r"prior keys must be among mu0, kappa0, alpha0, beta0; got \['sigma'\]"):
        change_probability(s, prior={"sigma": 1.0})
    with pytest.raises(NkfxValueError, match=r"prior\['beta0'\] must be > 0; got -1.0"):
        change_probability(s, prior={"beta0": -1.0})
    with pytest.raises(NkfxValueError, match="model='returns' needs scale='log'"):
        change_probability(s, model="returns", scale="level")
    with pytest.raises(NkfxValueError, match="model must be one of 'level', 'returns'; got 'trend'"):
        change_probability(s, model="trend")  # type: ignore[arg-type]
    with pytest.raises(NkfxValueError, match="max_run must be a positive integer or None; got 0"):
        change_probability(s, max_run=0)
    with pytest.raises(InsufficientDataError, match="at least 3 modelled values; got 2"):
        change_probability(s.iloc[:2])
    with pytest.raises(NkfxTypeError, match="series must have a DatetimeIndex; got RangeIndex"):
        change_probability(pd.Series([1.0, 2.0, 3.0]))
    with pytest.raises(NkfxTypeError,
                       match="must be a pandas Series indexed by date or a rate frame; got list"):
        change_probability([1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(NkfxValueError, match=r"must be > 0 on the log scale; got -5\.0 on"):
        change_probability(s.where(s.index != s.index[3], -5.0))
    res = change_probability(s)
    with pytest.raises(NkfxValueError, match="end must be on or after start"):
        res.window("2021-01-01", "2020-01-01")


def test_prior_override_is_used(rng: np.random.Generator) -> None:
    res = change_probability(irregular_step(rng, n=20), prior={"mu0": 9.0, "alpha0": 2.0})
    assert res.params["prior"]["mu0"] == 9.0
    assert res.params["prior"]["alpha0"] == 2.0


def dailynk(shared_data: Path, city: str) -> pd.Series:
    d = pd.read_csv(shared_data / "dailynk_usd_kpw_by_city.csv", parse_dates=["time"])
    s = d.loc[d["entity"] == city].set_index("time")["value"]
    return s[s > 0]  # the redenomination week is a 0 in the sheet


@pytest.mark.parametrize("city", ["pyongyang", "sinuiju", "hyesan"])
def test_dailynk_change_near_the_2024_crackdown(shared_data: Path, city: str) -> None:
    res = change_probability(dailynk(shared_data, city))
    # the crackdown began around May 26; the survey jumps from ~8,900 (May 26) to ~12,000 (June 9)
    assert res.window("2024-05-15", "2024-06-30") > 0.99
    assert res.probability["2024-06-09"] > 0.99
    assert res.window("2022-01-01", "2022-02-28") > 0.99  # freight restart
    # the quiet first half of 2018 (dollar ~8,000) shows no change
    assert res.window("2018-01-01", "2018-06-30") < 0.05
