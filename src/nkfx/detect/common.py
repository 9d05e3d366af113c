"""Breaks common to several series: did the cities (or currencies) break on one date.

:func:`detect_common` fits mean shifts in log rates whose dates are shared by all
series (Bai, Lumsdaine & Stock 1998; Qu & Perron 2007), on reports that fall on
different days and have gaps. It returns a :class:`CommonBreaks`: the common dates
with confidence intervals, the jump of each series, a test per series of whether it
took part, each series' own best date in the same stretch, and a test of one common
date against separate dates. The numeric core is :mod:`nkfx.detect._common`.

The model is a mean shift, so it answers "which date, and was it common" for a move
that stands out of its neighbourhood; over many years a market rate drifts, and
mean shifts then describe eras. Narrow the question with ``start``/``end`` (a year
around the event) for a jump such as January 2022's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

from nkfx._json import jsonable
from nkfx._series import median_per_date
from nkfx._validate import to_timestamp
from nkfx.detect import _common as core
from nkfx.detect._prepare import fmt_date
from nkfx.detect.ftests._hac import hac_meat, hac_vcov
from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError
from nkfx.plotting.style import city_style, format_rate_axis, new_axes
from nkfx.schema import select
from nkfx.summary import Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CommonBreaks", "detect_common"]


@dataclass(frozen=True, eq=False)
class CommonBreaks:
    """Breaks shared by several series, with intervals, jumps and tests of commonality.

    Attributes
    ----------
    breaks : pandas.DataFrame
        One row per common break: ``last_old`` and ``first_new`` (dates of the union of
        all reports), ``ci_lower``/``ci_upper`` (interval for ``last_old`` at ``level``),
        ``ci_days``, ``n_taking_part``, ``lr_common`` (the statistic of one common date
        against separate dates), ``pvalue_common`` (its bootstrap p-value: small means
        the series did *not* break on one date) and ``shared_shock`` (the share of the
        noise that series reporting on the same day have in common, used by the bootstrap).
    series : pandas.DataFrame
        One row per break and series: reports before/after, regime levels (KPW),
        ``jump_pct`` (of the regime means), the last report before the common date and the
        first after it (``rate_old``, ``rate_new``) with ``report_jump_pct`` between them,
        ``delta`` (log points) with HAC ``se``, ``t``, ``pvalue``, ``takes_part``, the
        series' own best date (``own_last_old``/``own_first_new``) with its interval,
        and ``lead_days``: own ``first_new`` minus the series' first report on or after
        the common ``first_new`` (0: its own best split is the common one; negative: it
        moved earlier).
    data : pandas.DataFrame
        The observations used: ``series``, ``date``, ``rate``.
    criteria : pandas.DataFrame
        Per number of breaks: ``n_log_ssr`` (``sum_i n_i log(SSR_i / n_i)``, minus twice
        the Gaussian log-likelihood up to a constant) and BIC (with ``n_breaks="bic"``).
    params : dict
        Every setting used (by, currency, window, trim, h, level, n_boot, seed, ...).
    notes : tuple of str
        How the answer was reached and what to keep in mind.
    """

    breaks: pd.DataFrame
    series: pd.DataFrame
    data: pd.DataFrame
    criteria: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def dates(self) -> pd.DatetimeIndex:
        """First dates of the new regimes (one per common break)."""
        return pd.DatetimeIndex(self.breaks["first_new"])

    def __repr__(self) -> str:
        dates = ", ".join(fmt_date(d) for d in self.dates) or "none"
        names = ", ".join(str(s) for s in self.data["series"].unique())
        return f"CommonBreaks({len(self.breaks)} common break(s): {dates}; series: {names})"

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy table: one row per break and series, with the break's dates.

        Examples
        --------
        >>> import nkfx
        >>> from nkfx.detect.common import common_example
        >>> sim = common_example()
        >>> res = nkfx.detect_common(sim, currency="USD", n_boot=49)
        >>> res.to_frame()[["series", "first_new", "takes_part"]]
              series  first_new  takes_part
        0     Hyesan 2022-01-25        True
        1  Pyongyang 2022-01-25        True
        2    Sinuiju 2022-01-25        True
        """
        cols = ["break", "last_old", "first_new", "ci_lower", "ci_upper", "pvalue_common"]
        return self.breaks[cols].merge(self.series, on="break", how="right")

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-safe types (ISO dates, None for NaN).

        Examples
        --------
        >>> import json, nkfx
        >>> from nkfx.detect.common import common_example
        >>> res = nkfx.detect_common(common_example(), currency="USD", n_boot=49)
        >>> json.loads(json.dumps(res.to_dict()))["breaks"][0]["first_new"]
        '2022-01-25'
        """
        out = {"breaks": self.breaks, "series": self.series, "criteria": self.criteria,
               "params": self.params, "notes": list(self.notes)}
        result: dict[str, Any] = jsonable(out)
        return result

    def summary(self) -> Summary:
        """Return the :class:`~nkfx.summary.Summary`: setup, common breaks, and each series' part.

        Examples
        --------
        >>> import nkfx
        >>> from nkfx.detect.common import common_example
        >>> res = nkfx.detect_common(common_example(), currency="USD", n_boot=49)
        >>> "One common date" in res.summary().as_text()
        True
        """
        return _summarize(self)

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Plot the series (KPW, log axis), the common breaks and each series' own date.

        The common date is a dashed line labelled with its date, the mean jump and the
        p-value of one common date; its interval is a grey band; each series' own best
        date is a tick in its colour at the foot of the axes.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to the lines of the series (e.g. ``linewidth``).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import nkfx
        >>> from nkfx.detect.common import common_example
        >>> res = nkfx.detect_common(common_example(), currency="USD", n_boot=49)
        >>> res.plot().get_yscale()
        'log'
        """
        return _plot(self, ax, **kwargs)

    def _repr_html_(self) -> str:
        html: str = self.summary().as_html()
        return html


