"""The ``nkfx`` command line: summaries, breaks, events, figures and reports from a shell.

Usage::

    nkfx summary FILE [--json]              coverage per city and currency
    nkfx detect FILE --city C --currency X  structural breaks of one series
    nkfx event-study FILE EVENT... --city C --currency X   the move at catalogued events
    nkfx probability FILE --city C --currency X            Bayesian change probabilities
    nkfx match FILE --city C --currency X   breaks matched to events (lead/lag in days)
    nkfx events [--json]                    the bundled event catalogue
    nkfx plot FILE -o out.png               a figure of the rates (a panel per currency)
    nkfx report FILE -o DIR                 figures, Markdown and JSON per series
    nkfx data path                          where the bundled observations are

``--bundled`` reads the bundled observations instead of a FILE.

Results go to stdout (human tables, or JSON with ``--json``), messages and errors to
stderr. Exit codes: 0 success, 1 the data or an nkfx check failed (e.g. a city without
rates, a missing file), 2 the command line itself is wrong (unknown option or value), 3 a
bug in nkfx (one line; ``NKFX_DEBUG=1`` shows the traceback).
``--city``/``--currency``/``--source-name`` are constants for files without such a
column and filters for files that have one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from nkfx import __version__
from nkfx._demo_story import report_jump_pct
from nkfx._groups import NO_CITY
from nkfx._json import jsonable
from nkfx.clean import combine
from nkfx.datasets import load_events, observations_path
from nkfx.detect import detect
from nkfx.errors import NkfxError
from nkfx.events import event_study, match_breaks
from nkfx.events.probability import change_probability
from nkfx.ingest import read_rates
from nkfx.ingest._table import ColumnClashError
from nkfx.plotting import plot_cities, plot_rates
from nkfx.plotting.style import save_figure
from nkfx.schema import select

__all__ = ["main"]

_Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """A command-line mistake found by argparse (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports mistakes to :func:`main` instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``nkfx`` command; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 1 when the data or an nkfx check fails, 2 for a usage error, 3 for
        an unexpected error (a bug).

    Examples
    --------
    >>> main(["events", "--json"]) == 0  # doctest: +ELLIPSIS
    [...
    True
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(f"nkfx: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else 0
    handler: _Handler = args.handler
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            code = handler(args)
        except UsageError as exc:
            code = _fail(str(exc), 2)
        except BrokenPipeError:  # e.g. `nkfx events | head`: the reader left, nothing to report
            return 0
        except (NkfxError, OSError) as exc:
            code = _fail(_one_line(exc), 1)
        except Exception as exc:  # a bug: one line for the user, the traceback on request
            if os.environ.get("NKFX_DEBUG"):
                raise
            code = _fail(f"unexpected {type(exc).__name__}: {_one_line(exc)} (a bug in nkfx: please "
                         "report it with the command; NKFX_DEBUG=1 shows the traceback)", 3)
    for w in caught:
        print(f"nkfx: warning: {_one_line(w.message)}", file=sys.stderr)
    return code


def _fail(message: str, code: int) -> int:
    print(f"nkfx: error: {cli_words(message)}", file=sys.stderr)
    return code


#: Python keyword arguments named in library messages, and the flags that set them.
_FLAGS = {"old_won": "--old-won", "source_name": "--source-name", "rate_type": "--rate-type",
          "layout": "--layout", "city": "--city", "currency": "--currency", "trim": "--trim",
          "max_breaks": "--max-breaks", "n_breaks": "--n-breaks", "penalty": "--penalty",
          "level": "--level", "method": "--method", "model": "--model", "scale": "--scale"}


def cli_words(message: str) -> str:
    """Say library hints in the command line's words: ``old_won='divide'`` -> ``--old-won divide``.

    Examples
    --------
    >>> cli_words("say how with old_won='divide' or old_won='keep'")
    'say how with --old-won divide or --old-won keep'
    >>> cli_words("name it with columns={'rate': ...}")
    'name it with --column rate=COLUMN'
    """
    def flag(m: re.Match[str]) -> str:
        return f"{_FLAGS[m.group(1)]} {m.group(2)}"

    names = "|".join(_FLAGS)
    message = re.sub(rf"\b({names})='([^']*)'", flag, message)
    message = re.sub(rf"\b({names})=(\d[\w.]*)", flag, message)
    return re.sub(r"columns=\{'(\w+)': \.\.\.\}", r"--column \1=COLUMN", message)


def _one_line(exc: BaseException | Warning | str) -> str:
    """Messages with a list of problems (SchemaError) become one line."""
    parts = [p.strip(" -") for p in str(exc).splitlines() if p.strip()]
    return "; ".join(parts) or type(exc).__name__


def build_parser() -> argparse.ArgumentParser:
    """Build the argparse parser of the ``nkfx`` command (sub-commands and their options)."""
    parser = _Parser(prog="nkfx", description="North Korean market exchange rates: summaries, "
                     "structural breaks, events and figures.")
    parser.add_argument("--version", action="version", version=f"nkfx {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Parser)
    _add_summary(sub)
    _add_detect(sub)
    _add_event_study(sub)
    _add_probability(sub)
    _add_match(sub)
    _add_events(sub)
    _add_plot(sub)
    _add_report(sub)
    _add_data(sub)
    return parser


def _read_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, metavar="FILE", nargs="?",
                   help="CSV, Excel or Parquet file of rates (or --bundled)")
    p.add_argument("--bundled", action="store_true",
                   help="read the observations bundled with nkfx instead of a FILE")
    p.add_argument("--column", action="append", type=_column, metavar="FIELD=COLUMN",
                   help="the file's column for a field (date, city, currency, rate, source, ...), "
                   "e.g. --column rate=cny_kpw; repeat for several")
    p.add_argument("--currency", help="currency (CNY, USD, yuan, ...): constant or filter")
    p.add_argument("--city", help="city (any spelling): constant or filter")
    p.add_argument("--source-name", help="source of every row when the file has no source column")
    p.add_argument("--old-won", choices=("divide", "keep", "reject"),
                   help="what to do with rows dated before the 2009-11-30 redenomination")
    p.add_argument("--layout", choices=("auto", "long", "wide"), default="auto",
                   help="long (one observation per row) or wide (a column per city)")
    p.add_argument("--rate-type", default="market",
                   help="keep rows of this rate_type ('any' keeps all); default market")


def _add_summary(sub: Any) -> None:
    p = sub.add_parser("summary", help="coverage per city and currency",
                       description="Coverage per city and currency: reports, dates, sources, "
                       "duplicates and quarantined rows.")
    _read_options(p)
    p.add_argument("--json", action="store_true", help="JSON on stdout")
    p.set_defaults(handler=cmd_summary)


def _detect_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--method", choices=("jumps", "bai-perron", "pelt"), default="jumps",
                   help="jumps in a drifting rate (default), regimes by exact least squares "
                   "with intervals and tests, or penalised PELT")
    p.add_argument("--model", choices=("mean", "trend"), default="mean",
                   help="a level per regime, or a level and a slope")
    p.add_argument("--scale", choices=("log", "level"), default="log",
                   help="analyse log rates (default) or the rates themselves")
    p.add_argument("--trim", type=_trim, help="minimal segment (bai-perron, pelt): fraction "
                   "(0.15), observations (10) or duration (180D)")
    p.add_argument("--max-breaks", type=int, help="largest number of breaks (bai-perron; default 5)")
    p.add_argument("--penalty", type=_penalty, help="jumps: auto (6 log n, default) or a number; "
                   "pelt: bic-lrv (default), bic, mbic or a number")
    p.add_argument("--n-breaks", type=_n_breaks, help="bai-perron: bic (default), lwz, "
                   "sequential or a number of breaks")
    p.add_argument("--hac", action="store_true", help="bai-perron: autocorrelation-robust "
                   "intervals and tests (kernel HAC, sieve-bootstrap p-values)")
    p.add_argument("--level", type=float, help="bai-perron: level of the break-date intervals "
                   "(default 0.95)")


def _add_detect(sub: Any) -> None:
    p = sub.add_parser("detect", help="structural breaks of one series",
                       description="Structural breaks of one city and currency (reports of one "
                       "date are combined by their median first).")
    _read_options(p)
    _detect_options(p)
    p.add_argument("--json", action="store_true", help="Breaks.to_dict() as JSON on stdout")
    p.set_defaults(handler=cmd_detect)


def _series_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", type=Path, help="also draw the result into this image file")
    p.add_argument("--json", action="store_true", help="the result's to_dict() as JSON on stdout")


def _add_event_study(sub: Any) -> None:
    p = sub.add_parser("event-study", help="the move of one series at catalogued events",
                       description="For each event: the jump between the reports that bracket "
                       "it, and the change of window means with its interval and a placebo p-value.")
    _read_options(p)
    p.add_argument("event", nargs="+", metavar="EVENT",
                   help="event id(s) of the catalogue ('nkfx events' lists them)")
    p.add_argument("--before", help="pre-event window, e.g. 90D (default: adaptive)")
    p.add_argument("--after", help="post-event window, e.g. 90D (default: adaptive)")
    _series_options(p)
    p.set_defaults(handler=cmd_event_study)


def _add_probability(sub: Any) -> None:
    p = sub.add_parser("probability", help="Bayesian change probabilities of one series",
                       description="Posterior probability of a change at each report date "
                       "(Bayesian online change points with a gap-aware hazard).")
    _read_options(p)
    p.add_argument("--window", nargs=2, metavar=("START", "END"),
                   help="print P(at least one change between START and END)")
    p.add_argument("--expected-run", help="prior mean length of a regime, e.g. 365D")
    _series_options(p)
    p.set_defaults(handler=cmd_probability)


def _add_match(sub: Any) -> None:
    p = sub.add_parser("match", help="breaks of one series matched to catalogued events",
                       description="Detect breaks (as 'nkfx detect'), then give each break its "
                       "nearest event with the lead or lag in days, and precision and recall.")
    _read_options(p)
    _detect_options(p)
    p.add_argument("--tolerance", default="60D",
                   help="a break matches an event within this distance (default 60D)")
    p.add_argument("--events", nargs="+", metavar="EVENT", dest="event_ids",
                   help="event ids to match against (default: the whole catalogue)")
    p.add_argument("--json", action="store_true", help="the match's to_dict() as JSON on stdout")
    p.set_defaults(handler=cmd_match)


def _add_data(sub: Any) -> None:
    p = sub.add_parser("data", help="where the bundled data files are",
                       description="Print the path of a bundled file: the cited observations "
                       "(default), the event catalogue or the official rates.")
    p.add_argument("what", choices=("path",), help="'path': print the file's path")
    p.add_argument("name", nargs="?", default="observations",
                   choices=("observations", "events", "official"), help="which file")
    p.set_defaults(handler=cmd_data)


def _add_events(sub: Any) -> None:
    p = sub.add_parser("events", help="the bundled event catalogue",
                       description="The bundled catalogue of events with dates, status and sources.")
    p.add_argument("--json", action="store_true", help="JSON on stdout")
    p.set_defaults(handler=cmd_events)


def _add_plot(sub: Any) -> None:
    p = sub.add_parser("plot", help="a figure of the rates (PNG, SVG or PDF)",
                       description="Draw the rates, one line per city and a panel per currency "
                       "(--currency draws one).")
    _read_options(p)
    p.add_argument("-o", "--output", type=Path, required=True, help="image file to write")
    p.add_argument("--log", action="store_true", help="logarithmic rate axis")
    p.add_argument("--events", action="store_true", help="draw the bundled events")
    p.add_argument("--credit", help="source credit under the figure")
    p.set_defaults(handler=cmd_plot)


def _add_report(sub: Any) -> None:
    p = sub.add_parser("report", help="figures, Markdown and JSON for every series",
                       description="Detect breaks in every city and currency with enough reports "
                       "and write figures (PNG), summary.md and results JSON into a folder.")
    _read_options(p)
    _detect_options(p)
    p.add_argument("-o", "--output", type=Path, required=True, help="folder to write")
    p.add_argument("--min-obs", type=int, default=20,
                   help="fewest report dates for a series to be analysed (default 20)")
    p.set_defaults(handler=cmd_report)


_PENALTIES = {"jumps": ("auto",), "pelt": ("bic-lrv", "bic", "mbic")}


def _penalty(text: str) -> float | str:
    """--penalty: a name (``auto``, ``bic-lrv``, ``bic``, ``mbic``) or a positive number."""
    if text in ("auto", "bic-lrv", "bic", "mbic"):
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected auto, bic-lrv, bic, mbic or a number; got {text!r}") from None


def detect_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of :func:`nkfx.detect` from the command line (only those given)."""
    if args.penalty is not None:
        names = _PENALTIES.get(args.method)
        if names is None:
            raise UsageError(f"--penalty applies to --method jumps or pelt; got --method {args.method}")
        if isinstance(args.penalty, str) and args.penalty not in names:
            raise UsageError(f"--penalty for --method {args.method} is {' or '.join(names)} or a "
                             f"number; got {args.penalty}")
    if args.max_breaks is not None and args.method != "bai-perron":
        raise UsageError(f"--max-breaks applies to --method bai-perron; with --method "
                         f"{args.method} --penalty sets the number of breaks")
    if args.method == "jumps" and args.trim is not None:
        raise UsageError("--trim applies to --method bai-perron or pelt; a jump lies between two "
                         "consecutive reports")
    if args.method == "jumps" and args.model != "mean":
        raise UsageError("--model applies to --method bai-perron; --method jumps has its own "
                         "model (a drifting level with jumps)")
    only_bp = [flag for flag, value in (("--n-breaks", args.n_breaks), ("--hac", args.hac or None),
                                        ("--level", args.level)) if value is not None]
    if only_bp and args.method != "bai-perron":
        raise UsageError(f"{', '.join(only_bp)} appl{'ies' if len(only_bp) == 1 else 'y'} to "
                         f"--method bai-perron; got --method {args.method}")
    given = {"model": args.model, "scale": args.scale, "trim": args.trim,
             "max_breaks": args.max_breaks, "penalty": args.penalty, "n_breaks": args.n_breaks,
             "hac": True if args.hac else None, "level": args.level}
    return {k: v for k, v in given.items() if v is not None}


def _n_breaks(text: str) -> int | str:
    """--n-breaks: ``bic``, ``lwz``, ``sequential`` or a whole number."""
    if text in ("bic", "lwz", "sequential"):
        return text
    if re.fullmatch(r"\d+", text):
        return int(text)
    raise argparse.ArgumentTypeError(f"expected bic, lwz, sequential or a number; got {text!r}")


def _trim(text: str) -> float | int | str:
    """--trim: ``0.15`` (fraction), ``10`` (observations) or ``180D`` (duration)."""
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"\d*\.\d+", text):
        return float(text)
    if re.fullmatch(r"\d+\s*[A-Za-z]+", text):
        return text
    raise argparse.ArgumentTypeError(f"expected a fraction, a number of observations or a "
                                     f"duration such as 180D; got {text!r}")


def _column(text: str) -> tuple[str, str]:
    """--column: ``FIELD=COLUMN``."""
    field, sep, column = text.partition("=")
    if not sep or not field.strip() or not column.strip():
        raise argparse.ArgumentTypeError(f"expected FIELD=COLUMN such as rate=cny_kpw; got {text!r}")
    return field.strip(), column.strip()


def source_file(args: argparse.Namespace) -> Path:
    """FILE, or the bundled observations with ``--bundled`` (exactly one of them)."""
    if args.bundled and args.file is not None:
        raise UsageError(f"give FILE or --bundled, not both (got '{args.file}' and --bundled)")
    if args.bundled:
        return observations_path()
    if args.file is None:
        raise UsageError(f"{args.command} needs FILE or --bundled (see 'nkfx {args.command} --help')")
    path: Path = args.file
    if not path.exists():
        raise FileNotFoundError(f"file not found: '{path}'")
    return path


def read(args: argparse.Namespace) -> tuple[Any, dict[str, str]]:
    """Read FILE with the read options; return the Ingest and the filters still to apply.

    ``--city``/``--currency``/``--source-name`` are first given to ``read_rates`` as
    constants; one the file has as a column becomes a filter instead.
    """
    path = source_file(args)
    columns = dict(args.column) if args.column else None
    constants = {k: getattr(args, k) for k in ("city", "currency", "source_name")
                 if getattr(args, k) is not None}
    filters: dict[str, str] = {}
    for _ in range(4):
        try:
            ingest = read_rates(path, layout=args.layout, old_won=args.old_won, columns=columns,
                                **constants)
        except ColumnClashError as exc:
            # the file has that field as a column: the flag selects rows instead
            if exc.option not in constants:
                raise
            filters["source" if exc.option == "source_name" else exc.option] = constants.pop(exc.option)
            continue
        return ingest, filters
    raise NkfxError("could not read the file with the given --city/--currency/--source-name")


def rates_of(args: argparse.Namespace) -> pd.DataFrame:
    """Return the accepted rates of FILE after the filters and ``--rate-type``."""
    ingest, filters = read(args)
    rates: pd.DataFrame = ingest.rates
    if rates.empty:
        raise NkfxError(nothing_accepted(ingest))
    if args.rate_type != "any" and "rate_type" in rates:
        kept = rates["rate_type"].astype(object) == args.rate_type
        if not kept.any():
            found = sorted(str(v) for v in rates["rate_type"].dropna().unique())
            raise NkfxError(f"no rows with rate_type {args.rate_type!r}; the file has {found} "
                            "(use --rate-type any to keep all)")
        if not kept.all():  # bank or official rates left out: say so, never silently
            print(f"nkfx: note: {int((~kept).sum())} row(s) with rate_type other than "
                  f"{args.rate_type!r} left out (use --rate-type any to keep all)", file=sys.stderr)
        rates = rates.loc[kept]
    if filters:
        rates = select(rates, **filters)
    return rates


def nothing_accepted(ingest: Any) -> str:
    """Why a file gave no rates: no rows at all, or every row quarantined (first reasons)."""
    if ingest.rows_read == 0:
        return "the file has no rows (a header only?)"
    q = ingest.quarantine
    first = "; ".join(f"row {r} ({c}): {why} ({v!r})" for r, c, v, why in
                      q[["row", "column", "value", "reason"]].head(3).itertuples(index=False))
    more = f"; and {len(q) - 3} more" if len(q) > 3 else ""
    return (f"no row of the file could be read: {len(q)} of {ingest.rows_read} quarantined: "
            f"{first}{more} (rows are counted from 0 after the header; 'nkfx summary' lists them)")


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False))


def cmd_summary(args: argparse.Namespace) -> int:
    """``nkfx summary``: coverage table or JSON."""
    ingest, filters = read(args)
    table = ingest.summary()
    if filters:
        chosen = select(ingest.rates, **filters)
        keys = set(chosen[["city", "currency"]].astype(object).fillna(NO_CITY)
                   .itertuples(index=False, name=None))
        table = table[[k in keys for k in table[["city", "currency"]].itertuples(index=False, name=None)]]
    path = source_file(args)
    if args.json:
        _print_json(jsonable({"file": str(path), **ingest.to_dict(), "coverage": table}))
        return 0
    print(f"{path}: {ingest.rows_read} rows read, {len(ingest.rates)} accepted, "
          f"{len(ingest.quarantine)} quarantined")
    if table.empty:
        print("  (no rows: the file has a header only)" if ingest.rows_read == 0 else
              "  (no accepted rows)")
    else:
        shown = table.assign(first=table["first"].dt.strftime("%Y-%m-%d"),
                             last=table["last"].dt.strftime("%Y-%m-%d"))
        print(shown.to_string(index=False, na_rep=""))
    for reason, n in ingest.reasons().items():
        print(f"  quarantined: {n} row(s): {reason}")
    return 0


def combined_series(rates: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per date, city and currency (median of the reports); the number of dates merged."""
    several = int(rates.groupby(["date", "city", "currency"], dropna=False).size().gt(1).sum())
    return combine(rates), several


def cmd_detect(args: argparse.Namespace) -> int:
    """``nkfx detect``: breaks of one series as a summary table or JSON."""
    if args.city is None or args.currency is None:
        raise UsageError("detect needs --city and --currency (see 'nkfx detect --help')")
    options = detect_options(args)
    rates = one_series(args)
    res = detect(rates, args.method, city=args.city, currency=args.currency, **options)
    if args.json:
        _print_json(res.to_dict())
    else:
        print(res.summary().as_text())
    return 0


def one_series(args: argparse.Namespace) -> pd.DataFrame:
    """Return the combined rates of FILE for ``--city``/``--currency`` (both required)."""
    if args.city is None or args.currency is None:
        raise UsageError(f"{args.command} needs --city and --currency "
                         f"(see 'nkfx {args.command} --help')")
    rates, merged = combined_series(rates_of(args))
    if merged:
        print(f"nkfx: note: {merged} date(s) had several reports; their median is used",
              file=sys.stderr)
    return rates


def _draw(result: Any, path: Path | None) -> None:
    """Draw ``result.plot()`` into ``path`` when one was given."""
    if path is None:
        return
    import matplotlib

    matplotlib.use("Agg")

    ax = result.plot()
    save_figure(ax[0] if isinstance(ax, list | tuple) else ax, path)
    print(f"nkfx: note: figure written to {path}", file=sys.stderr)


def cmd_event_study(args: argparse.Namespace) -> int:
    """``nkfx event-study``: the study's summary or JSON."""
    target = figure_path(args.output) if args.output is not None else None
    rates = one_series(args)
    study = event_study(rates, args.event, city=args.city, currency=args.currency,
                        before=args.before, after=args.after)
    if args.json:
        _print_json(study.to_dict())
    else:
        print(study.summary())
    _draw(study, target)
    return 0


def cmd_probability(args: argparse.Namespace) -> int:
    """``nkfx probability``: the summary, or P(change) in a window, or JSON."""
    target = figure_path(args.output) if args.output is not None else None
    rates = one_series(args)
    cp = change_probability(rates, city=args.city, currency=args.currency,
                            expected_run=args.expected_run)
    if args.json:
        out = cp.to_dict()
        if args.window:
            out["window"] = {"start": args.window[0], "end": args.window[1],
                             "probability": cp.window(*args.window)}
        _print_json(out)
    else:
        print(cp.summary())
        if args.window:
            print(f"P(at least one change between {args.window[0]} and {args.window[1]}) = "
                  f"{cp.window(*args.window):.3f}")
    _draw(cp, target)
    return 0


def cmd_match(args: argparse.Namespace) -> int:
    """``nkfx match``: breaks of one series against the event catalogue."""
    options = detect_options(args)
    rates = one_series(args)
    res = detect(rates, args.method, city=args.city, currency=args.currency, **options)
    match = match_breaks(res, args.event_ids, tolerance=args.tolerance)
    if args.json:
        _print_json(match.to_dict())
    else:
        print(match.summary())
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    """``nkfx data path [NAME]``: the path of a bundled file."""
    files = {"observations": observations_path(),
             "events": observations_path().with_name("events.csv"),
             "official": observations_path().with_name("official_rates.csv")}
    print(files[args.name])
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    """``nkfx events``: the bundled catalogue."""
    events = load_events()
    if args.json:
        _print_json(jsonable(events))
        return 0
    table = events[["id", "start", "end", "status", "scope"]].assign(
        start=events["start"].dt.strftime("%Y-%m-%d"), end=events["end"].dt.strftime("%Y-%m-%d"))
    print(table.to_string(index=False))
    return 0


_FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def figure_path(path: Path, flag: str = "-o") -> Path:
    """Check that an image output ends in .png, .svg or .pdf and its folder exists."""
    if path.suffix.lower() not in _FIGURE_SUFFIXES:
        raise UsageError(f"{flag} must name a .png, .svg or .pdf file; got '{path}'")
    if not path.parent.exists():
        raise UsageError(f"{flag}: folder '{path.parent}' does not exist")
    if path.is_dir():
        raise UsageError(f"{flag} '{path}' is a folder; give a file name such as rates.png")
    return path


def cmd_plot(args: argparse.Namespace) -> int:
    """``nkfx plot``: the rates as an image file, a panel per currency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt


    target = figure_path(args.output)
    rates = rates_of(args)
    currencies = sorted(str(c) for c in rates["currency"].unique())
    _, axes = plt.subplots(len(currencies), 1, figsize=(9, 3.6 * len(currencies) + 0.9),
                           sharex=True, layout="constrained", squeeze=False)
    events = load_events() if args.events else None
    for k, (ax, code) in enumerate(zip(axes[:, 0], currencies, strict=True)):
        last = k == len(currencies) - 1
        plot_rates(rates, ax=ax, currency=code, log=args.log, events=events,
                   credit=args.credit if last else None)
        ax.set_title(f"Market rate, KPW per {code}", loc="left")
    save_figure(axes[0, 0], target)
    print(target)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``nkfx report``: see :mod:`nkfx.cli`."""
    detect_options(args)  # a contradictory option fails before any work
    if args.min_obs < 2:
        raise UsageError(f"--min-obs must be at least 2; got {args.min_obs}")
    if args.output.exists() and not args.output.is_dir():
        raise UsageError(f"-o '{args.output}' is a file; give a folder (it is created if missing)")
    rates, _ = combined_series(rates_of(args))
    return write_report(rates, args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())




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
    text = f"{row['first_new']:%Y-%m-%d} ({report_jump_pct(res, row):+.0f}% between reports"
    if res.method in ("bai-perron", "pelt") and pd.notna(row.get("jump_pct")):
        text += f"; regime means {row['jump_pct']:+.0f}%"
    return text + ")"


def _overview(rates: pd.DataFrame, todo: pd.DataFrame, out: Path) -> list[str]:
    """One small-multiples figure per currency over the analysed cities."""
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
