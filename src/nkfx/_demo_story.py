"""The Hyesan customs-rumour story told by the demo: settings, analysis and report text.

Everything here works on the bundled reports (:mod:`nkfx.datasets`) and returns plain
values, tables and Markdown lines; :mod:`nkfx._demo` draws the figures and writes the files.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import pandas as pd

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
    "series_counts",
    "with_area",
]

#: The event the demo studies (an id of :func:`nkfx.datasets.load_events`).
EVENT_ID = "hyesan_customs_rumour_2022"
#: Fewest dated reports for a break search: with trim 0.15 every regime then has >= 3.
MIN_OBS = 20
TRIM = 0.15
WINDOW = pd.Timedelta("30D")
STUDY = {"before": "150D", "after": "60D"}
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
    import nkfx

    out: dict[str, Any] = {}
    for (city, currency), n in zip(counts.index, counts.to_numpy(), strict=True):
        key = f"{city}/{currency}"
        if n < MIN_OBS:
            out[key] = f"{n} dated reports: too few for a break search (needs {MIN_OBS})"
            continue
        with warnings.catch_warnings():
            # an interval Bai (1997) cannot give is NaT in the table and said in .notes
            warnings.simplefilter("ignore", nkfx.DataQualityWarning)
            out[key] = nkfx.detect(market, city=str(city), currency=str(currency), trim=TRIM)
    return out


def nearest(res: Any, date: pd.Timestamp) -> pd.Series | None:
    """Return the detected break whose new regime starts nearest to ``date``, if any."""
    if isinstance(res, str) or res.n_breaks == 0:
        return None
    gaps = (res.breaks["first_new"] - date).abs()
    row: pd.Series = res.breaks.loc[gaps.idxmin()]
    return row


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
    import nkfx

    pair = combined[combined["city"].isin(CITIES)]
    study = nkfx.event_study(pair, EVENT_ID, before=STUDY["before"], after=STUDY["after"],
                             n_placebo=500, seed=0)
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
                 "(Bai 1997) is wide because reports are sparse.")
    skipped = {k: v for k, v in found.items() if isinstance(v, str)}
    for key, res in found.items():
        if isinstance(res, str):
            js[key] = {"skipped": res}
            continue
        table = res.breaks.reset_index()[["break", "last_old", "first_new", "ci_lower", "ci_upper",
                                          "jump_pct"]]
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
    res = study.results
    cols = ["city", "currency", "n_pre", "n_post", "change", "change_lower", "change_upper",
            "placebo_pvalue", "reason"]
    lines = ["## Event study: the Hyesan customs rumour", "",
             f"Mean log rate in the {STUDY['before']} before the rumour's start and the "
             f"{STUDY['after']} after it (change in log points; 0.10 is about +10%), with HAC "
             "intervals and a placebo p-value from random non-event dates of the same series.",
             "", md_table(res[cols]), "",
             "Reports on either side of the Hyesan yuan break nearest the rumour (the last report "
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
        out.append(f"{key}: the break nearest the rumour lies between {row['last_old']:%Y-%m-%d} "
                   f"and {row['first_new']:%Y-%m-%d} ({row['jump_pct']:+.0f}%), {ci}.")
    p = probs["180D"]
    out.append(f"P(change within ±{WINDOW.days} days of {start:%Y-%m-%d}): "
               + ", ".join(f"{k} {v:.2f}" for k, v in p.items() if pd.notna(v))
               + " (prior expected regime 180 days). It moves with the prior (see the table): "
               "read it as 'likely', not as a precise number.")
    usd = study.results[study.results["currency"] == "USD"]
    out.append("The dollar side cannot be tested with the bundled reports ("
               + "; ".join(f"{r.city}/USD: {r.reason}" for r in usd.itertuples())
               + "). The articles only say in words that the dollar barely moved.")
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
    if len(hy) and hy["n_pre"].iloc[0] < 2:
        out.append(f"The Hyesan yuan has {int(hy['n_pre'].iloc[0])} report(s) in the "
                   f"{STUDY['before']} before the rumour, so the event study gives a change "
                   f"({hy['change'].iloc[0]:+.3f} log points) but no standard error; its placebo "
                   f"p-value ({hy['placebo_pvalue'].iloc[0]:.2f}) says changes of that size are "
                   "common in this series.")
    return out
