"""Bai-Perron with regressors (issue 17): pure and partial structural change, R references.

References in tests/reference/strucchange/ are made by ``issue17.R`` (R 4.2.2, strucchange
1.5-3): the Seatbelt model of strucchange's ``?breakpoints`` example (pure change) and an
exhaustive ``lm.fit`` search for the same model with only the intercept breaking (partial change,
which strucchange cannot fit). Partial change is also checked against an exhaustive numpy search
and statsmodels OLS on simulated data.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import nkfx
from nkfx.detect.bai_perron._partial import partial_design, partial_fit, partial_path
from nkfx.errors import NkfxTypeError, NkfxValueError

REF = Path(__file__).parent / "reference" / "strucchange"


def _load(name: str) -> Any:
    return json.loads((REF / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pure_ref() -> Any:
    return _load("bp_seatbelt_pure.json")


@pytest.fixture(scope="module")
def seatbelt(pure_ref: Any) -> pd.Series:
    """log10(UKDriverDeaths), 1969-01 to 1984-12 (the first 12 months only serve as lags)."""
    return pd.Series(pure_ref["full_y"], index=pd.to_datetime(pure_ref["full_dates"]), name="log10 deaths")


def _seatbelt(series: pd.Series, **kw: Any) -> nkfx.Breaks:
    return nkfx.detect(series, method="bai-perron", scale="level", lags=[1, 12], trim=0.1, max_breaks=8, **kw)


# ---------------------------------------------------------------------------------------------
# Pure structural change: R strucchange, breakpoints(y ~ ylag1 + ylag12, h = 0.1)
# ---------------------------------------------------------------------------------------------
def test_seatbelt_path_matches_strucchange(seatbelt: pd.Series, pure_ref: Any) -> None:
    res = _seatbelt(seatbelt)
    assert res.model == "regression"
    assert len(res.series) == pure_ref["n"] == 180
    assert res.series.index[0] == pd.Timestamp("1970-01-01")
    assert res.params["h"] == pure_ref["h"] == 18
    crit = res.criteria
    for entry in pure_ref["path"]:
        m = entry["m"]
        assert crit.loc[m, "rss"] == pytest.approx(entry["rss"], rel=1e-9)
        assert crit.loc[m, "bic"] == pytest.approx(entry["bic"], rel=1e-9)
    assert res.n_breaks == pure_ref["bic_breaks"] == 0  # BIC keeps no break, as in R


def test_seatbelt_breaks_intervals_and_coefficients(seatbelt: pd.Series, pure_ref: Any) -> None:
    for entry in pure_ref["ci"]:
        m = entry["m"]
        res = _seatbelt(seatbelt, n_breaks=m)
        b = res.breaks
        assert (b["index"] + 1).tolist() == entry["breakpoints_r"]
        assert (b["index_ci_lower_unclipped"] + 1).tolist() == entry["lower_r"]
        assert (b["index_ci_upper_unclipped"] + 1).tolist() == entry["upper_r"]
        assert (b["index_ci_lower"] >= 0).all()
        assert (b["index_ci_upper"] <= 178).all()
    res = _seatbelt(seatbelt, n_breaks=2)
    coef = res.segments[["const", "lag1", "lag12"]].to_numpy()
    np.testing.assert_allclose(coef, np.array(pure_ref["coef_m2"]), rtol=1e-8)  # rows: segments
    assert res.segments["rss"].sum() == pytest.approx(pure_ref["rss_m2"], rel=1e-9)
    assert res.breaks["last_old"].tolist() == [pd.Timestamp("1973-10-01"), pd.Timestamp("1983-01-01")]
    # strucchange's breakpoint 46 is 1973(10): the last month before the new regime
    np.testing.assert_allclose(res.fitted.to_numpy() + 0, res.series.to_numpy() - _resid(res), atol=1e-12)


def _resid(res: nkfx.Breaks) -> np.ndarray:
    """Residuals of the segment fits, recomputed with numpy least squares."""
    y = res.series.to_numpy()
    X = np.asarray(res.design, dtype=np.float64)
    out = np.empty_like(y)
    for _, seg in res.segments.iterrows():
        sl = (res.series.index >= seg["start"]) & (res.series.index <= seg["end"])
        beta = np.linalg.lstsq(X[sl], y[sl], rcond=None)[0]
        out[sl] = y[sl] - X[sl] @ beta
    return out


def test_regressor_frame_equals_lags(seatbelt: pd.Series, pure_ref: Any) -> None:
    """A DataFrame of the lagged series gives the same fit as lags=[1, 12]."""
    dates = pd.to_datetime(pure_ref["dates"])
    X = pd.DataFrame({"ylag1": pure_ref["ylag1"], "ylag12": pure_ref["ylag12"]}, index=dates)
    y = pd.Series(pure_ref["y"], index=dates)
    before = X.copy()
    res = nkfx.detect(y, method="bai-perron", scale="level", regressors=X, trim=0.1, n_breaks=2)
    pd.testing.assert_frame_equal(X, before)  # inputs are not mutated
    ref = _seatbelt(seatbelt, n_breaks=2)
    assert res.breaks["index"].tolist() == ref.breaks["index"].tolist()
    np.testing.assert_allclose(res.segments["ylag12"], ref.segments["lag12"], rtol=1e-9)
    assert list(res.design.columns) == ["const", "ylag1", "ylag12"]  # type: ignore[union-attr]


def test_natural_log_scale_gives_the_same_breaks(seatbelt: pd.Series) -> None:
    deaths = 10.0**seatbelt
    res = nkfx.detect(deaths, method="bai-perron", lags=[1, 12], trim=0.1, max_breaks=8, n_breaks=2)
    ref = _seatbelt(seatbelt, n_breaks=2)
    assert res.breaks["index"].tolist() == ref.breaks["index"].tolist()
    np.testing.assert_allclose(res.criteria["rss"], ref.criteria["rss"] * np.log(10) ** 2, rtol=1e-9)
    np.testing.assert_allclose(res.segments["lag1"], ref.segments["lag1"], rtol=1e-8)


def test_seatbelt_tests_and_summary(seatbelt: pd.Series) -> None:
    res = _seatbelt(seatbelt)
    sup = res.tests["supF"]
    assert sup.df[0] == 3.0  # q = 3 breaking coefficients
    assert 0.0 < sup.pvalue < 0.05  # a break in 1973, as in strucchange's example
    assert sup.date == pd.Timestamp("1973-11-01")
    text = res.summary().as_text()
    assert "lag12" in text
    assert "regression" in text
    d = res.to_dict()
    json.dumps(d)
    assert d["params"]["regressors"] == ["const", "lag1", "lag12"]


def test_overlap_and_clipping_notes(seatbelt: pd.Series) -> None:
    """strucchange's breakdates() warns about overlap for m = 4 and bounds past the data for m = 8."""
    four = _seatbelt(seatbelt, n_breaks=4)
    assert any("intervals of breaks 2 and 3, 3 and 4 overlap" in n for n in four.notes)
    eight = _seatbelt(seatbelt, n_breaks=8)
    assert eight.breaks["index_ci_lower_unclipped"].iloc[0] == -46
    assert eight.breaks["index_ci_lower"].iloc[0] == 0
    assert any("index_ci_lower_unclipped" in n for n in eight.notes)
    two = _seatbelt(seatbelt, n_breaks=2)
    assert not any("overlap" in n or "clipped" in n for n in two.notes)


