"""The demo run by ``make demo``: read the bundled data, report coverage, draw a first figure.

Usage::

    python -m nkfx._demo [--out DIR]

It writes ``coverage.csv``, ``quarantine.csv`` and ``rates_by_city.png`` into ``DIR``
(default ``nkfx-report``) and prints the coverage table and where the files are.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

__all__ = ["coverage_table", "main"]


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


def main(argv: list[str] | None = None) -> int:
    """Run the demo; return the process exit code."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nkfx.datasets import load_events, observations_path
    from nkfx.ingest import read_rates
    from nkfx.plotting import plot_rates

    parser = argparse.ArgumentParser(prog="nkfx-demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("nkfx-report"), help="output folder")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    print(f"[1/3] reading the bundled observations ({observations_path().name}) ...", flush=True)
    ingest = read_rates(observations_path(), old_won="reject")
    print(ingest)
    table = coverage_table(ingest.rates, ingest.quarantine)
    with pd.option_context("display.width", 120, "display.max_rows", 100):
        print("\nCoverage by city and currency (KPW per unit; rows without a city are "
              "province-level reports):")
        print(table.to_string(float_format=lambda v: f"{v:,.0f}"))
    table.to_csv(out / "coverage.csv")
    ingest.quarantine.to_csv(out / "quarantine.csv", index=False)

    print("\n[2/3] drawing rates by city with the event catalogue ...", flush=True)
    events = load_events()
    market = ingest.rates[ingest.rates["rate_type"] == "market"]
    fig, axes = plt.subplots(2, 1, figsize=(10, 8), sharex=True, layout="constrained")
    for ax, currency in zip(axes, ("CNY", "USD"), strict=True):
        plot_rates(market, currency=currency, ax=ax, log=True, events=events)
        ax.set_title(f"Market rate, KPW per {currency}, by city (cited reports)", loc="left")
    sources = ", ".join(market["source"].value_counts().index[:4])
    axes[-1].annotate(f"Data: {sources} and others, compiled with citations in nkfx.datasets",
                      (0, 0), xycoords="axes fraction", xytext=(0, -30),
                      textcoords="offset points", fontsize="x-small", color="0.4", va="top")
    figure = out / "rates_by_city.png"
    fig.savefig(figure, dpi=150)
    plt.close(fig)

    print(f"[3/3] done. Report folder: {out.resolve()}")
    for path in sorted(out.iterdir()):
        print(f"  - {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