# ----------------------------------------------------------------------------- input


def _as_series_map(data: Any, *, by: str, currency: str | None, source: str | None,
                   ) -> tuple[dict[str, pd.Series], str | None, list[str]]:
    """Turn a rate frame, a wide frame or a mapping into {name: rate Series}."""
    notes: list[str] = []
    if isinstance(data, Mapping):
        items = dict(data)
        for name, s in items.items():
            if not isinstance(s, pd.Series):
                raise NkfxTypeError(f"data[{name!r}] must be a pandas Series indexed by date; "
                                    f"got {type(s).__name__}")
        return {str(k): v for k, v in items.items()}, currency, notes
    if not isinstance(data, pd.DataFrame):
        raise NkfxTypeError("data must be a rate frame, a wide DataFrame indexed by date, or a "
                            f"mapping of names to Series; got {type(data).__name__}")
    if isinstance(data.index, pd.DatetimeIndex) and "rate" not in data.columns:
        return {str(c): data[c].dropna() for c in data.columns}, currency, notes
    return _from_rates(data, by=by, currency=currency, source=source, notes=notes)


def _from_rates(rates: pd.DataFrame, *, by: str, currency: str | None, source: str | None,
                notes: list[str]) -> tuple[dict[str, pd.Series], str | None, list[str]]:
    for col in ("date", "rate", by):
        if col not in rates.columns:
            raise NkfxValueError(f"data has no column {col!r}; columns are {list(rates.columns)}")
    sel = select(rates, currency=currency, source=source)
    if "currency" in sel.columns and currency is None:
        present = sorted(str(c) for c in sel["currency"].dropna().unique())
        if len(present) > 1 and by != "currency":
            raise NkfxValueError(f"data holds several currencies {present}; pass currency= to "
                                 "choose one (or by='currency' to compare currencies)")
        currency = present[0] if len(present) == 1 else None
    missing = sel[by].isna()
    if missing.any():
        notes.append(f"{int(missing.sum())} row(s) without a {by} were left out.")
        sel = sel.loc[~missing]
    # several rows per date: the median per date, in _clean_series (the rule of every series)
    out = {str(k): pd.Series(g["rate"].to_numpy(float), index=pd.DatetimeIndex(g["date"]))
           for k, g in sel.groupby(by, sort=True)}
    return out, currency, notes


