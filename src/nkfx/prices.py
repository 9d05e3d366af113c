"""Exchange-rate pass-through to market prices: a distributed-lag regression in elapsed time.

Prices (won per kg of rice or corn, read with :func:`nkfx.read_prices`) and exchange rates
(won per yuan or dollar) are reported on irregular, not always matching dates. Both are put
on one regular calendar with :func:`nkfx.resample` (``interpolate=False``), so a bin holds
the median of the reports that fall in it and an empty bin stays empty: **only observed
values enter, never filled ones**. On that calendar lag ``k`` is exactly ``k`` bins of
elapsed time (``k`` months with the default ``freq="MS"``), and

``Δlog p_t = a + Σ_{k=0..L} b_k Δlog e_{t-k} + u_t``

is fitted by OLS on the bins where the price change and every lagged rate change are
observed (each change spans two consecutive observed bins). Standard errors are Newey–West
(HAC, Bartlett kernel) from statsmodels' ``OLS.fit(cov_type="HAC")``; the cumulative
(long-run) pass-through is ``Σ b_k`` with its HAC interval. The HAC sum runs over the used
bins in order, so two used bins on either side of a gap count as neighbours (a small
approximation when few bins are missing). The calendar must be no finer than the reports:
fortnightly reports on a weekly calendar leave few consecutive observed weeks, and the fit
refuses fewer than 12 usable bins. A coarser calendar blurs short lags into lag 0 (time
aggregation), while the cumulative pass-through is little affected.

Breaks in the pass-through: a sup-Wald test (Andrews 1993) for a change of the lag
coefficients ``b_0..b_L`` at an unknown date, the intercept (the real price drift) free to
shift at the same date, over candidate dates trimmed by ``trim`` at both ends. Each Wald
statistic uses the classical OLS covariance (a HAC covariance in segments of a dozen bins
is erratic and cost most of the power in simulations). Its p-value comes from a seeded wild
fixed-regressor bootstrap (Hansen 2000, Rademacher weights on the no-break residuals), which
keeps the test valid under heteroskedasticity and with the intercept shift that makes
Andrews' tables only approximate; Andrews' asymptotic p-value for ``q = L + 1`` is reported
beside it. The break is dated by the last bin of the
old regime and the first of the new one, and the pass-through is re-estimated on each side.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from nkfx._json import jsonable
from nkfx._validate import check_option, check_type, to_timestamp
from nkfx.detect.ftests._critical import null_pvalue
from nkfx.errors import InsufficientDataError, NkfxTypeError, NkfxValueError
from nkfx.names import canonical_currency, canonical_good
from nkfx.resampling import resample
from nkfx.schema import select, validate_rates
from nkfx.summary import Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["PassThrough", "pass_through"]

_FREQS = ("W-SUN", "MS", "QS")
_MIN_OBS = 12  # regressions with fewer usable changes than this are refused


@dataclass(frozen=True, eq=False)
class PassThrough:
    """Pass-through from an exchange rate to a price, with HAC errors and a break test.

    Attributes
    ----------
    coefficients : pandas.DataFrame
        One row per lag ``k = 0..L``: ``lag``, ``lag_days`` (mean elapsed days), ``coef``,
        ``se`` (Newey–West), ``t``, ``pvalue``, ``ci_low``, ``ci_high``.
    cumulative, cumulative_se : float
        Long-run pass-through ``Σ b_k`` and its HAC standard error.
    cumulative_ci : tuple of float
        Its interval at ``level``.
    intercept : float
        Mean log price change per bin not explained by the rate (real price drift).
    r2 : float
        R² of the regression.
    n : int
        Bins used (price change and every lagged rate change observed).
    data : pandas.DataFrame
        Indexed by bin date: ``price``, ``rate`` (levels, median of the reports in the bin,
        NaN where nothing was reported), ``dlog_price``, ``dlog_rate``, ``used``.
    break_test : dict
        ``statistic`` (sup-Wald), ``pvalue`` (wild bootstrap), ``pvalue_andrews``,
        ``last_old``, ``first_new``, ``trim``, ``n_boot``, ``seed``, ``path`` (Series of
        Wald statistics by first date of the new regime); empty when not run.
    regimes : pandas.DataFrame
        ``start``, ``end``, ``n``, ``cumulative``, ``se``, ``ci_low``, ``ci_high``, ``coef_0``
        for the whole sample and, when tested, before and after the sup-Wald date.
    params : dict
        good, currency, city, freq, how, lags, hac_maxlags, level, start, end, alpha.
    notes : tuple of str
        Caveats found while fitting.

    Examples
    --------
    >>> from nkfx.prices import simulate_pass_through, pass_through
    >>> prices, rates = simulate_pass_through(n_months=240, seed=3)  # truth 0.6, 0.2
    >>> res = pass_through(prices, rates, good="RICE", currency="USD", lags=1, n_boot=49)
    >>> res.coefficients["coef"].round(1).tolist(), round(res.cumulative, 1)
    ([0.6, 0.2], 0.8)
    """

    coefficients: pd.DataFrame
    cumulative: float
    cumulative_se: float
    cumulative_ci: tuple[float, float]
    intercept: float
    r2: float
    n: int
    data: pd.DataFrame
    break_test: dict[str, Any]
    regimes: pd.DataFrame
    params: dict[str, Any]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def break_found(self) -> bool:
        """Whether the sup-Wald test rejects stable pass-through at ``params["alpha"]``."""
        p = self.break_test.get("pvalue")
        return p is not None and not math.isnan(p) and p < self.params["alpha"]

    def to_frame(self) -> pd.DataFrame:
        """Return the coefficient table with a ``cumulative`` row (a copy).

        Examples
        --------
        >>> from nkfx.prices import simulate_pass_through, pass_through
        >>> prices, rates = simulate_pass_through(n_months=60, seed=0)
        >>> pass_through(prices, rates, currency="USD", lags=1, breaks=False).to_frame()["term"].tolist()
        ['lag 0', 'lag 1', 'cumulative']
        """
        table = self.coefficients.copy()
        table.insert(0, "term", [f"lag {k}" for k in table["lag"]])
        lo, hi = self.cumulative_ci
        z = self.cumulative / self.cumulative_se if self.cumulative_se > 0 else math.nan
        total = {"term": "cumulative", "lag": -1, "lag_days": math.nan, "coef": self.cumulative,
                 "se": self.cumulative_se, "t": z, "pvalue": 2 * stats.norm.sf(abs(z)),
                 "ci_low": lo, "ci_high": hi}
        return pd.concat([table, pd.DataFrame([total])], ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        """Return estimates, test and parameters as JSON-safe types.

        Examples
        --------
        >>> import json
        >>> from nkfx.prices import simulate_pass_through, pass_through
        >>> prices, rates = simulate_pass_through(n_months=60, seed=0)
        >>> d = pass_through(prices, rates, currency="USD", breaks=False).to_dict()
        >>> sorted(d)[:4], json.loads(json.dumps(d)) == d
        (['break_test', 'coefficients', 'cumulative', 'cumulative_ci'], True)
        """
        test = {k: v for k, v in self.break_test.items() if k != "path"}
        out = {
            "coefficients": self.coefficients, "cumulative": self.cumulative,
            "cumulative_se": self.cumulative_se, "cumulative_ci": list(self.cumulative_ci),
            "intercept": self.intercept, "r2": self.r2, "n": self.n, "break_test": test,
            "regimes": self.regimes, "params": self.params, "notes": list(self.notes),
        }
        result: dict[str, Any] = jsonable(out)
        return result

    def summary(self) -> Summary:
        """Return the :class:`~nkfx.summary.Summary`: setup, lag coefficients, regimes and break test.

        Examples
        --------
        >>> from nkfx.prices import simulate_pass_through, pass_through
        >>> prices, rates = simulate_pass_through(n_months=60, seed=0)
        >>> text = pass_through(prices, rates, currency="USD", breaks=False).summary().as_text()
        >>> "Cumulative" in text and "Newey-West" in text
        True
        """
        return _summarize(self)

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Plot the price (left log axis) and the rate (right log axis) with the regimes.

        Each regime is shaded and labelled with its cumulative pass-through and interval
        (two regimes when the break test rejects at ``alpha``, else the whole sample).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes for the price; the rate goes on a twin axis. A new figure when omitted.
        **kwargs
            Passed to the price line.

        Returns
        -------
        matplotlib.axes.Axes
            The price axes (the rate axes is ``ax.right_ax``).

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from nkfx.prices import simulate_pass_through, pass_through
        >>> prices, rates = simulate_pass_through(n_months=60, seed=0)
        >>> ax = pass_through(prices, rates, currency="USD", breaks=False).plot()
        >>> ax.get_yscale(), ax.right_ax.get_yscale()
        ('log', 'log')
        >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
        """
        return _plot(self, ax, **kwargs)

    def __repr__(self) -> str:
        p = self.params
        lo, hi = self.cumulative_ci
        head = (f"PassThrough: {p['currency']} -> {p['good']} ({p['city'] or 'all'}), {self.n} "
                f"{p['freq']} bins, cumulative {self.cumulative:.3f} [{lo:.3f}, {hi:.3f}]")
        if self.break_test:
            t = self.break_test
            head += (f"; sup-Wald {t['statistic']:.2f} (p {t['pvalue']:.3f}) at "
                     f"{t['last_old']:%Y-%m-%d} | {t['first_new']:%Y-%m-%d}")
        return head

    def _repr_html_(self) -> str:
        text: str = self.summary().as_html()
        return f"<p>{html.escape(repr(self))}</p>{text}"


