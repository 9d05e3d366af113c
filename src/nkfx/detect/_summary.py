"""Presentation of results: statsmodels ``Summary`` tables and JSON-safe conversion."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from nkfx._json import fmt_date
from nkfx.detect._prepare import DAYS_PER_YEAR
from nkfx.summary import Summary

if TYPE_CHECKING:
    from nkfx.detect.results import Breaks, TestResult


CONVENTION = (
    "Dates: 'last old' is the last observation of the old regime, 'first new' the first of "
    "the new one; intervals are in the 'last old' convention (strucchange breakpoint = "
    "position of 'last old', 1-based)."
)


def _num(value: Any, spec: str = ".4g") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    return format(float(value), spec)


def _plain(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return _date(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _date(value: Any, missing: str = "") -> str:
    return missing if value is None or pd.isna(value) else fmt_date(value)


def _table(rows: list[list[str]], headers: list[str] | None, title: str) -> Any:
    from statsmodels.iolib.table import SimpleTable

    return SimpleTable(rows, headers=headers, title=title)


def summarize_breaks(res: Breaks) -> Summary:
    """Build the summary of a :class:`Breaks` result."""
    from statsmodels.iolib.summary import Summary as SmSummary

    smry = SmSummary()
    smry.tables.append(_setup_table(res))
    smry.tables.append(_breaks_table(res))
    smry.tables.append(_segments_table(res))
    smry.tables.append(_criteria_table(res))
    if res.tests:
        smry.tables.append(_tests_table(list(res.tests.values()), "Tests"))
    smry.add_extra_txt([*res.notes, CONVENTION])
    return Summary.from_statsmodels(smry)


def _setup_table(res: Breaks) -> Any:
    p = res.params
    index = pd.DatetimeIndex(res.series.index)
    rows = [
        ["Series", str(res.series.name) if res.series.name is not None else "(unnamed)"],
        ["Method / model", f"{res.method} / {res.model}"],
        ["Scale", res.scale],
        ["Observations", f"{len(index)} ({_date(index[0])} to {_date(index[-1])})"],
    ]
    if res.method == "jumps":
        spacing = p.get("median_spacing_days")
        rows += [
            [f"Drift sd per {_num(spacing)} days", _num(p.get("drift_sd_per_spacing"))],
            ["Noise sd / autocorr.",
             f"{_num(p.get('noise_sd'))} / {_num(p.get('noise_phi_per_spacing'), '.2f')}"],
            ["Penalty per jump", f"{_num(p.get('penalty_value'))} ({p.get('penalty')})"],
            ["Number of jumps", str(res.n_breaks)],
        ]
        return _table(rows, None, "Jumps in a drifting rate")
    rows += [
        ["Min. segment h", f"{p.get('h')} obs ({p.get('trim_rule')})"],
        ["Max. breaks", str(p.get("max_breaks_used"))],
        ["Number of breaks", f"{res.n_breaks} (by {p.get('n_breaks')})"],
    ]
    if res.model == "regression":
        fixed = p.get("fixed") or []
        rows.append(["Regressors", ", ".join(p.get("regressors", [])) + (
            f" (fixed: {', '.join(fixed)})" if fixed else " (all change)")])
    if p.get("n_breaks") == "bic" and res.method == "bai-perron":
        rows.append(["Why BIC", "strucchange's default; prefer 'lwz' if errors are autocorrelated"])
    if p.get("intervals") == "none":
        rows.append(["Intervals", "none computed (see notes)"])
    else:
        rows.append([
            "Interval level",
            f"{p.get('level')}; hac={p.get('hac')}, het_reg={p.get('het_reg')}, het_err={p.get('het_err')}",
        ])
    return _table(rows, None, f"Structural breaks: {res.method}")


def _jumps_table(res: Breaks) -> Any:
    log = res.scale == "log"
    headers = ["jump", "last old", "first new", "days", "rate old", "rate new"]
    headers += ["reports %", "level %", "z (drift sd)"] if log else ["reports", "level", "z (drift sd)"]
    rows = [
        [
            str(i), _date(b["last_old"]), _date(b["first_new"]), _num(b["days_between"], ".0f"),
            _num(b["rate_old"], ",.6g"), _num(b["rate_new"], ",.6g"),
            _num(b["report_jump_pct"] if log else b["report_jump"], "+.1f" if log else ".4g"),
            _num(b["jump_pct"] if log else b["jump"], "+.1f" if log else ".4g"),
            _num(b["z_drift"], "+.1f"),
        ]
        for i, b in res.breaks.iterrows()
    ]
    if not rows:
        rows = [["none", *([""] * (len(headers) - 1))]]
    return _table(rows, headers, "Jumps (between two consecutive reports)")


def _breaks_table(res: Breaks) -> Any:
    if res.method == "jumps":
        return _jumps_table(res)
    log = res.scale == "log"
    headers = ["break", "last old", "first new", "CI lower", "CI upper", "jump"]
    headers += ["jump %"] if log else []
    rows = []
    for i, b in res.breaks.iterrows():
        row = [
            str(i),
            _date(b["last_old"]),
            _date(b["first_new"]),
            _date(b["ci_lower"], "n/a"),
            _date(b["ci_upper"], "n/a"),
            _num(b["jump"]),
        ]
        rows.append(row + ([_num(b["jump_pct"], ".1f")] if log else []))
    if not rows:
        rows = [["none", *([""] * (len(headers) - 1))]]
    if res.params.get("intervals") == "none":
        return _table(rows, headers, "Breaks (no intervals)")
    level = res.params.get("level")
    return _table(rows, headers, f"Breaks ({_num(level, '.0%')} intervals)")


def _segments_table(res: Breaks) -> Any:
    seg = res.segments.copy()
    if res.method == "jumps":
        cols = ["level_start", "level_end", "sd"]
        names = ["level at start", "level at end", "sd of reports"]
        if "level_start_kpw" in seg:
            cols += ["level_start_kpw", "level_end_kpw", "drift_pct"]
            names += ["KPW at start", "KPW at end", "drift %"]
    elif res.model == "regression" and res.design is not None:
        fixed = set(res.params.get("fixed", ()))
        cols = list(res.design.columns)
        names = [f"{c} (fixed)" if c in fixed else c for c in cols]
        cols, names = [*cols, "sd"], [*names, "sd"]
    elif res.model == "trend":
        # fitted values at the segment ends read better than an intercept at day 0
        seg["se_hac_slope_per_year"] = seg["se_hac_slope"] * DAYS_PER_YEAR
        cols = ["fitted_start", "fitted_end", "slope_per_year", "se_hac_slope_per_year", "sd"]
        names = ["fit at start", "fit at end", "slope/yr", "se(HAC) slope/yr", "sd"]
        if "fitted_start_kpw" in seg:
            cols += ["fitted_start_kpw", "fitted_end_kpw"]
            names += ["KPW at start", "KPW at end"]
    else:
        cols = ["level", "se", "se_hac", "sd"]
        names = ["level", "se", "se(HAC)", "sd"]
        if "level_kpw" in seg:
            cols, names = [*cols, "level_kpw"], [*names, "KPW (exp level)"]
    rows = [
        [
            str(i),
            _date(s["start"]),
            _date(s["end"]),
            str(int(s["n"])),
            *(_num(s[c], ",.0f" if c.endswith("_kpw") else ".4g") for c in cols),
        ]
        for i, s in seg.iterrows()
    ]
    return _table(rows, ["segment", "start", "end", "n", *names], "Segments")


def _criteria_table(res: Breaks) -> Any:
    if "objective" in res.criteria:
        rows = [
            [str(int(r["m"])), _num(r["objective"], ".6g"), _num(r["penalty"], ".6g"),
             "*" if r["chosen"] else ""]
            for _, r in res.criteria.iterrows()
        ]
        return _table(rows, ["jumps", "objective", "of which penalty", "chosen"],
                      "Penalised objective (2 x neg. log-likelihood + penalty)")
    rows = [
        [
            str(int(r["m"])),
            _num(r["rss"], ".6g"),
            _num(r["bic"], ".6g"),
            _num(r["lwz"], ".6g"),
            "*" if r["chosen"] else "",
        ]
        for _, r in res.criteria.iterrows()
    ]
    return _table(rows, ["m", "RSS", "BIC", "LWZ", "chosen"], "Criteria by number of breaks")


def _tests_table(tests: list[TestResult], title: str) -> Any:
    rows = []
    for t in tests:
        crit = t.critical_values.get(0.95)
        rows.append([t.name, _num(t.statistic), _num(t.pvalue), _num(crit), _date(t.last_old), _date(t.date)])
    headers = ["test", "statistic", "p-value", "5% crit.", "last old", "first new"]
    return _table(rows, headers, title)


def summarize_test_result(test: TestResult) -> Summary:
    """Build the summary of a :class:`TestResult`."""
    from statsmodels.iolib.summary import Summary as SmSummary

    smry = SmSummary()
    smry.tables.append(_tests_table([test], f"{test.name} test"))
    rows = [["Null hypothesis", test.null], ["df", ", ".join(f"{d:g}" for d in test.df)]]
    rows += [[f"crit. value {lvl:g}", _num(v)] for lvl, v in sorted(test.critical_values.items())]
    rows += [
        [str(k), _num(v)]
        for k, v in test.detail.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and k not in test.params
    ]
    rows += [[str(k), _plain(v)] for k, v in test.params.items()]
    smry.tables.append(_table(rows, None, "Details"))
    smry.add_extra_txt([*test.notes, CONVENTION])
    return Summary.from_statsmodels(smry)
