"""Result objects of break detection: tables, JSON, summaries, plots."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from nkfx.detect import Breaks, TestResult, detect, sup_f_test
from nkfx.errors import NkfxValueError


@pytest.fixture
def series(rng: np.random.Generator) -> pd.Series:
    gaps = rng.integers(3, 18, size=120)
    dates = pd.Timestamp("2019-03-01") + pd.to_timedelta(np.cumsum(gaps), unit="D")
    y = np.r_[np.full(50, 8.9), np.full(70, 9.3)] + rng.normal(0, 0.02, 120)
    return pd.Series(np.exp(y), index=dates, name="Pyongyang USD")


@pytest.fixture
def result(series: pd.Series) -> Breaks:
    return detect(series, method="bai-perron")


@pytest.fixture
def by_hand() -> TestResult:
    return TestResult(
        name="Chow",
        statistic=12.5,
        pvalue=0.0004,
        df=(1.0, 98.0),
        critical_values={0.95: 3.94},
        date=pd.Timestamp("2022-01-24"),
        last_old=pd.Timestamp("2022-01-11"),
        null="no break at 2022-01-24",
        params={"scale": "log", "at_requested": pd.Timestamp("2022-01-16")},
        detail={"ratio": np.float64(np.nan), "path": np.array([1, 2])},
        notes=("at=2022-01-16 is not an observation date",),
    )


def _plain_types(obj: Any) -> bool:
    """True if obj is made only of JSON's own Python types."""
    if isinstance(obj, dict):
        return all(isinstance(k, str) and _plain_types(v) for k, v in obj.items())
    if isinstance(obj, list):
        return all(_plain_types(v) for v in obj)
    return obj is None or type(obj) in (str, int, float, bool)


# --------------------------------------------------------------------------- TestResult


def test_test_result_to_dict_is_json_safe(by_hand: TestResult) -> None:
    d = by_hand.to_dict()
    assert _plain_types(d)
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert d["first_new"] == "2022-01-24"
    assert d["last_old"] == "2022-01-11"
    assert d["critical_values"] == {"0.95": 3.94}
    assert d["df"] == [1.0, 98.0]
    assert d["params"]["at_requested"] == "2022-01-16"
    assert d["detail"] == {"ratio": None, "path": [1, 2]}


def test_test_result_text(by_hand: TestResult) -> None:
    assert repr(by_hand) == "TestResult(Chow: statistic=12.5, pvalue=0.0004, first_new=2022-01-24)"
    text = by_hand.summary().as_text()
    for piece in (
        "Chow",
        "2022-01-24",
        "2022-01-11",
        "no break at 2022-01-24",
        "3.94",
        "at=2022-01-16 is not an observation date",
        "at_requested",
    ):
        assert piece in text
    assert "<table" in by_hand._repr_html_()
    frame = by_hand.to_frame()
    assert frame.columns.tolist() == [
        "test",
        "statistic",
        "pvalue",
        "df",
        "last_old",
        "first_new",
        "crit_0.95",
    ]
    assert frame.loc[0, "first_new"] == pd.Timestamp("2022-01-24")


def test_test_result_is_frozen(by_hand: TestResult) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        by_hand.statistic = 1.0  # type: ignore[misc]


def test_sup_f_result_dates_and_json(series: pd.Series) -> None:
    res = sup_f_test(series)
    assert res.date == series.index[50]
    assert res.last_old == series.index[49]
    path = res.detail["f_path"]
    assert isinstance(path.index, pd.DatetimeIndex)
    assert path.max() == pytest.approx(res.statistic)
    assert path.idxmax() == res.date
    d = res.to_dict()
    assert _plain_types(d)
    assert d["detail"]["f_path"][series.index[50].date().isoformat()] == pytest.approx(res.statistic)
    json.dumps(d, allow_nan=False)


def test_sup_f_plot_and_chow_without_path(series: pd.Series, by_hand: TestResult) -> None:
    res = sup_f_test(series)
    fig, ax = plt.subplots()
    try:
        assert res.plot(ax=ax) is ax
        assert len(ax.lines) == 3  # F path, critical value, argmax date
        np.testing.assert_allclose(ax.lines[0].get_ydata(), res.detail["f_path"].to_numpy())
        assert ax.lines[1].get_ydata()[0] == pytest.approx(res.critical_values[0.95])
    finally:
        plt.close(fig)
    with pytest.raises(NkfxValueError, match=r"Chow has no F path to plot"):
        by_hand.plot()


# --------------------------------------------------------------------------- Breaks


def test_breaks_tables_and_properties(result: Breaks, series: pd.Series) -> None:
    assert result.n_breaks == 1
    assert list(result.dates) == [series.index[50]]
    assert result.dates.name == "first_new"
    assert result.breaks.index.name == "break"
    assert result.breaks.columns.tolist() == [
        "last_old",
        "first_new",
        "ci_lower",
        "ci_upper",
        "level",
        "jump",
        "jump_pct",
        "index",
        "index_ci_lower",
        "index_ci_upper",
        "index_ci_lower_unclipped",
        "index_ci_upper_unclipped",
    ]
    assert result.segments.columns.tolist() == [
        "start",
        "end",
        "n",
        "level",
        "se",
        "se_hac",
        "sd",
        "rss",
        "level_kpw",
    ]
    assert result.criteria.columns.tolist() == ["m", "rss", "loglik", "bic", "lwz", "chosen"]
    assert set(result.tests) == {"supF", "UDmax", "WDmax"}
    fitted = result.fitted
    assert fitted.index.equals(result.series.index)
    np.testing.assert_allclose(fitted.iloc[:50], result.segments["level"].iloc[0])
    np.testing.assert_allclose(fitted.iloc[50:], result.segments["level"].iloc[1])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.method = "pelt"  # type: ignore[misc]


