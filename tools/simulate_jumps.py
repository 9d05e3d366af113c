"""Calibrate the jump model's penalty: spurious jumps, recall and real-data counts per constant c.

The penalty is c log n. For each c the script prints, on simulated random walks with AR(1)
noise (n = 300, irregular gaps of 7-21 days, parameters estimated as in the default call):
the share of null series with no jump, and for three jumps of a given size the share found
at the exact report and within one report, and false jumps per series; then the number of
jumps on Daily NK's dollar series per city (when ../shared/data is there).

    python tools/simulate_jumps.py [--reps 200]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import nkfx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_jumps import simulate

CS = (2.0, 3.0, 4.0, 6.0, 8.0)


def run(reps: int) -> None:
    """Print the calibration tables."""
    rng = np.random.default_rng(2026)
    print(f"null: random walk + AR(1) 0.5 noise, n = 300, {reps} series per row; share with no jump")
    print(f"{'sd drift':>9} {'sd noise':>9} " + " ".join(f"c={c:<4g}" for c in CS))
    for sd_eta, sd_nu in [(0.01, 0.01), (0.005, 0.01), (0.02, 0.01), (0.01, 0.02)]:
        clean = dict.fromkeys(CS, 0)
        for _ in range(reps):
            days, y = simulate(rng, 300, sd_eta=sd_eta, sd_nu=sd_nu)
            s = _series(days, y)
            for c in CS:
                clean[c] += nkfx.detect(s, penalty=c * np.log(300)).n_breaks == 0
        print(f"{sd_eta:>9g} {sd_nu:>9g} " + " ".join(f"{clean[c] / reps:<6.3f}" for c in CS))
    print("\nrecall: 3 jumps of the given size (log points), drift 0.01, noise 0.01 per 14 days")
    print(f"{'size':>5} {'c':>4} {'exact':>6} {'within 1':>9} {'false/series':>13}")
    for size in (0.08, 0.1, 0.15, 0.2):
        for c in (4.0, 6.0):
            print(f"{size:>5g} {c:>4g} " + "{:>6.3f} {:>9.3f} {:>13.3f}".format(*_recall(rng, reps, size, c)))
    data = Path(__file__).resolve().parents[2] / "shared" / "data" / "dailynk_usd_kpw_by_city.csv"
    if data.exists():
        raw = pd.read_csv(data, parse_dates=["time"])
        print("\nDaily NK dollar series: jumps (of which from 2012 on)")
        for city, g in raw.groupby("entity"):
            s = g.set_index("time")["value"].sort_index()
            cells = []
            for c in CS:
                b = nkfx.detect(s, penalty=c * np.log(len(s))).breaks
                cells.append(f"{len(b)} ({int((b['first_new'] >= '2012-01-01').sum())})")
            print(f"{city:>10} " + " ".join(f"c={c:g}: {x:<8}" for c, x in zip(CS, cells, strict=True)))


def _series(days: np.ndarray, y: np.ndarray) -> pd.Series:
    return pd.Series(np.exp(y), index=pd.Timestamp("2015-01-01") + pd.to_timedelta(days, "D"))


def _recall(rng: np.random.Generator, reps: int, size: float, c: float) -> tuple[float, float, float]:
    exact = near = false = 0
    for _ in range(reps):
        where = np.array([75, 150, 225]) + rng.integers(-20, 21, 3)
        days, y = simulate(rng, 300, jumps=tuple(zip(where, rng.choice([-1.0, 1.0], 3) * size, strict=True)))
        found = nkfx.detect(_series(days, y), penalty=c * np.log(300)).breaks["index"].to_numpy() + 1
        exact += int(np.isin(where, found).sum())
        near += sum(int(found.size > 0 and np.abs(found - w).min() <= 1) for w in where)
        false += sum(int(np.abs(where - f).min() > 1) for f in found)
    return exact / (3 * reps), near / (3 * reps), false / reps


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    run(parser.parse_args().reps)
