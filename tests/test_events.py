"""Event catalogue, event windows, event studies and break matching."""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from nkfx.datasets import load_events, load_observations
from nkfx.errors import NkfxTypeError, NkfxValueError, SchemaError
from nkfx.events import EventStudy, event_study, event_window, match_breaks, read_events


def catalogue(**overrides: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "id": ["a", "b"], "start": ["2022-01-16", "2022-06-01"], "end": ["", "2022-06-10"],
        "status": ["confirmed", "rumour"], "scope": ["national", "Hyesan"],
        "description": ["x", "y"], "source": ["s", "t"]}
    base.update(overrides)
    return pd.DataFrame(base)


def step_series(rng: np.random.Generator, *, jump: float = 0.3, at: str = "2022-01-16",
                sd: float = 0.02, n: int = 120) -> pd.Series:
    """Irregular dates (5 to 30 days apart), AR(1) noise, one level shift at ``at``."""
    gaps = rng.integers(5, 31, size=n)
    dates = pd.Timestamp("2019-01-01") + pd.to_timedelta(np.cumsum(gaps), unit="D")
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.5 * e[i - 1] + rng.normal(0, sd)
    log_rate = 8.6 + jump * (dates >= pd.Timestamp(at)) + e
    return pd.Series(np.exp(log_rate), index=dates, name="usd")


# --- read_events -------------------------------------------------------------------------------

def test_read_events_accepts_the_bundled_catalogue_unchanged(tmp_path: Path) -> None:
    bundled = load_events()
    out = read_events(bundled)
    pd.testing.assert_series_equal(out["start"], bundled["start"], check_names=False)
    pd.testing.assert_series_equal(out["end"], bundled["end"], check_names=False)
    path = tmp_path / "events.csv"
    catalogue(note=["kept", "too"]).to_csv(path, index=False)
    from_csv = read_events(path)
    assert from_csv["end"].tolist() == [pd.Timestamp("2022-01-16"), pd.Timestamp("2022-06-10")]
    assert from_csv["note"].tolist() == ["kept", "too"]  # extra columns kept
    assert list(from_csv.columns[:3]) == ["id", "start", "end"]


def test_read_events_does_not_mutate_its_input() -> None:
    frame = catalogue()
    before = frame.copy()
    read_events(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_read_events_lists_every_problem_by_row() -> None:
    bad = catalogue(id=["a", "a"], start=["2022-01-16", "soon"], end=["2022-01-01", ""],
                    status=["confirmed", "gossip"])
    with pytest.raises(SchemaError, match="not a valid event catalogue") as info:
        read_events(bad)
    problems = info.value.problems
    assert "row 0 (id 'a'): id 'a' is repeated; end 2022-01-01 is before start 2022-01-16" in problems
    assert any("row 1" in p and "start 'soon' is not a date" in p for p in problems)
    assert any("status must be one of 'confirmed', 'reported', 'rumour'; got 'gossip'" in p
               for p in problems)


def test_read_events_errors() -> None:
    with pytest.raises(SchemaError, match="missing required column 'status'"):
        read_events(catalogue().drop(columns="status"))
    with pytest.raises(NkfxTypeError, match="events must be a DataFrame or the path of a CSV file; got int"):
        read_events(3)  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="id is empty"):
        read_events(catalogue(id=["", "b"]))


# --- event_window ------------------------------------------------------------------------------

def test_event_window_days_and_positions_by_hand() -> None:
    dates = pd.to_datetime(["2021-12-01", "2022-01-10", "2022-01-16", "2022-01-17", "2022-01-30",
                            "2022-06-01"])
    s = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], index=dates)
    w = event_window(s, "freight_train_resumes_2022", before="30D", after="20D")
    assert w["date"].dt.strftime("%m-%d").tolist() == ["01-10", "01-16", "01-17", "01-30"]
    assert w["days"].tolist() == [-6.0, 0.0, 1.0, 14.0]
    assert w["position"].tolist() == ["before", "during", "during", "after"]  # event ends Jan 17
    np.testing.assert_allclose(w["value"], np.log([2.0, 3.0, 4.0, 5.0]))
    by_date = event_window(s, "2022-01-16", before="10D", after="0D", scale="level")
    assert by_date["event_id"].iloc[0] == "2022-01-16"
    assert by_date["value"].tolist() == [2.0, 3.0]


def test_event_window_per_city_and_currency_with_median_per_date() -> None:
    rates = pd.DataFrame({
        "date": pd.to_datetime(["2022-11-20", "2022-11-20", "2022-12-01", "2022-11-22", "2022-12-12"]),
        "city": ["Hyesan", "Hyesan", "Hyesan", "Pyongyang", "Hyesan"],
        "currency": ["CNY", "CNY", "CNY", "CNY", "USD"],
        "rate": [800.0, 900.0, 1100.0, 820.0, 8100.0],
        "source": ["a", "b", "a", "a", "a"]})
    w = event_window(rates, load_events().iloc[15], before="10D", after="30D")  # a catalogue row
    assert w["event_id"].unique().tolist() == ["hyesan_customs_rumour_2022"]
    hy = w[(w["city"] == "Hyesan") & (w["currency"] == "CNY")]
    assert hy["rate"].tolist() == [850.0, 1100.0]  # median of 800 and 900 on Nov 20
    assert hy["days"].tolist() == [-5.0, 6.0]
    assert len(w) == 4  # Hyesan CNY x2, Hyesan USD, Pyongyang CNY
    only = event_window(rates, "hyesan_customs_rumour_2022", city="Pyongyang", before="10D", after="10D")
    assert only["rate"].tolist() == [820.0]


