"""Flag suspect reports: unit slips, isolated outliers, stale repeated quotes (see :func:`flag`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from nkfx._groups import check_by, checked_rates, day_numbers, group_codes
from nkfx._validate import check_positive, to_timedelta
from nkfx.errors import NkfxTypeError

__all__ = ["flag"]

_MAD_TO_SD = 1.4826
#: Smallest robust scale (log points per sqrt day): avoids infinite z in flat series.
_SCALE_FLOOR = 0.0025
_SLIPS = ((100.0, "×100"), (0.01, "÷100"), (10.0, "×10"), (0.1, "÷10"))


def flag(
    rates: pd.DataFrame,
    *,
    outlier_threshold: float = 5.0,
    slip_tolerance: float = 0.35,
    stale_min_reports: int = 5,
    stale_min_days: int = 60,
    min_days: float = 7.0,
    confirm_window: str | pd.Timedelta = "7D",
    by: Sequence[str] = ("city", "currency", "source"),
) -> pd.DataFrame:
    """Mark unit slips, isolated outliers and stale quotes; delete nothing.

    Each rule looks at one series at a time (by default one city, currency and source, so
    that outlets with different levels are not taken for outliers), in date order. A series
    with fewer than three reports is never flagged: there is nothing to compare with.

    Parameters
    ----------
    rates : pandas.DataFrame
        A rate frame (not modified).
    outlier_threshold : float, default 5.0
        Robust z that both jumps (to and from the report) must exceed.
    slip_tolerance : float, default 0.35
        Allowed log distance from +-log 10 / +-log 100 (0.35: a factor 7.0-14.2 or 70-142).
    stale_min_reports : int, default 5
        Shortest run of identical values called stale.
    stale_min_days : int, default 60
        Shortest span (first to last report of the run) called stale.
    min_days : float, default 7.0
        Floor on elapsed days when scaling jumps.
    confirm_window : str or pandas.Timedelta, default "7D"
        How close another series' jump must be to confirm a spike ("0D" disables).
    by : sequence of str, default ("city", "currency", "source")
        Columns defining a series.

    Returns
    -------
    pandas.DataFrame
        A copy of ``rates`` (same order and index) plus ``flag`` (bool) and ``flag_reason``
        (``""`` when not flagged; several reasons joined by ``"; "``), e.g.
        ``"unit slip: ×100 vs neighbours"``,
        ``"outlier: log deviation 0.92 from neighbours (robust z = 7.3)"``,
        ``"stale: same value on 6 consecutive reports over 84 days"``.

    Raises
    ------
    NkfxValueError, NkfxTypeError
        Non-positive thresholds, bad ``by``, ``rates`` not a rate frame.

    Notes
    -----
    * **Unit slip**: most of the (up to two on each side, at least two) neighbouring
      reports lie within ``slip_tolerance`` of +-log 10 or +-log 100 in log distance
      (old/new won confusion). Needing a majority keeps a good report next to a slipped one
      from being called a slip too.
    * **Outlier**: the report jumps away from *both* its neighbours in the same direction,
      each jump larger than ``outlier_threshold`` robust standard deviations. A jump is
      divided by the square root of the elapsed days (floored at ``min_days``, because
      quotes carry noise that does not shrink with the gap); the scale is 1.4826 x the MAD
      of those scaled changes over the series (at least 0.0025). The worst spikes are
      removed first and the rest re-judged, so a good report between two outliers is not
      flagged. A level shift is not flagged, since the next report confirms it.
    * **Confirmed spikes are events**: a candidate is cleared when another series of the
      same currency (another city or outlet) jumps the same way, at least half as far,
      within ``confirm_window``. The post-reform spike of March 2010 (USD ~500 -> 2,300-2,500
      -> ~600 in April) is therefore not flagged in the Daily NK survey: it lasts two
      consecutive reports and all three cities show it. A single city's series on its
      own, with one report at the peak, would flag it, so flag whole frames, not one city.
    * **Stale**: the same value on ``stale_min_reports`` or more consecutive reports spanning
      at least ``stale_min_days``; the first report of the run stays unflagged.

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx.clean import flag
    >>> rates = pd.DataFrame({
    ...     "date": pd.date_range("2024-01-07", periods=6, freq="14D"), "city": "Hyesan",
    ...     "currency": "CNY", "rate": [800.0, 805.0, 81000.0, 812.0, 806.0, 815.0],
    ...     "source": "Daily NK"})
    >>> flag(rates).loc[lambda f: f["flag"], ["rate", "flag_reason"]]
          rate                    flag_reason
    2  81000.0  unit slip: ×100 vs neighbours
    """
    for name, value in (("outlier_threshold", outlier_threshold),
                        ("slip_tolerance", slip_tolerance), ("min_days", min_days)):
        check_positive(name, value)
    for name, count in (("stale_min_reports", stale_min_reports),
                        ("stale_min_days", stale_min_days)):
        if isinstance(count, bool) or not isinstance(count, int):
            raise NkfxTypeError(f"{name} must be an int; got {type(count).__name__}")
        check_positive(name, count)
    window = to_timedelta("confirm_window", confirm_window, allow_zero=True)
    keys = check_by(rates, by, default=("city", "currency", "source"))
    checked_rates(rates, keys, what="flag")
    codes, _ = group_codes(rates, keys)
    day = day_numbers(rates["date"])
    order = np.lexsort((np.arange(len(rates)), day, codes))
    g, t = codes[order], day[order].astype(float)
    x = np.log(rates["rate"].to_numpy(dtype=float))[order]
    reasons = np.full(len(rates), "", dtype=object)
    slip = _slips(g, x, slip_tolerance, reasons)
    _outliers(rates, g, t, x, slip, outlier_threshold, min_days, window, order, reasons)
    _stale(g, t, rates["rate"].to_numpy(dtype=float)[order], stale_min_reports,
           stale_min_days, reasons)
    out = rates.copy()
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    out["flag_reason"] = pd.Series(reasons[back], index=rates.index, dtype=object)
    out["flag"] = out["flag_reason"].to_numpy() != ""
    return out


def _shift(a: np.ndarray, g: np.ndarray, k: int) -> np.ndarray:
    """Shift ``a`` by ``k`` positions within each series (NaN across series)."""
    out = np.full(len(a), np.nan)
    if abs(k) >= len(a):
        return out
    if k > 0:
        same = g[k:] == g[:-k]
        out[k:] = np.where(same, a[:-k], np.nan)
    else:
        same = g[:k] == g[-k:]
        out[:k] = np.where(same, a[-k:], np.nan)
    return out


def _add(reasons: np.ndarray, idx: np.ndarray, texts: Sequence[str]) -> None:
    for i, text in zip(idx.tolist(), texts, strict=True):
        reasons[i] = f"{reasons[i]}; {text}" if reasons[i] else text


def _slips(g: np.ndarray, x: np.ndarray, tol: float, reasons: np.ndarray) -> np.ndarray:
    # each of up to two neighbours on either side votes; a slip needs a majority and >= 2
    # votes, so a good report beside a slipped one is not itself called a slip
    d = x[:, None] - np.column_stack([_shift(x, g, k) for k in (2, 1, -1, -2)])
    available = np.sum(~np.isnan(d), axis=1)
    slip = np.zeros(len(x), dtype=bool)
    for factor, label in _SLIPS:
        votes = np.sum(np.abs(d - np.log(factor)) <= tol, axis=1)
        hit = ~slip & (votes >= 2) & (2 * votes > available)
        _add(reasons, np.flatnonzero(hit), [f"unit slip: {label} vs neighbours"] * int(hit.sum()))
        slip |= hit
    return slip


def _outliers(rates: pd.DataFrame, g: np.ndarray, t: np.ndarray, x: np.ndarray,
              slip: np.ndarray, threshold: float, min_days: float, window: pd.Timedelta,
              order: np.ndarray, reasons: np.ndarray) -> None:
    xp, tp = _shift(x, g, 1), _shift(t, g, 1)
    change = np.where(slip | _shift(slip.astype(float), g, 1).astype(bool), np.nan,
                      (x - xp) / np.sqrt(np.maximum(t - tp, min_days)))
    scale = _robust_scale(change, g)  # changes touching a slip say nothing about the scale
    currency = rates["currency"].to_numpy(dtype=object)[order]
    by_time = np.argsort(t, kind="stable")
    jump = x - xp
    active, cleared = ~slip, np.zeros(len(x), dtype=bool)
    for _ in range(10):  # peel the worst spikes first, so a good report between two
        ia = np.flatnonzero(active)  # outliers is judged against clean neighbours
        z, deviation = _spike_z(g[ia], t[ia], x[ia], scale[ia], min_days)
        strength = np.where(~cleared[ia] & (np.abs(z) > threshold), np.abs(z), 0.0)
        left = np.nan_to_num(_shift(strength, g[ia], 1))
        right = np.nan_to_num(_shift(strength, g[ia], -1))
        pick = np.flatnonzero((strength > 0) & (strength >= left) & (strength > right))
        if len(pick) == 0:
            break
        real = np.asarray([_confirmed(i, g, t, jump, currency, by_time, window.days)
                           for i in ia[pick]], dtype=bool)
        cleared[ia[pick[real]]] = True
        pick = pick[~real]
        _add(reasons, ia[pick], [f"outlier: log deviation {deviation[k]:.2f} from neighbours "
                                 f"(robust z = {z[k]:.1f})" for k in pick.tolist()])
        active[ia[pick]] = False


def _spike_z(g: np.ndarray, t: np.ndarray, x: np.ndarray, scale: np.ndarray,
             min_days: float) -> tuple[np.ndarray, np.ndarray]:
    """Signed robust z of a spike (smaller of the two jumps; 0 unless both agree in sign)."""
    xp, xn = _shift(x, g, 1), _shift(x, g, -1)
    tp, tn = _shift(t, g, 1), _shift(t, g, -1)
    z_prev = (x - xp) / (scale * np.sqrt(np.maximum(t - tp, min_days)))
    z_next = (x - xn) / (scale * np.sqrt(np.maximum(tn - t, min_days)))
    z = np.sign(z_prev) * np.fmin(np.abs(z_prev), np.abs(z_next))
    z = np.where(np.sign(z_prev) == np.sign(z_next), z, 0.0)
    span = np.where(tn > tp, tn - tp, 1.0)
    deviation = x - (xp + np.where(tn > tp, (t - tp) / span, 0.5) * (xn - xp))
    return np.nan_to_num(z), deviation


def _robust_scale(change: np.ndarray, g: np.ndarray) -> np.ndarray:
    frame = pd.DataFrame({"g": g, "c": change})
    centre = frame.groupby("g")["c"].transform("median")
    mad = (frame["c"] - centre).abs().groupby(frame["g"]).transform("median")
    return np.fmax(_MAD_TO_SD * mad.to_numpy(dtype=float), _SCALE_FLOOR)


def _confirmed(i: int, g: np.ndarray, t: np.ndarray, jump: np.ndarray, currency: np.ndarray,
               by_time: np.ndarray, window_days: int) -> bool:
    """Tell whether another series of the same currency jumps the same way nearby."""
    ts = t[by_time]
    lo = np.searchsorted(ts, t[i] - window_days, side="left")
    hi = np.searchsorted(ts, t[i] + window_days, side="right")
    j = by_time[lo:hi]
    j = j[(g[j] != g[i]) & (currency[j] == currency[i])]
    same_way = np.sign(jump[j]) == np.sign(jump[i])
    return bool(np.any(same_way & (np.abs(jump[j]) >= 0.5 * abs(jump[i]))))


def _stale(g: np.ndarray, t: np.ndarray, value: np.ndarray, min_reports: int, min_days: int,
           reasons: np.ndarray) -> None:
    new_run = np.r_[True, (g[1:] != g[:-1]) | (value[1:] != value[:-1])]
    run = np.cumsum(new_run) - 1
    size = np.bincount(run)
    first_t = t[new_run]
    last_t = np.r_[t[np.flatnonzero(new_run)[1:] - 1], t[-1]] if len(t) else t
    span = (last_t - first_t).astype(int)
    bad_run = (size >= min_reports) & (span >= min_days)
    hit = bad_run[run] & ~new_run
    idx = np.flatnonzero(hit)
    _add(reasons, idx, [f"stale: same value on {size[run[i]]} consecutive reports over "
                        f"{span[run[i]]} days" for i in idx.tolist()])