def _day(name: str, value: Any) -> pd.Timestamp:
    """Return a window bound as a tz-naive date (an aware one keeps its local date)."""
    ts = to_timestamp(name, value)
    return ts.tz_localize(None) if ts.tz is not None else ts


def _clean_series(series: dict[str, pd.Series], start: Any, end: Any
                  ) -> tuple[list[str], list[pd.Series], list[str]]:
    """Return checked positive rates per series on naive days in the window, and notes."""
    lo = _day("start", start) if start is not None else None
    hi = _day("end", end) if end is not None else None
    names, kept, notes = [], [], []
    for name, s in series.items():
        if not isinstance(s.index, pd.DatetimeIndex):
            raise NkfxTypeError(f"series {name!r} must be indexed by dates; got "
                                f"{type(s.index).__name__}")
        if s.index.hasnans:
            raise NkfxValueError(f"series {name!r} has {int(np.sum(s.index.isna()))} value(s) "
                                 "without a date (NaT); drop or date them first")
        # Reports are calendar days: an aware index keeps its local dates, as everywhere in nkfx.
        days = s.index.tz_localize(None) if s.index.tz is not None else s.index
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            raise NkfxTypeError(f"series {name!r} must hold numbers; got dtype {s.dtype}")
        s = pd.Series(s.to_numpy(float), index=days.normalize())
        if s.isna().any():  # never silently: the note counts them
            notes.append(f"series {name!r}: {int(s.isna().sum())} missing value(s) left out.")
            s = s.dropna()
        s = s.sort_index()
        if lo is not None or hi is not None:
            s = s.loc[lo:hi]
        if not np.isfinite(s.to_numpy()).all():
            raise NkfxValueError(f"series {name!r} has infinite rates; rates must be finite")
        s, combined = median_per_date(s)  # the one rule of nkfx, said in the notes
        notes.extend(f"series {name!r}: {note}." for note in combined)
        if (s <= 0).any():
            raise NkfxValueError(f"series {name!r} has rates <= 0; rates must be positive "
                                 "(they are analysed in logs)")
        # A jump of more than e**709 (a factor of 1e308) is a slip, not a market, and its
        # percent change would overflow a float (issue 18's long fuzz found 1e-300 next to 1).
        if s.size and float(np.log(s.max()) - np.log(s.min())) > 709.0:
            raise NkfxValueError(f"series {name!r} spans rates from {s.min():.3g} to {s.max():.3g}, "
                                 "a factor beyond float range; check its units")
        names.append(name)
        kept.append(s)
    return names, kept, notes


# ----------------------------------------------------------------------------- fit


def _check_args(n_breaks: Any, max_breaks: Any, trim: Any, level: Any, alpha: Any,
                n_boot: Any) -> None:
    if not (n_breaks == "bic" or (isinstance(n_breaks, int | np.integer)
                                  and not isinstance(n_breaks, bool) and n_breaks >= 0)):
        raise NkfxValueError(f"n_breaks must be an integer >= 0 or 'bic'; got {n_breaks!r}")
    if not isinstance(max_breaks, int | np.integer) or isinstance(max_breaks, bool) or max_breaks < 1:
        raise NkfxValueError(f"max_breaks must be an integer >= 1; got {max_breaks!r}")
    for name, value, lo, hi in (("trim", trim, 0.0, 0.5), ("level", level, 0.5, 1.0),
                                ("alpha", alpha, 0.0, 0.5)):
        if not isinstance(value, float | int) or isinstance(value, bool) or not lo < value < hi:
            raise NkfxValueError(f"{name} must be a number in ({lo:g}, {hi:g}); got {value!r}")
    if not isinstance(n_boot, int | np.integer) or isinstance(n_boot, bool) or n_boot < 0:
        raise NkfxValueError(f"n_boot must be an integer >= 0 (0: no bootstrap); got {n_boot!r}")


def _bic(panel: core.Panel, starts: np.ndarray) -> float:
    ssr, cnt = core.series_ssr(core.cums(panel), starts)
    m = starts.size
    n_total = float(cnt.sum())
    ll = float((cnt * np.log(np.maximum(ssr / cnt, core._VAR_FLOOR))).sum())
    return ll + (panel.k * (m + 1) + m) * math.log(n_total)


