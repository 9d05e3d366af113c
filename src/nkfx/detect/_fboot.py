"""Sieve-bootstrap p-values for the supF (with aveF, expF) and Chow tests.

The observed :class:`~nkfx.detect._ftests.FTest` is recomputed on ``n_boot`` series drawn under
"no break" by :func:`nkfx.detect._bootstrap.null_samples` (AR sieve fitted to the residuals of the
unrestricted fit at the test's date), with the *same* statistic: HAC or not, same trimming. The
p-value is ``(1 + #{T* >= T}) / (B + 1)``, critical values are quantiles of ``T*``. The
asymptotic p-value stays in ``detail["asymptotic_pvalue"]`` for comparison.

``bootstrap_sup_f(..., stop_after=k)`` is Besag & Clifford's (1991) sequential version: all
``n_boot`` series are drawn first (so the draws do not depend on the stopping), their paths are
computed in batches of 16, and the test stops at the ``k``-th bootstrap supF that reaches the
observed one. Under the null that saves most of the work (p-values are then large); a small
p-value needs every draw and equals the full bootstrap's.

Cost: for the mean model the HAC path of each draw runs in
:func:`nkfx.detect._hac_mean.mean_shift_paths` (compiled, O(n^2) per draw with a small
constant); other regressors use the batched-FFT :func:`nkfx.detect._hac_path.hac_f_paths`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special

from nkfx.detect._bootstrap import bootstrap_pvalue, null_samples
from nkfx.detect._fpath import _f_path
from nkfx.detect._ftests import LEVELS, FTest
from nkfx.detect._hac_path import hac_f_paths

__all__ = ["bootstrap_chow", "bootstrap_note", "bootstrap_sup_f"]

FloatArray = NDArray[np.float64]


def _paths(Y: FloatArray, X: FloatArray, h: int, hac: bool) -> FloatArray:
    """F paths (B, nb) of every bootstrap series, with the statistic of the observed test."""
    n = X.shape[0]
    if hac:
        return hac_f_paths(Y, X, np.arange(h - 1, n - h))
    return np.stack([_f_path(y, X, h)[1] for y in Y])


def _meta(
    test: FTest, sieve_order: int, n_boot: int, seed: int, note: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "null_distribution": "sieve bootstrap",
        "n_boot": n_boot,
        "seed": seed,
        "ar_order": sieve_order,
        "asymptotic_pvalue": float(test.pvalue),
    }
    if note:
        out["bootstrap_note"] = note
    return out


def _sequential_paths(
    Y: FloatArray, X: FloatArray, h: int, hac: bool, stat: float, stop_after: int | None
) -> FloatArray:
    """F paths of the draws in order, stopping once ``stop_after`` supF draws reach ``stat``.

    Besag & Clifford's (1991) sequential Monte Carlo test: the draws are the same whatever the
    stopping; only the ones after the ``stop_after``-th exceedance are never computed.
    """
    if stop_after is None:
        return _paths(Y, X, h, hac)
    done: list[FloatArray] = []
    count = 0
    for start in range(0, Y.shape[0], _BATCH):
        paths = _paths(Y[start : start + _BATCH], X, h, hac)
        hits = np.cumsum(paths.max(axis=1) >= stat) + count
        if hits[-1] >= stop_after:
            done.append(paths[: int(np.argmax(hits >= stop_after)) + 1])
            break
        done.append(paths)
        count = int(hits[-1])
    return np.concatenate(done)


_BATCH = 16


def bootstrap_sup_f(
    test: FTest,
    y: FloatArray,
    X: FloatArray,
    *,
    h: int,
    hac: bool,
    n_boot: int,
    seed: int,
    stop_after: int | None = None,
) -> FTest:
    """Replace the asymptotic supF, aveF and expF p-values by sieve-bootstrap ones.

    Parameters
    ----------
    test : FTest
        The observed supF result of :func:`nkfx.detect._ftests.sup_f` (same ``h`` and ``hac``).
    y, X : ndarray
        The data of that test, shapes (n,) and (n, k).
    h : int
        Minimal segment length.
    hac : bool
        Whether ``test`` used the HAC statistic.
    n_boot, seed : int
        Number of bootstrap series and the seed.
    stop_after : int, optional
        Stop early once this many bootstrap supF values reach the observed one (Besag &
        Clifford 1991): the p-value is then ``stop_after / L`` after ``L`` draws, a valid
        p-value that is clearly far above any usual level, and ``detail`` says so
        (``stopped_early``, ``n_boot_used``). A p-value below ``stop_after / n_boot`` needs
        every draw, and then equals the full bootstrap's. Default: no early stop.

    Returns
    -------
    FTest
        ``pvalue`` and ``critical`` from the bootstrap; ``detail`` adds ``aveF_pvalue`` and
        ``expF_pvalue`` from the same draws, ``null_distribution``, ``n_boot``, ``seed``,
        ``ar_order``, ``asymptotic_pvalue`` and ``null_draws`` (the B bootstrap supF values).

    Examples
    --------
    >>> from nkfx.detect._ftests import sup_f
    >>> rng = np.random.default_rng(0)
    >>> y = np.r_[rng.normal(0, 1, 60), rng.normal(2, 1, 60)]
    >>> X = np.ones((120, 1))
    >>> res = bootstrap_sup_f(sup_f(y, h=18), y, X, h=18, hac=False, n_boot=99, seed=0)
    >>> res.pvalue, res.detail["null_distribution"]
    (0.01, 'sieve bootstrap')
    """
    stat = float(test.statistic)
    detail = dict(test.detail)
    if not np.isfinite(stat):  # an exact fit on each side: nothing to resample, p = 0
        detail.update(_meta(test, 0, n_boot, seed, "infinite statistic: p-value 0, no resampling"))
        return replace(test, detail=detail)
    Y, sieve = null_samples(y, X, int(test.at or 0), n_boot, seed)
    paths = _sequential_paths(Y, X, h, hac, stat, stop_after)
    sup = paths.max(axis=1)
    ave = paths.mean(axis=1)
    expf = special.logsumexp(0.5 * paths, axis=1) - np.log(paths.shape[1])
    detail.update(_meta(test, sieve.order, n_boot, seed))
    detail["aveF_pvalue"] = bootstrap_pvalue(float(detail["aveF"]), ave)
    detail["expF_pvalue"] = bootstrap_pvalue(float(detail["expF"]), expf)
    detail["null_draws"] = sup
    critical = dict(zip(LEVELS, np.quantile(sup, LEVELS).tolist(), strict=True))
    detail.pop("note", None)  # the tabulated-null note no longer applies
    pvalue = bootstrap_pvalue(stat, sup)
    if stop_after is not None:
        stopped = sup.size < n_boot
        detail.update(stop_after=stop_after, n_boot_used=int(sup.size), stopped_early=stopped)
        if stopped:
            pvalue = stop_after / sup.size
            detail["bootstrap_note"] = (
                f"stopped early after {sup.size} of {n_boot} series, when {stop_after} reached the "
                f"observed supF (Besag-Clifford p-value {stop_after}/{sup.size} = {pvalue:.3g})")
    return replace(test, pvalue=pvalue, critical=critical, detail=detail)


def bootstrap_chow(
    test: FTest, y: FloatArray, X: FloatArray, *, hac: bool, n_boot: int, seed: int
) -> FTest:
    """Replace the F / chi-square p-value of a Chow test by a sieve-bootstrap one.

    Examples
    --------
    >>> from nkfx.detect._ftests import chow
    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(0, 1, 80)
    >>> res = bootstrap_chow(chow(y, b=39), y, np.ones((80, 1)), hac=False, n_boot=99, seed=0)
    >>> 0.0 < res.pvalue <= 1.0, res.detail["n_boot"]
    (True, 99)
    """
    stat = float(test.statistic)
    b = int(test.at or 0)
    detail = dict(test.detail)
    if not np.isfinite(stat):
        detail.update(_meta(test, 0, n_boot, seed, "infinite statistic: p-value 0, no resampling"))
        return replace(test, detail=detail)
    Y, sieve = null_samples(y, X, b, n_boot, seed)
    k = X.shape[1]
    # HAC Wald / k, or the classical F from the two segment fits, as in ``chow``
    draws = hac_f_paths(Y, X, np.array([b]))[:, 0] / k if hac else np.array([_chow_f(row, X, b) for row in Y])
    detail.update(_meta(test, sieve.order, n_boot, seed))
    detail["null_draws"] = draws
    critical = dict(zip(LEVELS, np.quantile(draws, LEVELS).tolist(), strict=True))
    return replace(test, pvalue=bootstrap_pvalue(stat, draws), critical=critical, detail=detail)


def _chow_f(y: FloatArray, X: FloatArray, b: int) -> float:
    n, k = X.shape

    def rss(sl: slice) -> float:
        coef, *_ = np.linalg.lstsq(X[sl], y[sl], rcond=None)
        r = y[sl] - X[sl] @ coef
        return float(r @ r)

    rss1 = rss(slice(0, b + 1)) + rss(slice(b + 1, None))
    rss0 = rss(slice(None))
    return (rss0 - rss1) / k / (rss1 / (n - 2 * k)) if rss1 > 0 else float("inf")



def bootstrap_note(test: FTest) -> tuple[str, ...]:
    """Return a one-line note for a bootstrapped p-value; ``()`` for an asymptotic one.

    Examples
    --------
    >>> from nkfx.detect._ftests import chow
    >>> y = np.random.default_rng(0).normal(size=60)
    >>> bootstrap_note(chow(y, b=29, null="bootstrap", n_boot=19))[0][:40]
    'Chow p-value and critical values from a '
    >>> bootstrap_note(chow(y, b=29))
    ()
    """
    d = test.detail
    if d.get("null_distribution") != "sieve bootstrap":
        return ()
    if "bootstrap_note" in d:  # nothing was resampled (an infinite statistic)
        return (f"{test.name}: {d['bootstrap_note']}.",)
    b = int(d["n_boot"])
    return (
        f"{test.name} p-value and critical values from a sieve bootstrap: {b} series with AR("
        f"{d['ar_order']}) errors and no break, seed {d['seed']}; the smallest possible p-value "
        f"is 1/{b + 1} = {1 / (b + 1):.3g} (asymptotic p-value {d['asymptotic_pvalue']:.3g}).",
    )
