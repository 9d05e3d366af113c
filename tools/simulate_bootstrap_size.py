"""Size and power of the HAC sup-F test: asymptotic versus sieve-bootstrap p-values.

Mean-shift model (or ``--model trend``: intercept and slope in elapsed days, 5 to 20 days apart,
drawn once per run), AR(1) errors ``u_t = rho u_{t-1} + e_t`` (burn-in 100), trim 0.15, 5% tests.
Each series is tested with :func:`nkfx.detect.ftests._single.sup_f` exactly as ``sup_f_test`` does.

Two ways to estimate the bootstrap test's rejection rate:

``--method full``
    every series gets its own ``--boot`` bootstrap series (what users run; costly);
``--method warp``
    Giacomini, Politis & White's (2013) "warp-speed" estimate: one bootstrap series per
    Monte Carlo series, and the test's critical value is the 95% quantile of the pooled
    bootstrap statistics. Valid when the bootstrap distribution varies little between
    samples, as under the null; about ``--boot`` times cheaper.

Examples::

    python tools/simulate_bootstrap_size.py --n 200 --reps 1000 --boot 199
    python tools/simulate_bootstrap_size.py --n 500 --reps 3000 --method warp
    python tools/simulate_bootstrap_size.py --n 200 --reps 200 --boot 99 --delta 0.5,1,2,4
    python tools/simulate_bootstrap_size.py --n 200 --reps 2000 --method warp --model trend
    python tools/simulate_bootstrap_size.py --n 200 --reps 600 --boot 99 --stop-after 10

``--delta`` is the break (at n/2) in units of the errors' marginal sd, ``1 / sqrt(1 - rho^2)``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.signal import lfilter

from nkfx.detect.ftests import _bootstrap
from nkfx.detect.ftests import _single as _fboot
from nkfx.detect.ftests import _single as _ftests
from nkfx.detect.ftests._path import hac_f_paths


def series(rng: np.random.Generator, n: int, rho: float, delta: float) -> np.ndarray:
    """AR(1) errors plus a break of ``delta`` marginal sd at n / 2."""
    u = lfilter([1.0], [1.0, -rho], rng.standard_normal(n + 100))[100:]
    return np.asarray(u + delta / np.sqrt(1.0 - rho**2) * (np.arange(n) >= n // 2), dtype=float)


def design(n: int, model: str, rng: np.random.Generator) -> np.ndarray:
    """Regressors: a constant, or a constant and irregular elapsed days."""
    if model == "mean":
        return np.ones((n, 1))
    days = np.cumsum(rng.integers(5, 21, n)).astype(float)
    return np.c_[np.ones(n), days - days[0]]


def full(
    n: int, rho: float, delta: float, reps: int, boot: int, seed: int, model: str = "mean",
    stop_after: int | None = None,
) -> tuple[float, float]:
    """Rejection rates (asymptotic, bootstrap) with a full bootstrap per series.

    With ``stop_after``, each bootstrap stops early (Besag-Clifford) once that many bootstrap
    supF values reach the observed one; the mean number of draws is printed.
    """
    rng = np.random.default_rng(seed)
    h = int(0.15 * n)
    X = design(n, model, rng)
    asy = bs = 0
    used = []
    for i in range(reps):
        y = series(rng, n, rho, delta) + X[:, -1] * (0.001 if model == "trend" else 0.0)
        if stop_after is None:
            res = _ftests.sup_f(y, X, h=h, hac=True, null="bootstrap", n_boot=boot, seed=i)
        else:
            res = _fboot.bootstrap_sup_f(_ftests.sup_f(y, X, h=h, hac=True), y, X, h=h, hac=True,
                                         n_boot=boot, seed=i, stop_after=stop_after)
            used.append(res.detail["n_boot_used"])
        asy += res.detail["asymptotic_pvalue"] < 0.05
        bs += res.pvalue < 0.05
    if used:
        print(f"# early stop after {stop_after} exceedances: mean {np.mean(used):.1f} of {boot} draws")
    return asy / reps, bs / reps


def warp(n: int, rho: float, reps: int, seed: int, model: str = "mean") -> tuple[float, float]:
    """Rejection rates (asymptotic, bootstrap) by the warp-speed method."""
    rng = np.random.default_rng(seed)
    h = int(0.15 * n)
    X = design(n, model, rng)
    obs, star, asy = [], [], 0
    for i in range(reps):
        y = series(rng, n, rho, 0.0) + X[:, -1] * (0.001 if model == "trend" else 0.0)
        res = _ftests.sup_f(y, X, h=h, hac=True)
        asy += res.pvalue < 0.05
        ys, _ = _bootstrap.null_samples(y, X, int(res.at or 0), 1, seed=i)
        obs.append(res.statistic)
        star.append(hac_f_paths(ys, X, np.arange(h - 1, n - h)).max())
    crit = float(np.quantile(star, 0.95))
    return asy / reps, float(np.mean(np.asarray(obs) > crit))


def main() -> None:
    """Print one table row per break size."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--rho", type=float, default=0.5)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--boot", type=int, default=199)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--method", choices=("full", "warp"), default="full")
    ap.add_argument("--delta", default="0", help="comma-separated break sizes (marginal sd units)")
    ap.add_argument("--model", choices=("mean", "trend"), default="mean")
    ap.add_argument("--stop-after", type=int, default=None,
                    help="full method: Besag-Clifford early stop after this many exceedances")
    args = ap.parse_args()
    print("| model | n | rho | break (sd) | series | B | method | asymptotic | bootstrap | time |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for delta in (float(d) for d in args.delta.split(",")):
        t0 = time.perf_counter()
        if args.method == "warp":
            if delta != 0.0:
                raise SystemExit("--method warp estimates size only (delta 0)")
            asy, bs = warp(args.n, args.rho, args.reps, args.seed, args.model)
            boot = "1 per series"
        else:
            asy, bs = full(args.n, args.rho, delta, args.reps, args.boot, args.seed, args.model,
                           args.stop_after)
            boot = str(args.boot) + (f" (stop after {args.stop_after})" if args.stop_after else "")
        sd = np.sqrt(0.05 * 0.95 / args.reps)
        print(
            f"| {args.model} | {args.n} | {args.rho:g} | {delta:g} | {args.reps} | {boot} | {args.method} | "
            f"{asy:.1%} | {bs:.1%} (binomial sd {sd:.1%} at 5%) | {time.perf_counter() - t0:.0f} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
