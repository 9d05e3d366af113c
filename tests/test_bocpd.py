"""Numeric core of BOCPD against an exact enumeration of all segmentations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from nkfx.detect._bocpd import Prior, bocpd, bocpd_quadratic, gap_hazard, window_probability

PRIOR = Prior(mu0=0.0, kappa0=0.5, alpha0=2.0, beta0=1.5)


def log_marginal(x: np.ndarray, p: Prior) -> float:
    """Closed-form Normal–Gamma marginal likelihood of one segment (not the t recursion)."""
    m = x.size
    xbar = x.mean()
    kappa = p.kappa0 + m
    alpha = p.alpha0 + m / 2
    beta = p.beta0 + 0.5 * ((x - xbar) ** 2).sum() + p.kappa0 * m * (xbar - p.mu0) ** 2 / (2 * kappa)
    return (math.lgamma(alpha) - math.lgamma(p.alpha0) + p.alpha0 * math.log(p.beta0)
            - alpha * math.log(beta) + 0.5 * math.log(p.kappa0 / kappa) - 0.5 * m * math.log(2 * math.pi))


def enumerate_posterior(x: np.ndarray, h: np.ndarray, p: Prior) -> tuple[dict[tuple[int, ...], float], float]:
    """Exact posterior of every set of segment starts (positions 1..n-1) and the log evidence."""
    n = x.size
    logw = {}
    for flags in itertools.product([0, 1], repeat=n - 1):
        starts = tuple(t for t, f in zip(range(1, n), flags, strict=True) if f)
        lp = sum(math.log(h[t]) if f else math.log1p(-h[t]) for t, f in zip(range(1, n), flags, strict=True))
        cuts = [0, *starts, n]
        lp += sum(log_marginal(x[a:b], p) for a, b in itertools.pairwise(cuts))
        logw[starts] = lp
    top = max(logw.values())
    z = sum(math.exp(v - top) for v in logw.values())
    return {k: math.exp(v - top) / z for k, v in logw.items()}, top + math.log(z)


X4 = np.array([0.1, -0.3, 2.4, 2.0])
H4 = np.array([np.nan, 0.2, 0.3, 0.1])


def test_smoothed_change_probabilities_match_enumeration() -> None:
    post, log_ev = enumerate_posterior(X4, H4, PRIOR)
    res = bocpd(X4, H4, PRIOR, threshold=0.0)
    for t in range(1, 4):
        exact = sum(w for starts, w in post.items() if t in starts)
        assert res.change_smoothed[t] == pytest.approx(exact, rel=1e-10)
    assert np.isnan(res.change_smoothed[0])
    assert res.log_evidence == pytest.approx(log_ev, rel=1e-12)
    # the jump between the 2nd and 3rd value is the most probable change
    assert int(np.nanargmax(res.change_smoothed)) == 2
    assert res.change_smoothed[2] > 0.6


def test_filtering_probabilities_match_enumeration_of_prefixes() -> None:
    res = bocpd(X4, H4, PRIOR, threshold=0.0, smooth=False)
    quad = bocpd_quadratic(X4, H4, PRIOR)
    for t in range(1, 4):
        post, _ = enumerate_posterior(X4[: t + 1], H4[: t + 1], PRIOR)
        exact = sum(w for starts, w in post.items() if t in starts)
        assert res.change_filtered[t] == pytest.approx(exact, rel=1e-10)
        assert quad[t] == pytest.approx(exact, rel=1e-10)


def test_window_probability_matches_enumeration() -> None:
    x = np.array([0.2, 0.0, 1.9, 2.1, -0.4])
    h = np.array([np.nan, 0.1, 0.25, 0.05, 0.4])
    post, _ = enumerate_posterior(x, h, PRIOR)
    res = bocpd(x, h, PRIOR, threshold=0.0)
    for s, e in [(1, 1), (1, 2), (2, 3), (3, 4), (1, 4), (2, 4)]:
        exact = sum(w for starts, w in post.items() if any(s <= t <= e for t in starts))
        assert window_probability(res, s, e) == pytest.approx(exact, rel=1e-10), (s, e)
    # the filtering version is the enumeration over x[0..e] only
    filt = bocpd(x, h, PRIOR, threshold=0.0, smooth=False)
    post3, _ = enumerate_posterior(x[:4], h[:4], PRIOR)
    exact3 = sum(w for starts, w in post3.items() if any(2 <= t <= 3 for t in starts))
    assert window_probability(filt, 2, 3) == pytest.approx(exact3, rel=1e-10)


def test_gap_hazard_is_higher_over_a_long_gap() -> None:
    h = gap_hazard(np.array([0.0, 7.0, 49.0]), expected_run_days=180.0)
    assert np.isnan(h[0])
    assert h[1] == pytest.approx(1 - math.exp(-7 / 180))
    assert h[2] == pytest.approx(1 - math.exp(-42 / 180))
    assert h[2] > 5 * h[1]


def test_truncation_agrees_with_quadratic_and_finds_the_step(rng: np.random.Generator) -> None:
    x = np.concatenate([rng.normal(0.0, 0.05, 150), rng.normal(0.4, 0.05, 150)])
    h = np.full(x.size, 1 / 100)
    prior = Prior(mu0=0.2, kappa0=0.05, alpha0=1.0, beta0=0.0025)
    fast = bocpd(x, h, prior, threshold=1e-8, smooth=False)
    slow = bocpd_quadratic(x, h, prior)
    np.testing.assert_allclose(fast.change_filtered[1:], slow[1:], atol=1e-6)
    assert fast.max_active < 200  # old run lengths were dropped after the change
    smooth = bocpd(x, h, prior)
    assert int(np.nanargmax(smooth.change_smoothed)) == 150
    assert smooth.change_smoothed[150] > 0.99
    # expected number of changes: the true one plus a little diffuse mass
    assert 1.0 < np.nansum(smooth.change_smoothed) < 1.3


def test_pruned_smoothing_agrees_with_the_exact_smoother(rng: np.random.Generator) -> None:
    x = np.concatenate([rng.normal(0.0, 0.1, 120), rng.normal(0.5, 0.1, 60), rng.normal(0.3, 0.1, 120)])
    h = np.full(x.size, 1 / 50)
    prior = Prior(mu0=0.2, kappa0=0.1, alpha0=1.0, beta0=0.01)
    exact = bocpd(x, h, prior, threshold=0.0)
    pruned = bocpd(x, h, prior, threshold=1e-8)
    assert pruned.max_active < exact.max_active
    np.testing.assert_allclose(pruned.change_smoothed[1:], exact.change_smoothed[1:], atol=1e-6)
    np.testing.assert_allclose(pruned.mean_run, exact.mean_run, rtol=1e-5, atol=1e-5)
    for s, e in [(100, 130), (170, 200), (10, 60)]:
        assert window_probability(pruned, s, e) == pytest.approx(window_probability(exact, s, e), abs=1e-6)
    assert pruned.log_evidence == pytest.approx(exact.log_evidence, abs=1e-5)


def test_max_run_caps_the_number_of_run_lengths(rng: np.random.Generator) -> None:
    x = rng.normal(0.0, 1.0, 300)
    h = np.full(x.size, 1 / 500)
    res = bocpd(x, h, PRIOR, threshold=0.0, max_run=40)
    sizes = np.diff(res.offsets)
    # 40 kept (plus the new run when it is not among the 40 most probable)
    assert res.max_active == sizes.max()
    assert 40 <= res.max_active <= 41
    assert sizes[-1] >= 40


def test_bad_input_raises() -> None:
    with pytest.raises(ValueError, match="same length"):
        bocpd(np.zeros(3), np.zeros(2), PRIOR)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        bocpd(np.zeros(3), np.array([np.nan, 0.0, 0.5]), PRIOR)


def _daily(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, Prior]:
    """Piecewise-constant log level (new regime w.p. 1/100), as benchmarks/bench_bocpd.py."""
    rng = np.random.default_rng(seed)
    regime = np.cumsum(rng.random(n) < 1 / 100)
    x = 8.5 + np.cumsum(rng.normal(0, 0.1, regime[-1] + 1))[regime] + rng.normal(0, 0.01, n)
    h = np.full(n, 1 / 100)
    h[0] = np.nan
    return x, h, Prior(mu0=float(np.median(x)), kappa0=0.01, alpha0=1.0, beta0=1e-4)


def test_pruning_reports_threshold_and_mass_dropped() -> None:
    x, h, prior = _daily(1500)
    exact = bocpd(x, h, prior, threshold=0.0)
    assert exact.threshold == 0.0
    assert exact.mass_dropped == pytest.approx(0.0, abs=1e-12)
    res = bocpd(x, h, prior, threshold=1e-4)
    assert res.threshold == 1e-4
    # each step drops less than (number of run lengths) x threshold, and something is dropped
    assert 0.0 < res.mass_dropped_max <= res.max_active * 1e-4
    assert res.mass_dropped_max <= res.mass_dropped < 1500 * res.max_active * 1e-4
    assert res.max_active < exact.max_active


def test_pruned_filtering_within_1e6_of_exact_recursion() -> None:
    x, h, prior = _daily(2000)
    res = bocpd(x, h, prior, max_run=1000, smooth=False)
    assert float(np.nanmax(np.abs(res.change_filtered - bocpd_quadratic(x, h, prior)))) <= 1e-6


@pytest.mark.slow
def test_pruned_filtering_within_1e6_of_exact_recursion_at_10000() -> None:
    x, h, prior = _daily(10_000)
    res = bocpd(x, h, prior, max_run=1000, smooth=False)
    assert float(np.nanmax(np.abs(res.change_filtered - bocpd_quadratic(x, h, prior)))) <= 1e-6
