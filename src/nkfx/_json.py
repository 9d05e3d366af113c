"""The one conversion of results to JSON types, and the date format shared by messages and JSON."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["fmt_date", "jsonable"]


def fmt_date(ts: Any) -> str:
    """Format a date as ``YYYY-MM-DD`` (with the time only when it is not midnight)."""
    ts = pd.Timestamp(ts)
    if ts is pd.NaT:
        return "NaT"
    text: str = ts.date().isoformat() if ts == ts.normalize() else ts.isoformat()
    return text


def jsonable(obj: Any) -> Any:
    """Convert ``obj`` to plain JSON types, as every ``to_dict()`` and ``--json`` output does.

    Dates become ISO strings (:func:`fmt_date`, also as keys), durations pandas' text,
    NaN, NaT, NA and infinities None, tables lists of records, Series and dicts dicts
    with string keys, arrays, indexes and tuples lists; anything else its ``str``.
    """
    if obj is None or isinstance(obj, bool | str):
        return obj
    if obj is pd.NaT or obj is pd.NA:
        return None
    if isinstance(obj, pd.Timestamp | np.datetime64):
        return None if pd.isna(obj) else fmt_date(obj)
    if isinstance(obj, pd.Timedelta | np.timedelta64):
        return None if pd.isna(obj) else str(pd.Timedelta(obj))
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, dict):
        return {str(jsonable(k)): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, pd.Series):
        return {str(jsonable(k)): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, pd.DataFrame):
        return [jsonable(row) for row in obj.to_dict(orient="records")]
    if isinstance(obj, list | tuple | np.ndarray | pd.Index):
        return [jsonable(v) for v in obj]
    return str(obj)
