"""Structural breaks with dates: :func:`detect`, :func:`chow_test`, :func:`sup_f_test`.

Date convention
---------------
A break lies between two consecutive observations. nkfx reports both sides:
``last_old`` (the date of the last observation of the old regime) and ``first_new``
(the date of the first observation of the new regime). Positions, where shown, are
0-based and point at ``last_old``; R strucchange's 1-based ``breakpoints`` value ``i``
is the same observation, so ``index == i - 1`` and ``last_old == dates[i - 1]``.
Break-date intervals use the ``last_old`` convention too (as strucchange's
``confint()``). :func:`chow_test` takes ``at`` as the first date of the new regime.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from nkfx._validate import check_option
from nkfx.detect._bp_method import bai_perron_method
from nkfx.detect._ftest_api import chow_test, sup_f_test
from nkfx.detect._pelt_method import pelt_method
from nkfx.detect._prepare import (
    DEFAULT_MAX_BREAKS,
    check_common,
    prepare,
)
from nkfx.detect.results import Breaks
from nkfx.errors import NkfxTypeError, NkfxValueError

__all__ = ["chow_test", "detect", "sup_f_test"]

_RULES = ("bic", "lwz", "sequential")

def detect(
    data: pd.Series | pd.DataFrame,
    method: str = "bai-perron",
    *,
    city: str | None = None,
    currency: str | None = None,
    source: str | None = None,
    model: str = "mean",
    scale: str = "log",
    trim: float | int | str | pd.Timedelta | None = None,
    max_breaks: int | None = DEFAULT_MAX_BREAKS,
    n_breaks: str | int = "bic",
    level: float = 0.95,
    alpha: float = 0.05,
    hac: bool = False,
    het_reg: bool = True,
    het_err: bool = True,
    **options: Any,
) -> Breaks:
    """Find structural breaks in a rate series and date them with intervals.

    Exact least-squares segmentation (Bai & Perron 2003) of a mean-shift model
    (``y = mu_j``) or a trend model (``y = a_j + b_j * days``, days elapsed since the
    first date, so irregular dates are fine), with the number of breaks chosen by an
    information criterion or by sequential tests, Bai (1997) break-date intervals,
    and the sup-F and UDmax tests.

    Parameters
    ----------
    data : pandas.Series or pandas.DataFrame
        A Series of rates (KPW per unit) with a sorted, duplicate-free DatetimeIndex,
        or a rate frame with ``city``/``currency``/``source`` choosing one series.
    method : {"bai-perron", "pelt"}
        Detection method: exact least squares with intervals and tests
        (``"bai-perron"``), or exact penalised segmentation (``"pelt"``, PELT with
        functional pruning; options ``cost="l2" | "normal"`` and ``penalty="bic" |
        "mbic" | number``; no intervals, see :func:`nkfx.detect.penalty_path`).
    city, currency, source : str, optional
        Select one series from a rate frame (see :func:`nkfx.select`).
    model : {"mean", "trend"}
        Regime model: a level per regime, or a level and a slope per day.
    scale : {"log", "level"}
        Analyse natural-log rates (default) or the rates themselves.
    trim : float, int, str or pandas.Timedelta, optional
        Minimal segment length ``h``; default 0.15 for ``"bai-perron"`` and 2
        observations for ``"pelt"``. A fraction in (0, 0.5) gives
        ``h = floor(n * trim)`` as in strucchange; an int is ``h`` itself; a duration
        ``d`` (``"180D"``) gives ``h = ceil(n * d / span)``, the same share of the
        observations as ``d`` is of the time spanned by the data. ``h`` and the rule are
        recorded in ``Breaks.params``.
    max_breaks : int or None, default 5
        Largest number of breaks considered; ``None`` means as many as the data allow
        (``n // h - 1``). The default 5 is lowered to that limit when fewer fit; an
        explicit value above the limit raises an error naming it. The number used is
        ``params["max_breaks_used"]``.
    n_breaks : {"bic", "lwz", "sequential"} or int, default "bic"
        How many breaks to keep: minimal BIC or LWZ; ``"sequential"`` starts from a
        UDmax rejection at ``alpha`` and adds breaks while sup-F(l+1|l) rejects; an
        int forces that number.
    level : float, default 0.95
        Confidence level of the break-date intervals.
    alpha : float, default 0.05
        Significance level of the sequential tests.
    hac : bool, default False
        Autocorrelation-robust (HAC) intervals and sup-F statistic; the sup-F p-value
        is then bootstrapped (see ``**options``).
    het_reg, het_err : bool, default True
        Allow regressor moments / error variances to differ across regimes in the
        intervals (strucchange's ``het.reg``/``het.err``).
    **options
        Method-specific options; unknown names raise an error. ``"bai-perron"`` takes
        ``pvalue`` (``"auto"``, ``"asymptotic"`` or ``"bootstrap"``), ``n_boot`` (199)
        and ``seed`` (0) for the sup-F test, as in :func:`sup_f_test`: with
        ``hac=True`` its p-value comes from an AR-sieve bootstrap by default (about
        1.3 s more at n = 200); ``pvalue="asymptotic"`` skips it.

    Returns
    -------
    Breaks
        Break dates (``last_old``/``first_new``) with intervals, segments, criteria,
        tests and every parameter used.

    Raises
    ------
    NkfxTypeError
        If ``data`` is not a Series or DataFrame, or its index holds no dates.
    NkfxValueError
        For missing/infinite values, unsorted or duplicate dates, non-positive rates
        with ``scale="log"``, too large ``max_breaks`` or unknown options.
    InsufficientDataError
        If the series is too short for the trimming.

    Notes
    -----
    **Dates.** Each break is reported as ``last_old`` (last observation of the old
    regime) and ``first_new`` (first observation of the new one). The 0-based
    ``index`` column points at ``last_old``; R strucchange's 1-based
    ``breakpoints(...)$breakpoints`` value ``i`` is the same observation
    (``index == i - 1``), and ``confint()`` bounds map the same way (``ci_lower``,
    ``ci_upper``; bounds beyond the sample are clipped to it and a note says so, bounds
    strucchange returns as NA are ``NaT`` with a :class:`~nkfx.DataQualityWarning`).

    **Degenerate data.** A series that is constant (or, for ``model="trend"``, exactly
    linear) has zero residual sum of squares for every number of breaks; the result
    then has no break, no tests, NaN criteria and a note saying so.

    **Autocorrelated errors.** BIC and LWZ assume independent errors. With AR(1)
    errors (rho = 0.5) and no break, n = 200, BIC chose at least one break in 51% of
    300 simulated series and LWZ in 6%. ``hac=True`` makes the intervals and the sup-F
    test robust but does not change that choice. Prefer ``n_breaks="lwz"``, or check
    the number of breaks with ``sup_f_test(..., hac=True)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, nkfx
    >>> dates = pd.date_range("2021-01-04", periods=60, freq="W-MON")
    >>> wiggle = np.exp(0.01 * np.sin(np.arange(60)))
    >>> rate = pd.Series(np.r_[np.full(30, 5000.0), np.full(30, 7000.0)] * wiggle, index=dates)
    >>> res = nkfx.detect(rate)
    >>> res.n_breaks
    1
    >>> res.breaks[["last_old", "first_new"]]
             last_old  first_new
    break
    1      2021-07-26 2021-08-02
    >>> round(res.breaks["jump_pct"].iloc[0])
    40
    """
    method = check_option("method", method, tuple(_METHODS))
    check_common(model=model, scale=scale, hac=hac)
    _check_n_breaks(n_breaks)
    for name, value in (("level", level), ("alpha", alpha)):
        _check_probability(name, value)
    for name, flag in (("het_reg", het_reg), ("het_err", het_err)):
        if not isinstance(flag, bool | np.bool_):
            raise NkfxTypeError(f"{name} must be True or False; got {flag!r}")
    if trim is None and method == "bai-perron":
        trim = 0.15  # strucchange's default; PELT's own default (2 observations) applies otherwise
    prep = prepare(data, city=city, currency=currency, source=source, scale=scale, model=model)
    return _METHODS[method](
        prep,
        trim=trim,
        max_breaks=max_breaks,
        n_breaks=n_breaks,
        level=float(level),
        alpha=float(alpha),
        hac=bool(hac),
        het_reg=bool(het_reg),
        het_err=bool(het_err),
        **options,
    )


def _check_n_breaks(n_breaks: Any) -> None:
    if isinstance(n_breaks, str):
        check_option("n_breaks", n_breaks, _RULES)
    elif isinstance(n_breaks, bool) or not isinstance(n_breaks, numbers.Integral):
        raise NkfxTypeError(
            f"n_breaks must be one of 'bic', 'lwz', 'sequential' or an int; got {type(n_breaks).__name__}"
        )
    elif n_breaks < 0:
        raise NkfxValueError(f"n_breaks must be >= 0; got {n_breaks!r}")


def _check_probability(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise NkfxTypeError(f"{name} must be a number in (0, 1); got {type(value).__name__}")
    if not 0.0 < float(value) < 1.0:
        raise NkfxValueError(f"{name} must be in (0, 1); got {value!r}")


#: Detection methods by name; issue 5 adds "pelt".
_METHODS: dict[str, Callable[..., Breaks]] = {"bai-perron": bai_perron_method, "pelt": pelt_method}
