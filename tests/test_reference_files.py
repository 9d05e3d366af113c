"""The committed R strucchange reference files load and agree with themselves.

The files in ``tests/reference/strucchange/`` are written by ``generate.R`` there. These tests
need no R: they check the bookkeeping (keys, lengths, index conventions) and recompute from the
stored data, with plain numpy, the quantities whose formulas are unambiguous (segment RSS, the
information criteria, OLS F statistics), so a comparison test that uses these files can trust them.
"""

from __future__ import annotations

import itertools
import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.r_reference

REF = Path(__file__).parent / "reference" / "strucchange"
LWZ_PENALTY = 0.299  # c0 of Liu, Wu & Zidek (1997); exponent 2 + 0.1


@cache
def _load(name: str) -> Any:
    return json.loads((REF / name).read_text(encoding="utf-8"))


def _cases(kind: str) -> list[str]:
    return [c["file"] for c in _load("index.json")["cases"] if c["kind"] == kind]


def _design(case: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(case["y"], dtype=float)
    cols = [np.ones_like(y)]
    if case["x"] is not None:
        cols.append(np.asarray(case["x"]["tt"], dtype=float))
    return y, np.column_stack(cols)


def _rss(y: np.ndarray, X: np.ndarray) -> float:
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ coef
    return float(resid @ resid)


def _segmented_rss(y: np.ndarray, X: np.ndarray, breaks: list[int]) -> float:
    """Total RSS with 0-based breaks (b = last observation of the old regime)."""
    bounds = [0, *[b + 1 for b in breaks], len(y)]
    return sum(_rss(y[s:e], X[s:e]) for s, e in itertools.pairwise(bounds))


def test_index_lists_every_file_and_versions() -> None:
    index = _load("index.json")
    listed = {c["file"] for c in index["cases"]}
    on_disk = {p.name for p in REF.glob("*.json")} - {"index.json"}
    assert listed == on_disk
    assert index["strucchange_version"] == "1.5.3"
    assert index["r_version"].startswith("R version 4.2.2")
    assert {"breakpoints", "fstats", "fstats_pvalues"} <= {c["kind"] for c in index["cases"]}


@pytest.mark.parametrize("name", _cases("breakpoints"))
def test_breakpoints_case_bookkeeping(name: str) -> None:
    case = _load(name)
    n, h, k = case["n"], case["h"], case["k"]
    h_arg = case["h_arg"]
    # strucchange: a fraction h becomes floor(n * h); default max breaks = ceiling(n / h) - 2.
    assert h == (math.floor(n * h_arg) if h_arg < 1 else h_arg)
    limit = math.ceil(n / h) - 2
    assert case["max_breaks"] == min(limit, case["breaks_arg"] or limit)
    assert [p["m"] for p in case["path"]] == list(range(case["max_breaks"] + 1))
    if case["y"] is not None:
        assert len(case["y"]) == n
        assert (case["x"] is None) == (k == 1)
        assert case["x"] is None or len(case["x"]["tt"]) == n
    for p in case["path"]:
        assert len(p["breakpoints_r"]) == p["m"]
        assert [b - 1 for b in p["breakpoints_r"]] == p["breaks"]
        assert np.all(np.diff([0, *p["breakpoints_r"], n]) >= h)
        assert p["df"] == (k + 1) * (p["m"] + 1)
    assert case["summary_bic"] == [p["bic"] for p in case["path"]]
    assert case["summary_rss"] == [p["rss"] for p in case["path"]]


@pytest.mark.parametrize("name", _cases("breakpoints"))
def test_breakpoints_criteria_follow_documented_formulas(name: str) -> None:
    case = _load(name)
    n = case["n"]
    for p in case["path"]:
        loglik = -0.5 * n * (math.log(p["rss"]) + 1 - math.log(n) + math.log(2 * math.pi))
        assert p["loglik"] == pytest.approx(loglik, rel=1e-12)
        assert p["bic"] == pytest.approx(-2 * loglik + math.log(n) * p["df"], rel=1e-12)
        pen = LWZ_PENALTY * math.log(n) ** 2.1
        assert p["lwz_aic"] == pytest.approx(-2 * loglik + pen * p["df"], rel=1e-12)
        pstar = (p["m"] + 1) * case["k"] + p["m"]
        lwz97 = math.log(p["rss"] / (n - pstar)) + pstar * pen / n
        assert p["lwz97"] == pytest.approx(lwz97, rel=1e-12)
    for key in ("bic", "lwz_aic", "lwz97"):
        assert case["selected"][key] == int(np.argmin([p[key] for p in case["path"]]))
    chosen = case["path"][case["selected"]["bic"]]
    assert case["selected"]["default_breakpoints_r"] == chosen["breakpoints_r"]


@pytest.mark.parametrize("name", [f for f in _cases("breakpoints") if not f.startswith("dailynk")])
def test_breakpoints_rss_and_segments_recompute(name: str) -> None:
    case = _load(name)
    y, X = _design(case)
    for p in case["path"]:
        assert _segmented_rss(y, X, p["breaks"]) == pytest.approx(p["rss"], rel=1e-9)
    for seg in case["segments"]:
        path = case["path"][seg["m"]]
        assert seg["start"] == [0, *[b + 1 for b in path["breaks"]]]
        assert seg["end"] == [*path["breaks"], case["n"] - 1]
        for j, (s, e) in enumerate(zip(seg["start"], seg["end"], strict=True)):
            coef, *_ = np.linalg.lstsq(X[s : e + 1], y[s : e + 1], rcond=None)
            np.testing.assert_allclose(seg["coef"][j], coef, rtol=1e-8, atol=1e-12)
            assert seg["rss"][j] == pytest.approx(_rss(y[s : e + 1], X[s : e + 1]), rel=1e-9)


@pytest.mark.parametrize("name", _cases("breakpoints"))
def test_confidence_intervals_are_consistent(name: str) -> None:
    case = _load(name)
    for ci in case["ci"]:
        assert ci["breakpoints_r"] == case["path"][ci["m"]]["breakpoints_r"]
        assert ci["level"] in (0.90, 0.95, 0.99)
        assert len(ci["details"]) == ci["m"]
        for lo, b, up, lo0, up0 in zip(
            ci["lower_r"], ci["breakpoints_r"], ci["upper_r"], ci["lower"], ci["upper"], strict=True
        ):
            if lo is None:  # strucchange could not compute this interval (warning stored)
                assert up is None
                assert lo0 is None
                assert ci["warnings"]
                continue
            assert lo <= b <= up
            assert (lo0, up0) == (lo - 1, up - 1)


def test_confidence_intervals_widen_with_level() -> None:
    case = _load("bp_mean_n200_3breaks.json")
    width = {
        ci["level"]: np.subtract(ci["upper_r"], ci["lower_r"])
        for ci in case["ci"]
        if ci["variant"] == "default"
    }
    assert np.all(width[0.90] <= width[0.95])
    assert np.all(width[0.95] <= width[0.99])


def test_published_classic_results() -> None:
    nile = _load("classic_nile.json")
    assert nile["path"][nile["selected"]["bic"]]["breakpoints_r"] == [28]
    assert nile["dates"][27] == 1898
    ci = next(c for c in nile["ci"] if c["variant"] == "default" and c["level"] == 0.95)
    assert (ci["lower_r"], ci["upper_r"]) == ([25], [32])  # 1895-1902
    realint = _load("classic_realint.json")
    assert realint["path"][3]["breakpoints_r"] == [24, 47, 79]  # Bai & Perron (2003)
    assert [realint["dates"][i - 1] for i in (24, 47, 79)] == ["1966Q4", "1972Q3", "1980Q3"]
    assert realint["selected"]["bic"] == 2
    # Segment means of Bai & Perron (2003, Table 1); HAC s.e. and intervals as ?RealInt prints.
    example = realint["realint_example"]
    np.testing.assert_allclose(example["coef"], [1.824, 0.866, -1.796, 5.643], atol=5e-4)
    np.testing.assert_allclose(example["se"], [0.186, 0.150, 0.503, 0.589], atol=5e-4)
    assert example["confint"] == [[18, 24, 35], [33, 47, 48], [77, 79, 81]]


@pytest.mark.parametrize("name", _cases("fstats"))
def test_fstats_path_recomputes(name: str) -> None:
    case = _load(name)
    y, X = _design(case)
    n, k = case["n"], case["k"]
    rss0 = _rss(y, X)
    for variant in case["variants"].values():
        pts = variant["points_r"]
        assert pts == list(range(variant["from_r"], variant["to_r"] + 1))
        assert variant["points"] == [p - 1 for p in pts]
        f = np.asarray(variant["fstats"])
        assert len(f) == len(pts)
        assert variant["argmax_r"] == pts[int(np.argmax(f))]
        tests = variant["tests"]
        assert tests["supF"]["statistic"] == pytest.approx(f.max(), rel=1e-12)
        assert tests["aveF"]["statistic"] == pytest.approx(f.mean(), rel=1e-12)
        assert tests["expF"]["statistic"] == pytest.approx(np.log(np.mean(np.exp(f / 2))), rel=1e-10)
    ols = case["variants"]["ols"]
    for b, stat in zip(ols["points"], ols["fstats"], strict=True):
        rss1 = _segmented_rss(y, X, [b])
        assert stat == pytest.approx((rss0 - rss1) / (rss1 / (n - 2 * k)), rel=1e-8)
    for chow in case["chow"]:
        rss1 = _segmented_rss(y, X, [chow["point"]])
        expected = ((rss0 - rss1) / k) / (rss1 / (n - 2 * k))
        assert chow["statistic"] == pytest.approx(expected, rel=1e-8)
        assert (chow["df1"], chow["df2"]) == (k, n - 2 * k)


def test_fstats_pvalue_tables() -> None:
    tables = _load("fstats_pvalues.json")["tables"]
    assert len(tables) == 3 * 3 * 5
    for t in tables:
        p = np.asarray(t["p_value"])
        assert len(p) == len(t["statistic"])
        assert np.all((p >= 0) & (p <= 1))
        assert t["lambda"] == pytest.approx(((1 - t["trim"]) / t["trim"]) ** 2)
        assert np.all(np.diff(t["critical"]) > 0)
    sup = next(t for t in tables if (t["type"], t["k"], t["trim"]) == ("supF", 1, 0.15))
    # Andrews (1993) gives 8.85 at 5%, Bai & Perron (1998) 8.58: the approximation sits between.
    assert 8.5 < sup["critical"][1] < 8.9


def test_dailynk_sample_is_reconstructible(shared_data: Path) -> None:
    raw = pd.read_csv(shared_data / "dailynk_usd_kpw_by_city.csv")
    pj = raw[raw["entity"] == "pyongyang"].assign(time=lambda d: pd.to_datetime(d["time"]))
    pj = pj.sort_values("time")
    pj = pj[pj["time"] >= "2013-01-01"]
    y = np.log(pj["value"].to_numpy(dtype=float))
    tt = (pj["time"] - pj["time"].iloc[0]).dt.days.to_numpy(dtype=float)
    for model, X in (("mean", np.ones((len(y), 1))), ("trend", np.column_stack([np.ones_like(y), tt]))):
        case = _load(f"dailynk_pyongyang_{model}.json")
        assert case["y"] is None  # third-party values are never committed
        assert case["n"] == len(y)
        assert case["first_date"] == pj["time"].iloc[0].strftime("%Y-%m-%d")
        assert case["last_date"] == pj["time"].iloc[-1].strftime("%Y-%m-%d")
        for p in case["path"]:
            assert _segmented_rss(y, X, p["breaks"]) == pytest.approx(p["rss"], rel=1e-9)
            dates = pj["time"].dt.strftime("%Y-%m-%d").to_numpy()
            assert p["last_date_old"] == [dates[b] for b in p["breaks"]]
            assert p["first_date_new"] == [dates[b + 1] for b in p["breaks"]]
