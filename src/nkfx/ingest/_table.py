"""From a file or DataFrame to one observation per position (for ``read_rates``).

Loading (CSV/Excel/Parquet), recognising columns from English or Korean headers,
choosing the layout, and stacking wide tables (a column per city) cell by cell.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nkfx._typing import PathLike
from nkfx._validate import check_type
from nkfx.errors import NkfxTypeError, NkfxValueError
from nkfx.ingest._parse import is_real_numeric
from nkfx.names import canonical_city, is_known_city

#: Canonical field -> header spellings recognised (after lower-casing, spaces -> "_").
HEADERS: dict[str, tuple[str, ...]] = {
    "date": ("date", "time", "day", "날짜", "일자", "date_start", "기준일"),
    "city": ("city", "entity", "location", "지역", "도시"),
    "currency": ("currency", "통화", "화폐", "ccy"),
    "rate": ("rate", "value", "kpw_per_unit", "kpw", "price", "환율", "가격", "exchange_rate"),
    "rate_low": ("rate_low", "low", "kpw_low", "최저"),
    "rate_high": ("rate_high", "high", "kpw_high", "최고"),
    "source": ("source", "출처"),
    "publisher": ("publisher",),
    "date_precision": ("date_precision",),
    "rate_type": ("rate_type",),
    "region": ("region", "province"),
    "url": ("url", "source_url", "link"),
    "note": ("note", "notes", "comment", "비고"),
}
#: read_rates() option -> the field it fills.
CONSTANTS = {"city": "city", "currency": "currency", "source_name": "source",
              "date_precision": "date_precision", "rate_type": "rate_type"}
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class ColumnClashError(NkfxValueError):
    """A constant (``city=``, ...) was given for a field the input has as a column.

    ``option`` names the read_rates() argument, so that a caller such as the CLI can
    turn that constant into a filter without reading the message.
    """

    def __init__(self, message: str, *, option: str) -> None:
        super().__init__(message)
        self.option = option


@dataclass
class Cells:
    """The input as one observation per position (a wide table stacked city by city)."""

    row: np.ndarray
    fields: dict[str, pd.Series]
    columns: dict[str, Any]  # field -> user's column name (array for stacked city columns)
    extras: dict[Hashable, pd.Series]
    #: field -> the input column as text, by input row (when it was parsed on reading)
    raw: dict[str, Callable[[], pd.Series]] = field(default_factory=dict)


def load(source: PathLike | pd.DataFrame, *, sheet: str | int, sep: str,
         columns: Mapping[str, Hashable] | None = None) -> Loaded:
    if isinstance(source, pd.DataFrame):
        return Loaded(source, None)
    check_type("source", source, (str, os.PathLike), "a file path or a pandas DataFrame")
    path = Path(source)
    suffix = path.suffix.lower()
    if not path.exists():
        raise FileNotFoundError(f"source file not found: {str(path)!r}")
    if suffix in (".csv", ".txt"):
        frame, reread = _read_csv(path, sep, columns)
        return Loaded(frame, str(path), reread)
    extra = "excel" if suffix in (".xlsx", ".xlsm", ".xls") else "parquet"
    if suffix not in (".xlsx", ".xlsm", ".xls", ".parquet", ".pq"):
        raise NkfxValueError(f"source must be a .csv, .txt, .xlsx, .xls or .parquet file; "
                             f"got {path.name!r}")
    if suffix in (".xlsx", ".xlsm"):
        check_archive(path)
    try:
        if extra == "excel":
            return Loaded(pd.read_excel(path, sheet_name=sheet), str(path))
        return Loaded(pd.read_parquet(path), str(path))
    except ImportError as exc:
        raise ImportError(f"reading {suffix} files needs an optional dependency: "
                          f'pip install "nkfx[{extra}]" ({exc})') from exc


#: An .xlsx is a zip of XML files: nkfx refuses one that would unpack to more than this
#: many bytes (a 10^6-row sheet of dates, cities and rates is about 150 MB) ...
MAX_UNPACKED = 512 * 2**20
#: ... or whose XML holds more than this many unpacked bytes per packed byte (real sheets
#: compress 5-20 times; a "zip bomb" a thousand times).
MAX_RATIO = 200


def check_archive(path: Path) -> None:
    """Refuse an Excel file that is not a zip, unpacks too far or declares XML entities.

    openpyxl (pandas' reader of .xlsx) parses with the standard library's expat, which
    caps entity amplification (expat >= 2.4) but would still unpack and hold every cell
    of a compressed bomb; spreadsheets never need a DOCTYPE, so any is refused before
    parsing. Reads at most the first 64 KiB of each member; the sizes come from the
    zip's directory.
    """
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            unpacked = sum(m.file_size for m in members)
            packed = sum(m.compress_size for m in members)
            if unpacked > MAX_UNPACKED or unpacked > MAX_RATIO * max(packed, 2**16):
                raise NkfxValueError(
                    f"source {path.name!r} would unpack to {unpacked:,} bytes from {packed:,} "
                    f"(at most {MAX_UNPACKED:,} and {MAX_RATIO} times are read): refused as a "
                    "possible zip bomb; export the sheet as CSV")
            for member in members:
                if member.filename.endswith((".xml", ".rels", ".vml")):
                    with archive.open(member) as stream:
                        head = stream.read(2**16).replace(b"\x00", b"").upper()  # UTF-16 too
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise NkfxValueError(
                            f"source {path.name!r} declares XML entities in {member.filename!r}; "
                            "refused (spreadsheets never need them)")
    except zipfile.BadZipFile as exc:
        raise NkfxValueError(f"source {path.name!r} is not a valid .xlsx file (not a zip archive: "
                             f"{exc})") from exc


@dataclass(frozen=True)
class Loaded:
    """The input table; ``reread`` gives the CSV as text when dates were parsed on reading."""

    frame: pd.DataFrame
    path: str | None
    reread: Callable[[], pd.DataFrame] | None = None


def _read_csv(path: Path, sep: str, columns: Mapping[str, Hashable] | None
              ) -> tuple[pd.DataFrame, Callable[[], pd.DataFrame] | None]:
    with path.open("rb") as handle:  # pandas decodes plain UTF-8 in C, utf-8-sig in Python
        utf8 = "utf-8-sig" if handle.read(3) == b"\xef\xbb\xbf" else "utf-8"
    for encoding in (utf8, "cp949"):
        try:
            label = _iso_date_column(path, sep, encoding, columns)
            frame = _read_csv_as(path, sep, encoding, label)
            if label is None or frame[label].dtype.kind != "M":
                return frame, None  # dates left as text (or numbers) for nkfx's parser
            reread = partial(_read_csv_as, path, sep, encoding, None)
            if frame[label].isna().any():  # nkfx tells a missing date from an unreadable one
                return reread(), None
            return frame, reread
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            return pd.DataFrame(), None
        except pd.errors.ParserError as exc:
            raise NkfxValueError(f"could not read {path.name!r} as CSV: {exc}") from exc
    raise NkfxValueError(f"could not decode {path.name!r} as UTF-8 or cp949 (Korean); "
                         f"save it as UTF-8 and try again")


def _read_csv_as(path: Path, sep: str, encoding: str, dates: str | None) -> pd.DataFrame:
    """Read with ``parse_dates=[dates]`` when given; one dtype inferred per column.

    The C engine measured faster than engine="pyarrow" (pyarrow turns ISO dates into
    Python date objects), and reading in chunks faster than ``low_memory=False``; only
    when chunks disagree on a column's type (pandas' DtypeWarning) is the file read
    again in one piece, so every column still gets one type.
    """
    parse = [dates] if dates is not None else None
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.DtypeWarning)
        try:
            return pd.read_csv(path, sep=sep, encoding=encoding, parse_dates=parse)
        except pd.errors.DtypeWarning:
            pass
    return pd.read_csv(path, sep=sep, encoding=encoding, parse_dates=parse, low_memory=False)


def _iso_date_column(path: Path, sep: str, encoding: str,
                     columns: Mapping[str, Hashable] | None) -> str | None:
    """Return the date column's label when its first value is a ``YYYY-MM-DD`` day.

    pandas guesses the format of a date column from its first value and parses every
    distinct value once with it, leaving the text as it is if any value does not fit;
    for ``%Y-%m-%d`` that is exactly nkfx's first pass, ``to_datetime(format="%Y-%m-%d")``.
    """
    head = pd.read_csv(path, sep=sep, encoding=encoding, nrows=100, dtype=str)
    try:
        j = resolve_columns(head, columns).get("date")
    except (NkfxValueError, NkfxTypeError):
        return None  # reported properly once the whole file is read
    if j is None or not isinstance(head.columns[j], str):
        return None
    values = head.iloc[:, j].dropna()
    if len(values) == 0 or not _ISO_DAY.fullmatch(str(values.iloc[0])):
        return None
    return str(head.columns[j])


def _header_key(label: Hashable) -> str:
    return "_".join(str(label).strip().casefold().replace("-", " ").split())


def resolve_columns(frame: pd.DataFrame, columns: Mapping[str, Hashable] | None) -> dict[str, int]:
    """Canonical field -> column position, from ``columns=`` first, then from headers."""
    labels = list(frame.columns)
    if isinstance(frame.columns, pd.MultiIndex) or frame.columns.has_duplicates:
        raise NkfxValueError(f"the input needs one row of unique column names; got {labels}")
    mapping: dict[str, int] = {}
    if columns is not None:
        check_type("columns", columns, Mapping, "a mapping such as {'date': 'Datum'}")
        for name, label in columns.items():
            if name not in HEADERS:
                raise NkfxValueError(f"columns has an unknown key {name!r}; keys must be among "
                                     f"{', '.join(repr(k) for k in HEADERS)}")
            if label not in labels:
                raise NkfxValueError(f"columns[{name!r}] = {label!r} is not a column of the "
                                     f"input; its columns are {labels}")
            mapping[name] = labels.index(label)
    found: dict[str, int] = {}
    for j, label in enumerate(labels):
        key = _header_key(label)
        for name, spellings in HEADERS.items():
            if j in mapping.values() or name in mapping or key not in spellings:
                continue
            if name in found:
                raise NkfxValueError(
                    f"columns {labels[found[name]]!r} and {label!r} both look like the {name} "
                    f"column; choose one with columns={{{name!r}: ...}}")
            found[name] = j
    return {**mapping, **found}


def city_columns_of(frame: pd.DataFrame, mapping: dict[str, int], layout: str) -> list[int]:
    labels = list(frame.columns)
    cities = [j for j, label in enumerate(labels) if j not in mapping.values()
              and isinstance(label, str) and is_known_city(label)]
    if layout == "long":
        return []
    clash = [name for name in ("rate", "city") if name in mapping]
    if layout == "wide":
        if not cities:
            raise NkfxValueError(f"layout='wide' needs columns named after cities (평양, 신의주, "
                                 f"Hyesan, ...); the input has columns {labels}")
        if clash:
            raise NkfxValueError(
                f"layout='wide' takes rates from the city columns "
                f"{[labels[j] for j in cities]}, but the input also has a {clash[0]} column "
                f"{labels[mapping[clash[0]]]!r}; use layout='long' or drop that column")
    return cities if cities and not clash else []


def check_fields(frame: pd.DataFrame, mapping: dict[str, int], city_columns: list[int],
                  constants: dict[str, str]) -> None:
    labels = list(frame.columns)
    for option, name in CONSTANTS.items():
        if option in constants and (name in mapping or (name == "city" and city_columns)):
            where = (f"a {name} column {labels[mapping[name]]!r}" if name in mapping
                     else "city columns (wide layout)")
            raise ColumnClashError(
                f"{option}={constants[option]!r} was given but the input also has {where}; "
                f"drop one of them (nkfx does not guess which is right)", option=option)
    needs = {"date": "date", "rate": "rate" if not city_columns else None,
             "currency": None if "currency" in constants else "currency"}
    for name, missing in needs.items():
        if missing and name not in mapping:
            hint = ", pass currency='CNY' or 'USD'" if name == "currency" else ""
            raise NkfxValueError(
                f"no {name} column found (looked for {', '.join(HEADERS[name])}); the input "
                f"has columns {labels}; name it with columns={{{name!r}: ...}}{hint}")


def stack(frame: pd.DataFrame, mapping: dict[str, int], city_columns: list[int]) -> Cells:
    """One observation per position; wide tables are stacked row by row, city by city."""
    n, labels = len(frame), list(frame.columns)
    used = set(mapping.values()) | set(city_columns)
    stacked = bool(city_columns)
    row = np.arange(n, dtype=np.int64)
    if stacked:
        row = np.repeat(row, len(city_columns))

    def pick(j: int) -> pd.Series:
        column = frame.iloc[row, j] if stacked else frame.iloc[:, j]
        return column.reset_index(drop=True)

    fields = {name: pick(j) for name, j in mapping.items()}
    columns: dict[str, Any] = {name: labels[j] for name, j in mapping.items()}
    if city_columns:
        block = frame.iloc[:, city_columns]
        numeric = all(is_real_numeric(block.iloc[:, i]) for i in range(block.shape[1]))
        values = (block.to_numpy(dtype=float, na_value=np.nan) if numeric
                  else block.astype(object).to_numpy())
        headers = np.array([labels[j] for j in city_columns], dtype=object)
        fields["rate"] = pd.Series(values.ravel())
        fields["city"] = pd.Series(np.tile([canonical_city(h) for h in headers], n), dtype=object)
        columns["rate"] = columns["city"] = np.tile(headers, n)
    extras: dict[Hashable, pd.Series] = {labels[j]: pick(j) for j in range(len(labels)) if j not in used}
    return Cells(row, fields, columns, extras)
