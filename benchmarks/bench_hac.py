"""Benchmark the HAC sup-F path and its sieve bootstrap against R strucchange (issue 4).

For each n: AR(1) errors (rho = 0.5), no break, h = floor(0.15 n). Times (median of --repeats)

* nkfx's vectorised HAC F path (``f_statistics(..., hac=True)``),
* the per-date reference loop it replaced (``hac_wald`` at every date),
* R strucchange ``Fstats(y ~ 1, from = h, vcov. = kernHAC)`` on the same series (written to a
  temporary file; skipped when Rscript is missing), and checks that the largest F agrees,
* a whole ``sup_f(..., hac=True, null="bootstrap", n_boot=199)`` test (no R equivalent: R would
  need 200 ``Fstats`` calls, so the R column times 200 is printed as the comparable cost).

Usage: python benchmarks/bench_hac.py [--sizes 100 200 500 1000] [--r-max-n 1000]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

from nkfx.detect._fpath import f_statistics, hac_wald
from nkfx.detect._ftests import sup_f

ROOT = Path(__file__).resolve().parents[1]
TIMING_R = ROOT / "tests" / "reference" / "strucchange" / "timing_hac.R"


def make_series(n: int) -> np.ndarray:
    rng = np.random.default_rng(n)
    return np.asarray(lfilter([1.0], [1.0, -0.5], rng.standard_normal(n + 100))[100:], dtype=float)


def median_time(fn, repeats: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def time_r(series: dict[int, np.ndarray]) -> dict[int, tuple[float, float]]:
    rscript = shutil.which("Rscript")
    if not series or rscript is None:
        if series:
            print("# R strucchange skipped: Rscript not found")
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for n, y in series.items():
            path = Path(tmp) / f"y{n}.txt"
            np.savetxt(path, y, fmt="%.17g")
            files.append(str(path))
        proc = subprocess.run([rscript, str(TIMING_R), *files], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(f"# R strucchange failed: {proc.stderr.strip()[:200]}")
        return {}
    out = {}
    for line in proc.stdout.split("\n"):
        if line.strip():
            n, secs, fmax = line.split()
            out[int(n)] = (float(secs), float(fmax))
    return out


def fmt(x: float | None, spec: str = ".3f") -> str:
    return "—" if x is None else format(x, spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 500, 1000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--loop-max-n", type=int, default=1000, help="largest n for the per-date loop")
    parser.add_argument("--r-max-n", type=int, default=1000, help="largest n timed in R")
    parser.add_argument("--boot-max-n", type=int, default=1000, help="largest n for the bootstrap")
    args = parser.parse_args(argv)

    series = {n: make_series(n) for n in args.sizes}
    r = time_r({n: y for n, y in series.items() if n <= args.r_max_n})
    print("# HAC sup-F path, mean model, AR(1) errors rho = 0.5, h = floor(0.15 n); seconds")
    head = ["n", "nkfx path", "per-date loop", "R Fstats", "R/nkfx", "loop/nkfx", "max F (nkfx)",
            "max F (R)", "bootstrap B=199", "R x 200"]  # fmt: skip
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    ok = True
    for n, y in series.items():
        h = int(0.15 * n)
        ours, (b, f) = median_time(lambda y=y, h=h: f_statistics(y, h=h, hac=True), args.repeats)  # type: ignore[misc]
        loop = None
        if n <= args.loop_max_n:
            X = np.ones((n, 1))
            loop, _ = median_time(lambda y=y, X=X, b=b: [hac_wald(y, X, int(i)) for i in b], 1)
        boot = None
        if n <= args.boot_max_n:
            boot, _ = median_time(lambda y=y, h=h: sup_f(y, h=h, hac=True, null="bootstrap"), 1)
        rt, rmax = r.get(n, (None, None))
        if rmax is not None:
            ok &= abs(float(np.max(f)) / rmax - 1) < 1e-6
        row = [str(n), fmt(ours, ".4f"), fmt(loop), fmt(rt, ".2f"), fmt(rt and rt / ours, ".0f"),
               fmt(loop and loop / ours, ".1f"), f"{np.max(f):.6f}", fmt(rmax, ".6f"), fmt(boot, ".2f"),
               fmt(rt and 200 * rt, ".0f")]  # fmt: skip
        print("| " + " | ".join(row) + " |", flush=True)
    if not ok:
        print("# MISMATCH: nkfx and R disagree on the largest HAC F")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
