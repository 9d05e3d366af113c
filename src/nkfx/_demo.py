"""The demo run by ``make demo``: the Hyesan customs-rumour story on the bundled data.

Usage::

    python -m nkfx._demo [--out DIR]

Reads the bundled cited reports, prints a coverage table (with quarantine counts),
finds structural breaks in the best-covered series, studies the late-2022 Hyesan
customs rumour (yuan vs dollar, Hyesan vs Pyongyang) and the probability of a change
within 30 days of it, and writes into ``DIR`` (default ``nkfx-report``):
``coverage.csv``, ``quarantine.csv``, PNG figures, ``report.md`` and ``results.json``.
It needs neither the network nor anything outside the package.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

import nkfx
from nkfx import __version__
from nkfx._demo_story import (
    AREA,
    CITIES,
    EVENT_ID,
    MIN_OBS,
    WINDOW,
    bracket,
    breaks_section,
    conclusion_lines,
    detect_all,
    event_and_probability,
    event_section,
    md_table,
    nearest,
    probability_section,
    series_counts,
    with_area,
)
from nkfx._json import jsonable
from nkfx.clean import combine
from nkfx.datasets import load_events, observations_path
from nkfx.ingest import read_rates
from nkfx.ingest._text import spreadsheet_safe
from nkfx.plotting import plot_breaks, plot_event_study, plot_probability, plot_rates
from nkfx.plotting.style import legend_outside

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from nkfx.events import EventStudy

__all__ = ["coverage_table", "main"]

STEPS = 6


def coverage_table(rates: pd.DataFrame, quarantine: pd.DataFrame) -> pd.DataFrame:
    """Observations per city and currency: count, first and last date, sources, quarantined rows.

    Quarantined rows are attributed to a (city, currency) only when the raw row
    named them; the rest are counted on a separate ``(unattributed)`` line.

    Examples
    --------
    >>> from nkfx.datasets import load_observations
    >>> import pandas as pd
    >>> table = coverage_table(load_observations(), pd.DataFrame(columns=["row", "reason"]))
    >>> int(table.loc[("Hyesan", "CNY"), "n"])
    46
    """
    rates = rates.assign(city=rates["city"].astype(object).where(rates["city"].notna(), "(no city)"))
    grouped = rates.groupby(["city", "currency"], sort=True)
    table = grouped.agg(
        n=("rate", "size"),
        first=("date", "min"),
        last=("date", "max"),
        sources=("source", "nunique"),
        duplicates=("duplicate", "sum"),
        min_rate=("rate", "min"),
        max_rate=("rate", "max"),
    )
    table["first"] = table["first"].dt.strftime("%Y-%m-%d")
    table["last"] = table["last"].dt.strftime("%Y-%m-%d")
    table["quarantined"] = 0
    if len(quarantine):
        extra = pd.DataFrame(
            {"n": 0, "first": "", "last": "", "sources": 0, "duplicates": 0, "min_rate": float("nan"),
             "max_rate": float("nan"), "quarantined": len(quarantine)},
            index=pd.MultiIndex.from_tuples([("(unattributed)", "")], names=["city", "currency"]),
        )
        table = pd.concat([table, extra])
    return table


class _Progress:
    """Numbered step lines with the elapsed time of the previous step."""

    def __init__(self, total: int) -> None:
        self.total, self.step, self.t0 = total, 0, time.perf_counter()

    def __call__(self, message: str) -> None:
        self.step += 1
        print(f"[{self.step}/{self.total}] {message} ...", flush=True)

    def done(self) -> str:
        return f"{time.perf_counter() - self.t0:.1f} s"


def _save(fig: Figure, path: Path) -> str:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path.name


def _story_figure(market: pd.DataFrame, events: pd.DataFrame, start: pd.Timestamp) -> Figure:
    import matplotlib.pyplot as plt


    lo, hi = start - pd.Timedelta("180D"), start + pd.Timedelta("240D")
    near = market[market["city"].isin([*CITIES, AREA]) & market["date"].between(lo, hi)]
    fig, axes = plt.subplots(2, 1, figsize=(10, 7), sharex=True, layout="constrained")
    for ax, currency in zip(axes, ("CNY", "USD"), strict=True):
        # events are clipped to the plotted dates by plot_rates; each city keeps its colour
        plot_rates(near, currency=currency, ax=ax, events=events)
        shown = set(near.loc[near["currency"] == currency, "city"])
        names = [c if c != AREA else f"the {AREA}" for c in (*CITIES, AREA) if c in shown]
        ax.set_title(f"KPW per {currency} around the Hyesan customs rumour: "
                     + (", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]),
                     loc="left", fontsize="medium")
    axes[0].set_xlim(lo, hi)
    return fig


def _read(out: Path, progress: _Progress) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    progress(f"reading the bundled observations ({observations_path().name})")
    ingest = read_rates(observations_path(), old_won="reject")
    print(ingest)
    table = coverage_table(ingest.rates, ingest.quarantine)
    with pd.option_context("display.width", 120, "display.max_rows", 100):
        print("\nCoverage by city and currency (KPW per unit; rows without a city are "
              "province-level reports):")
        print(table.to_string(float_format=lambda v: f"{v:,.0f}"))
    # Cells come from the input (city names, raw values): none may run as a formula.
    spreadsheet_safe(table.reset_index()).to_csv(out / "coverage.csv", index=False)
    spreadsheet_safe(ingest.quarantine).to_csv(out / "quarantine.csv", index=False)
    market = ingest.rates[ingest.rates["rate_type"] == "market"]
    info = {"rows_read": int(ingest.rows_read), "accepted": len(ingest.rates),
            "quarantined": len(ingest.quarantine), "market_rows": len(market)}
    return market, table, info


def _rates_figure(market: pd.DataFrame, events: pd.DataFrame) -> Figure:
    import matplotlib.pyplot as plt


    fig, axes = plt.subplots(2, 1, figsize=(11, 9), sharex=True, layout="constrained")
    sources = ", ".join(market["source"].value_counts().index[:4])
    credit = f"Data: {sources} and others, compiled with citations in nkfx.datasets"
    for ax, currency in zip(axes, ("CNY", "USD"), strict=True):
        # both panels number the events alike; one key, under the last panel, lists them all
        plot_rates(market, currency=currency, ax=ax, log=True, events=events,
                   credit=credit if currency == "USD" else None)
        ax.set_title(f"Market rate, KPW per {currency}, by city (cited reports)", loc="left")
    return fig


def _story_figures(out: Path, combined: pd.DataFrame, found: dict[str, Any], study: EventStudy,
                   start: pd.Timestamp) -> list[str]:
    import matplotlib.pyplot as plt


    credit = "Data: cited reports bundled with nkfx (Daily NK, Asia Press and others)"
    names = [_save(_story_figure(with_area(combined), load_events(), start), out / "hyesan_story.png")]
    main = found.get("Hyesan/CNY")
    if main is not None and not isinstance(main, str):
        ax = plot_breaks(main, kpw=True, credit=credit)
        ax.set_title("Hyesan, KPW per CNY: regimes, breaks and 95% intervals", loc="left")
        names.append(_save(cast("Figure", ax.figure), out / "breaks_hyesan_cny.png"))
    fig, ax = plt.subplots(figsize=(10, 2.8), layout="constrained")
    # the dollar's windows of 4 reports span years (see report.md): only the yuan is drawn
    yuan = dataclasses.replace(study, results=study.results[study.results["currency"] == "CNY"])
    plot_event_study(yuan, ax=ax, kind="forest")
    jumps = ", ".join(f"{r.city} {r.jump_pct:+.0f}%" for r in yuan.results.itertuples())
    ax.set_title("Yuan around the rumour: change of the window means, with its interval\n(jump between "
                 f"the bracketing reports: {jumps}; see report.md)", loc="left", fontsize="medium")
    names.append(_save(fig, out / "event_study.png"))
    cp = nkfx.change_probability(combined, city="Hyesan", currency="CNY", expected_run="180D")
    fig, axes = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True, layout="constrained")
    ax = plot_probability(cp, ax=tuple(axes), credit=credit)
    for each in axes:
        each.axvspan(start - WINDOW, start + WINDOW, color="tab:orange", alpha=0.25, lw=0,
                     label=f"±{WINDOW.days} days of the rumour" if each is axes[0] else None)
    legend_outside(axes[0])
    axes[0].set_title("Hyesan yuan and the posterior probability of a change (shaded: ±30 days "
                      "of the rumour)", loc="left")
    names.append(_save(fig, out / "change_probability_hyesan_cny.png"))
    return names


def _write(out: Path, info: dict[str, Any], table: pd.DataFrame, sections: list[list[str]],
           conclusions: list[str], figures: list[str], results: dict[str, Any]) -> None:
    lines = [f"# nkfx demo: the Hyesan customs rumour of late 2022 (nkfx {__version__})", "",
             "In late 2022 rumours that the Hyesan customs house would reopen were reported to push "
             "the yuan up in Hyesan while the dollar barely moved. This report tests that story on "
             "the reports bundled with nkfx, and says what they cannot show.", "",
             "## Conclusions", "", *[f"- {c}" for c in conclusions], "",
             "## Data", "",
             f"{info['rows_read']} cited reports read, {info['accepted']} accepted, "
             f"{info['quarantined']} quarantined; {info['market_rows']} market rates used.", "",
             md_table(table.reset_index(), "{:,.0f}"), ""]
    for block in sections:
        lines += [*block, ""]
    lines += ["## Figures", "", *[f"![{f}]({f})" for f in figures], ""]
    (out / "report.md").write_text("\n".join(lines), encoding="utf-8")
    (out / "results.json").write_text(json.dumps(results, indent=1, allow_nan=False) + "\n",
                                      encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the demo; return the process exit code."""
    import matplotlib

    matplotlib.use("Agg")

    parser = argparse.ArgumentParser(prog="nkfx-demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("nkfx-report"), help="output folder")
    out: Path = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    progress = _Progress(STEPS)

    market, table, info = _read(out, progress)
    progress("drawing rates by city with the event catalogue")
    events = load_events()
    figures = [_save(_rates_figure(market, events), out / "rates_by_city.png")]
    start = pd.Timestamp(events.loc[events["id"] == EVENT_ID, "start"].iloc[0])

    progress(f"finding breaks in every city series with >= {MIN_OBS} reports (method='bai-perron')")
    combined = combine(market)  # one rate per date, city and currency (median of the reports)
    counts = series_counts(combined)
    found = detect_all(combined, counts)
    for key, res in found.items():
        print(f"  {key:16s} " + (res if isinstance(res, str) else
                                 f"{res.n_breaks} break(s): " + ", ".join(
                                     f"{d:%Y-%m-%d}" for d in res.dates)))

    progress(f"event study and change probability at {EVENT_ID} ({start:%Y-%m-%d})")
    study, probs = event_and_probability(combined, start)
    near = nearest(found.get("Hyesan/CNY", ""), start)
    pivot = start if near is None else pd.Timestamp(near["last_old"])
    labelled = with_area(combined)
    brackets = [bracket(labelled, c, cur, pivot) for c in (*CITIES, AREA) for cur in ("CNY", "USD")]
    conclusions = conclusion_lines(found, study, probs, brackets, start)

    progress("drawing the Hyesan figures")
    figures += _story_figures(out, combined, found, study, start)

    progress("writing report.md and results.json")
    blines, bjson = breaks_section(found)
    results = {"data": info, "coverage": jsonable(table.reset_index()), "breaks": bjson,
               "event_study": study.to_dict(), "nearest_reports": brackets,
               "change_probability": {"window": [f"{start - WINDOW:%Y-%m-%d}", f"{start + WINDOW:%Y-%m-%d}"],
                                      "by_expected_run": jsonable(probs.reset_index())},
               "conclusions": conclusions, "figures": figures}
    sections = [blines, event_section(study, brackets), probability_section(probs, start)]
    _write(out, info, table, sections, conclusions, figures, results)

    print("\nWhat the bundled data say about the Hyesan customs rumour:")
    for line in conclusions:
        print(f"  - {line}")
    print(f"\nDone in {progress.done()}. Report folder: {out.resolve()}")
    for path in sorted(out.iterdir()):
        print(f"  - {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
