"""``nkfx report``: a folder with figures, a Markdown summary and JSON results per series.

For each city and currency with at least ``--min-obs`` report dates: breaks by
:func:`nkfx.detect`, a figure (``<city>_<currency>.png``) and the result
(``<city>_<currency>.json``); one small-multiples figure per currency
(``rates_<currency>.png``); ``summary.md`` and ``results.json`` for everything.
Series with too few dates, and series where detection fails, are listed with the reason.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from nkfx.errors import NkfxError

__all__ = ["write_report"]


#: Longest slug of one part (city or currency) in a file name; the whole name stays far
#: below the 255 bytes file systems allow.
_MAX_PART = 60


def _slug(*parts: object) -> str:
    """Return a file-name stem made of ``parts``: ASCII letters, digits and ``-``, joined by ``_``.

    Whatever a city or currency is called (``../x``, ``/etc``, NUL, 300 characters, a
    Korean name), the stem holds no separator or dot, so the file lands in the chosen
    folder. A part that loses characters other than spaces, or is shortened, ends in 8 hex
    digits of its SHA-1, so ``혜산`` and ``평양`` (both empty as ASCII) do not overwrite
    each other.

    >>> _slug("Hyesan", "CNY"), _slug("North Hamgyong", "USD")
    ('Hyesan_CNY', 'North-Hamgyong_USD')
    >>> _slug("../../etc/passwd", "CNY")
    'etc-passwd-...'
    """
    out = []
    for part in parts:
        text = str(part)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")
        if len(slug) > _MAX_PART or re.search(r"[^A-Za-z0-9 ]", text) or not slug:
            digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
            slug = f"{slug[:_MAX_PART]}-{digest}".lstrip("-")
        out.append(slug)
    return "_".join(out)


def _cell(value: object) -> str:
    """Text for one Markdown table cell: no line break, NUL or unescaped ``|``."""
    return re.sub(r"[\r\n\x00]+", " ", str(value)).replace("|", "\\|")


def _series_keys(rates: pd.DataFrame) -> pd.DataFrame:
    """Report dates per (city, currency), named cities only, most reported first."""
    named = rates[rates["city"].notna()]
    counts = named.groupby(["city", "currency"], sort=True)["date"].nunique().rename("n").reset_index()
    counts["city"] = counts["city"].astype(object)
    counts["currency"] = counts["currency"].astype(object)
    return counts.sort_values(["currency", "n", "city"], ascending=[True, False, True], ignore_index=True)


def write_report(rates: pd.DataFrame, args: argparse.Namespace) -> int:
    """Write the report of combined ``rates`` into ``args.output``; print what was done."""
    import matplotlib

    matplotlib.use("Agg")

    out: Path = args.output
    out.mkdir(parents=True, exist_ok=True)
    keys = _series_keys(rates)
    todo = keys[keys["n"] >= args.min_obs]
    rows: list[dict[str, Any]] = []
    results: dict[str, Any] = {}
    for k in keys[keys["n"] < args.min_obs].itertuples(index=False):
        reason = f"{k.n} report date(s), fewer than --min-obs {args.min_obs}"
        print(f"skipped {k.city} {k.currency}: {reason}")
        rows.append({"city": k.city, "currency": k.currency, "n": k.n, "status": f"skipped: {reason}"})
    for i, k in enumerate(todo.itertuples(index=False), start=1):
        print(f"[{i}/{len(todo)}] {k.city} {k.currency}: detecting breaks ...", file=sys.stderr, flush=True)
        row, result = _one_series(rates, str(k.city), str(k.currency), args, out)
        row["n"] = k.n
        rows.append(row)
        if result is not None:
            results[f"{k.city}/{k.currency}"] = result
    figures = _overview(rates, todo, out)
    table = pd.DataFrame(rows, columns=["city", "currency", "n", "breaks", "figure", "status"])
    table = table.sort_values(["currency", "n", "city"], ascending=[True, False, True], kind="stable")
    (out / "results.json").write_text(json.dumps(results, indent=2, allow_nan=False) + "\n",
                                      encoding="utf-8")
    (out / "summary.md").write_text(_markdown(table, figures, args), encoding="utf-8")
    print(f"report written to {out.resolve()} ({len(results)} series analysed, "
          f"{len(table) - len(results)} skipped)")
    return 0


def _one_series(rates: pd.DataFrame, city: str, currency: str, args: argparse.Namespace,
                out: Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    from nkfx._plot_style import save_figure
    from nkfx.cli import detect_options
    from nkfx.detect import detect

    options = detect_options(args)
    row: dict[str, Any] = {"city": city, "currency": currency}
    try:
        res = detect(rates, args.method, city=city, currency=currency, **options)
    except NkfxError as exc:
        reason = str(exc).splitlines()[0]
        print(f"skipped {city} {currency}: {reason}")
        row["status"] = f"skipped: {reason}"
        return row, None
    name = _slug(city, currency)
    ax = res.plot(kpw=True)
    ax.set_title(f"{city}, KPW per {currency}: {res.n_breaks} break(s) ({res.method})", loc="left")
    save_figure(ax, out / f"{name}.png", dpi=120)
    result = res.to_dict()
    (out / f"{name}.json").write_text(json.dumps(result, indent=2, allow_nan=False) + "\n",
                                      encoding="utf-8")
    dates = "; ".join(_break_text(res, row) for _, row in res.breaks.iterrows()) or "none"
    row.update({"breaks": dates, "figure": f"{name}.png", "status": "analysed"})
    return row, result


def _break_text(res: Any, row: pd.Series) -> str:
    """``2022-12-12 (+32% between reports; regime means +56%)`` for one break of ``res``.

    The jump between the last report of the old regime and the first of the new leads; a
    mean-shift method's difference of regime means (``jump_pct``) follows it.
    """
    from nkfx._demo_story import report_jump_pct

    text = f"{row['first_new']:%Y-%m-%d} ({report_jump_pct(res, row):+.0f}% between reports"
    if res.method in ("bai-perron", "pelt") and pd.notna(row.get("jump_pct")):
        text += f"; regime means {row['jump_pct']:+.0f}%"
    return text + ")"


def _overview(rates: pd.DataFrame, todo: pd.DataFrame, out: Path) -> list[str]:
    """One small-multiples figure per currency over the analysed cities."""
    from nkfx._plot_style import save_figure
    from nkfx.datasets import load_events
    from nkfx.plotting import plot_cities

    names = []
    for currency, part in todo.groupby("currency", sort=True):
        axes = plot_cities(rates, currency=str(currency), cities=list(part["city"]), log=True,
                           events=load_events())
        axes[0].figure.suptitle(f"Market rate, KPW per {currency}", x=0.02, ha="left")
        name = f"rates_{_slug(str(currency))}.png"
        save_figure(axes[0], out / name, dpi=120)
        names.append(name)
    return names


def _markdown(table: pd.DataFrame, figures: list[str], args: argparse.Namespace) -> str:
    name = "the bundled observations" if args.file is None else Path(args.file).name
    lines = [f"# nkfx report: {name}", "",
             f"Breaks by `nkfx.detect(method={args.method!r}, model={args.model!r}, "
             f"scale={args.scale!r})` on the median report of each date; series with fewer than "
             f"{args.min_obs} report dates are skipped.", ""]
    lines += [f"![{name}]({name})" for name in figures]
    lines += ["", "Each break: the first date of the new regime, the change between the last report "
              "before it and that first report, and for a mean-shift method the difference of the "
              "two regime means beside it.",
              "", "| city | currency | report dates | breaks (first new date) | figure | status |",
              "|---|---|---:|---|---|---|"]
    for r in table.fillna("").astype(str).to_dict("records"):
        figure = f"[{r['figure']}]({r['figure']})" if r["figure"] else ""
        cells = (*(_cell(c) for c in (r["city"], r["currency"], r["n"], r["breaks"])), figure,
                 _cell(r["status"]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
