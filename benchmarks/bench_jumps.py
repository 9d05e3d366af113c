"""Benchmark nkfx's exact jump detector (fit_jumps) against R DeCAFS, in the same run.

Data: random walk (sdEta = 0.1 per step) + AR(1) noise (sdNu = 1, phi = 0.5) + a jump of
4-8 noise sds with random sign about every 500 points, at n = 10^3 to 10^6; equal spacing.
Both sides get the true parameters (DeCAFS ``modelParam = list(sdEta, sdNu, phi)``; nkfx
``NoiseModel(s_eta = sdEta**2, s_eps = sdNu**2 / (1 - phi**2), tau = -1 / log(phi))``) and
``beta = 2 log n``. nkfx runs ``fit_jumps`` with its default first weight (``1 / s_eps``); DeCAFS
weighs the first residual differently (see tests/reference/decafs/README.md), which moves the
fitted level near the start, not the jumps. ``estimate_noise`` (the robust parameter
estimates nkfx uses when none are given) is timed apart.

nkfx's first call compiles with numba; it is made before the table and not counted. DeCAFS is
timed inside R with ``system.time`` around ``DeCAFS()`` only (data written to a temp file and
read before). ``identical`` compares the jump positions (DeCAFS's 1-based changepoint = nkfx's
0-based first-new position). DeCAFS runs when ``Rscript`` is on the PATH and the package is
in /opt/rlib or R_LIBS; otherwise a line says how to install it.

Run: ``.venv/bin/python benchmarks/bench_jumps.py [--quick]``.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from _timing import best_of

SD_ETA, SD_NU, PHI = 0.1, 1.0, 0.5
RLIB = "/opt/rlib"

R_CODE = """
if (dir.exists("{rlib}")) .libPaths(c("{rlib}", .libPaths()))
suppressPackageStartupMessages(library(DeCAFS))
y <- scan("{path}", quiet = TRUE)
tm <- system.time(fit <- DeCAFS(y, beta = 2 * log(length(y)),
                               modelParam = list(sdEta = {sd_eta}, sdNu = {sd_nu}, phi = {phi})))
cat(tm[["elapsed"]], "\\n")
cat(fit$changepoints, "\\n")
"""


def signal(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mu = np.cumsum(rng.normal(0.0, SD_ETA, n))
    for c in np.sort(rng.choice(np.arange(1, n), size=max(1, n // 500), replace=False)):
        mu[c:] += rng.choice([-1.0, 1.0]) * rng.uniform(4.0, 8.0) * SD_NU
    eps = np.empty(n)
    eps[0] = rng.normal(0.0, SD_NU / math.sqrt(1 - PHI**2))
    nu = rng.normal(0.0, SD_NU, n)
    for t in range(1, n):
        eps[t] = PHI * eps[t - 1] + nu[t]
    return mu + eps


def decafs_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    code = f'if (dir.exists("{RLIB}")) .libPaths(c("{RLIB}", .libPaths())); library(DeCAFS)'
    return subprocess.run(["Rscript", "-e", code], capture_output=True).returncode == 0


def run_decafs(y: np.ndarray) -> tuple[float, list[int]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "y.txt"
        np.savetxt(path, y, fmt="%.17g")
        code = R_CODE.format(rlib=RLIB, path=path, sd_eta=SD_ETA, sd_nu=SD_NU, phi=PHI)
        out = subprocess.run(["Rscript", "-e", code], check=True, capture_output=True,
                             text=True, env=os.environ).stdout.splitlines()
    return float(out[0]), [int(v) for v in out[1].split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="stop at n = 10^5")
    args = parser.parse_args()

    from nkfx.detect.jumps._core import NoiseModel, estimate_noise, fit_jumps

    model = NoiseModel(s_eta=SD_ETA**2, s_eps=SD_NU**2 / (1 - PHI**2), tau=-1 / math.log(PHI))
    t0 = time.perf_counter()
    warm = signal(1000, seed=1)
    fit_jumps(warm, np.arange(warm.size, dtype=float), model, 2 * math.log(warm.size))
    print(f"nkfx first call (numba compile or cache load, not counted): "
          f"{time.perf_counter() - t0:.2f} s", flush=True)
    have_r = decafs_available()
    if not have_r:
        print("DeCAFS not available (Rscript or the DeCAFS package missing): install R and "
              "Rcpp with `apt-get install r-base-core r-cran-rcpp r-cran-ggplot2 "
              "r-cran-robustbase`, then `R CMD INSTALL --library=/opt/rlib <DeCAFS source>` "
              "(github.com/gtromano/DeCAFS), or put it in R_LIBS.")
    print(f"random walk sdEta={SD_ETA} + AR(1) sdNu={SD_NU} phi={PHI} + a jump per ~500 "
          f"points; true parameters, beta = 2 log n")
    header = (f"{'n':>9} {'true':>5} {'nkfx (s)':>9} {'est. (s)':>9} {'jumps':>6} "
              f"{'DeCAFS (s)':>10} {'ratio':>7} {'jumps':>6} {'identical':>9}  candidates")
    print(header)
    print("-" * len(header))
    sizes = (1_000, 10_000, 100_000) if args.quick else (1_000, 10_000, 100_000, 1_000_000)
    for n in sizes:
        y = signal(n)
        days = np.arange(n, dtype=float)
        beta = 2 * math.log(n)
        t_fit, fit = best_of(lambda y=y, days=days, beta=beta: fit_jumps(y, days, model, beta))
        t_est, _ = best_of(lambda y=y, days=days: estimate_noise(y, days))
        ours = fit.jumps.tolist()
        row = f"{n:>9} {max(1, n // 500):>5} {t_fit:>9.4f} {t_est:>9.4f} {len(ours):>6} "
        if have_r:
            t_r, theirs = run_decafs(y)
            same = "yes" if theirs == ours else "NO"
            row += (f"{t_r:>10.3f} {t_r / t_fit:>6.1f}x {len(theirs):>6} {same:>9}  "
                    f"{fit.max_candidates}")
        else:
            row += f"{'-':>10} {'-':>7} {'-':>6} {'-':>9}  {fit.max_candidates}"
        print(row, flush=True)
    print("ratio = DeCAFS time / nkfx fit time (above 1: nkfx faster). est. = estimate_noise. "
          "true = simulated jumps; jumps = number found.")


if __name__ == "__main__":
    main()
