"""Benchmark the exact Bai–Perron search against ruptures Dynp and R strucchange (issue 4).

Mean-shift model, h = floor(0.15 n), 5 breaks, the same settings as the peer figures in
/work/shared/reference/README.md. For every n the script times nkfx (median of --repeats runs),
ruptures ``Dynp(model="l2", min_size=h, jump=1)`` on the same series (fit + predict 5 breaks,
median of --ruptures-repeats) and checks that both give identical breaks for m = 1..5; R
strucchange's ``breakpoints(y ~ 1, h = 0.15, breaks = 5)`` is timed by
``tests/reference/strucchange/timing.R`` on its own series of the same shape (strucchange's time
does not depend on the values). changepoint-doctor is not installed: its published times are
printed as the bar to beat.

Usage: python benchmarks/bench_bai_perron.py [--sizes 200 500 ...] [--with-slow-r]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from nkfx.detect.bai_perron._core import bai_perron

ROOT = Path(__file__).resolve().parents[1]
TIMING_R = ROOT / "tests" / "reference" / "strucchange" / "timing.R"
#: changepoint-doctor segneigh (Rust), /work/shared/reference/README.md, same settings.
CPD_DOCTOR = {200: 0.0003, 500: 0.002, 1000: 0.008, 2000: 0.030, 5000: 0.19}
MAX_BREAKS = 5


def make_series(n: int) -> np.ndarray:
    """Three mean shifts (at 25%, 50%, 80% of n) plus N(0, 1) noise; seeded by n."""
    rng = np.random.default_rng(n)
    bps = np.floor(n * np.array([0.25, 0.5, 0.8])).astype(int)
    mu = np.repeat([0.0, 2.0, 0.5, 3.0], np.diff(np.r_[0, bps, n]))
    return mu + rng.standard_normal(n)


def median_time(fn, repeats: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def time_ruptures(y: np.ndarray, h: int, repeats: int) -> tuple[float, list[list[int]]]:
    import ruptures as rpt

    def run() -> object:
        algo = rpt.Dynp(model="l2", min_size=h, jump=1).fit(y)
        return algo, algo.predict(n_bkps=MAX_BREAKS)

    secs, out = median_time(run, repeats)
    algo = out[0]  # type: ignore[index]
    # the other m reuse ruptures' cache of sub-problems: not timed
    breaks = [[e - 1 for e in algo.predict(n_bkps=m)[:-1]] for m in range(1, MAX_BREAKS + 1)]
    return secs, breaks


def time_r(sizes: list[int], repeats: int) -> dict[int, float]:
    """Median elapsed seconds of strucchange per n, {} when R or timing.R is missing."""
    rscript = shutil.which("Rscript")
    if not sizes or rscript is None or not TIMING_R.is_file():
        why = "Rscript not found" if rscript is None else f"{TIMING_R} not found"
        if sizes:
            print(f"# R strucchange skipped: {why}")
        return {}
    runs: dict[int, list[float]] = {n: [] for n in sizes}
    for _ in range(repeats):
        proc = subprocess.run(
            [rscript, str(TIMING_R), *map(str, sizes)], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            print(f"# R strucchange failed: {proc.stderr.strip()[:200]}")
            return {}
        for line in proc.stdout.split("\n"):
            if line.strip():
                n, secs = line.split()
                runs[int(n)].append(float(secs))
    return {n: statistics.median(v) for n, v in runs.items() if v}


def peak_mb(y: np.ndarray, h: int) -> float:
    tracemalloc.start()
    bai_perron(y, h=h, max_breaks=MAX_BREAKS)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def fmt(x: float | None, spec: str = ".4f") -> str:
    return "—" if x is None else format(x, spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 500, 1000, 2000, 5000])
    parser.add_argument("--nkfx-only", type=int, nargs="*", default=[20000],
                        help="extra sizes timed for nkfx alone")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=7, help="nkfx runs per size (median)")
    parser.add_argument("--ruptures-repeats", type=int, default=1)
    parser.add_argument("--ruptures-max-n", type=int, default=5000)
    parser.add_argument("--r-repeats", type=int, default=1)
    parser.add_argument("--with-slow-r", action="store_true", help="also time R for n > 2000")
    args = parser.parse_args(argv)

    r_sizes = [n for n in args.sizes if n <= 2000 or args.with_slow_r]
    r_times = time_r(r_sizes, args.r_repeats)
    print("# Bai–Perron mean model, h = floor(0.15 n), 5 breaks; seconds (median of repeats)")
    print("# published bar, changepoint-doctor segneigh (Rust), /work/shared/reference/README.md: "
          + ", ".join(f"n={n}: {s} s" for n, s in CPD_DOCTOR.items()))  # fmt: skip
    head = ["n", "nkfx", "peak MB", "ruptures", "R strucch.", "rupt/nkfx", "R/nkfx",
            "cpd-doc/nkfx", "same breaks"]  # fmt: skip
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    ok = True
    for n in [*args.sizes, *args.nkfx_only]:
        y, h = make_series(n), int(np.floor(0.15 * n))
        ours, path = median_time(lambda y=y, h=h: bai_perron(y, h=h, max_breaks=MAX_BREAKS),
                                 args.repeats)  # fmt: skip
        rupt, same = None, "—"
        if n in args.sizes and n <= args.ruptures_max_n:
            rupt, rb = time_ruptures(y, h, args.ruptures_repeats)
            agree = rb == [b.tolist() for b in path.breaks[1:]]  # type: ignore[attr-defined]
            ok &= agree
            same = "yes" if agree else "NO"
        rt, cpd = r_times.get(n), CPD_DOCTOR.get(n) if n in args.sizes else None
        row = [str(n), fmt(ours), fmt(peak_mb(y, h), ".1f"), fmt(rupt, ".3f"), fmt(rt, ".2f"),
               fmt(rupt and rupt / ours, ".0f"), fmt(rt and rt / ours, ".0f"),
               fmt(cpd and cpd / ours, ".1f"), same]  # fmt: skip
        print("| " + " | ".join(row) + " |", flush=True)
    if not ok:
        print("ERROR: nkfx and ruptures disagree on some breaks", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
