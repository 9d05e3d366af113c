"""Benchmark nkfx.detect_many (issue 8): serial vs process pool vs local Dask cluster.

Simulates --n-series irregular series (gamma gaps, mean --gap days, about --n-obs
observations, 0-3 level shifts, Gaussian noise; seeded) in one rate frame, one ``city``
per series, then times in ONE run:

* ``detect`` called directly in a loop on pre-built Series (the baseline);
* ``detect_many`` serially. Baseline and serial batch are timed in alternating blocks so
  drift in a shared machine's load hits both; their difference is noisy on a loaded
  machine, so the batch layer's own cost (grouping, task building, warning capture,
  assembling the table) is also measured in isolation, with ``detect`` replaced by a
  lookup of precomputed results (``--isolated`` series);
* ``detect_many`` with ``ProcessPoolExecutor(--workers)``;
* ``detect_many`` on a local Dask cluster (``--workers`` processes, one thread each) when
  ``distributed`` is installed.

All parallel runs are checked to give exactly the serial table.

Usage: python benchmarks/bench_batch.py [--n-series 10000] [--n-obs 500] [--workers 2]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import sys
import time
import warnings

import numpy as np
import pandas as pd

import nkfx
from nkfx.batch import BatchResult, detect_many


def make_rates(n_series: int, n_obs: int, gap: float, seed: int) -> pd.DataFrame:
    """One irregular series per city label; log level shifts at random dates."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2010-01-01", "D")
    parts = []
    for i in range(n_series):
        days = np.cumsum(np.maximum(1, np.rint(rng.gamma(2.0, gap / 2.0, n_obs)))).astype(np.int64)
        n_breaks = int(rng.integers(0, 4))
        at = np.sort(rng.choice(np.arange(n_obs // 10, n_obs - n_obs // 10), n_breaks, replace=False))
        level = np.zeros(n_obs)
        for b in at:
            level[b:] += rng.choice([-1, 1]) * rng.uniform(0.05, 0.3)
        y = np.log(5000.0) + level + 0.03 * rng.standard_normal(n_obs)
        parts.append(
            pd.DataFrame(
                {
                    "date": start + days,
                    "city": f"S{i:05d}",
                    "currency": "CNY",
                    "rate": np.exp(y),
                    "source": "sim",
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    frame["date"] = frame["date"].astype("datetime64[us]")
    return frame


def time_direct(series: list[pd.Series]) -> float:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in series:
            with contextlib.suppress(ValueError):
                nkfx.detect(s)
    return time.perf_counter() - t0


def time_batch(rates: pd.DataFrame, executor: cf.Executor | None = None) -> tuple[float, BatchResult]:
    t0 = time.perf_counter()
    res = detect_many(rates, by="city", executor=executor)
    return time.perf_counter() - t0, res


def alternating_baseline(rates: pd.DataFrame, block: int) -> tuple[float, float, pd.DataFrame]:
    """Direct loop and serial batch on the same blocks, alternating which goes first."""
    cities = rates["city"].unique()
    direct = serial = 0.0
    results = []
    for j, lo in enumerate(range(0, len(cities), block)):
        sub = rates[rates["city"].isin(cities[lo : lo + block])]
        series = [
            pd.Series(g["rate"].to_numpy(), index=pd.DatetimeIndex(g["date"]), name=c)
            for c, g in sub.groupby("city", sort=True)
        ]
        if j % 2 == 0:
            d = time_direct(series)
            s, res = time_batch(sub)
        else:
            s, res = time_batch(sub)
            d = time_direct(series)
        direct, serial = direct + d, serial + s
        results.append(res)
        done = min(lo + block, len(cities))
        print(
            f"  baseline/serial: {done}/{len(cities)} series, direct {direct:.1f} s, batch {serial:.1f} s",
            flush=True,
        )
    return direct, serial, pd.concat([r.breaks for r in results], ignore_index=True)


def isolated_overhead(rates: pd.DataFrame, n: int) -> tuple[float, float, int]:
    """Cost of the batch layer alone on the first n series.

    ``detect`` is timed on pre-built Series, then ``detect_many`` runs with ``detect``
    replaced by a lookup of those results: what remains is grouping, task building,
    warning capture and assembling the table. Not sensitive to the machine's load drift
    the way the difference of two long wall-clock runs is.
    """
    cities = rates["city"].unique()[:n]
    sub = rates[rates["city"].isin(cities)]
    series = [
        pd.Series(g["rate"].to_numpy(), index=pd.DatetimeIndex(g["date"]), name=c)
        for c, g in sub.groupby("city", sort=True)
    ]
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        done = {s.name: nkfx.detect(s) for s in series}
    direct = time.perf_counter() - t0
    api = sys.modules["nkfx.detect.api"]  # nkfx.detect is the function, the module lives here
    real = api.detect
    api.detect = lambda s, method, **kw: done[s.name]
    try:
        t0 = time.perf_counter()
        detect_many(sub, by="city")
        layer = time.perf_counter() - t0
    finally:
        api.detect = real
    return direct, layer, len(series)


def same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    except AssertionError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n-series", type=int, default=10_000)
    parser.add_argument("--n-obs", type=int, default=500)
    parser.add_argument("--gap", type=float, default=7.0, help="mean days between observations")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--block", type=int, default=250, help="series per alternating baseline block")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--isolated", type=int, default=1000, help="series for the isolated overhead")
    args = parser.parse_args()

    t0 = time.perf_counter()
    rates = make_rates(args.n_series, args.n_obs, args.gap, args.seed)
    took = time.perf_counter() - t0
    print(f"simulated {args.n_series} series x {args.n_obs} obs ({len(rates)} rows) in {took:.1f} s")
    first = rates[rates["city"] == rates["city"].iloc[0]]
    time_direct([pd.Series(first["rate"].to_numpy(), index=pd.DatetimeIndex(first["date"]))])  # warm-up

    iso_direct, iso_layer, iso_n = isolated_overhead(rates, min(args.n_series, args.isolated))
    print(f"isolated batch layer on {iso_n} series: {1000 * iso_layer / iso_n:.3f} ms/series", flush=True)
    direct, serial, ref = alternating_baseline(rates, args.block)
    rows = [("detect() loop (baseline)", direct, "")]
    rows.append(("detect_many serial", serial, f"overhead {100 * (serial - direct) / direct:+.1f}%"))

    # the serial table for the whole frame at once (the parallel runs must equal it)
    print("process pool ...", flush=True)
    t0 = time.perf_counter()
    with cf.ProcessPoolExecutor(max_workers=args.workers) as ex:
        start = time.perf_counter() - t0
        t_pool, res_pool = time_batch(rates, ex)
    rows.append(
        (
            f"ProcessPoolExecutor({args.workers})",
            t_pool,
            f"pool start {start:.1f} s; same={same(ref, res_pool.breaks)}",
        )
    )

    try:
        import distributed
    except ImportError:
        rows.append(("Dask LocalCluster", float("nan"), "distributed not installed"))
    else:
        print(f"dask {distributed.__version__} local cluster ...", flush=True)
        t0 = time.perf_counter()
        with (
            distributed.LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                host="127.0.0.1",
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            start = time.perf_counter() - t0
            t_dask, res_dask = time_batch(rates, client.get_executor())
        note = f"cluster start {start:.1f} s; same={same(ref, res_dask.breaks)}"
        rows.append((f"Dask LocalCluster({args.workers}x1)", t_dask, note))

    n = args.n_series
    print(
        f"\n{n} series x ~{args.n_obs} obs, {res_pool.groups['n_breaks'].sum()} breaks, "
        f"{len(res_pool.failures)} failed groups; python {sys.version.split()[0]}, pandas {pd.__version__}"
    )
    print(f"{'run':32s} {'total s':>9s} {'ms/series':>10s} {'speed-up':>9s}  note")
    for name, t, note in rows:
        print(f"{name:32s} {t:9.2f} {1000 * t / n:10.3f} {direct / t:9.2f}  {note}")
    per = 1000 * (serial - direct) / n
    share = 100 * (serial - direct) / direct
    print(f"\nwall-clock difference serial batch - detect() loop: {per:+.3f} ms per series = {share:+.2f}%")
    iso = 100 * iso_layer / iso_direct
    print(
        f"batch-layer overhead (isolated, {iso_n} series): {1000 * iso_layer / iso_n:.3f} ms per series "
        f"= {iso:.2f}% of detection time ({1000 * iso_direct / iso_n:.2f} ms/series) (target < 5%)"
    )


if __name__ == "__main__":
    main()
