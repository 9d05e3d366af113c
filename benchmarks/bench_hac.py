"""Benchmark the HAC sup-F path and its sieve bootstrap against R strucchange (issues 4, 19).

For each n: AR(1) errors (rho = 0.5), no break, h = floor(0.15 n). Times (median of --repeats)

* nkfx's HAC F path (``f_statistics(..., hac=True)``; for the mean model the compiled
  :func:`nkfx.detect.ftests._hac_mean.mean_shift_paths`),
* the batched-FFT path it replaced for the mean model (``_segment_fits`` + ``_batched_wald``,
  still used for other regressors) and the per-date reference loop (``hac_wald`` per date),
* R strucchange ``Fstats(y ~ 1, from = h, vcov. = kernHAC)`` on the same series (written to a
  temporary file; skipped cleanly when Rscript or strucchange is missing), and checks that the
  largest F agrees,
* a whole ``sup_f(..., hac=True, null="bootstrap", n_boot=199)`` test, and the same with the
  Besag-Clifford early stop (``stop_after=10``) that stops once 10 bootstrap supF values reach
  the observed one (no R equivalent: R would need 200 ``Fstats`` calls, so the R column times
  200 is printed as the comparable cost).

Ratios: R / nkfx path, FFT / nkfx path, and each column's growth from the previous n.

Usage: python benchmarks/bench_hac.py [--sizes 100 200 500 1000 2000 5000] [--r-max-n 1000]
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

from nkfx.detect.ftests._path import _batched_wald, _segment_fits, f_statistics, hac_wald
from nkfx.detect.ftests._single import bootstrap_sup_f, sup_f

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


def fft_path(y: np.ndarray, h: int) -> np.ndarray:
    """The batched-FFT HAC path (before the compiled mean-shift path), one chunk."""
    n = y.size
    X = np.ones((n, 1))
    b = np.arange(h - 1, n - h)
    e, d = _segment_fits(y, X, np.cumsum(X[:, :, None] * X[:, None, :], axis=0),
                         np.cumsum(y[:, None] * X, axis=0), b)
    return _batched_wald(e, d, X, b)


def bootstrap(y: np.ndarray, h: int, stop_after: int | None) -> object:
    n = y.size
    test = sup_f(y, h=h, hac=True)
    return bootstrap_sup_f(test, y, np.ones((n, 1)), h=h, hac=True, n_boot=199, seed=0,
                           stop_after=stop_after)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 500, 1000, 2000, 5000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--loop-max-n", type=int, default=500, help="largest n for the per-date loop")
    parser.add_argument("--fft-max-n", type=int, default=2000, help="largest n for the FFT path")
    parser.add_argument("--r-max-n", type=int, default=1000, help="largest n timed in R")
    parser.add_argument("--boot-max-n", type=int, default=2000, help="largest n for the full bootstrap")
    parser.add_argument("--early-max-n", type=int, default=5000, help="largest n for the early-stop one")
    args = parser.parse_args(argv)

    series = {n: make_series(n) for n in args.sizes}
    r = time_r({n: y for n, y in series.items() if n <= args.r_max_n})
    bootstrap(series[args.sizes[0]], int(0.15 * args.sizes[0]), None)  # compile first
    print("# HAC sup-F path, mean model, AR(1) errors rho = 0.5, h = floor(0.15 n); seconds")
    head = ["n", "nkfx path", "x prev n", "FFT path", "FFT/nkfx", "per-date loop", "R Fstats",
            "R/nkfx", "max F (nkfx)", "max F (R)", "bootstrap B=199", "x prev n",
            "early stop (draws, p)", "R x 200"]  # fmt: skip
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    ok = True
    prev: tuple[float, float | None] | None = None
    for n, y in series.items():
        h = int(0.15 * n)
        ours, (b, f) = median_time(lambda y=y, h=h: f_statistics(y, h=h, hac=True), args.repeats)  # type: ignore[misc]
        fft = loop = boot = early = None
        if n <= args.fft_max_n:
            fft, g = median_time(lambda y=y, h=h: fft_path(y, h), 1)
            ok &= bool(np.allclose(g, f, rtol=1e-8))
        if n <= args.loop_max_n:
            X = np.ones((n, 1))
            loop, _ = median_time(lambda y=y, X=X, b=b: [hac_wald(y, X, int(i)) for i in b], 1)
        if n <= args.boot_max_n:
            boot, _ = median_time(lambda y=y, h=h: bootstrap(y, h, None), 1)
        early_txt = "—"
        if n <= args.early_max_n:
            early, res = median_time(lambda y=y, h=h: bootstrap(y, h, 10), 1)
            early_txt = f"{early:.2f} ({res.detail['n_boot_used']}, {res.pvalue:.2f})"  # type: ignore[attr-defined]
        rt, rmax = r.get(n, (None, None))
        if rmax is not None:
            ok &= abs(float(np.max(f)) / rmax - 1) < 1e-6
        grow = fmt(prev and ours / prev[0], ".1f")
        bgrow = fmt(prev and boot and prev[1] and boot / prev[1], ".1f")
        row = [str(n), fmt(ours, ".4f"), grow, fmt(fft, ".4f"), fmt(fft and fft / ours, ".1f"),
               fmt(loop), fmt(rt, ".2f"), fmt(rt and rt / ours, ".0f"), f"{np.max(f):.6f}",
               fmt(rmax, ".6f"), fmt(boot, ".2f"), bgrow, early_txt,
               fmt(rt and 200 * rt, ".0f")]  # fmt: skip
        print("| " + " | ".join(row) + " |", flush=True)
        prev = (ours, boot)
    if not ok:
        print("# MISMATCH: nkfx's paths (compiled, FFT) or R disagree on the HAC F")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
