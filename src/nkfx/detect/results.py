"""Result types of the detection API: :class:`Breaks` and :class:`TestResult`.

Date convention (the same everywhere in nkfx): a break lies between two consecutive
observations; ``last_old`` is the date of the last observation of the old regime and
``first_new`` the date of the first observation of the new one. Confidence bounds
``ci_lower``/``ci_upper`` are given in the ``last_old`` convention. strucchange's
1-based ``breakpoints`` value ``i`` is the position of ``last_old`` (our 0-based
column ``index`` equals ``i - 1``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nkfx._json import jsonable
from nkfx.detect._prepare import fmt_date, fmt_dates
from nkfx.detect._summary import summarize_breaks, summarize_test_result
from nkfx.detect.ftests._plots import plot_f_path
from nkfx.plotting import plot_breaks
from nkfx.summary import Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["Breaks", "TestResult"]


@dataclass(frozen=True, eq=False)
class TestResult:
    """Outcome of a test for a structural break (Chow, sup-F, UDmax, sup-F(l+1|l)).

    Attributes
    ----------
    name : str
        ``"Chow"``, ``"supF"``, ``"UDmax"``, ``"supF(2|1)"``, ...
    statistic : float
        Value of the test statistic (NaN when undefined, e.g. a constant series).
    pvalue : float
        p-value from the test's null distribution (for sup-type tests the
        sup-over-dates distribution, not a chi-square at the chosen date); NaN if
        only critical values are known.
    df : tuple of float
        Degrees of freedom of the statistic (``inf`` for a chi-square denominator).
    critical_values : dict of float to float
        Critical values by confidence level (``{0.95: 8.85, ...}``); may be empty.
    date : pandas.Timestamp or None
        First date of the new regime tested (Chow) or estimated (sup-type tests).
    last_old : pandas.Timestamp or None
        Date of the last observation of the old regime (the one before ``date``).
    null : str
        The null hypothesis, in words.
    params : dict
        Every parameter used (scale, model, h, hac, ...).
    detail : dict
        Further numbers from the test (aveF, expF, the F path as a Series, ...).
    notes : tuple of str
        Remarks such as "at=... is not an observation date; ...".

    Examples
    --------
    >>> import numpy as np, pandas as pd, nkfx
    >>> dates = pd.date_range("2021-01-04", periods=40, freq="W-MON")
    >>> rate = pd.Series(np.r_[np.full(20, 5000.0), np.full(20, 6000.0)]
    ...                  * np.exp(0.01 * np.sin(np.arange(40))), index=dates)
    >>> res = nkfx.chow_test(rate, at="2021-05-24")
    >>> res
    TestResult(Chow: statistic=..., pvalue=..., first_new=2021-05-24)
    >>> res.last_old.date().isoformat(), res.df
    ('2021-05-17', (1.0, 38.0))
    """

    __test__ = False  # not a pytest test class despite the name

    name: str
    statistic: float
    pvalue: float
    df: tuple[float, ...]
    critical_values: dict[float, float]
    date: pd.Timestamp | None
    last_old: pd.Timestamp | None
    null: str
    params: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def summary(self) -> Summary:
        """Return the :class:`~nkfx.summary.Summary` (text; ``as_latex()``, ``as_html()``).

        Examples
        --------
        >>> import numpy as np, pandas as pd, nkfx
        >>> dates = pd.date_range("2021-01-04", periods=40, freq="W-MON")
        >>> rate = pd.Series(np.r_[np.full(20, 5000.0), np.full(20, 6000.0)]
        ...                  * np.exp(0.01 * np.sin(np.arange(40))), index=dates)
        >>> text = nkfx.chow_test(rate, at="2021-05-24").summary().as_text()
        >>> "2021-05-24" in text and "Null hypothesis" in text
        True
        """
        return summarize_test_result(self)

    def to_frame(self) -> pd.DataFrame:
        """Return a one-row DataFrame with the test's name, statistic, p-value and dates.

        Examples
        --------
        >>> import numpy as np, pandas as pd, nkfx
        >>> dates = pd.date_range("2021-01-04", periods=40, freq="W-MON")
        >>> rate = pd.Series(np.r_[np.full(20, 5000.0), np.full(20, 6000.0)]
        ...                  * np.exp(0.01 * np.sin(np.arange(40))), index=dates)
        >>> nkfx.chow_test(rate, at="2021-05-24").to_frame()[["test", "first_new"]]
           test  first_new
        0  Chow 2021-05-24
        """
        row = {
            "test": self.name,
            "statistic": self.statistic,
            "pvalue": self.pvalue,
            "df": ", ".join(f"{d:g}" for d in self.df),
            "last_old": self.last_old if self.last_old is not None else pd.NaT,
            "first_new": self.date if self.date is not None else pd.NaT,
        }
        row.update({f"crit_{lvl:g}": val for lvl, val in sorted(self.critical_values.items())})
        return pd.DataFrame([row])

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-safe types (ISO date strings, floats, None for NaN).

        Examples
        --------
        >>> import json
        >>> import numpy as np, pandas as pd, nkfx
        >>> dates = pd.date_range("2021-01-04", periods=40, freq="W-MON")
        >>> rate = pd.Series(np.r_[np.full(20, 5000.0), np.full(20, 6000.0)]
        ...                  * np.exp(0.01 * np.sin(np.arange(40))), index=dates)
        >>> d = nkfx.chow_test(rate, at="2021-05-24").to_dict()
        >>> d["first_new"], d["last_old"], json.loads(json.dumps(d)) == d
        ('2021-05-24', '2021-05-17', True)
        """
        out = {
            "name": self.name,
            "statistic": self.statistic,
            "pvalue": self.pvalue,
            "df": list(self.df),
            "critical_values": self.critical_values,
            "first_new": self.date,
            "last_old": self.last_old,
            "null": self.null,
            "params": self.params,
            "detail": self.detail,
            "notes": list(self.notes),
        }
        result: dict[str, Any] = jsonable(out)
        return result

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Plot the F statistics by candidate date, the 95% critical value and the maximum.

        Only sup-type tests carry an F path (``detail["f_path"]``, dated by the first
        date of the new regime).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure is created when omitted.
        **kwargs
            Passed to the line of the F path.

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        NkfxValueError
            If the test has no F path (e.g. a Chow test).

        Examples
        --------
        >>> import numpy as np, pandas as pd, nkfx
        >>> dates = pd.date_range("2021-01-04", periods=40, freq="W-MON")
        >>> rate = pd.Series(np.r_[np.full(20, 5000.0), np.full(20, 6000.0)]
        ...                  * np.exp(0.01 * np.sin(np.arange(40))), index=dates)
        >>> ax = nkfx.sup_f_test(rate).plot()
        >>> len(ax.lines)  # F path, 95% critical value, date of the maximum
        3
        >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
        """
        return plot_f_path(self, ax, **kwargs)

    def __repr__(self) -> str:
        at = f", first_new={fmt_date(self.date)}" if self.date is not None else ""
        return f"TestResult({self.name}: statistic={self.statistic:.4g}, pvalue={self.pvalue:.4g}{at})"

    def _repr_html_(self) -> str:
        html: str = self.summary().as_html()
        return html


@dataclass(frozen=True, eq=False)
class Breaks:
    """Structural breaks of one series, with dates, uncertainty, fits and tests.

    Attributes
    ----------
    series : pandas.Series
        The analysed data on the chosen scale (log rates for ``scale="log"``).
    breaks : pandas.DataFrame
        One row per break (index ``break`` = 1, 2, ...): ``last_old``, ``first_new``,
        ``ci_lower``, ``ci_upper`` (dates, ``last_old`` convention), ``level`` (of the
        interval), ``jump`` (new regime minus old regime at ``first_new``, on the
        analysis scale), ``jump_pct`` (log scale: ``100 * (exp(jump) - 1)``), and the
        0-based positions ``index``, ``index_ci_lower``, ``index_ci_upper``
        (strucchange's breakpoint = ``index + 1``). Interval dates and positions are clipped
        to the sample; ``index_ci_lower_unclipped`` / ``index_ci_upper_unclipped`` keep
        strucchange's unclipped bounds (they may be negative or past the end), and
        :attr:`notes` say when bounds were clipped or intervals overlap, as strucchange's
        ``breakdates(confint(...))`` warns.
    segments : pandas.DataFrame
        One row per regime: ``start``, ``end``, ``n``, the coefficients with OLS and HAC
        standard errors, the residual ``sd``; ``level_kpw`` (geometric-mean rate) on the
        log scale. Trend model: ``intercept`` (at the first date of the series),
        ``slope`` per day, ``slope_per_year``, and the fitted values at the segment ends.
    criteria : pandas.DataFrame
        ``m``, ``rss``, ``loglik``, ``bic``, ``lwz`` and ``chosen`` for m = 0..max_breaks.
    tests : dict of str to TestResult
        The tests run (``supF``, ``UDmax``, ``WDmax`` (critical values only), sequential
        ``supF(l+1|l)``).
    method, model, scale : str
        How the breaks were found.
    params : dict
        Every parameter used, including ``h`` (observations) and the trimming rule.
    notes : tuple of str
        Remarks, e.g. why a constant series has no break.
    path : pandas.Series or None
        ``method="jumps"``: the smoothed underlying level (analysis scale), which drifts
        between jumps; :attr:`fitted` returns it. ``None`` for the regime models.
    design : pandas.DataFrame or None
        ``model="regression"`` (``detect(..., regressors=, lags=)``): the regressors on the
        analysed dates, one column per coefficient (``const``, ``days``, ``lag1``, ...);
        ``segments`` has a coefficient column of the same name. ``None`` otherwise.

    Examples
    --------
    >>> import numpy as np, pandas as pd, nkfx
    >>> dates = pd.date_range("2021-01-04", periods=40, freq="W-MON")
    >>> rate = pd.Series(np.r_[np.full(20, 5000.0), np.full(20, 6000.0)]
    ...                  * np.exp(0.01 * np.sin(np.arange(40))), index=dates)
    >>> res = nkfx.detect(rate, method="bai-perron")
    >>> res.n_breaks, res.dates[0].date().isoformat()
    (1, '2021-05-24')
    >>> res.segments[["start", "end", "n"]]
                 start        end   n
    segment
    1       2021-01-04 2021-05-17  20
    2       2021-05-24 2021-10-04  20
    """

    series: pd.Series
    breaks: pd.DataFrame
    segments: pd.DataFrame
    criteria: pd.DataFrame
    tests: dict[str, TestResult]
    method: str
    model: str
    scale: str
    params: dict[str, Any]
    notes: tuple[str, ...] = ()
    path: pd.Series | None = None
    design: pd.DataFrame | None = None

    @property
    def n_breaks(self) -> int:
        """Number of breaks found."""
        return len(self.breaks)

    @property
    def dates(self) -> pd.DatetimeIndex:
        """First dates of the new regimes (``breaks["first_new"]``)."""
        return pd.DatetimeIndex(self.breaks["first_new"], name="first_new")

    @property
    def fitted(self) -> pd.Series:
        """Fitted values on the analysis scale, aligned with :attr:`series`.

        The regime fits (level or trend per segment), or for ``method="jumps"`` the
        smoothed level :attr:`path`.
        """
        if self.path is not None:
            return self.path.rename("fitted")
        index = pd.DatetimeIndex(self.series.index)
        if self.design is not None:
            return self._fitted_regression(index)
        days = np.asarray((index - index[0]) / pd.Timedelta(days=1), dtype=np.float64)
        starts = index.searchsorted(pd.DatetimeIndex(self.segments["start"]))
        ends = index.searchsorted(pd.DatetimeIndex(self.segments["end"]))
        if self.model == "trend":
            a = self.segments["intercept"].to_numpy(dtype=np.float64)
            b = self.segments["slope"].to_numpy(dtype=np.float64)
        else:
            a = self.segments["level"].to_numpy(dtype=np.float64)
            b = np.zeros_like(a)
        out = np.full(len(index), np.nan)
        for s, e, ai, bi in zip(starts, ends, a, b, strict=True):
            out[s : e + 1] = ai + bi * days[s : e + 1]
        return pd.Series(out, index=index, name="fitted")

    def _fitted_regression(self, index: pd.DatetimeIndex) -> pd.Series:
        design = self.design if self.design is not None else pd.DataFrame()
        starts = index.searchsorted(pd.DatetimeIndex(self.segments["start"]))
        ends = index.searchsorted(pd.DatetimeIndex(self.segments["end"]))
        names = list(design.columns)
        values = design.to_numpy(dtype=np.float64)
        out = np.full(len(index), np.nan)
        for row, s, e in zip(self.segments[names].to_numpy(dtype=np.float64), starts, ends, strict=True):
            out[s : e + 1] = values[s : e + 1] @ row
        return pd.Series(out, index=index, name="fitted")

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy table of breaks: one row per break, dates and sizes.

        Adds ``break`` (1, 2, ...), ``model`` and ``scale`` to :attr:`breaks`.

        Examples
        --------
        >>> import numpy as np, pandas as pd, nkfx
        >>> dates = pd.date_range("2021-01-04", periods=40, freq="W-MON")
        >>> rate = pd.Series(np.r_[np.full(20, 5000.0), np.full(20, 6000.0)]
        ...                  * np.exp(0.01 * np.sin(np.arange(40))), index=dates)
        >>> res = nkfx.detect(rate, method="bai-perron")
        >>> res.to_frame()[["break", "last_old", "first_new", "model"]]
           break   last_old  first_new model
        0      1 2021-05-17 2021-05-24  mean
        """
        frame = self.breaks.reset_index()
        frame["model"] = self.model
        frame["scale"] = self.scale
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-safe types (ISO date strings, floats, None for NaN).

        Examples
        --------
        >>> import json
        >>> import numpy as np, pandas as pd, nkfx
        >>> dates = pd.date_range("2021-01-04", periods=40, freq="W-MON")
        >>> rate = pd.Series(np.r_[np.full(20, 5000.0), np.full(20, 6000.0)]
        ...                  * np.exp(0.01 * np.sin(np.arange(40))), index=dates)
        >>> res = nkfx.detect(rate, method="bai-perron")
        >>> d = res.to_dict()
        >>> d["breaks"][0]["first_new"], json.loads(json.dumps(d)) == d
        ('2021-05-24', True)
        """
        index = pd.DatetimeIndex(self.series.index)
        out = {
            "method": self.method,
            "model": self.model,
            "scale": self.scale,
            "n_obs": len(index),
            "start": index[0],
            "end": index[-1],
            "n_breaks": self.n_breaks,
            "breaks": self.to_frame(),
            "segments": self.segments.reset_index(),
            "criteria": self.criteria,
            "tests": {name: test.to_dict() for name, test in self.tests.items()},
            "params": self.params,
            "notes": list(self.notes),
        }
        result: dict[str, Any] = jsonable(out)
        return result

    def summary(self) -> Summary:
        """Return the :class:`~nkfx.summary.Summary`: setup, breaks, segments, criteria and tests.

        Examples
        --------
        >>> import numpy as np, pandas as pd, nkfx
        >>> dates = pd.date_range("2021-01-04", periods=40, freq="W-MON")
        >>> rate = pd.Series(np.r_[np.full(20, 5000.0), np.full(20, 6000.0)]
        ...                  * np.exp(0.01 * np.sin(np.arange(40))), index=dates)
        >>> res = nkfx.detect(rate, method="bai-perron")
        >>> text = res.summary().as_text()
        >>> "2021-05-17" in text and "2021-05-24" in text
        True
        """
        return summarize_breaks(self)

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Plot the series, the regime fits, the breaks and their confidence bands.

        Break lines are drawn at ``last_old`` and the bands span ``ci_lower`` to
        ``ci_upper`` (the same convention as the table); a break whose interval could
        not be computed gets a line but no band.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure is created when omitted.
        **kwargs
            Passed to :func:`nkfx.plotting.plot_breaks` (``kpw=``, ``credit=``) and
            from there to the line of the series.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import numpy as np, pandas as pd, nkfx
        >>> dates = pd.date_range("2021-01-04", periods=40, freq="W-MON")
        >>> rate = pd.Series(np.r_[np.full(20, 5000.0), np.full(20, 6000.0)]
        ...                  * np.exp(0.01 * np.sin(np.arange(40))), index=dates)
        >>> res = nkfx.detect(rate, method="bai-perron")
        >>> ax = res.plot()
        >>> len(ax.lines)  # data, 2 regime fits, 1 break, 1 interval bar
        5
        >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
        """
        return plot_breaks(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        name = f"{self.series.name!r}, " if self.series.name is not None else ""
        dates = "[" + fmt_dates(self.dates, limit=6) + "]"
        return (
            f"Breaks({name}method={self.method!r}, model={self.model!r}, scale={self.scale!r}, "
            f"n={len(self.series)}, n_breaks={self.n_breaks}, first_new={dates})"
        )

    def _repr_html_(self) -> str:
        html: str = self.summary().as_html()
        return html
