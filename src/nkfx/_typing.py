"""Option types shared across nkfx (``Literal`` aliases)."""

from __future__ import annotations

import os
from typing import Literal, TypeAlias

import pandas as pd

PathLike: TypeAlias = str | os.PathLike[str]
DateLike: TypeAlias = str | pd.Timestamp
TimedeltaLike: TypeAlias = str | pd.Timedelta

Errors: TypeAlias = Literal["quarantine", "raise"]
OldWon: TypeAlias = Literal["divide", "keep", "reject"]
Currency: TypeAlias = Literal["CNY", "USD"]
Scale: TypeAlias = Literal["log", "level"]
Aggregate: TypeAlias = Literal["median", "mean", "last", "first"]
Layout: TypeAlias = Literal["auto", "long", "wide"]