def test_breaks_params_record_everything(result: Breaks, series: pd.Series) -> None:
    import nkfx

    p = result.params
    assert p["h"] == 18  # floor(120 * 0.15)
    assert p["trim"] == 0.15
    assert p["trim_rule"] == "fraction: h = floor(n * 0.15) = floor(120 * 0.15)"
    assert p["max_breaks"] == 5
    assert p["max_breaks_used"] == 5
    assert (p["n_breaks"], p["level"], p["alpha"]) == ("bic", 0.95, 0.05)
    assert (p["hac"], p["het_reg"], p["het_err"]) == (False, True, True)
    assert (p["n_obs"], p["start"], p["end"]) == (120, series.index[0], series.index[-1])
    assert p["nkfx_version"] == nkfx.__version__


def test_to_frame_is_tidy(result: Breaks) -> None:
    frame = result.to_frame()
    assert len(frame) == result.n_breaks
    assert frame["break"].tolist() == [1]
    assert (frame["model"].tolist(), frame["scale"].tolist()) == (["mean"], ["log"])
    assert frame["first_new"].tolist() == list(result.dates)


def test_to_dict_round_trips_through_json(result: Breaks, series: pd.Series) -> None:
    d = result.to_dict()
    assert _plain_types(d)
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    first = d["breaks"][0]
    assert first["first_new"] == series.index[50].date().isoformat()
    assert first["last_old"] == series.index[49].date().isoformat()
    assert first["index"] == 49
    assert d["n_breaks"] == 1
    assert [s["n"] for s in d["segments"]] == [50, 70]
    assert d["tests"]["supF"]["first_new"] == first["first_new"]
    assert d["params"]["start"] == series.index[0].date().isoformat()


def test_summary_contains_the_dates(result: Breaks) -> None:
    text = result.summary().as_text()
    row = result.breaks.iloc[0]
    for col in ("last_old", "first_new", "ci_lower", "ci_upper"):
        assert row[col].date().isoformat() in text
    for piece in (
        "Breaks (95% intervals)",
        "Segments",
        "Criteria by number of breaks",
        "supF",
        "UDmax",
        "h = floor(n * 0.15)",
        "strucchange breakpoint",
    ):
        assert piece in text
    html = result._repr_html_()
    assert html.count("<table") == 5
    assert row["first_new"].date().isoformat() in html


def test_repr_is_one_concise_line(result: Breaks) -> None:
    text = repr(result)
    assert "\n" not in text
    assert text == (
        f"Breaks('Pyongyang USD', method='bai-perron', model='mean', scale='log', "
        f"n=120, n_breaks=1, first_new=[{result.dates[0].date().isoformat()}])"
    )


@pytest.mark.parametrize("model", ["mean", "trend"])
def test_plot_draws_series_fits_breaks_and_bands(series: pd.Series, model: str) -> None:
    res = detect(series, model=model, n_breaks=2, method="bai-perron")
    fig, ax = plt.subplots()
    try:
        out = res.plot(ax=ax, color="k")
        assert out is ax
        # 1 data line + 3 regime fits + 2 break lines + 2 interval bars (the figures of issue 16
        # draw each interval as a numbered bar at the bottom, not a shaded span)
        assert len(ax.lines) == 1 + 3 + 2 + 2
        assert len(ax.patches) == 0
        assert ax.lines[0].get_color() == "k"
        fit = res.fitted
        seg2 = ax.lines[2]
        start, end = res.segments["start"].iloc[1], res.segments["end"].iloc[1]
        np.testing.assert_allclose(seg2.get_ydata(), np.exp(fit[start:end].to_numpy()))  # in KPW
    finally:
        plt.close(fig)


def test_plot_without_breaks_makes_its_own_axes(rng: np.random.Generator) -> None:
    dates = pd.date_range("2020-01-01", periods=60, freq="7D")
    res = detect(pd.Series(np.exp(rng.normal(8, 0.01, 60)), index=dates), n_breaks=0, method="bai-perron")
    ax = res.plot()
    try:
        assert (len(ax.lines), len(ax.patches)) == (2, 0)
    finally:
        plt.close(ax.figure)


def test_constant_series_result_is_json_safe() -> None:
    res = detect(pd.Series(7.0, index=pd.date_range("2020-01-01", periods=40, freq="7D")),
                 method="bai-perron")
    d = res.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["breaks"] == []
    assert all(row["bic"] is None for row in d["criteria"])
    assert "none" in res.summary().as_text()
    assert math.isclose(res.segments["level_kpw"].iloc[0], 7.0)


def test_importing_nkfx_does_not_import_pyplot() -> None:
    code = "import sys, nkfx; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_bai_perron_summary_says_why_bic_is_the_default() -> None:
    rate = pd.Series(np.r_[np.full(20, 5000.0), np.full(20, 6000.0)] * np.exp(0.01 * np.sin(np.arange(40))),
                     index=pd.date_range("2021-01-04", periods=40, freq="W-MON"))
    text = detect(rate, method="bai-perron").summary().as_text()
    assert "strucchange's default; prefer 'lwz' if errors are autocorrelated" in text
    assert "prefer 'lwz'" not in detect(rate, method="bai-perron", n_breaks="lwz").summary().as_text()