def _choose(panel: core.Panel, n_breaks: Any, max_breaks: int, h: int
            ) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Fit the requested number of breaks, or each up to max_breaks and keep the best BIC."""
    w0 = core.start_weights(panel)
    wanted = [int(n_breaks)] if n_breaks != "bic" else list(range(max_breaks + 1))
    rows, fits = [], {}
    for m in wanted:
        starts, w, _ = core.fit_breaks(panel, m, h, w0)
        if starts.size != m:
            break
        ssr, _ = core.series_ssr(core.cums(panel), starts)
        cnt = core.series_ssr(core.cums(panel), starts)[1]
        rows.append({"n_breaks": m, "n_log_ssr": float((cnt * np.log(np.maximum(ssr / cnt, 1e-300))).sum()),
                     "BIC": _bic(panel, starts) if n_breaks == "bic" else math.nan})
        fits[m] = (starts, w)
    if not fits:
        raise InsufficientDataError(
            f"no {wanted[0]} common break(s) fit: every series needs at least {h} reports in "
            "every regime; widen the window, lower trim, or ask for fewer breaks")
    criteria = pd.DataFrame(rows)
    m = int(np.asarray(criteria["n_breaks"])[int(np.argmin(criteria["BIC"].to_numpy()))]
            ) if n_breaks == "bic" else wanted[0]
    return fits[m][0], fits[m][1], criteria


def _to_day(day: int) -> pd.Timestamp:
    return pd.Timestamp(np.datetime64(int(day), "D"))


def _ci_dates(grid: np.ndarray, last_old: int, scale: float, q: float) -> tuple[Any, Any, float]:
    """Interval for ``last_old`` (grid position) as dates; NaT where the scale is unknown."""
    if not math.isfinite(scale):
        return pd.NaT, pd.NaT, math.nan
    width = math.ceil(q * scale)
    lo = max(0, last_old - width)
    hi = min(grid.size - 1, last_old + width)
    return _to_day(grid[lo]), _to_day(grid[hi]), float(grid[hi] - grid[lo])


def _series_part(panel: core.Panel, i: int, b: int, lo: int, hi: int, h: int, q: float,
                 cums: tuple[np.ndarray, ...], alpha: float) -> dict[str, Any]:
    """Jump, HAC test and own break of series ``i`` in stretch [lo, hi) with common start b."""
    p, v = panel.pos[i], panel.y[i]
    inside = (p >= lo) & (p < hi)
    x = v[inside]
    after = (p[inside] >= b).astype(float)
    X = np.column_stack([np.ones(x.size), after])
    coef, *_ = np.linalg.lstsq(X, x, rcond=None)
    e = x - X @ coef
    se = math.sqrt(max(float(hac_vcov(X, e)[1, 1]), 0.0)) if x.size > 3 else math.nan
    t = float(coef[1]) / se if se > 0 else math.nan
    pval = float(2 * norm.sf(abs(t))) if math.isfinite(t) else math.nan
    own, _ = core.own_breaks(tuple(c[i:i + 1] for c in cums), lo, hi, h)
    row: dict[str, Any] = {
        "n_before": int((after == 0).sum()), "n_after": int((after == 1).sum()),
        "level_before": math.exp(coef[0]), "level_after": math.exp(coef[0] + coef[1]),
        "jump_pct": 100 * math.expm1(coef[1]), "delta": float(coef[1]), "se": se, "t": t,
        "pvalue": pval, "takes_part": bool(pval < alpha) if math.isfinite(pval) else False,
    }
    # What a reader of the reports sees: the series' last report before the common date and
    # its first on or after it (regime means over years can differ far more).
    k = int(np.searchsorted(p, b))
    old_x, new_x = (v[k - 1], v[k]) if 0 < k < v.size else (math.nan, math.nan)
    row.update({"rate_old": math.exp(old_x), "rate_new": math.exp(new_x),
                "report_jump_pct": 100 * math.expm1(new_x - old_x)})
    row.update(_own_break(panel, i, int(own[0]), lo, hi, q))
    # Lead in the series' own reports: 0 when its own split is the one the common date
    # implies (its next report may come days after the common first_new).
    mine = panel.grid[p[(p >= b) & (p < hi)]]
    row["lead_days"] = ((row["own_first_new"] - _to_day(mine[0])).days
                        if pd.notna(row["own_first_new"]) and mine.size else math.nan)
    return row


def _own_break(panel: core.Panel, i: int, b: int, lo: int, hi: int, q: float) -> dict[str, Any]:
    """Series i's own best date in [lo, hi) with Bai's interval in its own reports."""
    none = {"own_last_old": pd.NaT, "own_first_new": pd.NaT, "own_ci_lower": pd.NaT,
            "own_ci_upper": pd.NaT, "own_ci_days": math.nan}
    if b < 0:
        return none
    p, v = panel.pos[i], panel.y[i]
    sel = np.nonzero((p >= lo) & (p < hi))[0]
    pos, x = p[sel], v[sel]
    k = int(np.searchsorted(pos, b))  # first report of the new regime, own index
    mu1, mu2 = x[:k].mean(), x[k:].mean()
    e = np.r_[x[:k] - mu1, x[k:] - mu2]
    delta = mu2 - mu1
    lrv = float(hac_meat(np.ones((e.size, 1)), e)[0, 0]) if e.size > 3 else math.nan
    scale = lrv / delta**2 if delta != 0 and math.isfinite(lrv) and lrv > 0 else math.nan
    own_grid = panel.grid[pos]
    lo_d, hi_d, days = _ci_dates(own_grid, k - 1, scale, q)
    return {"own_last_old": _to_day(own_grid[k - 1]), "own_first_new": _to_day(own_grid[k]),
            "own_ci_lower": lo_d, "own_ci_upper": hi_d, "own_ci_days": days}


def _commonality(panel: core.Panel, w: np.ndarray, resid: list[np.ndarray], lo: int, hi: int,
                 h: int, n_boot: int, rng: np.random.Generator) -> tuple[float, float, float]:
    """Statistic, bootstrap p-value and same-day shock share of common vs separate dates."""
    cums = core.cums(panel)
    stat = core.lr_statistic(cums, w, lo, hi, h)
    if n_boot == 0 or not math.isfinite(stat):
        return stat, math.nan, math.nan
    model = core.noise_model(panel, resid)
    fitted = [v - e for v, e in zip(panel.y, resid, strict=True)]
    draws = core.bootstrap_common(panel, fitted, model, w, lo, hi, h, n_boot=n_boot, rng=rng)
    draws = draws[np.isfinite(draws)]
    # The statistic is exactly 0 whenever every series' own best split is the common one,
    # so it has a point mass; ties with the bootstrap draws are broken at random (seeded)
    # to keep the test's level (Dufour 2006), instead of a p-value stuck at 1.
    tol = 1e-9 * max(1.0, abs(stat))
    above = float((draws > stat + tol).sum())
    ties = float((np.abs(draws - stat) <= tol).sum())
    pval = (above + rng.uniform() * (ties + 1.0)) / (1.0 + draws.size)
    return stat, pval, model.shared


def detect_common(
    data: pd.DataFrame | Mapping[str, pd.Series],
    *,
    by: str = "city",
    currency: str | None = None,
    source: str | None = None,
    start: Any = None,
    end: Any = None,
    n_breaks: int | Literal["bic"] = 1,
    max_breaks: int = 5,
    trim: float = 0.15,
    level: float = 0.95,
    alpha: float = 0.05,
    n_boot: int = 199,
    seed: int = 0,
) -> CommonBreaks:
    """Find mean shifts in log rates that several series share, and test whether they do.

    Each series keeps its own report days, level and noise variance; the break dates
    are common. Dates minimise ``sum_i SSR_i / sigma_i^2`` over the union of all
    report days (exact: a grid search for one break, dynamic programming for more),
    with the variances iterated to a fixed point (Qu & Perron 2007's quasi-likelihood
    with independent errors). Intervals follow Bai (1997) in the panel form of Bai,
    Lumsdaine & Stock (1998), with the long-run variance of the combined score, so
    cities sharing shocks and serial correlation widen them honestly.

    Parameters
    ----------
    data : DataFrame or mapping of str to Series
        A rate frame (several rows of a series on one date become their median, said in
        ``notes``; ``nkfx.combine`` chooses another rule), a wide DataFrame indexed by date
        (a column per series, NaN where a series did not report), or ``{name: Series}``.
    by : str, default "city"
        Column of a rate frame that names the series (``"currency"`` compares CNY and
        USD in one city; pass ``currency=None`` and select the city first).
    currency, source : str, optional
        Rows of a rate frame to use.
    start, end : date-like, optional
        Window (inclusive). A mean-shift model over many years describes eras; a year
        around an event asks about the event.
    n_breaks : int or "bic", default 1
        Number of common breaks, or ``"bic"`` to choose 0..``max_breaks`` by BIC.
    max_breaks : int, default 5
        Largest number of breaks tried with ``"bic"``.
    trim : float, default 0.15
        Each series keeps at least ``max(2, ceil(trim * n))`` reports in every regime
        (``n`` its report count in the window).
    level : float, default 0.95
        Confidence level of the break-date intervals.
    alpha : float, default 0.05
        Level of the per-series test of taking part (HAC t-test of the jump).
    n_boot : int, default 199
        Bootstrap draws for the test of one common date against separate dates
        (0 skips it).
    seed : int, default 0
        Seed of the bootstrap.

    Returns
    -------
    CommonBreaks

    Raises
    ------
    NkfxValueError, NkfxTypeError
        Bad arguments or data (the message names the series or argument).
    InsufficientDataError
        Fewer than two series, or too few reports for the breaks asked for.

    Examples
    --------
    >>> import nkfx
    >>> from nkfx.detect.common import common_example
    >>> sim = common_example()   # three cities, one jump on 2022-01-23
    >>> res = nkfx.detect_common(sim, currency="USD", n_boot=49)
    >>> # the first report after the jump came on 2022-01-25
    >>> res.dates[0].date().isoformat(), int(res.breaks["n_taking_part"].iloc[0])
    ('2022-01-25', 3)
    >>> bool(res.breaks["pvalue_common"].iloc[0] > 0.05)  # one date fits all three
    True
    """
    _check_args(n_breaks, max_breaks, trim, level, alpha, n_boot)
    raw, currency, notes = _as_series_map(data, by=by, currency=currency, source=source)
    names, series, dropped = _clean_series(raw, start, end)
    notes += dropped
    short = [n for n, s in zip(names, series, strict=True) if len(s) < 4]
    if short:
        raise InsufficientDataError(f"series {short} have fewer than 4 reports in the window; "
                                    "each series needs at least 4")
    if len(series) < 2:
        raise InsufficientDataError(f"detect_common needs at least 2 series; got {names}")
    days = [s.index.to_numpy().astype("datetime64[D]").astype(np.int64) for s in series]
    panel = core.make_panel(days, [np.log(s.to_numpy(float)) for s in series])
    h = max(2, math.ceil(trim * min(len(s) for s in series)))
    starts, w, criteria = _choose(panel, n_breaks, int(max_breaks), h)
    params = {"by": by, "currency": currency, "source": source,
              "start": min(s.index[0] for s in series), "end": max(s.index[-1] for s in series),
              "n_breaks": n_breaks,
              "max_breaks": max_breaks, "trim": trim, "h": h, "level": level, "alpha": alpha,
              "n_boot": n_boot, "seed": seed, "scale": "log", "model": "mean"}
    breaks, parts, more = _describe(panel, names, starts, w, h, level, alpha, n_boot, seed)
    years = (params["end"] - params["start"]).days / 365.25
    if years > 3:
        more.append(f"The window spans {years:.0f} years: over years a rate drifts, so mean shifts "
                    "describe eras and jump_pct compares era means; report_jump_pct is the move "
                    "between the reports around each date. For an event, pass start/end a year "
                    "around it.")
    data_out = pd.concat([pd.DataFrame({"series": n, "date": s.index, "rate": s.to_numpy()})
                          for n, s in zip(names, series, strict=True)], ignore_index=True)
    return CommonBreaks(breaks, parts, data_out, criteria, params, tuple(notes + more))


def _describe(panel: core.Panel, names: list[str], starts: np.ndarray, w: np.ndarray, h: int,
              level: float, alpha: float, n_boot: int, seed: int
              ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Tables of the common breaks and of each series' part in them."""
    rng = np.random.default_rng(seed)
    resid, means = core.residuals(panel, starts)
    cums = core.cums(panel)
    q = core.argmax_quantile(level)
    edges = np.r_[0, starts, panel.n_grid]
    rows, parts = [], []
    for k, b in enumerate(starts, start=1):
        lo, hi = int(edges[k - 1]), int(edges[k + 1])
        delta = means[:, k] - means[:, k - 1]
        scale = core.ci_scale(panel, resid, delta, w, lo, hi)
        ci_lo, ci_hi, ci_days = _ci_dates(panel.grid, int(b) - 1, scale, q)
        stat, pval, length = _commonality(panel, w, resid, lo, hi, h, n_boot, rng)
        for i, name in enumerate(names):
            parts.append({"break": k, "series": name,
                          **_series_part(panel, i, int(b), lo, hi, h, q, cums, alpha)})
        rows.append({"break": k, "last_old": _to_day(panel.grid[b - 1]),
                     "first_new": _to_day(panel.grid[b]), "ci_lower": ci_lo, "ci_upper": ci_hi,
                     "ci_days": ci_days, "n_taking_part": sum(p["takes_part"] for p in parts
                                                              if p["break"] == k),
                     "lr_common": stat, "pvalue_common": pval, "shared_shock": length})
    cols = ["break", "last_old", "first_new", "ci_lower", "ci_upper", "ci_days", "n_taking_part",
            "lr_common", "pvalue_common", "shared_shock"]
    notes = [
        f"Common dates minimise sum_i SSR_i / sigma_i^2 over {panel.n_grid} report days of "
        f"{panel.k} series; every series keeps >= {h} reports per regime.",
        f"Intervals: Bai (1997) at level {level:g} with the long-run variance of the combined "
        "score (shared shocks and autocorrelation widen them).",
        "pvalue_common: parametric bootstrap under the common-break fit (AR(1) noise per "
        "series, a same-day shock shared in proportion 'shared_shock'; ties at 0 broken at "
        "random); a small value says the series broke on different dates.",
    ]
    return pd.DataFrame(rows, columns=cols), pd.DataFrame(parts), notes


