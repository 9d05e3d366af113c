"""Input preparation for the detection API: one checked series on a chosen scale.

Everything the numeric cores need (``y``, ``X``, ``h``) is derived here once, with
error messages that name the argument, the offending dates and the way out.
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nkfx._json import fmt_date
from nkfx._series import median_per_date
from nkfx._validate import check_option
from nkfx._version import __version__
from nkfx.detect.ftests._bootstrap import check_bootstrap
from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError
from nkfx.schema import select

__all__ = [
    "DEFAULT_MAX_BREAKS",
    "Prepared",
    "boot_args",
    "check_common",
    "check_penalised",
    "fmt_date",
    "fmt_dates",
    "prepare",
    "resolve_h",
    "resolve_max_breaks",
    "resolve_pvalue",
]

#: Days per year used to report trend slopes per year (Julian year, as in astronomy and pandas).
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Prepared:
    """A validated series on its analysis scale, with the regressors of the model."""

    series: pd.Series  # analysed values (log or level), DatetimeIndex, sorted, unique
    y: np.ndarray  # float64 (n,)
    X: np.ndarray | None  # None for the mean model; (n, 2) [1, days] for the trend model
    days: np.ndarray  # elapsed days since the first date, float64 (n,)
    model: str  # "mean", "trend", or "regression" (with regressors or lags)
    scale: str
    meta: dict[str, Any]  # city / currency / source when read from a rate frame
    names: tuple[str, ...] = ()  # column names of X for model="regression"
    n_fixed: int = 0  # last n_fixed columns of X keep one coefficient (partial change)
    notes: tuple[str, ...] = ()  # what the adapter did to the data (median per date)

    @property
    def n(self) -> int:
        """Number of observations."""
        return int(self.y.size)

    @property
    def k(self) -> int:
        """Number of regressors per regime."""
        return 1 if self.X is None else int(self.X.shape[1])

    @property
    def dates(self) -> pd.DatetimeIndex:
        """Observation dates."""
        return pd.DatetimeIndex(self.series.index)


def fmt_dates(dates: Any, limit: int = 5) -> str:
    """Format up to ``limit`` dates, saying how many more there are."""
    items = [fmt_date(d) for d in dates]
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def prepare(
    data: Any,
    *,
    city: str | None,
    currency: str | None,
    source: str | None,
    scale: str,
    model: str,
    arg: str = "data",
) -> Prepared:
    """Check ``data`` (Series or rate frame) and return it on the analysis scale."""
    series, meta = _as_series(data, city=city, currency=currency, source=source, arg=arg)
    _check_series(series, arg)
    series, notes = median_per_date(series)
    values = series.to_numpy(dtype=np.float64)
    dates = pd.DatetimeIndex(series.index)
    if scale == "log":
        bad = values <= 0
        if bad.any():
            raise NkfxValueError(
                f"{arg} has {int(bad.sum())} values <= 0 (at {fmt_dates(dates[bad])}); "
                "scale='log' needs positive rates (use scale='level' for other data)"
            )
        y = np.log(values)
    else:
        y = values.copy()
    days = np.asarray((dates - dates[0]) / pd.Timedelta(days=1), dtype=np.float64)
    X = None if model == "mean" else np.column_stack([np.ones_like(days), days])
    analysed = pd.Series(y, index=dates.copy(), name=series.name)
    return Prepared(analysed, y, X, days, model, scale, meta, notes=notes)


def _as_series(
    data: Any, *, city: str | None, currency: str | None, source: str | None, arg: str
) -> tuple[pd.Series, dict[str, Any]]:
    if isinstance(data, pd.DataFrame):
        return _series_from_rates(data, city=city, currency=currency, source=source, arg=arg)
    if not isinstance(data, pd.Series):
        raise NkfxTypeError(
            f"{arg} must be a pandas Series with a DatetimeIndex or a rate frame (DataFrame); "
            f"got {type(data).__name__}"
        )
    given = [k for k, v in (("city", city), ("currency", currency), ("source", source)) if v]
    if given:
        raise NkfxValueError(
            f"{', '.join(given)} select rows of a rate frame, but {arg} is a Series; "
            "pass the rate frame, or drop these arguments"
        )
    return data, {}


def _series_from_rates(
    rates: pd.DataFrame, *, city: str | None, currency: str | None, source: str | None, arg: str
) -> tuple[pd.Series, dict[str, Any]]:
    sel = select(rates, city=city, currency=currency, source=source)
    for column, wanted in (("city", city), ("currency", currency)):
        present = sel[column].unique()
        if wanted is None and len(present) > 1:
            names = sorted(str(x) for x in present)
            raise NkfxValueError(
                f"{arg} holds several {column} values {names}; pass {column}= to choose one series"
            )
    first = sel.iloc[0] if len(sel) else None
    meta = {
        "city": city if first is None else _plain(first["city"]),
        "currency": currency if first is None else _plain(first["currency"]),
        "source": "; ".join(sorted(str(x) for x in sel["source"].dropna().unique())) or None,
    }
    name = " ".join(str(v) for v in (meta["city"], meta["currency"]) if v is not None) or None
    series = pd.Series(sel["rate"].to_numpy(dtype=np.float64), index=pd.DatetimeIndex(sel["date"]), name=name)
    return series, meta


def _plain(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _check_series(series: pd.Series, arg: str) -> None:
    """Refuse a series detect cannot read: not dated, not numbers, empty, missing values, unsorted."""
    index = series.index
    if not isinstance(index, pd.DatetimeIndex):
        raise NkfxTypeError(
            f"{arg} must have a DatetimeIndex (dates); got {type(index).__name__}; "
            "use series.set_axis(pd.to_datetime(...)) first"
        )
    if index.hasnans:
        pos = np.flatnonzero(index.isna())
        raise NkfxValueError(f"{arg} has missing dates (NaT) at positions {pos[:5].tolist()}")
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise NkfxTypeError(f"{arg} must hold numbers; got dtype {series.dtype}")
    if len(series) == 0:
        raise InsufficientDataError(f"{arg} is empty; breaks need observations")
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        raise NkfxValueError(
            f"{arg} has {int(bad.sum())} missing or infinite values (at {fmt_dates(index[bad])}); "
            "drop or fill them before detecting breaks"
        )
    order = np.asarray(index[1:] < index[:-1])
    if order.any():
        i = int(np.flatnonzero(order)[0]) + 1
        raise NkfxValueError(
            f"{arg} dates are not sorted: {fmt_date(index[i])} (position {i}) comes after "
            f"{fmt_date(index[i - 1])}; sort them first (series.sort_index())"
        )


def resolve_h(trim: Any, dates: pd.DatetimeIndex, k: int) -> tuple[int, str]:
    """Minimal segment length ``h`` (observations) from ``trim``, and the rule used.

    A fraction gives ``floor(n * trim)`` (strucchange's rule); an int is taken as the
    count; a duration ``d`` gives ``ceil(n * d / span)``, the same share of the
    observations as ``d`` is of the time spanned by the data.
    """
    n = len(dates)
    if isinstance(trim, bool) or not isinstance(
        trim, numbers.Real | str | pd.Timedelta | _dt.timedelta | np.timedelta64
    ):
        raise NkfxTypeError(
            "trim must be a fraction in (0, 0.5), a number of observations, or a duration "
            f"such as '180D'; got {type(trim).__name__}"
        )
    if isinstance(trim, numbers.Integral):
        h, rule = int(trim), f"count: h = {int(trim)} observations"
        if h < 1:
            raise NkfxValueError(f"trim as a count must be >= 1 observation; got {trim!r}")
    elif isinstance(trim, numbers.Real):
        frac = float(trim)
        if not 0.0 < frac < 0.5:
            raise NkfxValueError(f"trim as a fraction must be in (0, 0.5); got {trim!r}")
        h = math.floor(n * frac)
        rule = f"fraction: h = floor(n * {frac:g}) = floor({n} * {frac:g})"
    else:
        h, rule = _h_from_duration(trim, dates)
    if h < k + 1:
        raise InsufficientDataError(
            f"trim={trim!r} gives segments of h={h} observations with n={n}; each segment "
            f"needs at least {k + 1} (the model has {k} coefficient(s)); use more data or a "
            "larger trim"
        )
    if 2 * h > n:
        raise InsufficientDataError(
            f"n={n} observations cannot hold two segments of h={h} (trim={trim!r}); "
            f"a break needs at least {2 * h} observations or a smaller trim"
        )
    return h, rule


def _h_from_duration(trim: Any, dates: pd.DatetimeIndex) -> tuple[int, str]:
    try:
        duration = pd.Timedelta(trim)
    except (TypeError, ValueError) as exc:
        raise NkfxValueError(
            "trim must be a fraction in (0, 0.5), a number of observations, or a duration "
            f"such as '180D'; got {trim!r}"
        ) from exc
    span = dates[-1] - dates[0]
    if duration <= pd.Timedelta(0) or duration * 2 > span:
        raise NkfxValueError(
            f"trim as a duration must be > 0 and at most half the span of the data "
            f"({span.days} days, {fmt_date(dates[0])} to {fmt_date(dates[-1])}); got {trim!r}"
        )
    n = len(dates)
    h = math.ceil(n * (duration / span))
    share = duration / span
    return h, f"duration: h = ceil(n * {duration.days}D / {span.days}D span) = ceil({n} * {share:.4g})"


#: Bai-Perron's ``max_breaks="auto"``: 5, lowered (and recorded) when the data allow fewer.
DEFAULT_MAX_BREAKS = 5


def resolve_max_breaks(max_breaks: Any, n: int, h: int) -> int:
    """Return the number of breaks to search; raise if an explicit value exceeds the limit."""
    allowed = n // h - 1
    if max_breaks is None:
        return allowed
    if isinstance(max_breaks, str):
        if max_breaks != "auto":
            raise NkfxValueError(f"max_breaks must be an int, 'auto' or None; got {max_breaks!r}")
        return min(DEFAULT_MAX_BREAKS, allowed)
    if isinstance(max_breaks, bool) or not isinstance(max_breaks, numbers.Integral):
        raise NkfxTypeError(f"max_breaks must be an int or None; got {type(max_breaks).__name__}")
    if int(max_breaks) < 1:
        raise NkfxValueError(f"max_breaks must be >= 1; got {max_breaks!r}")
    if int(max_breaks) > allowed:
        raise NkfxValueError(
            f"max_breaks={max_breaks} is more than the data allow: n={n} observations in "
            f"segments of at least h={h} leave room for at most {allowed} break(s); pass "
            f"max_breaks={allowed} or max_breaks=None (as many as allowed)"
        )
    return int(max_breaks)


def resolve_pvalue(pvalue: Any, hac: bool, n_boot: Any, seed: Any) -> dict[str, Any]:
    """Validate the p-value options; ``"auto"`` means the bootstrap exactly when ``hac``.

    Returns the entries recorded in a result's ``params``: ``pvalue_method`` and, for the
    bootstrap, ``n_boot`` and ``seed``.

    Examples
    --------
    >>> resolve_pvalue("auto", True, 199, 0)
    {'pvalue_method': 'bootstrap', 'n_boot': 199, 'seed': 0}
    """
    check_option("pvalue", pvalue, ("auto", "asymptotic", "bootstrap"))
    n_boot, seed = check_bootstrap(n_boot, seed)
    method = ("bootstrap" if hac else "asymptotic") if pvalue == "auto" else str(pvalue)
    out: dict[str, Any] = {"pvalue_method": method}
    if method == "bootstrap":
        out.update(n_boot=n_boot, seed=seed)
    return out


def boot_args(boot: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of the core tests (``null``, ``n_boot``, ``seed``) from :func:`resolve_pvalue`."""
    return {"null": boot["pvalue_method"], "n_boot": boot.get("n_boot", 199), "seed": boot.get("seed", 0)}


MODELS = ("mean", "trend")  # "regression" is set by detect(regressors=..., lags=...)
SCALES = ("log", "level")


def check_common(*, model: str, scale: str, hac: Any) -> None:
    """Validate the options shared by ``detect``, ``chow_test`` and ``sup_f_test``.

    Examples
    --------
    >>> check_common(model="trend", scale="log", hac=False)
    >>> check_common(model="mean", scale="log", hac="yes")
    Traceback (most recent call last):
    ...
    nkfx.errors.NkfxTypeError: hac must be True or False; got 'yes'
    """
    check_option("model", model, MODELS)
    check_option("scale", scale, SCALES)
    if not isinstance(hac, bool | np.bool_):
        raise NkfxTypeError(f"hac must be True or False; got {hac!r}")


def check_penalised(method: str, why: str, *, max_breaks: Any, n_breaks: Any) -> None:
    """Refuse Bai-Perron's ``max_breaks``/``n_breaks`` for a method whose penalty sets the count.

    Examples
    --------
    >>> check_penalised("jumps", "the penalty decides", max_breaks="auto", n_breaks="bic")
    >>> check_penalised("jumps", "it is penalised", max_breaks=3, n_breaks="bic")
    Traceback (most recent call last):
    ...
    nkfx.errors.NkfxValueError: max_breaks does not apply to method='jumps': it is penalised; got ...
    """
    if max_breaks is not None and not (isinstance(max_breaks, str) and max_breaks == "auto"):
        raise NkfxValueError(f"max_breaks does not apply to method={method!r}: {why}; "
                             f"got max_breaks={max_breaks!r}")
    if n_breaks != "bic":
        raise NkfxValueError(f"n_breaks does not apply to method={method!r}: {why}; "
                             f"got n_breaks={n_breaks!r}")


def run_params(prep: Prepared, *, method: str, trim: Any, h: int, rule: str, **flags: Any) -> dict[str, Any]:
    """Record every parameter of a run (JSON-friendly), with the nkfx version."""
    dates = prep.dates
    params: dict[str, Any] = {
        "method": method,
        "model": prep.model,
        "scale": prep.scale,
        "trim": trim if isinstance(trim, numbers.Real) else str(pd.Timedelta(trim)),
        "h": h,
        "trim_rule": rule,
        "trim_fraction": h / prep.n,
        **flags,
        "n_obs": prep.n,
        "start": dates[0],
        "end": dates[-1],
        **prep.meta,
    }
    if prep.model == "trend":
        params["trend_regressor"] = f"days since {fmt_date(dates[0])}"
    if flags.get("alpha") is not None:
        params["sequential_start"] = "UDmax"
    params["nkfx_version"] = __version__
    return params
