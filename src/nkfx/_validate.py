"""Small argument checks with messages that name the argument and the allowed values."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

import pandas as pd

from nkfx.errors import NkfxTypeError, NkfxValueError

T = TypeVar("T")


def check_option(name: str, value: T, allowed: Collection[T]) -> T:
    """Return ``value`` if it is one of ``allowed``; raise a helpful error otherwise."""
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise NkfxValueError(f"{name} must be one of {choices}; got {value!r}")
    return value


def check_type(name: str, value: Any, types: type | tuple[type, ...], what: str) -> None:
    """Raise :class:`NkfxTypeError` unless ``value`` is an instance of ``types``."""
    if not isinstance(value, types):
        raise NkfxTypeError(f"{name} must be {what}; got {type(value).__name__}")


def check_positive(name: str, value: float, *, strict: bool = True) -> float:
    """Return ``value`` if it is a positive (or, with ``strict=False``, non-negative) number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NkfxTypeError(f"{name} must be a number; got {type(value).__name__}")
    if value != value or (value <= 0 if strict else value < 0):  # NaN fails too
        bound = "> 0" if strict else ">= 0"
        raise NkfxValueError(f"{name} must be {bound}; got {value!r}")
    return value


def to_timestamp(name: str, value: Any) -> pd.Timestamp:
    """Convert ``value`` to a :class:`pandas.Timestamp` or raise naming ``name``."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise NkfxValueError(f"{name} must be a date; got {value!r}") from exc
    if pd.isna(ts):
        raise NkfxValueError(f"{name} must be a date; got {value!r}")
    return ts


def to_timedelta(name: str, value: Any, *, allow_zero: bool = False) -> pd.Timedelta:
    """Convert ``value`` (e.g. ``"30D"``) to a non-negative :class:`pandas.Timedelta`."""
    try:
        td = pd.Timedelta(value)
    except (TypeError, ValueError) as exc:
        raise NkfxValueError(
            f"{name} must be a duration such as '30D' or pd.Timedelta(days=30); got {value!r}"
        ) from exc
    if pd.isna(td) or td < pd.Timedelta(0) or (td == pd.Timedelta(0) and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise NkfxValueError(f"{name} must be a duration {bound}; got {value!r}")
    return td