def test_event_window_errors() -> None:
    s = pd.Series([1.0], index=pd.to_datetime(["2022-01-01"]))
    with pytest.raises(NkfxValueError,
                       match=r"unknown event id\(s\) \['no_such_event'\]; load_events\(\) has"):
        event_window(s, "no_such_event")
    with pytest.raises(NkfxValueError,
                       match="event 'zzz' is not in the event table; pass an id, a row or a date"):
        event_window(s, "zzz", events=TINY_EVENT)
    with pytest.raises(NkfxValueError, match="event must be an event id, a row of an event table or a date"):
        event_window(s, 3.5j)
    bad_row = pd.DataFrame({"id": ["2022-01-01", "late"], "start": ["2021-12-20", "2022-01-05"],
                            "end": ["", "2022-01-01"]})
    # an id that looks like a date is still looked up in the table first
    assert event_window(s, "2022-01-01", events=bad_row)["days"].tolist() == [12.0]
    with pytest.raises(NkfxValueError, match="event 'late' cannot be used: end 2022-01-01 is before start"):
        event_window(s, "late", events=bad_row)
    with pytest.raises(NkfxValueError, match="before must be a duration"):
        event_window(s, "2022-01-01", before="soon")
    with pytest.raises(NkfxTypeError, match="must have a DatetimeIndex"):
        event_window(pd.Series([1.0]), "2022-01-01")


# --- event_study: numbers ----------------------------------------------------------------------

TINY = pd.Series(
    np.exp([1.0, 1.2, 1.4, 2.5, 2.9]),
    index=pd.to_datetime(["2022-01-01", "2022-01-11", "2022-01-21", "2022-02-05", "2022-02-15"]))
TINY_EVENT = pd.DataFrame({"id": ["jump"], "start": ["2022-01-31"]})


def test_change_and_abnormal_by_hand() -> None:
    res = event_study(TINY, TINY_EVENT, before="40D", after="20D", n_placebo=0)
    row = res.results.iloc[0]
    assert row.n_pre == 3
    assert row.n_post == 2
    assert row.pre_level == pytest.approx(1.2)
    assert row.post_level == pytest.approx(2.7)
    assert row.change == pytest.approx(1.5)
    # pre trend: +0.2 per 10 days, exactly; post mean day is Feb 10 = 20 days after Jan 21
    assert row.pre_slope_30d == pytest.approx(0.6)
    assert row.abnormal == pytest.approx(2.7 - (1.4 + 0.2 * 2.0))
    assert math.isnan(row.placebo_pvalue)
    assert "no placebo date available" in row.reason
    # intervals use Student's t with n - 2 = 3 (change) and n - 3 = 2 (abnormal) degrees of freedom
    assert row.change_upper - row.change == pytest.approx(3.182446 * row.change_se, rel=1e-6)
    assert row.abnormal - row.abnormal_lower == pytest.approx(4.302653 * row.abnormal_se, rel=1e-6)


def test_constant_windows_say_their_standard_error_is_zero() -> None:
    s = pd.Series([4720.0, 4720.0, 6750.0, 6750.0],
                  index=pd.to_datetime(["2021-12-27", "2022-01-11", "2022-01-24", "2022-02-07"]))
    row = event_study(s, "freight_train_resumes_2022", n_placebo=0).results.iloc[0]
    assert row.change == pytest.approx(math.log(6750 / 4720))
    assert row.change_se == 0.0
    assert math.isnan(row.pvalue)
    assert "standard error is 0: the values do not vary within the windows" in row.reason


def test_gap_and_anchor_move_the_windows() -> None:
    ev = pd.DataFrame({"id": ["long"], "start": ["2022-01-16"], "end": ["2022-01-31"]})
    res = event_study(TINY, ev, before="40D", after="20D", gap="4D", anchor="end", n_placebo=0)
    row = res.results.iloc[0]
    # pre [Jan 16 - 44D, Jan 16 - 4D), post [Jan 31 + 4D, Jan 31 + 24D]
    assert (row.pre_start, row.pre_end) == (pd.Timestamp("2021-12-03"), pd.Timestamp("2022-01-12"))
    assert (row.post_start, row.post_end) == (pd.Timestamp("2022-02-04"), pd.Timestamp("2022-02-24"))
    assert (row.n_pre, row.n_post) == (2, 2)  # Jan 21 falls in the left-out gap
    assert row.change == pytest.approx(2.7 - 1.1)


def test_abnormal_statistic_for_the_placebo(rng: np.random.Generator) -> None:
    s = step_series(rng, jump=0.3)
    res = event_study(s, "freight_train_resumes_2022", statistic="abnormal", n_placebo=200)
    row = res.results.iloc[0]
    assert row.placebo_pvalue < 0.02
    assert res.placebo["statistic"].abs().median() < 0.05  # pseudo-events away from the jump


