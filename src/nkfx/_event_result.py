"""The result of :func:`nkfx.event_study`: per-event changes, pooled and compared."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from nkfx._event_study import json_safe, normal_pvalue, rate_text, z_value
from nkfx._validate import check_option
from nkfx.errors import NkfxValueError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["MAIN_COLUMNS", "EventStudy"]

#: The columns of :meth:`EventStudy.to_frame` by default (``columns="all"``: every one).
MAIN_COLUMNS = ("event_id", "city", "currency", "start", "precision", "before_date", "before_rate",
                "after_date", "after_rate", "bracket_days", "jump_pct", "jump_placebo_pvalue",
                "change", "change_lower", "change_upper", "placebo_pvalue", "note")


@dataclass(frozen=True, eq=False)
class EventStudy:
    """Per-event changes in (log) level around catalogued events, with uncertainty.

    Attributes
    ----------
    results : pandas.DataFrame
        One row per event and series (``city``, ``currency``):

        - the event: ``event_id, start, end, precision, tolerance_days, band_start,
          band_end`` (the dates it may have happened on) and ``n_band`` (reports inside
          them, in neither window), ``status, scope``;
        - the jump between the reports that bracket it: ``before_date, before_rate,
          after_date, after_rate, bracket_days, jump_log, jump_pct``,
          ``jump_placebo_pvalue`` (of ``n_jump_placebo`` pseudo-events) and ``span_log,
          span_pct`` (across the whole band; equal to the jump when the band holds no report);
        - the change of window means: ``n_pre, n_post, pre_start, pre_end, post_start,
          post_end, pre_level, post_level, change, change_se, change_lower, change_upper,
          pvalue, pre_slope_30d, abnormal, abnormal_se, abnormal_lower, abnormal_upper,
          abnormal_pvalue, placebo_pvalue, n_placebo``;
        - ``overlaps`` (other events whose windows overlap), ``note`` (what to know when
          reading the row: reports inside the band, a long bracketing gap) and ``reason``
          (empty when every number could be computed; says why otherwise).

        Levels and changes are in log points with ``scale="log"``; the jump always is.
    placebo : pandas.DataFrame
        The placebo draws of the window statistic: ``city, currency, date`` (the
        pseudo-event), ``band_before, band_after`` (its band, days either side),
        ``statistic`` and the ``jump`` at the same date.
    params : dict
        Every option used. ``windows`` holds the window rules as asked (``"60D"``,
        ``"4 reports"``, ``">= 4 reports and >= 30D"`` for the default); ``before``,
        ``after`` and ``gap`` are lengths in days (for windows counted in reports, the
        median over events and series of the days they spanned); ``tolerance`` the date
        uncertainty per precision.
    notes : tuple of str
        What was done to the input (medians per date, ...), the date bands used and the
        windows the defaults chose.
    jump_placebo : pandas.DataFrame
        The placebo draws of the jump (same columns; ``statistic`` is NaN).
    """

    results: pd.DataFrame
    placebo: pd.DataFrame
    params: dict[str, Any]
    notes: tuple[str, ...] = field(default=())
    jump_placebo: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self, columns: Literal["main", "all"] = "main") -> pd.DataFrame:
        """Return the per-event table (a copy): the headline columns, or all of them.

        Parameters
        ----------
        columns : {"main", "all"}, default "main"
            ``"main"``: the event and series, the jump between the bracketing reports
            and the change of window means with its interval and p-values (a table that
            prints readably); ``"all"``: every column of :attr:`results`.

        Examples
        --------
        >>> from nkfx import event_study
        >>> from nkfx.datasets import simulate
        >>> events = ["freight_train_resumes_2022", "strike_force_crackdown_2024"]
        >>> res = event_study(simulate(seed=0).rates, events, city="Hyesan", source="Daily NK", n_placebo=100)
        >>> res.to_frame()[["event_id", "currency", "change"]].round(2)
                              event_id currency  change
        0   freight_train_resumes_2022      CNY    0.01
        1  strike_force_crackdown_2024      CNY    0.35
        2   freight_train_resumes_2022      USD    0.28
        3  strike_force_crackdown_2024      USD    0.37
        >>> len(res.to_frame().columns), len(res.to_frame("all").columns)
        (17, 47)
        """
        check_option("columns", columns, ("main", "all"))
        if columns == "all":
            return self.results.copy()
        return self.results.loc[:, [c for c in MAIN_COLUMNS if c in self.results]].copy()

    def to_dict(self) -> dict[str, Any]:
        """Return the results, parameters and notes as JSON-safe types (the placebo draws left out).

        Examples
        --------
        >>> from nkfx import event_study
        >>> from nkfx.datasets import simulate
        >>> events = ["freight_train_resumes_2022", "strike_force_crackdown_2024"]
        >>> res = event_study(simulate(seed=0).rates, events, city="Hyesan", source="Daily NK", n_placebo=100)
        >>> d = res.to_dict()
        >>> sorted(d), len(d["results"]), d["params"]["n_placebo"]
        (['notes', 'params', 'results'], 4, 100)
        """
        out: dict[str, Any] = json_safe({"results": self.results, "params": self.params,
                                         "notes": list(self.notes)})
        return out

    def pooled(self, by: str | list[str] | None = None) -> pd.DataFrame:
        """Average the changes over events: mean and standard error of the mean.

        Rows with a finite ``change`` and ``change_se`` enter (likewise for the
        abnormal change). The standard error combines the per-event ones as
        ``sqrt(sum se**2) / k``, which treats the events as independent (the placebo
        exclusion keeps their windows apart only if they do not overlap; see
        ``overlaps``).

        Parameters
        ----------
        by : str or list of str, optional
            Columns to group by; default ``["city", "currency"]`` (one pooled row per series).

        Returns
        -------
        pandas.DataFrame
            ``n_events, change, change_se, change_lower, change_upper, pvalue`` and the
            same for ``abnormal``, per group.

        Examples
        --------
        >>> from nkfx import event_study
        >>> from nkfx.datasets import simulate
        >>> events = ["freight_train_resumes_2022", "strike_force_crackdown_2024"]
        >>> res = event_study(simulate(seed=0).rates, events, city="Hyesan", source="Daily NK", n_placebo=100)
        >>> res.pooled()[["city", "currency", "n_change", "change"]].round(2)
             city currency  n_change  change
        0  Hyesan      CNY         2    0.18
        1  Hyesan      USD         2    0.32
        """
        keys = ["city", "currency"] if by is None else [by] if isinstance(by, str) else list(by)
        missing = [k for k in keys if k not in self.results]
        if missing:
            raise NkfxValueError(f"by must name columns of results; got {missing}")
        z = z_value(self.params["level"])
        rows = []
        for key, part in self.results.groupby(keys, dropna=False, sort=True):
            row: dict[str, Any] = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
            for stat in ("change", "abnormal"):
                ok = part[np.isfinite(part[stat]) & np.isfinite(part[f"{stat}_se"])]
                k = len(ok)
                mean = float(ok[stat].mean()) if k else math.nan
                se = float(np.sqrt((ok[f"{stat}_se"] ** 2).sum())) / k if k else math.nan
                row.update({f"n_{stat}": k, stat: mean, f"{stat}_se": se, f"{stat}_lower": mean - z * se,
                            f"{stat}_upper": mean + z * se, f"{stat}_pvalue": normal_pvalue(mean, se)})
            rows.append(row)
        return pd.DataFrame(rows)

    def compare(self, by: str = "currency", base: str | None = None) -> pd.DataFrame:
        """Difference in changes between series, event by event (e.g. Hyesan CNY minus USD).

        Parameters
        ----------
        by : {"currency", "city"}, default "currency"
            Compare currencies within a city, or cities within a currency.
        base : str, optional
            The series subtracted; default ``"USD"`` (or ``"Pyongyang"``) when present,
            else the first in sort order.

        Returns
        -------
        pandas.DataFrame
            One row per event, other key and non-base level: ``diff_change``,
            ``diff_se`` (``sqrt(se_a**2 + se_b**2)``, exact for independent series and
            conservative when they move together), ``diff_lower``, ``diff_upper``,
            ``diff_pvalue``, ``diff_abnormal``, ``diff_abnormal_se``.

        Examples
        --------
        >>> from nkfx import event_study
        >>> from nkfx.datasets import simulate
        >>> events = ["freight_train_resumes_2022", "strike_force_crackdown_2024"]
        >>> res = event_study(simulate(seed=0).rates, events, city="Hyesan", source="Daily NK", n_placebo=100)
        >>> res.compare()[["event_id", "currency", "base", "diff_change"]].round(2)  # CNY minus USD
                              event_id currency base  diff_change
        0   freight_train_resumes_2022      CNY  USD        -0.27
        1  strike_force_crackdown_2024      CNY  USD        -0.02
        """
        check_option("by", by, ("currency", "city"))
        other = "city" if by == "currency" else "currency"
        res = self.results
        levels = sorted(str(v) for v in res[by].dropna().unique())
        if base is None:
            default = "USD" if by == "currency" else "Pyongyang"
            base = default if default in levels else (levels[0] if levels else None)
        if base not in levels:
            raise NkfxValueError(f"base must be one of the {by} values {levels}; got {base!r}")
        z = z_value(self.params["level"])
        rows = []
        for (event, key), part in res.groupby(["event_id", other], dropna=False, sort=True):
            ref = part[part[by] == base]
            if ref.empty:
                continue
            r = ref.iloc[0]
            for _, row in part[part[by] != base].iterrows():
                diff = row["change"] - r["change"]
                se = math.sqrt(row["change_se"] ** 2 + r["change_se"] ** 2)
                rows.append({"event_id": event, other: key, by: row[by], "base": base,
                             "diff_change": diff, "diff_se": se, "diff_lower": diff - z * se,
                             "diff_upper": diff + z * se, "diff_pvalue": normal_pvalue(diff, se),
                             "diff_abnormal": row["abnormal"] - r["abnormal"],
                             "diff_abnormal_se": math.hypot(row["abnormal_se"], r["abnormal_se"])})
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """Return a text table: two lines per event and series, then the notes.

        The first line is the jump between the reports that bracket the event (the move a
        reader of the reports sees), the second the change of window means beside it.

        Examples
        --------
        >>> import nkfx
        >>> from nkfx.datasets import load_observations
        >>> yuan = nkfx.combine(load_observations())
        >>> res = nkfx.event_study(yuan, "hyesan_customs_rumour_2022", city="Hyesan", currency="CNY")
        >>> lines = res.summary().splitlines()
        >>> print(lines[1])
          hyesan_customs_rumour_2022       Hyesan/CNY     jump +31.8% (+0.276 log points): 850 ...
        >>> print(lines[2][:76])
              window means +0.302 log points (se 0.032, p 7.73e-05, placebo p 0.469)
        """
        p = self.params
        w = p.get("windows", p)
        lines = [f"Event study: pre {w['before']}, post {w['after']}, gap {w['gap']}, "
                 f"anchor {p['anchor']}, scale {p['scale']}, HAC bandwidth {p['bandwidth']}, "
                 f"{p['n_placebo']} placebo dates (seed {p['seed']}, statistic {p['statistic']!r})"]
        for r in self.results.to_dict("records"):
            label = "/".join(str(r[k]) for k in ("city", "currency") if isinstance(r[k], str)) or "series"
            head = f"  {r['event_id']:<32} {label:<14}"
            lines.append(f"{head} {_jump_text(r)}")
            if r["reason"] and math.isnan(r["change"]):
                lines.append(f"      window means n/a: {r['reason']}")
            else:
                unit = "log points" if p["scale"] == "log" else "(level)"
                lines.append(
                    f"      window means {_num(r['change'], '+.3f')} {unit} (se "
                    f"{_num(r['change_se'], '.3f')}, p {_num(r['pvalue'], '.3g')}, placebo p "
                    f"{_num(r['placebo_pvalue'], '.3g')}); abnormal {_num(r['abnormal'], '+.3f')} "
                    f"[n {r['n_pre']}/{r['n_post']}: {_span(r, 'pre')} | "
                    f"{_span(r, 'post')}]" + (f"  ({r['reason']})" if r["reason"] else ""))
            if isinstance(r.get("note"), str) and r["note"]:
                lines.append(f"      note: {r['note']}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def plot(self, ax: Axes | None = None, kind: str = "path", **kwargs: Any) -> Axes:
        """Plot the study: the average path around the events (default) or a forest of events.

        The same figure as :func:`nkfx.plotting.plot_event_study`, with the same default.

        Parameters
        ----------
        ax : matplotlib Axes (or a pair for ``kind="path"``), optional
            Axes to draw on; a new figure is created when omitted.
        kind : {"path", "forest"}, default "path"
            ``"path"``: days from the event on the x axis, the mean change with its
            band, and the placebo distribution (see :func:`nkfx.plotting.plot_event_study`).
            ``"forest"``: each event's change with its confidence interval.
        **kwargs
            Passed to :func:`nkfx.plotting.plot_event_study`.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from nkfx import event_study
        >>> from nkfx.datasets import simulate
        >>> events = ["freight_train_resumes_2022", "strike_force_crackdown_2024"]
        >>> res = event_study(simulate(seed=0).rates, events, city="Hyesan", source="Daily NK", n_placebo=100)
        >>> ax = res.plot()
        >>> ax.get_ylabel(), len(ax.figure.axes)  # the path, and the placebo beside it
        ('change (log points)', 2)
        >>> forest = res.plot(kind="forest")
        >>> forest.get_xlabel(), len(forest.get_yticks())
        ('change (log points)', 4)
        >>> plt_close = [ax.figure, forest.figure]
        >>> import matplotlib.pyplot as plt; [plt.close(f) for f in plt_close] and None
        """
        from nkfx.plotting import plot_event_study

        return plot_event_study(self, ax=ax, kind=kind, **kwargs)

    def _repr_html_(self) -> str:
        html: str = self.results.to_html(index=False, float_format=lambda v: f"{v:.4g}")
        return html


def _span(r: dict[Any, Any], side: str) -> str:
    lo, hi = r[f"{side}_start"], r[f"{side}_end"]
    return "" if pd.isna(lo) else f"{lo:%Y-%m-%d} to {hi:%Y-%m-%d}"


def _jump_text(r: dict[Any, Any]) -> str:
    """``jump +31.8% (+0.276 log points): 850 on 2022-11-27 -> 1,120 on 2022-12-12 (15 days), ...``."""
    if pd.isna(r.get("jump_log")):
        return "jump n/a: no report on one side of the event"
    return (f"jump {r['jump_pct']:+.1f}% ({r['jump_log']:+.3f} log points): {rate_text(r['before_rate'])} on "
            f"{r['before_date']:%Y-%m-%d} -> {rate_text(r['after_rate'])} on {r['after_date']:%Y-%m-%d} "
            f"({r['bracket_days']:.0f} days), placebo p {_num(r['jump_placebo_pvalue'], '.3g')}")


def _num(value: Any, spec: str) -> str:
    """Format a number, or say ``n/a`` for a missing one (never ``+nan``)."""
    return "n/a" if value is None or pd.isna(value) else format(value, spec)
