"""Tests of the vectorised HAC F path and the sieve-bootstrap F tests.

Modules: nkfx.detect.ftests._path, _bootstrap, _fboot, and the ``pvalue=`` option of the public
tests. The size simulations are the point of the bootstrap: with AR(1) errors (rho = 0.5) the
asymptotic HAC sup-F test rejects far more than 5% of true nulls at n = 200 and 500.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.signal import lfilter
from statsmodels.regression.linear_model import yule_walker

import nkfx
from nkfx.detect.ftests import _bootstrap
from nkfx.detect.ftests import _single as _fboot
from nkfx.detect.ftests._bootstrap import (
    bootstrap_pvalue,
    fit_sieve,
    null_samples,
    sieve_samples,
    split_residuals,
    yule_walker_aic,
)
from nkfx.detect.ftests._path import f_statistics, hac_f_paths, hac_wald
from nkfx.detect.ftests._single import chow, sup_f
from nkfx.errors import NkfxTypeError, NkfxValueError


def _ar1(rng: np.random.Generator, n: int, rho: float) -> np.ndarray:
    return np.asarray(lfilter([1.0], [1.0, -rho], rng.standard_normal(n + 100))[100:], dtype=float)


def _binomial_band(reps: int, size: float = 0.05, tail: float = 0.001) -> tuple[float, float]:
    """Rejection rates a correct 5% test stays within with probability 1 - 2 * tail."""
    return stats.binom.ppf(tail, reps, size) / reps, stats.binom.isf(tail, reps, size) / reps


# ---------------------------------------------------------------------------------------------
# The vectorised HAC path equals the per-date reference (which matches R's kernHAC)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "model", "rho"), [(60, "mean", 0.0), (120, "mean", 0.7), (90, "trend", 0.4), (150, "trend", -0.3)]
)
def test_hac_path_equals_per_date_reference(n: int, model: str, rho: float, rng: np.random.Generator) -> None:
    y = _ar1(rng, n, rho) + 0.5 * (np.arange(n) > n // 3)
    days = np.cumsum(rng.integers(5, 20, n)).astype(float)  # irregular dates
    X = np.ones((n, 1)) if model == "mean" else np.c_[np.ones(n), days - days[0]]
    h = int(0.15 * n)
    b = np.arange(h - 1, n - h)
    fast = hac_f_paths(y[None], X, b)[0]
    ref = np.array([hac_wald(y, X, int(i)) for i in b])
    np.testing.assert_allclose(fast, ref, rtol=1e-8)


def test_hac_path_stacks_series_and_falls_back_on_exact_regimes(rng: np.random.Generator) -> None:
    # A run of identical quotes makes the prewhitening system singular at some dates; those
    # dates go to the SVD reference, and each row of Y is its own series.
    n = 40
    flat = np.r_[np.full(20, 3.0), rng.normal(4.0, 1.0, 20)]
    noisy = rng.normal(size=n)
    X = np.ones((n, 1))
    b = np.arange(5, 34)
    out = hac_f_paths(np.vstack([flat, noisy]), X, b)
    for row, y in zip(out, (flat, noisy), strict=True):
        np.testing.assert_allclose(row, [hac_wald(y, X, int(i)) for i in b], rtol=1e-8)


def test_f_statistics_hac_uses_the_vectorised_path(rng: np.random.Generator) -> None:
    y = _ar1(rng, 80, 0.5)
    b, f = f_statistics(y, h=12, hac=True)
    np.testing.assert_allclose(f, [hac_wald(y, np.ones((80, 1)), int(i)) for i in b], rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# The AR sieve
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("phi", [[], [0.5], [0.6, -0.3], [0.2, 0.1, 0.4]])
def test_yule_walker_aic_matches_statsmodels_order_by_order(phi: list[float]) -> None:
    # Independent reference: statsmodels' Yule-Walker (biased autocovariances) at every order,
    # AIC n log sigma^2 + 2 p computed here, the order with the smallest AIC picked by hand.
    u = lfilter([1.0], np.r_[1.0, -np.asarray(phi)], np.random.default_rng(5).standard_normal(600))
    n, p_max = u.size, 8
    aic = [n * np.log(np.var(u))]
    coefs: list[np.ndarray] = [np.zeros(0)]
    for p in range(1, p_max + 1):
        rho, sigma = yule_walker(u, order=p, method="mle", result_object=False)
        aic.append(n * np.log(sigma**2) + 2 * p)
        coefs.append(rho)
    want = coefs[int(np.argmin(aic))]
    got = yule_walker_aic(u, max_order=p_max)
    assert got.size == want.size
    np.testing.assert_allclose(got, want, atol=1e-10)


def test_yule_walker_default_order_and_edge_cases() -> None:
    u = lfilter([1.0], [1.0, -0.6], np.random.default_rng(0).standard_normal(5000))
    phi = yule_walker_aic(u)  # max order floor(10 log10 5000) = 36, AIC picks 1 here
    assert phi.size >= 1
    assert phi[0] == pytest.approx(0.6, abs=0.03)
    assert yule_walker_aic(np.full(50, 2.0)).size == 0  # constant: white noise of variance 0
    assert yule_walker_aic(np.array([1.0, -1.0] * 30), max_order=3).size >= 1  # predictable


def test_fit_sieve_innovations_and_samples(rng: np.random.Generator) -> None:
    u = _ar1(rng, 400, 0.5)
    s = fit_sieve(u, max_order=4)
    assert s.order >= 1
    assert s.innovations.size == 400 - s.order
    assert abs(s.innovations.mean()) < 1e-12
    # innovations are white: their lag-1 autocorrelation is near 0, u's is near 0.5
    inn = s.innovations
    assert abs(np.corrcoef(inn[:-1], inn[1:])[0, 1]) < 0.1
    draws = sieve_samples(s, 300, 200, np.random.default_rng(1))
    # the bootstrap series carry the data's dependence: their mean lag-1 autocorrelation
    # matches the residuals' own (0.59 for this draw of a rho = 0.5 process)
    lag1 = np.mean([np.corrcoef(d[:-1], d[1:])[0, 1] for d in draws])
    assert lag1 == pytest.approx(np.corrcoef(u[:-1], u[1:])[0, 1], abs=0.03)
    again = sieve_samples(s, 300, 200, np.random.default_rng(1))
    np.testing.assert_array_equal(draws, again)


def test_bias_correction_removes_most_of_the_yule_walker_bias() -> None:
    # AR(1), rho = 0.5, n = 60, residuals of a split at the middle (as the test's sieve).
    # Yule-Walker's mean estimate is well below 0.5; Kilian's correction brings it close.
    rng = np.random.default_rng(41)
    X = np.ones((60, 1))
    raw, fixed = [], []
    for _ in range(300):
        u = _bootstrap.split_residuals(_ar1(rng, 60, 0.5), X, 29)
        s = fit_sieve(u, max_order=1)
        if s.order == 0:  # AIC chose white noise: nothing to correct
            continue
        raw.append(s.phi[0])
        corr = _bootstrap.bias_corrected(s, lambda Y: _bootstrap.split_residuals(Y, X, 29), 60, rng)
        fixed.append(corr.phi[0])
    bias_raw, bias_fixed = np.mean(raw) - 0.5, np.mean(fixed) - 0.5
    assert bias_raw < -0.06
    assert abs(bias_fixed) < abs(bias_raw) / 2


def test_bias_correction_keeps_the_ar_stationary() -> None:
    # A near-unit-root fit: the full correction would cross 1, so it is shrunk.
    s = _bootstrap.Sieve(np.array([0.97]), np.random.default_rng(0).standard_normal(40))
    fixed = _bootstrap.bias_corrected(s, lambda Y: Y - Y.mean(axis=1, keepdims=True), 40,
                                      np.random.default_rng(1))
    assert 0.97 < fixed.phi[0] < 1.0


def test_split_residuals_and_null_samples_hand_case() -> None:
    y = np.array([1.0, 2.0, 3.0, 10.0, 12.0])
    np.testing.assert_allclose(split_residuals(y, np.ones((5, 1)), 2), [-1, 0, 1, -1, 1])
    # no noise left after the split: every bootstrap series is the no-break fit, the mean 1.8
    ys, s = null_samples(np.array([1.0, 1.0, 1.0, 3.0, 3.0]), np.ones((5, 1)), 2, 19, seed=0)
    assert s.order == 0
    np.testing.assert_allclose(ys, 1.8)


def test_bootstrap_pvalue_formula() -> None:
    null = np.arange(1.0, 20.0)  # 19 draws
    assert bootstrap_pvalue(0.0, null) == 1.0
    assert bootstrap_pvalue(19.5, null) == 0.05
    assert bootstrap_pvalue(10.0, null) == (1 + 10) / 20
    assert np.isnan(bootstrap_pvalue(float("nan"), null))


# ---------------------------------------------------------------------------------------------
# Bootstrap sup-F and Chow in the core
# ---------------------------------------------------------------------------------------------
def test_bootstrap_sup_f_fields_and_determinism(rng: np.random.Generator) -> None:
    y = _ar1(rng, 120, 0.5)
    before = y.copy()
    a = sup_f(y, h=18, hac=True, null="bootstrap", n_boot=49, seed=3)
    b = sup_f(y, h=18, hac=True, null="bootstrap", n_boot=49, seed=3)
    c = sup_f(y, h=18, hac=True, null="bootstrap", n_boot=49, seed=4)
    asy = sup_f(y, h=18, hac=True)
    np.testing.assert_array_equal(y, before)
    assert a.statistic == asy.statistic  # same statistic, other null
    assert a.at == asy.at
    assert a.pvalue == b.pvalue
    assert a.critical == b.critical
    assert not np.array_equal(a.detail["null_draws"], c.detail["null_draws"])
    draws = a.detail["null_draws"]
    assert draws.shape == (49,)
    assert a.pvalue == (1 + np.sum(draws >= a.statistic)) / 50
    assert a.critical[0.95] == pytest.approx(np.quantile(draws, 0.95))
    assert a.detail["asymptotic_pvalue"] == asy.pvalue
    assert a.detail["n_boot"] == 49
    assert a.detail["seed"] == 3
    assert a.detail["ar_order"] >= 1
    assert 0 < a.detail["aveF_pvalue"] <= 1
    assert 0 < a.detail["expF_pvalue"] <= 1


def test_bootstrap_draws_are_the_statistic_on_null_samples(rng: np.random.Generator) -> None:
    # The draws must be the same statistic (HAC, same trim) recomputed on the null samples.
    y = _ar1(rng, 80, 0.3) + 0.4 * (np.arange(80) >= 50)
    res = sup_f(y, h=12, hac=True, null="bootstrap", n_boot=19, seed=7)
    ys, _ = null_samples(y, np.ones((80, 1)), int(res.at or 0), 19, seed=7)
    want = [max(hac_wald(row, np.ones((80, 1)), int(b)) for b in range(11, 68)) for row in ys]
    np.testing.assert_allclose(res.detail["null_draws"], want, rtol=1e-8)


def test_bootstrap_without_hac_recovers_the_iid_null(rng: np.random.Generator) -> None:
    # With white-noise errors the bootstrap's 95% quantile should sit near Andrews' 8.65.
    y = rng.normal(size=200)
    res = sup_f(y, h=30, null="bootstrap", n_boot=399, seed=1)
    assert res.detail["ar_order"] == 0
    assert 7.0 <= res.critical[0.95] <= 10.5


def test_bootstrap_widens_the_null_for_autocorrelated_errors(rng: np.random.Generator) -> None:
    # Plain (non-HAC) sup-F with AR(1) errors, rho = 0.6: the statistic scales by the long-run
    # to short-run variance ratio (1 + rho) / (1 - rho) = 4, and the bootstrap null follows.
    y = _ar1(rng, 300, 0.6)
    res = sup_f(y, h=45, null="bootstrap", n_boot=199, seed=2)
    assert res.critical[0.95] > 2.0 * 8.65


def test_bootstrap_chow(rng: np.random.Generator) -> None:
    y = _ar1(rng, 100, 0.5)
    for hac in (False, True):
        res = chow(y, b=49, hac=hac, null="bootstrap", n_boot=39, seed=0)
        base = chow(y, b=49, hac=hac)
        assert res.statistic == base.statistic
        assert res.detail["asymptotic_pvalue"] == base.pvalue
        assert res.pvalue == (1 + np.sum(res.detail["null_draws"] >= res.statistic)) / 40
    jump = chow(np.r_[y[:50], y[50:] + 5.0], b=49, hac=True, null="bootstrap", n_boot=39)
    assert jump.pvalue == 1 / 40


def test_bootstrap_infinite_statistic_needs_no_resampling() -> None:
    res = sup_f(np.r_[np.zeros(10), np.ones(10)], h=3, null="bootstrap", n_boot=19)
    assert res.statistic == np.inf
    assert res.pvalue == 0.0
    assert "no resampling" in res.detail["bootstrap_note"]
    assert _fboot.bootstrap_note(res) == ("supF: infinite statistic: p-value 0, no resampling.",)


def test_bootstrap_bad_options() -> None:
    y = np.random.default_rng(0).normal(size=40)
    with pytest.raises(NkfxValueError, match="null must be 'asymptotic' or 'bootstrap'"):
        sup_f(y, h=6, null="boot")
    with pytest.raises(NkfxValueError, match="n_boot must be at least 19"):
        sup_f(y, h=6, null="bootstrap", n_boot=10)
    with pytest.raises(NkfxTypeError, match="seed must be an integer"):
        chow(y, b=19, null="bootstrap", seed=1.5)
    with pytest.raises(NkfxTypeError, match="n_boot must be an integer"):
        _bootstrap.check_bootstrap(True, 0)


# ---------------------------------------------------------------------------------------------
# Public API: pvalue="auto" bootstraps exactly when hac=True
# ---------------------------------------------------------------------------------------------
def _rate(n: int = 120, seed: int = 0, jump: float = 0.0) -> pd.Series:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2016-01-04", periods=n, freq="W-MON")
    logs = 0.02 * _ar1(rng, n, 0.5) + jump * (np.arange(n) >= n // 2)
    return pd.Series(5000.0 * np.exp(logs), index=dates)


def test_public_tests_choose_the_null_from_hac() -> None:
    rate = _rate()
    plain = nkfx.sup_f_test(rate)
    robust = nkfx.sup_f_test(rate, hac=True, n_boot=39)
    asy = nkfx.sup_f_test(rate, hac=True, pvalue="asymptotic")
    assert plain.params["pvalue_method"] == "asymptotic"
    assert "n_boot" not in plain.params
    assert robust.params["pvalue_method"] == "bootstrap"
    assert robust.params["n_boot"] == 39
    assert robust.params["seed"] == 0
    assert robust.statistic == asy.statistic
    assert robust.detail["asymptotic_pvalue"] == asy.pvalue
    assert robust.pvalue != asy.pvalue
    boot_plain = nkfx.sup_f_test(rate, pvalue="bootstrap", n_boot=39, seed=5)
    assert boot_plain.params["pvalue_method"] == "bootstrap"
    assert boot_plain.detail["seed"] == 5
    d = robust.to_dict()
    assert json.loads(json.dumps(d))["params"]["pvalue_method"] == "bootstrap"
    assert "ar_order" in robust.summary().as_text()


def test_chow_test_and_detect_bootstrap_options() -> None:
    rate = _rate(jump=0.1)
    c = nkfx.chow_test(rate, at=rate.index[60], hac=True, n_boot=39, seed=1)
    assert c.params["pvalue_method"] == "bootstrap"
    assert c.pvalue == 1 / 40
    res = nkfx.detect(rate, hac=True, n_boot=39, method="bai-perron")
    sup = res.tests["supF"]
    assert sup.params["pvalue_method"] == "bootstrap"
    assert sup.detail["n_boot"] == 39
    assert res.params["pvalue_method"] == "bootstrap"
    assert "sieve bootstrap: 39 series" in sup.notes[0]
    assert "1/40 = 0.025" in sup.notes[0]
    assert any("not HAC-robust" in note for note in res.notes)
    assert sup.notes[0] in res.notes
    fast = nkfx.detect(rate, hac=True, pvalue="asymptotic", method="bai-perron")
    assert fast.tests["supF"].notes == ()
    assert fast.tests["supF"].params["pvalue_method"] == "asymptotic"
    assert fast.tests["supF"].statistic == sup.statistic
    with pytest.raises(NkfxValueError, match="pvalue must be one of"):
        nkfx.detect(rate, pvalue="exact", method="bai-perron")
    with pytest.raises(NkfxTypeError, match="unexpected option"):
        nkfx.detect(rate, nboot=39, method="bai-perron")


def test_public_bootstrap_options_are_validated_by_name() -> None:
    # n_boot and seed are checked even when they would not be used (pvalue="asymptotic"),
    # so a typo never passes silently.
    rate = _rate()
    with pytest.raises(NkfxValueError, match="n_boot must be at least 19; got 5"):
        nkfx.sup_f_test(rate, hac=True, n_boot=5)
    with pytest.raises(NkfxValueError, match="seed must be at least 0; got -1"):
        nkfx.chow_test(rate, at=rate.index[60], seed=-1)
    with pytest.raises(NkfxTypeError, match=r"n_boot must be an integer; got 99\.5"):
        nkfx.sup_f_test(rate, pvalue="asymptotic", n_boot=99.5)
    with pytest.raises(NkfxValueError, match="pvalue must be one of 'auto', 'asymptotic', 'bootstrap'"):
        nkfx.chow_test(rate, at=rate.index[60], pvalue="exact")
    with pytest.raises(NkfxTypeError, match="seed must be an integer"):
        nkfx.detect(rate, hac=True, seed="0", method="bai-perron")


# ---------------------------------------------------------------------------------------------
# Size and power (simulation). Reduced versions run by default; ``make test-slow`` runs the rest.
# ---------------------------------------------------------------------------------------------
def _warp_size(n: int, reps: int, rho: float, seed: int) -> tuple[float, float]:
    """Asymptotic and warp-speed bootstrap rejection rates (see tools/simulate_bootstrap_size.py)."""
    rng = np.random.default_rng(seed)
    h = int(0.15 * n)
    X = np.ones((n, 1))
    obs, star, asy = [], [], 0
    for i in range(reps):
        y = _ar1(rng, n, rho)
        res = sup_f(y, h=h, hac=True)
        asy += res.pvalue < 0.05
        ys, _ = null_samples(y, X, int(res.at or 0), 1, seed=i)
        obs.append(res.statistic)
        star.append(hac_f_paths(ys, X, np.arange(h - 1, n - h)).max())
    return asy / reps, float(np.mean(np.asarray(obs) > np.quantile(star, 0.95)))


def _full_rate(n: int, reps: int, rho: float, delta: float, n_boot: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    h = int(0.15 * n)
    hits = 0
    for i in range(reps):
        y = _ar1(rng, n, rho) + delta / np.sqrt(1 - rho**2) * (np.arange(n) >= n // 2)
        hits += sup_f(y, h=h, hac=True, null="bootstrap", n_boot=n_boot, seed=i).pvalue < 0.05
    return hits / reps


def test_bootstrap_size_ar1_reduced() -> None:
    # n = 100, rho = 0.5, 400 series, warp-speed. The asymptotic HAC test over-rejects
    # (16.5% of 3,000 series); the bootstrap test (6.1% of 3,000) must sit inside the 0.998
    # binomial band of a 5% test.
    asy, boot = _warp_size(100, 400, 0.5, seed=31)
    lo, hi = _binomial_band(400)
    assert asy > hi
    assert lo <= boot <= hi


def test_bootstrap_full_size_smoke() -> None:
    # The public path end to end on 40 null series (B = 39): a gross error (p-values all
    # small, or all 1) fails; the slow tests below measure the size properly.
    rate = _full_rate(100, 40, 0.5, 0.0, 39, seed=32)
    assert rate <= 0.2


@pytest.mark.slow
def test_bootstrap_size_ar1_n200() -> None:
    # Measured 5.67% (600 series, B = 99, a full bootstrap per series; binomial sd 0.9 points).
    # The asymptotic HAC test rejects 10-12% of such series.
    rate = _full_rate(200, 600, 0.5, 0.0, 99, seed=33)
    print(f"bootstrap HAC supF size, n = 200, 600 series: {rate:.4f}")  # shown by pytest -rA
    assert 0.035 <= rate <= 0.065


@pytest.mark.slow
def test_bootstrap_size_ar1_n500_warp() -> None:
    # 3,000 series at n = 500 by the warp-speed method (binomial sd 0.4 points). Measured:
    # asymptotic 6.80%, bootstrap 5.47%.
    asy, boot = _warp_size(500, 3000, 0.5, seed=34)
    print(f"n = 500, 3000 series: asymptotic {asy:.4f}, bootstrap (warp) {boot:.4f}")
    assert asy > 0.065
    assert 0.035 <= boot <= 0.065


@pytest.mark.slow
def test_bootstrap_power_is_monotone_in_the_break() -> None:
    # Power must grow with the break: a sieve fitted to no-break residuals would mistake a big
    # break for persistence and lose power exactly where the data's large jumps are (measured
    # while choosing the residuals: 82% at a 2-innovation-sd break). Measured here, breaks in
    # marginal sd of the errors: 0.37, 0.86, 1.0, 1.0 (100 series each, B = 99).
    rates = [_full_rate(200, 100, 0.5, d, 99, seed=35) for d in (0.5, 1.0, 2.0, 4.0)]
    print(f"bootstrap HAC supF power at 0.5, 1, 2, 4 sd: {rates}")
    assert rates == sorted(rates)
    assert rates[2] >= 0.9
    assert rates[3] >= 0.99


def test_compiled_mean_shift_path_equals_the_fft_path() -> None:
    # the general path (segment fits + batched FFT Wald) and the per-date reference
    from nkfx.detect.ftests._hac_mean import mean_shift_paths
    from nkfx.detect.ftests._path import _batched_wald, _segment_fits

    rng = np.random.default_rng(7)
    n = 240
    Y = np.stack([_ar1(rng, n, 0.5), _ar1(rng, n, 0.8) + 1.5 * (np.arange(n) > 150),
                  100.0 + rng.standard_normal(n)])
    b = np.arange(35, n - 36)
    X = np.ones((n, 1))
    fast = mean_shift_paths(Y, b)
    xx = np.cumsum(X[:, :, None] * X[:, None, :], axis=0)
    for i in range(3):
        e, d = _segment_fits(Y[i], X, xx, np.cumsum(Y[i][:, None] * X, axis=0), b)
        np.testing.assert_allclose(fast[i], _batched_wald(e, d, X, b), rtol=1e-8)
        ref = [hac_wald(Y[i], X, int(j)) for j in b[::25]]
        np.testing.assert_allclose(fast[i, ::25], ref, rtol=1e-8)
    np.testing.assert_array_equal(hac_f_paths(Y, X, b), fast)  # the dispatch
    # the break series peaks at its break
    assert abs(int(b[np.argmax(fast[1])]) - 150) <= 15


def test_early_stopping_besag_clifford() -> None:
    rng = np.random.default_rng(3)
    n = 120
    X = np.ones((n, 1))
    null_y = _ar1(rng, n, 0.3)
    test = sup_f(null_y, h=18, hac=True)
    full = _fboot.bootstrap_sup_f(test, null_y, X, h=18, hac=True, n_boot=199, seed=1)
    early = _fboot.bootstrap_sup_f(test, null_y, X, h=18, hac=True, n_boot=199, seed=1, stop_after=10)
    used = early.detail["n_boot_used"]
    # the same draws in the same order: the first `used` supF values are the full run's
    np.testing.assert_array_equal(early.detail["null_draws"], full.detail["null_draws"][:used])
    assert early.detail["stopped_early"]
    assert used < 199
    assert int(np.sum(full.detail["null_draws"][:used] >= test.statistic)) == 10
    assert early.pvalue == pytest.approx(10 / used)
    assert early.pvalue > 0.05
    assert full.pvalue > 0.05
    assert "stopped early" in _fboot.bootstrap_note(early)[0]
    # a clear break never stops early: the p-value is the full bootstrap's
    br_y = null_y + 2.0 * (np.arange(n) >= 60)
    br_test = sup_f(br_y, h=18, hac=True)
    a = _fboot.bootstrap_sup_f(br_test, br_y, X, h=18, hac=True, n_boot=99, seed=2)
    b = _fboot.bootstrap_sup_f(br_test, br_y, X, h=18, hac=True, n_boot=99, seed=2, stop_after=10)
    assert not b.detail["stopped_early"]
    assert b.detail["n_boot_used"] == 99
    assert b.pvalue == a.pvalue == 0.01


def test_compiled_mean_shift_path_with_truncated_kernel_weights() -> None:
    # White noise at n = 1,500: Andrews' bandwidth is about 0.8, so sandwich's rule drops the
    # QS weights after lag ~1,100 (below 1e-7); the compiled path stops there too
    from nkfx.detect.ftests._hac_mean import _date_setup, _last_lag, mean_shift_paths
    from nkfx.detect.ftests._path import _batched_wald, _segment_fits

    n = 1500
    y = np.random.default_rng(5).standard_normal(n)
    b = np.arange(300, 1200, 97)
    par = np.empty(7)
    assert _date_setup(y - y.mean(), int(b[0]), par)
    assert _last_lag(par[6], n - 1) < n - 300
    X = np.ones((n, 1))
    e, d = _segment_fits(y, X, np.cumsum(X[:, :, None] * X[:, None, :], axis=0),
                         np.cumsum(y[:, None] * X, axis=0), b)
    y_before = y.copy()
    np.testing.assert_allclose(mean_shift_paths(y[None], b)[0], _batched_wald(e, d, X, b), rtol=1e-8)
    np.testing.assert_array_equal(y, y_before)  # the input is not changed


def test_per_date_setup_from_prefix_sums_equals_the_direct_pass() -> None:
    # segment means, VAR(1) prewhitening matrix and Andrews' bandwidth at every date: O(1) per
    # date from prefix sums (used) against one O(n) pass per date (the reference)
    from nkfx.detect.ftests._hac_mean import _date_setup, _date_setup_sums

    n = 300
    rng = np.random.default_rng(11)
    y = _ar1(rng, n, 0.6) + 2.0 * (np.arange(n) > 100)
    y = y - y.mean()
    cy = np.r_[0.0, np.cumsum(y)]
    cps = np.zeros((3, n + 1))
    for lag in range(3):
        cps[lag, 1 : n - lag + 1] = np.cumsum(y[: n - lag] * y[lag:])
    for b in range(2, n - 3):
        direct, fast = np.empty(7), np.empty(7)
        assert _date_setup(y, b, direct) == _date_setup_sums(y, cy, cps, b, fast)
        np.testing.assert_allclose(fast, direct, rtol=1e-9)
