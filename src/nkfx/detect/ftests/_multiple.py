"""F tests for several breaks: sup-F(l+1|l) (Bai & Perron 1998) and UDmax (numeric core).

Same conventions as :mod:`nkfx.detect.ftests._single` (break index = last observation of the old
regime, Wald-scale F, ``X = None`` for the mean-shift model). P-values and critical values come
from the simulated nulls of :mod:`nkfx.detect.ftests._critical`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nkfx.detect.bai_perron._core import bai_perron
from nkfx.detect.ftests import _critical
from nkfx.detect.ftests._path import (
    _as_data,
    _check_breaks,
    _check_h,
    _segments,
    _standardise,
    check_not_exact,
    f_statistics,
)
from nkfx.detect.ftests._single import LEVELS, FTest
from nkfx.errors import NkfxTypeError, NkfxValueError

__all__ = ["seq_f", "udmax", "udmax_from_rss", "wdmax"]


def seq_f(y: Any, X: Any, breaks: Any, *, h: int) -> FTest:
    """Bai & Perron (1998) sup-F(l+1 | l) test of ``l = len(breaks)`` against ``l + 1`` breaks.

    The statistic is the largest, over the ``l + 1`` segments, of the segment's own supF
    (:func:`f_statistics` on that segment, minimal length ``h``); segments shorter than ``2h``
    cannot hold a break and are skipped. P-value: ``1 - prod_j F_{q, pi_j}(stat)`` where
    ``F_{q, pi}`` is the supF(1) null CDF and ``pi_j = h / n_j``. This is Bai & Perron's asymptotic
    form (segment-wise sups independent, estimated breaks treated as known); with equal segments it
    is ``1 - F(stat)^(l+1)``. Bai & Perron's own tables use one trimming for every segment, so
    values differ from theirs when segment lengths differ; even with equal trims our 5% critical
    values for ``q = 1``, ``epsilon = 0.15`` are 0.17 and 0.26 below their table for ``l = 2, 3``
    (and equal to it for ``l = 0, 1``), so the test is slightly liberal there.

    Parameters
    ----------
    y, X
        As in :func:`f_statistics`.
    breaks : sequence of int
        The ``l`` breaks under the null (sorted break indices), e.g. the optimal ``l``-break
        partition.
    h : int
        Minimal segment length, also inside each segment.

    Returns
    -------
    FTest
        ``at`` is the break index of the best extra break; ``detail["segment_trims"]`` the
        ``h / n_j`` of the segments that could hold one.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> y = np.r_[rng.normal(0, 1, 50), rng.normal(3, 1, 50), rng.normal(0, 1, 50)]
    >>> res = seq_f(y, None, [49], h=15)
    >>> res.at, res.pvalue < 0.01
    (99, True)
    """
    yy, XX = _as_data(y, X)
    n, k = XX.shape
    hh = _check_h(h, n, k)
    brk = _check_breaks(breaks, n)
    best, at, trims = -np.inf, None, []
    for s, e in _segments(n, brk):
        if e - s + 1 < 2 * hh:
            continue
        b, f = f_statistics(yy[s : e + 1], XX[s : e + 1], h=hh)
        trims.append(hh / (e - s + 1))
        if np.max(f) > best:
            best, at = float(np.max(f)), int(b[int(np.argmax(f))]) + s
    detail: dict[str, Any] = {"l": int(brk.size), "segment_trims": np.array(trims)}
    name, df = f"supF({brk.size + 1}|{brk.size})", (float(k), float(n - (brk.size + 2) * k))
    if not trims:
        detail["note"] = "no segment is long enough (2h) to hold another break"
        return FTest(name, float("nan"), float("nan"), df, {}, None, detail)
    try:
        pvalue = _critical.seq_pvalue(best, k, trims)
        crit = {lv: _critical.seq_quantile(lv, k, trims) for lv in LEVELS}
    except NkfxValueError as exc:
        pvalue, crit = float("nan"), {}
        detail["note"] = f"no tabulated null: {exc}"
    return FTest(name, best, pvalue, df, crit, at, detail)


def udmax_from_rss(rss: np.ndarray, n: int, k: int) -> tuple[float, np.ndarray]:
    """UDmax and the supF(m) statistics from the optimal RSS for m = 0..M breaks.

    ``supF(m) = (n - (m + 1) k) / m * (RSS_0 - RSS_m) / RSS_m``: the F form of Bai & Perron,
    divided by the number of breaks but not by ``k`` (as in their code and tables).
    """
    m = np.arange(1, len(rss))
    with np.errstate(divide="ignore"):
        fm = (n - (m + 1) * k) / m * (rss[0] - rss[1:]) / rss[1:]
    return float(np.max(fm)), fm


def udmax(y: Any, X: Any, *, h: int, max_breaks: int) -> FTest:
    """Bai & Perron (1998) UDmax test: no break against 1 to ``max_breaks`` breaks.

    Uses the exact optimal segmentations of :func:`nkfx.detect.bai_perron._core.bai_perron`; the p-value
    and critical values come from the simulated UDmax null (:mod:`nkfx.detect.ftests._critical`) for a
    grid of ``n`` dates with minimal segment ``h`` (the exact null of the mean-shift model with
    Gaussian errors and known variance; the asymptotic one as ``n`` grows).
    ``detail["supF_m"]`` holds supF(m) for each m; ``detail["n_breaks"]`` the maximising m.

    Parameters
    ----------
    y, X, h
        As in :func:`f_statistics`.
    max_breaks : int
        Largest number of breaks M (capped at what the data allow); p-values are tabulated for
        every M the trimming allows: ``floor(1 / pi0) - 1`` at the tabulated trims
        ``pi0`` = 0.05, 0.10, 0.15, 0.20, 0.25 (19, 9, 5, 4, 3), for q = 1..5 regressors.

    Returns
    -------
    FTest
        ``statistic = max_m supF(m)`` with
        ``supF(m) = (n - (m + 1) k) / m * (RSS_0 - RSS_m) / RSS_m``.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> y = np.r_[rng.normal(0, 1, 60), rng.normal(2, 1, 60)]
    >>> res = udmax(y, None, h=18, max_breaks=3)
    >>> res.detail["n_breaks"], res.pvalue < 0.01
    (1, True)
    """
    yy, XX = _as_data(y, X)
    n, k = XX.shape
    hh = _check_h(h, n, k)
    if isinstance(max_breaks, bool) or not isinstance(max_breaks, int | np.integer):
        raise NkfxTypeError(f"max_breaks must be an integer; got {max_breaks!r}")
    if max_breaks < 1:
        raise NkfxValueError(f"max_breaks must be at least 1; got {max_breaks}")
    check_not_exact(*_standardise(yy, XX))
    path = bai_perron(yy, None if X is None else XX, h=hh, max_breaks=int(max_breaks))
    stat, fm = udmax_from_rss(np.asarray(path.rss, dtype=float), n, k)
    mm = len(fm)
    detail: dict[str, Any] = {"supF_m": fm, "n_breaks": int(np.argmax(fm)) + 1, "max_breaks": mm}
    detail["breaks"] = np.asarray(path.breaks[detail["n_breaks"]])
    try:
        pvalue = _critical.udmax_pvalue(stat, q=k, trim=hh / n, max_breaks=mm, n=n)
        crit = {
            lv: _critical.udmax_quantile(lv, q=k, trim=hh / n, max_breaks=mm, n=n)
            for lv in LEVELS
        }
    except NkfxValueError as exc:
        pvalue, crit = float("nan"), {}
        detail["note"] = f"no tabulated null: {exc}"
    else:
        if _critical.udmax_conservative(hh / n, mm):
            detail["note"] = (
                f"M = {mm} is tabulated only at a smaller trim than h/n = {hh / n:.3f}: the "
                "p-value and critical values are conservative (an upper bound)"
            )
    detail.update(wdmax(fm, q=k, trim=hh / n, n=n))
    return FTest("UDmax", stat, pvalue, (float(k), float(n)), crit, None, detail)


def wdmax(fm: np.ndarray, *, q: int, trim: float, n: int) -> dict[str, Any]:
    """Bai & Perron's WDmax at each level of ``LEVELS``: ``max_m c(1) / c(m) * F(m)``.

    The weights ``c(1) / c(m)`` (ratios of the level's quantiles of ``F(1)`` and ``F(m)``) put
    the m-break statistics on one scale, so that many breaks are not penalised as in UDmax.
    Returns ``{"WDmax": {level: statistic}, "WDmax_critical": {level: critical value}}``, or a
    ``WDmax_note`` when the bundled tables cannot give them.
    """
    stats: dict[float, float] = {}
    crits: dict[float, float] = {}
    try:
        for lv in LEVELS:
            w = _critical.wdmax_weights(lv, q=q, trim=trim, max_breaks=len(fm), n=n)
            stats[lv] = float(np.max(w * fm))
            crits[lv] = _critical.wdmax_critical(lv, q=q, trim=trim, max_breaks=len(fm), n=n)
    except NkfxValueError as exc:
        return {"WDmax_note": f"no tabulated WDmax null: {exc}"}
    return {"WDmax": stats, "WDmax_critical": crits}
