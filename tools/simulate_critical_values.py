"""Simulate the asymptotic null distributions behind nkfx's sup-F, ave-F, exp-F and UDmax tests.

Writes ``src/nkfx/detect/data/fnull.npz`` (quantile tables read by
``nkfx.detect.ftests._critical``). Run from the repository root::

    .venv/bin/python tools/simulate_critical_values.py            # full tables (~6 min CPU)
    .venv/bin/python tools/simulate_critical_values.py --quick    # smoke test, not written

What is simulated
-----------------
*sup/ave/exp F (Andrews 1993; Andrews & Ploberger 1994).* Under the null of no break, the Wald
(strucchange ``Fstats``) process with ``q`` breaking regressors converges to
``Q(pi) = ||B(pi)||^2 / (pi (1 - pi))`` with ``B`` a ``q``-dimensional Brownian bridge. A replicate
draws a Gaussian random walk of ``STEPS`` steps, forms the bridge at ``j / STEPS`` and evaluates
``sup``, ``mean`` and ``log mean exp(Q / 2)`` over the grid points in ``[pi0, 1 - pi0]``. The ``q``
components are nested (``q = 2`` adds a second walk to the ``q = 1`` draw), so tables for different
``q`` share draws; within one ``q`` the replicates are independent.

*UDmax (Bai & Perron 1998).* The F statistic for ``m`` breaks as Bai and Perron compute it,
``(SSR_0 - SSR_m) / m / sigma^2`` (divided by the number of breaks but not by ``q``, as in their
published tables), has the null limit
``sup over partitions (1 / m) sum_i ||segment-mean deviations||^2``; with a random walk of
``UD_STEPS`` steps the sup over partitions with segments of at least ``pi0 * UD_STEPS`` steps is an
exact dynamic programme over segment costs ``||S_j - S_i||^2 / (j - i)``. UDmax(M) is the maximum of
the ``m = 1..M`` statistics for each replicate. ``M`` runs up to every number the trimming allows,
``floor(1 / pi0) - 1``: 19 (``pi0 = 0.05``), 9 (0.10), 5 (0.15), 4 (0.20) and 3 (0.25), for
``q = 1..5`` (issue 17; until then M stopped at 5 and q at 3). Bai & Perron's tables stop at M = 5,
3 and 2.

*WDmax (Bai & Perron 1998).* From the same draws: the quantiles ``c(q, a, m)`` of each ``F(m)`` at
``a`` in WD_LEVELS, and the ``a`` quantile of ``max_{m <= M} c(q, a, 1) / c(q, a, m) F(m)`` (stored
as ``Fm`` and ``WDmax``; critical values only, since the weights depend on ``a``).

The DP costs O(M N^2) per replicate, so the grid is coarse; quantiles are stored for the same
paths on 200 and 400 steps, and ``nkfx.detect.ftests._critical`` interpolates (or extrapolates) them in
``1 / sqrt(N)`` to the grid of the sample at hand (the error of a sup over a grid is of order ``sqrt(step)``).

Settings and cost (recorded in the file as well)
------------------------------------------------
seed 20260427; sup/ave/exp: 100,000 replicates, 2,000 steps, q = 1..5, pi0 in TRIMS (plus the
exact chi-square row at pi0 = 0.5 added when loading); UDmax: 8,000 replicates on 400 and 200
steps, q = 1..5, pi0 in UD_TRIMS, M up to UD_MAX_BREAKS. Measured on the 2-core project machine
(shared, niced), one core: 84 s CPU for sup/ave/exp and 686 s for UDmax/WDmax (about 13
minutes in all). Output: 308 kB. The sup/ave/exp tables are bit-identical to the earlier q <= 3, M <= 5 run
(same seed, drawn first); the UDmax draws differ (five walk components instead of three).

Monte-Carlo error: a tabulated p-value p has standard error ``sqrt(p (1 - p) / R)``: 0.0007 at
p = 0.05 for the sup/ave/exp tables (R = 100,000) and 0.0024 for UDmax (R = 8,000). Critical values:
about 0.02 / 0.03 / 0.07 (supF, q = 1, 10/5/1%) and 0.06 / 0.1 / 0.25 (UDmax).
Discretisation: a sup over 2,000 grid points is below the sup of the continuous process by a few
hundredths (supF q = 1, pi0 = 0.15: 7.12 / 8.65 / 12.10 here against Andrews' 7.12 / 8.68 / 12.16).
For UDmax the grid error is larger (0.46 at the 5% point between 400 steps and the continuum at
pi0 = 0.15), hence the two grids and the interpolation to the sample size in ``_critical``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

SEED = 20260427
TRIMS = (0.02, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45)
QMAX = 5
STEPS = 2_000
REPS = 100_000
CHUNK = 500
UD_TRIMS = (0.05, 0.10, 0.15, 0.20, 0.25)
UD_MAX_BREAKS = (19, 9, 5, 4, 3)  # floor(1 / pi0) - 1: every M the trimming allows
UD_QMAX = 5
UD_STEPS = 400
UD_REPS = 8_000
UD_CHUNK = 10
WD_LEVELS = (0.90, 0.95, 0.975, 0.99)
OUT = Path(__file__).resolve().parents[1] / "src" / "nkfx" / "detect" / "data" / "fnull.npz"


def probability_grid(reps: int) -> np.ndarray:
    """Probabilities at which quantiles are stored: dense in the upper tail, none beyond 20 hits."""
    body = np.linspace(0.005, 0.9, 180)
    upper = np.linspace(0.9, 0.99, 37)[1:]
    tail = 1.0 - np.geomspace(0.01, 20.0 / reps, 40)[1:]
    return np.unique(np.concatenate([body, upper, tail]))


def sup_ave_exp(rng: np.random.Generator, reps: int) -> np.ndarray:
    """Return (3, QMAX, len(TRIMS), reps) draws of the sup, ave and exp functionals."""
    out = np.empty((3, QMAX, len(TRIMS), reps))
    j = np.arange(1, STEPS)
    pi = j / STEPS
    scale = STEPS * pi * (1.0 - pi)
    lo = [round(t * STEPS) for t in TRIMS]
    for start in range(0, reps, CHUNK):
        r = min(CHUNK, reps - start)
        walk = np.cumsum(rng.standard_normal((r, STEPS, QMAX)), axis=1)
        bridge = walk[:, :-1, :] - pi[None, :, None] * walk[:, -1:, :]
        q_proc = np.cumsum(bridge**2, axis=2) / scale[None, :, None]  # nested in q
        c_lin = np.cumsum(q_proc, axis=1)
        c_exp = np.cumsum(np.exp(0.5 * q_proc), axis=1)
        for t, a in enumerate(lo):
            i0, i1 = a - 1, STEPS - a - 1  # grid indices of pi0 and 1 - pi0 (inclusive)
            width = i1 - i0 + 1
            out[0, :, t, start : start + r] = q_proc[:, i0 : i1 + 1, :].max(axis=1).T
            prev_lin = c_lin[:, i0 - 1, :] if i0 > 0 else 0.0
            prev_exp = c_exp[:, i0 - 1, :] if i0 > 0 else 0.0
            out[1, :, t, start : start + r] = ((c_lin[:, i1, :] - prev_lin) / width).T
            out[2, :, t, start : start + r] = np.log((c_exp[:, i1, :] - prev_exp) / width).T
    return out


def _best_partitions(cost: np.ndarray, h: int, max_breaks: int) -> np.ndarray:
    """Max over partitions of the summed segment cost, for 1..max_breaks breaks: (r, max_breaks)."""
    r, n1, _ = cost.shape
    n = n1 - 1
    gap = np.arange(n1)[None, :] - np.arange(n1)[:, None]
    masked = np.where(gap >= h, cost, -np.inf)  # segment (i, j] needs at least h steps
    value = masked[:, 0, :]  # one segment ending at j
    best = np.empty((r, max_breaks))
    for m in range(1, max_breaks + 1):
        value = np.max(value[:, :, None] + masked, axis=1)
        best[:, m - 1] = value[:, n]
    return best


def _walk_cost(walk: np.ndarray, q: int) -> np.ndarray:
    """Segment costs ``|S_j - S_i|^2 / (j - i)`` of walk component ``q`` (i < j), (r, N+1, N+1)."""
    n1 = walk.shape[1]
    idx = np.arange(n1)
    length = np.abs(idx[None, :] - idx[:, None]).astype(float)
    length[length == 0] = np.inf
    w = walk[:, :, q]
    return np.asarray((w[:, None, :] - w[:, :, None]) ** 2 / length[None])


def udmax_draws(rng: np.random.Generator, reps: int) -> np.ndarray:
    """UDmax(M) draws for M = 1..max(UD_MAX_BREAKS) on grids of UD_STEPS/2 and UD_STEPS steps.

    Both grids use the same paths. Returns shape (2, UD_QMAX, len(UD_TRIMS), max M, reps); NaN
    where M exceeds the trim's maximum.
    """
    out = np.full((2, 2, UD_QMAX, len(UD_TRIMS), max(UD_MAX_BREAKS), reps), np.nan)
    for start in range(0, reps, UD_CHUNK):
        r = min(UD_CHUNK, reps - start)
        steps = rng.standard_normal((r, UD_STEPS, UD_QMAX))
        for g, factor in enumerate((2, 1)):  # the coarse grid sums pairs of fine steps
            coarse = steps.reshape(r, UD_STEPS // factor, factor, UD_QMAX).sum(axis=2)
            n_steps = UD_STEPS // factor
            walk = np.zeros((r, n_steps + 1, UD_QMAX))
            walk[:, 1:, :] = np.cumsum(coarse / np.sqrt(factor), axis=1)
            cost = np.zeros((r, n_steps + 1, n_steps + 1))
            for q in range(UD_QMAX):
                cost += _walk_cost(walk, q)
                total = np.sum(walk[:, -1, : q + 1] ** 2, axis=1) / n_steps
                for t, (trim, mmax) in enumerate(zip(UD_TRIMS, UD_MAX_BREAKS, strict=True)):
                    best = _best_partitions(cost, round(trim * n_steps), mmax)
                    fm = (best - total[:, None]) / np.arange(1, mmax + 1)
                    out[0, g, q, t, :mmax, start : start + r] = np.maximum.accumulate(fm, axis=1).T
                    out[1, g, q, t, :mmax, start : start + r] = fm.T
    return out


def wdmax_table(fm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles of F(m) and WDmax critical values at WD_LEVELS from the F(m) draws.

    ``fm`` has shape (2, Q, T, M, reps). WDmax(M) at level ``a`` weighs ``F(m)`` by
    ``c(q, a, 1) / c(q, a, m)``, ``c`` the ``a`` quantile of ``F(m)`` (Bai & Perron 1998), and
    takes the maximum over ``m <= M``; its critical value is the ``a`` quantile of that maximum.
    Returns ``(fq, wd)``, both of shape (2, Q, T, M, len(WD_LEVELS)).
    """
    fq = np.moveaxis(np.quantile(fm, WD_LEVELS, axis=-1), 0, -1)
    wd = np.full(fq.shape, np.nan)
    for li in range(len(WD_LEVELS)):
        weighted = fm * (fq[..., :1, li] / fq[..., li])[..., None]
        acc = np.fmax.accumulate(weighted, axis=3)
        wd[..., li] = np.quantile(acc, WD_LEVELS[li], axis=-1)
    wd[np.isnan(fq)] = np.nan
    return fq, wd


