"""Monte Carlo checks of nkfx.detect_common: coverage, size, power and precision.

Interval coverage, size and power of the test of one common date, and the gain in
date precision over single-series breaks.

Usage: python tools/simulate_common.py [--reps 1000] [--boot 199] [--seed 1]
Prints one table; the figures go in the closing note of issue 14 and the slow tests.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from nkfx.detect.common import detect_common

BREAK = pd.Timestamp("2022-01-20")


def simulate(rng: np.random.Generator, *, k: int = 3, n: int = 40, delta: float = 0.15,
             sd: float = 0.05, phi: float = 0.3, shared: float = 0.5,
             offsets: tuple[int, ...] = ()) -> tuple[pd.DataFrame, list[pd.Timestamp]]:
    """Simulate ``k`` series with a mean shift on BREAK; return rates and true dates.

    Reports every 7-21 days on each series' own days; AR(1) noise per report with a
    share ``shared`` of a shock common to series reporting on the same day; a shift of
    ``delta`` (log) on BREAK plus ``offsets[i]`` days for series ``i``.
    """
    t0 = BREAK - pd.Timedelta(days=7 * n)
    common = rng.standard_normal(30 * n)  # one shock per day index
    frames, truth = [], []
    for i in range(k):
        gaps = rng.integers(7, 22, size=n)
        days = t0 + pd.to_timedelta(np.cumsum(gaps) + int(rng.integers(0, 7)), unit="D")
        tau = BREAK + pd.Timedelta(days=offsets[i] if i < len(offsets) else 0)
        truth.append(tau)
        idx = ((days - t0).days.to_numpy()) % common.size
        u = np.sqrt(shared) * common[idx] + np.sqrt(1 - shared) * rng.standard_normal(n)
        e = np.empty(n)
        prev = 0.0
        for t in range(n):
            prev = phi * prev + np.sqrt(1 - phi**2) * sd * u[t]
            e[t] = prev
        level = np.log(5000.0) + delta * (days >= tau)
        frames.append(pd.DataFrame({"date": days, "city": f"c{i}", "currency": "USD",
                                    "rate": np.exp(level + e), "source": "sim"}))
    return pd.concat(frames, ignore_index=True), truth


def one_rep(rng: np.random.Generator, n_boot: int, **kw: object) -> dict[str, float]:
    """Fit one simulated panel; return date errors, coverage, widths and the test's verdict."""
    rates, truth = simulate(rng, **kw)  # type: ignore[arg-type]
    res = detect_common(rates, currency="USD", n_boot=n_boot, seed=int(rng.integers(1 << 31)))
    b = res.breaks.iloc[0]
    grid = np.sort(rates["date"].unique())
    true_last = grid[grid < np.datetime64(truth[0])].max()
    covered = bool(b["ci_lower"] <= true_last <= b["ci_upper"])
    own_err, own_cov, own_w = [], [], []
    for name, part in res.series.groupby("series"):
        mine = np.sort(rates.loc[rates["city"] == name, "date"].to_numpy())
        last = mine[mine < np.datetime64(truth[int(str(name)[1:])])].max()
        row = part.iloc[0]
        own_err.append((row["own_last_old"] - pd.Timestamp(last)).days)
        own_cov.append(bool(row["own_ci_lower"] <= last <= row["own_ci_upper"]))
        own_w.append(row["own_ci_days"])
    return {"err": float((b["last_old"] - pd.Timestamp(true_last)).days), "covered": covered,
            "width": float(b["ci_days"]), "reject": float(b["pvalue_common"] <= 0.05),
            "own_err": float(np.sqrt(np.mean(np.square(own_err)))), "own_cov": float(np.mean(own_cov)),
            "own_width": float(np.nanmean(own_w))}


def study(reps: int, n_boot: int, seed: int, **kw: object) -> dict[str, float]:
    """Average :func:`one_rep` over ``reps`` seeded replications."""
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame([one_rep(rng, n_boot, **kw) for _ in range(reps)])
    return {"coverage": rows["covered"].mean(), "reject": rows["reject"].mean(),
            "rmse_days": float(np.sqrt((rows["err"] ** 2).mean())),
            "own_rmse_days": float(np.sqrt((rows["own_err"] ** 2).mean())),
            "width_days": rows["width"].mean(), "own_width_days": rows["own_width"].mean(),
            "own_coverage": rows["own_cov"].mean()}


def main() -> None:
    """Print the table of cases."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--boot", type=int, default=199)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    cases = {
        "common, delta=2sd": {"shared": 0.5, "delta": 0.10},
        "common, delta=1.5sd": {"shared": 0.5, "delta": 0.075},
        "common, indep. noise": {"shared": 0.0},
        "common, shared shocks": {"shared": 0.5},
        "common, phi=0.6": {"phi": 0.6, "shared": 0.5},
        "one city 60 days later": {"shared": 0.5, "offsets": (0, 0, 60)},
    }
    out = []
    for name, kw in cases.items():
        t = time.perf_counter()
        res = study(args.reps, args.boot, args.seed, **kw)
        out.append({"case": name, **res, "seconds": time.perf_counter() - t})
    print(pd.DataFrame(out).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
