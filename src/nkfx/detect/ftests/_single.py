"""F tests for one break: Chow, F paths, supF/aveF/expF (numeric core); see ``_fmulti`` for more.

Conventions
-----------
A break index ``b`` is the last observation of the old regime (0-based); strucchange's 1-based
break point is ``b + 1``. ``X = None`` means the mean-shift model (a column of ones). Every column
of ``X`` changes at a break (pure structural change, ``q = k``).

The F path is strucchange's ``Fstats``: at each candidate ``b`` from ``h - 1`` to ``n - h - 1``
(``Fstats(from = h)``), ``F(b) = (RSS_0 - RSS_1(b) - RSS_2(b)) / s^2(b)`` with
``s^2(b) = (RSS_1(b) + RSS_2(b)) / (n - 2k)``. It is the Wald form, *not* divided by ``k``, so its
null limit is the Andrews (1993) functional of a ``k``-dimensional Brownian bridge; ``chow`` divides
by ``k`` to give the classical ``F(k, n - 2k)`` statistic.

P-values of supF, aveF and expF come from the simulated asymptotic null distributions in
:mod:`nkfx.detect.ftests._critical` (the sup over dates, never a chi-square at the chosen date), or from
the sieve bootstrap of :mod:`nkfx.detect.ftests._single`. The tests for several breaks, sup-F(l+1|l) and
UDmax, are in :mod:`nkfx.detect.ftests._multiple`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

from nkfx.detect.ftests import _critical
from nkfx.detect.ftests._bootstrap import bootstrap_pvalue, check_bootstrap, null_samples
from nkfx.detect.ftests._path import (
    _as_data,
    _f_path,
    _rss0,
    _standardise,
    f_statistics,
    hac_f_paths,
    hac_wald,
)
from nkfx.errors import NkfxTypeError, NkfxValueError

__all__ = [
    "FTest",
    "bootstrap_chow",
    "bootstrap_note",
    "bootstrap_sup_f",
    "chow",
    "f_statistics",
    "sup_f",
    "sup_f_critical",
    "sup_f_pvalue",
]

LEVELS = (0.90, 0.95, 0.99)


@dataclass(frozen=True, eq=False)
class FTest:
    """Result of one F-type structural-change test.

    Attributes
    ----------
    name : str
        Test name, e.g. ``"supF"``.
    statistic : float
        Test statistic (the Wald scale for supF, seq and UDmax; classical F for Chow).
    pvalue : float
        P-value; ``nan`` when no valid null distribution is tabulated (see ``detail["note"]``).
    df : tuple of float
        Degrees of freedom (numerator, denominator) of the F statistic.
    critical : dict of float to float
        Critical values by level (0.90, 0.95, 0.99).
    at : int or None
        Break index where the statistic is attained (last index of the old regime).
    detail : dict
        Further results: aveF/expF values, the F path, the trimming used, notes.
    """

    name: str
    statistic: float
    pvalue: float
    df: tuple[float, ...]
    critical: dict[float, float] = field(default_factory=dict)
    at: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """Return a one-line text summary."""
        at = "" if self.at is None else f" at index {self.at}"
        crit = ", ".join(f"{100 * (1 - lv):g}%: {cv:.3f}" for lv, cv in self.critical.items())
        return f"{self.name} = {self.statistic:.4f}{at}, p = {self.pvalue:.4f} (critical {crit})"

    def to_dict(self) -> dict[str, Any]:
        """Return the scalar fields as a JSON-friendly dict (arrays in ``detail`` omitted)."""
        scalars = {k: v for k, v in self.detail.items() if isinstance(v, int | float | str)}
        return {
            "name": self.name,
            "statistic": float(self.statistic),
            "pvalue": float(self.pvalue),
            "df": [float(d) for d in self.df],
            "critical": {str(k): float(v) for k, v in self.critical.items()},
            "at": self.at,
            **scalars,
        }

    def to_frame(self) -> Any:
        """Return the F path (``b``, ``F``) as a DataFrame; one row of fields if there is none."""
        import pandas as pd

        if "f" in self.detail:
            return pd.DataFrame({"b": self.detail["b"], "F": self.detail["f"]})
        return pd.DataFrame([self.to_dict()])

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Plot the F path against the break index with the 5% critical value; return the Axes."""
        import matplotlib.pyplot as plt

        if "f" not in self.detail:
            raise NkfxValueError(f"{self.name} has no F path to plot")
        if ax is None:
            _, ax = plt.subplots()
        ax.plot(self.detail["b"], self.detail["f"], **kwargs)
        if 0.95 in self.critical:
            ax.axhline(self.critical[0.95], linestyle="--", color="grey", label="5% critical")
        ax.set_xlabel("break index b (last observation of the old regime)")
        ax.set_ylabel("F")
        return ax