def common_example(seed: int = 7) -> pd.DataFrame:
    """Return a small rate frame for examples: three cities' USD, one jump on 2022-01-23.

    Reports fall roughly fortnightly on each city's own days; every city jumps by about
    40% (log 0.35) with AR(1) noise of 3% that the cities partly share.

    Examples
    --------
    >>> from nkfx.detect.common import common_example
    >>> sorted(common_example()["city"].unique())
    ['Hyesan', 'Pyongyang', 'Sinuiju']
    """
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal(400)
    frames = []
    for j, city in enumerate(("Pyongyang", "Sinuiju", "Hyesan")):
        gaps = rng.integers(10, 19, size=30)
        days = pd.Timestamp("2021-07-01") + pd.to_timedelta(np.cumsum(gaps) + j, unit="D")
        e = np.empty(days.size)
        prev = 0.0
        for t in range(days.size):
            prev = 0.3 * prev + 0.03 * (0.6 * shared[t] + 0.8 * rng.standard_normal())
            e[t] = prev
        level = np.log(4700.0) + 0.35 * (days >= pd.Timestamp("2022-01-23")) + j * 0.01
        frames.append(pd.DataFrame({"date": days, "city": city, "currency": "USD",
                                    "rate": np.round(np.exp(level + e), 0), "source": "sim"}))
    return pd.concat(frames, ignore_index=True)