def pass_through(
    prices: pd.DataFrame,
    rates: pd.DataFrame,
    *,
    good: str = "RICE",
    currency: str = "USD",
    city: str | None = None,
    lags: int = 2,
    freq: str = "MS",
    how: str = "median",
    hac: int | None = None,
    start: Any = None,
    end: Any = None,
    breaks: bool = True,
    trim: float = 0.15,
    n_boot: int = 199,
    seed: int = 0,
    level: float = 0.95,
    alpha: float = 0.05,
) -> PassThrough:
    """Estimate how much of an exchange-rate change passes into a price, and whether that changed.

    Parameters
    ----------
    prices : pandas.DataFrame
        Rate frame of prices (from :func:`nkfx.read_prices`; ``currency`` holds the good).
    rates : pandas.DataFrame
        Rate frame of exchange rates (from :func:`nkfx.read_rates`).
    good : str, default "RICE"
        The good (``"rice"``, ``"쌀"``, ``"corn"``, ...).
    currency : str, default "USD"
        The currency of the exchange rate (``"USD"``, ``"CNY"``, ``"yuan"``, ...).
    city : str, optional
        City of both series; required when either frame holds several cities.
    lags : int, default 2
        Highest lag ``L`` of the rate change, in calendar bins (``0`` = same bin only).
    freq : {"MS", "W-SUN", "QS"}, default "MS"
        Common calendar; lag ``k`` is ``k`` bins of elapsed time.
    how : {"median", "mean", "last", "first"}, default "median"
        Aggregation of the reports inside one bin.
    hac : int, optional
        Newey–West lags; default ``floor(4 (n / 100) ** (2 / 9))``. ``0`` gives
        heteroskedasticity-robust (White) errors.
    start, end : date-like, optional
        Use only bins in ``[start, end]``.
    breaks : bool, default True
        Run the sup-Wald test for a change in the lag coefficients and estimate each regime.
    trim : float, default 0.15
        Share of the used bins excluded at each end from the candidate break dates.
    n_boot, seed : int
        Bootstrap replicates of the sup-Wald null, and their seed.
    level : float, default 0.95
        Confidence level of the intervals.
    alpha : float, default 0.05
        Level at which a break counts as found (for the plot and :attr:`PassThrough.break_found`).

    Returns
    -------
    PassThrough

    Raises
    ------
    NkfxValueError
        Unknown good, currency, freq or how; bad lags, trim, level, alpha or n_boot; no rows for
        the city, good or currency; several cities and no ``city``.
    InsufficientDataError
        Fewer than 12 usable bins, or too few for the trimmed break test.
    NkfxTypeError, SchemaError
        ``prices`` or ``rates`` is not a rate frame.

    Examples
    --------
    >>> from nkfx.prices import simulate_pass_through, pass_through
    >>> prices, rates = simulate_pass_through(n_months=180, break_at="2017-01-01",
    ...                                       after=(0.0, 0.0), drop=0.05, seed=1)
    >>> res = pass_through(prices, rates, currency="USD", lags=1, n_boot=99)
    >>> res.break_found, f"{res.break_test['first_new']:%Y-%m-%d}"
    (True, '2017-01-01')
    >>> res.regimes["cumulative"].round(1).tolist()  # all, before, after
    [0.4, 0.9, -0.0]
    """
    opts = _check_options(good=good, currency=currency, city=city, lags=lags, freq=freq, how=how,
                          hac=hac, start=start, end=end, breaks=breaks, trim=trim, n_boot=n_boot,
                          seed=seed, level=level, alpha=alpha)
    data = _calendar(prices, rates, opts)
    design = _design(data, opts["lags"])
    if len(design) < _MIN_OBS:
        raise InsufficientDataError(
            f"pass_through needs at least {_MIN_OBS} bins where the price change and every lagged "
            f"rate change are observed; got {len(design)} (try a coarser freq or fewer lags)")
    y, X = design["dlog_price"].to_numpy(), design.drop(columns="dlog_price").to_numpy()
    dates = pd.DatetimeIndex(design.index)
    maxlags = opts["hac"] if opts["hac"] is not None else int(4 * (len(y) / 100) ** (2 / 9))
    fit = _fit(y, X, maxlags, opts["level"])
    data = data.assign(used=data.index.isin(design.index))
    whole = _regime_row("all", dates, fit)
    regimes, test, notes = pd.DataFrame([whole]), {}, []
    if opts["breaks"]:
        test = _break_test(y, X, dates, opts)
        b = int(test.pop("b"))
        rows = [whole]
        for label, part in (("before", slice(0, b + 1)), ("after", slice(b + 1, None))):
            sub = _fit(y[part], X[part], maxlags, opts["level"])
            rows.append(_regime_row(label, dates[part], sub))
        regimes = pd.DataFrame(rows)
    gaps = int((~data["used"] & data["price"].notna()).sum())
    if gaps:
        notes.append(f"{gaps} bins with a price were not used (a neighbouring bin or lag missing)")
    lag_days = _bin_days(pd.DatetimeIndex(data.index))
    coefficients = fit["table"].assign(lag_days=[k * lag_days for k in range(opts["lags"] + 1)])
    params = {k: opts[k] for k in ("good", "currency", "freq", "how", "lags", "level",
                                   "start", "end", "alpha")}
    params["city"] = opts["city"] or opts["cities"]["prices"]
    params["hac_maxlags"] = maxlags
    return PassThrough(
        coefficients=coefficients[["lag", "lag_days", "coef", "se", "t", "pvalue", "ci_low",
                                   "ci_high"]],
        cumulative=fit["cum"], cumulative_se=fit["cum_se"], cumulative_ci=fit["cum_ci"],
        intercept=fit["intercept"], r2=fit["r2"], n=len(y), data=data, break_test=test,
        regimes=regimes, params=params, notes=tuple(notes))


