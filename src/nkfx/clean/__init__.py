"""Cleaning a rate frame: combine sources, estimate source bias, flag suspect rows.

Nothing here deletes data on its own: :func:`combine` keeps the count, the names
and the spread of the sources it merged; :func:`flag` only adds ``flag`` and
``flag_reason``; :func:`drop_flagged` removes flagged rows when asked and says how many.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from nkfx._groups import checked_rates, group_codes
from nkfx._validate import check_option, check_type
from nkfx.clean.bias import SourceBias, source_bias
from nkfx.clean.flags import flag
from nkfx.errors import NkfxValueError, NkfxWarning

__all__ = ["SourceBias", "combine", "drop_flagged", "flag", "source_bias"]

_KEYS = ("date", "city", "currency")
#: Descriptive columns carried into a combined row as their distinct values joined by "; ".
_TEXT_COLUMNS = ("date_precision", "rate_type", "won_adjustment", "region")


def combine(
    rates: pd.DataFrame,
    *,
    how: Literal["median", "mean", "priority"] = "median",
    priority: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Merge every report of one (date, city, currency) into one row.

    Parameters
    ----------
    rates : pandas.DataFrame
        A rate frame. Rows without a city are grouped among themselves (same date and
        currency), never dropped.
    how : {"median", "mean", "priority"}, default "median"
        ``median``/``mean`` of the reported rates (in levels). ``priority`` takes the rate
        of the first source of ``priority`` present on that date (the median if that source
        reported several rows); sources missing from the list rank after it, in
        alphabetical order.
    priority : sequence of str, optional
        Source names, most trusted first; required by, and only allowed with,
        ``how="priority"``.

    Returns
    -------
    pandas.DataFrame
        One row per (date, city, currency), sorted by city, currency and date:
        ``rate``; ``source`` (the chosen source for ``priority``, else the sources);
        ``rate_low``/``rate_high`` (lowest and highest value reported, ranges included);
        ``n_obs`` (rows merged), ``n_sources`` (distinct sources), ``sources`` (sorted,
        joined by ``"; "``), ``spread`` (max / min of the rates - 1), ``rows`` (the ``row``
        numbers merged), ``duplicate`` (False) and the distinct values of
        ``date_precision``, ``rate_type``, ``won_adjustment`` and ``region`` when present.

    Raises
    ------
    NkfxValueError
        Unknown ``how``; ``priority`` missing, misplaced, or naming a source that is not in
        ``rates`` (the message names it and lists the sources present).
    SchemaError, NkfxTypeError
        ``rates`` is not a rate frame.

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx.clean import combine
    >>> rates = pd.DataFrame({
    ...     "date": pd.to_datetime(["2019-08-06"] * 3), "city": ["Hyesan"] * 3,
    ...     "currency": ["USD"] * 3, "rate": [9463.0, 9643.0, 7900.0],
    ...     "source": ["Asia Press (Japanese)", "Asia Press (English)", "Daily NK"]})
    >>> out = combine(rates)
    >>> out[["rate", "n_sources", "spread"]].round(4)
         rate  n_sources  spread
    0  9463.0          3  0.2206
    >>> combine(rates, how="priority", priority=["Daily NK"])["rate"].item()
    7900.0
    """
    check_option("how", how, ("median", "mean", "priority"))
    ranks = _priority_ranks(rates, how, priority)
    checked_rates(rates, _KEYS, what="combine")
    codes, keys = group_codes(rates, _KEYS)
    n_groups = len(keys)
    value = rates["rate"].to_numpy(float)
    by_group = pd.Series(value).groupby(codes, sort=True)
    if how == "priority":
        best = pd.Series(ranks).groupby(codes).transform("min").to_numpy()
        chosen = ranks == best
        rate = pd.Series(value[chosen]).groupby(codes[chosen]).median().to_numpy()
        source = _join(codes[chosen], rates["source"][chosen], n_groups)
    else:
        rate = (by_group.median() if how == "median" else by_group.mean()).to_numpy()
        source = None
    low = np.fmin(value, _optional(rates, "rate_low"))
    high = np.fmax(value, _optional(rates, "rate_high"))
    sources = _join(codes, rates["source"], n_groups)
    out = keys.loc[:, list(_KEYS)].copy()
    out["rate"] = rate
    out["source"] = sources if source is None else source
    out["rate_low"] = pd.Series(low).groupby(codes).min().to_numpy()
    out["rate_high"] = pd.Series(high).groupby(codes).max().to_numpy()
    out["n_obs"] = np.bincount(codes, minlength=n_groups)
    out["n_sources"] = _count_distinct(codes, rates["source"], n_groups)
    out["sources"] = sources
    out["spread"] = (by_group.max() / by_group.min()).to_numpy() - 1.0
    row = rates["row"] if "row" in rates else pd.Series(np.arange(len(rates)))
    out["rows"] = _join(codes, row, n_groups, numeric=True)
    out["duplicate"] = False
    for col in _TEXT_COLUMNS:
        if col in rates:
            out[col] = _join(codes, rates[col], n_groups)
    out = out.sort_values(["city", "currency", "date"], kind="stable", na_position="last")
    return out.reset_index(drop=True)