# ---------------------------------------------------------------------------------------------
# Partial structural change
# ---------------------------------------------------------------------------------------------
def test_seatbelt_partial_matches_exhaustive_r_search(seatbelt: pd.Series) -> None:
    ref = _load("bp_seatbelt_partial.json")
    for m in (1, 2):
        res = _seatbelt(seatbelt, fixed=["lag1", "lag12"], n_breaks=m)
        assert (res.breaks["index"] + 1).tolist() == ref[f"m{m}_breakpoints_r"]
        assert res.criteria.loc[m, "rss"] == pytest.approx(ref[f"m{m}_rss"], rel=1e-10)
        coef = ref[f"m{m}_coef"]
        np.testing.assert_allclose(res.segments["const"], coef[: m + 1], rtol=1e-8)
        np.testing.assert_allclose(res.segments[["lag1", "lag12"]].iloc[0], coef[m + 1 :], rtol=1e-8)
        assert res.segments["lag1"].nunique() == 1
    assert res.criteria.loc[0, "rss"] == pytest.approx(ref["rss0"], rel=1e-10)
    assert "partial_change" in res.params


def _exhaustive(y: np.ndarray, Z: np.ndarray, X: np.ndarray, h: int, m: int) -> tuple[tuple[int, ...], float]:
    n = y.shape[0]
    best: tuple[tuple[int, ...], float] = ((), np.inf)
    for b in itertools.combinations(range(h - 1, n - h), m):
        if m and (np.diff((-1, *b, n - 1)) < h).any():
            continue
        rss = partial_fit(y, Z, X, np.array(b, dtype=np.int64))[1]
        if rss < best[1]:
            best = (b, rss)
    return best


