"""``read_rates()`` and ``read_prices()``: files and DataFrames in, a rate frame and a quarantine out.

Every input row (every city cell of a wide table) ends up either in ``Ingest.rates``
or in ``Ingest.quarantine`` with a reason: ``len(rates) + len(quarantine) == rows_read``.
Prices (won per kg of rice or corn) are rate-frame rows whose ``currency`` holds the
good's code (``"RICE"``, ``"CORN"``), so every later stage treats them like rates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nkfx._groups import flag_duplicates, remember_codes
from nkfx._typing import Errors, Layout, OldWon, PathLike
from nkfx._validate import check_option, check_type
from nkfx.errors import NkfxValueError, SchemaError
from nkfx.ingest import _parse
from nkfx.ingest._parse import Problems, rate_values, text_field
from nkfx.ingest._table import (
    Cells,
    Loaded,
    check_fields,
    city_columns_of,
    load,
    resolve_columns,
    stack,
)
from nkfx.ingest._text import Text, raw_text
from nkfx.ingest.result import Ingest
from nkfx.names import canonical_city, canonical_currency, canonical_good
from nkfx.schema import REDENOMINATION_DATE, validate_rates

if TYPE_CHECKING:
    pass

__all__ = ["Ingest", "read_prices", "read_rates"]

_KEPT = ("region", "publisher", "url", "note")  # optional columns passed through by name
_OLD_WON_LABEL = {"divide": "divided_by_100", "keep": "kept_as_reported"}
#: Header decorations removed before a header is read as a good ("rice_kpw_per_kg" -> "rice").
_PRICE_SUFFIX = re.compile(r"(?:[ _(/-]*(?:kpw|won|원|per|kg|price|prices|가격|값|\)))+$")
_OLD_WON_REASON = "dated before the 2009-11-30 redenomination (old won)"


def read_rates(
    source: PathLike | pd.DataFrame,
    *,
    layout: Layout = "auto",
    columns: Mapping[str, Hashable] | None = None,
    city: str | None = None,
    currency: str | None = None,
    source_name: str | None = None,
    date_precision: str | None = None,
    rate_type: str | None = None,
    old_won: OldWon | None = None,
    errors: Errors = "quarantine",
    sheet: str | int = 0,
    sep: str = ",",
) -> Ingest:
    """Read exchange-rate observations from a file or DataFrame, accounting for every row.

    Parameters
    ----------
    source : str, path or pandas.DataFrame
        A ``.csv``/``.txt`` file (UTF-8 with or without BOM, else cp949 as written by
        Korean Excel), ``.xlsx``/``.xls`` (needs ``nkfx[excel]``), ``.parquet`` (needs
        ``nkfx[parquet]``) or a DataFrame, which is never modified.
    layout : {"auto", "long", "wide"}, default "auto"
        ``"long"``: one observation per row. ``"wide"``: a date column and one column
        per city (headers such as ``평양``, ``신의주``, ``Hyesan``); each (row, city
        column) cell is one observation, so ``rows_read`` counts cells and a quarantined
        cell names its city column. ``"auto"`` picks wide when headers are known cities
        and there is no rate or city column.
    columns : mapping, optional
        Canonical field -> your column name, e.g. ``{"date": "Datum", "rate": "Kurs"}``.
        Fields: date, city, currency, rate, rate_low, rate_high, source, publisher,
        date_precision, rate_type, region, url, note. Unmapped fields are recognised
        from English or Korean headers (``time``, ``날짜``, ``entity``, ``지역``,
        ``value``, ``kpw_per_unit``, ``환율``, ``kpw_low``, ``출처``, ...), case-insensitively.
    city, currency, source_name, date_precision, rate_type : str, optional
        A constant for every row when the input has no such column (``source_name`` fills
        ``source``, since ``source`` is the input). Giving one *and* having the column is
        an error. Without them: city missing (national/regional rows), ``source`` from the
        ``publisher`` column via :func:`~nkfx.names.canonical_source` or ``"unknown"``,
        ``date_precision="day"``, ``rate_type="market"``; currency is required.
    old_won : {"divide", "keep", "reject"}, optional
        Rows dated before the 2009-11-30 redenomination: ``"divide"`` divides rates by
        100 (``won_adjustment="divided_by_100"``), ``"keep"`` keeps them as reported, e.g.
        when the compiler already converted (``"kept_as_reported"``), ``"reject"``
        quarantines them. Required when such rows exist. Later rows get ``"none"``.
    errors : {"quarantine", "raise"}, default "quarantine"
        ``"raise"``: raise one :class:`~nkfx.errors.SchemaError` listing the first problems.
    sheet : str or int, default 0
        Excel sheet.
    sep : str, default ","
        CSV field separator.

    Returns
    -------
    Ingest
        ``rates`` (rate frame in input order, ``row`` = 0-based input position, extra
        columns kept), ``quarantine`` (``row``, ``column``, ``value``, ``reason``;
        one row per rejected row, naming its first problem in the order date, rate,
        rate_low/rate_high, currency, redenomination), ``rows_read``, ``options``.
        Reasons: "date is missing", "date is not a date" (day-first/month-first dates
        such as 05/10/2022 are not guessed), "rate is missing" / "is not a number" /
        "is zero" / "is negative" / "is not finite" (likewise for rate_low, rate_high),
        "rate_low is above rate_high", "rate is below rate_low", "rate is above
        rate_high" (a range must hold its rate), "rate is implausible (outside 1e-06 to
        1e+12 KPW per unit)", "currency is missing", "currency is not
        recognised", "dated before the 2009-11-30 redenomination (old won)".

    Raises
    ------
    NkfxValueError
        Unknown option values, missing date/rate/currency columns, an option that
        contradicts a column, pre-2009-11-30 rows without ``old_won``, unreadable files.
    NkfxTypeError
        If ``source`` is neither a path nor a DataFrame, or an option has the wrong type.
    SchemaError
        With ``errors="raise"`` when any row is rejected.
    FileNotFoundError
        If the file does not exist.
    ImportError
        If Excel or Parquet support is not installed.

    Warns
    -----
    UnknownCityWarning
        Once, listing city names not in the gazetteer (they are kept as written).

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx import read_rates
    >>> table = pd.DataFrame({"날짜": ["22-10-05", "22-10-19", "22-11-02"],
    ...                       "혜산": ["820", "800~900", "0"], "신의주": [812, 830, 845]})
    >>> result = read_rates(table, currency="CNY", source_name="Daily NK")
    >>> result.rates[["date", "city", "rate", "rate_low", "rate_high", "row"]]
            date     city   rate  rate_low  rate_high  row
    0 2022-10-05   Hyesan  820.0       NaN        NaN    0
    1 2022-10-05  Sinuiju  812.0       NaN        NaN    0
    2 2022-10-19   Hyesan  850.0     800.0      900.0    1
    3 2022-10-19  Sinuiju  830.0       NaN        NaN    1
    4 2022-11-02  Sinuiju  845.0       NaN        NaN    2
    >>> result.quarantine[["row", "column", "value", "reason"]]
       row column value        reason
    0    2     혜산     0  rate is zero
    """
    check_option("layout", layout, ("auto", "long", "wide"))
    check_option("old_won", old_won, ("divide", "keep", "reject", None))
    check_option("errors", errors, ("quarantine", "raise"))
    constants = _check_constants(city=city, currency=currency, source_name=source_name,
                                 date_precision=date_precision, rate_type=rate_type)
    loaded = load(source, sheet=sheet, sep=sep, columns=columns)
    return _read(loaded, layout=layout, columns=columns, constants=constants,
                 old_won=old_won, errors=errors)


def _read(loaded: Loaded, *, layout: Layout, columns: Mapping[str, Hashable] | None,
          constants: dict[str, str], old_won: OldWon | None, errors: Errors) -> Ingest:
    """Read a loaded table into an :class:`Ingest` (the body of read_rates/read_prices)."""
    frame, path = loaded.frame, loaded.path
    mapping = resolve_columns(frame, columns)
    city_columns = city_columns_of(frame, mapping, layout)
    try:
        check_fields(frame, mapping, city_columns, constants)
    except NkfxValueError as exc:
        if not str(exc).startswith("no currency column found"):
            raise
        raise NkfxValueError(f"{exc}; for prices in won (rice, corn: KPW per kg) use "
                             f"read_prices(source, good='rice')") from None
    cells = stack(frame, mapping, city_columns)
    if loaded.reread is not None and "date" in mapping:  # dates parsed while reading
        reread, j = loaded.reread, mapping["date"]
        cells.raw["date"] = lambda: reread().iloc[:, j]
    rates, quarantine, pre_reform = _build(cells, constants, old_won)
    labels = list(frame.columns)
    options: dict[str, Any] = {
        "path": path, "layout": "wide" if city_columns else "long",
        "columns": {f: labels[j] for f, j in mapping.items()},
        "city_columns": [labels[j] for j in city_columns],
        **constants,
        "old_won": old_won, "pre_redenomination_rows": pre_reform, "errors": errors,
    }
    result = Ingest(rates, quarantine, len(cells.row), options)
    if len(rates) + len(quarantine) != result.rows_read:  # the promise of this module
        raise RuntimeError("nkfx bug: accepted + quarantined rows differ from rows read")
    if errors == "raise" and len(quarantine):
        _raise_quarantine(quarantine, result.rows_read)
    return result


def _raise_quarantine(quarantine: pd.DataFrame, rows_read: int) -> None:
    problems = [f"row {r}, column {c!r}: {why} ({v!r})" for r, c, v, why in
                quarantine[["row", "column", "value", "reason"]].head(50).itertuples(False)]
    raise SchemaError(f"{len(quarantine)} of {rows_read} rows could not be read "
                      f"(errors='raise'; use errors='quarantine' to keep going)", problems)


def read_prices(
    source: PathLike | pd.DataFrame,
    *,
    good: str | None = None,
    layout: Layout = "auto",
    columns: Mapping[str, Hashable] | None = None,
    city: str | None = None,
    source_name: str | None = None,
    date_precision: str | None = None,
    rate_type: str | None = None,
    old_won: OldWon | None = None,
    errors: Errors = "quarantine",
    sheet: str | int = 0,
    sep: str = ",",
) -> Ingest:
    """Read market prices of goods (KPW per kg of rice or corn) into a rate frame.

    A price is won per one unit of a thing, as a rate is won per one unit of a currency:
    each price becomes a rate-frame row whose ``currency`` column holds the good's code
    (``"RICE"``, ``"CORN"``) and whose ``rate`` is the price, so :func:`nkfx.combine`,
    :func:`nkfx.resample`, :func:`nkfx.detect` and :func:`nkfx.event_study` work on prices
    unchanged. Reading follows :func:`read_rates` exactly (same layouts, number and date
    parsing, quarantine; rows read = accepted + quarantined).

    Parameters
    ----------
    source : str, path or pandas.DataFrame
        As in :func:`read_rates`; a DataFrame is never modified.
    good : str, optional
        The good every price is for (``"rice"``, ``"쌀"``, ``"大米"``, ``"corn"``,
        ``"maize"``, ``"옥수수"``, ``"玉米"``; see :func:`~nkfx.names.canonical_good`).
        Required when prices come from a ``rate``/``value``/``price`` column or from city
        columns. Without it, the goods are found from column headers naming them
        (``rice_kpw_per_kg``, ``corn_kpw_per_kg``, ``쌀``, ``옥수수 가격``), one observation
        per (row, good column) cell; with it and such headers, only that good's column is read.
        A long column naming the good of each row is not supported: split the table first.
    layout, columns, city, source_name, date_precision, rate_type, old_won, errors, sheet, sep
        As in :func:`read_rates` (``columns`` cannot map ``currency``: the good takes its place).

    Returns
    -------
    Ingest
        As from :func:`read_rates`; ``options["goods"]`` lists the codes read and, for goods
        found from headers, ``options["good_columns"]`` the columns. With several good
        columns the rows are in input order, good by good within a row, and
        ``rows_read`` counts cells.

    Raises
    ------
    NkfxValueError
        Unknown ``good``; no ``good`` and no column naming one; ``good`` given but no column
        for it; ``columns`` mapping ``currency``; anything :func:`read_rates` raises.
    NkfxTypeError
        ``good`` is not a string, or as in :func:`read_rates`.
    SchemaError
        With ``errors="raise"`` when any row is rejected.

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx.ingest import read_prices
    >>> table = pd.DataFrame({"date": ["2022-11-04", "2022-11-11"],
    ...                       "rice_kpw_per_kg": [5700, 5700], "corn_kpw_per_kg": [2700, None]})
    >>> result = read_prices(table, source_name="Asia Press")
    >>> result.rates[["date", "currency", "rate", "row"]]
            date currency    rate  row
    0 2022-11-04     RICE  5700.0    0
    1 2022-11-04     CORN  2700.0    0
    2 2022-11-11     RICE  5700.0    1
    >>> result.rows_read, result.quarantine[["row", "column", "reason"]].values.tolist()
    (4, [[1, 'corn_kpw_per_kg', 'rate is missing']])
    >>> one = pd.DataFrame({"date": ["2022-11-04"], "price": [5700]})
    >>> read_prices(one, good="쌀").rates["currency"].tolist()
    ['RICE']
    """
    check_option("layout", layout, ("auto", "long", "wide"))
    check_option("old_won", old_won, ("divide", "keep", "reject", None))
    check_option("errors", errors, ("quarantine", "raise"))
    if good is not None:
        check_type("good", good, str, "a string such as 'rice' or 'corn'")
    code = None if good is None else canonical_good(good)
    constants = _check_constants(city=city, source_name=source_name,
                                 date_precision=date_precision, rate_type=rate_type)
    if columns is not None:
        check_type("columns", columns, Mapping, "a mapping such as {'date': 'Datum'}")
        if "currency" in columns:
            raise NkfxValueError("columns must not map 'currency' in read_prices (the good is the "
                                 "currency of a price); give good='rice' or name the good in headers")
    loaded = load(source, sheet=sheet, sep=sep, columns=columns)
    mapping = resolve_columns(loaded.frame, columns)
    direct = "rate" in mapping or city_columns_of(loaded.frame, mapping, layout)
    found = [] if direct else _good_columns(loaded.frame, mapping, code)
    if found:
        return _read_goods(loaded, found, layout=layout, columns=columns, constants=constants,
                           old_won=old_won, errors=errors)
    if code is None or not direct:
        labels = list(loaded.frame.columns)
        what = (f"no column names {good!r} (looked for headers such as 'rice_kpw_per_kg' or '쌀')"
                if code is not None else "no good given and no column names one (looked for "
                "headers such as 'rice_kpw_per_kg', 'corn', '쌀', '옥수수')")
        raise NkfxValueError(f"{what}; the input has columns {labels}; pass good='rice' or "
                             f"good='corn' with a price column (rate, value, price)")
    result = _read(loaded, layout=layout, columns=columns,
                   constants={**constants, "currency": code}, old_won=old_won, errors=errors)
    return replace(result, options={**result.options, "goods": [code]})


def _good_of_header(label: Hashable) -> str | None:
    """Return the good a column header names (``"rice_kpw_per_kg"`` -> ``"RICE"``), or None."""
    if not isinstance(label, str):
        return None
    bare = _PRICE_SUFFIX.sub("", label.strip().casefold())
    try:
        return canonical_good(bare) if bare else None
    except NkfxValueError:
        return None


def _good_columns(frame: pd.DataFrame, mapping: dict[str, int],
                  code: str | None) -> list[tuple[Hashable, str]]:
    """(header, good) of the columns naming a good, restricted to ``code`` when given."""
    used = set(mapping.values())
    found: list[tuple[Hashable, str]] = []
    for j, label in enumerate(frame.columns):
        good = None if j in used else _good_of_header(label)
        if good is not None and (code is None or good == code):
            found.append((label, good))
    return found


def _read_goods(loaded: Loaded, found: list[tuple[Hashable, str]], *, layout: Layout,
                columns: Mapping[str, Hashable] | None, constants: dict[str, str],
                old_won: OldWon | None, errors: Errors) -> Ingest:
    """Read each good column as the rate column (others dropped); stack row by row."""
    labels = [label for label, _ in found]
    parts = []
    for label, good in found:
        others = [x for x in labels if x != label]
        part = replace(loaded, frame=loaded.frame.drop(columns=others),
                       reread=_dropping(loaded.reread, others))
        parts.append(_read(part, layout=layout, columns={**(columns or {}), "rate": label},
                           constants={**constants, "currency": good}, old_won=old_won,
                           errors="quarantine"))
    rates = _stack_parts([p.rates for p in parts])
    quarantine = _stack_parts([p.quarantine for p in parts])
    options = {**parts[0].options, "columns": {**parts[0].options["columns"], "rate": labels},
               "currency": None, "goods": [g for _, g in found], "good_columns": labels,
               "pre_redenomination_rows": sum(p.options["pre_redenomination_rows"] for p in parts)}
    result = Ingest(validate_rates(rates), quarantine, sum(p.rows_read for p in parts), options)
    if errors == "raise" and len(quarantine):
        _raise_quarantine(quarantine, result.rows_read)
    return result


def _dropping(reread: Callable[[], pd.DataFrame] | None,
              others: list[Hashable]) -> Callable[[], pd.DataFrame] | None:
    """Return a re-reader of the table without the other goods' columns (positions must match)."""
    if reread is None:
        return None
    return lambda: reread().drop(columns=others)