def _check_options(**o: Any) -> dict[str, Any]:
    check_type("good", o["good"], str, "a string such as 'RICE'")
    check_type("currency", o["currency"], str, "a string such as 'USD'")
    o["good"] = canonical_good(o["good"])
    o["currency"] = canonical_currency(o["currency"])
    if o["city"] is not None:
        check_type("city", o["city"], str, "a string such as 'Pyongyang'")
    for name in ("lags", "n_boot", "seed"):
        if isinstance(o[name], bool) or not isinstance(o[name], int | np.integer):
            raise NkfxTypeError(f"{name} must be an integer; got {type(o[name]).__name__}")
    if not 0 <= o["lags"] <= 12:
        raise NkfxValueError(f"lags must be between 0 and 12 bins; got {o['lags']}")
    if o["n_boot"] < 19:
        raise NkfxValueError(f"n_boot must be at least 19; got {o['n_boot']}")
    if o["hac"] is not None and (isinstance(o["hac"], bool) or not isinstance(o["hac"], int)
                                 or o["hac"] < 0):
        raise NkfxValueError(f"hac must be None or a number of Newey-West lags >= 0; got {o['hac']!r}")
    check_option("freq", o["freq"], _FREQS)
    check_option("how", o["how"], ("median", "mean", "last", "first"))
    check_type("breaks", o["breaks"], bool, "True or False")
    for name, lo, hi in (("trim", 0.05, 0.45), ("level", 0.5, 0.999), ("alpha", 0.001, 0.5)):
        value = o[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise NkfxValueError(f"{name} must be a number between {lo} and {hi}; got {value!r}")
    for name in ("start", "end"):
        if o[name] is not None:
            o[name] = to_timestamp(name, o[name])
    return o


def _one_series(frame: pd.DataFrame, arg: str, code: str, opts: dict[str, Any]) -> pd.DataFrame:
    """Rows of one city and currency/good, resampled without filling; ``rate`` and ``status``."""
    validate_rates(frame, name=arg)
    if not (frame["currency"] == code).any():
        present = sorted(str(x) for x in frame["currency"].dropna().unique())
        raise NkfxValueError(f"{arg} has no rows with currency {code!r}; it has {present}")
    sel = select(frame, currency=code, city=opts["city"])
    cities = sorted(str(x) for x in sel["city"].fillna("(no city)").unique())
    if len(cities) > 1:
        raise NkfxValueError(f"{arg} holds several cities {cities}; choose one with city=...")
    opts.setdefault("cities", {})[arg] = cities[0]
    if len(sel) < 2:
        raise InsufficientDataError(f"{arg} has {len(sel)} row(s) for {code}; need at least 2")
    out = resample(sel, opts["freq"], how=opts["how"], interpolate=False)
    return out.set_index("date")[["rate", "status"]]


def _calendar(prices: pd.DataFrame, rates: pd.DataFrame, opts: dict[str, Any]) -> pd.DataFrame:
    """Price and rate on one calendar; bins without a report are NaN (never filled)."""
    p = _one_series(prices, "prices", opts["good"], opts)
    e = _one_series(rates, "rates", opts["currency"], opts)
    index = pd.date_range(min(p.index[0], e.index[0]), max(p.index[-1], e.index[-1]),
                          freq=opts["freq"])
    seen = ("observed", "aggregated")
    price = p["rate"].where(p["status"].isin(seen)).reindex(index)
    rate = e["rate"].where(e["status"].isin(seen)).reindex(index)
    data = pd.DataFrame({"price": price, "rate": rate}, index=index)
    data.index.name = "date"
    if opts["start"] is not None:
        data = data.loc[opts["start"]:]
    if opts["end"] is not None:
        data = data.loc[:opts["end"]]
    return data.assign(dlog_price=np.log(data["price"]).diff(), dlog_rate=np.log(data["rate"]).diff())


def _design(data: pd.DataFrame, lags: int) -> pd.DataFrame:
    """Response and lagged regressors on bins where all of them are observed."""
    cols = {"dlog_price": data["dlog_price"]}
    for k in range(lags + 1):
        cols[f"dlog_rate_{k}"] = data["dlog_rate"].shift(k)
    return pd.DataFrame(cols).dropna()


def _bin_days(index: pd.DatetimeIndex) -> float:
    return float((index[-1] - index[0]).days / max(len(index) - 1, 1))


def _fit(y: np.ndarray, X: np.ndarray, maxlags: int, level: float) -> dict[str, Any]:
    """OLS with a constant and Newey-West errors (statsmodels); lag table and cumulative."""
    import statsmodels.api as sm

    k = X.shape[1]
    res = sm.OLS(y, sm.add_constant(X, has_constant="add")).fit(
        cov_type="HAC", cov_kwds={"maxlags": maxlags, "use_correction": True})
    params, cov = np.asarray(res.params), np.asarray(res.cov_params())
    se = np.sqrt(np.diag(cov))
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = params / se
    table = pd.DataFrame({"lag": np.arange(k), "coef": params[1:], "se": se[1:], "t": t[1:],
                          "pvalue": 2 * stats.norm.sf(np.abs(t[1:])),
                          "ci_low": params[1:] - z * se[1:], "ci_high": params[1:] + z * se[1:]})
    cum = float(params[1:].sum())
    cum_se = float(np.sqrt(max(cov[1:, 1:].sum(), 0.0)))
    return {"table": table, "cum": cum, "cum_se": cum_se,
            "cum_ci": (cum - z * cum_se, cum + z * cum_se), "intercept": float(params[0]),
            "r2": float(res.rsquared)}


def _regime_row(label: str, dates: pd.DatetimeIndex, fit: dict[str, Any]) -> dict[str, Any]:
    lo, hi = fit["cum_ci"]
    return {"regime": label, "start": dates[0], "end": dates[-1], "n": len(dates),
            "cumulative": fit["cum"], "se": fit["cum_se"], "ci_low": lo, "ci_high": hi,
            "coef_0": float(fit["table"]["coef"].iloc[0])}


def _wald_path(y: np.ndarray, X: np.ndarray, cands: np.ndarray) -> np.ndarray:
    """Wald statistics for a change in the slopes after each candidate: (B, n_cands).

    Model ``y = a + X b + 1{t > c} (a' + X b') + e``; the statistic is ``b'`` over its
    ordinary-least-squares covariance (classical form: its null spread is stable in short
    segments, where a HAC covariance is erratic). Heteroskedasticity is handled by the wild
    bootstrap that calibrates the sup. Columns of ``y`` (n, B) are fitted at once.
    """
    n, k = X.shape
    Y = y if y.ndim == 2 else y[:, None]
    out = np.empty((Y.shape[1], len(cands)))
    const = np.ones((n, 1))
    for j, c in enumerate(cands):
        after = (np.arange(n) > c)[:, None]
        Z = np.hstack([const, X, after, X * after])
        inv = np.linalg.inv(Z.T @ Z)  # (2k + 2) square: normal equations for all B columns
        coef = inv @ (Z.T @ Y)
        s2 = ((Y - Z @ coef) ** 2).sum(axis=0) / (n - Z.shape[1])
        V = inv[k + 2:, k + 2:]
        d = coef[k + 2:]  # (k, B): the slope changes
        out[:, j] = np.einsum("ib,ib->b", d, np.linalg.solve(V, d)) / s2
    return out


def _break_test(y: np.ndarray, X: np.ndarray, dates: pd.DatetimeIndex,
                opts: dict[str, Any]) -> dict[str, Any]:
    """Sup-Wald over trimmed dates; wild fixed-regressor bootstrap p-value (seeded)."""
    n, k = X.shape
    h = max(math.ceil(opts["trim"] * n), 2 * (k + 2))
    if n < 2 * h + 1:
        raise InsufficientDataError(
            f"the break test needs at least {2 * h + 1} usable bins (segments of {h}); got {n}; "
            f"use breaks=False or a longer sample")
    cands = np.arange(h - 1, n - h)
    path = _wald_path(y, X, cands)[0]
    best = int(np.argmax(path))
    Z0 = np.hstack([np.ones((n, 1)), X])
    coef0 = np.linalg.lstsq(Z0, y, rcond=None)[0]
    fitted, resid = Z0 @ coef0, y - Z0 @ coef0
    rng = np.random.default_rng(opts["seed"])
    signs = rng.choice(np.array([-1.0, 1.0]), size=(n, opts["n_boot"]))
    null = _wald_path(fitted[:, None] + resid[:, None] * signs, X, cands).max(axis=1)
    stat = float(path[best])
    try:
        andrews = null_pvalue(stat, kind="supF", q=k, trim=h / n)
    except NkfxValueError:
        andrews = math.nan
    return {"statistic": stat, "pvalue": float((1 + np.sum(null >= stat)) / (opts["n_boot"] + 1)),
            "pvalue_andrews": andrews, "b": int(cands[best]),
            "last_old": dates[cands[best]], "first_new": dates[cands[best] + 1],
            "trim": opts["trim"], "h": h, "n_boot": opts["n_boot"], "seed": opts["seed"],
            "path": pd.Series(path, index=dates[cands + 1], name="wald")}


def _summarize(res: PassThrough) -> Summary:
    from statsmodels.iolib.summary import Summary as SmSummary
    from statsmodels.iolib.table import SimpleTable

    p = res.params
    smry = SmSummary()
    first, last = res.data.index[res.data["used"]][[0, -1]]
    setup = [["Price / rate", f"{p['good']} / {p['currency']} ({p['city'] or 'one series'})"],
             ["Calendar", f"{p['freq']} bins, {p['how']} of reports, no filling"],
             ["Bins used", f"{res.n} ({first:%Y-%m-%d} to {last:%Y-%m-%d})"],
             ["Errors", f"Newey-West HAC, {p['hac_maxlags']} lags"],
             ["R-squared", f"{res.r2:.3f}"], ["Intercept (drift/bin)", f"{res.intercept:.4f}"]]
    smry.tables.append(SimpleTable(setup, title="Exchange-rate pass-through"))
    lvl = f"{100 * p['level']:.0f}%"
    rows = [[r["term"], f"{r['lag_days']:.0f}" if r["lag"] >= 0 else "", f"{r['coef']:.3f}",
             f"{r['se']:.3f}", f"{r['pvalue']:.3g}", f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}]"]
            for r in res.to_frame().to_dict("records")]
    rows[-1][0] = "Cumulative"
    smry.tables.append(SimpleTable(rows, headers=["term", "days", "coef", "se", "p", lvl],
                                   title="Log price change on log rate changes"))
    reg = [[r["regime"], f"{r['start']:%Y-%m-%d}", f"{r['end']:%Y-%m-%d}", str(r["n"]),
            f"{r['cumulative']:.3f}", f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}]"]
           for r in res.regimes.to_dict("records")]
    smry.tables.append(SimpleTable(reg, headers=["regime", "start", "end", "n", "cumulative", lvl],
                                   title="Cumulative pass-through by regime"))
    if res.break_test:
        t = res.break_test
        smry.add_extra_txt([
            f"sup-Wald (Andrews 1993) for a change in the lag coefficients: {t['statistic']:.2f} at "
            f"{t['last_old']:%Y-%m-%d} | {t['first_new']:%Y-%m-%d} (last old | first new), "
            f"trim {t['trim']}; wild-bootstrap p {t['pvalue']:.3f} ({t['n_boot']} draws, seed "
            f"{t['seed']}), Andrews asymptotic p {t['pvalue_andrews']:.3f} (approximate: the "
            f"intercept may shift too).", *res.notes])
    elif res.notes:
        smry.add_extra_txt(list(res.notes))
    return Summary.from_statsmodels(smry)


