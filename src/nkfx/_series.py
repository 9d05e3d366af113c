"""The one rule for several values on one date, shared by every adapter from rates to a series."""

from __future__ import annotations

import pandas as pd

__all__ = ["median_per_date"]


def median_per_date(series: pd.Series) -> tuple[pd.Series, tuple[str, ...]]:
    """Return ``series`` with one value per date (the median of those sharing it), and its note.

    Every analysis of one series (``detect``, the F tests, ``change_probability``,
    ``event_window``/``event_study``, ``detect_common``) takes several values on a date
    this way and says so in its result's notes; ``nkfx.combine`` chooses another rule
    (mean, source priority) and keeps the spread and count per date. Missing values
    must be handled before: the median skips them. A series without repeated dates is
    returned as it is (the same object), with no note.
    """
    index = pd.DatetimeIndex(series.index)
    if not index.has_duplicates:
        return series, ()
    n_dup = int(index.duplicated().sum())
    out = series.groupby(level=0, sort=True).median()
    out.name = series.name
    return out, (f"{n_dup} value(s) sharing a date with another were combined: median per date",)