# ----------------------------------------------------------------------------- present


def _fmt(value: Any, spec: str) -> str:
    return "" if value is None or pd.isna(value) else format(value, spec)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _summarize(res: CommonBreaks) -> Summary:
    from statsmodels.iolib.summary import Summary as SmSummary
    from statsmodels.iolib.table import SimpleTable

    p = res.params
    setup = [["Series", ", ".join(str(s) for s in res.data["series"].unique())],
             ["Window", f"{fmt_date(p['start'])} to {fmt_date(p['end'])}"],
             ["Model", "mean shift in log rate, common dates"],
             ["Breaks", f"{len(res.breaks)} (n_breaks={p['n_breaks']!r})"],
             ["Min. reports per regime", str(p["h"])]]
    out = SmSummary()
    out.tables.append(SimpleTable(setup, title="Common breaks"))
    rows = [[str(r["break"]), fmt_date(r["last_old"]), fmt_date(r["first_new"]),
             f"{_fmt(r['ci_lower'], '%Y-%m-%d')} to {_fmt(r['ci_upper'], '%Y-%m-%d')}",
             str(r["n_taking_part"]), _fmt(r["pvalue_common"], ".3f")]
            for r in _records(res.breaks)]
    if rows:
        heads = ["break", "last old", "first new", f"{p['level']:.0%} interval (last old)",
                 "taking part", "p: one common date"]
        out.tables.append(SimpleTable(rows, headers=heads, title="Common break dates"))
        parts = [[str(r["series"]), str(r["break"]), f"{r['jump_pct']:+.1f}%",
                  _fmt(r["report_jump_pct"], "+.1f") + "%",
                  _fmt(r["pvalue"], ".3g"), "yes" if r["takes_part"] else "no",
                  _fmt(r["own_first_new"], "%Y-%m-%d"), _fmt(r["lead_days"], "+.0f")]
                 for r in _records(res.series)]
        heads = ["series", "break", "regime means", "between reports", "p (HAC)", "takes part",
                 "own first new",
                 "own - common (days)"]
        out.tables.append(SimpleTable(parts, headers=heads, title="Each series' part"))
    out.add_extra_txt(["One common date: p is the bootstrap p-value of one common date "
                       "against a date per series (small = the series broke apart).",
                       *res.notes])
    return Summary.from_statsmodels(out)


