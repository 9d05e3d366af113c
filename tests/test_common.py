"""detect_common: exact common dates, per-series parts, the common-date test, real reports."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nkfx
from nkfx.detect import _common as core
from nkfx.detect.common import CommonBreaks, common_example, detect_common
from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from simulate_common import simulate, study


def frame(series: dict[str, pd.Series], currency: str = "USD") -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"date": s.index, "city": k, "currency": currency,
                                    "rate": s.to_numpy(), "source": "t"})
                      for k, s in series.items()], ignore_index=True)


def steps(dates: pd.DatetimeIndex, at: str, before: float, after: float,
          wiggle: float = 0.0) -> pd.Series:
    level = np.where(dates >= pd.Timestamp(at), after, before)
    return pd.Series(level * np.exp(wiggle * np.sin(np.arange(dates.size))), index=dates)


# ----------------------------------------------------------------------------- the core


def brute_panel(panel: core.Panel, w: np.ndarray, m: int, h: int) -> tuple[tuple[int, ...], float]:
    cums = core.cums(panel)
    best: tuple[tuple[int, ...], float] = ((), np.inf)
    for starts in itertools.combinations(range(1, panel.n_grid), m):
        edges = np.r_[0, starts, panel.n_grid]
        ssr, cnt = core._ssr(cums, edges[:-1], edges[1:])
        if (cnt < h).any():
            continue
        cost = float((ssr / w[:, None]).sum())
        if cost < best[1] - 1e-12:
            best = (tuple(int(s) for s in starts), cost)
    return best


@pytest.mark.parametrize("m", [1, 2, 3])
def test_partition_is_the_exhaustive_optimum(rng: np.random.Generator, m: int) -> None:
    for _ in range(15):
        days = [np.sort(rng.choice(40, size=int(rng.integers(12, 20)), replace=False))
                for _ in range(3)]
        ys = [rng.standard_normal(d.size) + (d > 20) * rng.normal(0, 2) for d in days]
        panel = core.make_panel(days, ys)
        w = rng.uniform(0.5, 2.0, 3)
        want, cost = brute_panel(panel, w, m, 2)
        if m == 1:
            got, got_cost = core.single_break(core.cums(panel), w, 0, panel.n_grid, 2)
            assert (got,) == want
            assert got_cost == pytest.approx(cost, rel=1e-10)
        else:
            starts, got_cost = core.partition(core.segment_costs(core.cums(panel), w, 2), m)
            assert tuple(starts) == want
            assert got_cost == pytest.approx(cost, rel=1e-10)


def test_own_breaks_are_each_series_alone(rng: np.random.Generator) -> None:
    days = [np.arange(0, 60, 3), np.arange(1, 60, 4)]
    ys = [np.r_[np.zeros(10), np.ones(10)] + 0.1 * rng.standard_normal(20),
          np.r_[np.zeros(5), np.ones(10)] + 0.1 * rng.standard_normal(15)]
    panel = core.make_panel([np.asarray(d) for d in days], ys)
    own, _ = core.own_breaks(core.cums(panel), 0, panel.n_grid, 2)
    # the new regimes start after day 27 (series 0's 10th report) and day 17 (series 1's
    # 5th): the first union day after each, whoever reported it
    assert [int(panel.grid[b - 1]) for b in own] == [27, 17]
    assert [int(panel.grid[b]) for b in own] == [29, 18]


def test_weights_reach_a_fixed_point(rng: np.random.Generator) -> None:
    days = [np.arange(0, 300, 7), np.arange(2, 300, 9)]
    ys = [0.5 * (d >= 150) + s * rng.standard_normal(d.size) for d, s in zip(days, (0.1, 0.4), strict=True)]
    panel = core.make_panel(days, ys)
    starts, w, iters = core.fit_breaks(panel, 1, 2, core.start_weights(panel))
    ssr, cnt = core.series_ssr(core.cums(panel), starts)
    np.testing.assert_allclose(w, ssr / cnt)
    assert iters <= 5
    assert w[1] > 5 * w[0]  # the noisier series has the larger variance, so less weight


def test_interval_scale_shrinks_with_the_number_of_series(rng: np.random.Generator) -> None:
    # Same dates, equal shifts, independent white noise: lambda = sigma^2 / (K delta^2).
    n, delta = 4000, 0.5
    days = [np.arange(n)] * 4
    resid = [rng.standard_normal(n) for _ in range(4)]
    panel = core.make_panel(days, resid)
    for k in (1, 2, 4):
        members = np.r_[np.ones(k), np.zeros(4 - k)]
        lam = core.ci_scale(panel, resid, np.full(4, delta), np.ones(4), 0, n,
                            members=None if k == 4 else members)
        if k < 4 and k > 1:  # the members= path keeps only the rows of its series
            continue
        assert lam == pytest.approx(1 / (k * delta**2), rel=0.1)


def test_argmax_quantile_is_bais_value() -> None:
    # Bai (1997): the 97.5% quantile of argmax W(s) - |s|/2 is 11.03.
    assert core.argmax_quantile(0.95) == pytest.approx(11.03, abs=0.01)
    assert core.argmax_quantile(0.90) == pytest.approx(7.69, abs=0.01)


# ----------------------------------------------------------------------------- the API


def test_noise_free_steps_give_the_exact_dates_and_jumps() -> None:
    a = steps(pd.date_range("2021-01-03", periods=30, freq="14D"), "2021-06-01", 5000, 6000)
    b = steps(pd.date_range("2021-01-06", periods=26, freq="16D"), "2021-06-01", 700, 910)
    res = detect_common({"USD": a, "CNY": b}, n_boot=0)
    row = res.breaks.iloc[0]
    assert (row["last_old"], row["first_new"]) == (pd.Timestamp("2021-05-30"),
                                                 pd.Timestamp("2021-06-06"))
    parts = res.series.set_index("series")
    assert parts.loc["USD", "jump_pct"] == pytest.approx(20.0)
    assert parts.loc["CNY", "jump_pct"] == pytest.approx(30.0)
    assert parts["lead_days"].tolist() == [0, 0]
    assert row["lr_common"] == 0.0


def test_example_three_cities() -> None:
    res = detect_common(common_example(), currency="USD", n_boot=199, seed=3)
    row = res.breaks.iloc[0]
    assert row["first_new"] == pd.Timestamp("2022-01-25")
    assert row["ci_lower"] <= pd.Timestamp("2022-01-22") <= row["ci_upper"]
    assert row["n_taking_part"] == 3
    assert row["pvalue_common"] > 0.05
    assert res.series["jump_pct"].between(35, 45).all()
    assert repr(res) == ("CommonBreaks(1 common break(s): 2022-01-25; "
                         "series: Hyesan, Pyongyang, Sinuiju)")


def test_a_series_without_the_jump_does_not_take_part(rng: np.random.Generator) -> None:
    dates = pd.date_range("2020-01-05", periods=40, freq="W")
    jump = {f"c{i}": steps(dates, "2020-05-10", 100, 130) * np.exp(0.02 * rng.standard_normal(40))
            for i in range(2)}
    jump["flat"] = pd.Series(100 * np.exp(0.02 * rng.standard_normal(40)), index=dates)
    parts = detect_common(jump, n_boot=0).series.set_index("series")
    assert parts["takes_part"].to_dict() == {"c0": True, "c1": True, "flat": False}
    assert abs(parts.loc["flat", "jump_pct"]) < 3


def test_separate_dates_are_rejected(rng: np.random.Generator) -> None:
    dates = pd.date_range("2020-01-05", periods=60, freq="W")
    noise = lambda: np.exp(0.02 * rng.standard_normal(60))  # noqa: E731
    data = {"early": steps(dates, "2020-04-05", 100, 120) * noise(),
            "also early": steps(dates, "2020-04-05", 100, 120) * noise(),
            "late": steps(dates, "2020-09-06", 100, 125) * noise()}
    res = detect_common(data, n_boot=199, seed=1)
    assert res.breaks["pvalue_common"].iloc[0] < 0.01
    # the common date goes to the larger jump; the two early series show their own dates
    # 154 days before it and, with no jump left at the common date, do not take part
    assert res.dates[0] == pd.Timestamp("2020-09-06")
    parts = res.series.set_index("series")
    assert parts["own_first_new"].tolist() == [pd.Timestamp("2020-04-05")] * 2 + [
        pd.Timestamp("2020-09-06")]
    assert parts["lead_days"].tolist() == [-154, -154, 0]
    assert parts["takes_part"].tolist() == [False, False, True]


def test_bic_finds_two_common_breaks(rng: np.random.Generator) -> None:
    dates = pd.date_range("2019-01-06", periods=90, freq="W")
    level = 1000 * np.where(dates >= "2019-06-02", 1.3, 1.0) * np.where(dates >= "2020-03-01", 1.25, 1)
    data = {c: pd.Series(level * np.exp(0.02 * rng.standard_normal(90)), index=dates)
            for c in ("a", "b", "c")}
    res = detect_common(data, n_breaks="bic", n_boot=0)
    assert res.dates.tolist() == [pd.Timestamp("2019-06-02"), pd.Timestamp("2020-03-01")]
    assert res.criteria["BIC"].idxmin() == 2


def test_inputs_agree_and_are_not_mutated() -> None:
    sim = common_example()
    before = sim.copy()
    long = detect_common(sim, currency="USD", n_boot=49, seed=5)
    wide = sim.pivot(index="date", columns="city", values="rate")
    wide_copy = wide.copy()
    res_wide = detect_common(wide, n_boot=49, seed=5)
    mapping = {c: g.set_index("date")["rate"] for c, g in sim.groupby("city")}
    res_map = detect_common(mapping, n_boot=49, seed=5)
    pd.testing.assert_frame_equal(sim, before)
    pd.testing.assert_frame_equal(wide, wide_copy)
    for other in (res_wide, res_map):
        pd.testing.assert_frame_equal(long.breaks, other.breaks)
    again = detect_common(sim, currency="USD", n_boot=49, seed=5)
    pd.testing.assert_frame_equal(long.to_frame(), again.to_frame())


def test_window_and_result_methods() -> None:
    res = detect_common(common_example(), currency="USD", start="2021-10-01", end="2022-05-01",
                        n_boot=49)
    assert res.data["date"].between("2021-10-01", "2022-05-01").all()
    frame_ = res.to_frame()
    assert list(frame_["series"]) == ["Hyesan", "Pyongyang", "Sinuiju"]
    assert {"first_new", "jump_pct", "own_first_new", "pvalue_common"} <= set(frame_.columns)
    text = res.summary().as_text()
    assert "2022-01-25" in text
    assert "Each series' part" in text
    assert res.to_dict()["params"]["currency"] == "USD"
    assert res._repr_html_().startswith("<table")


def test_plot_shows_every_series_outside_the_legend() -> None:
    import matplotlib.pyplot as plt

    res = detect_common(common_example(), currency="USD", n_boot=49)
    ax = res.plot()
    try:
        lines = [ln for ln in ax.get_lines() if ln.get_label() in {"Hyesan", "Pyongyang", "Sinuiju"}]
        assert len({ln.get_color() for ln in lines}) == 3
        assert ax.get_yscale() == "log"
        texts = [t.get_text() for t in ax.texts]
        assert any("2022-01-25" in t and "%" in t for t in texts)
        fig = ax.get_figure()
        fig.canvas.draw()
        legend = ax.get_legend().get_window_extent()
        axes_box = ax.get_window_extent()
        assert legend.x0 >= axes_box.x1  # the legend sits outside the data
    finally:
        plt.close("all")


@pytest.mark.parametrize(("kwargs", "err", "msg"), [
    ({"n_breaks": -1}, NkfxValueError, r"n_breaks must be an integer >= 0 or 'bic'; got -1"),
    ({"n_breaks": "aic"}, NkfxValueError, r"n_breaks must be .*got 'aic'"),
    ({"max_breaks": 0}, NkfxValueError, r"max_breaks must be an integer >= 1; got 0"),
    ({"trim": 0.6}, NkfxValueError, r"trim must be a number in \(0, 0.5\); got 0.6"),
    ({"level": 1.0}, NkfxValueError, r"level must be a number in \(0.5, 1\); got 1.0"),
    ({"alpha": "5%"}, NkfxValueError, r"alpha must be a number in \(0, 0.5\); got '5%'"),
    ({"n_boot": -5}, NkfxValueError, r"n_boot must be an integer >= 0 \(0: no bootstrap\); got -5"),
])
def test_bad_arguments(kwargs: dict[str, object], err: type, msg: str) -> None:
    with pytest.raises(err, match=msg):
        detect_common(common_example(), currency="USD", **kwargs)  # type: ignore[arg-type]


def test_bad_data() -> None:
    sim = common_example()
    with pytest.raises(NkfxTypeError, match=r"data must be a rate frame, a wide DataFrame .* got list"):
        detect_common([1, 2])  # type: ignore[arg-type]
    with pytest.raises(NkfxTypeError, match=r"data\['a'\] must be a pandas Series indexed by date"):
        detect_common({"a": [1, 2]})  # type: ignore[dict-item]
    two = pd.concat([sim, sim.assign(currency="CNY", rate=sim["rate"] / 7)])
    with pytest.raises(NkfxValueError, match=r"several currencies \['CNY', 'USD'\]; pass currency="):
        detect_common(two)
    # several rows per city and date: their median, said in the notes (the rule of issue 15)
    dup = pd.concat([sim, sim.iloc[:1].assign(source="other")])
    assert ("series 'Pyongyang': 1 value(s) sharing a date with another were combined: median per "
            "date." in detect_common(dup, currency="USD", n_boot=0).notes)
    with pytest.raises(InsufficientDataError, match=r"at least 2 series; got \['Hyesan'\]"):
        detect_common(sim.loc[sim["city"] == "Hyesan"])
    with pytest.raises(InsufficientDataError, match=r"series \['Hyesan', 'Pyongyang', 'Sinuiju'\] "
                       "have fewer than 4 reports in the window"):
        detect_common(sim, currency="USD", end="2021-08-01")
    with pytest.raises(InsufficientDataError, match=r"no 9 common break\(s\) fit: every series "
                       "needs at least 5 reports in every regime"):
        detect_common(sim, currency="USD", n_breaks=9)
    bad = sim.copy()
    bad.loc[3, "rate"] = -1.0
    with pytest.raises(NkfxValueError, match=r"column 'rate': rate must be finite and > 0 \(index 3\)"):
        detect_common(bad, currency="USD")
    series = {c: g.set_index("date")["rate"] for c, g in bad.groupby("city")}
    with pytest.raises(NkfxValueError, match="series 'Pyongyang' has rates <= 0"):
        detect_common(series)
    with pytest.raises(NkfxValueError, match=r"data has no column 'region'"):
        detect_common(sim, by="region")


def test_exported() -> None:
    assert nkfx.detect_common is detect_common
    assert nkfx.CommonBreaks is CommonBreaks


# ----------------------------------------------------------------------------- simulation


def test_simulation_coverage_and_precision_reduced() -> None:
    got = study(60, 49, 11, shared=0.5)
    assert got["coverage"] >= 0.9
    # the common date is several times more precise than each city's own date
    assert got["rmse_days"] < 0.5 * got["own_rmse_days"]
    assert got["width_days"] < 0.5 * got["own_width_days"]


def test_simulation_power_reduced() -> None:
    assert study(40, 49, 12, shared=0.5, offsets=(0, 0, 60))["reject"] >= 0.5


@pytest.mark.slow
@pytest.mark.parametrize("kw", [{"shared": 0.5, "delta": 0.10}, {"shared": 0.0},
                                {"shared": 0.5, "phi": 0.6}])
def test_simulation_size_and_coverage(kw: dict[str, float]) -> None:
    got = study(1000, 199, 21, **kw)  # type: ignore[arg-type]
    assert got["coverage"] >= 0.9
    assert 0.035 <= got["reject"] <= 0.065


def test_simulate_helper_truth(rng: np.random.Generator) -> None:
    rates, truth = simulate(rng, offsets=(0, 0, 30))
    assert sorted(rates["city"].unique()) == ["c0", "c1", "c2"]
    assert truth[2] - truth[0] == pd.Timedelta(days=30)


# ----------------------------------------------------------------------------- real reports


@pytest.fixture
def dailynk_usd(shared_data: Path) -> pd.DataFrame:
    return nkfx.read_rates(shared_data / "dailynk_usd_kpw_by_city.csv", currency="USD",
                           source_name="Daily NK", old_won="keep").rates


def test_january_2022_was_common_to_the_three_cities(dailynk_usd: pd.DataFrame) -> None:
    res = detect_common(dailynk_usd, currency="USD", start="2021-07-01", end="2022-06-30")
    row = res.breaks.iloc[0]
    assert (row["last_old"], row["first_new"]) == (pd.Timestamp("2022-01-11"),
                                                 pd.Timestamp("2022-01-24"))
    assert row["ci_lower"] >= pd.Timestamp("2021-11-01")
    assert row["ci_upper"] <= pd.Timestamp("2022-03-01")
    assert row["n_taking_part"] == 3
    assert row["pvalue_common"] > 0.2
    assert row["shared_shock"] > 0.5  # the three cities are reported on one day, sharing shocks
    parts = res.series.set_index("series")
    assert parts["jump_pct"].round(1).to_dict() == {"Hyesan": 33.6, "Pyongyang": 31.4,
                                                    "Sinuiju": 32.0}
    assert (parts["lead_days"] == 0).all()


def test_whole_sample_bic_sees_eras(dailynk_usd: pd.DataFrame) -> None:
    # Over 17 years mean shifts describe eras, not jumps: documented, and pinned here.
    res = detect_common(dailynk_usd, currency="USD", n_breaks="bic", max_breaks=6, n_boot=0)
    assert [d.date().isoformat() for d in res.dates] == ["2012-03-02", "2024-10-13"]


def test_currencies_of_one_city_by_currency(rng: np.random.Generator) -> None:
    # Did the yuan and the dollar break together in one city? by="currency".
    dates = pd.date_range("2022-01-02", periods=40, freq="W")
    usd = steps(dates, "2022-06-05", 6000, 6000) * np.exp(0.01 * rng.standard_normal(40))
    cny = steps(dates, "2022-06-05", 900, 1170) * np.exp(0.01 * rng.standard_normal(40))
    rates = pd.concat([frame({"Hyesan": usd}, "USD"), frame({"Hyesan": cny}, "CNY")],
                      ignore_index=True)
    res = detect_common(rates, by="currency", n_boot=99, seed=2)
    assert res.dates[0] == pd.Timestamp("2022-06-05")
    parts = res.series.set_index("series")
    assert parts["takes_part"].to_dict() == {"CNY": True, "USD": False}
    assert parts.loc["CNY", "jump_pct"] == pytest.approx(30.0, abs=1.5)
    assert res.params["currency"] is None


def test_dates_are_calendar_days_and_undated_values_are_refused() -> None:
    # Found by the long fuzz (issue 18): aware and NaT indexes raised pandas' TypeErrors.
    sim = common_example()
    series = {c: g.set_index("date")["rate"] for c, g in sim.groupby("city")}
    aware = dict(series, Hyesan=series["Hyesan"].tz_localize("Asia/Seoul"))
    naive = detect_common(series, n_boot=0)
    local = detect_common(aware, n_boot=0, start=pd.Timestamp("2021-07-01", tz="UTC"))
    pd.testing.assert_frame_equal(naive.breaks, local.breaks)
    undated = dict(series)
    undated["Hyesan"] = series["Hyesan"].set_axis(
        series["Hyesan"].index.where(np.arange(30) != 4, pd.NaT))
    with pytest.raises(NkfxValueError, match=r"series 'Hyesan' has 1 value\(s\) without a date \(NaT\)"):
        detect_common(undated)
    infinite = dict(series, Hyesan=series["Hyesan"].replace(series["Hyesan"].iloc[3], np.inf))
    with pytest.raises(NkfxValueError, match="series 'Hyesan' has infinite rates"):
        detect_common(infinite)
    with pytest.raises(NkfxValueError, match="start must be a date; got 'soon'"):
        detect_common(series, start="soon")
    # Long fuzz (issue 18): 1e-300 beside 1 overflowed math.expm1 in jump_pct.
    days = pd.date_range("2009-01-01", periods=4)
    slip = {"a": pd.Series(1.0, days), "b": pd.Series([1e-300, 5e-324, 1.0, 1.0], days)}
    with pytest.raises(NkfxValueError, match=r"series 'b' spans rates from .* beyond float range"):
        detect_common(slip, n_boot=19, seed=3)


def test_several_reports_on_a_date_take_their_median_and_say_so() -> None:
    # The one rule of nkfx (issue 15); detect_common refused such data before.
    sim = common_example()
    series = {c: g.set_index("date")["rate"] for c, g in sim.groupby("city")}
    hy = series["Hyesan"]
    twice = pd.concat([hy, hy.iloc[[3]] * 1.2]).sort_index()
    res = detect_common(dict(series, Hyesan=twice), n_boot=0)
    note = "series 'Hyesan': 1 value(s) sharing a date with another were combined: median per date."
    assert note in res.notes
    by_hand = dict(series, Hyesan=twice.groupby(level=0).median())
    pd.testing.assert_frame_equal(res.breaks, detect_common(by_hand, n_boot=0).breaks)
    frame = pd.concat([sim, sim.iloc[[0]].assign(rate=sim["rate"].iloc[0] * 1.2, source="RFA")],
                      ignore_index=True)
    city = str(sim["city"].iloc[0])
    assert (f"series {city!r}: 1 value(s) sharing a date with another were combined: median per date."
            in detect_common(frame, n_boot=0).notes)


def test_missing_values_are_counted_and_text_is_refused() -> None:
    sim = common_example()
    series = {c: g.set_index("date")["rate"] for c, g in sim.groupby("city")}
    gappy = dict(series, Sinuiju=series["Sinuiju"].where(np.arange(30) % 7 != 0))
    res = detect_common(gappy, n_boot=0)
    assert "series 'Sinuiju': 5 missing value(s) left out." in res.notes
    assert (res.data["series"] == "Sinuiju").sum() == 25
    words = dict(series, Sinuiju=series["Sinuiju"].astype(str))
    with pytest.raises(NkfxTypeError, match="series 'Sinuiju' must hold numbers; got dtype"):
        detect_common(words)


def test_a_long_window_says_it_describes_eras(dailynk_usd: pd.DataFrame) -> None:
    # The default call over 17 years: regime means differ by +1,045% (Hyesan), but the reports
    # around the date moved -2.2%; the result says so, and no city "takes part" by HAC.
    res = detect_common(dailynk_usd, currency="USD", n_boot=0)
    parts = res.series.set_index("series")
    assert res.dates[0] == pd.Timestamp("2012-03-02")
    assert parts.loc["Hyesan", "jump_pct"] == pytest.approx(1045.4, abs=0.1)
    assert parts.loc["Hyesan", "report_jump_pct"] == pytest.approx(-2.2, abs=0.05)
    assert not parts["takes_part"].any()
    assert any(n.startswith("The window spans 17 years") for n in res.notes)
    jan = detect_common(dailynk_usd, currency="USD", start="2021-07-01", end="2022-06-30", n_boot=0)
    between = jan.series.set_index("series")["report_jump_pct"].round(1).to_dict()
    assert between == {"Hyesan": 43.5, "Pyongyang": 43.0, "Sinuiju": 43.2}  # 4,650 -> 6,675 ...
    assert not any(n.startswith("The window spans") for n in jan.notes)