def test_partial_path_equals_exhaustive_search() -> None:
    """Seeded designs: intercept and slope of x1 break, x2 fixed; every pair of dates tried."""
    for seed in range(4):
        rng = np.random.default_rng(seed)
        n, h = 60, 8
        x1, x2 = rng.standard_normal(n), rng.standard_normal(n)
        regime = np.searchsorted([20, 41], np.arange(n), side="right")
        y = np.array([0.0, 1.0, -0.5])[regime] + np.array([1.0, 0.2, 1.0])[regime] * x1 + 0.8 * x2
        y = y + 0.5 * rng.standard_normal(n)
        Z, X = np.column_stack([np.ones(n), x1]), x2[:, None]
        path = partial_path(y, Z, X, h=h, max_breaks=2)
        for m in (1, 2):
            b, rss = _exhaustive(y, Z, X, h, m)
            assert tuple(path.breaks[m].tolist()) == b
            assert path.rss[m] == pytest.approx(rss, rel=1e-10)


def test_partial_fit_equals_statsmodels_ols() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(7)
    dates = pd.date_range("2015-01-04", periods=120, freq="W-SUN")
    x = pd.DataFrame({"cny": rng.standard_normal(120), "oil": rng.standard_normal(120)}, index=dates)
    level = np.where(np.arange(120) < 70, 8.0, 8.3)
    noise = 0.02 * rng.standard_normal(120)
    y = pd.Series(np.exp(level + 0.05 * x["cny"] + 0.02 * x["oil"] + noise), index=dates)
    res = nkfx.detect(y, method="bai-perron", regressors=x, fixed=["cny", "oil"], n_breaks=1)
    assert res.breaks["first_new"].iloc[0] == dates[70]
    b = res.breaks["index"].to_numpy()
    design = partial_design(np.ones((120, 1)), x.to_numpy(), b)
    ols = sm.OLS(np.log(y.to_numpy()), design).fit()
    np.testing.assert_allclose(res.segments["const"], ols.params[:2], rtol=1e-9)
    np.testing.assert_allclose(res.segments[["cny", "oil"]].iloc[0], ols.params[2:], rtol=1e-9)
    np.testing.assert_allclose(res.segments[["se_cny", "se_oil"]].iloc[0], ols.bse[2:], rtol=1e-9)
    assert res.segments["rss"].sum() == pytest.approx(ols.ssr, rel=1e-9)
    assert res.breaks["jump"].iloc[0] == pytest.approx(ols.params[1] - ols.params[0], rel=1e-9)
    assert res.tests["supF"].pvalue < 0.01
    assert res.fitted.to_numpy() == pytest.approx(ols.fittedvalues, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Errors (messages pinned)
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def weekly() -> pd.Series:
    rng = np.random.default_rng(1)
    dates = pd.date_range("2020-01-05", periods=60, freq="W-SUN")
    return pd.Series(np.exp(8 + 0.01 * rng.standard_normal(60).cumsum()), index=dates)


def test_errors(weekly: pd.Series) -> None:
    X = pd.DataFrame({"x": np.arange(60.0)}, index=weekly.index)
    bp = {"method": "bai-perron"}
    with pytest.raises(NkfxValueError, match=r"regressors apply to method='bai-perron' only .*'jumps'"):
        nkfx.detect(weekly, regressors=X)
    with pytest.raises(NkfxValueError, match=r"lags apply to method='bai-perron' only .*'pelt'"):
        nkfx.detect(weekly, method="pelt", lags=[1])
    with pytest.raises(NkfxTypeError, match=r"regressors must be a pandas DataFrame .* got ndarray"):
        nkfx.detect(weekly, regressors=np.ones((60, 1)), **bp)
    with pytest.raises(NkfxTypeError, match=r"regressors must have a DatetimeIndex .* got RangeIndex"):
        nkfx.detect(weekly, regressors=X.reset_index(drop=True), **bp)
    with pytest.raises(NkfxValueError, match=r"regressors has no row for 1 date\(s\) of the series \(2021"):
        nkfx.detect(weekly, regressors=X.iloc[:-1], **bp)
    bad = X.copy()
    bad.iloc[3, 0] = np.nan
    with pytest.raises(NkfxValueError, match=r"regressors column 'x' has 1 missing or infinite .*2020-01-26"):
        nkfx.detect(weekly, regressors=bad, **bp)
    with pytest.raises(NkfxValueError, match="regressors column 'const' clashes with a name already used"):
        nkfx.detect(weekly, regressors=X.rename(columns={"x": "const"}), **bp)
    with pytest.raises(NkfxTypeError, match="regressors column 'x' must hold numbers; got dtype object"):
        nkfx.detect(weekly, regressors=X.astype(str).astype(object), **bp)
    with pytest.raises(NkfxValueError, match=r"fixed must name regressors among \['const', 'x'\]; got \['y"):
        nkfx.detect(weekly, regressors=X, fixed="y", **bp)
    with pytest.raises(NkfxValueError, match="fixed holds every regressor"):
        nkfx.detect(weekly, regressors=X, fixed=["x", "const"], **bp)
    with pytest.raises(NkfxValueError, match=r"fixed names regressors held constant .* regressors= or lags="):
        nkfx.detect(weekly, fixed=["const"], **bp)
    with pytest.raises(NkfxValueError, match=r"lags must be positive integers .* got \[0\]"):
        nkfx.detect(weekly, lags=[0], **bp)
    with pytest.raises(NkfxTypeError, match="lags must be a positive int or a list of them"):
        nkfx.detect(weekly, lags="1,12", **bp)  # type: ignore[arg-type]
    with pytest.raises(NkfxValueError, match="n_breaks='sequential' is not available with fixed="):
        nkfx.detect(weekly, regressors=X, fixed="x", n_breaks="sequential", **bp)
    with pytest.raises(NkfxValueError, match="hac=True is not available with fixed="):
        nkfx.detect(weekly, regressors=X, fixed="x", hac=True, **bp)


def test_trend_model_with_a_regressor_and_lags(weekly: pd.Series) -> None:
    x_dates = pd.date_range("2019-12-01", periods=70, freq="W-SUN")
    x = pd.Series(np.sin(np.arange(70.0)), index=x_dates, name="s")
    res = nkfx.detect(weekly, method="bai-perron", model="trend", regressors=x, lags=2, n_breaks=1)
    assert list(res.design.columns) == ["const", "days", "lag2", "s"]  # type: ignore[union-attr]
    assert len(res.series) == 58
    assert res.series.index[0] == weekly.index[2]
    assert res.design["days"].iloc[0] == 0.0  # type: ignore[index]
    assert res.params["lags"] == [2]
    assert "lag_note" in res.params


def test_sup_f_with_lags_matches_strucchange_fstats(seatbelt: pd.Series, pure_ref: Any) -> None:
    ref = pure_ref["fstats"]
    res = nkfx.sup_f_test(seatbelt, scale="level", lags=[1, 12], trim=0.1)
    path = res.detail["f_path"]
    np.testing.assert_allclose(path.to_numpy(), ref["fstats"], rtol=1e-8)
    dates = pd.to_datetime(pure_ref["dates"])
    assert path.index[0] == dates[ref["from_r"]]  # first_new of R's first candidate
    assert res.statistic == pytest.approx(ref["sup_f"], rel=1e-9)
    assert res.last_old == dates[ref["argmax_r"] - 1]
    assert res.df[0] == 3.0
    # R: Hansen's (1997) approximation; nkfx: the simulated sup-F null (q = 3, trim 0.1)
    assert res.pvalue == pytest.approx(ref["p_value"], abs=0.002)
    same = _seatbelt(seatbelt).tests["supF"]
    assert same.statistic == pytest.approx(res.statistic, rel=1e-12)


@pytest.mark.slow
def test_partial_path_equals_exhaustive_search_ar1_designs() -> None:
    """200 AR(1) designs (lag coefficient fixed, intercept and x1 slope break): 200/200 exact."""
    hits = 0
    for seed in range(200):
        rng = np.random.default_rng(1000 + seed)
        n, h = 60, 8
        e = rng.standard_normal(n + 1)
        mu = np.where(np.arange(n + 1) < 30, 0.0, rng.uniform(0.0, 1.5))
        y = np.zeros(n + 1)
        for i in range(1, n + 1):
            y[i] = 0.5 * mu[i] + 0.5 * y[i - 1] + 0.5 * e[i]
        Z, X = np.column_stack([np.ones(n), rng.standard_normal(n)]), y[:-1, None]
        path = partial_path(y[1:], Z, X, h=h, max_breaks=2)
        for m in (1, 2):
            rss = _exhaustive(y[1:], Z, X, h, m)[1]
            hits += int(path.rss[m] <= rss * (1 + 1e-10))
    assert hits == 400


def test_seatbelt_sequential_rule_with_eight_breaks(seatbelt: pd.Series) -> None:
    """q = 3, trim 0.1, M = 8: UDmax has a null now (p = 0.004) and the rule stops at 3 breaks."""
    res = _seatbelt(seatbelt, n_breaks="sequential")
    assert res.tests["UDmax"].pvalue < 0.01
    assert res.tests["supF(2|1)"].pvalue < 0.05
    assert res.tests["supF(3|2)"].pvalue < 0.05
    assert res.tests["supF(4|3)"].pvalue > 0.5
    assert res.n_breaks == 3
    assert (res.breaks["index"] + 1).tolist() == [46, 70, 157]  # R's optimal 3-break partition


def test_wdmax_is_reported_with_critical_values(seatbelt: pd.Series) -> None:
    res = _seatbelt(seatbelt)
    wd = res.tests["WDmax"]
    assert np.isnan(wd.pvalue)
    assert set(wd.critical_values) == {0.95}
    stats = wd.detail["statistic_by_level"]
    assert stats[0.95] == wd.statistic
    assert stats[0.95] >= res.tests["UDmax"].statistic  # weights c(1)/c(m) are >= 1
    assert wd.statistic > wd.critical_values[0.95]  # rejects at 5%, as UDmax (p = 0.004)
    partial = _seatbelt(seatbelt, fixed=["lag1", "lag12"])
    assert partial.tests["WDmax"].df[0] == 1.0


def test_daily_nk_pyongyang_usd_ar1_regimes(shared_data: Path) -> None:
    """Daily NK dollar rate in Pyongyang from 2013 (log), as an AR(1) whose intercept breaks.

    BIC finds one break, between the reports of 2024-05-26 and 2024-06-09 (the 2024
    depreciation), with or without the persistence held fixed; the fixed lag coefficient is
    0.954 and the intercept rises by 0.096 log points.
    """
    usd = pd.read_csv(shared_data / "dailynk_usd_kpw_by_city.csv", parse_dates=["time"])
    rate = usd[usd["entity"] == "pyongyang"].set_index("time")["value"].groupby(level=0).median()
    rate = rate[rate.index >= "2013-01-01"]
    pure = nkfx.detect(rate, method="bai-perron", lags=[1])
    part = nkfx.detect(rate, method="bai-perron", lags=[1], fixed="lag1")
    for res in (pure, part):
        assert res.breaks["first_new"].tolist() == [pd.Timestamp("2024-06-09")]
        assert res.tests["supF"].pvalue < 0.001
    assert part.segments["lag1"].iloc[0] == pytest.approx(0.954, abs=0.001)
    assert part.breaks["jump"].iloc[0] == pytest.approx(0.096, abs=0.001)
    assert part.breaks["ci_lower"].iloc[0] == pd.Timestamp("2023-11-25")
