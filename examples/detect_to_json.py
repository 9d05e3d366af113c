"""Detect structural breaks in one series and print the result as JSON on stdout.

Other programs (R, a shell pipeline, a web service) can call this script and parse its output::

    python examples/detect_to_json.py --city Hyesan --currency CNY
    python examples/detect_to_json.py --file rates.csv --city Sinuiju --currency USD --method pelt

Without ``--file`` it uses the reports bundled with nkfx (market rates, same-day reports
combined by their median). Errors go to stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

import nkfx
from nkfx.datasets import load_observations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", help="a CSV/Excel/Parquet file readable by nkfx.read_rates")
    parser.add_argument("--city", default="Hyesan")
    parser.add_argument("--currency", default="CNY", choices=["CNY", "USD"])
    parser.add_argument("--method", default="bai-perron", choices=["bai-perron", "pelt"])
    parser.add_argument("--trim", default="0.15", help="fraction, count or duration such as 180D")
    args = parser.parse_args(argv)

    try:
        rates = nkfx.read_rates(args.file, old_won="reject").rates if args.file else load_observations()
        market = nkfx.combine(rates[rates["rate_type"] == "market"])
        trim: float | int | str = args.trim
        if args.trim.replace(".", "", 1).isdigit():
            trim = float(args.trim) if "." in args.trim else int(args.trim)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", nkfx.NkfxWarning)
            res = nkfx.detect(market, args.method, city=args.city, currency=args.currency, trim=trim)
    except (nkfx.NkfxError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = res.to_dict()
    out["series"] = {"city": args.city, "currency": args.currency}
    out["warnings"] = [str(w.message) for w in caught]
    json.dump(out, sys.stdout, indent=1, allow_nan=False)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
