"""Tests of nkfx.batch (detect_many) and nkfx.batch.power (power_study)."""

from __future__ import annotations

import concurrent.futures as cf
import io
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import nkfx
from nkfx.batch import BatchResult, detect_many
from nkfx.batch import _run as _batch_run
from nkfx.batch.power import PowerStudy, power_study
from nkfx.datasets import simulate
from nkfx.errors import NkfxTypeError, NkfxValueError

BY3 = ("city", "currency", "source")


@pytest.fixture(scope="module")
def rates() -> pd.DataFrame:
    return simulate(seed=0).rates


def _short_frame(rng: np.random.Generator) -> pd.DataFrame:
    """Two good series (one without a city) and one with 3 observations."""
    rows = []
    for city, n, jump in (("Hyesan", 60, 0.3), (None, 50, 0.0), ("Sinuiju", 3, 0.0)):
        dates = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.cumsum(rng.integers(3, 12, n)), unit="D")
        y = np.log(1000) + jump * (np.arange(n) >= n // 2) + 0.01 * rng.standard_normal(n)
        rows.append(
            pd.DataFrame({"date": dates, "city": city, "currency": "CNY", "rate": np.exp(y), "source": "A"})
        )
    return pd.concat(rows, ignore_index=True)


def _assert_same(a: BatchResult, b: BatchResult) -> None:
    for name in ("breaks", "groups", "failures", "warnings"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


# --- results against direct detection and truth ---------------------------------------------


def test_matches_detect_per_group(rates: pd.DataFrame) -> None:
    res = detect_many(rates, by=BY3)
    assert res.n_groups == 12
    assert res.failures.empty
    for (city, cur, src), sub in res.breaks.groupby(list(BY3)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", nkfx.DataQualityWarning)  # recorded by the batch instead
            direct = nkfx.detect(rates, city=city, currency=cur, source=src, method="bai-perron").to_frame()
        got = sub.drop(columns=[*BY3, "group"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, direct)
    # groups are sorted by key and counted right
    assert res.groups["group"].iloc[0] == "Hyesan / CNY / Asia Press"
    assert res.groups["n_obs"].sum() == len(rates)
    assert res.groups["n_breaks"].sum() == len(res.breaks)


def test_finds_simulated_dollar_break() -> None:
    # every city's USD rate jumps by 0.30 log points on 2022-01-16 (simulate's truth); no
    # outliers or unit slips here, so each Daily NK dollar series must show that break
    sim = simulate(seed=0, outlier_prob=0.0, slip_prob=0.0)
    at = sim.truth.query("currency == 'USD' and size == 0.30")["date"].iloc[0]
    assert at == pd.Timestamp("2022-01-16")
    res = detect_many(sim.rates, by=BY3)
    usd = res.breaks.query("currency == 'USD' and source == 'Daily NK'")
    assert usd["city"].nunique() == 3
    for city, sub in usd.groupby("city"):
        err = (sub["first_new"] - at).abs().min()
        assert err <= pd.Timedelta("45D"), city
        near = sub.loc[(sub["first_new"] - at).abs().idxmin(), "jump"]
        assert near == pytest.approx(0.30, abs=0.06)


def test_keep_results(rates: pd.DataFrame) -> None:
    res = detect_many(rates, by=BY3, keep_results=True)
    assert len(res.results) == 12
    key = ("Pyongyang", "USD", "Daily NK")
    assert isinstance(res.results[key], nkfx.Breaks)
    rows = res.breaks.query("city == 'Pyongyang' and currency == 'USD' and source == 'Daily NK'")
    assert rows["first_new"].tolist() == res.results[key].to_frame()["first_new"].tolist()
    assert detect_many(rates, by=BY3).results == {}


def test_inputs_not_mutated(rates: pd.DataFrame) -> None:
    before = rates.copy(deep=True)
    detect_many(rates, combine="median", keep_results=True)
    detect_many(rates, by=BY3)
    pd.testing.assert_frame_equal(rates, before)


# --- failures are reported, not raised ---------------------------------------------------------


def test_short_group_fails_others_run(rng: np.random.Generator) -> None:
    frame = _short_frame(rng)
    res = detect_many(frame, keep_results=True)
    assert res.groups["status"].tolist() == ["ok", "failed", "ok"]  # the missing city sorts last
    fail = res.failures
    assert fail["group"].tolist() == ["Sinuiju / CNY"]
    assert fail["error"].tolist() == ["InsufficientDataError"]
    assert fail["n_obs"].tolist() == [3]
    assert fail["message"].iloc[0].startswith("trim=0.15 gives segments of h=0 observations with n=3")
    # the Hyesan series has its one break; the national series (no city) is its own group
    hyesan = res.breaks.query("city == 'Hyesan'")
    assert len(hyesan) == 1
    assert hyesan["index"].iloc[0] == 29
    assert (None, "CNY") in res.results
    assert "(no city) / CNY" in res.groups["group"].tolist()


def test_missing_city_group_label_and_order(rng: np.random.Generator) -> None:
    res = detect_many(_short_frame(rng))
    assert res.groups["group"].tolist() == ["Hyesan / CNY", "Sinuiju / CNY", "(no city) / CNY"]
    assert res.groups["city"].isna().tolist() == [False, False, True]
    assert res.breaks["group"].dtype == res.groups["group"].dtype


def test_several_rows_per_date_fail_with_reason(rates: pd.DataFrame) -> None:
    res = detect_many(rates)
    assert len(res.failures) == 6
    assert res.breaks.empty
    msg = res.failures.set_index("group").loc["Hyesan / USD", "message"]
    counts = rates.query("city == 'Hyesan' and currency == 'USD'").groupby("date").size()
    dup = counts[counts > 1]
    assert len(dup) == 5  # Daily NK and Asia Press reporting on the same day
    assert msg == (
        f"several rows on one date: 5 date(s) (first {dup.index[0]:%Y-%m-%d} with {dup.iloc[0]} rows); "
        "add 'source' to by= or pass combine='median' (or combine the reports first with nkfx.combine)"
    )
    one_source = detect_many(pd.concat([rates, rates.iloc[:1]]), by=BY3).failures
    assert one_source["message"].tolist() == [
        f"several rows on one date: 1 date(s) (first {rates['date'].iloc[0]:%Y-%m-%d} with 2 rows); "
        "pass combine='median' (or combine the reports first with nkfx.combine)"
    ]
    assert set(res.failures["error"]) == {"NkfxValueError"}


def test_combine_median_equals_manual_median(rates: pd.DataFrame) -> None:
    res = detect_many(rates, combine="median")
    assert res.failures.empty
    sub = rates.query("city == 'Sinuiju' and currency == 'USD'")
    series = sub.groupby("date")["rate"].median()
    series.index = pd.DatetimeIndex(series.index)
    direct = nkfx.detect(series, method="bai-perron").to_frame()
    got = res.breaks.query("city == 'Sinuiju' and currency == 'USD'")
    assert got["first_new"].tolist() == direct["first_new"].tolist()
    assert res.groups.set_index("group").loc["Sinuiju / USD", "n_obs"] == len(series)


def test_warnings_recorded_not_raised(rates: pd.DataFrame) -> None:
    # detect warns (DataQualityWarning) about one interval here; pytest turns nkfx warnings
    # into errors, yet the batch records it and the group succeeds
    res = detect_many(rates, by=BY3)
    warned = res.warnings.query("city == 'Hyesan' and currency == 'CNY' and source == 'Daily NK'")
    assert warned["category"].tolist() == ["DataQualityWarning"]
    assert "cannot be computed" in warned["message"].iloc[0]
    assert res.groups.set_index("group").loc["Hyesan / CNY / Daily NK", "n_warnings"] == 1


class _BrokenExecutor(cf.Executor):
    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        future: cf.Future[object] = cf.Future()
        future.set_exception(RuntimeError("worker lost"))
        return future


def test_empty_frame_gives_empty_tables(rates: pd.DataFrame) -> None:
    res = detect_many(rates.iloc[:0])
    assert res.n_groups == 0
    assert list(res.breaks.columns) == ["city", "currency", "group"]
    assert res.failures.empty
    assert res.warnings.empty


def test_dead_worker_fails_its_groups(rates: pd.DataFrame) -> None:
    res = detect_many(rates, by=BY3, executor=_BrokenExecutor(), chunk_size=5)
    assert len(res.failures) == 12
    assert set(res.failures["error"]) == {"RuntimeError"}
    assert set(res.failures["message"]) == {"worker failed: worker lost"}
    assert res.failures["n_obs"].sum() == len(rates)


# --- executors give identical results ----------------------------------------------------------


def test_identical_serial_process_thread(rates: pd.DataFrame, rng: np.random.Generator) -> None:
    frame = pd.concat([rates, _short_frame(rng).assign(currency="USD", source="B")], ignore_index=True)
    serial = detect_many(frame, by=BY3)
    assert len(serial.failures) == 1
    assert len(serial.warnings) >= 1
    with cf.ProcessPoolExecutor(max_workers=2) as ex:
        procs = detect_many(frame, by=BY3, executor=ex, chunk_size=3)
    with cf.ThreadPoolExecutor(max_workers=2) as ex:
        threads = detect_many(frame, by=BY3, executor=ex)
    _assert_same(serial, procs)
    _assert_same(serial, threads)
    assert procs.params["executor"] == "ProcessPoolExecutor"


def test_dask_local_cluster_identical(rates: pd.DataFrame) -> None:
    distributed = pytest.importorskip("distributed")
    serial = detect_many(rates, by=BY3)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        res = detect_many(rates, by=BY3, executor=client.get_executor(), chunk_size=4)
    _assert_same(serial, res)
    assert res.params["executor"] == "ClientExecutor"


# --- progress ----------------------------------------------------------------------------------


class _FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_silent_when_not_a_terminal(rates: pd.DataFrame, capsys: pytest.CaptureFixture[str]) -> None:
    detect_many(rates, by=BY3, progress=True)
    assert capsys.readouterr().err == ""


def test_progress_line_on_terminal(rates: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake)

    def no_tqdm(name: str) -> object:
        raise ImportError(name)

    monkeypatch.setattr(_batch_run.importlib, "import_module", no_tqdm)
    detect_many(rates, by=BY3, progress=True, chunk_size=6)
    assert fake.getvalue() == "\rdetect_many: 6/12 series (50%)\rdetect_many: 12/12 series (100%)\n"


def test_progress_shown_in_a_notebook(rates: pd.DataFrame, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(_batch_run, "_in_notebook", lambda: True)
    monkeypatch.setattr(_batch_run.importlib, "import_module", _no_module)
    detect_many(rates, by=BY3, progress=True, chunk_size=6)
    assert capsys.readouterr().err.endswith("\rdetect_many: 12/12 series (100%)\n")


def _no_module(name: str) -> object:
    raise ImportError(name)


# --- argument errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        (
            {"by": ("city", "region")},
            NkfxValueError,
            r"rates has no column\(s\) \['region'\] \(needed by by=",
        ),
        (
            {"by": ("city", "date")},
            NkfxValueError,
            "by must name distinct columns other than 'date' and 'rate'",
        ),
        ({"by": ("city", "city")}, NkfxValueError, "by must name distinct columns"),
        (
            {"by": ()},
            NkfxTypeError,
            r"by must be a column name or a non-empty sequence of column names; got \(\)",
        ),
        ({"by": 3}, NkfxTypeError, "by must be a column name .*; got 3"),
        ({"method": "binseg"}, NkfxValueError,
         "method must be one of 'jumps', 'bai-perron', 'pelt'; got 'binseg'"),
        ({"combine": "mean"}, NkfxValueError, "combine must be one of None, 'median'; got 'mean'"),
        (
            {"executor": 2},
            NkfxTypeError,
            r"executor must be a concurrent.futures.Executor .* or None; got int$",
        ),
        ({"progress": "yes"}, NkfxTypeError, "progress must be True or False; got 'yes'"),
        ({"keep_results": None}, NkfxTypeError, "keep_results must be True or False; got None"),
        ({"chunk_size": 0}, NkfxValueError, "chunk_size must be a positive int or None; got 0"),
    ],
)
def test_argument_errors(rates: pd.DataFrame, kwargs: dict[str, object], exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        detect_many(rates, **kwargs)  # type: ignore[arg-type]


def test_dask_client_itself_gets_a_hint(rates: pd.DataFrame) -> None:
    class Client:  # stands in for distributed.Client, which is not an Executor
        def get_executor(self) -> None:
            return None

    with pytest.raises(NkfxTypeError, match=r"got Client; for Dask pass client.get_executor\(\)"):
        detect_many(rates, executor=Client())  # type: ignore[arg-type]


def test_bad_rates(rates: pd.DataFrame) -> None:
    with pytest.raises(NkfxTypeError, match=r"rates must be a rate frame .*; got list"):
        detect_many([1, 2])  # type: ignore[arg-type]
    bad = rates.assign(date=rates["date"].dt.strftime("%Y-%m-%d"))
    with pytest.raises(NkfxTypeError, match=r"rates\['date'\] must hold dates \(datetime64\); got dtype"):
        detect_many(bad)


def test_bad_detect_option_fails_every_group(rates: pd.DataFrame) -> None:
    res = detect_many(rates, by=BY3, model="cubic")
    assert len(res.failures) == 12
    assert res.failures["message"].iloc[0] == "model must be one of 'mean', 'trend'; got 'cubic'"


def test_repr_plot_html(rates: pd.DataFrame) -> None:
    res = detect_many(rates, by=BY3)
    assert (
        repr(res)
        == f"BatchResult(12 groups by city, currency, source: 12 ok, 0 failed, {len(res.breaks)} breaks)"
    )
    assert "<table" in res._repr_html_()
    ax = res.plot()
    assert len(ax.collections[0].get_offsets()) == len(res.breaks)
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


# --- power study -------------------------------------------------------------------------------


def test_power_increases_with_size() -> None:
    study = power_study(sizes=(0.0, 0.025, 0.05, 0.1), noise=(0.05,), spacing_days=(14,), n_series=40, seed=0)
    assert isinstance(study, PowerStudy)
    rate = study.table["detection_rate"].to_numpy()
    se = np.maximum(study.table["detection_se"].to_numpy(), 1 / 40)
    # monotone up to two Monte-Carlo standard errors, and from ~0 to ~1
    assert np.all(np.diff(rate) >= -2 * se[1:])
    assert rate[0] <= 0.1
    assert rate[-1] >= 0.9
    assert rate[-1] > rate[1] + 0.5
    # larger breaks are also dated more precisely
    err = study.table["mean_abs_error_days"].to_numpy()
    assert err[3] < err[1]


def test_false_detection_rate_at_size_zero() -> None:
    # 100 series with no break (sd 0.05, ~104 obs, h = 15). Measured with this seed: 4/100
    # series get a spurious break. BIC's false-positive rate at n ~ 100 is a few percent
    # (2.9% over 1000 series of the slow grid below, 3.2-4.8% at n ~ 104); the bound 0.08 is
    # the measured value plus two binomial standard errors, so adding random breaks shows up.
    study = power_study(sizes=(0.0,), noise=(0.05,), spacing_days=(14,), n_series=100, seed=0)
    assert study.table.loc[0, "n_series"] == 100
    assert study.table.loc[0, "detection_rate"] <= 0.08
    assert study.series["true_first_new"].isna().all()


@pytest.mark.slow
def test_false_detection_rate_full_grid() -> None:
    # measured 29/1000 (1.6-4.8% by cell); bound: measured + 2 se overall, 8% in any cell
    study = power_study(sizes=(0.0,), noise=(0.02, 0.05), spacing_days=(7, 14), n_series=250, seed=0)
    assert study.series["detected"].mean() <= 0.04
    assert study.table["detection_rate"].max() <= 0.08


def test_power_identical_with_executor() -> None:
    kwargs = {"sizes": (0.0, 0.05), "noise": (0.03,), "spacing_days": (10,), "n_series": 6, "seed": 3}
    serial = power_study(**kwargs)  # type: ignore[arg-type]
    with cf.ThreadPoolExecutor(max_workers=2) as ex:
        threaded = power_study(executor=ex, **kwargs)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(serial.table, threaded.table)
    pd.testing.assert_frame_equal(serial.series, threaded.series)


def test_power_sampling_changes_n_obs() -> None:
    study = power_study(sizes=(0.1,), noise=(0.02,), spacing_days=(7, 28), n_series=5, span_days=1400)
    n_obs = study.table.set_index("spacing_days")["mean_n_obs"]
    # gamma(2, s/2) gaps rounded, at least 1 day: about span / spacing observations
    assert n_obs[7.0] == pytest.approx(200, rel=0.1)
    assert n_obs[28.0] == pytest.approx(50, rel=0.15)


def test_power_plot_and_summary() -> None:
    study = power_study(sizes=(0.0, 0.1), noise=(0.02, 0.1), spacing_days=(7, 14), n_series=3)
    assert study.summary().shape == (2, 4)
    ax = study.plot()
    assert len(ax.lines) == 4
    assert ax.get_xlabel() == "break size (log points)"
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"sizes": (-0.1, 0.1)}, NkfxValueError, r"sizes must all be >= 0; got \[-0.1\]"),
        ({"noise": (0.0,)}, NkfxValueError, r"noise must all be > 0; got \[0.0\]"),
        ({"spacing_days": ()}, NkfxValueError, "spacing_days must be a non-empty sequence of finite numbers"),
        ({"n_series": 0}, NkfxValueError, "n_series must be >= 1; got 0"),
        ({"n_series": 2.5}, NkfxTypeError, "n_series must be an int; got float"),
        ({"tolerance": "soon"}, NkfxValueError, "tolerance must be a duration such as '30D'"),
    ],
)
def test_power_argument_errors(kwargs: dict[str, object], exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        power_study(**kwargs)  # type: ignore[arg-type]


# --- a worker process that dies mid-run (issue 18) ------------------------------------------------


def _many_series(n: int) -> pd.DataFrame:
    """``n`` cities of 24 weekly CNY reports, a +30% step after the twelfth."""
    dates = pd.date_range("2021-01-03", periods=24, freq="7D")
    level = np.r_[np.full(12, 1000.0), np.full(12, 1300.0)]
    return pd.DataFrame({"date": np.tile(dates, n), "city": np.repeat([f"C{i:04d}" for i in range(n)], 24),
                         "currency": "CNY", "rate": np.tile(level, n)})


_REAL_DETECT = sys.modules["nkfx.detect.api"].detect


def _dies_on_c0042(series: pd.Series, method: str, **options: object) -> object:
    import os

    if series.name == "C0042 / CNY":
        os._exit(3)  # the worker process dies, as on a segfault or the OOM killer
    return _REAL_DETECT(series, method, **options)


@pytest.mark.parametrize("n", [pytest.param(50, id="50"),
                               pytest.param(2000, id="2000", marks=pytest.mark.slow)])
def test_a_dying_worker_loses_only_its_group(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    import multiprocessing

    monkeypatch.setattr(sys.modules["nkfx.detect.api"], "detect", _dies_on_c0042)  # forks inherit it
    context = multiprocessing.get_context("fork")
    with cf.ProcessPoolExecutor(max_workers=2, mp_context=context) as ex:
        res = detect_many(_many_series(n), method="jumps", executor=ex)
    assert res.failures["group"].tolist() == ["C0042 / CNY"]
    assert res.failures["error"].tolist() == ["BrokenProcessPool"]
    assert res.failures["message"].str.startswith("worker failed: ").all()
    ok = res.groups[res.groups["status"] == "ok"]
    assert len(ok) == n - 1
    assert (ok["n_breaks"] == 1).all()
    assert res.breaks["first_new"].eq(pd.Timestamp("2021-03-28")).all()
