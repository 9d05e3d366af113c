"""Regressors for ``detect(method="bai-perron")``: a dated DataFrame and lags of the rate.

The regime model becomes ``y_t = z_t' beta_j + x_t' delta + e_t`` in regime ``j``: the columns
``z`` (the intercept, the trend in days with ``model="trend"``, lags of ``y`` and the user's
regressors) change at every break, the columns named in ``fixed`` keep one coefficient
``delta`` across regimes (partial structural change, Bai & Perron 2003). Everything is built
here once, with the dates, so the numeric cores only see arrays.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from nkfx.detect._prepare import Prepared, fmt_date, fmt_dates
from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError

__all__ = ["with_regressors"]


def _check_lags(lags: Any) -> tuple[int, ...]:
    """Lags as sorted distinct positive ints (an int is one lag)."""
    if lags is None:
        return ()
    items = [lags] if isinstance(lags, numbers.Integral) else lags
    if isinstance(items, str | bytes) or not isinstance(items, Sequence | np.ndarray):
        raise NkfxTypeError(f"lags must be a positive int or a list of them, e.g. [1, 12]; got {lags!r}")
    out = []
    for lag in items:
        if isinstance(lag, bool) or not isinstance(lag, numbers.Integral) or int(lag) < 1:
            raise NkfxValueError(f"lags must be positive integers (observations), e.g. [1, 12]; got {lags!r}")
        out.append(int(lag))
    if not out:
        raise NkfxValueError("lags must name at least one lag, e.g. [1, 12]; got an empty list")
    return tuple(sorted(set(out)))


def _as_frame(regressors: Any) -> pd.DataFrame | None:
    if regressors is None:
        return None
    if isinstance(regressors, pd.Series):
        if regressors.name is None:
            raise NkfxValueError("regressors as a Series needs a name (the column name); got name=None")
        return regressors.to_frame()
    if not isinstance(regressors, pd.DataFrame):
        raise NkfxTypeError(
            "regressors must be a pandas DataFrame (one column per regressor) indexed by dates; "
            f"got {type(regressors).__name__}"
        )
    if not isinstance(regressors.index, pd.DatetimeIndex):
        raise NkfxTypeError(
            f"regressors must have a DatetimeIndex (the dates of the rate series); got "
            f"{type(regressors.index).__name__}"
        )
    if regressors.shape[1] == 0:
        raise NkfxValueError("regressors has no columns; pass None for no regressors")
    dup = regressors.index.duplicated()
    if dup.any():
        raise NkfxValueError(f"regressors has duplicate dates ({fmt_dates(regressors.index[dup])})")
    return regressors


def _aligned(frame: pd.DataFrame, dates: pd.DatetimeIndex, taken: set[str]) -> dict[str, np.ndarray]:
    """Return the regressor columns on ``dates``; every date must be present with finite numbers."""
    missing = dates[~dates.isin(frame.index)]
    if len(missing):
        raise NkfxValueError(
            f"regressors has no row for {len(missing)} date(s) of the series ({fmt_dates(missing)}); "
            "it must cover every date analysed (extra dates are ignored)"
        )
    out: dict[str, np.ndarray] = {}
    for col in frame.columns:
        name = str(col)
        if name in taken or name in out:
            raise NkfxValueError(
                f"regressors column {name!r} clashes with a name already used ({sorted(taken)}); "
                "rename it"
            )
        values = frame[col]
        if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
            raise NkfxTypeError(f"regressors column {name!r} must hold numbers; got dtype {values.dtype}")
        arr = values.reindex(dates).to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(arr)
        if bad.any():
            raise NkfxValueError(
                f"regressors column {name!r} has {int(bad.sum())} missing or infinite values on "
                f"dates of the series ({fmt_dates(dates[bad])})"
            )
        out[name] = arr
    return out


def _check_fixed(fixed: Any, names: list[str]) -> tuple[str, ...]:
    if fixed is None:
        return ()
    items = [fixed] if isinstance(fixed, str) else fixed
    if not isinstance(items, Sequence) or not all(isinstance(f, str) for f in items):
        raise NkfxTypeError(f"fixed must be a column name or a list of them; got {fixed!r}")
    unknown = [f for f in items if f not in names]
    if unknown:
        raise NkfxValueError(f"fixed must name regressors among {names}; got {unknown}")
    if len(set(items)) == len(names):
        raise NkfxValueError(
            f"fixed holds every regressor ({names}): at least one coefficient must change at the "
            "breaks"
        )
    return tuple(n for n in names if n in set(items))


def with_regressors(prep: Prepared, *, regressors: Any, lags: Any, fixed: Any) -> Prepared:
    """Return ``prep`` with the regression design; the first ``max(lags)`` dates are dropped.

    Column order: intercept (``const``), ``days`` (trend model), ``lag1``, ``lag12``, ...
    (the analysed series ``lags`` observations earlier), the regressors' columns; the ``fixed``
    ones are moved last (``Prepared.n_fixed`` of them).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from nkfx.detect._prepare import prepare
    >>> dates = pd.date_range("2024-01-07", periods=6, freq="W-SUN")
    >>> prep = prepare(pd.Series(np.arange(1.0, 7.0), index=dates), city=None, currency=None,
    ...                source=None, scale="level", model="mean")
    >>> x = pd.DataFrame({"cny": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}, index=dates)
    >>> out = with_regressors(prep, regressors=x, lags=[1], fixed="lag1")
    >>> out.names, out.n_fixed, out.X[0].tolist()
    (('const', 'cny', 'lag1'), 1, [1.0, 0.2, 1.0])
    """
    lag_list = _check_lags(lags)
    frame = _as_frame(regressors)
    start = max(lag_list, default=0)
    if start >= prep.n - 1:
        raise InsufficientDataError(
            f"lags={list(lag_list)} leave {prep.n - start} of the {prep.n} observations; use "
            "shorter lags or more data"
        )
    dates = prep.dates[start:]
    days = np.asarray((dates - dates[0]) / pd.Timedelta(days=1), dtype=np.float64)
    cols: dict[str, np.ndarray] = {"const": np.ones(dates.size)}
    if prep.model == "trend":
        cols["days"] = days
    for lag in lag_list:
        cols[f"lag{lag}"] = prep.y[start - lag : prep.n - lag]
    if frame is not None:
        cols.update(_aligned(frame, dates, set(cols)))
    names = list(cols)
    fixed_names = _check_fixed(fixed, names)
    order = [n for n in names if n not in fixed_names] + list(fixed_names)
    meta = {
        **prep.meta,
        "regressors": order,
        "fixed": list(fixed_names),
        "lags": list(lag_list),
        "base_model": prep.model,
    }
    if start:
        meta["lag_note"] = (
            f"lags are taken in observations (lag{start} of {fmt_date(dates[0])} is "
            f"{fmt_date(prep.dates[0])}); the first {start} date(s) only serve as lags"
        )
    return replace(
        prep,
        series=prep.series.iloc[start:].copy(),
        y=prep.y[start:].copy(),
        X=np.column_stack([cols[n] for n in order]),
        days=days,
        model="regression",
        meta=meta,
        names=tuple(order),
        n_fixed=len(fixed_names),
    )
