"""Exact penalised segmentation (PELT, FPOP, CROPS) against ruptures and brute force."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nkfx.detect._prepare import Prepared, prepare
from nkfx.detect.pelt._core import crops, pelt
from nkfx.detect.pelt._method import pelt_method, resolve_min_size, segment_means
from nkfx.detect.pelt._penalty import COST_TABLE, COSTS, PHI_MAX, ar1_noise, noise_variance, resolve_penalty
from nkfx.detect.pelt._robust import fpop_biweight, pelt_biweight, segment_biweight
from nkfx.detect.pelt.path import penalty_path, plot_penalty_path
from nkfx.detect.results import Breaks
from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError

rpt = pytest.importorskip("ruptures")

LOG_2PI = math.log(2 * math.pi)


# --- seeded signals ------------------------------------------------------------------

def piecewise(rng: np.random.Generator, n: int, n_changes: int, jump: tuple[float, float] = (2, 4)
              ) -> np.ndarray:
    """Piecewise-constant mean (jumps of 2-4 sd, random sign) plus N(0, 1) noise."""
    mu = np.zeros(n)
    if n_changes:
        cps = np.sort(rng.choice(np.arange(1, n), size=min(n_changes, n - 1), replace=False))
        for c in cps:
            mu[c:] += rng.choice([-1.0, 1.0]) * rng.uniform(*jump)
    return mu + rng.normal(size=n)


def scenario(kind: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "short":
        return piecewise(rng, int(rng.integers(5, 25)), int(rng.integers(0, 3)))
    if kind == "constant":
        return np.full(int(rng.integers(5, 60)), float(rng.normal()))
    if kind == "many":
        n = int(rng.integers(150, 400))
        return piecewise(rng, n, n // 25)
    if kind == "few":
        return piecewise(rng, int(rng.integers(100, 250)), int(rng.integers(1, 4)))
    y = piecewise(rng, int(rng.integers(100, 300)), 3)  # "outliers"
    spikes = rng.choice(y.size, size=4, replace=False)
    y[spikes] += rng.choice([-1.0, 1.0], size=4) * 8.0
    return y


CASES = [(kind, seed, 1 + seed % 5) for kind in ("short", "constant", "many", "few", "outliers")
         for seed in range(12)]


def ruptures_ends(y: np.ndarray, pen: float, min_size: int) -> list[int]:
    return [int(e) for e in rpt.Pelt(model="l2", min_size=min_size, jump=1).fit(y).predict(pen=pen)]


# --- independent O(n^2) optimal partitioning ----------------------------------------

def optimal_partitioning(y: np.ndarray, pen: float, min_size: int, cost: str = "l2",
                         segment_coef: float = 0.0, floor: float = 0.0) -> list[int]:
    """Brute-force minimum of sum(cost) + pen * breaks (+ mbic length term); returns ends."""
    n = y.size
    c1 = np.concatenate([[0.0], np.cumsum(y)])
    c2 = np.concatenate([[0.0], np.cumsum(y * y)])
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    arg = np.zeros(n + 1, dtype=int)
    for s in range(min_size, n + 1):
        t = np.arange(0, s - min_size + 1)
        t = t[(t == 0) | (t >= min_size)]
        length = s - t
        rss = np.maximum(c2[s] - c2[t] - (c1[s] - c1[t]) ** 2 / length, 0.0)
        if cost == "l2":
            seg = rss
        else:
            v = np.maximum(rss / length, floor)
            seg = length * (LOG_2PI + np.log(v)) + rss / v
        total = best[t] + seg + pen * (t > 0) + segment_coef * np.log(length / n)
        j = int(np.argmin(total))
        best[s], arg[s] = total[j], t[j]
    ends, s = [], n
    while s > 0:
        ends.append(s)
        s = int(arg[s])
    return ends[::-1]


# --- agreement with ruptures ---------------------------------------------------------

@pytest.mark.parametrize(("kind", "seed", "min_size"), CASES)
def test_identical_to_ruptures_pelt(kind: str, seed: int, min_size: int) -> None:
    y = scenario(kind, seed)
    if y.size < min_size:
        pytest.skip("series shorter than min_size")
    res = pelt(y, penalty="bic", min_size=min_size)
    assert res.ends.tolist() == ruptures_ends(y, res.penalty, min_size)
    assert res.algorithm == "fpop"


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("pen", [0.5, 3.0, 25.0])
def test_identical_to_ruptures_min_size_one_any_penalty(seed: int, pen: float) -> None:
    y = scenario("many", 100 + seed)
    theirs = ruptures_ends(y, pen, 1)
    for algorithm in ("fpop", "pelt"):
        assert pelt(y, penalty=pen, min_size=1, algorithm=algorithm).ends.tolist() == theirs


@pytest.mark.parametrize(("n", "n_changes", "seed"), [(20_000, 40, 0), (8_000, 5, 1), (8_000, 0, 2)])
def test_identical_to_ruptures_kernelcpd_on_long_series(n: int, n_changes: int, seed: int) -> None:
    # KernelCPD(kernel="linear") is ruptures' exact C implementation of the same l2 problem
    y = piecewise(np.random.default_rng(seed), n, n_changes)
    res = pelt(y, penalty="bic", min_size=3)
    theirs = rpt.KernelCPD(kernel="linear", min_size=3, jump=1).fit(y).predict(pen=res.penalty)
    assert res.ends.tolist() == [int(e) for e in theirs]
    assert res.n_breaks == n_changes


def test_ruptures_misses_the_optimum_with_min_size_and_a_small_penalty() -> None:
    # ruptures prunes a candidate at once even when min_size > 1 (the pruning argument
    # only holds min_size steps later); nkfx delays it and keeps the exact optimum.
    rng = np.random.default_rng(124)
    n, m = int(rng.integers(10, 300)), int(rng.integers(1, 6))
    k = int(rng.integers(0, 8))
    cps = np.sort(rng.choice(np.arange(1, n), size=k, replace=False))
    mu = np.zeros(n)
    for c in cps:
        mu[c:] += rng.normal(0, 3)
    y = mu + rng.normal(size=n)
    assert (n, m) == (265, 4)
    theirs = ruptures_ends(y, 1.0, m)
    ours = pelt(y, penalty=1.0, min_size=m)
    assert ours.ends.tolist() == optimal_partitioning(y, 1.0, m)
    assert ours.ends.tolist() != theirs

    def objective(ends: list[int]) -> float:
        starts = [0, *ends[:-1]]
        return sum(y[a:b].var() * (b - a) for a, b in zip(starts, ends, strict=True)) + (
            len(ends) - 1
        )

    assert ours.objective == pytest.approx(objective(ours.ends.tolist()), abs=1e-9)
    assert objective(theirs) > ours.objective + 1e-6


# --- FPOP == PELT == optimal partitioning --------------------------------------------

@pytest.mark.parametrize("seed", range(40))
def test_fpop_pelt_and_optimal_partitioning_agree(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(20, 250))
    y = piecewise(rng, n, int(rng.integers(0, 10)), jump=(0.5, 4))
    min_size = 1 + seed % 5
    pen = float(rng.choice([1.0, 4.0, 2 * math.log(n), 40.0]))
    fpop = pelt(y, penalty=pen, min_size=min_size, algorithm="fpop")
    pruned = pelt(y, penalty=pen, min_size=min_size, algorithm="pelt")
    assert fpop.ends.tolist() == pruned.ends.tolist() == optimal_partitioning(y, pen, min_size)
    assert fpop.objective == pytest.approx(pruned.objective, rel=1e-12)


@pytest.mark.parametrize("seed", range(15))
def test_normal_cost_and_mbic_match_optimal_partitioning(seed: int) -> None:
    rng = np.random.default_rng(2000 + seed)
    n = int(rng.integers(30, 200))
    y = piecewise(rng, n, 3) * rng.choice([0.5, 1.0, 2.0])
    min_size = 2 + seed % 3
    normal = pelt(y, cost="normal", penalty="bic", min_size=min_size)
    assert normal.algorithm == "pelt"
    assert normal.ends.tolist() == optimal_partitioning(
        y, normal.penalty, min_size, cost="normal", floor=normal.var_floor
    )
    mbic = pelt(y, penalty="mbic", min_size=min_size)
    assert mbic.algorithm == "pelt"
    assert mbic.ends.tolist() == optimal_partitioning(
        y, mbic.penalty, min_size, segment_coef=mbic.segment_coef
    )


def test_fpop_keeps_few_candidates_when_changes_are_rare() -> None:
    y = piecewise(np.random.default_rng(5), 100_000, 5)
    res = pelt(y, penalty="bic")
    assert res.n_breaks == 5
    assert res.max_candidates < 60  # PELT keeps ~n / (changes + 1) = 16,000 here


# --- costs, penalties and paths -----------------------------------------------------

def test_normal_cost_finds_a_variance_change_that_l2_misses() -> None:
    rng = np.random.default_rng(7)
    y = np.r_[rng.normal(0, 1, 300), rng.normal(0, 4, 300)]
    # l2 sees only means: with the pooled variance in the penalty it finds nothing; with
    # the robust (quiet-half) noise scale it cuts the noisy half into spurious mean shifts.
    assert pelt(y, cost="l2", penalty=2 * math.log(y.size) * float(np.var(y))).n_breaks == 0
    assert pelt(y, cost="l2", penalty="bic").n_breaks > 10
    res = pelt(y, cost="normal", penalty="bic")
    assert res.n_breaks == 1
    assert abs(int(res.breaks[0]) - 299) <= 5


def test_named_penalties_by_hand() -> None:
    y = np.array([0.0, 1.0, 3.0, 6.0, 10.0, 15.0, 21.0, 28.0])
    # differences 1..7: median 4, absolute deviations 3 2 1 0 1 2 3, MAD 2
    sigma2 = (1.4826 * 2) ** 2 / 2
    assert noise_variance(y) == pytest.approx(sigma2)
    bic = resolve_penalty("bic", cost="l2", y=y)
    assert bic.per_change == pytest.approx(2 * math.log(8) * sigma2)
    mbic = resolve_penalty("mbic", cost="l2", y=y)
    assert (mbic.per_change, mbic.segment_coef) == pytest.approx((3 * math.log(8) * sigma2, sigma2))
    normal = resolve_penalty("mbic", cost="normal", y=y)  # scale free: not multiplied by sigma2
    assert (normal.per_change, normal.segment_coef) == pytest.approx((4 * math.log(8), 2.0))
    assert resolve_penalty(2.5, cost="l2", y=y).per_change == 2.5


def test_noise_variance_ignores_level_shifts_and_outliers(rng: np.random.Generator) -> None:
    noise = 0.5 * rng.normal(size=20_000)
    y = noise + np.repeat(rng.normal(0, 3, 41), np.diff(np.linspace(0, 20_000, 42).astype(int)))
    y[[100, 2000, 3000]] += 50.0
    assert noise_variance(noise) == pytest.approx(0.25, rel=0.05)
    assert noise_variance(y) == pytest.approx(noise_variance(noise), rel=0.02)
    assert np.var(np.diff(y)) / 2 > 0.6  # the plain estimate is inflated by shifts and spikes
    assert noise_variance(np.full(10, 3.0)) == 1.0  # constant: any penalty gives no break
    assert noise_variance(np.r_[np.zeros(8), 1.0, 0.0]) == pytest.approx(np.var(np.diff(
        np.r_[np.zeros(8), 1.0, 0.0])) / 2)


def test_constant_and_tiny_series_have_no_break() -> None:
    assert pelt(np.full(50, 7.5)).n_breaks == 0
    assert pelt(np.full(50, 7.5), cost="normal").n_breaks == 0
    one = pelt(np.array([1.0]), min_size=1)
    assert one.ends.tolist() == [1]
    assert one.cost == 0.0


def test_penalty_path_is_monotone_and_crops_is_complete() -> None:
    rng = np.random.default_rng(11)
    y = piecewise(rng, 300, 6, jump=(0.5, 3))
    grid = np.geomspace(0.2, 500.0, 120)
    counts = [pelt(y, penalty=float(p), min_size=2).n_breaks for p in grid]
    assert all(np.diff(counts) <= 0)
    path = crops(y, pen_min=0.2, pen_max=500.0, min_size=2)
    found = [e.result.n_breaks for e in path]
    assert found == sorted(found, reverse=True)
    assert len(set(found)) == len(found)
    assert set(counts) <= set(found)  # the grid finds nothing CROPS missed
    for entry in path:
        mid = 0.5 * (entry.low + entry.high)
        assert pelt(y, penalty=mid, min_size=2).ends.tolist() == entry.result.ends.tolist()
    assert path[0].low == 0.2
    assert path[-1].high == 500.0


# --- bad input ------------------------------------------------------------------------

def test_bad_input_messages() -> None:
    y = np.arange(10.0)
    with pytest.raises(NkfxValueError, match=r"y has NaN or infinite values at positions \[2, 5\]"):
        pelt(np.r_[0.0, 1.0, np.nan, 2.0, 3.0, np.inf])
    with pytest.raises(NkfxValueError, match="y must be one-dimensional; got shape"):
        pelt(np.zeros((3, 2)))
    with pytest.raises(NkfxValueError, match="y is empty"):
        pelt(np.array([]))
    with pytest.raises(NkfxTypeError, match="y must be a 1-D array of numbers; got list"):
        pelt(["a", "b"])
    with pytest.raises(NkfxValueError, match=r"penalty must be one of 'bic', 'bic-lrv', 'mbic' or a "
                       r"positive number; got -1\.0"):
        pelt(y, penalty=-1.0)
    with pytest.raises(NkfxValueError, match=r"penalty must be .*; got 0"):
        pelt(y, penalty=0)
    with pytest.raises(NkfxValueError, match=r"penalty must be .*; got 'aic'"):
        pelt(y, penalty="aic")
    with pytest.raises(NkfxTypeError, match=r"penalty must be .*; got NoneType"):
        pelt(y, penalty=None)  # type: ignore[arg-type]
    with pytest.raises(NkfxValueError, match="cost must be one of 'l2', 'normal', 'biweight'; got 'l1'"):
        pelt(y, cost="l1")
    with pytest.raises(NkfxValueError, match="algorithm must be one of 'auto', 'fpop', 'pelt'"):
        pelt(y, algorithm="dynp")
    with pytest.raises(NkfxValueError, match="min_size must be at most the series length "
                       "n=10; got 11"):
        pelt(y, min_size=11)
    with pytest.raises(NkfxValueError, match="min_size must be >= 1 for cost='l2'; got 0"):
        pelt(y, min_size=0)
    with pytest.raises(NkfxValueError, match=r"min_size must be >= 2 for cost='normal' \(a "
                       "variance needs two observations\\); got 1"):
        pelt(y, cost="normal", min_size=1)
    with pytest.raises(NkfxTypeError, match=r"min_size must be an int .*; got float"):
        pelt(y, min_size=2.0)  # type: ignore[arg-type]
    with pytest.raises(NkfxValueError, match="algorithm='fpop' needs cost='l2' and a constant "
                       "penalty"):
        pelt(y, penalty="mbic", algorithm="fpop")
    with pytest.raises(NkfxValueError, match=r"pen_min must be < pen_max; got 5\.0 and 1\.0"):
        crops(y, pen_min=5.0, pen_max=1.0)
    with pytest.raises(NkfxValueError, match=r"penalty must be .*; got -2\.0"):
        crops(y, pen_min=-2.0, pen_max=1.0)


def test_inputs_are_not_mutated() -> None:
    y = np.r_[np.zeros(20), np.ones(20) * 5.0]
    before = y.copy()
    pelt(y)
    crops(y, pen_min=1.0, pen_max=100.0)
    np.testing.assert_array_equal(y, before)


# --- the detect() adapter: dates in, Breaks out --------------------------------------

def weekly_rates(seed: int = 0) -> pd.Series:
    dates = pd.date_range("2020-01-06", periods=90, freq="W-MON")
    rng = np.random.default_rng(seed)
    level = np.r_[np.full(30, 5000.0), np.full(30, 7000.0), np.full(30, 6000.0)]
    return pd.Series(level * np.exp(rng.normal(0, 0.01, 90)), index=dates, name="Pyongyang CNY")


def prepared(series: pd.Series, scale: str = "log", model: str = "mean") -> Prepared:
    return prepare(series, city=None, currency=None, source=None, scale=scale, model=model)


def test_pelt_method_returns_dated_breaks_without_intervals() -> None:
    rate = weekly_rates()
    res = pelt_method(prepared(rate))
    assert isinstance(res, Breaks)
    assert res.method == "pelt"
    assert res.breaks["last_old"].dt.strftime("%Y-%m-%d").tolist() == ["2020-07-27", "2021-02-22"]
    assert res.breaks["first_new"].tolist() == [rate.index[30], rate.index[60]]
    core = pelt(np.log(rate.to_numpy()), cost="biweight", penalty="bic-lrv")
    assert res.breaks["index"].tolist() == core.breaks.tolist()
    assert res.breaks["ci_lower"].isna().all()
    assert res.breaks["ci_upper"].isna().all()
    np.testing.assert_allclose(res.segments["level_kpw"], [4994, 7019, 6010], rtol=5e-4)
    assert res.segments["n"].tolist() == [30, 30, 30]
    assert res.tests == {}
    text = res.summary().as_text()
    assert "No confidence intervals were computed" in text
    assert "exact optimum by FPOP" in text
    params = res.to_dict()["params"]
    assert (params["cost"], params["penalty"]) == ("biweight", "bic-lrv")  # the defaults
    assert params["h"] == 2
    assert params["penalty_value"] == pytest.approx(2 * math.log(90) * params["noise_lrv"])
    assert params["biweight_cap"] == pytest.approx(3 * math.sqrt(params["noise_lrv"]))
    assert "long-run noise variance" in text
    assert "caps each observation" in text
    old = pelt_method(prepared(rate), cost="l2", penalty="bic").to_dict()["params"]  # old default
    assert old["penalty_value"] == pytest.approx(2 * math.log(90) * old["noise_variance"])
    assert res.criteria["m"].tolist() == [0, 2]
    assert res.criteria["chosen"].tolist() == [False, True]
    assert res.criteria["rss"].iloc[1] == pytest.approx(res.segments["rss"].sum())


def test_pelt_method_costs_penalties_and_plot() -> None:
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2019-01-01", periods=400)
    noise = np.r_[rng.normal(0, 0.005, 200), rng.normal(0, 0.03, 200)]
    rate = pd.Series(np.exp(8.5 + noise), index=dates)
    res = pelt_method(prepared(rate), cost="normal")
    assert res.n_breaks == 1
    assert abs(int(res.breaks["index"].iloc[0]) - 199) <= 3
    assert res.segments["sd"].round(3).tolist() == pytest.approx([0.005, 0.03], abs=0.004)
    assert "floors each segment variance" in " ".join(res.notes)
    mbic = pelt_method(prepared(weekly_rates(1)), penalty="mbic")
    assert mbic.params["algorithm"] == "pelt"
    assert mbic.n_breaks == 2
    assert pelt_method(prepared(weekly_rates()), penalty=1e-9).n_breaks > 2  # a raw number
    ax = res.plot()
    assert ax.get_ylabel() == "KPW per unit (log scale)"  # KPW by default (issue 16)
    assert res.plot(kpw=False).get_ylabel() == "log rate"


@pytest.mark.parametrize(("trim", "cost", "size", "rule"), [
    (None, "l2", 2, "default: 2 observations"),
    (5, "l2", 5, "count: 5 observations"),
    (0.1, "l2", 9, "fraction: max(1, floor(90 * 0.1)) = 9"),
    (0.001, "normal", 2, "fraction: max(2, floor(90 * 0.001)) = 2"),
    ("90D", "l2", 14, "duration: ceil(90 * 90D / 623D span) = 14"),  # 90 * 90 / 623 = 13.002
    (pd.Timedelta(days=7), "l2", 2, "duration: ceil(90 * 7D / 623D span) = 2"),
])
def test_min_size_from_trim(trim: object, cost: str, size: int, rule: str) -> None:
    assert resolve_min_size(trim, weekly_rates().index, cost) == (size, rule)


def test_pelt_method_bad_options() -> None:
    prep = prepared(weekly_rates())
    with pytest.raises(NkfxValueError, match=r"method='pelt' fits model='mean' only .*got "
                       r"model='trend'"):
        pelt_method(prepared(weekly_rates(), model="trend"))
    with pytest.raises(NkfxValueError, match=r"max_breaks does not apply to method='pelt'.*got "
                       r"max_breaks=3"):
        pelt_method(prep, max_breaks=3)
    with pytest.raises(NkfxValueError, match=r"n_breaks does not apply .*got n_breaks='lwz'"):
        pelt_method(prep, n_breaks="lwz")
    with pytest.raises(NkfxValueError, match="hac=True does not apply to method='pelt'"):
        pelt_method(prep, hac=True)
    with pytest.raises(NkfxValueError, match="cost must be one of 'l2', 'normal', 'biweight'; got 'l1'"):
        pelt_method(prep, cost="l1")
    with pytest.raises(NkfxValueError, match="penalty must be one of 'bic', 'bic-lrv', 'mbic' or a positive "
                       "number; got 0"):
        pelt_method(prep, penalty=0)
    with pytest.raises(NkfxValueError, match="trim as a count must be between 2 "
                       r"\(cost='normal'\) and the series length 90; got 1"):
        pelt_method(prep, trim=1, cost="normal")
    with pytest.raises(NkfxValueError, match=r"trim as a fraction must be in \(0, 0.5\); got 0.7"):
        pelt_method(prep, trim=0.7)
    with pytest.raises(NkfxValueError, match="trim as a duration must be > 0 and at most the "
                       r"span of the data \(623 days, 2020-01-06 to 2021-09-20\); got '3000D'"):
        pelt_method(prep, trim="3000D")
    with pytest.raises(NkfxValueError, match=r"trim must be a number of observations, a fraction "
                       r"in .* or a duration such as '90D'; got 'weekly'"):
        pelt_method(prep, trim="weekly")
    with pytest.raises(NkfxTypeError, match=r"trim must be .*; got list"):
        pelt_method(prep, trim=[3])


# --- penalty path with dates --------------------------------------------------------

def test_penalty_path_crops_and_grid_agree() -> None:
    rate = weekly_rates(2)
    path = penalty_path(rate)
    assert path.attrs["search"] == "crops"
    assert path["n_breaks"].is_monotonic_decreasing
    assert path["penalty"].is_monotonic_increasing
    assert (path["penalty_max"].iloc[:-1].to_numpy() == path["penalty"].iloc[1:].to_numpy()).all()
    bic = path.attrs["bic_penalty"]
    grid = penalty_path(rate, penalties=np.geomspace(0.1 * bic, 100 * bic, 40))
    assert grid["n_breaks"].is_monotonic_decreasing
    assert set(grid["n_breaks"]) <= set(path["n_breaks"])
    row = path[path["n_breaks"] == 2].iloc[0]
    assert [d.strftime("%Y-%m-%d") for d in row["first_new"]] == ["2020-08-03", "2021-03-01"]
    assert row["penalty"] < bic < row["penalty_max"]
    ax = plot_penalty_path(path)
    assert ax.get_xscale() == "log"
    assert ax.get_ylabel() == "number of breaks"


def test_penalty_path_bad_input() -> None:
    rate = weekly_rates()
    with pytest.raises(NkfxValueError, match=r"penalties must be positive numbers; got \[-1\.0\]"):
        penalty_path(rate, penalties=[1.0, -1.0])
    with pytest.raises(NkfxValueError, match="penalties must not be empty"):
        penalty_path(rate, penalties=[])
    with pytest.raises(NkfxValueError, match="pen_min must be < pen_max"):
        penalty_path(rate, pen_range=(2.0, 1.0))
    with pytest.raises(NkfxValueError, match="cost must be one of 'l2', 'normal', 'biweight'; got 'rbf'"):
        penalty_path(rate, cost="rbf")
    with pytest.raises(NkfxTypeError, match="path must be the DataFrame returned by "
                       "penalty_path\\(\\); got list"):
        plot_penalty_path([1, 2])  # type: ignore[arg-type]


def test_pelt_method_constant_and_single_observation() -> None:
    flat = pd.Series(np.full(30, 7000.0), index=pd.date_range("2023-01-01", periods=30))
    res = pelt_method(prepared(flat))
    assert res.n_breaks == 0
    assert res.segments["level_kpw"].tolist() == pytest.approx([7000.0])
    one = pelt_method(prepared(flat.iloc[:1]))
    assert one.n_breaks == 0
    assert one.params["h"] == 1
    with pytest.raises(InsufficientDataError, match="cost='normal' needs at least 2 observations; "
                       "got 1"):
        pelt_method(prepared(flat.iloc[:1]), cost="normal")


def test_segment_means_match_bai_perron_fit_and_allow_flat_segments() -> None:
    from nkfx.detect.bai_perron._core import segment_fit

    y = np.random.default_rng(4).normal(size=60)
    breaks = np.array([9, 30, 31])
    ours, theirs = segment_means(y, breaks), segment_fit(y, None, breaks)
    for name in ("start", "end", "n"):
        np.testing.assert_array_equal(getattr(ours, name), getattr(theirs, name))
    for name in ("coef", "rss", "sigma", "se"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-12)
    stale = np.r_[np.full(10, 8.5), y[10:]]  # a run of identical quotes
    assert segment_means(stale, breaks).sigma[0] == 0.0


def test_detect_dispatches_to_pelt_method() -> None:
    from nkfx.detect import api

    assert api._METHODS["pelt"] is pelt_method
    rate = weekly_rates()
    res = api.detect(rate, method="pelt", trim=2)
    assert res.method == "pelt"
    assert res.breaks["first_new"].dt.strftime("%Y-%m-%d").tolist() == ["2020-08-03",
                                                                        "2021-03-01"]
    assert api.detect(rate, method="pelt").params["h"] == 2  # PELT's default minimum segment
    assert api.detect(rate, method="pelt", trim=0.15).params["h"] == 13  # floor(90 * 0.15)
    assert api.detect(rate, method="bai-perron").params["h"] == 13  # its default trim 0.15


# --- robust cost (biweight) and long-run-variance penalty (issue 13) -----------------

def biweight_segment_brute(y: np.ndarray, c: float) -> float:
    """min_mu sum min((y - mu)**2, c**2): a grid plus each quadratic piece's exact minimum."""
    lo, hi = y.min(), y.max()
    knots = np.unique(np.clip(np.r_[y - c, y + c, lo, hi], lo, hi))
    mus = [*knots, *np.linspace(lo, hi, 201)]
    for a, b in itertools.pairwise(knots):
        inside = np.abs(y - 0.5 * (a + b)) < c  # the points on their quadratic in (a, b)
        if inside.any():
            mus.append(min(max(y[inside].mean(), a), b))
    grid = np.array(mus)
    return float(np.minimum((y[None, :] - grid[:, None]) ** 2, c * c).sum(axis=1).min())


