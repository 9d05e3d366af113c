"""Numeric core of exact Bai–Perron breaks: brute force, ruptures, hand cases and R strucchange."""

from __future__ import annotations

import itertools
import json
import tracemalloc
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from nkfx.detect.bai_perron._ci import pargmax_v
from nkfx.detect.bai_perron._core import (
    CI_UNAVAILABLE,
    bai_perron,
    breakdate_ci,
    information_criteria,
    segment_fit,
)
from nkfx.detect.bai_perron._dp import optimal_partitions, standardise
from nkfx.detect.ftests._hac import _bandwidth_weights, _prewhiten, andrews_bandwidth
from nkfx.errors import NkfxTypeError, NkfxValueError, NkfxWarning

REF = Path(__file__).parent / "reference" / "strucchange"


# --------------------------------------------------------------------------- helpers
def _design(n: int, X: np.ndarray | None) -> np.ndarray:
    return np.ones((n, 1)) if X is None else X


def _seg_rss(y: np.ndarray, X: np.ndarray, a: int, b: int) -> float:
    ys, Xs = y[a : b + 1], X[a : b + 1]
    e = ys - Xs @ np.linalg.lstsq(Xs, ys, rcond=None)[0]
    return float(e @ e)


def _brute(y: np.ndarray, X: np.ndarray | None, h: int, m: int) -> tuple[float, tuple[int, ...]]:
    """Enumerate every admissible partition (independent of the DP)."""
    n = len(y)
    Xd = _design(n, X)
    best: tuple[float, tuple[int, ...]] = (np.inf, ())
    for cut in itertools.combinations(range(h - 1, n - h), m):
        bounds = [-1, *cut, n - 1]
        if min(np.diff(bounds)) < h:
            continue
        rss = sum(_seg_rss(y, Xd, a + 1, b) for a, b in itertools.pairwise(bounds))
        if rss < best[0] - 1e-12:  # strict: ties keep the earliest partition, as R
            best = (rss, cut)
    return best


