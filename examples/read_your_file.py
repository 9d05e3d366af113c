"""Read your own file of reports with nkfx, and see what was accepted and what was not.

    python examples/read_your_file.py my_reports.csv --currency CNY --source "my notes"

Without a file it writes a small example in a temporary folder (Korean headers, numbers as
reporters write them, a range, a bad date, a zero) and reads that. It prints the summary,
the accepted rates and the quarantine (row number and reason for each rejected row).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

import nkfx

EXAMPLE = """날짜,지역,환율,출처
2022-11-27,혜산,850,Daily NK
22-12-12,Hyesan,"1,120",Daily NK
2022-12-26,혜산,1100-1150,Daily NK
2023-01-09,Hyesan,0,Daily NK
someday,혜산,1200,Daily NK
2023-01-23,Sinŭiju,KPW 1150,Daily NK
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", help="CSV, Excel or Parquet file")
    parser.add_argument("--currency", default="CNY")
    parser.add_argument("--source", default=None, help="outlet name when the file has no source column")
    parser.add_argument("--old-won", default="reject", choices=["divide", "keep", "reject"])
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.file) if args.file else Path(tmp) / "example.csv"
        if not args.file:
            path.write_text(EXAMPLE, encoding="utf-8")
        try:
            ingest = nkfx.read_rates(path, currency=args.currency, source_name=args.source,
                                     old_won=args.old_won)
        except (nkfx.NkfxError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    with pd.option_context("display.width", 120, "display.max_columns", 10):
        print(ingest.summary())
        print("\nAccepted rates:")
        print(ingest.rates[["row", "date", "city", "currency", "rate", "rate_low", "rate_high",
                            "source"]].to_string(index=False))
        print(f"\nQuarantined rows ({len(ingest.quarantine)} of {ingest.rows_read}):")
        print(ingest.quarantine[["row", "column", "value", "reason"]].to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