def _stack_parts(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-good tables in input-row order (good by good within a row)."""
    stacked = pd.concat(frames, ignore_index=True)
    order = np.argsort(stacked["row"].to_numpy(), kind="stable")
    return stacked.iloc[order].reset_index(drop=True)


def _check_constants(**given: str | None) -> dict[str, str]:
    constants = {}
    for name, value in given.items():
        if value is None:
            continue
        check_type(name, value, str, "a string")
        if name == "currency":
            value = canonical_currency(value)
        elif name == "city":
            value = canonical_city(value)
        constants[name] = value
    return constants


def _build(cells: Cells, constants: dict[str, str],
           old_won: OldWon | None) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Parse every field, record the first problem of each position, split the two tables."""
    n, fields = len(cells.row), cells.fields
    problems = Problems(n)
    dates, code = _parse.parse_dates(fields["date"])
    problems.add_codes(code, "date")
    rate, low, high = rate_values(fields, problems)
    text = {name: text_field(fields, constants, name, n, problems)
            for name in ("currency", "city", "source", "date_precision", "rate_type")}
    adjust, pre_reform = _redenominate(dates, (rate, low, high), problems, old_won)
    ok = problems.ok
    keep: slice | np.ndarray = slice(None) if ok.all() else np.flatnonzero(ok)
    keys = {name: text[name].sorted_codes(keep) for name in ("city", "currency", "source")}
    data: dict[Hashable, Any] = {
        "date": dates[keep], "city": text["city"].series(keep),
        "currency": text["currency"].series(keep), "rate": rate[keep],
        "source": text["source"].series(keep), "rate_low": low[keep], "rate_high": high[keep],
        "date_precision": text["date_precision"].series(keep),
        "rate_type": text["rate_type"].series(keep),
        "won_adjustment": adjust.series(keep),
        "duplicate": flag_duplicates(dates[keep], *(codes for codes, _ in keys.values())),
        "row": cells.row[keep],
    }
    kept: dict[Hashable, pd.Series] = {name: fields[name] for name in _KEPT if name in fields}
    passed: dict[Hashable, pd.Series] = {**kept, **cells.extras}
    for label, series in passed.items():
        while label in data:  # an extra column named like an output column
            label = f"{label}_input"
        data[label] = series.iloc[keep].reset_index(drop=True)
    rates = validate_rates(pd.DataFrame(data, copy=False))  # fresh arrays: no copies
    for name, (codes, uniques) in keys.items():  # resample() and others reuse these
        remember_codes(rates[name], codes, uniques)
    bad = np.flatnonzero(~ok)
    quarantine = _quarantine(cells, problems, bad, text["city"].values(bad),
                             text["currency"].values(bad))
    return rates, quarantine, pre_reform


def _redenominate(dates: np.ndarray, values: tuple[np.ndarray, ...], problems: Problems,
                  old_won: OldWon | None) -> tuple[Text, int]:
    """Apply the ``old_won`` choice to rows dated before 2009-11-30; refuse to guess."""
    reform = np.datetime64(REDENOMINATION_DATE, "ns")
    if len(dates) and dates.view(np.int64).min() >= reform.view(np.int64):  # NaT is lowest
        return Text(np.array(["none"], dtype=object), None, len(dates)), 0
    pre = problems.ok & (dates < reform)
    count = int(pre.sum())
    if count == 0 or old_won == "reject":
        if count:
            problems.add(pre, _OLD_WON_REASON, "date")
        return Text(np.array(["none"], dtype=object), None, len(dates)), count
    if old_won is None:
        first = pd.Timestamp(dates[pre].min())
        raise NkfxValueError(
            f"{count} rows are dated before the 2009-11-30 redenomination (the first "
            f"{first:%Y-%m-%d}); say how to treat them with old_won='divide' (old won: divide "
            f"rates by 100), old_won='keep' (keep rates as reported, e.g. already converted) "
            f"or old_won='reject' (quarantine them)")
    if old_won == "divide":
        for array in values:
            array[pre] /= 100
    labels = np.array(["none", _OLD_WON_LABEL[old_won]], dtype=object)
    return Text(labels, pre.astype(np.intp), len(dates)), count


def _quarantine(cells: Cells, problems: Problems, bad: np.ndarray, city: np.ndarray,
                currency: np.ndarray) -> pd.DataFrame:
    which = problems.which[bad]
    reason = np.array([r for r, _ in problems.labels], dtype=object)[which]
    field_of = np.array([f for _, f in problems.labels], dtype=object)[which]
    value, column = np.empty(len(bad), dtype=object), np.empty(len(bad), dtype=object)
    for name in pd.unique(field_of):
        sel = field_of == name
        if name in cells.raw:  # the text as written, not the value parsed from it
            raw = cells.raw[name]().iloc[cells.row[bad[sel]]]
        else:
            raw = cells.fields[name].iloc[bad[sel]]
        value[sel] = [raw_text(v) for v in raw]
        label = cells.columns[name]
        column[sel] = label[bad[sel]] if isinstance(label, np.ndarray) else str(label)
    return pd.DataFrame({
        "row": cells.row[bad], **{name: pd.Series(values, dtype=object) for name, values in (
            ("column", column), ("value", value), ("reason", reason),
            ("city", city), ("currency", currency))},
    })
