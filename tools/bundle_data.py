"""Convert the cited facts in ../shared/data into the files shipped inside nkfx.

Only the hand-compiled, cited files may be bundled (see ../shared/data/README.md):
``observations_from_articles.csv`` and ``events.csv``. The third-party Daily NK
series are never copied. Run from the repository root::

    python tools/bundle_data.py [--shared ../shared/data]

The conversion renames columns to nkfx's vocabulary and normalises the event
status; every value and every source URL is kept as published.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "nkfx" / "datasets" / "data"

OBS_RENAME = {"kpw_per_unit": "rate", "kpw_low": "rate_low", "kpw_high": "rate_high"}
EVENT_RENAME = {
    "event_id": "id",
    "date_start": "start",
    "date_end": "end",
    "event": "description",
    "expected_fx_signal": "expected_signal",
    "source_publisher": "source",
    "source_url": "url",
}


def _status(raw: str) -> str:
    # "confirmed (data)", "confirmed (analysts)" ... keep the detail in its own column
    head = raw.split("(")[0].strip().lower()
    # "rumour/report": a reported rumour (Hyesan customs 2022) is still a rumour, the weaker claim
    head = {"rumour/report": "rumour"}.get(head, head)
    if head not in {"confirmed", "reported", "rumour"}:
        raise SystemExit(f"unexpected event status {raw!r}")
    return head


def convert(shared: Path) -> None:
    """Write observations.csv and events.csv into the package data folder."""
    OUT.mkdir(parents=True, exist_ok=True)
    with open(shared / "observations_from_articles.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    fields = [OBS_RENAME.get(c, c) for c in rows[0]]
    with open(OUT / "observations.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(fields)
        for r in rows:
            w.writerow(r.values())
    with open(shared / "events.csv", newline="", encoding="utf-8") as f:
        events = list(csv.DictReader(f))
    fields = [EVENT_RENAME.get(c, c) for c in events[0]]
    at = fields.index("status")
    fields.insert(at + 1, "status_detail")
    with open(OUT / "events.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(fields)
        for e in events:
            values = list(e.values())
            values.insert(at + 1, e["status"])
            values[at] = _status(e["status"])
            w.writerow(values)
    print(f"wrote {len(rows)} observations and {len(events)} events to {OUT}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    convert(parser.parse_args().shared)
