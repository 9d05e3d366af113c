"""Shared helpers for the clean / resample / transform stages: series keys and day numbers.

A *series* is the set of rows that share the values of some key columns (for example
``city`` and ``currency``). A missing value (no city: a national or regional report)
is a key value of its own, never dropped.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

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
    combined = np.zeros(len(frame), dtype=np.int64)
    parts, sizes = [], []
    for col in by:
        c, uniques = factorize_sorted(frame[col])
        n_values = max(len(uniques), 1)
        if n_values > 1:  # a constant column leaves the codes as they are
            combined *= n_values
            combined += c
        parts.append((c, uniques))
        sizes.append(n_values)
    size = int(np.prod(sizes, dtype=np.float64)) if sizes else 1
    if size <= 4 * len(frame) + 1024:  # dense: relabel by counting, O(n) instead of a sort
        present = np.bincount(combined, minlength=size) > 0
        compact = (np.cumsum(present) - 1)[combined]
        used = np.flatnonzero(present)
    else:
        compact, used = pd.factorize(combined, sort=True)
        compact = np.asarray(compact, dtype=np.int64)
    digits = {}  # each group's code in every key column, from its combined code
    rest = np.asarray(used, dtype=np.int64)
    for col, n_values in zip(reversed(by), reversed(sizes), strict=True):
        rest, digits[col] = np.divmod(rest, n_values)
    keys = pd.DataFrame({col: _values_at(frame[col], uniques, digits[col], c, compact)
                         for col, (c, uniques) in zip(by, parts, strict=True)})
    return compact, keys


def _values_at(column: pd.Series, uniques: Any, digit: np.ndarray, codes: np.ndarray,
               compact: np.ndarray) -> np.ndarray:
    """Return the key values of each group.

    Text comes from the few uniques (a take from a chunked Arrow column would first copy
    the whole column); other dtypes from one row of each group.
    """
    if isinstance(column.dtype, pd.StringDtype):
        return pd.Series(uniques, dtype=column.dtype).take(digit).to_numpy()
    some_row = np.zeros(len(digit), dtype=np.int64)
    some_row[compact] = np.arange(len(column), dtype=np.int64)  # any row of the group
    return column.take(some_row).to_numpy()


def flag_duplicates(dates: np.ndarray, *codes: np.ndarray) -> np.ndarray:
    """Flag every row whose day (``datetime64[ns]`` at midnight) and codes another shares."""
    key = dates.view("int64") // 86_400_000_000_000  # datetime64[ns] at midnight -> days
    if len(key) == 0:
        return np.zeros(0, dtype=bool)
    key -= key.min()  # in place from here on: no fresh memory per step
    span = float(key.max() + 1)
    for part in codes:
        size = int(part.max()) + 1
        if size > 1:  # a constant column does not split groups
            span *= size
            key *= size
            key += part
    if span <= 4 * len(key) + 2**20:  # dense keys: count them, no hashing
        return np.asarray((np.bincount(key, minlength=int(span)) > 1)[key])
    if span < 2.0**62:  # one int64 key hashes much faster than four columns
        return np.asarray(pd.Series(key).duplicated(keep=False))
    days = dates.view("int64") // 86_400_000_000_000
    frame = pd.DataFrame({"d": days, **{str(i): c for i, c in enumerate(codes)}})
    return np.asarray(frame.duplicated(keep=False))


def is_constant(column: pd.Series) -> bool:
    """Tell whether every value equals the first (missing values never do)."""
    if len(column) == 0 or pd.isna(column.iloc[0]):
        return False
    first = column.iloc[0]
    head = column.iloc[:1024]  # cheap early exit for the usual varied column
    return bool((head == first).all()) and bool((column == first).all())


def factorize_sorted(column: pd.Series) -> tuple[np.ndarray, Any]:
    """``pd.factorize(column, sort=True, use_na_sentinel=False)``, reusing remembered codes.

    The codes may be a shared read-only array of a small integer dtype; the uniques may
    include values no row has (when the codes were remembered for a subset).
    """
    known = _known_codes(column)
    if known is not None:
        return known[0], known[1]  # read-only, small integer dtype
    if is_constant(column):  # skip hashing
        return np.zeros(len(column), dtype=np.int64), column.iloc[:1].array
    codes, uniques = pd.factorize(column, sort=True, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.int64), uniques


# Factorising a million strings costs tens of milliseconds, and read_rates() has
# already done it. Arrow-backed string columns are immutable, so codes computed once
# for one Arrow array stay valid for as long as that very array lives: they are kept
# here, keyed by its identity and dropped with it (a changed column is a new array).
_KNOWN_CODES: dict[int, tuple[weakref.ref[Any], np.ndarray, Any]] = {}


def _known_codes(column: pd.Series) -> tuple[np.ndarray, Any] | None:
    array = column.array
    if not isinstance(array, pd.arrays.ArrowExtensionArray):
        return None
    data = array.__arrow_array__()
    known = _KNOWN_CODES.get(id(data))
    if known is None or known[0]() is not data or len(known[1]) != len(column):
        return None
    return known[1], known[2]


def remember_codes(column: pd.Series, codes: np.ndarray, uniques: Any) -> None:
    """Record ``pd.factorize(column, sort=True, use_na_sentinel=False)`` of ``column``.

    ``uniques`` may hold values no row has, as long as the codes index them in sorted
    order (missing last). Later :func:`group_codes` / :func:`factorize_sorted` calls on
    this very column then skip hashing. A no-op unless the column is Arrow-backed
    (pandas' default ``str``).
    """
    array = column.array
    if not isinstance(array, pd.arrays.ArrowExtensionArray) or len(codes) != len(column):
        return
    data = array.__arrow_array__()
    key = id(data)

    def forget(ref: weakref.ref[Any], key: int = key) -> None:
        if key in _KNOWN_CODES and _KNOWN_CODES[key][0] is ref:
            del _KNOWN_CODES[key]

    codes = codes.view()
    codes.flags.writeable = False  # shared by every caller from now on
    _KNOWN_CODES[key] = (weakref.ref(data, forget), codes, uniques)


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
