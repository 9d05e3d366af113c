"""Sieve-bootstrap null distributions for the F tests (numeric core).

Why: with autocorrelated errors the HAC sup-F test (strucchange's ``Fstats(vcov. = kernHAC)``)
over-rejects badly in the samples this data has. With AR(1) errors, rho = 0.5, the asymptotic
5% test rejects 10-12% of null series at n = 200 and 7-9% at n = 500. The bootstrap redraws the
series under the null with the estimated dependence and recomputes the *same* statistic, so its
quantiles carry the small-sample distortion with them.

Recipe (Buhlmann 1997's AR sieve, with residuals from the alternative for power):

1. residuals ``u`` of the unrestricted fit (regimes split at the test's break date), so that a
   real break does not pass for persistence and inflate the null;
2. an AR(p) for ``u`` by Yule-Walker (Levinson-Durbin), ``p`` by AIC up to
   ``floor(10 log10 n)`` (R ``ar()``'s default). Yule-Walker estimates are always stationary
   but biased towards zero in short samples, and more so after the split of step 1, which is
   placed where it removes most low-frequency variation. Kilian's (1998) bootstrap bias
   correction undoes that: ``n_sim = 200`` series are drawn from the fitted AR, split and
   refitted the same way, and the mean shift of the estimates is subtracted (shrunk, if
   needed, until the AR stays stationary). Measured with AR(1) errors, rho = 0.5, 5% tests:
   the bootstrap test's size falls from 6.0% to 4.9% at n = 200 (1,000 series, B = 199) and
   from 6.8% to 6.1% at n = 100 (3,000 series, warp-speed);
3. ``B`` series ``y* = X beta_0 + u*``: ``u*`` is the AR(p) recursion driven by centred
   innovations drawn with replacement, after a burn-in of ``max(100, 10 p)`` steps;
   ``beta_0`` is the no-break fit;
4. the p-value ``(1 + #{T* >= T}) / (B + 1)`` and critical values as quantiles of ``T*``.

Deterministic: everything is drawn from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nkfx.errors import NkfxTypeError, NkfxValueError

FloatArray = NDArray[np.float64]

__all__ = [
    "Sieve",
    "bias_corrected",
    "bootstrap_pvalue",
    "check_bootstrap",
    "fit_sieve",
    "null_samples",
    "sieve_samples",
    "split_residuals",
    "yule_walker_aic",
]


@dataclass(frozen=True)
class Sieve:
    """An AR(p) fitted to residuals: coefficients and centred innovations."""

    phi: FloatArray
    innovations: FloatArray

    @property
    def order(self) -> int:
        return int(self.phi.size)


def check_bootstrap(n_boot: object, seed: object) -> tuple[int, int]:
    """Validate ``n_boot`` (an int >= 19) and ``seed`` (an int >= 0)."""
    for name, value, low in (("n_boot", n_boot, 19), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise NkfxTypeError(f"{name} must be an integer; got {value!r}")
        if value < low:
            raise NkfxValueError(f"{name} must be at least {low}; got {value}")
    return int(n_boot), int(seed)  # type: ignore[call-overload]


def yule_walker_aic(u: FloatArray, max_order: int | None = None) -> FloatArray:
    """AR coefficients by Yule-Walker with the order minimising AIC (Levinson-Durbin).

    Parameters
    ----------
    u : ndarray, shape (n,)
        A series; its mean is removed.
    max_order : int, optional
        Largest order tried; default ``floor(10 log10 n)`` (as R's ``ar()``), at most
        ``n - 1``.

    Returns
    -------
    ndarray
        ``phi`` with ``u_t = sum_j phi_j u_{t-j} + eps_t``; empty for white noise.

    Examples
    --------
    >>> from scipy.signal import lfilter
    >>> u = lfilter([1.0], [1.0, -0.6], np.random.default_rng(0).standard_normal(2000))
    >>> np.round(yule_walker_aic(u, max_order=1), 2).tolist()
    [0.6]
    """
    u = np.asarray(u, dtype=np.float64)
    n = u.size
    p_max = int(np.floor(10 * np.log10(n))) if max_order is None else int(max_order)
    p_max = max(0, min(p_max, n - 1))
    x = u - u.mean()
    acov = np.array([x[: n - lag] @ x[lag:] / n for lag in range(p_max + 1)])
    if acov[0] <= 0.0:
        return np.zeros(0)
    phi, sig = np.zeros(0), acov[0]
    best, best_aic = phi, n * np.log(sig)
    for p in range(1, p_max + 1):
        refl = (acov[p] - phi @ acov[1:p][::-1]) / sig
        phi = np.r_[phi - refl * phi[::-1], refl]
        sig *= 1.0 - refl * refl
        if sig <= 0.0:  # a perfectly predictable series: stop at the last usable order
            break
        aic = n * np.log(sig) + 2 * p
        if aic < best_aic:
            best, best_aic = phi.copy(), aic
    return best


def fit_sieve(u: FloatArray, max_order: int | None = None) -> Sieve:
    """Fit the AR sieve to residuals ``u``; innovations are centred.

    Examples
    --------
    >>> s = fit_sieve(np.random.default_rng(0).standard_normal(300))
    >>> s.order, s.innovations.size, abs(float(s.innovations.mean())) < 1e-12
    (0, 300, True)
    """
    u = np.asarray(u, dtype=np.float64)
    phi = yule_walker_aic(u, max_order)
    x = u - u.mean()
    p = phi.size
    eps = x[p:] - sum(phi[j] * x[p - 1 - j : x.size - 1 - j] for j in range(p)) if p else x
    eps = np.asarray(eps, dtype=np.float64)
    return Sieve(phi, eps - eps.mean())


def sieve_samples(sieve: Sieve, n: int, n_boot: int, rng: np.random.Generator) -> FloatArray:
    """``n_boot`` AR(p) error series of length ``n`` driven by resampled innovations.

    Examples
    --------
    >>> s = Sieve(np.array([0.5]), np.array([-1.0, 0.0, 1.0]))
    >>> sieve_samples(s, 50, 4, np.random.default_rng(0)).shape
    (4, 50)
    """
    from scipy.signal import lfilter  # scipy.signal costs 0.15 s at `import nkfx`; only draws use it

    burn = max(100, 10 * sieve.order)
    draws = rng.choice(sieve.innovations, size=(n_boot, n + burn), replace=True)
    out = lfilter([1.0], np.r_[1.0, -sieve.phi], draws, axis=1)[:, burn:]
    return np.asarray(out, dtype=np.float64)


def split_residuals(y: FloatArray, X: FloatArray, b: int) -> FloatArray:
    """Residuals of separate OLS fits on ``0..b`` and ``b+1..n-1`` (the unrestricted model).

    ``y`` may be one series (n,) or a stack (r, n) sharing ``X``.

    Examples
    --------
    >>> split_residuals(np.array([1.0, 2.0, 3.0, 10.0, 12.0]), np.ones((5, 1)), 2).tolist()
    [-1.0, 0.0, 1.0, -1.0, 1.0]
    """
    Y = np.atleast_2d(y)
    out = np.empty_like(Y, dtype=np.float64)
    for sl in (slice(0, b + 1), slice(b + 1, None)):
        coef, *_ = np.linalg.lstsq(X[sl], Y[:, sl].T, rcond=None)
        out[:, sl] = Y[:, sl] - (X[sl] @ coef).T
    return out.reshape(np.shape(y))


def _yule_walker_rows(Y: FloatArray, p: int) -> FloatArray:
    """Yule-Walker AR(p) coefficients of every row of ``Y`` (means removed), shape (r, p)."""
    x = Y - Y.mean(axis=1, keepdims=True)
    n = x.shape[1]
    acov = np.stack([(x[:, : n - lag] * x[:, lag:]).sum(axis=1) / n for lag in range(p + 1)], axis=1)
    toeplitz = acov[:, np.abs(np.subtract.outer(np.arange(p), np.arange(p)))]
    ok = acov[:, 0] > 0.0
    out = np.zeros((Y.shape[0], p))
    out[ok] = np.linalg.solve(toeplitz[ok], acov[ok, 1:, None])[..., 0]
    return out


def _stationary(phi: FloatArray) -> bool:
    return bool(phi.size == 0 or np.max(np.abs(np.roots(np.r_[1.0, -phi]))) < 1.0)


def bias_corrected(
    sieve: Sieve,
    residualise: Callable[[FloatArray], FloatArray],
    n: int,
    rng: np.random.Generator,
    n_sim: int = 200,
) -> Sieve:
    """Kilian's (1998) bootstrap bias correction of the sieve's AR coefficients.

    Parameters
    ----------
    sieve : Sieve
        The fitted AR(p) and its innovations.
    residualise : callable
        The residual step applied to the data before the fit (e.g. the split of step 1),
        applied to a stack of simulated series (r, n).
    n : int
        Series length.
    rng : numpy.random.Generator
        Source of the simulations.
    n_sim : int, default 200
        Simulated series.

    Returns
    -------
    Sieve
        ``phi - delta * bias`` with the largest ``delta`` in 1, 0.99, ..., 0 that keeps the AR
        stationary; the innovations are unchanged.

    Examples
    --------
    >>> from scipy.signal import lfilter
    >>> u = lfilter([1.0], [1.0, -0.5], np.random.default_rng(3).standard_normal(60))
    >>> s = fit_sieve(u - u.mean(), max_order=1)
    >>> fixed = bias_corrected(s, lambda Y: Y - Y.mean(axis=1, keepdims=True), 60,
    ...                        np.random.default_rng(0))
    >>> bool(fixed.phi[0] > s.phi[0])  # Yule-Walker shrinks towards 0; the correction undoes it
    True
    """
    p = sieve.order
    if p == 0:
        return sieve
    sims = sieve_samples(sieve, n, n_sim, rng)
    bias = _yule_walker_rows(residualise(sims), p).mean(axis=0) - sieve.phi
    for delta in np.linspace(1.0, 0.0, 101):
        phi = sieve.phi - delta * bias
        if _stationary(phi):
            return Sieve(phi, sieve.innovations)
    return sieve


def null_samples(
    y: FloatArray, X: FloatArray, b: int, n_boot: int, seed: int
) -> tuple[FloatArray, Sieve]:
    """Bootstrap series under "no break": the no-break fit plus sieve errors (steps 1-3).

    Parameters
    ----------
    y, X : ndarray
        Data, shapes (n,) and (n, k).
    b : int
        Break index of the test (last index of the old regime) whose residuals feed the sieve.
    n_boot, seed : int
        Number of series and the seed of ``numpy.random.default_rng``.

    Returns
    -------
    samples : ndarray, shape (n_boot, n)
    sieve : Sieve

    Examples
    --------
    >>> y = np.r_[np.zeros(50), np.ones(50)] + np.random.default_rng(0).normal(0, 0.1, 100)
    >>> ys, s = null_samples(y, np.ones((100, 1)), 49, 9, seed=0)
    >>> ys.shape, s.order
    ((9, 100), 0)
    """
    rng = np.random.default_rng(seed)
    sieve = fit_sieve(split_residuals(y, X, b))
    sieve = bias_corrected(sieve, lambda Y: split_residuals(Y, X, b), y.size, rng)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    errors = sieve_samples(sieve, y.size, n_boot, rng)
    return np.asarray(X @ coef + errors, dtype=np.float64), sieve


def bootstrap_pvalue(stat: float, null: FloatArray) -> float:
    """``(1 + #{null >= stat}) / (B + 1)``; ``nan`` for a ``nan`` statistic.

    Examples
    --------
    >>> bootstrap_pvalue(3.0, np.array([1.0, 2.0, 3.0, 4.0]))
    0.6
    """
    if np.isnan(stat):
        return float("nan")
    return float((1 + np.sum(null >= stat)) / (null.size + 1))