def main() -> None:
    """Simulate, summarise and write the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few replicates; do not write")
    args = parser.parse_args()
    reps, ud_reps = (2_000, 40) if args.quick else (REPS, UD_REPS)
    rng = np.random.default_rng(SEED)
    t0 = time.process_time()
    draws = sup_ave_exp(rng, reps)
    t1 = time.process_time()
    print(f"sup/ave/exp: {reps} reps x {STEPS} steps in {t1 - t0:.0f} s CPU", flush=True)
    ud_all = udmax_draws(rng, ud_reps)
    ud = ud_all[0]
    fq, wd = wdmax_table(ud_all[1])
    t2 = time.process_time()
    print(f"UDmax: {ud_reps} reps x {UD_STEPS} steps in {t2 - t1:.0f} s CPU", flush=True)

    probs = probability_grid(reps)
    ud_probs = probability_grid(ud_reps)
    tables = np.quantile(draws, probs, axis=-1)  # (P, 3, Q, T)
    ud_q = np.quantile(ud, ud_probs, axis=-1)  # (P, 2, Q, T, M): 200 and 400 steps
    udmax = ud_q[:, 1]
    i95 = int(np.argmin(np.abs(probs - 0.95)))
    print("supF 95% (q=1):", dict(zip(TRIMS, np.round(tables[i95, 0, 0], 2), strict=True)))
    j95 = int(np.argmin(np.abs(ud_probs - 0.95)))
    top = [udmax[j95, 0, t, m - 1] for t, m in enumerate(UD_MAX_BREAKS)]
    print("UDmax 95% (q=1, largest M):", np.round(top, 2))
    if args.quick:
        return
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT,
        probs=probs,
        trims=np.array(TRIMS),
        qs=np.arange(1, QMAX + 1),
        supF=np.moveaxis(tables[:, 0], 0, -1).astype(np.float32),  # (Q, T, P)
        aveF=np.moveaxis(tables[:, 1], 0, -1).astype(np.float32),
        expF=np.moveaxis(tables[:, 2], 0, -1).astype(np.float32),
        ud_probs=ud_probs,
        ud_trims=np.array(UD_TRIMS),
        ud_qs=np.arange(1, UD_QMAX + 1),
        ud_max_breaks=np.array(UD_MAX_BREAKS),
        ud_steps=np.array([UD_STEPS // 2, UD_STEPS]),
        UDmax=np.moveaxis(ud_q, 0, -1).astype(np.float32),  # (2, Q, T, M, P), max over 1..M
        wd_levels=np.array(WD_LEVELS),
        Fm=fq.astype(np.float32),  # (2, Q, T, M, L): quantiles of F(m) at wd_levels
        WDmax=wd.astype(np.float32),  # (2, Q, T, M, L): WDmax(M) critical values
        settings=np.array(
            f"seed={SEED} reps={reps} steps={STEPS} ud_reps={ud_reps} ud_steps={UD_STEPS} "
            f"cpu_seconds={t2 - t0:.0f}"
        ),
    )
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