def test_change_se_matches_statsmodels_hc1_and_newey_west(rng: np.random.Generator) -> None:
    dates = pd.date_range("2020-01-05", periods=60, freq="14D")
    y = rng.normal(0, 0.05, 60) + 0.2 * (dates >= "2021-03-01")
    s = pd.Series(np.exp(5 + y), index=dates)
    ev = pd.DataFrame({"id": ["e"], "start": ["2021-03-01"]})
    res0 = event_study(s, ev, before="200D", after="200D", bandwidth="0D", n_placebo=0)
    res3 = event_study(s, ev, before="200D", after="200D", bandwidth="56D", n_placebo=0)
    at = pd.Timestamp("2021-03-01")
    lo, hi = at - pd.Timedelta("200D"), at + pd.Timedelta("200D")
    keep = (dates >= lo) & (dates <= hi)
    post = (dates[keep] >= "2021-03-01").astype(float)
    X = sm.add_constant(post)
    yy = np.log(s[keep].to_numpy())
    hc1 = sm.OLS(yy, X).fit(cov_type="HC1").bse[1]
    # Bartlett weights in days with bandwidth 4 x 14 days = Newey-West with 3 lags
    nw = sm.OLS(yy, X).fit(cov_type="HAC", cov_kwds={"maxlags": 3, "use_correction": True}).bse[1]
    assert res0.results["change_se"].iloc[0] == pytest.approx(hc1, rel=1e-10)
    assert res3.results["change_se"].iloc[0] == pytest.approx(nw, rel=1e-10)


def test_known_jump_recovered_within_its_interval(rng: np.random.Generator) -> None:
    s = step_series(rng, jump=0.3)
    res = event_study(s, "freight_train_resumes_2022", before="90D", after="90D", n_placebo=300)
    row = res.results.iloc[0]
    assert row.change_lower < 0.3 < row.change_upper
    assert row.abnormal_lower < 0.3 < row.abnormal_upper
    assert row.pvalue < 0.001
    assert row.placebo_pvalue < 0.01
    assert row.n_placebo == 300
    assert row.reason == ""


def test_placebo_is_seeded_and_excludes_event_windows(rng: np.random.Generator) -> None:
    s = step_series(rng)
    a = event_study(s, "freight_train_resumes_2022", before="60D", after="60D", n_placebo=100, seed=3)
    b = event_study(s, "freight_train_resumes_2022", before="60D", after="60D", n_placebo=100, seed=3)
    pd.testing.assert_frame_equal(a.placebo, b.placebo)
    start = pd.Timestamp("2022-01-16")
    # the placebo window [d - 60, d + 60] must miss the event window [start - 60, start + 60]
    assert ((a.placebo["date"] - start).abs() > pd.Timedelta("120D")).all()
    assert a.placebo["date"].is_unique


def null_pvalues(reps: int) -> np.ndarray:
    out = []
    for rep in range(reps):
        r = np.random.default_rng(1000 + rep)
        s = step_series(r, jump=0.0, n=150)
        day = s.index[0] + (s.index[-1] - s.index[0]) * r.uniform(0.3, 0.7)
        ev = pd.DataFrame({"id": ["null"], "start": [day.normalize()]})
        res = event_study(s, ev, before="60D", after="60D", n_placebo=199, seed=rep)
        out.append(res.results["placebo_pvalue"].iloc[0])
    return np.array(out)


def test_placebo_pvalue_roughly_uniform_without_a_jump_reduced() -> None:
    p = null_pvalues(40)
    assert 0.35 < p.mean() < 0.65
    assert (p < 0.05).mean() < 0.15


@pytest.mark.slow
def test_placebo_pvalue_roughly_uniform_without_a_jump() -> None:
    p = null_pvalues(300)
    assert 0.45 < p.mean() < 0.55
    assert 0.02 < (p < 0.05).mean() < 0.09
    assert 0.07 < (p < 0.10).mean() < 0.14


# --- event_study: bad input and structure ------------------------------------------------------

