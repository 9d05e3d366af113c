"""Level bias of each outlet relative to a reference outlet, from overlapping reports."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from nkfx._groups import checked_rates, day_numbers, group_codes
from nkfx._validate import check_option, check_type, to_timedelta
from nkfx.errors import DataQualityWarning, NkfxValueError
from nkfx.summary import Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["SourceBias", "source_bias"]

_TABLE_COLUMNS = ("source", "n_pairs", "log_ratio", "ci_low", "ci_high", "se", "interval",
                  "ratio_pct", "factor", "note")
#: Above this many pairs the interval is a normal approximation instead of a bootstrap.
_MAX_BOOTSTRAP = 5000
_MAD_TO_SD = 1.4826


@dataclass(frozen=True, eq=False)
class SourceBias:
    """Estimated level of each source relative to a reference source.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per source (the reference first): ``n_pairs`` (reports matched to a
        reference report of the same city and currency within ``tolerance``),
        ``log_ratio`` (median of log(source / reference)), ``ci_low``/``ci_high``
        (confidence interval of that median), ``se`` (its standard error), ``interval``
        (``"bootstrap"``: seeded percentile bootstrap over pairs, up to 5,000 pairs;
        ``"normal approximation"`` above: median +- z * sqrt(pi/2) * 1.4826 * MAD / sqrt(n)),
        ``ratio_pct`` (100 * (exp(log_ratio) - 1)),
        ``factor`` (exp(log_ratio); NaN when nothing overlaps) and ``note``.
    reference : str
        The reference source.
    tolerance : pandas.Timedelta
        Largest date difference of a matched pair.
    confidence : float
        Level of the confidence intervals.
    n_boot, seed : int
        Bootstrap replications and seed (the intervals are reproducible).
    """

    table: pd.DataFrame
    reference: str
    tolerance: pd.Timedelta
    confidence: float
    n_boot: int
    seed: int

    def to_frame(self) -> pd.DataFrame:
        """Return the per-source table (a copy).

        Examples
        --------
        >>> from nkfx import source_bias
        >>> from nkfx.datasets import simulate
        >>> bias = source_bias(simulate(seed=0).rates)  # Asia Press simulated 0.15 log points high
        >>> bias.to_frame()[["source", "n_pairs", "ratio_pct"]].round(1)
               source  n_pairs  ratio_pct
        0    Daily NK      717        0.0
        1  Asia Press      235       16.3
        """
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """Return the parameters and the table as JSON-safe Python objects (NaN -> None).

        Examples
        --------
        >>> from nkfx import source_bias
        >>> from nkfx.datasets import simulate
        >>> bias = source_bias(simulate(seed=0).rates)  # Asia Press simulated 0.15 log points high
        >>> d = bias.to_dict()
        >>> sorted(d)
        ['confidence', 'n_boot', 'reference', 'seed', 'table', 'tolerance_days']
        >>> d["reference"], d["tolerance_days"], d["table"][1]["source"], round(d["table"][1]["factor"], 2)
        ('Daily NK', 7, 'Asia Press', 1.16)
        """
        table = self.table.astype(object).where(self.table.notna(), None)
        return {"reference": self.reference, "tolerance_days": int(self.tolerance.days),
                "confidence": self.confidence, "n_boot": self.n_boot, "seed": self.seed,
                "table": table.to_dict(orient="records")}

    def summary(self) -> Summary:
        """Return the :class:`~nkfx.summary.Summary`: the table as text with a one-line header.

        Examples
        --------
        >>> from nkfx import source_bias
        >>> from nkfx.datasets import simulate
        >>> bias = source_bias(simulate(seed=0).rates)  # Asia Press simulated 0.15 log points high
        >>> print(bias.summary())
        Source bias vs 'Daily NK' (pairs within 7 days, 95% CI of the median log ratio: ...
            source  n_pairs  log_ratio ...
          Daily NK      717          0 ...
        Asia Press      235     0.1511 ...
        """
        head = (f"Source bias vs {self.reference!r} (pairs within {self.tolerance.days} days, "
                f"{self.confidence:.0%} CI of the median log ratio: bootstrap with "
                f"{self.n_boot} draws, seed {self.seed}; normal approximation above "
                f"{_MAX_BOOTSTRAP} pairs)")
        text = head + "\n" + self.table.to_string(index=False, float_format=lambda x: f"{x:.4g}")
        return Summary.from_text(text, {"Source bias": self.table})

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p>{self.summary().splitlines()[0]}</p>" + self.table.to_html(index=False)

    def adjust(self, rates: pd.DataFrame, *,
               unknown: Literal["warn", "raise"] = "warn") -> pd.DataFrame:
        """Divide each source's rates by its estimated factor.

        Parameters
        ----------
        rates : pandas.DataFrame
            A rate frame (not modified).
        unknown : {"warn", "raise"}, default "warn"
            What to do with rows whose source has no factor (no overlap with the
            reference, or absent from the table): ``warn`` keeps their rates unadjusted
            with ``bias_factor`` NaN and warns naming them; ``raise`` raises.

        Returns
        -------
        pandas.DataFrame
            A copy with ``rate``, ``rate_low`` and ``rate_high`` divided by the factor, and a
            ``bias_factor`` column recording it.

        Examples
        --------
        >>> import pandas as pd
        >>> from nkfx.clean import source_bias
        >>> rates = pd.DataFrame({
        ...     "date": pd.to_datetime(["2024-01-01", "2024-01-02"] * 2), "city": "Hyesan",
        ...     "currency": "CNY", "rate": [100.0, 110.0, 120.0, 132.0],
        ...     "source": ["Daily NK", "Daily NK", "Asia Press", "Asia Press"]})
        >>> bias = source_bias(rates, tolerance="0D")
        >>> bias.adjust(rates)["rate"].round(6).tolist()
        [100.0, 110.0, 100.0, 110.0]
        """
        check_option("unknown", unknown, ("warn", "raise"))
        checked_rates(rates, ("currency",), what="adjust")
        factors = dict(zip(self.table["source"], self.table["factor"], strict=True))
        factor = rates["source"].map(factors).astype(float)
        missing = sorted({str(s) for s in rates.loc[factor.isna(), "source"]})
        if missing:
            msg = (f"no bias factor for sources {missing} (no report within "
                   f"{self.tolerance.days} days of a {self.reference!r} report); "
                   "their rates are left unadjusted and bias_factor is NaN")
            if unknown == "raise":
                raise NkfxValueError(msg.split(";")[0] + "; pass unknown='warn' to keep them")
            warnings.warn(msg, DataQualityWarning, stacklevel=2)
        out = rates.copy()
        divisor = factor.fillna(1.0).to_numpy()
        for col in ("rate", "rate_low", "rate_high"):
            if col in out:
                out[col] = out[col].to_numpy(dtype=float) / divisor
        out["bias_factor"] = factor.to_numpy()
        return out

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Plot each source's level vs the reference (percent) with its interval.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure is created when omitted.
        **kwargs
            Passed to :meth:`matplotlib.axes.Axes.errorbar`.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from nkfx import source_bias
        >>> from nkfx.datasets import simulate
        >>> bias = source_bias(simulate(seed=0).rates)  # Asia Press simulated 0.15 log points high
        >>> ax = bias.plot()
        >>> type(ax).__name__, ax.get_xlabel(), [t.get_text() for t in ax.get_yticklabels()]
        ('Axes', 'level vs Daily NK (%)', ['Daily NK', 'Asia Press'])
        >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.5 + 0.4 * len(self.table)))
        t = self.table
        mid = _pct(t["log_ratio"])
        err = np.vstack([mid - _pct(t["ci_low"]), _pct(t["ci_high"]) - mid])
        ax.errorbar(mid, np.arange(len(t)), xerr=np.nan_to_num(err), fmt="o", **kwargs)
        ax.set_yticks(np.arange(len(t)), [str(s) for s in t["source"]])
        ax.axvline(0.0, color="grey", lw=0.8)
        ax.set_xlabel(f"level vs {self.reference} (%)")
        return ax


def _pct(log_ratio: pd.Series) -> np.ndarray:
    return np.asarray(100.0 * np.expm1(log_ratio.to_numpy(dtype=float)))


def source_bias(
    rates: pd.DataFrame,
    *,
    reference: str = "Daily NK",
    tolerance: str | pd.Timedelta = "7D",
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> SourceBias:
    """Estimate how far each source runs above or below a reference source.

    Each report of a source is paired with the reference report of the same city and
    currency nearest in date (at most ``tolerance`` apart; rows without a city pair only
    with rows without a city). The bias is the median of log(source / reference) over the
    pairs; its uncertainty is a seeded percentile bootstrap of that median over pairs
    (above 5,000 pairs, a normal approximation with a MAD scale). Pairs are treated as
    independent, which understates the uncertainty when a source's error persists over
    time.

    Parameters
    ----------
    rates : pandas.DataFrame
        A rate frame with several sources.
    reference : str, default "Daily NK"
        The source every other is compared with.
    tolerance : str or pandas.Timedelta, default "7D"
        Largest date difference of a pair (``"0D"``: same day only).
    confidence : float, default 0.95
        Level of the bootstrap interval.
    n_boot : int, default 2000
        Bootstrap replications.
    seed : int, default 0
        Seed of the bootstrap.

    Returns
    -------
    SourceBias
        ``table`` per source and :meth:`SourceBias.adjust`. Sources with no pair get a NaN
        factor and a note saying so (never a silent factor of 1); with fewer than three
        pairs the interval is NaN.

    Raises
    ------
    NkfxValueError
        ``reference`` not among the sources (the message lists them), ``confidence`` not in
        (0, 1), ``n_boot`` < 100, negative ``tolerance``.

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx.clean import source_bias
    >>> rates = pd.DataFrame({
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-15", "2024-01-02", "2024-01-16"]),
    ...     "city": "Hyesan", "currency": "CNY", "rate": [1000.0, 1100.0, 1150.0, 1265.0],
    ...     "source": ["Daily NK", "Daily NK", "Asia Press", "Asia Press"]})
    >>> bias = source_bias(rates)
    >>> bias.table[["source", "n_pairs", "ratio_pct"]]
           source  n_pairs  ratio_pct
    0    Daily NK        2        0.0
    1  Asia Press        2       15.0
    """
    tol = to_timedelta("tolerance", tolerance, allow_zero=True)
    check_type("confidence", confidence, float, "a float in (0, 1)")
    if not 0.0 < confidence < 1.0:
        raise NkfxValueError(f"confidence must be in (0, 1); got {confidence!r}")
    check_type("n_boot", n_boot, int, "an int >= 100")
    if n_boot < 100:
        raise NkfxValueError(f"n_boot must be >= 100; got {n_boot!r}")
    check_type("seed", seed, int, "an int")
    checked_rates(rates, ("city", "currency"), what="source_bias")
    present = sorted(str(s) for s in pd.unique(rates["source"].dropna()))
    if reference not in present:
        raise NkfxValueError(f"reference must be one of the sources {present}; got {reference!r}")
    pairs = _pairs(rates, reference, tol)
    rng = np.random.default_rng(seed)
    rows = [{"source": reference, "n_pairs": int((rates["source"] == reference).sum()),
             "log_ratio": 0.0, "ci_low": 0.0, "ci_high": 0.0, "se": 0.0, "interval": "",
             "note": "reference"}]
    for source in present:
        if source != reference:
            ratios = pairs.loc[pairs["source"] == source, "log_ratio"].to_numpy()
            rows.append(_estimate(source, ratios, rng, n_boot, confidence, reference, tol))
    table = pd.DataFrame(rows)
    table["ratio_pct"] = 100.0 * np.expm1(table["log_ratio"].to_numpy(dtype=float))
    table["factor"] = np.exp(table["log_ratio"].to_numpy(dtype=float))
    table = table.loc[:, list(_TABLE_COLUMNS)]
    return SourceBias(table=table, reference=reference, tolerance=tol, confidence=confidence,
                      n_boot=n_boot, seed=seed)


def _pairs(rates: pd.DataFrame, reference: str, tol: pd.Timedelta) -> pd.DataFrame:
    """Each non-reference report with the nearest reference report of its series."""
    codes, _ = group_codes(rates, ("city", "currency"))
    frame = pd.DataFrame({"g": codes, "day": day_numbers(rates["date"]),
                          "source": rates["source"].astype(object).to_numpy(),
                          "log_rate": np.log(rates["rate"].to_numpy(dtype=float))})
    is_ref = (frame["source"] == reference).to_numpy()
    ref = frame.loc[is_ref, ["g", "day", "log_rate"]].rename(columns={"log_rate": "ref"})
    other = frame.loc[~is_ref]
    matched = pd.merge_asof(other.sort_values("day"), ref.sort_values("day"), on="day", by="g",
                            direction="nearest", tolerance=int(tol.days))
    matched = matched.dropna(subset=["ref"])
    return matched.assign(log_ratio=matched["log_rate"] - matched["ref"])


def _estimate(source: str, ratios: np.ndarray, rng: np.random.Generator, n_boot: int,
              confidence: float, reference: str, tol: pd.Timedelta) -> dict[str, Any]:
    n = len(ratios)
    row: dict[str, Any] = {"source": source, "n_pairs": n, "log_ratio": np.nan,
                           "ci_low": np.nan, "ci_high": np.nan, "se": np.nan, "interval": ""}
    if n == 0:
        row["note"] = (f"no overlap: no report within {tol.days} days of a {reference!r} report "
                       "in the same city and currency; factor unknown")
        return row
    row["log_ratio"] = float(np.median(ratios))
    if n < 3:
        row["note"] = f"only {n} pair(s): no interval"
        return row
    alpha = (1.0 - confidence) / 2.0
    if n > _MAX_BOOTSTRAP:
        # large samples: normal approximation of the median, sd = sqrt(pi/2) * robust sd / sqrt(n)
        robust_sd = _MAD_TO_SD * float(np.median(np.abs(ratios - row["log_ratio"])))
        row["se"] = np.sqrt(np.pi / 2.0) * robust_sd / np.sqrt(n)
        half = NormalDist().inv_cdf(1.0 - alpha) * row["se"]
        row["ci_low"], row["ci_high"] = row["log_ratio"] - half, row["log_ratio"] + half
        row["interval"] = "normal approximation"
        row["note"] = ""
        return row
    medians = np.empty(n_boot)
    step = max(1, 2_000_000 // n)  # bounded memory: at most ~2e6 draws at a time
    for start in range(0, n_boot, step):
        k = min(step, n_boot - start)
        medians[start:start + k] = np.median(ratios[rng.integers(0, n, size=(k, n))], axis=1)
    row["ci_low"], row["ci_high"] = np.quantile(medians, [alpha, 1.0 - alpha])
    row["se"] = float(np.std(medians, ddof=1))
    row["interval"] = "bootstrap"
    row["note"] = ""
    return row
