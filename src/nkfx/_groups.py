"""Shared helpers for the clean / resample / transform stages: series keys and day numbers.

A *series* is the set of rows that share the values of some key columns (for example
``city`` and ``currency``). A missing value (no city: a national or regional report)
is a key value of its own, never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError
from nkfx.schema import REQUIRED_COLUMNS, validate_rates

#: Label used for rows without a city where a name is needed (wide frames, messages).
NO_CITY = "(no city)"


def group_codes(frame: pd.DataFrame, by: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Return one integer code per row and the table of distinct keys.

    Codes run from 0 to G - 1 in the sorted order of the keys (missing values last);
    row ``k`` of the key table holds the key values of code ``k``.
    """
    codes = np.zeros(len(frame), dtype=np.int64)
    size = 1
    for col in by:
        c, n_values = _factorize(frame[col])
        codes = codes * n_values + c
        size *= n_values
    if size <= 4 * len(frame) + 1024:  # dense: relabel by counting, O(n) instead of a sort
        present = np.bincount(codes, minlength=size) > 0
        compact = (np.cumsum(present) - 1)[codes]
    else:
        compact = np.asarray(pd.factorize(codes, sort=True)[0], dtype=np.int64)
    # any row of a group carries its key values; which one the scatter keeps does not matter
    some_row = np.zeros(int(compact.max()) + 1 if len(compact) else 0, dtype=np.int64)
    some_row[compact] = np.arange(len(frame), dtype=np.int64)
    keys = pd.DataFrame({col: frame[col].take(some_row).to_numpy() for col in by})
    return compact, keys


def is_constant(column: pd.Series) -> bool:
    """Tell whether every value equals the first (missing values never do)."""
    if len(column) == 0 or pd.isna(column.iloc[0]):
        return False
    first = column.iloc[0]
    head = column.iloc[:1024]  # cheap early exit for the usual varied column
    return bool((head == first).all()) and bool((column == first).all())


def _factorize(column: pd.Series) -> tuple[np.ndarray, int]:
    """Codes in the sorted order of the values (missing last) and their count."""
    if is_constant(column):
        return np.zeros(len(column), dtype=np.int64), 1  # skip hashing
    codes, uniques = pd.factorize(column, sort=True, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.int64), max(len(uniques), 1)


_PER_DAY = {"D": 1, "h": 24, "m": 1440, "s": 86_400, "ms": 86_400_000, "us": 86_400_000_000,
            "ns": 86_400_000_000_000}


def day_numbers(dates: pd.Series) -> np.ndarray:
    """Return the dates as int64 days since 1970-01-01 (time of day dropped)."""
    values = dates.to_numpy()
    unit = np.datetime_data(values.dtype)[0] if values.dtype.kind == "M" else ""
    if unit in _PER_DAY:  # one floor division instead of two casts
        return np.asarray(values.view(np.int64) // _PER_DAY[unit])
    return np.asarray(values.astype("datetime64[D]").astype(np.int64))


def days_to_dates(days: np.ndarray, like: pd.Series) -> np.ndarray:
    """Turn int64 day numbers back into datetime64 values of the dtype of ``like``."""
    dtype = like.to_numpy().dtype
    unit = np.datetime_data(dtype)[0] if dtype.kind == "M" else "ns"
    return np.asarray(days, dtype="datetime64[D]").astype(f"datetime64[{unit}]")


def check_by(rates: pd.DataFrame, by: Sequence[str] | str, *, default: Sequence[str],
             name: str = "by") -> tuple[str, ...]:
    """Return ``by`` as a tuple of existing columns that includes ``currency``."""
    if not isinstance(rates, pd.DataFrame) or not set(REQUIRED_COLUMNS) <= set(rates.columns):
        validate_rates(rates)  # raises the type or schema error first
    cols = (by,) if isinstance(by, str) else tuple(by)
    if not all(isinstance(c, str) for c in cols):
        raise NkfxTypeError(f"{name} must be a sequence of column names; got {by!r}")
    missing = [c for c in cols if c not in rates.columns]
    if missing:
        raise NkfxValueError(
            f"{name} names columns not in the frame: {missing}; "
            f"columns are {list(rates.columns)} (default {tuple(default)})"
        )
    if "currency" not in cols:
        raise NkfxValueError(
            f"{name} must include 'currency' (mixing CNY and USD rates is meaningless); got {cols}"
        )
    return cols


def checked_rates(rates: pd.DataFrame, by: Sequence[str], *, min_rows: int = 1,
                  what: str = "this function") -> pd.DataFrame:
    """Validate a rate frame, naming any series whose rates are all missing."""
    if isinstance(rates, pd.DataFrame) and "rate" in rates and set(by) <= set(rates.columns):
        rate = pd.to_numeric(rates["rate"], errors="coerce")
        if rate.isna().any():
            ok = rate.notna().groupby([rates[c] for c in by], dropna=False).agg(["any", "size"])
            dead = ok[~ok["any"]]
            if len(dead):
                first = dead.index[0]
                label = ", ".join(
                    f"{c}={v!r}" for c, v in zip(by, first if len(by) > 1 else (first,), strict=True)
                )
                raise NkfxValueError(
                    f"rates has no valid rate for {label} (all {int(dead['size'].iloc[0])} rows "
                    f"missing); {len(dead)} series like this. Drop those rows or fix their 'rate'"
                )
    validate_rates(rates)
    if len(rates) < min_rows:
        raise InsufficientDataError(
            f"{what} needs at least {min_rows} observations in rates; got {len(rates)}"
        )
    return rates


def describe_key(keys: pd.DataFrame, k: int) -> str:
    """Return ``"city='Hyesan', currency='CNY'"`` for row ``k`` of a key table."""
    row = keys.iloc[k]
    return ", ".join(f"{c}={None if pd.isna(v) else v!r}" for c, v in row.items())