def _priority_ranks(rates: pd.DataFrame, how: str,
                    priority: Sequence[str] | None) -> np.ndarray:
    if how != "priority":
        if priority is not None:
            raise NkfxValueError(f"priority is only used with how='priority'; got how={how!r}")
        return np.zeros(0)
    if priority is None or isinstance(priority, str):
        raise NkfxValueError(
            "how='priority' needs priority=, a list of source names, most trusted first; "
            f"got {priority!r}"
        )
    if not isinstance(rates, pd.DataFrame) or "source" not in rates:
        return np.zeros(0)  # checked_rates() will name the problem
    present = sorted(str(s) for s in pd.unique(rates["source"].dropna()))
    unknown = [s for s in priority if s not in present]
    if unknown:
        raise NkfxValueError(
            f"priority names sources not in rates: {unknown}; sources present are {present}"
        )
    order = list(priority) + [s for s in present if s not in priority]
    rank = {s: i for i, s in enumerate(order)}
    codes, uniques = pd.factorize(rates["source"])
    table = np.asarray([rank.get(str(u), len(order)) for u in uniques] + [len(order)])
    return table[codes]  # code -1 (missing source) picks the last entry: ranked last


def _optional(rates: pd.DataFrame, col: str) -> np.ndarray:
    if col in rates:
        return np.asarray(pd.to_numeric(rates[col], errors="coerce"), dtype=float)
    return np.full(len(rates), np.nan)


def _count_distinct(codes: np.ndarray, values: pd.Series, n_groups: int) -> np.ndarray:
    v_codes, _ = pd.factorize(values, use_na_sentinel=False)
    pairs = pd.unique(codes * (int(v_codes.max(initial=0)) + 1) + v_codes)
    return np.bincount(pairs // (int(v_codes.max(initial=0)) + 1), minlength=n_groups)


def _join(codes: np.ndarray, values: pd.Series, n_groups: int, *,
          numeric: bool = False) -> np.ndarray:
    """Distinct non-missing values per group, sorted and joined by '; ' ('' if none)."""
    v_codes, uniques = pd.factorize(values, sort=True)  # missing -> -1
    if numeric:
        labels = np.asarray(uniques, dtype=np.int64).astype(str).tolist()
    else:
        labels = [str(u) for u in uniques]
    ok = v_codes >= 0
    width = max(len(uniques), 1)
    pairs = np.sort(pd.unique(codes[ok] * width + v_codes[ok]))  # by group, then value
    out = np.full(n_groups, "", dtype=object)
    if len(pairs) == 0:
        return out
    group, value = np.divmod(pairs, width)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    ends = np.r_[starts[1:], len(pairs)]
    for g, lo, hi in zip(group[starts].tolist(), starts.tolist(), ends.tolist(), strict=True):
        out[g] = "; ".join(labels[v] for v in value[lo:hi].tolist())
    return out


def drop_flagged(frame: pd.DataFrame) -> pd.DataFrame:
    """Remove the rows that :func:`flag` marked, and say how many went.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`flag` (needs a boolean ``flag`` column).

    Returns
    -------
    pandas.DataFrame
        A copy without the flagged rows (index kept, so dropped rows can be traced).

    Warns
    -----
    NkfxWarning
        When rows are removed: how many, out of how many, and of which kind
        (unit slip, outlier, stale).

    Raises
    ------
    NkfxValueError
        If ``frame`` has no ``flag`` column.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from nkfx.clean import drop_flagged
    >>> flagged = pd.DataFrame({"rate": [800.0, 80000.0, 810.0], "flag": [False, True, False],
    ...                         "flag_reason": ["", "unit slip: ×100 vs neighbours", ""]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     kept = drop_flagged(flagged)
    >>> kept["rate"].tolist()
    [800.0, 810.0]
    >>> str(caught[0].message)
    'drop_flagged removed 1 of 3 rows (unit slip: 1)'
    """
    check_type("frame", frame, pd.DataFrame, "a DataFrame returned by nkfx.flag()")
    if "flag" not in frame:
        raise NkfxValueError(
            "frame has no 'flag' column; call nkfx.flag(rates) first and pass its result"
        )
    mask = frame["flag"].fillna(False).to_numpy(dtype=bool)
    if mask.any():
        kinds: dict[str, int] = {}
        reasons = frame["flag_reason"] if "flag_reason" in frame else pd.Series("", index=frame.index)
        for reason in reasons[mask].astype(str):
            for part in reason.split("; ") if reason else ["unspecified"]:
                kind = part.split(":")[0]
                kinds[kind] = kinds.get(kind, 0) + 1
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items()))
        warnings.warn(
            f"drop_flagged removed {int(mask.sum())} of {len(frame)} rows ({detail})",
            NkfxWarning, stacklevel=2,
        )
    return frame.loc[~mask].copy()