def sup_f_pvalue(stat: float, *, q: int, trim: float) -> float:
    """Asymptotic p-value of a supF statistic (Andrews 1993), simulated null.

    Parameters
    ----------
    stat : float
        supF statistic in the Wald form (as :func:`f_statistics`).
    q : int
        Number of breaking regressors, 1 to 5.
    trim : float
        Trimming fraction ``pi0 = h / n``, between 0.02 and 0.5.

    Returns
    -------
    float
        ``P(sup_pi ||B(pi)||^2 / (pi (1 - pi)) > stat)`` over ``[pi0, 1 - pi0]``.

    Examples
    --------
    >>> round(sup_f_pvalue(8.68, q=1, trim=0.15), 2)
    0.05
    """
    return _critical.null_pvalue(stat, kind="supF", q=q, trim=trim)


def sup_f_critical(
    *, q: int, trim: float, levels: tuple[float, ...] = LEVELS
) -> np.ndarray:
    """Asymptotic supF critical values at the given levels (Andrews 1993), simulated null.

    Parameters
    ----------
    q : int
        Number of breaking regressors, 1 to 5.
    trim : float
        Trimming fraction ``pi0 = h / n``, between 0.02 and 0.5.
    levels : tuple of float, default (0.90, 0.95, 0.99)
        Quantile levels (one minus the test size).

    Returns
    -------
    ndarray
        One critical value per level, on the Wald scale of :func:`f_statistics`.

    Examples
    --------
    >>> np.round(sup_f_critical(q=1, trim=0.15), 1).tolist()
    [7.1, 8.7, 12.2]
    """
    return np.array([_critical.null_quantile(lv, kind="supF", q=q, trim=trim) for lv in levels])


def _try_pvalue(kind: _critical.Functional, stat: float, q: int, trim: float) -> float:
    try:
        return _critical.null_pvalue(stat, kind=kind, q=q, trim=trim)
    except NkfxValueError:
        return float("nan")


def sup_f(
    y: Any,
    X: Any = None,
    *,
    h: int,
    hac: bool = False,
    null: str = "asymptotic",
    n_boot: int = 199,
    seed: int = 0,
    stop_after: int | None = None,
) -> FTest:
    """SupF test of no break against one break at an unknown date; aveF and expF in ``detail``.

    Parameters
    ----------
    y, X, h, hac
        As in :func:`f_statistics`.
    null : {"asymptotic", "bootstrap"}
        P-values and critical values from the simulated asymptotic null, or from an AR-sieve
        bootstrap of the same statistic (:mod:`nkfx.detect.ftests._single`; right size with
        autocorrelated errors in small samples, ``n_boot`` times the cost).
    n_boot, seed : int
        Bootstrap series and seed (``null="bootstrap"`` only).

    Returns
    -------
    FTest
        ``statistic`` = max F, ``at`` = its break index, ``pvalue`` and ``critical`` from the
        supF null with ``q = k`` and ``trim = h / n`` (``nan`` with ``detail["note"]`` when the
        trim is outside the tabulated 0.02-0.5 or ``k > 5``); ``detail`` holds ``aveF``, ``expF``
        (Andrews & Ploberger 1994) with their p-values, and the path ``b``, ``f``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.r_[rng.normal(0, 1, 60), rng.normal(2, 1, 60)]
    >>> res = sup_f(y, h=18)
    >>> res.at, res.pvalue < 0.001
    (59, True)
    """
    null = _check_null(null, n_boot, seed)
    yy, XX = _as_data(y, X)
    n, k = XX.shape
    b, f = f_statistics(yy, XX, h=h, hac=hac)
    trim = int(h) / n
    stat = float(np.max(f))
    ave, expf = float(np.mean(f)), float(special.logsumexp(0.5 * f) - np.log(len(f)))
    detail: dict[str, Any] = {
        "trim": trim, "hac": hac, "b": b, "f": f,
        "aveF": ave, "aveF_pvalue": _try_pvalue("aveF", ave, k, trim),
        "expF": expf, "expF_pvalue": _try_pvalue("expF", expf, k, trim),
    }  # fmt: skip
    pvalue = _try_pvalue("supF", stat, k, trim)
    critical: dict[float, float] = {}
    if np.isnan(pvalue):
        detail["note"] = f"no tabulated null for q={k}, trim={trim:.4f} (need q<=5, 0.02<=trim)"
    else:
        critical = dict(zip(LEVELS, sup_f_critical(q=k, trim=trim).tolist(), strict=True))
    at = int(b[int(np.argmax(f))])
    res = FTest("supF", stat, pvalue, (float(k), float(n - 2 * k)), critical, at, detail)
    if null == "bootstrap":

        return bootstrap_sup_f(res, yy, XX, h=int(h), hac=hac, n_boot=n_boot, seed=seed,
                               stop_after=stop_after)
    return res


