"""The pandas layer of break detection: input checks, dates in and out, known truths."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import nkfx
from nkfx.detect import chow_test, detect, sup_f_test
from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError


def irregular_dates(rng: np.random.Generator, n: int, start: str = "2015-01-01") -> pd.DatetimeIndex:
    """Strictly increasing dates with gaps of 1 to 20 days (like the real surveys)."""
    gaps = rng.integers(1, 21, size=n)
    gaps[0] = 0
    return pd.Timestamp(start) + pd.to_timedelta(np.cumsum(gaps), unit="D")


def step_series(
    rng: np.random.Generator, sizes: list[int], log_levels: list[float], sd: float = 0.02
) -> pd.Series:
    """Rates whose log is piecewise constant with N(0, sd) noise, on irregular dates."""
    y = np.concatenate([np.full(s, lv) for s, lv in zip(sizes, log_levels, strict=True)])
    y = y + rng.normal(0.0, sd, size=y.size)
    return pd.Series(np.exp(y), index=irregular_dates(rng, y.size), name="rate")


@pytest.fixture
def two_breaks(rng: np.random.Generator) -> pd.Series:
    # true breaks after observations 39 and 89 (last_old positions)
    return step_series(rng, [40, 50, 40], [8.5, 8.8, 8.6])


# --------------------------------------------------------------------------- bad input


def test_rejects_non_series() -> None:
    with pytest.raises(NkfxTypeError, match=r"data must be a pandas Series .* got list"):
        detect([1.0, 2.0, 3.0], method="bai-perron")  # type: ignore[arg-type]


def test_rejects_non_datetime_index() -> None:
    with pytest.raises(NkfxTypeError, match=r"must have a DatetimeIndex \(dates\); got RangeIndex"):
        detect(pd.Series(np.arange(1.0, 50.0)), method="bai-perron")


def test_rejects_non_numeric_values(rng: np.random.Generator) -> None:
    s = pd.Series(["a"] * 30, index=irregular_dates(rng, 30))
    with pytest.raises(NkfxTypeError, match=r"data must hold numbers; got dtype"):
        detect(s, method="bai-perron")


def test_rejects_empty_series() -> None:
    with pytest.raises(InsufficientDataError, match=r"data is empty"):
        detect(pd.Series([], index=pd.DatetimeIndex([]), dtype=float), method="bai-perron")


def test_rejects_nat_in_index() -> None:
    idx = pd.DatetimeIndex(["2020-01-01", None, "2020-01-03"])
    with pytest.raises(NkfxValueError, match=r"missing dates \(NaT\) at positions \[1\]"):
        detect(pd.Series([1.0, 2.0, 3.0], index=idx), method="bai-perron")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_rejects_missing_and_infinite_values_naming_dates(two_breaks: pd.Series, bad: float) -> None:
    s = two_breaks.copy()
    s.iloc[[3, 10]] = bad
    d3, d10 = (s.index[i].date().isoformat() for i in (3, 10))
    with pytest.raises(NkfxValueError, match=rf"2 missing or infinite values \(at {d3}, {d10}\)"):
        detect(s, method="bai-perron")


def test_rejects_unsorted_dates_naming_first_out_of_order(two_breaks: pd.Series) -> None:
    idx = two_breaks.index.tolist()
    idx[5], idx[6] = idx[6], idx[5]
    s = pd.Series(two_breaks.to_numpy(), index=pd.DatetimeIndex(idx))
    bad, before = idx[6].date().isoformat(), idx[5].date().isoformat()
    with pytest.raises(
        NkfxValueError, match=rf"dates are not sorted: {bad} \(position 6\) comes after {before}"
    ):
        detect(s, method="bai-perron")


def test_duplicate_dates_take_their_median_and_say_so(two_breaks: pd.Series) -> None:
    # One rule for several values on a date in every analysis (issue 15): their median, noted.
    idx = two_breaks.index.tolist()
    idx[8] = idx[7]
    s = pd.Series(two_breaks.to_numpy(), index=pd.DatetimeIndex(idx))
    res = detect(s, method="bai-perron")
    by_hand = detect(s.groupby(level=0).median(), method="bai-perron")
    assert res.notes[0] == "1 value(s) sharing a date with another were combined: median per date"
    assert res.notes[1:] == by_hand.notes
    pd.testing.assert_frame_equal(res.breaks, by_hand.breaks)
    assert res.series.index.is_unique
    assert len(res.series) == len(s) - 1
    assert s.index.has_duplicates  # the input is left as it was
    test = chow_test(s, at=s.index[20])
    assert test.notes[0] == res.notes[0]
    assert test.statistic == pytest.approx(chow_test(s.groupby(level=0).median(), at=s.index[20]).statistic)


def test_rejects_non_positive_values_on_log_scale(two_breaks: pd.Series) -> None:
    s = two_breaks.copy()
    s.iloc[0] = 0.0
    day = s.index[0].date().isoformat()
    with pytest.raises(NkfxValueError, match=rf"1 values <= 0 \(at {day}\); scale='log'"):
        detect(s, method="bai-perron")
    # the same data are fine on the level scale (the zero is just a low level)
    assert detect(s, scale="level", method="bai-perron").scale == "level"


def test_too_few_observations_for_the_trimming(rng: np.random.Generator) -> None:
    s = step_series(rng, [6], [1.0])
    with pytest.raises(InsufficientDataError, match=r"trim=0.15 gives segments of h=0 .* n=6"):
        detect(s, method="bai-perron")
    with pytest.raises(InsufficientDataError, match=r"n=6 observations cannot hold two segments of h=4"):
        detect(s, trim=4, method="bai-perron")
    with pytest.raises(InsufficientDataError, match=r"at least 3 \(the model has 2"):
        detect(s, trim=2, model="trend", method="bai-perron")


@pytest.mark.parametrize(
    ("trim", "error", "pattern"),
    [
        (0.6, NkfxValueError, r"trim as a fraction must be in \(0, 0.5\); got 0.6"),
        (0.0, NkfxValueError, r"trim as a fraction must be in \(0, 0.5\); got 0.0"),
        (0, NkfxValueError, r"trim as a count must be >= 1 observation; got 0"),
        ("soon", NkfxValueError, r"trim must be a fraction .* such as '180D'; got 'soon'"),
        ("5000D", NkfxValueError, r"at most half the span of the data \(\d+ days"),
        ([0.1], NkfxTypeError, r"trim must be a fraction .*; got list"),
        (True, NkfxTypeError, r"trim must be a fraction .*; got bool"),
    ],
)
def test_bad_trim(two_breaks: pd.Series, trim: object, error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        detect(two_breaks, trim=trim, method="bai-perron")  # type: ignore[arg-type]


def test_max_breaks_larger_than_allowed_names_the_limit(two_breaks: pd.Series) -> None:
    # n = 130, h = floor(130 * 0.15) = 19 -> at most 130 // 19 - 1 = 5 breaks
    with pytest.raises(
        NkfxValueError,
        match=r"max_breaks=9 is more than the data allow: n=130 "
        r"observations in segments of at least h=19 leave room for at most 5 "
        r"break\(s\); pass max_breaks=5 or max_breaks=None",
    ):
        detect(two_breaks, max_breaks=9, method="bai-perron")
    with pytest.raises(NkfxValueError, match=r"max_breaks must be >= 1; got 0"):
        detect(two_breaks, max_breaks=0, method="bai-perron")
    with pytest.raises(NkfxTypeError, match=r"max_breaks must be an int or None; got float"):
        detect(two_breaks, max_breaks=2.0, method="bai-perron")  # type: ignore[arg-type]


def test_max_breaks_none_means_as_many_as_allowed(two_breaks: pd.Series) -> None:
    res = detect(two_breaks, max_breaks=None, trim=20, method="bai-perron")
    assert res.params["max_breaks_used"] == 130 // 20 - 1 == 5
    assert res.criteria["m"].tolist() == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"method": "binseg"}, NkfxValueError,
         r"method must be one of 'jumps', 'bai-perron', 'pelt'; got 'binseg'"),
        ({"model": "ar"}, NkfxValueError, r"model must be one of 'mean', 'trend'; got 'ar'"),
        ({"scale": "ln"}, NkfxValueError, r"scale must be one of 'log', 'level'; got 'ln'"),
        (
            {"n_breaks": "aic"},
            NkfxValueError,
            r"n_breaks must be one of 'bic', 'lwz', 'sequential'; got 'aic'",
        ),
        ({"n_breaks": True}, NkfxTypeError, r"n_breaks must be one of .* or an int; got bool"),
        ({"n_breaks": -1}, NkfxValueError, r"n_breaks must be >= 0; got -1"),
        (
            {"n_breaks": 4, "max_breaks": 3},
            NkfxValueError,
            r"n_breaks=4 is more than max_breaks=3 \(the data allow at most 5 with h=19\)",
        ),
        ({"level": 1.5}, NkfxValueError, r"level must be in \(0, 1\); got 1.5"),
        ({"alpha": "5%"}, NkfxTypeError, r"alpha must be a number in \(0, 1\); got str"),
        ({"hac": "yes"}, NkfxTypeError, r"hac must be True or False; got 'yes'"),
        ({"het_err": None}, NkfxTypeError, r"het_err must be True or False; got None"),
        ({"city": "Pyongyang"}, NkfxValueError, r"city select rows of a rate frame, but data is"),
        (
            {"penalty": "bic"},
            NkfxTypeError,
            r"detect\(method='bai-perron'\) got unexpected option\(s\) 'penalty'; it takes",
        ),
    ],
)
def test_bad_options(two_breaks: pd.Series, kwargs: dict[str, object], error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        detect(two_breaks, **{"method": "bai-perron", **kwargs})  # type: ignore[arg-type]


def test_method_registry_dispatches_by_name(two_breaks: pd.Series, monkeypatch: pytest.MonkeyPatch) -> None:
    from nkfx.detect import api

    assert api._METHODS["bai-perron"] is api.bai_perron_method
    seen: dict[str, object] = {}

    def fake(prep: object, **kwargs: object) -> str:
        seen.update(kwargs, prep=prep)
        return "fake result"

    monkeypatch.setitem(api._METHODS, "fake", fake)
    assert detect(two_breaks, "fake", penalty=3.0) == "fake result"
    assert seen["penalty"] == 3.0
    assert seen["trim"] is None  # each method applies its own default (Bai-Perron: 0.15)


# --------------------------------------------------------------------------- rate frames


def _rate_frame(series: pd.Series, city: str, currency: str, source: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": series.index,
            "city": city,
            "currency": currency,
            "rate": series.to_numpy(),
            "source": source,
        }
    )


def test_rate_frame_selection_gives_the_same_breaks(rng: np.random.Generator, two_breaks: pd.Series) -> None:
    other = step_series(rng, [130], [7.0])
    frame = pd.concat(
        [
            _rate_frame(two_breaks, "Pyongyang", "USD", "Daily NK"),
            _rate_frame(other, "Hyesan", "USD", "Daily NK"),
            _rate_frame(other, "Pyongyang", "CNY", "Daily NK"),
        ],
        ignore_index=True,
    )
    before = frame.copy()
    res = detect(frame, city="Pyongyang", currency="USD", method="bai-perron")
    ref = detect(two_breaks, method="bai-perron")
    pd.testing.assert_frame_equal(res.breaks, ref.breaks)
    assert res.series.name == "Pyongyang USD"
    assert (res.params["city"], res.params["currency"]) == ("Pyongyang", "USD")
    assert res.params["source"] == "Daily NK"
    pd.testing.assert_frame_equal(frame, before)  # not mutated
    with pytest.raises(NkfxValueError, match=r"data holds several currency values \['CNY', 'USD'\]"):
        detect(frame, city="Pyongyang", method="bai-perron")


def test_rate_frame_with_several_sources_per_date(two_breaks: pd.Series) -> None:
    a = _rate_frame(two_breaks, "Pyongyang", "USD", "Daily NK")
    b = _rate_frame(two_breaks.iloc[[4, 9]] * 1.1, "Pyongyang", "USD", "RFA")
    frame = pd.concat([a, b], ignore_index=True)
    res = detect(frame, city="Pyongyang", currency="USD", method="bai-perron")
    assert res.notes[0] == "2 value(s) sharing a date with another were combined: median per date"
    medians = two_breaks.copy()
    medians.iloc[[4, 9]] *= 1.05  # the median of two values is their mean
    pd.testing.assert_series_equal(res.series, detect(medians, method="bai-perron").series,
                                   check_names=False)
    assert res.params["source"] == "Daily NK; RFA"
    # choosing a source uses its reports alone, without a note
    one = detect(frame, city="Pyongyang", currency="USD", source="Daily NK", method="bai-perron")
    assert one.n_breaks == 2
    assert not any("median per date" in n for n in one.notes)


def test_mean_shift_breaks_are_found_with_dates(two_breaks: pd.Series) -> None:
    before = two_breaks.copy()
    res = detect(two_breaks, method="bai-perron")
    dates = two_breaks.index
    assert res.n_breaks == 2
    assert res.breaks["index"].tolist() == [39, 89]
    assert res.breaks["last_old"].tolist() == [dates[39], dates[89]]
    assert res.breaks["first_new"].tolist() == [dates[40], dates[90]]
    assert list(res.dates) == [dates[40], dates[90]]
    assert (res.breaks["ci_lower"] <= res.breaks["last_old"]).all()
    assert (res.breaks["ci_upper"] >= res.breaks["last_old"]).all()
    for col in ("ci_lower", "ci_upper"):  # dates are those of the positions given
        assert res.breaks[col].tolist() == dates[res.breaks[f"index_{col}"]].tolist()
    np.testing.assert_allclose(res.breaks["jump"], [0.3, -0.2], atol=0.02)
    np.testing.assert_allclose(res.breaks["jump_pct"], 100 * np.expm1(res.breaks["jump"]))
    seg = res.segments
    assert seg["n"].tolist() == [40, 50, 40]
    assert seg["start"].tolist() == [dates[0], dates[40], dates[90]]
    assert seg["end"].tolist() == [dates[39], dates[89], dates[129]]
    y = np.log(two_breaks.to_numpy())
    np.testing.assert_allclose(seg["level"], [y[:40].mean(), y[40:90].mean(), y[90:].mean()])
    np.testing.assert_allclose(
        seg["sd"], [y[:40].std(ddof=1), y[40:90].std(ddof=1), y[90:].std(ddof=1)], rtol=1e-8
    )
    np.testing.assert_allclose(seg["se"], seg["sd"] / np.sqrt(seg["n"]), rtol=1e-8)
    np.testing.assert_allclose(seg["level_kpw"], np.exp(seg["level"]))
    assert res.criteria.loc[res.criteria["chosen"], "m"].tolist() == [2]
    np.testing.assert_allclose(res.series.to_numpy(), y)
    pd.testing.assert_series_equal(two_breaks, before)


@pytest.mark.parametrize("rule", ["bic", "lwz", "sequential"])
def test_every_rule_finds_the_two_breaks(two_breaks: pd.Series, rule: str) -> None:
    res = detect(two_breaks, n_breaks=rule, method="bai-perron")
    assert res.breaks["index"].tolist() == [39, 89]
    assert res.params["n_breaks"] == rule


def test_sequential_rule_records_its_tests(two_breaks: pd.Series) -> None:
    res = detect(two_breaks, n_breaks="sequential", method="bai-perron")
    assert set(res.tests) == {"supF", "UDmax", "WDmax", "supF(2|1)", "supF(3|2)"}
    assert res.tests["supF(2|1)"].pvalue < 0.05 <= res.tests["supF(3|2)"].pvalue


def test_sequential_rule_stops_at_zero_without_a_break(rng: np.random.Generator) -> None:
    s = step_series(rng, [120], [8.0])
    res = detect(s, n_breaks="sequential", method="bai-perron")
    assert res.tests["UDmax"].pvalue > 0.05
    assert res.n_breaks == 0
    assert set(res.tests) == {"supF", "UDmax", "WDmax"}


def test_forced_number_of_breaks(two_breaks: pd.Series) -> None:
    one = detect(two_breaks, n_breaks=1, method="bai-perron")
    assert one.breaks["index"].tolist() == [39]  # the larger jump
    none = detect(two_breaks, n_breaks=0, method="bai-perron")
    assert none.n_breaks == 0
    assert none.segments["n"].tolist() == [130]
    assert none.breaks.columns.tolist() == one.breaks.columns.tolist()


def test_trend_model_reports_slopes_per_day_and_year(rng: np.random.Generator) -> None:
    dates = irregular_dates(rng, 120)
    days = np.asarray((dates - dates[0]).days, dtype=float)
    cut = 59  # last_old position
    y = np.where(np.arange(120) <= cut, 8.0 + 0.001 * days, 9.0 - 0.0005 * days)
    y = y + rng.normal(0, 0.01, 120)
    res = detect(pd.Series(np.exp(y), index=dates), model="trend", method="bai-perron")
    assert res.breaks["index"].tolist() == [cut]
    assert res.breaks["first_new"].iloc[0] == dates[cut + 1]
    seg = res.segments
    np.testing.assert_allclose(seg["slope"], [0.001, -0.0005], atol=5e-5)
    np.testing.assert_allclose(seg["slope_per_year"], seg["slope"] * 365.25)
    np.testing.assert_allclose(seg["intercept"], [8.0, 9.0], atol=0.02)
    np.testing.assert_allclose(
        seg["fitted_start"], seg["intercept"] + seg["slope"] * (seg["start"] - dates[0]).dt.days
    )
    np.testing.assert_allclose(seg["fitted_end_kpw"], np.exp(seg["fitted_end"]))
    t_new = days[cut + 1]
    expected_jump = (9.0 - 0.0005 * t_new) - (8.0 + 0.001 * t_new)
    assert res.breaks["jump"].iloc[0] == pytest.approx(expected_jump, abs=0.03)
    assert res.params["trend_regressor"] == f"days since {dates[0].date().isoformat()}"


def test_level_scale_keeps_the_values(two_breaks: pd.Series) -> None:
    res = detect(two_breaks, scale="level", method="bai-perron")
    np.testing.assert_array_equal(res.series.to_numpy(), two_breaks.to_numpy())
    assert "jump_pct" not in res.breaks
    assert "level_kpw" not in res.segments
    assert res.breaks["index"].tolist() == [39, 89]


def test_trimming_rules_and_their_record() -> None:
    dates = pd.date_range("2020-01-01", periods=100, freq="D")  # span 99 days
    s = pd.Series(np.exp(np.r_[np.zeros(50), np.ones(50)] + np.sin(np.arange(100)) / 50), index=dates)
    assert detect(s, method="bai-perron").params["h"] == 15  # floor(100 * 0.15)
    wide = detect(s, trim=0.29, method="bai-perron")
    assert wide.params["h"] == math.floor(100 * 0.29) == 28  # as R's floor(n * h)
    # the default max_breaks=5 is lowered to what fits; an explicit 5 is an error
    assert wide.params["max_breaks_used"] == 100 // 28 - 1 == 2
    with pytest.raises(NkfxValueError, match=r"max_breaks=5 is more than the data allow"):
        detect(s, trim=0.29, max_breaks=5, method="bai-perron")
    assert detect(s, trim=10, method="bai-perron").params["h"] == 10
    res = detect(s, trim="20D", method="bai-perron")
    assert res.params["h"] == math.ceil(100 * 20 / 99) == 21
    assert res.params["trim"] == "20 days 00:00:00"
    assert res.params["trim_rule"].startswith("duration: h = ceil(n * 20D / 99D span)")
    assert detect(s, trim=pd.Timedelta(days=20), method="bai-perron").params["h"] == 21
    assert res.params["trim_fraction"] == pytest.approx(0.21)


def test_options_belong_to_their_method(two_breaks: pd.Series) -> None:
    # issue 15: pelt and jumps took Bai-Perron's level/alpha/het_* only to ignore them
    for method in ("pelt", "jumps"):
        with pytest.raises(NkfxValueError, match=rf"level applies to method='bai-perron' only .*"
                                                 rf"method='{method}' does not compute; got level=0.9"):
            detect(two_breaks, method, level=0.9)
        with pytest.raises(NkfxValueError, match=r"alpha, het_reg apply to method='bai-perron' only"):
            detect(two_breaks, method, alpha=0.1, het_reg=False)
    # the defaults spelled out are the defaults; "auto" is max_breaks' default
    default = detect(two_breaks, method="bai-perron")
    spelled = detect(two_breaks, method="bai-perron", max_breaks="auto", level=0.95, alpha=0.05,
                     het_reg=True, het_err=True)
    pd.testing.assert_frame_equal(default.breaks, spelled.breaks)
    assert default.params["max_breaks"] == spelled.params["max_breaks"] == 5
    narrow = detect(two_breaks, method="bai-perron", level=0.5)
    assert narrow.params["level"] == 0.5
    width = narrow.breaks["index_ci_upper"] - narrow.breaks["index_ci_lower"]
    assert (width <= default.breaks["index_ci_upper"] - default.breaks["index_ci_lower"]).all()
    with pytest.raises(NkfxValueError, match=r"max_breaks must be an int, 'auto' or None; got 'many'"):
        detect(two_breaks, method="bai-perron", max_breaks="many")


def test_constant_series_is_a_documented_no_break_result() -> None:
    dates = pd.date_range("2020-01-01", periods=60, freq="7D")
    res = detect(pd.Series(8000.0, index=dates), method="bai-perron")
    assert res.n_breaks == 0
    assert (res.criteria["rss"] == 0).all()
    assert res.criteria["bic"].isna().all()
    assert res.tests == {}
    assert res.segments["sd"].tolist() == [0.0]
    assert res.segments["level_kpw"].iloc[0] == pytest.approx(8000.0)
    assert "constant on the log scale" in res.notes[0]
    assert "residual sum of squares is 0" in res.summary().as_text()
    forced = detect(pd.Series(8000.0, index=dates), n_breaks=2, method="bai-perron")
    assert forced.n_breaks == 0
    assert "n_breaks=2 was not applied" in forced.notes[1]
    line = detect(pd.Series(np.exp(0.001 * np.arange(60.0)), index=dates), model="trend", method="bai-perron")
    assert line.n_breaks == 0
    assert "exactly linear" in line.notes[0]


def test_constant_series_in_the_tests_gives_nan_with_a_note() -> None:
    s = pd.Series(5.0, index=pd.date_range("2020-01-01", periods=40, freq="7D"))
    chow = chow_test(s, at="2020-05-06")
    sup = sup_f_test(s)
    for res in (chow, sup):
        assert math.isnan(res.statistic)
        assert math.isnan(res.pvalue)
        assert "F statistic is undefined" in res.notes[-1]


# --------------------------------------------------------------------------- Chow and sup-F


def _hand_chow(y: np.ndarray, j: int) -> float:
    """Chow F for a mean shift with first new observation j (k = 1)."""
    rss0 = ((y - y.mean()) ** 2).sum()
    rss1 = ((y[:j] - y[:j].mean()) ** 2).sum() + ((y[j:] - y[j:].mean()) ** 2).sum()
    return float((rss0 - rss1) / (rss1 / (y.size - 2)))


def test_chow_at_an_observation_date(two_breaks: pd.Series) -> None:
    dates = two_breaks.index
    s = two_breaks.iloc[:90]
    res = chow_test(s, at=dates[40])
    y = np.log(s.to_numpy())
    assert res.statistic == pytest.approx(_hand_chow(y, 40), rel=1e-9)
    assert res.pvalue == pytest.approx(stats.f.sf(res.statistic, 1, 88), rel=1e-6, abs=1e-300)
    assert (res.date, res.last_old) == (dates[40], dates[39])
    assert res.df == (1, 88)
    assert res.notes == ()
    assert res.name == "Chow"


def test_chow_between_observations_uses_the_next_date_and_says_so() -> None:
    dates = pd.date_range("2021-01-04", periods=40, freq="W-MON")
    s = pd.Series(
        np.r_[np.full(20, 5000.0), np.full(20, 6000.0)] * np.exp(0.01 * np.sin(np.arange(40))), index=dates
    )
    res = chow_test(s, at="2021-05-20")  # a Thursday; the next Monday is 2021-05-24
    assert (res.date, res.last_old) == (pd.Timestamp("2021-05-24"), pd.Timestamp("2021-05-17"))
    assert res.notes == (
        "at=2021-05-20 is not an observation date; tested the first observation "
        "on or after it, 2021-05-24 (last old: 2021-05-17)",
    )
    assert res.params["at_requested"] == pd.Timestamp("2021-05-20")
    same = chow_test(s, at="2021-05-24")
    assert same.statistic == res.statistic
    assert same.notes == ()


def test_chow_errors(two_breaks: pd.Series) -> None:
    dates = two_breaks.index
    with pytest.raises(
        NkfxValueError,
        match=r"at=2014-12-01 is outside the series: the first "
        r"date of the new regime must be after 2015-01-01",
    ):
        chow_test(two_breaks, at="2014-12-01")
    with pytest.raises(NkfxValueError, match=r"is outside the series"):
        chow_test(two_breaks, at=dates[0])
    with pytest.raises(
        InsufficientDataError,
        match=r"leaves 1 observation\(s\) before it and 129 "
        r"from it on; the Chow test with model='mean' needs at least 2",
    ):
        chow_test(two_breaks, at=dates[1])
    with pytest.raises(InsufficientDataError, match=r"model='trend' needs at least 3"):
        chow_test(two_breaks, at=dates[-2], model="trend")
    with pytest.raises(NkfxValueError, match=r"at must be a date; got 'someday'"):
        chow_test(two_breaks, at="someday")


def test_sup_f_matches_hand_computed_path(rng: np.random.Generator) -> None:
    s = step_series(rng, [60, 40], [8.0, 8.05], sd=0.03)
    y = np.log(s.to_numpy())
    res = sup_f_test(s)
    h = 15  # floor(100 * 0.15)
    path = res.detail["f_path"]
    assert path.index.tolist() == s.index[h : 100 - h + 1].tolist()  # first_new dates
    hand = np.array([_hand_chow(y, j) for j in range(h, 100 - h + 1)])
    np.testing.assert_allclose(path.to_numpy(), hand, rtol=1e-8)
    j = int(np.argmax(hand)) + h
    assert res.statistic == pytest.approx(hand.max(), rel=1e-8)
    assert (res.date, res.last_old) == (s.index[j], s.index[j - 1])
    assert 0.0 <= res.pvalue <= 1.0
    assert res.params["h"] == h
    assert res.detail["aveF"] == pytest.approx(hand.mean(), rel=1e-6)


def test_sup_f_detects_a_break_but_not_noise(rng: np.random.Generator) -> None:
    brk = sup_f_test(step_series(rng, [50, 50], [8.0, 8.1]))
    noise = sup_f_test(step_series(rng, [100], [8.0]))
    assert brk.pvalue < 1e-6
    assert noise.pvalue > 0.05


def test_public_names_are_exported() -> None:
    assert nkfx.detect is detect
    for name in ("detect", "chow_test", "sup_f_test", "Breaks", "TestResult"):
        assert name in nkfx.__all__


# --------------------------------------------------------------------------- real data


def test_daily_nk_pyongyang_breaks(shared_data: Path) -> None:
    raw = pd.read_csv(shared_data / "dailynk_usd_kpw_by_city.csv", parse_dates=["time"])
    pyongyang = raw.loc[raw["entity"] == "pyongyang"].set_index("time")["value"]
    # Since 2013 (after the post-redenomination turmoil), trend regimes on log rates:
    res = detect(pyongyang.loc["2013":], model="trend", method="bai-perron")
    found = res.breaks["first_new"]
    # the Sinuiju–Dandong freight restart of 2022-01-16: 4,720 (01-11) -> 6,750 (01-24)
    near_2022 = found[(found - pd.Timestamp("2022-01-16")).abs() <= pd.Timedelta("30D")]
    assert near_2022.tolist() == [pd.Timestamp("2022-01-24")]
    # the 2024 depreciation: 8,920 (05-26) -> 12,100 (06-09)
    near_2024 = found[(found - pd.Timestamp("2024-06-01")).abs() <= pd.Timedelta("45D")]
    assert near_2024.tolist() == [pd.Timestamp("2024-06-09")]
    assert res.tests["supF"].pvalue < 0.01
    jump_2022 = res.breaks.loc[found == pd.Timestamp("2022-01-24"), "jump_pct"].iloc[0]
    assert jump_2022 > 20  # a depreciation of the won of more than a fifth


def test_daily_nk_full_sample_interval_not_computable(shared_data: Path) -> None:
    raw = pd.read_csv(shared_data / "dailynk_usd_kpw_by_city.csv", parse_dates=["time"])
    pyongyang = raw.loc[raw["entity"] == "pyongyang"].set_index("time")["value"]
    # 2009-2026 in one mean-shift model: the post-redenomination regime ends early in 2012
    # and the 2024 depreciation gives the second break; the first break's Bai (1997)
    # interval has too little mass on one side (strucchange returns NA there too).
    with pytest.warns(
        nkfx.DataQualityWarning, match=r"95% interval of break 1 \(2012-01-21 \| 2012-02-10\) cannot be"
    ):
        res = detect(pyongyang, method="bai-perron")
    assert res.breaks["first_new"].tolist() == [pd.Timestamp("2012-02-10"), pd.Timestamp("2024-10-27")]
    first = res.breaks.iloc[0]
    assert pd.isna(first["ci_lower"])
    assert pd.isna(first["ci_upper"])
    assert pd.isna(first["index_ci_lower"])
    assert res.breaks["ci_lower"].iloc[1] <= res.breaks["last_old"].iloc[1]
    assert "cannot be computed" in res.notes[0]
    d = res.to_dict()
    assert d["breaks"][0]["ci_lower"] is None
    assert d["breaks"][0]["index_ci_lower"] is None
    assert "n/a" in res.summary().as_text()


# --------------------------------------------------------------------------- R strucchange

REFERENCE = Path(__file__).parent / "reference" / "strucchange"


def _pyongyang_since_2013(shared_data: Path) -> pd.Series:
    raw = pd.read_csv(shared_data / "dailynk_usd_kpw_by_city.csv", parse_dates=["time"])
    return raw.loc[raw["entity"] == "pyongyang"].set_index("time")["value"].loc["2013":]


@pytest.mark.r_reference
@pytest.mark.parametrize(
    ("model", "variant", "level", "het_reg", "het_err", "hac"),
    [
        ("trend", "default", 0.95, True, True, False),
        ("trend", "homogeneous", 0.99, False, False, False),
        ("trend", "kernhac", 0.95, True, True, True),
        ("mean", "default", 0.95, True, True, False),
        ("mean", "het_reg_only", 0.90, True, False, False),
    ],
)
def test_dates_match_strucchange_on_daily_nk(
    shared_data: Path, model: str, variant: str, level: float, het_reg: bool, het_err: bool, hac: bool
) -> None:
    ref = json.loads((REFERENCE / f"dailynk_pyongyang_{model}.json").read_text())
    series = _pyongyang_since_2013(shared_data)
    assert len(series) == ref["n"]
    assert series.index[0].date().isoformat() == ref["first_date"]
    res = detect(series, method="bai-perron", model=model, level=level, het_reg=het_reg,
                 het_err=het_err, hac=hac)
    m = ref["selected"]["bic"]
    chosen = ref["path"][m]
    # strucchange breakpoint i (1-based) = our last_old = dates[i - 1]
    assert (res.breaks["index"] + 1).tolist() == chosen["breakpoints_r"]
    assert [d.date().isoformat() for d in res.breaks["last_old"]] == chosen["last_date_old"]
    assert [d.date().isoformat() for d in res.breaks["first_new"]] == chosen["first_date_new"]
    bic = [p["bic"] for p in ref["path"]]
    np.testing.assert_allclose(res.criteria["bic"], bic, rtol=1e-8)
    np.testing.assert_allclose(res.criteria["rss"], [p["rss"] for p in ref["path"]], rtol=1e-8)
    ci = next(c for c in ref["ci"] if c["m"] == m and c["variant"] == variant and c["level"] == level)
    n = ref["n"]
    for side in ("lower", "upper"):
        expected = np.clip(np.array(ci[side], dtype=float), 0, n - 2)  # we clip to the sample
        got = res.breaks[f"index_ci_{side}"].to_numpy(dtype=float)
        assert np.all(np.abs(got - expected) <= 1), (side, got, expected)
        for d, r_date in zip(res.breaks[f"ci_{side}"], ci[f"{side}_date"], strict=True):
            if r_date is not None:  # R leaves dates outside the sample empty
                gap = abs(series.index.get_loc(d) - series.index.get_loc(pd.Timestamp(r_date)))
                assert gap <= 1


@pytest.mark.r_reference
def test_interval_strucchange_cannot_compute_is_nat(shared_data: Path) -> None:
    # R: "Confidence interval 1 cannot be computed" for the 90% interval of the mean model
    series = _pyongyang_since_2013(shared_data)
    with pytest.warns(nkfx.DataQualityWarning, match=r"90% interval of break 1 \(2020-10-21"):
        res = detect(series, level=0.90, method="bai-perron")
    assert pd.isna(res.breaks["ci_lower"].iloc[0])
    assert res.breaks["index_ci_lower"].iloc[1:].tolist() == [169, 233]


def test_timezone_aware_dates_work(two_breaks: pd.Series) -> None:
    s = two_breaks.tz_localize("Asia/Pyongyang")
    res = detect(s, method="bai-perron")
    assert res.breaks["index"].tolist() == [39, 89]
    assert res.breaks["first_new"].iloc[0] == s.index[40]
    day = two_breaks.index[40].date().isoformat()
    assert chow_test(s, at=day).date == s.index[40]  # a naive date means the series' zone


def test_sup_f_test_checks_its_input(rng: np.random.Generator) -> None:
    with pytest.raises(InsufficientDataError, match=r"trim=0.15 gives segments of h=1"):
        sup_f_test(step_series(rng, [10], [1.0]))
    with pytest.raises(NkfxValueError, match=r"model must be one of 'mean', 'trend'; got 'step'"):
        sup_f_test(step_series(rng, [40], [1.0]), model="step")


def test_hac_option_reaches_the_tests_and_intervals(two_breaks: pd.Series) -> None:
    plain = detect(two_breaks, method="bai-perron")
    robust = detect(two_breaks, hac=True, method="bai-perron")
    assert robust.params["hac"] is True
    assert robust.tests["supF"].params["hac"] is True
    assert robust.tests["supF"].statistic != plain.tests["supF"].statistic
    assert robust.breaks["index"].tolist() == plain.breaks["index"].tolist()
