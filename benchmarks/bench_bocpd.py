"""Benchmark: change_probability (truncated BOCPD) against a plain quadratic recursion.

Run with ``.venv/bin/python benchmarks/bench_bocpd.py [--sizes 1000 10000 100000]``.
The series is daily, piecewise constant in log level (a new regime with probability
1/100 per day, jumps N(0, 0.1), noise N(0, 0.01)), seeded. For each size it times

* ``change_probability`` as users call it (forward + backward pass, truncation at
  1e-8, at most 1000 run lengths),
* the truncated forward (filtering) pass alone, and
* the untruncated quadratic filtering recursion, up to 10,000 observations and
  beyond only while its time predicted by n**2 scaling stays under ``--quad-limit``
  seconds (default 60),

and prints the largest difference between the truncated and exact filtering
probabilities where both ran.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from nkfx.detect._bocpd import Prior, bocpd, bocpd_quadratic
from nkfx.probability import change_probability


def simulate(n: int, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    regime = np.cumsum(rng.random(n) < 1 / 100)
    level = 8.5 + np.cumsum(rng.normal(0, 0.1, regime[-1] + 1))[regime]
    values = np.exp(level + rng.normal(0, 0.01, n))
    return pd.Series(values, index=pd.date_range("1900-01-01", periods=n, freq="D"), name="sim")


def timed(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = func(*args, **kwargs)
    return out, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--quad-limit", type=float, default=60.0)
    args = parser.parse_args()
    rows = []
    quad_per_n2 = None  # seconds per n**2 measured on the last quadratic run
    for n in args.sizes:
        series = simulate(n)
        res, t_api = timed(change_probability, series, expected_run="100D")
        x, h = res.values.to_numpy(), res.hazard.to_numpy()
        prior = Prior(**res.params["prior"])
        filt, t_filter = timed(bocpd, x, h, prior, max_run=1000, smooth=False)
        predicted = quad_per_n2 * n * n if quad_per_n2 is not None else 0.0
        # n**2 scaling from 1,000 overstates (per-step overhead dominates there): always try 10,000
        if predicted < args.quad_limit or n <= 10_000:
            exact, t_quad = timed(bocpd_quadratic, x, h, prior)
            quad_per_n2 = t_quad / (n * n)
            err = float(np.nanmax(np.abs(exact - filt.change_filtered)))
            quad, ratio, diff = f"{t_quad:9.2f}", f"{t_quad / t_filter:7.1f}", f"{err:.1e}"
        else:
            quad, ratio, diff = f"~{predicted:7.0f}s skipped", "", ""
        rows.append((n, t_api, t_filter, quad, ratio, diff, res.params["max_active_runs"]))
    print(f"{'n':>8} {'api (s)':>9} {'filter (s)':>10} {'quadratic (s)':>16} {'ratio':>7} "
          f"{'max |diff|':>10} {'max runs':>8}")
    for n, t_api, t_filter, quad, ratio, diff, runs in rows:
        print(f"{n:>8} {t_api:9.2f} {t_filter:10.2f} {quad:>16} {ratio:>7} {diff:>10} {runs:>8}")
    print("ratio = quadratic filtering time / truncated filtering time; api = forward + backward + pandas")


if __name__ == "__main__":
    main()
