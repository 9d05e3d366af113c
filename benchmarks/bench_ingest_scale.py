"""Benchmark: ``read_rates`` on a 10^7-row CSV, time and peak memory, against ``pd.read_csv``.

A tidy irregular table (5 cities, two sources, seeded; :func:`bench_resample.build_csv`) is
written to a CSV in a temporary directory. Each reader runs in its own forked process, so
its peak resident memory (``resource.getrusage``, ``ru_maxrss``) is its own; the memory
the process held before reading (Python, pandas, nkfx imported) is subtracted and
reported apart. Also reported: the peak of Python allocations (``tracemalloc``) of one
smaller run (10^6 rows by default; tracemalloc slows reading several times).

* pandas peer: ``pd.read_csv(path, parse_dates=["date"])`` (the faster of the C and
  pyarrow engines), which checks nothing;
* nkfx: ``nkfx.read_rates(path)``: every column parsed and checked, bad rows quarantined.

Run: ``.venv/bin/python benchmarks/bench_ingest_scale.py [--rows 10000000] [--repeats 1]``
(issue 18: 10^7 rows). Not run by the tests.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

import nkfx
from bench_resample import build_csv, engines


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _child(reader: str, path: str, out: Any) -> None:
    base = _rss_mb()
    t0 = time.perf_counter()
    if reader == "nkfx":
        ingest = nkfx.read_rates(path)
        rows = (len(ingest.rates), len(ingest.quarantine))
    else:
        frame = pd.read_csv(path, engine=reader, parse_dates=["date"])
        rows = (len(frame), 0)
    seconds = time.perf_counter() - t0
    out.put({"seconds": seconds, "base_mb": base, "peak_mb": _rss_mb(), "rows": rows})


def measure(reader: str, path: Path) -> dict[str, Any]:
    """Time and peak RSS of one reader in a fresh forked process."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(reader, str(path), queue))
    proc.start()
    result: dict[str, Any] = queue.get()
    proc.join()
    return result


def traced_peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def run(rows: int, repeats: int, traced_rows: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rates.csv"
        t0 = time.perf_counter()
        build_csv(path, rows)
        built = time.perf_counter() - t0
        size_mb = path.stat().st_size / 2**20
        results: dict[str, list[dict[str, Any]]] = {r: [] for r in [*engines(), "nkfx"]}
        for _ in range(repeats):  # interleaved so both see the same load
            for reader in results:
                results[reader].append(measure(reader, path))
        small = Path(tmp) / "small.csv"
        build_csv(small, traced_rows)
        traced = {"pandas": traced_peak_mb(lambda: pd.read_csv(small, parse_dates=["date"])),
                  "nkfx": traced_peak_mb(lambda: nkfx.read_rates(small))}
    summary = {}
    for reader, runs in results.items():
        summary[reader] = {"seconds": statistics.median(r["seconds"] for r in runs),
                           "peak_mb": max(r["peak_mb"] for r in runs),
                           "base_mb": min(r["base_mb"] for r in runs), "rows": runs[0]["rows"]}
    return {"rows": rows, "csv_mb": size_mb, "build_s": built, "readers": summary,
            "traced_rows": traced_rows, "traced": traced}


def report(r: dict[str, Any]) -> None:
    readers = r["readers"]
    peer = min((k for k in readers if k != "nkfx"), key=lambda k: readers[k]["seconds"])
    print(f"\n{r['rows']:,} rows, CSV {r['csv_mb']:.0f} MB (written in {r['build_s']:.0f} s); "
          "each reader in its own process")
    print(f"{'reader':<22}{'seconds':>9}{'peak RSS MB':>13}{'(before) MB':>13}{'rows kept':>12}")
    for name, v in readers.items():
        label = "nkfx.read_rates" if name == "nkfx" else f"pd.read_csv[{name}]"
        print(f"{label:<22}{v['seconds']:>9.1f}{v['peak_mb']:>13.0f}{v['base_mb']:>13.0f}"
              f"{v['rows'][0]:>12,}")
    ours, theirs = readers["nkfx"], readers[peer]
    grown = (ours["peak_mb"] - ours["base_mb"]) / (theirs["peak_mb"] - theirs["base_mb"])
    print(f"nkfx / pandas ({peer}): time {ours['seconds'] / theirs['seconds']:.2f}x, peak memory "
          f"above the start {grown:.2f}x; quarantined rows: {ours['rows'][1]}")
    t = r["traced"]
    print(f"tracemalloc peak at {r['traced_rows']:,} rows: pandas {t['pandas']:.0f} MB, nkfx "
          f"{t['nkfx']:.0f} MB ({t['nkfx'] / t['pandas']:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--traced-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    report(run(args.rows, args.repeats, args.traced_rows))


if __name__ == "__main__":
    main()