def _plot(res: PassThrough, ax: Axes | None, **kwargs: Any) -> Axes:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(10, 4.5))
    p, data = res.params, res.data
    kwargs.setdefault("color", "tab:green")
    price = data["price"].dropna()
    ax.plot(price.index, price.to_numpy(), marker=".", ms=3, lw=1,
            label=f"{p['good'].lower()} price, KPW per kg (left)", **kwargs)
    ax.set_yscale("log")
    ax.set_ylabel(f"{p['good'].lower()}, KPW per kg (log)")
    right = ax.twinx()
    rate = data["rate"].dropna()
    right.plot(rate.index, rate.to_numpy(), color="tab:blue", lw=1, marker=".", ms=3,
               label=f"KPW per {p['currency']} (right)")
    right.set_yscale("log")
    right.set_ylabel(f"KPW per {p['currency']} (log)")
    ax.right_ax = right  # type: ignore[attr-defined]
    regimes = res.regimes.iloc[1:] if res.break_found else res.regimes.iloc[:1]
    for i, r in enumerate(regimes.to_dict("records")):
        ax.axvspan(r["start"], r["end"], color=("0.92", "0.82")[i % 2], zorder=0)
        ax.text(r["start"] + (r["end"] - r["start"]) / 2, 0.97,
                f"pass-through {r['cumulative']:.2f}\n[{r['ci_low']:.2f}, {r['ci_high']:.2f}]",
                transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize="small",
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})
    if res.break_found:
        t = res.break_test
        ax.axvline(t["first_new"], color="k", ls="--", lw=1)
    handles = [h for h in ax.get_lines() + right.get_lines()
               if not str(h.get_label()).startswith("_")]
    ax.legend(handles, [str(h.get_label()) for h in handles], loc="upper center", ncol=2,
              bbox_to_anchor=(0.5, -0.08), fontsize="small", frameon=False)  # below: hides nothing
    title = f"{p['currency']} to {p['good'].lower()} pass-through, {p['city'] or ''}"
    if res.break_test:
        title += f" (sup-Wald p {res.break_test['pvalue']:.3f})"
    ax.set_title(title.replace(", ", " ") if not p["city"] else title)
    return ax