def _plot(res: CommonBreaks, ax: Axes | None, **kwargs: Any) -> Axes:
    ax = new_axes(ax)
    names = list(res.data["series"].unique())
    # A city keeps the colour and marker it has in every nkfx figure.
    looks = {name: city_style(str(name)) for name in names}
    colour = {name: look["color"] for name, look in looks.items()}
    for name in names:
        part = res.data.loc[res.data["series"] == name]
        style = {"marker": looks[name]["marker"], "markersize": 3, "linewidth": 1.2, **kwargs}
        ax.plot(part["date"], part["rate"], color=colour[name], label=name, **style)
    for r in _records(res.breaks):
        if pd.notna(r["ci_lower"]):
            ax.axvspan(r["ci_lower"], r["ci_upper"], color="0.6", alpha=0.2, linewidth=0)
        mid = r["last_old"] + (r["first_new"] - r["last_old"]) / 2
        ax.axvline(mid, color="0.2", linestyle="--", linewidth=1)
        jumps = res.series.loc[res.series["break"] == r["break"], "report_jump_pct"]
        ax.annotate(f"break {r['break']}: {fmt_date(r['first_new'])}\n{jumps.mean():+.0f}% "
                    f"between reports\np common {r['pvalue_common']:.2f}", (mid, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(4, -4),
                    textcoords="offset points", va="top", fontsize="small")
    for j, name in enumerate(names):  # stacked, so that equal dates stay visible
        own = res.series.loc[res.series["series"] == name, "own_first_new"].dropna()
        ax.plot(own, np.full(own.size, 0.03 + 0.04 * j), transform=ax.get_xaxis_transform(),
                linestyle="none", marker="|", markersize=12, color=colour[name])
    ax.set_yscale("log")
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi * (hi / lo) ** 0.25)  # headroom for the break labels above the data
    format_rate_axis(ax, res.params.get("currency"), log=True)
    ax.set_title("Common breaks: dashed = common date, grey = its interval, "
                 "ticks = each series' own date", fontsize="medium")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax
