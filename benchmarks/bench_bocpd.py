"""Benchmark: change probabilities (pruned BOCPD) against the exact recursion, PELT and a PyPI peer.

Run with ``.venv/bin/python benchmarks/bench_bocpd.py [--sizes 1000 10000 100000 1000000]``.
The series is daily, piecewise constant in log level (a new regime with probability
1/100 per day, jumps N(0, 0.1), noise N(0, 0.01)), seeded. For each size, in one run:

* ``change_probability`` as users call it (forward + backward pass, pruning at the default
  threshold 1e-9, at most 1000 run lengths), and the pruned forward (filtering) pass alone;
* nkfx's PELT (``nkfx.detect.pelt._core.pelt``, l2 cost, BIC penalty) on the same log values,
  the yardstick of issue 19 (goal: ``change_probability`` within 20x of it at 10^5);
* the unpruned quadratic filtering recursion (``bocpd_quadratic``) up to ``--exact-max-n``
  (default 10,000), with the largest difference of the filtering probabilities;
* the PyPI package ``bayesian-changepoint-detection`` (Kulick's port of Adams & MacKay's
  code: a dense (n+1) x (n+1) run-length matrix, so O(n^2) time and memory) up to
  ``--peer-max-n`` (default 5,000), with a constant hazard 1/100 and the same Normal-Gamma
  prior; skipped with a message when it is not installed. Its r = 0 convention differs (the
  change mass at t is computed with the old run's predictive), so only times are compared.

Ratios: api / PELT, and peer / nkfx filtering time.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import pandas as pd

from _timing import best_of
from nkfx.detect._bocpd import Prior, bocpd, bocpd_quadratic
from nkfx.detect.pelt._core import pelt
from nkfx.events.probability import change_probability


def simulate(n: int, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    regime = np.cumsum(rng.random(n) < 1 / 100)
    level = 8.5 + np.cumsum(rng.normal(0, 0.1, regime[-1] + 1))[regime]
    values = np.exp(level + rng.normal(0, 0.01, n))
    return pd.Series(values, index=pd.date_range("1900-01-01", periods=n, freq="D"), name="sim")


def load_peer() -> Any:
    try:
        from bayesian_changepoint_detection import online_changepoint_detection as peer
    except ImportError:
        return None
    return peer


def run_peer(peer: Any, x: np.ndarray, prior: Prior) -> float:
    from functools import partial

    model = peer.StudentT(prior.alpha0, prior.beta0, prior.kappa0, prior.mu0)
    t, _ = best_of(lambda: peer.online_changepoint_detection(
        x, partial(peer.constant_hazard, 100), model), repeats=1)
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--exact-max-n", type=int, default=10_000)
    parser.add_argument("--peer-max-n", type=int, default=5_000)
    args = parser.parse_args()
    peer = load_peer()
    if peer is None:
        print("# peer skipped: bayesian-changepoint-detection is not installed "
              "(pip install bayesian-changepoint-detection)")
    change_probability(simulate(200))  # compile (numba caches on disk) before timing
    pelt(np.random.default_rng(0).normal(size=200))
    rows = []
    for n in args.sizes:
        series = simulate(n)
        t_api, res = best_of(lambda s=series: change_probability(s, expected_run="100D"), repeats=2)
        x, h = res.values.to_numpy(), res.hazard.to_numpy()
        prior = Prior(**res.params["prior"])
        t_filter, filt = best_of(lambda x=x, h=h, p=prior: bocpd(x, h, p, max_run=1000, smooth=False),
                                 repeats=2)
        t_pelt, _ = best_of(lambda x=x: pelt(x), repeats=2)
        diff = t_exact = float("nan")
        if n <= args.exact_max_n:
            t_exact, exact = best_of(lambda x=x, h=h, p=prior: bocpd_quadratic(x, h, p),
                                     repeats=1)
            diff = float(np.nanmax(np.abs(exact - filt.change_filtered)))
        t_peer = run_peer(peer, x, prior) if peer is not None and n <= args.peer_max_n else float("nan")
        rows.append((n, t_api, t_filter, t_pelt, t_api / t_pelt, t_exact, diff, t_peer,
                     t_peer / t_filter, res.params["max_active_runs"], res.params["mass_dropped"]))
    head = (f"{'n':>9} {'api s':>8} {'filter s':>9} {'PELT s':>8} {'api/PELT':>9} {'exact s':>8} "
            f"{'max|diff|':>10} {'peer s':>8} {'peer/filt':>9} {'runs':>5} {'dropped':>8}")
    print(head)
    for n, ta, tf, tp, r, te, d, tq, rq, runs, drop in rows:
        print(f"{n:>9} {ta:8.3f} {tf:9.3f} {tp:8.3f} {r:9.1f} {te:8.2f} {d:10.1e} {tq:8.2f} "
              f"{rq:9.0f} {runs:>5} {drop:8.1e}")
    print("api = change_probability (forward + backward + pandas); filter = pruned forward pass; "
          "exact = unpruned quadratic recursion; max|diff| = largest filtering-probability "
          "difference; dropped = filtering mass removed by pruning, summed over dates; nan = not run")


if __name__ == "__main__":
    main()