def simulate_pass_through(
    *,
    n_months: int = 180,
    coefs: tuple[float, ...] = (0.6, 0.2),
    after: tuple[float, ...] | None = None,
    break_at: Any = None,
    start: str = "2010-01-01",
    rate_sd: float = 0.05,
    noise_sd: float = 0.03,
    drop: float = 0.1,
    city: str = "Pyongyang",
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate a price and an exchange rate with known monthly pass-through, reported irregularly.

    The log rate is a random walk with monthly steps ``N(0, rate_sd)``; the log price change
    of month ``t`` is ``Σ_k coefs[k] Δlog e_{t-k} + N(0, noise_sd)``. Each month is reported
    once, on a random day of the month (both series on different days), and a share ``drop``
    of the months is missing in each series independently, so the report dates are irregular.

    Parameters
    ----------
    n_months : int, default 180
    coefs : tuple of float, default (0.6, 0.2)
        True pass-through at lags 0, 1, ...
    after, break_at : optional
        Coefficients from the month ``break_at`` on (default: lag 0 becomes 0.2, the other
        lags as in ``coefs``). ``break_at=None``: no break.
    start : str, default "2010-01-01"
    rate_sd, noise_sd, drop : float
    city : str, default "Pyongyang"
    seed : int, default 0

    Returns
    -------
    prices, rates : pandas.DataFrame
        Rate frames: ``currency`` ``"RICE"`` (KPW per kg) and ``"USD"``.

    Examples
    --------
    >>> from nkfx.prices import simulate_pass_through
    >>> prices, rates = simulate_pass_through(n_months=24, seed=0)
    >>> prices["currency"].iloc[0], rates["currency"].iloc[0], len(prices) < 24
    ('RICE', 'USD', True)
    """
    rng = np.random.default_rng(seed)
    months = pd.date_range(start, periods=n_months, freq="MS")
    L = len(coefs) - 1
    de = rng.normal(0.0, rate_sd, n_months + L)
    b = np.tile(np.asarray(coefs, float), (n_months, 1))
    if break_at is not None:
        b[months >= pd.Timestamp(break_at)] = np.asarray(after if after is not None else
                                                         (0.2, *coefs[1:]), float)
    lagged = np.column_stack([de[L - k:L - k + n_months] for k in range(L + 1)])
    dp = (b * lagged).sum(axis=1) + rng.normal(0.0, noise_sd, n_months)
    log_e = np.log(8000.0) + np.cumsum(de[L:])
    log_p = np.log(4500.0) + np.cumsum(dp)

    def frame(values: np.ndarray, code: str) -> pd.DataFrame:
        keep = rng.random(n_months) >= drop
        days = rng.integers(0, 28, n_months)
        dates = months + pd.to_timedelta(days, unit="D")
        return pd.DataFrame({"date": dates[keep], "city": city, "currency": code,
                             "rate": np.exp(values[keep]), "source": "simulated"})

    return frame(log_p, "RICE"), frame(log_e, "USD")