def _check_null(null: Any, n_boot: Any, seed: Any) -> str:
    if null not in ("asymptotic", "bootstrap"):
        raise NkfxValueError(f"null must be 'asymptotic' or 'bootstrap'; got {null!r}")
    if null == "bootstrap":

        check_bootstrap(n_boot, seed)
    return str(null)


def chow(
    y: Any,
    X: Any = None,
    *,
    b: int,
    hac: bool = False,
    null: str = "asymptotic",
    n_boot: int = 199,
    seed: int = 0,
) -> FTest:
    """Chow test for a break after the known index ``b``.

    Classical: ``F = ((RSS_0 - RSS_1) / k) / (RSS_1 / (n - 2k))`` with an ``F(k, n - 2k)``
    p-value (R: ``sctest(y ~ x, type = "Chow", point = b + 1)``). With ``hac=True``: the HAC Wald
    statistic of :func:`nkfx.detect.ftests._path.hac_wald` divided by ``k``, with a ``chi2(k) / k`` p-value
    (``df = (k, inf)``).

    Parameters
    ----------
    y, X, hac
        As in :func:`f_statistics`.
    null, n_boot, seed
        As in :func:`sup_f`.
    b : int
        Last index of the old regime, ``k - 1 <= b <= n - k - 1``.

    Returns
    -------
    FTest
        Statistic, p-value, degrees of freedom and critical values at 90/95/99%.

    Examples
    --------
    >>> res = chow([0.0, 1.0, 0.0, 5.0, 6.0, 5.0], b=2)
    >>> round(res.statistic, 2), round(res.pvalue, 4)
    (112.5, 0.0004)
    """
    null = _check_null(null, n_boot, seed)
    yy, XX = _as_data(y, X)
    n, k = XX.shape
    if isinstance(b, bool) or not isinstance(b, int | np.integer):
        raise NkfxTypeError(f"b must be an integer break index; got {b!r}")
    if not k - 1 <= b <= n - k - 1 or n <= 2 * k:
        raise NkfxValueError(f"b must be between {k - 1} and {n - k - 1} for n={n}, k={k}; got {b}")
    if hac:
        stat = hac_wald(yy, XX, int(b)) / k
        pvalue = float(stats.chi2.sf(stat * k, k))
        crit = {lv: float(stats.chi2.ppf(lv, k) / k) for lv in LEVELS}
        df: tuple[float, ...] = (float(k), float("inf"))
    else:
        ys, Xs = _standardise(yy, XX)
        rss0 = _rss0(ys, Xs)
        rss1 = _rss0(ys[: b + 1], Xs[: b + 1]) + _rss0(ys[b + 1 :], Xs[b + 1 :])
        stat = float((rss0 - rss1) / k / (rss1 / (n - 2 * k))) if rss1 > 0 else float("inf")
        pvalue = float(stats.f.sf(stat, k, n - 2 * k))
        crit = {lv: float(stats.f.ppf(lv, k, n - 2 * k)) for lv in LEVELS}
        df = (float(k), float(n - 2 * k))
    res = FTest("Chow (HAC)" if hac else "Chow", stat, pvalue, df, crit, int(b), {"hac": hac})
    if null == "bootstrap":

        return bootstrap_chow(res, yy, XX, hac=hac, n_boot=n_boot, seed=seed)
    return res



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
        The observed supF result of :func:`nkfx.detect.ftests._single.sup_f` (same ``h`` and ``hac``).
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
    >>> from nkfx.detect.ftests._single import sup_f
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
    >>> from nkfx.detect.ftests._single import chow
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
    >>> from nkfx.detect.ftests._single import chow
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
