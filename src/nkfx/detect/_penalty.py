"""Penalties for penalised segmentation: named criteria and the robust noise scale.

Conventions (``n`` observations, ``p`` parameters per segment: 1 for ``"l2"``, the mean;
2 for ``"normal"``, mean and variance):

``"bic"``
    ``(p + 1) * log(n)`` per change: the new segment's parameters plus the change
    location. For ``"l2"`` this is ``2 * log(n) * sigma2`` on the RSS scale, the
    penalty ruptures' and R changepoint's examples use (``pen = 2 log(n) sigma^2``).
``"mbic"``
    Zhang & Siegmund (2007), Biometrics 63, 22-32: ``(p + 2) * log(n)`` per change
    plus ``p * sum_j log(n_j / n)`` over the segment lengths ``n_j``. For ``p = 1`` this
    is their modified BIC (up to a constant); for ``"normal"`` we apply the same
    Laplace-approximation argument to both segment parameters. The length term rewards
    balanced segments, so short spurious segments need stronger evidence.
a positive number
    Used as given, in the units of the cost (RSS for ``"l2"``, twice the
    log-likelihood for ``"normal"``), exactly like ruptures' ``pen``.

Named penalties are scaled for ``"l2"`` by ``sigma2``, a robust estimate of the noise
variance: ``(1.4826 * MAD(diff(y)))**2 / 2``. Differencing removes the level shifts
(each shift touches one difference) and the MAD ignores a few outliers. The
``"normal"`` cost is already scale free, so its penalties are not scaled.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from nkfx.errors import NkfxTypeError, NkfxValueError

__all__ = ["COSTS", "NAMED", "PenaltySpec", "noise_variance", "resolve_penalty"]

#: Cost names (the kernels live in :mod:`._costs`, which imports numba).
COSTS: tuple[str, ...] = ("l2", "normal")
NAMED: tuple[str, ...] = ("bic", "mbic")
_MAD_TO_SD = 1.4826  # 1 / Phi^{-1}(3/4): MAD of a normal sample -> its standard deviation
_PARAMS = {"l2": 1, "normal": 2}


def noise_variance(y: np.ndarray) -> float:
    """Robust noise variance of ``y``: squared normal-consistent MAD of differences / 2.

    Falls back to the variance of the differences / 2 when more than half of them are
    equal (MAD = 0, e.g. stale repeated quotes), and to 1.0 for a constant series,
    where every penalty gives the same answer (no break).
    """
    d = np.diff(y)
    if d.size == 0:
        return 1.0
    mad = float(np.median(np.abs(d - np.median(d))))
    if mad > 0.0:
        return (_MAD_TO_SD * mad) ** 2 / 2.0
    var = float(np.var(d))
    return var / 2.0 if var > 0.0 else 1.0


@dataclass(frozen=True)
class PenaltySpec:
    """A resolved penalty, in the units of the cost."""

    name: str | None  # "bic", "mbic", or None for a number given by the user
    per_change: float
    segment_coef: float  # multiplies sum_j log(n_j / n); 0 unless "mbic"
    sigma2: float  # robust noise variance (the scale of named "l2" penalties)


def resolve_penalty(penalty: Any, *, cost: str, y: np.ndarray) -> PenaltySpec:
    """Turn ``penalty`` (a name or a positive number) into a :class:`PenaltySpec`."""
    n = y.size
    sigma2 = noise_variance(y)
    if isinstance(penalty, str):
        if penalty not in NAMED:
            raise NkfxValueError(
                f"penalty must be one of 'bic', 'mbic' or a positive number; got {penalty!r}"
            )
        p = _PARAMS[cost]
        scale = sigma2 if cost == "l2" else 1.0
        log_n = math.log(max(n, 2))
        if penalty == "bic":
            return PenaltySpec("bic", (p + 1) * log_n * scale, 0.0, sigma2)
        return PenaltySpec("mbic", (p + 2) * log_n * scale, p * scale, sigma2)
    if isinstance(penalty, bool) or not isinstance(penalty, numbers.Real):
        raise NkfxTypeError(
            "penalty must be one of 'bic', 'mbic' or a positive number; "
            f"got {type(penalty).__name__}"
        )
    value = float(penalty)
    if not (math.isfinite(value) and value > 0.0):
        raise NkfxValueError(
            f"penalty must be one of 'bic', 'mbic' or a positive number; got {penalty!r}"
        )
    return PenaltySpec(None, value, 0.0, sigma2)