def biweight_exhaustive(y: np.ndarray, pen: float, c: float, m: int, coef: float = 0.0) -> float:
    """Smallest penalised biweight cost over every segmentation with segments >= m."""
    n, cache, best = y.size, {}, math.inf
    for mask in itertools.product([False, True], repeat=n - 1):
        ends = [i + 1 for i, cut in enumerate(mask) if cut] + [n]
        starts = [0, *ends[:-1]]
        if any(e - s < m for s, e in zip(starts, ends, strict=True)):
            continue
        total = pen * (len(ends) - 1)
        for s, e in zip(starts, ends, strict=True):
            if (s, e) not in cache:
                cache[s, e] = biweight_segment_brute(y[s:e], c)
            total += cache[s, e] + coef * math.log((e - s) / n)
        best = min(best, total)
    return best


@pytest.mark.parametrize("seed", range(60))
def test_biweight_fpop_and_pelt_match_exhaustive_search(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(2, 11)), int(rng.integers(1, 4))
    m = min(m, n)
    y = rng.normal(size=n) + (rng.random(n) < 0.2) * rng.normal(0, 6, n)
    if seed % 5 == 0:
        y = np.round(y)  # ties between quadratics
    if seed % 3 == 0:
        y[: n // 2] += 3.0
    pen, c = float(rng.choice([0.5, 2.0, 5.0, 12.0])), float(rng.choice([1.0, 2.0, 3.0]))
    f, _, _, _ = fpop_biweight(y, pen, c, m)
    assert f[n] == pytest.approx(biweight_exhaustive(y, pen, c, m), rel=1e-9, abs=1e-9)
    coef = 1.5  # mbic's segment-length term, through PELT
    g, _, _ = pelt_biweight(y, pen, c, m, coef)
    assert g[n] == pytest.approx(biweight_exhaustive(y, pen, c, m, coef), rel=1e-9, abs=1e-9)
    assert segment_biweight(y, c)[0] == pytest.approx(biweight_segment_brute(y, c), abs=1e-9)


@pytest.mark.parametrize("seed", range(8))
def test_biweight_fpop_matches_quadratic_optimal_partitioning(seed: int) -> None:
    rng = np.random.default_rng(50 + seed)
    n, m = int(rng.integers(60, 150)), int(rng.integers(1, 5))
    y = np.repeat(rng.normal(0, 3, 5), n // 5 + 1)[:n] + rng.normal(size=n)
    y += (rng.random(n) < 0.05) * rng.normal(0, 20, n)
    pen, c = 10.0, 2.0
    f, _, _, _ = fpop_biweight(y, pen, c, m)
    best = np.full(n + 1, np.inf)
    best[0] = -pen
    for s in range(m, n + 1):
        for t in [0, *range(m, s - m + 1)]:
            best[s] = min(best[s], best[t] + pen + segment_biweight(y[t:s], c)[0])
    assert f[n] == pytest.approx(best[n], rel=1e-10)
    res = pelt(y, cost="biweight", penalty=pen * 1.0, min_size=m)  # same optimum, own scale
    assert res.objective == pytest.approx(res.cost + pen * res.n_breaks)


def test_one_tenfold_slip_is_a_regime_for_l2_but_not_for_biweight() -> None:
    flat = 8.0 + 0.01 * np.random.default_rng(7).normal(size=200)
    flat[120] += math.log(10)  # one report keyed ten times too large
    for penalty in ("bic", "bic-lrv"):
        assert pelt(flat, cost="biweight", penalty=penalty).n_breaks == 0
        first, last = pelt(flat, cost="l2", penalty=penalty).breaks.tolist()  # a 2-point regime
        assert first < 120 <= last == first + 2
    rate = pd.Series(np.exp(flat), index=pd.date_range("2020-01-05", periods=200, freq="14D"))
    assert pelt_method(prepared(rate)).n_breaks == 0  # the default is robust


def test_ar1_noise_and_bic_lrv_by_hand(rng: np.random.Generator) -> None:
    e = np.zeros(30_000)
    z = rng.normal(size=e.size)
    for t in range(1, e.size):
        e[t] = 0.5 * e[t - 1] + z[t]
    y = np.repeat([0.0, 6.0, 2.0], 10_000) + e
    fit = ar1_noise(y)
    assert fit.phi == pytest.approx(0.5, abs=0.03)
    assert fit.sigma2 == pytest.approx(4 / 3, rel=0.05)
    assert fit.lrv == pytest.approx(4.0, rel=0.1)
    spec = resolve_penalty("bic-lrv", cost="l2", y=y)
    assert spec.per_change == pytest.approx(2 * math.log(y.size) * fit.lrv)
    assert resolve_penalty("bic-lrv", cost="normal", y=y).per_change == pytest.approx(
        3 * math.log(y.size) * (1 + fit.phi) / (1 - fit.phi))
    white = rng.normal(size=5_000)
    assert ar1_noise(white).phi < 0.05  # white noise: "bic-lrv" is about "bic"
    walk = np.cumsum(rng.normal(size=2_000))
    assert ar1_noise(walk).phi == PHI_MAX  # a random walk saturates the fit
    assert ar1_noise(np.full(10, 2.0)).lrv == 1.0  # constant: any penalty, no break
    assert ar1_noise(np.arange(4.0)).phi == 0.0  # too short to fit


def test_biweight_options_and_messages() -> None:
    y = np.r_[np.zeros(20), np.ones(20)] + 0.1 * np.sin(np.arange(40))
    res = pelt(y, cost="biweight", penalty="mbic")
    assert (res.algorithm, res.n_breaks) == ("pelt", 1)
    assert pelt(y, cost="biweight", algorithm="pelt").breaks.tolist() == \
        pelt(y, cost="biweight").breaks.tolist()
    assert res.levels is not None
    assert res.levels.size == 2
    assert pelt(y, cost="biweight", biweight_k=1e6).breaks.tolist() == \
        pelt(y, cost="l2").breaks.tolist()  # a cap nothing reaches: least squares
    with pytest.raises(NkfxValueError, match=r"algorithm='fpop' needs a constant penalty "
                       r"\('bic', 'bic-lrv' or a number\); got penalty='mbic'"):
        pelt(y, cost="biweight", penalty="mbic", algorithm="fpop")
    with pytest.raises(NkfxValueError, match=r"biweight_k must be a positive number \(noise "
                       r"sds\); got -1"):
        pelt(y, cost="biweight", biweight_k=-1)
    with pytest.raises(NkfxTypeError, match=r"biweight_k must be a positive number \(noise "
                       r"sds\); got str"):
        pelt(y, biweight_k="3")
    prep = prepared(weekly_rates())
    with pytest.raises(NkfxValueError, match=r"biweight_k must be a positive number .*got nan"):
        pelt_method(prep, biweight_k=float("nan"))
    with pytest.raises(NkfxValueError, match="penalty must be one of 'bic', 'bic-lrv', 'mbic' or "
                       "a positive number; got 'lrv'"):
        pelt_method(prep, penalty="lrv")


# --- simulations with known truth -----------------------------------------------------

def ar1_noise_series(rng: np.random.Generator, n: int, phi: float = 0.5) -> np.ndarray:
    """Stationary AR(1) noise with unit innovation sd (marginal sd 1 / sqrt(1 - phi**2))."""
    e = np.empty(n)
    e[0] = rng.normal(0.0, 1.0 / math.sqrt(1.0 - phi * phi))
    z = rng.normal(size=n)
    for t in range(1, n):
        e[t] = phi * e[t - 1] + z[t]
    return e


def irregular_dates(rng: np.random.Generator, n: int) -> pd.DatetimeIndex:
    gaps = rng.integers(7, 22, size=n - 1)  # 7 to 21 days between reports
    return pd.Timestamp("2010-01-04") + pd.to_timedelta(np.r_[0, np.cumsum(gaps)], unit="D")


def simulate(n_series: int, n: int = 300, scale: float = 0.02) -> dict[str, float]:
    """Default pelt on null AR(1) 0.5 series, 3 shifts of 4 noise sds, random walk + AR(1)."""
    sd = 1.0 / math.sqrt(1.0 - 0.25)  # marginal sd of the noise
    null_clean, hits, extra, walk = 0, 0, 0, []
    for seed in range(n_series):
        rng = np.random.default_rng(13_000 + seed)
        dates = irregular_dates(rng, n)

        def run(y: np.ndarray, dates: pd.DatetimeIndex = dates) -> np.ndarray:
            rate = pd.Series(np.exp(8.0 + scale * y), index=dates)
            return pelt_method(prepared(rate)).breaks["index"].to_numpy()

        null_clean += run(ar1_noise_series(rng, n)).size == 0
        cps = np.sort(rng.choice(np.arange(30, n - 30), 3, replace=False))
        while np.diff(cps).min() < 20:
            cps = np.sort(rng.choice(np.arange(30, n - 30), 3, replace=False))
        mean = np.zeros(n)
        for c in cps:
            mean[c:] += rng.choice([-1.0, 1.0]) * 4.0 * sd
        found = run(mean + ar1_noise_series(rng, n))
        hit = sum(found.size > 0 and np.abs(found - (c - 1)).min() <= 2 for c in cps)
        hits, extra = hits + hit, extra + found.size - hit
        walk.append(run(np.cumsum(rng.normal(0.0, 0.5, n)) + ar1_noise_series(rng, n)).size)
    return {"no_break_null": null_clean / n_series, "recall": hits / (3 * n_series),
            "extra_per_series": extra / n_series,
            "walk_any_break": float(np.mean(np.array(walk) > 0)),
            "walk_mean_breaks": float(np.mean(walk))}


def test_default_pelt_on_autocorrelated_noise_reduced() -> None:
    out = simulate(40)
    assert out["no_break_null"] >= 0.95
    assert out["recall"] >= 0.95
    assert out["extra_per_series"] <= 0.2
    assert out["walk_any_break"] >= 0.8  # documented: a random walk is cut into plateaus


@pytest.mark.slow
def test_default_pelt_on_autocorrelated_noise() -> None:
    out = simulate(300)
    # measured (seeds 13000-13299): no break 0.970, recall 0.989, 0.027 extra breaks per
    # series; random walk + AR(1): a break in 0.963 of series, 2.4 on average
    assert out["no_break_null"] >= 0.95
    assert out["recall"] >= 0.97
    assert out["extra_per_series"] <= 0.1
    assert out["walk_any_break"] >= 0.85


# --- the Daily NK dollar series ---------------------------------------------------------

def test_daily_nk_dollar_series_before_and_after(shared_data: Path) -> None:
    path = shared_data / "dailynk_usd_kpw_by_city.csv"
    if not path.is_file():
        pytest.skip(f"{path.name} not found in {shared_data}")
    table = pd.read_csv(path, parse_dates=["time"])
    counts = {}
    for city, rows in table.groupby("entity"):
        rate = rows.set_index("time")["value"].sort_index()
        new, old = pelt_method(prepared(rate)), pelt_method(prepared(rate), cost="l2", penalty="bic")
        counts[city] = (old.n_breaks, new.n_breaks)
        assert new.n_breaks <= len(rate) / 26  # at most about one break a year
        assert any("random walk" in note for note in new.notes)
    assert counts == {"hyesan": (60, 7), "pyongyang": (70, 7), "sinuiju": (65, 7)}


def test_the_cost_table_is_what_every_check_of_a_cost_reads() -> None:
    # issue 15: one entry per cost (parameters, minimum segment, penalty scale, pruning)
    assert COSTS == tuple(COST_TABLE) == ("l2", "normal", "biweight")
    y = np.random.default_rng(0).normal(8.0, 0.02, 40)
    dates = pd.date_range("2021-01-03", periods=40, freq="7D")
    for name, cost in COST_TABLE.items():
        res = pelt(y, cost=name, penalty="bic")
        assert res.algorithm == ("fpop" if cost.fpop else "pelt")
        scale = res.sigma2 if cost.noise_scaled else 1.0
        assert res.penalty == pytest.approx((cost.n_params + 1) * math.log(40) * scale)
        assert (res.var_floor > 0) == cost.var_floor
        with pytest.raises(NkfxValueError, match=f"min_size must be >= {cost.min_segment} "):
            pelt(y, cost=name, min_size=cost.min_segment - 1)
        with pytest.raises(InsufficientDataError, match=f"needs at least {cost.min_segment} obs"):
            resolve_min_size(None, dates[:cost.min_segment - 1], name)
        assert resolve_min_size(None, dates[:cost.min_segment], name)[0] == cost.min_segment
