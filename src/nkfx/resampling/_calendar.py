"""Numeric core of resampling: calendars, bin positions, aggregation, filling, distances.

Everything works on int64 day numbers (days since 1970-01-01) and numpy arrays; the
pandas layer in :mod:`nkfx.resampling` converts dates in and out once.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BaseOffset, Day, Week

from nkfx._groups import day_numbers

__all__ = ["aggregate", "bin_index", "calendar", "days_to_obs", "fill"]


def calendar(lo: int, hi: int, offset: BaseOffset, right: bool) -> np.ndarray:
    """Bin labels (int days) covering days ``lo``..``hi``."""
    t0, t1 = pd.Timestamp(lo, unit="D"), pd.Timestamp(hi, unit="D")
    roll = offset.rollforward if right else offset.rollback
    first, last = roll(t0), roll(t1)
    if isinstance(offset, Day | Week):  # fixed-length bins: plain arithmetic
        step = 1 if isinstance(offset, Day) else 7
        start = (first - pd.Timestamp(0)).days
        return np.arange(start, (last - pd.Timestamp(0)).days + 1, step, dtype=np.int64)
    return day_numbers(pd.Series(pd.date_range(first, last, freq=offset)))


def bin_index(labels: np.ndarray, day: np.ndarray, right: bool) -> np.ndarray:
    """Return the position of each day's bin in ``labels`` (right-closed bins end at it)."""
    step = int(labels[1] - labels[0]) if len(labels) > 1 else 0
    if step in (1, 7) and np.all(np.diff(labels) == step):  # days and weeks: arithmetic
        return np.asarray((day - labels[0] + (step - 1 if right else 0)) // step, dtype=np.int64)
    side: Literal["left", "right"] = "left" if right else "right"
    return np.searchsorted(labels, day, side=side) - (0 if right else 1)


def aggregate(cell: np.ndarray, n_cells: int, day: np.ndarray, value: np.ndarray,
               how: str) -> tuple[np.ndarray, ...]:
    """Per occupied cell (sorted): cell id, count, value, first and last day.

    Cells (series x bin) are dense and few, so counts and day ranges come from O(n)
    ``bincount``/``ufunc.at`` passes; only the median and first/last need more.
    """
    count = np.bincount(cell, minlength=n_cells)
    occupied = np.flatnonzero(count)
    first = np.full(n_cells, np.iinfo(np.int64).max)
    last = np.full(n_cells, np.iinfo(np.int64).min)
    np.minimum.at(first, cell, day)
    np.maximum.at(last, cell, day)
    if how == "mean":
        agg = np.bincount(cell, weights=value, minlength=n_cells)[occupied] / count[occupied]
    elif how == "median":
        # occupied cells renumbered 0..k-1 in order, as categories that all occur: pandas
        # then groups by these codes as they are instead of hashing a million cell ids
        rank = (np.cumsum(count > 0) - 1)[cell]
        groups = pd.CategoricalIndex(
            pd.Categorical.from_codes(rank, categories=pd.RangeIndex(len(occupied))))
        medians = pd.Series(value).groupby(groups, observed=False, sort=True).median()
        agg = medians.to_numpy(float)
    else:  # first / last by date, ties in input order: one stable sort on a combined key
        key = cell * (int(day.max() - day.min()) + 1) + (day - day.min())
        order = np.argsort(key, kind="stable")
        sorted_cell = cell[order]
        start = np.flatnonzero(np.r_[True, sorted_cell[1:] != sorted_cell[:-1]])
        pick = start if how == "first" else np.r_[start[1:], len(order)] - 1
        agg = value[order[pick]]
    return occupied, count[occupied], agg, first[occupied], last[occupied]


def fill(label: np.ndarray, value: np.ndarray, has: np.ndarray, first_day: np.ndarray,
          last_day: np.ndarray, max_gap_days: int) -> np.ndarray:
    """Log-linear interpolation in time for empty bins whose real neighbours are close."""
    n = len(value)
    idx = np.arange(n)
    prev = np.maximum.accumulate(np.where(has, idx, -1))
    nxt = np.minimum.accumulate(np.where(has, idx, n)[::-1])[::-1]
    empty = np.flatnonzero(~has)
    filled = np.full(n, np.nan)
    if len(empty) == 0:
        return filled
    p, q = prev[empty], nxt[empty]  # every series starts and ends with an occupied bin
    ok = (first_day[q] - last_day[p]) <= max_gap_days
    p, q, e = p[ok], q[ok], empty[ok]
    w = (label[e] - label[p]) / (label[q] - label[p])
    lp, lq = np.log(value[p]), np.log(value[q])
    filled[e] = np.exp(lp + w * (lq - lp))
    return filled


def days_to_obs(label: np.ndarray, grp: np.ndarray, has: np.ndarray, first_day: np.ndarray,
                 last_day: np.ndarray, right: bool) -> np.ndarray:
    """Distance from each bin label to the nearest real observation of its series."""
    n = len(label)
    idx = np.arange(n)
    prev_incl = np.maximum.accumulate(np.where(has, idx, -1))
    next_incl = np.minimum.accumulate(np.where(has, idx, n)[::-1])[::-1]
    prev_strict = np.r_[-1, prev_incl[:-1]]
    next_strict = np.r_[next_incl[1:], n]
    # right-labelled bins end at their label: in-bin reports lie on or before it
    before, after = (prev_incl, next_strict) if right else (prev_strict, next_incl)
    big = np.iinfo(np.int64).max // 4
    ok_b = (before >= 0) & (grp[np.clip(before, 0, n - 1)] == grp)
    ok_a = (after < n) & (grp[np.clip(after, 0, n - 1)] == grp)
    d_before = np.where(ok_b, label - last_day[np.clip(before, 0, n - 1)], big)
    d_after = np.where(ok_a, first_day[np.clip(after, 0, n - 1)] - label, big)
    return np.minimum(d_before, d_after).astype(np.int64)
