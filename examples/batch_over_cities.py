"""Break detection for every city and currency of the bundled data, as one CSV table.

    python examples/batch_over_cities.py [--min-obs 20] [--trim 0.15] > breaks.csv

One row per detected break (city, currency, n, dates, interval, jump in %), plus one row per
series that was skipped, with the reason, so nothing disappears without a word.
"""

from __future__ import annotations

import argparse
import sys
import warnings

import pandas as pd

import nkfx
from nkfx.datasets import load_observations


def detect_series(market: pd.DataFrame, city: str, currency: str, n: int,
                  min_obs: int, trim: float) -> list[dict[str, object]]:
    base = {"city": city, "currency": currency, "n": n}
    if n < min_obs:
        return [{**base, "skipped": f"fewer than {min_obs} dated reports"}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nkfx.DataQualityWarning)  # NaT intervals stay NaT
        res = nkfx.detect(market, city=city, currency=currency, trim=trim, method="bai-perron")
    if res.n_breaks == 0:
        return [{**base, "skipped": "no break chosen by BIC"}]
    return [{**base, "break": int(b), "last_old": row.last_old.date(),
             "first_new": row.first_new.date(), "ci_lower": row.ci_lower, "ci_upper": row.ci_upper,
             "jump_pct": round(float(row.jump_pct), 1)}
            for b, row in res.breaks.iterrows()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-obs", type=int, default=20)
    parser.add_argument("--trim", type=float, default=0.15)
    args = parser.parse_args(argv)

    obs = load_observations()
    market = nkfx.combine(obs[(obs["rate_type"] == "market") & obs["city"].notna()])
    counts = market.groupby(["city", "currency"]).size()
    rows = []
    for (city, currency), n in counts.items():
        rows += detect_series(market, str(city), str(currency), int(n), args.min_obs, args.trim)
    table = pd.DataFrame(rows)
    table["break"] = table["break"].astype("Int64")  # skipped series have no break number
    for col in ("ci_lower", "ci_upper"):
        table[col] = pd.to_datetime(table[col]).dt.date
    table.to_csv(sys.stdout, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
