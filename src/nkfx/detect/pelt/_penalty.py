"""Penalties for penalised segmentation: named criteria and the robust noise scale.

Conventions (``n`` observations, ``p`` parameters per segment: 1 for ``"l2"`` and
``"biweight"``, the level; 2 for ``"normal"``, mean and variance):

``"bic"``
    ``(p + 1) * log(n)`` per change: the new segment's parameters plus the change
    location. For ``"l2"`` this is ``2 * log(n) * sigma2`` on the RSS scale, the
    penalty ruptures' and R changepoint's examples use (``pen = 2 log(n) sigma^2``).
``"bic-lrv"``
    ``"bic"`` with the noise variance replaced by the *long-run* variance of the noise,
    ``lrv = sigma2_ar * (1 + phi) / (1 - phi)`` for AR(1) noise of marginal variance
    ``sigma2_ar`` and lag-one autocorrelation ``phi``: ``2 * log(n) * lrv`` for ``"l2"``
    and ``"biweight"``, ``3 * log(n) * (1 + phi) / (1 - phi)`` for ``"normal"``. The gain
    in RSS from splitting a long stretch of noise grows with the variance of a
    segment *mean*, which is ``lrv / L`` (not ``sigma2 / L``) when the errors are
    autocorrelated; this is the scaling of the CUSUM and sup-F statistics under
    dependence (Bai & Perron 1998, Csorgo & Horvath 1997, Lavielle & Moulines 2000).
    With white noise (``phi = 0``) it equals ``"bic"``.
``"mbic"``
    Zhang & Siegmund (2007), Biometrics 63, 22-32: ``(p + 2) * log(n)`` per change
    plus ``p * sum_j log(n_j / n)`` over the segment lengths ``n_j``. For ``p = 1`` this
    is their modified BIC (up to a constant); for ``"normal"`` we apply the same
    Laplace-approximation argument to both segment parameters. The length term rewards
    balanced segments, so short spurious segments need stronger evidence.
a positive number
    Used as given, in the units of the cost (RSS for ``"l2"``, twice the
    log-likelihood for ``"normal"``), exactly like ruptures' ``pen``.

Named penalties are scaled for ``"l2"`` and ``"biweight"`` by ``sigma2``, a robust
estimate of the noise variance: ``(1.4826 * MAD(diff(y)))**2 / 2``. Differencing removes
the level shifts (each shift touches one difference) and the MAD ignores a few
outliers. The ``"normal"`` cost is already scale free, so its penalties are not scaled.

The AR(1) noise behind ``"bic-lrv"`` (:func:`ar1_noise`) is fitted to the robust
variogram of the series, ``v_k = (1.4826 * MAD(y[k:] - y[:-k]))**2`` for lags
``k = 1..K`` (``K = 10``, fewer for short series). For AR(1) noise
``v_k = 2 sigma2_ar (1 - phi**k)``; ``phi`` minimises the squared misfit over a grid of
step 0.01 with ``sigma2_ar`` profiled out (least squares). This is the variogram
estimator of DeCAFS (Romano, Rigaill, Runge & Fearnhead 2022) without its
random-walk term; with ``K = 2`` it is the estimator of AR1Seg (Chakar, Lebarbier,
Levy-Leduc & Robin 2017), which we found too noisy at n = 300 (``phi`` between 0.14
and 0.90 in 90% of series with ``phi = 0.5``; 0.34 to 0.66 with ``K = 10``). A level
shift touches only ``k`` differences of lag ``k``, so a few shifts and outliers do not
move the MADs. ``phi`` is kept in ``[0, 0.9]``: white noise gives ``"bic"`` (never a
smaller penalty), and a series whose variogram keeps growing like a random walk's gets
``phi = 0.9`` and a 19-fold long-run variance: a mean-shift model cannot describe
such a series, only its largest moves. Dates are not used: ``phi`` is per
observation, whatever the gaps between them.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from nkfx.errors import NkfxTypeError, NkfxValueError

__all__ = [
    "COSTS",
    "COST_TABLE",
    "NAMED",
    "PHI_MAX",
    "Ar1Noise",
    "Cost",
    "PenaltySpec",
    "ar1_noise",
    "noise_variance",
    "resolve_penalty",
]



@dataclass(frozen=True)
class Cost:
    """What PELT needs to know of a segment cost: adding a cost is one entry and one kernel."""

    kernel: str  # "prefix": code ``code`` of _costs.segment_cost; "biweight": _robust's solvers
    code: int  # kernel code in _costs (-1 when the cost has its own solvers)
    n_params: int  # parameters per segment, the p of the named penalties
    min_segment: int  # fewest observations a segment can hold
    noise_scaled: bool  # named penalties are multiples of the noise variance (else likelihood units)
    fpop: bool  # functional pruning applies (with a constant penalty)
    var_floor: bool  # segment variances are floored at VAR_FLOOR_FACTOR x the noise variance
    unit: str  # what the cost, and so a penalty, is measured in (said in the notes)
    why_min: str = ""  # said when min_size is below min_segment


#: Every segment cost, read by each check of a cost (kernels in :mod:`._costs` and
#: :mod:`._robust`, which import numba; this table does not).
COST_TABLE: dict[str, Cost] = {
    "l2": Cost("prefix", 0, n_params=1, min_segment=1, noise_scaled=True, fpop=True,
               var_floor=False, unit="RSS"),
    "normal": Cost("prefix", 1, n_params=2, min_segment=2, noise_scaled=False, fpop=False,
                   var_floor=True, unit="2 x log-likelihood",
                   why_min=" (a variance needs two observations)"),
    "biweight": Cost("biweight", -1, n_params=1, min_segment=1, noise_scaled=True, fpop=True,
                     var_floor=False, unit="capped squared deviations"),
}
COSTS: tuple[str, ...] = tuple(COST_TABLE)
NAMED: tuple[str, ...] = ("bic", "bic-lrv", "mbic")
#: Largest AR(1) coefficient ``"bic-lrv"`` uses (long-run variance at most 19 x marginal).
PHI_MAX = 0.9
#: Largest lag of the variogram behind :func:`ar1_noise`.
MAX_LAG = 10
_PHI_GRID = np.linspace(0.0, PHI_MAX, 91)
_MAD_TO_SD = 1.4826  # 1 / Phi^{-1}(3/4): MAD of a normal sample -> its standard deviation
_CHOICES = "'bic', 'bic-lrv', 'mbic' or a positive number"


def noise_variance(y: np.ndarray) -> float:
    """Robust noise variance of ``y``: squared normal-consistent MAD of differences / 2.

    Falls back to the variance of the differences / 2 when more than half of them are
    equal (MAD = 0, e.g. stale repeated quotes), and to 1.0 for a constant series,
    where every penalty gives the same answer (no break).
    """
    v1 = _lag_variance(y, 1)
    return v1 / 2.0 if v1 > 0.0 else 1.0


def _lag_variance(y: np.ndarray, lag: int) -> float:
    """Robust variance of ``y[lag:] - y[:-lag]`` (plain variance when the MAD is 0), 0 if none."""
    d = y[lag:] - y[:-lag]
    if d.size == 0:
        return 0.0
    mad = float(np.median(np.abs(d - np.median(d))))
    if mad > 0.0:
        return (_MAD_TO_SD * mad) ** 2
    return float(np.var(d))


@dataclass(frozen=True)
class Ar1Noise:
    """Robust AR(1) fit of the noise: marginal variance, ``phi`` and long-run variance."""

    sigma2: float  # marginal variance of the noise
    phi: float  # lag-one autocorrelation, in [0, PHI_MAX]
    lrv: float  # long-run variance sigma2 * (1 + phi) / (1 - phi)

    @property
    def inflation(self) -> float:
        """``lrv / sigma2 = (1 + phi) / (1 - phi)``."""
        return (1.0 + self.phi) / (1.0 - self.phi)


def ar1_noise(y: np.ndarray) -> Ar1Noise:
    """Fit AR(1) noise robustly to the variogram at lags 1 to 10 (see the module notes).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> e = np.zeros(20_000)
    >>> for t in range(1, e.size):
    ...     e[t] = 0.5 * e[t - 1] + rng.normal()
    >>> fit = ar1_noise(np.r_[np.zeros(10_000), np.full(10_000, 5.0)] + e)
    >>> round(fit.phi, 1), round(fit.sigma2, 1), round(fit.lrv, 0)  # true 0.5, 1.33, 4
    (0.5, 1.3, 4.0)
    """
    lags = np.arange(1, min(MAX_LAG, (y.size - 1) // 3) + 1)
    v = np.array([_lag_variance(y, int(k)) for k in lags])
    if v.size == 0 or v[0] <= 0.0:  # constant or tiny series: any penalty gives no break
        v1 = v[0] if v.size and v[0] > 0.0 else 0.0
        sigma2 = v1 / 2.0 if v1 > 0.0 else 1.0
        return Ar1Noise(sigma2, 0.0, sigma2)
    if v.size < 2:
        return Ar1Noise(v[0] / 2.0, 0.0, v[0] / 2.0)  # too short to fit phi
    shape = 1.0 - _PHI_GRID[:, None] ** lags[None, :]  # v_k / (2 sigma2) for each phi
    amp = (shape @ v) / np.sum(shape * shape, axis=1)  # least-squares 2 sigma2 per phi
    misfit = np.sum((v[None, :] - amp[:, None] * shape) ** 2, axis=1)
    best = int(np.argmin(misfit))
    phi = float(_PHI_GRID[best])
    sigma2 = float(amp[best]) / 2.0
    return Ar1Noise(sigma2, phi, sigma2 * (1.0 + phi) / (1.0 - phi))


@dataclass(frozen=True)
class PenaltySpec:
    """A resolved penalty, in the units of the cost."""

    name: str | None  # "bic", "bic-lrv", "mbic", or None for a number given by the user
    per_change: float
    segment_coef: float  # multiplies sum_j log(n_j / n); 0 unless "mbic"
    sigma2: float  # robust white-noise variance (the scale of "bic" and "mbic")
    noise: Ar1Noise  # robust AR(1) fit (the scale of "bic-lrv" and of the biweight cap)
    scale: float  # the variance the named penalty is a multiple of (1.0 for "normal")


def resolve_penalty(penalty: Any, *, cost: str, y: np.ndarray) -> PenaltySpec:
    """Turn ``penalty`` (a name or a positive number) into a :class:`PenaltySpec`."""
    n = y.size
    sigma2 = noise_variance(y)
    noise = ar1_noise(y)
    if isinstance(penalty, str):
        if penalty not in NAMED:
            raise NkfxValueError(f"penalty must be one of {_CHOICES}; got {penalty!r}")
        p = COST_TABLE[cost].n_params
        scaled = COST_TABLE[cost].noise_scaled
        log_n = math.log(max(n, 2))
        if penalty == "bic-lrv":
            scale = noise.lrv if scaled else noise.inflation
            return PenaltySpec("bic-lrv", (p + 1) * log_n * scale, 0.0, sigma2, noise, scale)
        scale = sigma2 if scaled else 1.0
        if penalty == "bic":
            return PenaltySpec("bic", (p + 1) * log_n * scale, 0.0, sigma2, noise, scale)
        return PenaltySpec("mbic", (p + 2) * log_n * scale, p * scale, sigma2, noise, scale)
    if isinstance(penalty, bool) or not isinstance(penalty, numbers.Real):
        raise NkfxTypeError(f"penalty must be one of {_CHOICES}; got {type(penalty).__name__}")
    value = float(penalty)
    if not (math.isfinite(value) and value > 0.0):
        raise NkfxValueError(f"penalty must be one of {_CHOICES}; got {penalty!r}")
    return PenaltySpec(None, value, 0.0, sigma2, noise, 1.0)
