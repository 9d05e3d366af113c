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
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from nkfx._validate import check_option
from nkfx.detect._prepare import (
    check_common,
    prepare,
)
from nkfx.detect.bai_perron._method import bai_perron_method
from nkfx.detect.bai_perron._regressors import with_regressors
from nkfx.detect.ftests.api import chow_test, sup_f_test
from nkfx.detect.jumps._method import jumps_method
from nkfx.detect.pelt._method import pelt_method
from nkfx.detect.results import Breaks
from nkfx.errors import NkfxTypeError, NkfxValueError

__all__ = ["chow_test", "detect", "sup_f_test"]

_RULES = ("bic", "lwz", "sequential")

def detect(
    data: pd.Series | pd.DataFrame,
    method: str = "jumps",
    *,
    city: str | None = None,
    currency: str | None = None,
    source: str | None = None,
    model: str = "mean",
    scale: str = "log",
    trim: float | int | str | pd.Timedelta | None = None,
    max_breaks: int | Literal["auto"] | None = "auto",
    n_breaks: str | int = "bic",
    level: float = 0.95,
    alpha: float = 0.05,
    hac: bool = False,
    het_reg: bool = True,
    het_err: bool = True,
    regressors: pd.DataFrame | pd.Series | None = None,
    lags: int | Sequence[int] | None = None,
    fixed: str | Sequence[str] | None = None,
    **options: Any,
) -> Breaks:
    """Find the jumps or structural breaks in a rate series, with dates.

    Three methods, one result type (:class:`Breaks`):

    - ``"jumps"`` (default): abrupt jumps in a rate that otherwise drifts like a random
      walk and is reported with autocorrelated noise (the DeCAFS model of Romano,
      Rigaill, Runge & Fearnhead 2022, in elapsed days so irregular reports are fine).
      The drift, noise and noise memory are estimated robustly from the data; the
      exact optimum is found by functional pruning. Each jump is dated between two
      consecutive reports, with the move between them (``report_jump_pct``), the jump
      of the smoothed level (``jump_pct``) and its size in drift standard deviations
      (``z_drift``); :attr:`Breaks.path` is the smoothed level. This answers *did the
      rate jump when the event happened?*
    - ``"bai-perron"``: exact least-squares segmentation (Bai & Perron 2003) into
      regimes of constant mean (``model="mean"``) or trend (``model="trend"``, in days),
      or regime regressions on dated ``regressors`` and ``lags`` of the rate, with some
      coefficients optionally ``fixed`` across regimes (partial structural change),
      with the number of breaks by BIC, LWZ or sequential tests, Bai (1997) break-date
      intervals and the sup-F/UDmax tests. This answers *which eras does the series
      have, and how sure are we of their dates?*
    - ``"pelt"``: exact penalised segmentation into constant-mean regimes (PELT/FPOP).

    Parameters
    ----------
    data : pandas.Series or pandas.DataFrame
        A Series of rates (KPW per unit) with a sorted DatetimeIndex, or a rate frame
        with ``city``/``currency``/``source`` choosing one series. Several values on one
        date become their median, and the first of the result's ``notes`` says so (the
        rule of every nkfx analysis; ``nkfx.combine`` chooses another and keeps the spread).
    method : {"jumps", "bai-perron", "pelt"}, default "jumps"
        Detection method (above).
    city, currency, source : str, optional
        Select one series from a rate frame (see :func:`nkfx.select`).
    model : {"mean", "trend"}
        Regime model of ``"bai-perron"``: a level per regime, or a level and a slope
        per day. ``"jumps"`` has its own model (``Breaks.model == "drift"``).
    scale : {"log", "level"}
        Analyse natural-log rates (default) or the rates themselves.
    trim : float, int, str or pandas.Timedelta, optional
        Minimal segment length ``h`` of ``"bai-perron"`` (default 0.15) and ``"pelt"``
        (default 2 observations); not used by ``"jumps"``. A fraction in (0, 0.5) gives
        ``h = floor(n * trim)`` as in strucchange; an int is ``h`` itself; a duration
        ``d`` (``"180D"``) gives ``h = ceil(n * d / span)``, the same share of the
        observations as ``d`` is of the time spanned by the data. ``h`` and the rule are
        recorded in ``Breaks.params``.
    max_breaks : int, "auto" or None, default "auto"
        ``"bai-perron"``: largest number of breaks considered; ``None`` means as many as
        the data allow (``n // h - 1``). ``"auto"`` is 5, lowered to that limit when
        fewer fit (``params["max_breaks_used"]``); an explicit int above the limit raises
        an error naming it.
        strucchange's default, ``ceiling(n / h) - 2``, is the same number unless ``h``
        divides ``n``; then it is one less, because R leaves out the single partition into
        segments of exactly ``h`` observations. nkfx keeps it (it is a valid partition, and
        the UDmax tables cover it); pass ``max_breaks=n // h - 2`` to reproduce R there.
    n_breaks : {"bic", "lwz", "sequential"} or int, default "bic"
        ``"bai-perron"``: how many breaks to keep: minimal BIC (strucchange's default)
        or LWZ; ``"sequential"`` starts from a UDmax rejection at ``alpha`` and adds
        breaks while sup-F(l+1|l) rejects; an int forces that number.
    level : float, default 0.95
        ``"bai-perron"``: confidence level of the break-date intervals.
    alpha : float, default 0.05
        ``"bai-perron"``: significance level of the sequential tests.
    hac : bool, default False
        Autocorrelation-robust (HAC) intervals and sup-F statistic; the sup-F p-value
        is then bootstrapped (see ``**options``).
    het_reg, het_err : bool, default True
        ``"bai-perron"``: allow regressor moments / error variances to differ across
        regimes in the intervals (strucchange's ``het.reg``/``het.err``).
        ``level``, ``alpha``, ``het_reg`` and ``het_err`` belong to Bai–Perron's
        intervals and tests: the other methods refuse a value other than the default.
    regressors : pandas.DataFrame or pandas.Series, optional
        ``"bai-perron"`` only: regressors of the regime regression, one column per
        regressor, indexed by dates; every analysed date must have a finite row (extra dates
        are ignored). The model is then ``y_t = z_t' beta_j + x_t' delta`` in regime ``j``,
        with an intercept ``const`` (and ``days`` with ``model="trend"``) always included.
        Regressors are used as given (not logged). ``Breaks.model`` is ``"regression"``,
        ``Breaks.design`` holds the columns and ``Breaks.segments`` one coefficient column
        per regressor (with ``se_<name>``, ``se_hac_<name>``).
    lags : int or list of int, optional
        ``"bai-perron"`` only: lags of the analysed series (on its scale) as regressors,
        named ``lag1``, ``lag12``, ...; a lag counts observations (the previous report), not
        calendar time. The first ``max(lags)`` dates only serve as lags and are dropped, so
        a monthly series from January 1969 with ``lags=[1, 12]`` is analysed from January
        1970, as strucchange's Seatbelt example.
    fixed : str or list of str, optional
        Names of regressors (``const``, ``days``, ``lag<k>`` or columns of ``regressors``)
        whose coefficients stay the same in every regime: partial structural change (Bai &
        Perron 2003). Breaks are found by alternating the exact search given the fixed
        coefficients with OLS given the breaks, from three starts per number of breaks; the
        sup-F and UDmax tests use ``q`` = the number of breaking coefficients. Not available
        with ``n_breaks="sequential"`` or ``hac=True``. The intervals treat the fixed
        coefficients as known; in 1,000 simulated AR(1) series (n = 200, persistence 0.5
        fixed, mid-sample intercept break of 0.5 / 1.0 innovation sd) the 95% intervals
        covered the true date in 85% / 93% (80% for the small break when every coefficient
        may break): like all Bai (1997) intervals, they are too short for small breaks.
    **options
        Method-specific options; unknown names raise an error.
        ``"jumps"``: ``penalty`` (``"auto"``: 6 log n, or a positive number, in units of
        twice the log-likelihood), ``noise`` (``None`` to estimate, or a dict with
        ``s_eta``, the drift variance per day, ``s_eps``, the noise variance, and
        ``tau``, the noise memory in days) and ``tau_max`` (2.0: the longest noise memory
        considered, in median report spacings). ``"bai-perron"``: ``pvalue``
        (``"auto"``, ``"asymptotic"`` or ``"bootstrap"``), ``n_boot`` (199) and ``seed``
        (0) for the sup-F test, as in :func:`sup_f_test`. ``"pelt"``: ``cost``
        (``"biweight"``, the default, robust to single bad reports; ``"l2"``;
        ``"normal"``), ``penalty`` (``"bic-lrv"``, the default, BIC scaled by the
        long-run variance of AR(1) noise; ``"bic"``; ``"mbic"``; a number) and
        ``biweight_k`` (see :func:`nkfx.detect.penalty_path`).

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
        For missing/infinite values, unsorted dates, non-positive rates
        with ``scale="log"``, too large ``max_breaks`` or unknown options.
    InsufficientDataError
        If the series is too short for the trimming.

    Notes
    -----
    **Why jumps by default.** A market rate drifts like a random walk with rare jumps.
    A mean-shift model with 15% trimming sees only eras, and PELT's white-noise penalty
    sees a break in every wobble. On Daily NK's fortnightly dollar series (343 reports
    per city, 2009-2026) ``detect(s)`` finds 21-24 jumps per city, 11-13 of them in
    the turmoil after the 2009 redenomination. Every city's list includes the freight
    restart of January 2022 (+43% between the reports of 2022-01-11 and 2022-01-24) and
    the depreciation of June 2024. ``method="bai-perron"`` finds 2 breaks per city, and
    neither is in 2022. The default penalty (6 log n) keeps spurious jumps rare: in
    simulated random walks with AR(1) noise (phi = 0.5, n = 300, irregular dates) it
    finds none in at least 98% of series. The price: a small lasting step in a flat,
    noisy series can pass for drift. Take a step in white noise of sd 0.05, reported
    fortnightly over four years (100 series per size, :func:`nkfx.power_study`). A step of
    0.1 log points is found in 32% of series by ``"jumps"`` and in 98% by
    ``"bai-perron"``, the right model for such data. A step of 0.2 is found in 63% and
    100%. The robust drift estimate reads the step itself as drift.

    **Dates.** Each break is reported as ``last_old`` (last observation of the old
    regime) and ``first_new`` (first observation of the new one). The 0-based
    ``index`` column points at ``last_old``; R strucchange's 1-based
    ``breakpoints(...)$breakpoints`` value ``i`` is the same observation
    (``index == i - 1``), and ``confint()`` bounds map the same way (``ci_lower``,
    ``ci_upper``; bounds beyond the sample are clipped to it and a note says so, bounds
    strucchange returns as NA are ``NaT`` with a :class:`~nkfx.DataQualityWarning`).

    **Degenerate data.** With ``"bai-perron"``, a series that is constant (or, for
    ``model="trend"``, exactly linear) has zero residual sum of squares for every
    number of breaks. The result then has no break, no tests, NaN criteria and a note
    saying so.

    **Autocorrelated errors.** BIC and LWZ assume independent errors. With AR(1)
    errors (rho = 0.5) and no break, n = 200, BIC chose at least one break in 51% of
    300 simulated series and LWZ in 6%. ``hac=True`` makes the intervals and the sup-F
    test robust but does not change that choice. With ``"bai-perron"``, prefer
    ``n_breaks="lwz"``, or check the number of breaks with
    ``sup_f_test(..., hac=True)``. BIC stays the default so that results reproduce
    strucchange; the summary says so.

    Examples
    --------
    A drifting rate that jumps by 40% once:

    >>> import numpy as np, pandas as pd, nkfx
    >>> rng = np.random.default_rng(3)
    >>> dates = pd.date_range("2021-01-04", periods=80, freq="14D")
    >>> drift = np.cumsum(rng.normal(0, 0.015, 80))
    >>> rate = pd.Series(5000 * np.exp(drift + np.log(1.4) * (np.arange(80) >= 40)), index=dates)
    >>> res = nkfx.detect(rate)
    >>> res.breaks[["last_old", "first_new"]]
            last_old  first_new
    break
    1     2022-07-04 2022-07-18
    >>> round(res.breaks["report_jump_pct"].iloc[0])  # 40% jump plus that fortnight's drift
    41

    The same series as regimes of constant mean (Bai-Perron) splits the drift into eras:

    >>> nkfx.detect(rate, method="bai-perron").n_breaks
    3

    A regime regression on the rate's own lag (an AR(1) whose mean and persistence break),
    and the same with the persistence held fixed (only the intercept breaks):

    >>> ar = nkfx.detect(rate, method="bai-perron", lags=[1], n_breaks=1)
    >>> list(ar.segments.columns[3:6])
    ['const', 'se_const', 'se_hac_const']
    >>> part = nkfx.detect(rate, method="bai-perron", lags=1, fixed="lag1", n_breaks=1)
    >>> part.breaks["first_new"].iloc[0].date(), part.segments["lag1"].nunique()
    (datetime.date(2022, 7, 18), 1)
    """
    method = check_option("method", method, tuple(_METHODS))
    check_common(model=model, scale=scale, hac=hac)
    _check_n_breaks(n_breaks)
    for name, value in (("level", level), ("alpha", alpha)):
        _check_probability(name, value)
    for name, flag in (("het_reg", het_reg), ("het_err", het_err)):
        if not isinstance(flag, bool | np.bool_):
            raise NkfxTypeError(f"{name} must be True or False; got {flag!r}")
    # Bai-Perron's own options: the other methods refuse a value they would ignore.
    bp_only = {"level": level, "alpha": alpha, "het_reg": het_reg, "het_err": het_err}
    given_bp = [name for name, value in bp_only.items() if value != _BP_DEFAULTS[name]]
    if given_bp and method != "bai-perron":
        raise NkfxValueError(
            f"{', '.join(given_bp)} appl{'ies' if len(given_bp) == 1 else 'y'} to "
            f"method='bai-perron' only (its break-date intervals and tests), which "
            f"method={method!r} does not compute; got {', '.join(f'{k}={bp_only[k]!r}' for k in given_bp)}")
    if trim is None and method == "bai-perron":
        trim = 0.15  # strucchange's default; PELT's own default (2 observations) applies otherwise
    prep = prepare(data, city=city, currency=currency, source=source, scale=scale, model=model)
    given = [k for k, v in (("regressors", regressors), ("lags", lags), ("fixed", fixed)) if v is not None]
    if given and method != "bai-perron":
        raise NkfxValueError(
            f"{', '.join(given)} apply to method='bai-perron' only (regime regressions); got "
            f"method={method!r}"
        )
    if given:
        if fixed is not None and regressors is None and lags is None and model == "mean":
            raise NkfxValueError(
                "fixed names regressors held constant across regimes, but the model has only the "
                "intercept; pass regressors= or lags= as well"
            )
        prep = with_regressors(prep, regressors=regressors, lags=lags, fixed=fixed)
    if method == "bai-perron":
        res = bai_perron_method(
            prep, trim=trim, max_breaks=max_breaks, n_breaks=n_breaks, level=float(level),
            alpha=float(alpha), hac=bool(hac), het_reg=bool(het_reg), het_err=bool(het_err), **options,
        )
    else:
        res = _METHODS[method](prep, trim=trim, max_breaks=max_breaks, n_breaks=n_breaks,
                               hac=bool(hac), **options)
    if prep.notes:  # what the adapter did to the data (median per date) comes first
        res = replace(res, notes=(*prep.notes, *res.notes))
    return res


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


#: Defaults of the options only Bai-Perron uses (its break-date intervals and tests).
_BP_DEFAULTS: dict[str, Any] = {"level": 0.95, "alpha": 0.05, "het_reg": True, "het_err": True}

#: Detection methods by name.
_METHODS: dict[str, Callable[..., Breaks]] = {
    "jumps": jumps_method, "bai-perron": bai_perron_method, "pelt": pelt_method,
}