def _piecewise(rng: np.random.Generator, n: int, segments: int, jump: float = 1.5) -> np.ndarray:
    levels = np.repeat(jump * rng.standard_normal(segments), -(-n // segments))[:n]
    return levels + rng.standard_normal(n)


def _ruptures_breaks(y: np.ndarray, h: int, m: int) -> list[int]:
    rpt = pytest.importorskip("ruptures")
    ends = rpt.Dynp(model="l2", min_size=h, jump=1).fit(y).predict(n_bkps=m)
    return [e - 1 for e in ends[:-1]]  # ruptures: exclusive segment ends, n included


# --------------------------------------------------------------------------- hand cases
def test_hand_computed_two_segments() -> None:
    y = np.array([1.0, 2.0, 3.0, 10.0, 11.0, 12.0])
    path = bai_perron(y, h=2)
    assert path.max_breaks == 2  # 6 // 2 - 1
    assert path.breaks[1].tolist() == [2]
    # m = 0: sum of squares about 6.5; m = 1: two segments of (−1, 0, 1)
    assert path.rss[0] == pytest.approx(float(np.sum((y - 6.5) ** 2)), rel=1e-14)
    assert path.rss[1] == pytest.approx(4.0, rel=1e-14)
    # m = 2 with h = 2 forces three pairs: 0.5 + (3 - 10)^2 / 2 + 0.5
    assert path.breaks[2].tolist() == [1, 3]
    assert path.rss[2] == pytest.approx(25.5, rel=1e-14)
    assert (path.n, path.k, path.h) == (6, 1, 2)


def test_trend_model_recovers_exact_kinks() -> None:
    t = np.arange(30, dtype=float)
    y = np.where(t < 10, 1 + 2 * t, np.where(t < 20, 21 - t, 5 + 0.5 * t))
    y = y + 1e-3 * np.random.default_rng(3).standard_normal(30)
    path = bai_perron(y, np.column_stack([np.ones(30), t]), h=5, max_breaks=2)
    assert path.breaks[2].tolist() == [9, 19]
    assert path.rss[2] < 1e-4 < path.rss[1]


def test_explicit_intercept_column_equals_mean_model(rng: np.random.Generator) -> None:
    y = _piecewise(rng, 90, 3)
    a = bai_perron(y, h=10, max_breaks=4)
    b = bai_perron(y, np.ones((90, 1)), h=10, max_breaks=4)
    assert [x.tolist() for x in a.breaks] == [x.tolist() for x in b.breaks]
    np.testing.assert_allclose(a.rss, b.rss, rtol=1e-12)


# --------------------------------------------------------------------------- brute force
@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("model", ["mean", "slope_only", "trend", "three"])
def test_matches_brute_force(seed: int, model: str) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(10, 17))
    X = {
        "mean": None,
        "slope_only": 2.0 + rng.standard_normal((n, 1)),
        "trend": np.column_stack([np.ones(n), np.arange(n, dtype=float)]),
        "three": np.column_stack([np.ones(n), rng.standard_normal((n, 2))]),
    }[model]
    k = 1 if X is None else X.shape[1]
    h = max(k, int(rng.integers(1, 4)))
    y = _piecewise(rng, n, 3, jump=2.0)
    path = bai_perron(y, X, h=h)
    assert path.max_breaks == n // h - 1
    for m in range(1, min(path.max_breaks, 3) + 1):
        rss, cut = _brute(y, X, h, m)
        assert path.breaks[m].tolist() == list(cut)
        assert path.rss[m] == pytest.approx(rss, rel=1e-10)


# --------------------------------------------------------------------------- ruptures
def _naive_dp(y: np.ndarray, h: int, top: int) -> list[list[int]]:
    """Textbook DP over a full n x n RSS matrix (fine for n ~ 1000; independent of blocks)."""
    n = len(y)
    c1, c2 = np.r_[0.0, np.cumsum(y)], np.r_[0.0, np.cumsum(y * y)]
    a, b = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")  # segment a..b
    with np.errstate(divide="ignore", invalid="ignore"):
        rss = c2[b + 1] - c2[a] - (c1[b + 1] - c1[a]) ** 2 / (b - a + 1)
    rss[b - a + 1 < h] = np.inf
    F, arg = [rss[0].copy()], [np.zeros(n, dtype=int)]
    for _ in range(top):
        cand = F[-1][:-1, None] + rss[1:, :]  # break j (row) then segment j+1..i
        arg.append(np.argmin(cand, axis=0))
        F.append(cand[arg[-1], np.arange(n)])
    out = []
    for m in range(1, top + 1):
        bk = [int(arg[m][n - 1])]
        for s in range(m - 1, 0, -1):
            bk.append(int(arg[s][bk[-1]]))
        out.append(bk[::-1])
    return out


@pytest.mark.parametrize(("n", "h", "seed"), [(90, 3, 0), (200, 40, 1)])
def test_same_breaks_as_ruptures_dynp(n: int, h: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = _piecewise(rng, n, 6)
    path = bai_perron(y, h=h, max_breaks=5)
    for m in range(1, min(5, path.max_breaks) + 1):
        assert path.breaks[m].tolist() == _ruptures_breaks(y, h, m), m


@pytest.mark.slow
@pytest.mark.parametrize(
    ("n", "h", "seed"), [(300, 5, 2), (500, 75, 3), (700, 100, 4), (1000, 250, 5)]
)
def test_same_breaks_as_ruptures_dynp_larger(n: int, h: int, seed: int) -> None:
    test_same_breaks_as_ruptures_dynp(n, h, seed)


@pytest.mark.parametrize(
    ("n", "h", "seed"),
    # both DP drivers (h < 32 level by level, h >= 32 shared blocks) and h above the block width
    [(300, 5, 2), (500, 75, 3), (701, 100, 4), (1000, 250, 5), (900, 193, 6), (64, 32, 7)],
)
def test_same_breaks_as_textbook_dp(n: int, h: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = _piecewise(rng, n, 6)
    top = min(5, n // h - 1)
    path = bai_perron(y, h=h, max_breaks=top)
    assert [b.tolist() for b in path.breaks[1:]] == _naive_dp(y, h, top)


def test_both_dp_drivers_agree(rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch) -> None:
    from nkfx.detect.bai_perron import _dp

    y = _piecewise(rng, 400, 5)
    z, _ = standardise(y, None)
    shared = optimal_partitions(z, None, 40, 5)
    monkeypatch.setattr(_dp, "_fill_shared", _dp._fill_by_level)
    by_level = optimal_partitions(z, None, 40, 5)
    assert [b.tolist() for b in shared] == [b.tolist() for b in by_level]


def test_large_offset_and_tiny_noise_keep_breaks(rng: np.random.Generator) -> None:
    # log KPW rates sit near 8-9 with tiny moves: cumulative sums must not lose the signal
    base = _piecewise(rng, 300, 4)
    ref = bai_perron(base, h=30, max_breaks=4)
    shifted = bai_perron(9.0 + 1e-4 * base, h=30, max_breaks=4)
    assert [b.tolist() for b in ref.breaks] == [b.tolist() for b in shifted.breaks]
    np.testing.assert_allclose(shifted.rss, 1e-8 * ref.rss, rtol=1e-8)


def test_trend_with_day_counts_matches_direct_rss(rng: np.random.Generator) -> None:
    n = 240
    days = np.cumsum(rng.integers(3, 20, n)).astype(float) + 5000.0
    y = 8.0 + 1e-4 * days + np.where(np.arange(n) > 150, 0.3, 0.0) + 0.05 * rng.standard_normal(n)
    X = np.column_stack([np.ones(n), days])
    path = bai_perron(y, X, h=36, max_breaks=3)
    assert path.breaks[1].tolist() == [150]
    for m, b in enumerate(path.breaks):
        bounds = [-1, *b.tolist(), n - 1]
        direct = sum(_seg_rss(y, X, a + 1, c) for a, c in itertools.pairwise(bounds))
        assert path.rss[m] == pytest.approx(direct, rel=1e-12)


def test_n_20000_runs_in_linear_memory(rng: np.random.Generator) -> None:
    n = 20_000
    y = np.repeat([0.0, 1.0, -0.5, 0.7], n // 4) + 0.1 * rng.standard_normal(n)
    tracemalloc.start()
    path = bai_perron(y, h=3000, max_breaks=5)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert path.breaks[3].tolist() == [4999, 9999, 14999]
    assert peak < 150e6  # an n x n float matrix would need 3.2 GB


# --------------------------------------------------------------------------- max_breaks, errors
def test_max_breaks_is_capped_and_defaults_to_what_fits(rng: np.random.Generator) -> None:
    y = rng.standard_normal(100)
    assert bai_perron(y, h=10).max_breaks == 9
    assert bai_perron(y, h=10, max_breaks=50).max_breaks == 9
    path = bai_perron(y, h=10, max_breaks=0)
    assert path.max_breaks == 0
    assert path.breaks == (path.breaks[0],)
    assert path.rss[0] == pytest.approx(float(np.sum((y - y.mean()) ** 2)))
    nine = bai_perron(y, h=10).breaks[9]
    assert nine.tolist() == list(range(9, 99, 10))  # ten segments of exactly h


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"h": 1, "X": np.ones((40, 2)) + np.eye(40, 2)}, NkfxValueError, r"h must be >= k = 2"),
        ({"h": 21}, NkfxValueError, r"h must be <= n / 2 = 20 so that one break fits; got h = 21"),
        ({"h": 0}, NkfxValueError, r"h must be >= k = 1"),
        ({"h": 5.0}, NkfxTypeError, r"h must be an integer; got float"),
        ({"h": 5, "max_breaks": -1}, NkfxValueError, r"max_breaks must be >= 0; got -1"),
        ({"h": 5, "max_breaks": 2.5}, NkfxTypeError, r"max_breaks must be an integer"),
        ({"h": 5, "X": np.ones((39, 1))}, NkfxValueError, r"X must have shape \(n, k\)"),
        (
            {"h": 5, "X": np.column_stack([np.ones(40), np.ones(40)])},
            NkfxValueError,
            r"X must have full column rank",
        ),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], exc: type, match: str) -> None:
    y = np.random.default_rng(0).standard_normal(40)
    X = kwargs.pop("X", None)
    with pytest.raises(exc, match=match):
        bai_perron(y, X, **kwargs)


def test_bad_data() -> None:
    y = np.arange(20.0)
    with pytest.raises(NkfxValueError, match=r"y must be finite; got nan at position 3"):
        bai_perron(np.where(np.arange(20) == 3, np.nan, y), h=4)
    with pytest.raises(NkfxValueError, match=r"y must be one-dimensional; got shape \(4, 5\)"):
        bai_perron(y.reshape(4, 5), h=2)
    with pytest.raises(NkfxValueError, match=r"X must be finite"):
        bai_perron(y, np.where(np.arange(20) == 0, np.inf, 1.0), h=4)
    with pytest.raises(NkfxValueError, match=r"y is constant"):
        bai_perron(np.full(20, 3.0), h=4)
    with pytest.raises(NkfxValueError, match=r"fitted exactly by X"):
        bai_perron(2 * y + 1, np.column_stack([np.ones(20), y]), h=4)


def test_singular_segment_is_reported() -> None:
    # a regressor that is zero over a stretch longer than h cannot identify its slope there
    x = np.r_[np.zeros(12), np.arange(1.0, 13.0)]
    y = np.random.default_rng(2).standard_normal(24)
    with pytest.raises(NkfxValueError, match=r"X is singular within a candidate segment"):
        bai_perron(y, x[:, None], h=3)


def test_inputs_are_not_mutated(rng: np.random.Generator) -> None:
    y = _piecewise(rng, 60, 2)
    X = np.column_stack([np.ones(60), np.arange(60.0)])
    y0, X0 = y.copy(), X.copy()
    path = bai_perron(y, X, h=8, max_breaks=2)
    segment_fit(y, X, path.breaks[1])
    breakdate_ci(y, X, path.breaks[1], hac=True)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(X, X0)


# --------------------------------------------------------------------------- criteria
def test_information_criteria_formulas(rng: np.random.Generator) -> None:
    y = _piecewise(rng, 80, 2, jump=3.0)
    path = bai_perron(y, h=12, max_breaks=3)
    ic = information_criteria(path)
    n, m = 80, np.arange(4)
    df = 2 * (m + 1)
    loglik = -0.5 * n * (np.log(path.rss / n) + 1 + np.log(2 * np.pi))
    np.testing.assert_allclose(ic["loglik"], loglik, rtol=1e-14)
    np.testing.assert_allclose(ic["bic"], -2 * loglik + np.log(n) * df, rtol=1e-14)
    p = (m + 1) * 1 + m  # Bai & Perron's p*: coefficients and break dates, no variance
    lwz = np.log(path.rss / (n - p)) + p / n * 0.299 * np.log(n) ** 2.1
    np.testing.assert_allclose(ic["lwz"], lwz, rtol=1e-14)


def test_perfect_fit_gives_infinite_loglik_without_warnings() -> None:
    y = np.r_[np.zeros(10), np.ones(10)]
    ic = information_criteria(bai_perron(y, h=5, max_breaks=2))
    assert np.isneginf(ic["bic"][1])
    assert int(np.argmin(ic["bic"])) == 1


# --------------------------------------------------------------------------- segment fits
def test_segment_fit_matches_hand_ols(rng: np.random.Generator) -> None:
    n = 60
    t = np.arange(n, dtype=float)
    X = np.column_stack([np.ones(n), t])
    y = np.where(t < 25, 1 + 0.1 * t, 4 - 0.05 * t) + 0.2 * rng.standard_normal(n)
    fit = segment_fit(y, X, [24])
    assert fit.start.tolist() == [0, 25]
    assert fit.end.tolist() == [24, 59]
    assert fit.n.tolist() == [25, 35]
    for s, (a, b) in enumerate([(0, 25), (25, 60)]):
        Xs, ys = X[a:b], y[a:b]
        beta = np.linalg.solve(Xs.T @ Xs, Xs.T @ ys)
        e = ys - Xs @ beta
        s2 = e @ e / (b - a - 2)
        np.testing.assert_allclose(fit.coef[s], beta, rtol=1e-10)
        np.testing.assert_allclose(fit.se[s], np.sqrt(np.diag(s2 * np.linalg.inv(Xs.T @ Xs))))
        assert fit.sigma[s] == pytest.approx(np.sqrt(s2))
        assert fit.rss[s] == pytest.approx(e @ e)
    assert np.all(fit.se_hac > 0)


def test_segment_fit_rejects_bad_breaks() -> None:
    y = np.arange(10.0)
    with pytest.raises(NkfxValueError, match=r"breaks must be increasing indices in \[0, 8\]"):
        segment_fit(y, None, [5, 3])
    with pytest.raises(NkfxValueError, match=r"breaks must be a 1-d array of integer"):
        segment_fit(y, None, [2.5])


# --------------------------------------------------------------------------- intervals
def test_pargmax_v_matches_r() -> None:
    # strucchange:::pargmaxV(x, xi = 1.5, phi1 = 1, phi2 = 2) printed by R 4.2.2
    xs = [-30, -3, -1, 0, 1, 3, 30]
    r = [0.000523429178306785, 0.076025036524702827, 0.134818397236132093, 0.2,
         0.439501099149495644, 0.620660721889635059, 0.971884955712683962]  # fmt: skip
    got = [pargmax_v(float(x), xi=1.5, phi1=1.0, phi2=2.0) for x in xs]
    np.testing.assert_allclose(got, r, rtol=1e-12)


def test_intervals_nest_by_level(rng: np.random.Generator) -> None:
    y = _piecewise(rng, 150, 3, jump=2.0)
    b = bai_perron(y, h=20, max_breaks=2).breaks[2]
    widths = [np.diff(breakdate_ci(y, None, b, level=lv), axis=1) for lv in (0.5, 0.9, 0.99)]
    assert np.all(widths[0] <= widths[1])
    assert np.all(widths[1] <= widths[2])
    ci = breakdate_ci(y, None, b)
    assert np.all(ci[:, 0] <= b)
    assert np.all(b <= ci[:, 1])


def test_interval_that_cannot_be_computed_warns(rng: np.random.Generator) -> None:
    # error sd jumps from 0.01 to 10: P(argmax V <= 0) is ~1e-4 < 0.025
    y = np.r_[0.01 * rng.standard_normal(50), 5 + 10 * rng.standard_normal(50)]
    with pytest.warns(NkfxWarning, match=r"break at index 49 cannot be computed"):
        ci = breakdate_ci(y, None, [49])
    assert ci.tolist() == [[CI_UNAVAILABLE, CI_UNAVAILABLE]]


@pytest.mark.parametrize("hac", [False, True])
def test_interval_of_a_noiseless_break_is_unavailable(hac: bool) -> None:
    # zero error variance on both sides: Bai's limit is degenerate (R: NaN and a warning)
    y = np.r_[np.zeros(10), np.ones(10)]
    with pytest.warns(NkfxWarning, match=r"P\(argmax V <= 0\) = nan"):
        ci = breakdate_ci(y, None, [9], hac=hac)
    assert ci.tolist() == [[CI_UNAVAILABLE, CI_UNAVAILABLE]]


def test_hac_interval_on_an_ar1_series(rng: np.random.Generator) -> None:
    e = np.zeros(300)
    for t in range(1, 300):
        e[t] = 0.6 * e[t - 1] + rng.standard_normal()
    y = np.where(np.arange(300) > 149, 2.0, 0.0) + e
    plain = breakdate_ci(y, None, [149])
    robust = breakdate_ci(y, None, [149], hac=True)
    # positive autocorrelation: the long-run variance exceeds sigma^2, so HAC widens
    assert np.diff(robust)[0, 0] > np.diff(plain)[0, 0]
    assert robust[0, 0] <= 149 <= robust[0, 1]


def test_interval_arguments_are_checked() -> None:
    y = np.arange(10.0)
    with pytest.raises(NkfxValueError, match=r"level must be in \(0, 1\); got 95"):
        breakdate_ci(y, None, [4], level=95)


def test_interval_coverage_reduced() -> None:
    # 60 series, n = 200, true break after observation 99 (index 99), shift of 1 sd.
    # If the true coverage of the 95% interval were 0.95, the number covering would be
    # Binomial(60, 0.95): P(X <= 51) = 0.003, so the bound 52/60 rarely fails by chance,
    # while a coverage of 0.80 (a broken interval) passes it only with P(X >= 52) = 0.13.
    # The seed is fixed, so the outcome is reproducible either way.
    assert _coverage(60, seed=11) >= 52 / 60


@pytest.mark.slow
def test_interval_coverage_full() -> None:
    assert _coverage(500, seed=12) >= 0.90


def _coverage(reps: int, *, seed: int) -> float:
    rng = np.random.default_rng(seed)
    n, true = 200, 99
    hits = 0
    for _ in range(reps):
        y = np.where(np.arange(n) > true, 1.0, 0.0) + rng.standard_normal(n)
        b = bai_perron(y, h=30, max_breaks=1).breaks[1]
        lo, hi = breakdate_ci(y, None, b)[0]
        hits += int(lo <= true <= hi)
    return hits / reps


# --------------------------------------------------------------------------- R strucchange
@cache
def _load(name: str) -> Any:
    return json.loads((REF / name).read_text(encoding="utf-8"))


def _ref_cases() -> list[str]:
    if not (REF / "index.json").is_file():
        return []
    return [c["file"] for c in _load("index.json")["cases"] if c["kind"] == "breakpoints"]


def _ref_data(case: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None]:
    if case["y"] is not None:
        y = np.asarray(case["y"], dtype=float)
        if case["x"] is None:
            return y, None
        return y, np.column_stack([np.ones_like(y), np.asarray(case["x"]["tt"], dtype=float)])
    # third-party series: rebuilt from ../shared/data exactly as the case description says
    path = Path(__file__).resolve().parents[2] / "shared" / "data" / Path(case["source_file"]).name
    if not path.is_file():
        pytest.skip(f"{path} not found")
    df = pd.read_csv(path, parse_dates=["time"])
    df = df[(df["entity"] == "pyongyang") & (df["time"] >= "2013-01-01")]
    df = df.sort_values("time", kind="stable")
    y = np.log(df["value"].to_numpy(dtype=float))
    tt = (df["time"] - df["time"].iloc[0]).dt.days.to_numpy(dtype=float)
    return y, (np.column_stack([np.ones_like(y), tt]) if case["model"] == "trend" else None)


@pytest.mark.r_reference
@pytest.mark.parametrize("name", _ref_cases())
def test_path_matches_strucchange(name: str) -> None:
    case = _load(name)
    y, X = _ref_data(case)
    assert len(y) == case["n"]
    path = bai_perron(y, X, h=case["h"], max_breaks=case["max_breaks"])
    ic = information_criteria(path)
    assert path.max_breaks == case["max_breaks"]
    for row in case["path"]:
        m = row["m"]
        assert path.breaks[m].tolist() == row["breaks"], m
        assert path.rss[m] == pytest.approx(row["rss"], rel=1e-8)
        assert ic["bic"][m] == pytest.approx(row["bic"], rel=1e-8)
        assert ic["loglik"][m] == pytest.approx(row["loglik"], rel=1e-8)
        assert ic["lwz"][m] == pytest.approx(row["lwz97"], rel=1e-8)
    np.testing.assert_allclose(ic["bic"], case["summary_bic"], rtol=1e-8)
    assert int(np.argmin(ic["bic"])) == case["selected"]["bic"]
    assert int(np.argmin(ic["lwz"])) == case["selected"]["lwz97"]


@pytest.mark.r_reference
@pytest.mark.parametrize("name", _ref_cases())
def test_segments_match_strucchange(name: str) -> None:
    case = _load(name)
    y, X = _ref_data(case)
    for seg in case["segments"]:
        fit = segment_fit(y, X, seg["end"][:-1])
        assert fit.start.tolist() == seg["start"]
        assert fit.n.tolist() == seg["n"]
        for mine, key in [(fit.coef, "coef"), (fit.se, "se_ols"), (fit.se_hac, "se_kernhac"),
                          (fit.sigma, "sigma_ols"), (fit.rss, "rss")]:  # fmt: skip
            ref = np.asarray(seg[key], dtype=float).reshape(mine.shape)
            np.testing.assert_allclose(mine, ref, rtol=1e-6, err_msg=key)
        # Andrews' bandwidth on the VAR(1)-prewhitened estimating functions, as bwAndrews
        Xd = np.ones((len(y), 1)) if X is None else X
        for s, (a, b) in enumerate(zip(fit.start, fit.end, strict=True)):
            Xs = Xd[a : b + 1]
            e = y[a : b + 1] - Xs @ fit.coef[s]
            v, _ = _prewhiten(Xs * e[:, None])
            bw = andrews_bandwidth(v, _bandwidth_weights(Xs, e))
            assert bw == pytest.approx(seg["kernhac_bandwidth"][s], rel=1e-6)


@pytest.mark.r_reference
@pytest.mark.parametrize("name", _ref_cases())
def test_intervals_match_strucchange(name: str) -> None:
    case = _load(name)
    y, X = _ref_data(case)
    checked = 0
    for ci in case["ci"]:
        if ci["vcov"] not in ("none", "kernhac"):
            continue  # fixed-lag Newey-West is not an nkfx option
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = breakdate_ci(y, X, ci["breaks"], level=ci["level"], het_reg=ci["het_reg"],
                               het_err=ci["het_err"], hac=ci["vcov"] == "kernhac")  # fmt: skip
        # R gives NA (and a warning) where P(argmax V <= 0) is outside [a/2, 1 - a/2]
        missing = np.array([lo is None for lo in ci["lower"]])
        assert ((got[:, 0] == CI_UNAVAILABLE) == missing).all()
        assert len(caught) == int(missing.sum()) == len(ci["warnings"])
        ref = np.column_stack([ci["lower"], ci["upper"]])[~missing].astype(np.int64)
        assert np.abs(got[~missing] - ref).max(initial=0) <= 1, (ci["variant"], got, ref)
        checked += 1
    assert checked % 18 == 0


def test_hac_of_a_perfectly_fitted_segment_is_zero_not_an_error() -> None:
    # A run of identical (stale) quotes fits its segment exactly; prewhitening a zero
    # residual vector used to raise LinAlgError (singular VAR(1) system).
    from nkfx.detect.ftests._hac import hac_meat

    assert np.array_equal(hac_meat(np.ones((12, 1)), np.zeros(12)), np.zeros((1, 1)))
    rng = np.random.default_rng(0)
    y = np.r_[np.full(40, np.log(1000.0)), np.log(1300.0) + 0.02 * rng.standard_normal(40)]
    fit = segment_fit(y, None, np.array([39]))
    assert np.isnan(fit.se_hac[0, 0]) or fit.se_hac[0, 0] == 0.0  # degenerate regime, no error
    assert fit.se_hac[1, 0] > 0.0


def test_detect_with_hac_survives_a_run_of_stale_quotes() -> None:
    import nkfx

    rng = np.random.default_rng(0)
    y = np.r_[np.full(40, 1000.0), 1300 * np.exp(0.02 * rng.standard_normal(40))]
    s = pd.Series(y, index=pd.date_range("2020-01-05", periods=80, freq="W"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nkfx.DataQualityWarning)  # the interval is NA, as in R
        res = nkfx.detect(s, hac=True, method="bai-perron")
    assert res.breaks["last_old"].tolist() == [pd.Timestamp("2020-10-04")]
    assert res.tests["supF"].statistic > 100


# --------------------------------------------------------------------------- issue 17: R's warnings
def _grossarl() -> pd.Series:
    case = _load("classic_grossarl.json")
    years = pd.to_datetime([f"{int(y)}-01-01" for y in case["years"]])
    return pd.Series(case["y"], index=years, name="Grossarl fraction")


def test_grossarl_intervals_and_warnings_match_strucchange() -> None:
    """Every m = 1..8: breaks, unclipped bounds, and a note exactly where R's breakdates() warns."""
    import nkfx

    case = _load("classic_grossarl.json")
    series = _grossarl()
    for entry in case["ci"]:
        res = nkfx.detect(series, method="bai-perron", scale="level", trim=0.1, max_breaks=8,
                          n_breaks=entry["m"])
        b = res.breaks
        assert (b["index"] + 1).tolist() == entry["breakpoints_r"]
        assert (b["index_ci_lower_unclipped"] + 1).tolist() == entry["lower_r"]
        assert (b["index_ci_upper_unclipped"] + 1).tolist() == entry["upper_r"]
        overlap_r = any("Overlapping" in w for w in entry["warnings"])
        outside_r = any("outside data" in w for w in entry["warnings"])
        assert any("overlap" in n for n in res.notes) == overlap_r, entry["m"]
        assert any("clipped" in n for n in res.notes) == outside_r, entry["m"]
    path = nkfx.detect(series, method="bai-perron", scale="level", trim=0.1, max_breaks=8).criteria
    for entry in case["path"]:
        assert path.loc[entry["m"], "rss"] == pytest.approx(entry["rss"], rel=1e-9)
        assert path.loc[entry["m"], "bic"] == pytest.approx(entry["bic"], rel=1e-9)


def test_realint_three_breaks_note_overlap() -> None:
    import nkfx

    case = _load("classic_realint.json")
    dates = pd.PeriodIndex(case["dates"], freq="Q").to_timestamp()
    res = nkfx.detect(pd.Series(case["y"], index=dates), method="bai-perron", scale="level",
                      n_breaks=3)
    assert any("intervals of breaks 1 and 2 overlap" in n for n in res.notes)
    two = nkfx.detect(pd.Series(case["y"], index=dates), method="bai-perron", scale="level",
                      n_breaks=2)
    assert not any("overlap" in n for n in two.notes)


# --------------------------------------------------------------------------- issue 17: M = 8
def _check_chain(res: Any, alpha: float = 0.05) -> None:
    """UDmax rejects, every sup-F(l+1|l) up to the chosen m rejects, the next one does not."""
    m = res.n_breaks
    assert np.isfinite(res.tests["UDmax"].pvalue)
    assert res.tests["UDmax"].pvalue < alpha
    for j in range(1, m):
        assert res.tests[f"supF({j + 1}|{j})"].pvalue < alpha
    if m < res.params["max_breaks_used"]:  # NaN: no segment can hold another break
        assert not res.tests[f"supF({m + 1}|{m})"].pvalue < alpha
    assert not any("sequential rule stopped" in n for n in res.notes)


def test_sequential_rule_with_eight_breaks_allowed() -> None:
    """Six true breaks, trim 0.1, max_breaks=8: found by the sequential rule (UDmax with M = 8)."""
    import nkfx

    rng = np.random.default_rng(17)
    n, true = 420, [59, 119, 179, 239, 299, 359]
    level = np.repeat([0.0, 1.5, 0.0, 1.5, 0.0, 1.5, 0.0], 60)
    dates = pd.date_range("2000-01-02", periods=n, freq="W-SUN")
    y = pd.Series(level + 0.5 * rng.standard_normal(n), index=dates)
    res = nkfx.detect(y, method="bai-perron", scale="level", trim=0.1, max_breaks=8, n_breaks="sequential")
    assert res.params["max_breaks_used"] == 8
    assert res.n_breaks == 6
    assert np.all(np.abs(res.breaks["index"].to_numpy() - true) <= 6)  # within 6 of 60 weeks
    _check_chain(res)


def test_sequential_rule_on_grossarl_with_eight_breaks() -> None:
    """Issue 17: Grossarl, trim 0.1, max_breaks 8 used to stop at 0 breaks (UDmax had no null)."""
    import nkfx

    res = nkfx.detect(_grossarl(), method="bai-perron", scale="level", trim=0.1, max_breaks=8,
                      n_breaks="sequential")
    assert res.n_breaks >= 2
    assert res.tests["UDmax"].pvalue < 0.001
    _check_chain(res)
