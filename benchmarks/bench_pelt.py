"""Benchmark nkfx's exact penalised segmentation against ruptures, in the same run.

Signals as in ../shared/reference/README.md: piecewise-constant means, noise sd 1,
jumps of 2-4 sd with random sign; l2 cost, penalty 2 * log(n) * sigma^2 (sigma = 1,
known), min_size 2, jump 1. Scenarios: "many" (one change per 500 points) and "few"
(5 changes in the whole series, where PELT-style pruning fails).

Peers: ruptures ``Pelt`` (pure Python; n <= 10^4 for "many", 10^3 for "few") and
``KernelCPD(kernel="linear")`` (C; n <= 10^6 for "many", <= 10^5 for "few", where it
turns quadratic). ``identical`` compares the breakpoints with nkfx's. nkfx's compile
time is measured apart, in a fresh process with an empty numba cache.

A second table times the robust ``cost="biweight"`` (exact FPOP over piecewise
quadratics, cap 3 robust noise sds, same penalty) at n = 10^3 to 10^6. ruptures has no
biweight cost, so its peer rows run ruptures' l2 on the same data: the ratio compares
the price of a robust exact search with ruptures' least squares, and ``identical``
tells whether the robust breaks equal ruptures' l2 breaks (on these Gaussian signals
they do up to 10^4; from 10^5 on, the few points beyond the cap move some breaks, so
"NO" there is the robust cost at work, not an error).

Run: ``.venv/bin/python benchmarks/bench_pelt.py [--quick]``.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

from _timing import best_of


def signal(n: int, scenario: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = max(1, n // 500) if scenario == "many" else 5
    cps = np.sort(rng.choice(np.arange(1, n), size=k, replace=False))
    mu = np.zeros(n)
    for c in cps:
        mu[c:] += rng.choice([-1.0, 1.0]) * rng.uniform(2.0, 4.0)
    return mu + rng.normal(size=n)


def compile_time() -> tuple[float, float]:
    """Import + first call with an empty numba cache (compile), and with the cache filled."""
    code = (
        "import time; t0 = time.perf_counter(); import numpy as np; "
        "from nkfx.detect.pelt._core import pelt; y = np.r_[np.zeros(20), np.ones(20)]; "
        "pelt(y); pelt(y, algorithm='pelt'); pelt(y, cost='normal'); pelt(y, cost='biweight'); "
        "print(time.perf_counter() - t0)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        cold = float(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                    capture_output=True, text=True).stdout)
        warm = float(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                    capture_output=True, text=True).stdout)
    return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the runs of 5 s and more")
    args = parser.parse_args()

    import ruptures as rpt

    from nkfx.detect.pelt._core import pelt

    cold, warm = compile_time()
    print(f"nkfx import + first calls: {cold:.2f} s compiling (empty numba cache), "
          f"{warm:.2f} s from the cache", flush=True)
    pelt(signal(1000, "few"))  # load the compiled kernels in this process

    peers: dict[str, tuple[Callable[[np.ndarray, float], list[int]], dict[str, int]]] = {
        "ruptures Pelt": (
            lambda y, pen: rpt.Pelt(model="l2", min_size=2, jump=1).fit(y).predict(pen=pen),
            {"many": 1_000 if args.quick else 10_000, "few": 1_000},  # few, 10^4: many minutes
        ),
        "ruptures KernelCPD": (
            lambda y, pen: rpt.KernelCPD(kernel="linear", min_size=2, jump=1).fit(y)
            .predict(pen=pen),
            {"many": 100_000 if args.quick else 1_000_000, "few": 10_000 if args.quick
             else 100_000},
        ),
    }
    for cost in ("l2", "biweight"):
        if cost == "biweight":
            print("\ncost='biweight' (robust, exact FPOP over piecewise quadratics); "
                  "peers: ruptures' l2 on the same data")
        run_table(pelt, peers, cost)
    print("ratio = peer time / nkfx time (above 1: nkfx faster). nkfx: FPOP, exact.")


def run_table(pelt: Callable[..., Any], peers: dict[str, tuple[Callable[[np.ndarray, float],
              list[int]], dict[str, int]]], cost: str) -> None:
    """One table: nkfx with ``cost`` against each peer that runs in reasonable time."""
    header = f"{'n':>9} {'scenario':<8} {'nkfx (s)':>9} {'peer':<19} {'peer (s)':>9} " \
             f"{'ratio':>7} {'identical':>9}  candidates"
    print(header)
    print("-" * len(header))
    for n in (1_000, 10_000, 100_000, 1_000_000):
        for scenario in ("many", "few"):
            y = signal(n, scenario)
            pen = 2.0 * math.log(n)
            t_nkfx, ends = best_of(lambda y=y, pen=pen: pelt(y, cost=cost, penalty=pen).ends.tolist())
            cand = pelt(y, cost=cost, penalty=pen).max_candidates
            ran = False
            for name, (run, limit) in peers.items():
                if n > limit[scenario]:
                    continue
                ran = True
                t_peer, theirs = best_of(lambda run=run, y=y, pen=pen: run(y, pen))
                same = "yes" if [int(e) for e in theirs] == ends else "NO"
                print(f"{n:>9} {scenario:<8} {t_nkfx:>9.4f} {name:<19} {t_peer:>9.4f} "
                      f"{t_peer / t_nkfx:>6.1f}x {same:>9}  {cand}", flush=True)
            if not ran:
                print(f"{n:>9} {scenario:<8} {t_nkfx:>9.4f} {'(no peer: quadratic)':<19} "
                      f"{'':>9} {'':>7} {'':>9}  {cand}", flush=True)


if __name__ == "__main__":
    main()
