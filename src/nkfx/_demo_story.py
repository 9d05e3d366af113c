"""The Hyesan customs-rumour story told by the demo: settings, analysis and report text.

Everything here works on the bundled reports (:mod:`nkfx.datasets`) and returns plain
values, tables and Markdown lines; :mod:`nkfx._demo` draws the figures and writes the files.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import nkfx

if TYPE_CHECKING:
    from nkfx.events import EventStudy

__all__ = [
    "AREA",
    "CITIES",
    "EVENT_ID",
    "MIN_OBS",
    "STUDY",
    "TRIM",
    "WINDOW",
    "bracket",
    "breaks_section",
    "conclusion_lines",
    "detect_all",
    "event_and_probability",
    "event_section",
    "md_table",
    "nearest",
    "probability_section",
    "report_jump_pct",
    "series_counts",
    "with_area",
]

#: The event the demo studies (an id of :func:`nkfx.datasets.load_events`).
EVENT_ID = "hyesan_customs_rumour_2022"
#: Fewest dated reports for a break search: with trim 0.15 every regime then has >= 3.
MIN_OBS = 20
TRIM = 0.15
WINDOW = pd.Timedelta("30D")
#: Event-study windows: the library's defaults (at least 4 reports and 30 days a side).
STUDY: dict[str, Any] = {}
CITIES = ("Hyesan", "Pyongyang")
#: Province-level reports around Hyesan (no city given), shown beside the cities, never pooled.
AREA = "Yanggang area"


def md_table(frame: pd.DataFrame, floatfmt: str = "{:,.3f}") -> str:
    """Format a GitHub Markdown table (pandas' to_markdown needs the optional tabulate)."""
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "" if pd.isna(v) else floatfmt.format(v)
        if isinstance(v, pd.Timestamp):
            return "" if pd.isna(v) else v.strftime("%Y-%m-%d")
        return "" if v is None or v is pd.NaT else str(v).replace("|", "/")
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def series_counts(market: pd.DataFrame) -> pd.Series:
    """Count dated reports (same-day reports combined) per city and currency, largest first."""
    named = market[market["city"].notna()]
    counts = named.groupby(["city", "currency"]).size().sort_values(ascending=False, kind="stable")
    return counts


def detect_all(market: pd.DataFrame, counts: pd.Series) -> dict[str, Any]:
    """Run Bai-Perron on every series with at least MIN_OBS dates; give a reason for the others."""
    out: dict[str, Any] = {}
    for (city, currency), n in zip(counts.index, counts.to_numpy(), strict=True):
        key = f"{city}/{currency}"
        if n < MIN_OBS:
            out[key] = f"{n} dated reports: too few for a break search (needs {MIN_OBS})"
            continue
        with warnings.catch_warnings():
            # an interval Bai (1997) cannot give is NaT in the table and said in .notes
            warnings.simplefilter("ignore", nkfx.DataQualityWarning)
            # Bai-Perron by name: the regime means and their intervals are what the report shows
            out[key] = nkfx.detect(market, method="bai-perron", city=str(city), currency=str(currency),
                                   trim=TRIM)
    return out


def nearest(res: Any, date: pd.Timestamp) -> pd.Series | None:
    """Return the detected break whose new regime starts nearest to ``date``, if any."""
    if isinstance(res, str) or res.n_breaks == 0:
        return None
    gaps = (res.breaks["first_new"] - date).abs()
    row: pd.Series = res.breaks.loc[gaps.idxmin()]
    return row


def report_jump_pct(res: Any, row: pd.Series) -> float:
    """Return the change in percent between the two reports that bracket a break of ``res``.

    ``row`` is a row of ``res.breaks`` (``last_old``, ``first_new``): the jump a reader of the
    reports sees, unlike a difference of regime means (``jump_pct`` of a mean-shift model).
    """
    series = res.series
    a, b = float(series.loc[row["last_old"]]), float(series.loc[row["first_new"]])
    if res.params.get("scale", "log") == "log":
        return 100.0 * math.expm1(b - a)
    return 100.0 * (b / a - 1.0)


def bracket(market: pd.DataFrame, city: str, currency: str, date: pd.Timestamp) -> dict[str, Any]:
    """Return the last report on or before ``date`` and the first after it, for one series."""
    s = market[(market["city"] == city) & (market["currency"] == currency)].set_index("date")["rate"]
    before, after = s[s.index <= date], s[s.index > date]
    out: dict[str, Any] = {"series": f"{city}/{currency}"}
    for name, part in (("before", before.tail(1)), ("after", after.head(1))):
        out[f"{name}_date"] = part.index[0].strftime("%Y-%m-%d") if len(part) else None
        out[f"{name}_rate"] = float(part.iloc[0]) if len(part) else None
    return out


def with_area(combined: pd.DataFrame) -> pd.DataFrame:
    """Label the city-less reports whose region names Yanggang (Hyesan's province) as AREA."""
    region = combined["region"].astype(object).fillna("").astype(str)
    area = combined["city"].isna() & region.str.contains("Yanggang")
    city = combined["city"].astype(object).where(~area, AREA)
    return combined.assign(city=city)


def event_and_probability(combined: pd.DataFrame, start: pd.Timestamp) -> tuple[EventStudy, pd.DataFrame]:
    """Run the event study in both cities and currencies, and P(change) in a ±30-day window."""
    pair = combined[combined["city"].isin(CITIES)]
    study = nkfx.event_study(pair, EVENT_ID, **STUDY, n_placebo=500, seed=0)
    rows = {}
    for city in CITIES:
        for currency in ("CNY", "USD"):
            try:
                fits = {run: nkfx.change_probability(pair, city=city, currency=currency,
                                                     expected_run=run) for run in ("90D", "180D", "365D")}
            except nkfx.InsufficientDataError:
                continue
            rows[f"{city}/{currency}"] = {run: cp.window(start - WINDOW, start + WINDOW)
                                          for run, cp in fits.items()}
    probs = pd.DataFrame.from_dict(rows, orient="index")
    probs.index.name = "series"
    return study, probs


def breaks_section(found: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Return the Markdown lines of the breaks section and its JSON-safe results."""
    lines, js = ["## Structural breaks (Bai-Perron, mean shifts in log rates)", ""], {}
    lines.append(f"Series with at least {MIN_OBS} dated reports, trimming {TRIM} (every regime "
                 "holds at least 15% of the reports); the number of breaks is chosen by BIC. "
                 "Dates: last report of the old regime | first of the new; the 95% interval "
                 "(Bai 1997) is wide because reports are sparse. Each break's size is given twice: "
                 "the jump between those two reports first, then the difference of the two regime "
                 "means, which averages over months and is often much larger.")
    skipped = {k: v for k, v in found.items() if isinstance(v, str)}
    for key, res in found.items():
        if isinstance(res, str):
            js[key] = {"skipped": res}
            continue
        table = res.breaks.reset_index()[["break", "last_old", "first_new", "ci_lower", "ci_upper"]]
        table["jump between reports %"] = [report_jump_pct(res, r) for _, r in res.breaks.iterrows()]
        table["regime means %"] = res.breaks["jump_pct"].to_numpy()
        lines += ["", f"**{key}** ({res.series.size} dates, h = {res.params['h']}): "
                  f"{res.n_breaks} break(s)", "", md_table(table, "{:+.0f}")]
        lines += [f"- note: {n}" for n in res.notes]
        js[key] = res.to_dict()
    if skipped:
        lines += ["", f"Too few dated reports for a break search (fewer than {MIN_OBS}): "
                  + ", ".join(f"{k} ({v.split()[0]})" for k, v in skipped.items()) + "."]
    return lines, js


def event_section(study: EventStudy, brackets: list[dict[str, Any]]) -> list[str]:
    """Return the Markdown lines of the event-study section."""
    res = study.results.assign(change_pct=100.0 * (np.exp(study.results["change"]) - 1.0))
    jump_cols = ["city", "currency", "before_date", "before_rate", "after_date", "after_rate",
                 "bracket_days", "jump_pct", "jump_placebo_pvalue"]
    mean_cols = ["city", "currency", "n_pre", "pre_start", "post_end", "n_post", "change", "change_pct",
                 "change_lower", "change_upper", "placebo_pvalue"]
    hy = res[(res["city"] == "Hyesan") & (res["currency"] == "CNY")]
    tol = f"{hy['tolerance_days'].iloc[0]:g}" if len(hy) else "?"
    lines = ["## Event study: the Hyesan customs rumour", "",
             f"The rumour's catalogue date ({study.results['start'].iloc[0]:%Y-%m-%d}) is approximate, "
             f"so the event is taken as a band of ±{tol} days: reports inside it count neither as "
             "before nor as after. **The jump** is the change between the last report before the "
             "rumour and the first after it (with reports inside the band, the largest step across "
             "it), with a placebo p-value from the same step at random non-event dates of the series:",
             "", md_table(_formatted(res[jump_cols].rename(columns={"jump_placebo_pvalue": "placebo_p"}))),
             "", "Beside it, **the change of window means**: the mean log rate in a window before "
             "the band and in one after it (log points; change_pct in percent), with HAC "
             "intervals and a placebo p-value. The windows follow nkfx's default, which adapts to "
             f"how often a series is reported: pre {study.params['windows']['before']}, post "
             f"{study.params['windows']['after']}.",
             "", md_table(res[mean_cols].rename(columns={"placebo_pvalue": "placebo_p"})), ""]
    lines += [f"- {r['city']}/{r['currency']}: {r['note'] or r['reason']}"
              for r in res.to_dict("records") if r["note"] or r["reason"]]
    lines += ["", "Reports on either side of the Hyesan yuan break nearest the rumour (the last report "
              "of the old regime and the first of the new), and for every series the nearest reports "
              "on either side of that date:",
              "", md_table(pd.DataFrame(brackets), "{:,.0f}")]
    return lines


def probability_section(probs: pd.DataFrame, start: pd.Timestamp) -> list[str]:
    """Return the Markdown lines of the change-probability section."""
    lo, hi = (start - WINDOW).date(), (start + WINDOW).date()
    return ["## Probability of a change near the rumour (Bayesian online change points)", "",
            f"P(at least one change in the level of the log rate between {lo} and {hi}), given all "
            "reports of the series, for three prior expected regime lengths (the hazard grows with "
            "the gap between reports). NaN: no report in the window.", "",
            md_table(probs.reset_index(), "{:.2f}")]


def conclusion_lines(found: dict[str, Any], study: EventStudy, probs: pd.DataFrame,
                     brackets: list[dict[str, Any]], start: pd.Timestamp) -> list[str]:
    """Return plain statements computed from the results, including what cannot be said."""
    out = []
    for key in ("Hyesan/CNY", "Pyongyang/CNY"):
        row = nearest(found.get(key, "not in the data"), start)
        if row is None:
            out.append(f"{key}: no break found, or too few reports to look for one.")
            continue
        ci = (f"95% interval {row['ci_lower']:%Y-%m-%d} to {row['ci_upper']:%Y-%m-%d}"
              if pd.notna(row["ci_lower"]) else "no interval could be computed")
        res = found[key]
        out.append(f"{key}: the break nearest the rumour lies between the reports of "
                   f"{row['last_old']:%Y-%m-%d} and {row['first_new']:%Y-%m-%d}, which jump by "
                   f"{report_jump_pct(res, row):+.0f}% (regime means: {row['jump_pct']:+.0f}%), {ci}.")
    p = probs["180D"]
    out.append(f"P(change within ±{WINDOW.days} days of {start:%Y-%m-%d}): "
               + ", ".join(f"{k} {v:.2f}" for k, v in p.items() if pd.notna(v))
               + " (prior expected regime 180 days). It moves with the prior (see the table): "
               "read it as 'likely', not as a precise number.")
    usd = study.results[study.results["currency"] == "USD"]
    out.append("The dollar side cannot be tested with the bundled reports: the nearest dollar "
               "reports on either side of the rumour are "
               + "; ".join(f"{r.city}/USD {_bracket_text(r)}" for r in usd.itertuples())
               + ", so any move could have happened at any time in between, and the windows of 4 "
               "reports stretch over years. The articles only say in words that the dollar barely "
               "moved.")
    cny = [b for b in brackets if b["series"] in {f"{c}/CNY" for c in CITIES} and b["after_rate"]]
    same = [(b["before_date"], b["before_rate"], b["after_date"], b["after_rate"]) for b in cny]
    if len(same) == 2 and same[0] == same[1]:
        out.append("Hyesan and Pyongyang cannot be told apart: "
                   + "; ".join(f"{b['series']} {b['before_rate']:,.0f} ({b['before_date']}) -> "
                               f"{b['after_rate']:,.0f} ({b['after_date']})" for b in cny)
                   + ": the same values on the same dates (one article quotes one range for both "
                   "cities). A border-city effect would need the fortnightly survey (Daily NK's "
                   "sheet, not bundled) or more reports.")
    area = {b["series"].split("/")[1]: b for b in brackets if b["series"].startswith(AREA)}
    if area.get("CNY", {}).get("after_rate"):
        a, u = area["CNY"], area.get("USD", {})
        out.append(f"Province-level reports without a city ({AREA}, mostly Asia Press) put the yuan "
                   f"at {a['before_rate']:,.0f} on {a['before_date']} and {a['after_rate']:,.0f} on "
                   f"{a['after_date']}; outlets differ in level and never overlap here, so this "
                   "cannot date the rise more precisely. Their last dollar figure before it "
                   f"({u.get('before_rate') or float('nan'):,.0f}) has no counterpart until "
                   f"{u.get('after_date')}.")
    hy = study.results[(study.results["city"] == "Hyesan") & (study.results["currency"] == "CNY")]
    if len(hy) and pd.notna(hy["jump_pct"].iloc[0]):
        r = hy.iloc[0]
        out.insert(0, (
            f"Hyesan/CNY at the rumour: the yuan jumps {r['jump_pct']:+.0f}% between the reports of "
            f"{r['before_date']:%Y-%m-%d} ({r['before_rate']:,.0f}) and {r['after_date']:%Y-%m-%d} "
            f"({r['after_rate']:,.0f}), {r['bracket_days']:.0f} days apart (placebo p "
            f"{r['jump_placebo_pvalue']:.2f}); the mean of the {r['n_pre']} reports before and of the "
            f"{r['n_post']} after differ by {100 * math.expm1(r['change']):+.0f}% (placebo p "
            f"{r['placebo_pvalue']:.2f}: moves that size between windows this long are common in "
            "this series)."))
    return out


def _bracket_text(r: Any) -> str:
    """``8,300 (2022-07-18) and 8,250 (2023-12-06), 506 days apart`` for an event-study row."""
    if pd.isna(r.before_date):
        return "missing on one side"
    return (f"{r.before_rate:,.0f} ({r.before_date:%Y-%m-%d}) and {r.after_rate:,.0f} "
            f"({r.after_date:%Y-%m-%d}), {r.bracket_days:.0f} days apart")


def _formatted(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells for the jump table: whole KPW and days, percent to 0.1, p-values to 0.001."""
    out = frame.astype(object)
    for col in ("before_rate", "after_rate", "bracket_days"):
        out[col] = [f"{v:,.0f}" if pd.notna(v) else "" for v in frame[col]]
    out["jump_pct"] = [f"{v:+.1f}" if pd.notna(v) else "" for v in frame["jump_pct"]]
    out["placebo_p"] = [f"{v:.3f}" if pd.notna(v) else "" for v in frame["placebo_p"]]
    return out