def test_bad_events_give_nan_rows_with_reasons_and_no_warnings(rng: np.random.Generator) -> None:
    s = step_series(rng)
    events = pd.DataFrame({
        "id": ["future", "backwards", "ok", "overlapping", "sparse"],
        "start": ["2035-01-01", "2022-01-16", "2022-01-16", "2022-02-01", "2019-01-05"],
        "end": ["", "2021-12-01", "", "", ""]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = event_study(s, events, before="60D", after="60D", n_placebo=50)
    r = res.results.set_index("event_id")
    assert r.loc["future", "reason"].startswith("event start 2035-01-01 is outside the data")
    assert "no observations in the pre window" in r.loc["future", "reason"] or \
        "no observations in the post window" in r.loc["future", "reason"]
    assert r.loc["backwards", "reason"] == "end 2021-12-01 is before start 2022-01-16"
    assert "no observations in the pre window 2018-11-06 to 2019-01-05" in r.loc["sparse", "reason"]
    for bad in ("future", "backwards", "sparse"):
        assert math.isnan(r.loc[bad, "change"])
        assert math.isnan(r.loc[bad, "placebo_pvalue"])
    assert r.loc["ok", "overlaps"] == "overlapping"
    assert r.loc["overlapping", "overlaps"] == "ok"
    assert r.loc["future", "overlaps"] == ""
    assert r.loc["ok", "reason"] == ""
    assert np.isfinite(r.loc["ok", "change"])


def test_one_observation_per_side_gives_a_change_but_no_standard_error() -> None:
    s = pd.Series([100.0, 130.0], index=pd.to_datetime(["2022-01-01", "2022-02-01"]))
    res = event_study(s, pd.DataFrame({"id": ["e"], "start": ["2022-01-20"]}), n_placebo=0)
    row = res.results.iloc[0]
    assert row.change == pytest.approx(math.log(1.3))
    assert math.isnan(row.change_se)
    assert math.isnan(row.change_lower)
    assert "no standard error for change" in row.reason
    assert "no pre-event trend" in row.reason


def test_event_study_argument_errors() -> None:
    with pytest.raises(NkfxValueError, match="anchor must be one of 'start', 'end'; got 'middle'"):
        event_study(TINY, TINY_EVENT, anchor="middle")  # type: ignore[arg-type]
    with pytest.raises(NkfxValueError, match="n_placebo must be an integer >= 0; got -1"):
        event_study(TINY, TINY_EVENT, n_placebo=-1)
    with pytest.raises(NkfxValueError, match="level must be a float strictly between 0 and 1; got 95"):
        event_study(TINY, TINY_EVENT, level=95)  # type: ignore[arg-type]
    with pytest.raises(NkfxValueError, match=r"unknown event id\(s\) \['nope'\]"):
        event_study(TINY, ["nope"])
    with pytest.raises(NkfxValueError, match="events must have columns 'id' and 'start'"):
        event_study(TINY, pd.DataFrame({"id": ["x"]}))


def rate_frame(rng: np.random.Generator) -> pd.DataFrame:
    parts = []
    for city, currency, jump in [("Hyesan", "CNY", 0.25), ("Hyesan", "USD", 0.0), ("Pyongyang", "CNY", 0.05)]:
        s = step_series(rng, jump=jump, at="2022-11-25", sd=0.01)
        parts.append(pd.DataFrame({"date": s.index, "city": city, "currency": currency,
                                   "rate": s.to_numpy(), "source": "sim"}))
    return pd.concat(parts, ignore_index=True)


def test_compare_currencies_and_pool(rng: np.random.Generator) -> None:
    rates = rate_frame(rng)
    res = event_study(rates, "hyesan_customs_rumour_2022", before="90D", after="60D", n_placebo=50)
    assert isinstance(res, EventStudy)
    r = res.results.set_index(["city", "currency"])
    cmp = res.compare("currency")
    assert cmp["base"].unique().tolist() == ["USD"]
    hy = cmp[cmp["city"] == "Hyesan"].iloc[0]
    assert hy["diff_change"] == pytest.approx(
        r.loc[("Hyesan", "CNY"), "change"] - r.loc[("Hyesan", "USD"), "change"])
    assert hy["diff_se"] == pytest.approx(math.hypot(r.loc[("Hyesan", "CNY"), "change_se"],
                                                     r.loc[("Hyesan", "USD"), "change_se"]))
    assert hy["diff_lower"] < 0.25 < hy["diff_upper"]
    assert len(cmp) == 1  # Pyongyang has no USD series to compare with
    cities = res.compare("city", base="Pyongyang")
    assert cities.iloc[0]["diff_change"] == pytest.approx(
        r.loc[("Hyesan", "CNY"), "change"] - r.loc[("Pyongyang", "CNY"), "change"])
    with pytest.raises(NkfxValueError,
                       match=r"base must be one of the currency values \['CNY', 'USD'\]; got 'EUR'"):
        res.compare("currency", base="EUR")


def test_pooled_mean_and_standard_error(rng: np.random.Generator) -> None:
    s = step_series(rng, jump=0.0)
    events = pd.DataFrame({"id": ["e1", "e2", "e3"], "start": ["2020-01-01", "2021-01-01", "2030-01-01"],
                           "status": ["rumour", "rumour", "confirmed"]})
    res = event_study(s, events, n_placebo=0)
    pooled = res.pooled()
    ok = res.results.iloc[:2]
    assert pooled["n_change"].iloc[0] == 2  # the event outside the data is left out
    assert pooled["change"].iloc[0] == pytest.approx(ok["change"].mean())
    assert pooled["change_se"].iloc[0] == pytest.approx(math.sqrt((ok["change_se"] ** 2).sum()) / 2)
    by_status = res.pooled(by="status")
    assert by_status["status"].tolist() == ["confirmed", "rumour"]
    assert by_status["n_change"].tolist() == [0, 2]


def test_result_methods(rng: np.random.Generator) -> None:
    res = event_study(step_series(rng), "freight_train_resumes_2022", n_placebo=20)
    assert res.to_frame() is not res.results
    text = res.summary()
    assert "freight_train_resumes_2022" in text
    assert "placebo p" in text
    assert "<table" in res._repr_html_()
    out = json.loads(json.dumps(res.to_dict()))
    assert out["results"][0]["start"] == "2022-01-16"
    assert out["results"][0]["change"] == pytest.approx(res.results["change"].iloc[0])
    assert out["params"]["windows"] == {"before": ">= 4 reports and >= 30D",
                                        "after": ">= 4 reports and >= 30D", "gap": "0D"}
    assert out["params"]["tolerance"] == {"day": "0D", "approx": "7D", "month": "15D", "year": "182D"}
    # the day length of a window counted in reports is the median of those it spanned
    spanned = (res.results["pre_end"] - res.results["pre_start"]).iloc[0] / pd.Timedelta(days=1)
    assert out["params"]["before"] == f"{spanned:g}D"
    assert text.splitlines()[1].split()[2] == "jump"  # the jump leads, the window means follow
    ax = res.plot(kind="forest")
    assert ax.get_xlabel() == "change (log points)"
    plt.close(ax.figure)
    path = res.plot()  # the default, as plot_event_study: the path around the event
    assert path.get_ylabel() == "change (log points)"
    plt.close(path.figure)


# --- match_breaks ------------------------------------------------------------------------------

def test_match_breaks_signs_and_scores_by_hand() -> None:
    events = pd.DataFrame({"id": ["rumour", "crackdown", "quiet"],
                           "start": ["2022-11-25", "2024-05-26", "2016-01-01"]})
    # Breaks-like object: the first_new column is used
    breaks = SimpleNamespace(breaks=pd.DataFrame({
        "last_old": pd.to_datetime(["2022-11-13", "2024-05-26", "2019-01-01"]),
        "first_new": pd.to_datetime(["2022-11-20", "2024-06-09", "2019-02-01"])}))
    m = match_breaks(breaks, events, tolerance="30D")
    b = m.breaks.set_index("date")
    assert b.loc["2022-11-20", "event_id"] == "rumour"
    assert b.loc["2022-11-20", "lag_days"] == -5.0  # the market moved 5 days before the rumour
    assert b.loc["2024-06-09", "lag_days"] == 14.0  # 14 days after the crackdown began
    assert not b.loc["2019-02-01", "matched"]
    e = m.events.set_index("event_id")
    assert e["matched"].tolist() == [True, True, False]
    assert e.loc["crackdown", "nearest_break"] == pd.Timestamp("2024-06-09")
    assert m.precision == pytest.approx(2 / 3)
    assert m.recall == pytest.approx(2 / 3)
    tight = match_breaks(pd.DataFrame({"date": ["2024-06-09"]}), events, tolerance="13D")
    assert tight.precision == 0.0
    assert tight.recall == 0.0
    assert "14 days after crackdown" in match_breaks(["2024-06-09"], events).summary()
    d = json.loads(json.dumps(m.to_dict()))
    assert d["tolerance_days"] == 30.0
    assert d["breaks"][0] == {"date": "2019-02-01", "event_id": "quiet", "event_start": "2016-01-01",
                              "lag_days": 1127.0, "matched": False}


def test_match_breaks_takes_a_breaks_result_from_detect(rng: np.random.Generator) -> None:
    from nkfx.detect import detect

    dates = pd.date_range("2019-01-06", periods=120, freq="14D")
    s = pd.Series(np.exp(8.6 + 0.3 * (dates >= "2022-01-20") + rng.normal(0, 0.02, 120)), index=dates)
    found = detect(s, method="bai-perron", max_breaks=1)
    assert found.breaks["first_new"].iloc[0] == pd.Timestamp("2022-01-30")
    m = match_breaks(found, ["freight_train_resumes_2022", "covid_trade_halt_2020"], tolerance="30D")
    assert m.breaks["lag_days"].tolist() == [14.0]  # first new observation two weeks after Jan 16
    assert m.events["matched"].tolist() == [True, False]


def test_match_breaks_edge_cases_and_errors() -> None:
    events = pd.DataFrame({"id": ["x"], "start": ["2020-01-01"]})
    empty = match_breaks([], events)
    assert math.isnan(empty.precision)
    assert empty.recall == 0.0
    with pytest.raises(NkfxValueError, match="breaks must have a 'first_new' or 'date' column"):
        match_breaks(pd.DataFrame({"when": ["2020-01-01"]}), events)
    with pytest.raises(NkfxTypeError, match="breaks must be a Breaks result"):
        match_breaks(["not a date"], events)
    with pytest.raises(NkfxValueError, match="events has unusable rows: 'x': end 2019-01-01 is before start"):
        match_breaks(["2020-01-01"], events.assign(end=["2019-01-01"]))
    ax = match_breaks(["2020-01-05"], events).plot()
    assert ax.get_ylabel() == "break - event start (days)"
    plt.close(ax.figure)


# --- real data ---------------------------------------------------------------------------------

def dailynk(shared_data: Path, city: str) -> pd.Series:
    d = pd.read_csv(shared_data / "dailynk_usd_kpw_by_city.csv", parse_dates=["time"])
    s = d.loc[d["entity"] == city].set_index("time")["value"]
    return s[s > 0]  # the redenomination week is a 0 in the sheet


def test_dailynk_dollar_jumps_after_the_freight_restart(shared_data: Path) -> None:
    s = dailynk(shared_data, "pyongyang")
    res = event_study(s, load_events(), before="45D", after="45D")
    row = res.results.set_index("event_id").loc["freight_train_resumes_2022"]
    # 4,690-4,720 before, 6,300-6,750 after: about +0.33 log points
    assert 0.25 < row.change < 0.4
    assert row.pvalue < 0.001
    # placebo: every catalogued event window excluded; the big placebo moves are 2010-11 and 2025-26
    assert row.placebo_pvalue < 0.05
    crack = res.results.set_index("event_id").loc["strike_force_crackdown_2024"]
    assert crack.change > 0.2
    assert crack.placebo_pvalue < 0.05


def test_hyesan_yuan_rises_on_the_customs_rumour_while_the_dollar_does_not(shared_data: Path) -> None:
    """The bundled Hyesan yuan quotes vs Daily NK's Hyesan dollar series, late 2022.

    What the data can tell: the yuan went from 850 (Nov 27) to 1,120 (Dec 12), about +0.28
    log points, while the dollar moved by less than 0.05. What it cannot: the yuan has one
    quote before the rumour within 60 days (Nov 27 is two days after the order), so there is
    no standard error and no placebo distribution worth the name for it.
    """
    obs = load_observations()
    # around the catalogued order (2022-11-25) the yuan quotes are 920, 900 (Jun-Jul), 850 two
    # days after the order, then 1,120 on Dec 12: the move shows up 2 to 17 days after it
    w = event_window(obs, "2022-11-25", city="Hyesan", currency="CNY", before="160D", after="20D")
    assert w["rate"].tolist() == [920.0, 900.0, 850.0, 1120.0]
    assert w["days"].tolist() == [-152.0, -130.0, 2.0, 17.0]
    cny = obs[(obs["city"] == "Hyesan") & (obs["currency"] == "CNY")]
    usd = dailynk(shared_data, "hyesan")
    usd_frame = pd.DataFrame({"date": usd.index, "city": "Hyesan", "currency": "USD",
                              "rate": usd.to_numpy(), "source": "Daily NK sheet"})
    rates = pd.concat([cny[["date", "city", "currency", "rate", "source"]], usd_frame], ignore_index=True)
    # the study is anchored between the last quote at the old level and the first at the new one
    event = pd.DataFrame({"id": ["rumour_seen"], "start": ["2022-12-01"]})
    res = event_study(rates, event, before="60D", after="30D", n_placebo=0)
    r = res.results.set_index("currency")
    assert r.loc["CNY", "n_pre"] == 1
    assert r.loc["CNY", "n_post"] == 1
    assert 0.2 < r.loc["CNY", "change"] < 0.35  # log(1120 / 850) = 0.276
    assert "no standard error" in r.loc["CNY", "reason"]
    assert abs(r.loc["USD", "change"]) < 0.05
    diff = res.compare("currency").iloc[0]
    assert diff["diff_change"] > 0.2
    assert math.isnan(diff["diff_se"])


# --- the jump between bracketing reports, date precision, windows in reports ---------------------

def hyesan_yuan() -> pd.DataFrame:
    from nkfx.clean import combine

    return combine(load_observations())


def test_hyesan_rumour_jump_is_between_the_reports_of_27_november_and_12_december() -> None:
    """Issue 13, part 4: the catalogue date (2022-11-25, ``approx``) falls before the last report
    at the old level (27 Nov, 850; next 12 Dec, 1,120). Measured before the fix: +0.081 log
    points (+8%), placebo p 0.68, and an empty pre window with the default 60 days.
    """
    res = event_study(hyesan_yuan(), "hyesan_customs_rumour_2022", city="Hyesan", currency="CNY")
    row = res.results.iloc[0]
    # the band: 'approx' is +-7 days; the report of 27 Nov is inside it and in neither window
    assert (row.precision, row.tolerance_days) == ("approx", 7.0)
    assert (row.band_start, row.band_end) == (pd.Timestamp("2022-11-18"), pd.Timestamp("2022-12-02"))
    assert row.n_band == 1
    # the jump: the larger of the two steps across the band, 850 -> 1,120 over 15 days
    assert (row.before_date, row.before_rate) == (pd.Timestamp("2022-11-27"), 850.0)
    assert (row.after_date, row.after_rate) == (pd.Timestamp("2022-12-12"), 1120.0)
    assert row.bracket_days == 15.0
    assert row.jump_log == pytest.approx(math.log(1120 / 850))
    assert row.jump_pct == pytest.approx(100 * (1120 / 850 - 1))  # +31.8%
    assert row.span_pct == pytest.approx(100 * (1120 / 900 - 1))  # 900 on 18 Jul -> 1,120: +24.4%
    assert row.jump_placebo_pvalue == pytest.approx(25 / 501)  # one step of 2024 is larger
    assert row.n_jump_placebo == 500
    # default windows: 4 reports a side (at least 30 days), never empty
    assert (row.n_pre, row.n_post) == (4, 4)
    assert (row.pre_start, row.pre_end) == (pd.Timestamp("2022-01-24"), pd.Timestamp("2022-11-18"))
    assert (row.post_start, row.post_end) == (pd.Timestamp("2022-12-02"), pd.Timestamp("2023-04-30"))
    pre = np.log([890, 830, 920, 900]).mean()
    post = np.log([1120, 1210, 1230, 1230]).mean()
    assert row.change == pytest.approx(post - pre)  # +0.302
    assert row.placebo_pvalue == pytest.approx(235 / 501)  # 0.469: windows this long move often
    assert row.n_placebo == 500
    assert row.note == ("1 report(s) inside the date band 2022-11-18 to 2022-12-02 (precision 'approx') "
                        "enter neither window; the jump is the largest of the 2 steps across the band; "
                        "across the whole band 900 (2022-07-18) -> 1,120 (2022-12-12), +24.4%")
    assert ("hyesan_customs_rumour_2022 Hyesan/CNY: pre 2022-01-24 to 2022-11-18 (4 reports), post "
            "2022-12-02 to 2023-04-30 (4 reports); median spacing of reports within a year: 14 days"
            ) in res.notes
    lines = res.summary().splitlines()
    assert lines[0].startswith("Event study: pre >= 4 reports and >= 30D, post >= 4 reports and >= 30D")
    assert lines[1].endswith("jump +31.8% (+0.276 log points): 850 on 2022-11-27 -> 1,120 on 2022-12-12 "
                             "(15 days), placebo p 0.0499")
    assert lines[2].startswith("      window means +0.302 log points (se 0.032, ")


def test_hyesan_rumour_as_a_one_day_event_hides_the_move() -> None:
    """Taking the approximate date as exact reproduces the issue's numbers: +8%, placebo p > 0.5."""
    res = event_study(hyesan_yuan(), "hyesan_customs_rumour_2022", city="Hyesan", currency="CNY",
                      before="150D", after="60D", tolerance={"approx": "0D"})
    row = res.results.iloc[0]
    assert (row.n_pre, row.n_post) == (1, 2)  # 900 before; 850 and 1,120 after
    assert row.change == pytest.approx(0.5 * math.log(850 * 1120) - math.log(900))  # +0.081
    assert row.placebo_pvalue > 0.5
    assert row.jump_pct == pytest.approx(100 * (850 / 900 - 1))  # the step across 25 Nov is -5.6%
    # with the band, the same windows leave 27 Nov out of both
    banded = event_study(hyesan_yuan(), "hyesan_customs_rumour_2022", city="Hyesan", currency="CNY",
                         before="150D", after="60D").results.iloc[0]
    assert (banded.n_pre, banded.n_post) == (2, 1)  # 920 and 900 | 1,120
    assert banded.change == pytest.approx(math.log(1120) - 0.5 * math.log(920 * 900))


def test_int_windows_count_reports() -> None:
    # TINY: 1.0, 1.2, 1.4 (Jan 1, 11, 21) | event Jan 31 | 2.5, 2.9 (Feb 5, 15)
    row = event_study(TINY, TINY_EVENT, before=2, after=1, n_placebo=0).results.iloc[0]
    assert (row.n_pre, row.n_post) == (2, 1)
    assert row.change == pytest.approx(2.5 - 1.3)
    assert (row.pre_start, row.pre_end) == (pd.Timestamp("2022-01-11"), pd.Timestamp("2022-01-31"))
    assert (row.post_start, row.post_end) == (pd.Timestamp("2022-01-31"), pd.Timestamp("2022-02-05"))
    # gap=1 leaves out the report nearest the event on each side
    gapped = event_study(TINY, TINY_EVENT, before=2, after=1, gap=1, n_placebo=0).results.iloc[0]
    assert gapped.change == pytest.approx(2.9 - 1.1)
    assert (gapped.pre_start, gapped.pre_end) == (pd.Timestamp("2022-01-01"), pd.Timestamp("2022-01-21"))
    assert gapped.post_start == pd.Timestamp("2022-02-15")
    # more reports than there are: all of them
    row = event_study(TINY, TINY_EVENT, before=10, after=10, n_placebo=0).results.iloc[0]
    assert (row.n_pre, row.n_post) == (3, 2)
    # an int and a duration mix: 1 report before, 20 days after
    mixed = event_study(TINY, TINY_EVENT, before=1, after="20D", n_placebo=0)
    assert mixed.params["windows"] == {"before": "1 report", "after": "20D", "gap": "0D"}
    assert mixed.params["before"] == "10D"  # the day length the report spanned (Jan 21 to 31)
    assert event_window(TINY, TINY_EVENT.iloc[0], before=1, after=1)["rate"].tolist() == pytest.approx(
        np.exp([1.4, 2.5]).tolist())


def test_default_windows_reach_back_to_the_last_reports() -> None:
    dates = pd.to_datetime(["2020-01-05", "2020-02-01", "2021-06-01", "2021-06-15", "2021-06-29",
                            "2021-07-13", "2021-07-27"])
    s = pd.Series([100.0, 102.0, 130.0, 131.0, 129.0, 130.0, 132.0], index=dates)
    ev = pd.DataFrame({"id": ["e"], "start": ["2021-06-08"]})
    row = event_study(s, ev, n_placebo=0).results.iloc[0]
    # 4 reports before: back to Jan 2020, across a silence of 16 months
    assert (row.n_pre, row.n_post) == (3, 4)
    assert row.pre_start == pd.Timestamp("2020-01-05")
    # 60 days (the old default) holds one report only
    assert event_study(s, ev, before="60D", n_placebo=0).results["n_pre"].iloc[0] == 1
    assert (row.before_date, row.after_date, row.bracket_days) == (
        pd.Timestamp("2021-06-01"), pd.Timestamp("2021-06-15"), 14.0)
    assert row.note == ("the pre window spans 520 days (2020-01-05 to 2021-06-08): its mean mixes "
                        "distant reports")


def test_long_bracketing_gap_is_noted() -> None:
    row = event_study(TINY, pd.DataFrame({"id": ["e"], "start": ["2022-01-25"]}), before=3, after=2,
                      n_placebo=0).results.iloc[0]
    assert row.bracket_days == 15.0
    assert row.note == ""
    s = pd.Series([100.0, 120.0], index=pd.to_datetime(["2022-01-01", "2022-03-01"]))
    row = event_study(s, pd.DataFrame({"id": ["e"], "start": ["2022-02-01"]}), n_placebo=0).results.iloc[0]
    assert row.jump_pct == pytest.approx(20.0)
    assert row.note == ("the bracketing reports are 59 days apart (more than 31): the move may have "
                        "happened anywhere between them")


def test_date_precision_band_and_tolerance() -> None:
    # 'month' is +-15 days: the report of Jan 21 (10 days before) is in the band
    ev = TINY_EVENT.assign(date_precision=["month"])
    row = event_study(TINY, ev, before="40D", after="20D", n_placebo=0).results.iloc[0]
    assert (row.band_start, row.band_end) == (pd.Timestamp("2022-01-16"), pd.Timestamp("2022-02-15"))
    assert row.n_band == 2  # Jan 21 and Feb 5; Feb 15 is on the band's end: after it
    assert (row.n_pre, row.n_post) == (2, 1)
    # the largest of the three steps 1.2 -> 1.4 -> 2.5 -> 2.9
    assert (row.before_rate, row.after_rate) == pytest.approx((math.exp(1.4), math.exp(2.5)))
    assert row.span_log == pytest.approx(2.9 - 1.2)
    narrow = event_study(TINY, ev, before="40D", after="20D", tolerance={"month": "3D"},
                         n_placebo=0).results.iloc[0]
    assert (narrow.n_band, narrow.n_pre, narrow.n_post) == (0, 3, 2)
    assert narrow.jump_log == pytest.approx(1.1)
    w = event_window(TINY, ev.iloc[0], before="20D", after="0D")
    assert w["position"].tolist() == ["before", "before", "during", "during", "during"]
    odd = event_study(TINY, ev.assign(date_precision=["weekish"]), n_placebo=0).results.iloc[0]
    assert odd.reason == ("date_precision must be one of 'day', 'approx', 'month', 'year'; got 'weekish' "
                          "(or pass tolerance={'weekish': '7D'})")
    assert math.isnan(odd.change)
    fixed = event_study(TINY, ev.assign(date_precision=["weekish"]), tolerance={"weekish": "0D"},
                        n_placebo=0).results.iloc[0]
    assert fixed.n_band == 0
    assert fixed.change == pytest.approx(2.7 - 1.2)


def test_jump_placebo_on_a_known_step(rng: np.random.Generator) -> None:
    s = step_series(rng, jump=0.3)
    row = event_study(s, "freight_train_resumes_2022", n_placebo=300).results.iloc[0]
    assert 0.2 < row.jump_log < 0.4
    assert row.jump_placebo_pvalue < 0.01
    null = step_series(np.random.default_rng(5), jump=0.0)
    assert event_study(null, "freight_train_resumes_2022", n_placebo=300).results[
        "jump_placebo_pvalue"].iloc[0] > 0.05


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"before": 150.0}, NkfxTypeError, "before must be a number of reports (an int, as detect(trim=6)) or "
     "a duration such as '60D'; got 150.0 (float)"),
    ({"before": True}, NkfxTypeError, "before must be a number of reports (an int, as detect(trim=6)) or "
     "a duration such as '60D'; got True (bool)"),
    ({"after": [3]}, NkfxTypeError, "after must be a number of reports (an int, as detect(trim=6)) or "
     "a duration such as '60D'; got [3] (list)"),
    ({"gap": None}, NkfxTypeError, "gap must be a number of reports (an int, as detect(trim=6)) or "
     "a duration such as '60D'; got None (NoneType)"),
    ({"before": 0}, NkfxValueError, "before as a number of reports must be >= 1; got 0"),
    ({"after": -3}, NkfxValueError, "after as a number of reports must be >= 1; got -3"),
    ({"gap": -1}, NkfxValueError, "gap as a number of reports must be >= 0; got -1"),
    ({"before": "150"}, NkfxValueError, "before as text needs a unit, such as '150D'; got '150' "
     "(pass an int for a number of reports)"),
    ({"after": "-5D"}, NkfxValueError, "after must be a duration > 0; got '-5D'"),
    ({"gap": "soon"}, NkfxValueError,
     "gap must be a duration such as '30D' or pd.Timedelta(days=30); got 'soon'"),
    ({"tolerance": "7D"}, NkfxTypeError, "tolerance must map date precisions to durations, such as "
     "{'approx': '7D'}; got str"),
    ({"tolerance": {"approx": 3}}, NkfxTypeError, "tolerance['approx'] must be a duration such as '7D'; "
     "got 3 (int)"),
    ({"tolerance": {"approx": "-1D"}}, NkfxValueError, "tolerance['approx'] must be a duration >= 0; "
     "got '-1D'"),
    ({"tolerance": {7: "7D"}}, NkfxTypeError, "tolerance keys must be date precisions (str); got 7"),
])
def test_window_argument_errors(kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        event_study(TINY, TINY_EVENT, n_placebo=0, **kwargs)  # type: ignore[arg-type]


def test_event_window_argument_errors() -> None:
    with pytest.raises(NkfxTypeError, match=r"^before must be a number of reports .* got False \(bool\)$"):
        event_window(TINY, "2022-01-31", before=False)
    with pytest.raises(NkfxValueError, match=r"^after as a number of reports must be >= 0; got -1$"):
        event_window(TINY, "2022-01-31", after=-1)
    assert event_window(TINY, "2022-01-31", before=0, after=0).empty


def test_range_argmax_matches_brute_force() -> None:
    from nkfx.events.study import _range_argmax

    values = np.random.default_rng(0).integers(0, 4, 37).astype(float)
    lo, hi = np.array([(a, b) for a in range(37) for b in range(a + 1, 38)]).T
    expected = [a + int(np.argmax(values[a:b])) for a, b in zip(lo, hi, strict=True)]
    assert _range_argmax(values, lo, hi).tolist() == expected


def test_summary_never_prints_nan_and_to_frame_is_readable() -> None:
    import warnings

    from nkfx.clean import combine
    from nkfx.datasets import load_observations

    rates = combine(load_observations())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = event_study(rates, ["redenomination_2009", "hyesan_customs_rumour_2022"],
                            city="Hyesan", currency="USD")
    text = study.summary()
    assert "nan" not in text.replace("n/a", "")
    assert "placebo p n/a" in text
    main = study.to_frame()
    assert list(main.columns[:3]) == ["event_id", "city", "currency"]
    assert len(main.columns) == 17
    assert len(study.to_frame("all").columns) == len(study.results.columns)
    with pytest.raises(NkfxValueError, match="columns must be one of 'main', 'all'; got 'some'"):
        study.to_frame("some")  # type: ignore[arg-type]
