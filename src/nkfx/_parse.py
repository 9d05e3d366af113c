"""Vectorised parsing of rates and dates as reports write them.

Every parser returns values plus an integer *problem code* per element (``OK`` = 0).
Numeric and datetime columns take a fast path; text columns are factorised so each
distinct spelling is parsed once, plain numbers vectorised and only odd spellings
("1만2천", "800~900원") by a small Python parser.
"""

from __future__ import annotations

import math
import re
import sys
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nkfx.errors import NkfxValueError, UnknownCityWarning
from nkfx.names import canonical_city, canonical_currency, canonical_source, is_known_city

#: Text columns: pandas' string dtype where it is the default (pandas 3: separate
#: Arrow-backed blocks, fast missing checks), else object as in schema.empty_rates().
_STRING: Any = "str" if int(pd.__version__.split(".")[0]) >= 3 else object
#: What a text field holds when the input does not say.
DEFAULTS = {"source": "unknown", "date_precision": "day", "rate_type": "market"}

OK, MISSING, NOT_NUMBER, ZERO, NEGATIVE, NOT_FINITE, REVERSED, NOT_DATE = range(8)

#: Problem code -> reason text, ``{field}`` replaced by the field name.
REASONS = {
    MISSING: "{field} is missing",
    NOT_NUMBER: "{field} is not a number",
    ZERO: "{field} is zero",
    NEGATIVE: "{field} is negative",
    NOT_FINITE: "{field} is not finite",
    REVERSED: "rate_low is above rate_high",
    NOT_DATE: "{field} is not a date",
}

_MISSING_TEXT = frozenset({"", "nan", "na", "n/a", "none", "null", "-", "–", "—", "?"})
_UNITS = re.compile(r"(?i)kpw|won|원|₩|\s")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?:\D|$))")
_PLAIN = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_RANGE = re.compile(r"([^~–—〜～]+?)(?:~|–|—|〜|～|to|-)(.+)", re.IGNORECASE)
_KOREAN = re.compile(r"(?:(\d*\.?\d*)만)?(?:(\d*)천)?(?:(\d*)백)?(\d*)")

# (pattern, how to turn the first group into a four-digit year)
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\.?"
                r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"), "yyyy"),
    (re.compile(r"(\d{2})[-/.](\d{1,2})[-/.](\d{1,2})"), "yy"),
    (re.compile(r"(\d{4})\s*년\s*(\d{1,2})\s*월\s*(\d{1,2})\s*일?"), "yyyy"),
    (re.compile(r"(\d{4})(\d{2})(\d{2})"), "yyyy"),
)
_EXCEL_ORIGIN = np.datetime64("1899-12-30", "D")
_SERIAL_RANGE = (20000.0, 80000.0)  # 1954-10-02 .. 2119-01-10
_DATE_MIN, _DATE_MAX = np.datetime64("1678-01-01", "D"), np.datetime64("2261-12-31", "D")


def is_real_numeric(values: pd.Series) -> bool:
    """Integer or float dtype (not bool, complex or object)."""
    return bool(pd.api.types.is_integer_dtype(values) or pd.api.types.is_float_dtype(values))


def classify(values: np.ndarray) -> np.ndarray:
    """Problem code of each float: missing, not finite, zero, negative or OK."""
    code = np.zeros(len(values), dtype=np.int8)
    code[values < 0] = NEGATIVE
    code[values == 0] = ZERO
    code[np.isinf(values)] = NOT_FINITE
    code[np.isnan(values)] = MISSING
    return code


def factorize(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes (-1 = missing) and the distinct values as stripped strings."""
    return factorize_raw(values)[:2]


def factorize_raw(values: pd.Series) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """Like :func:`factorize`, plus the distinct values as they were (object array)."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists, dicts): compare their text
        mask = values.isna().to_numpy()
        codes, uniques = pd.factorize(values.astype(str).mask(mask), use_na_sentinel=True)
    raw = np.asarray(uniques, dtype=object)
    text = pd.Series(raw, dtype=object).map(raw_text)
    return np.asarray(codes), text.str.strip(), raw


def raw_text(value: object) -> str:
    """Return the value as the user would have typed it: ``0.0`` -> ``"0"``, missing -> ``""``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        if math.isfinite(value) and float(value).is_integer():
            return str(int(value))
    return str(value)


def parse_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse a column of rates; return ``(low, high, code)`` (low == high unless a range)."""
    if is_real_numeric(values):
        number = values.to_numpy(dtype=float, na_value=np.nan)
        return number, number, classify(number)
    codes, text = factorize(values)
    low, high, code = _parse_number_text(text)
    take = np.where(codes < 0, len(text), codes)
    low, high = np.append(low, np.nan)[take], np.append(high, np.nan)[take]
    return low, high, np.append(code, np.int8(MISSING))[take]


def _parse_number_text(text: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # vectorised first: plain numbers, then thousands separators and units removed
    cleaned = text.str.replace("−", "-", regex=False)
    number = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=float, copy=True)
    todo = np.isnan(number)
    if todo.any():
        stripped = cleaned[todo].str.replace(_UNITS, "", regex=True)
        stripped = stripped.str.replace(_THOUSANDS, "", regex=True)
        number[todo] = pd.to_numeric(stripped, errors="coerce").to_numpy(dtype=float)
    low, high = number.copy(), number.copy()
    code = classify(number)
    spellings = cleaned.to_numpy(dtype=object)
    for i in np.flatnonzero(np.isnan(number)):
        low[i], high[i], code[i] = _parse_one(str(spellings[i]))
    return low, high, code


def _parse_one(text: str) -> tuple[float, float, int]:
    """Slow path for one distinct spelling: missing words, ranges, Korean numerals."""
    bare = _THOUSANDS.sub("", _UNITS.sub("", text))
    if bare.casefold() in _MISSING_TEXT:
        return math.nan, math.nan, MISSING
    single = _number(bare)
    if single is not None:
        return single, single, int(classify(np.array([single]))[0])
    match = _RANGE.fullmatch(bare)
    if match is None:
        return math.nan, math.nan, NOT_NUMBER
    low, high = _number(match[1]), _number(match[2])
    if low is None or high is None:
        return math.nan, math.nan, NOT_NUMBER
    codes = classify(np.array([low, high]))
    code = int(codes.max())  # any problem wins over OK (= 0)
    if code == OK and low > high:
        code = REVERSED
    return low, high, code


def _number(text: str) -> float | None:
    if _PLAIN.fullmatch(text):
        return float(text)
    match = _KOREAN.fullmatch(text)
    if match is None or not any(match.group(i) is not None for i in (1, 2, 3)):
        return None
    total = 0.0
    for group, scale in zip(match.groups(), (10_000, 1_000, 100, 1), strict=True):
        if group is None:
            continue
        if group in ("", "."):
            if scale == 1:
                continue
            group = "1"
        try:
            total += float(group) * scale
        except ValueError:
            return None
    return total


def parse_dates(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse a column of dates to ``datetime64[ns]`` at day precision; return ``(dates, code)``."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(values):
        days = values.to_numpy().astype("datetime64[D]")
        return _finish_dates(days, np.where(np.isnat(days), MISSING, OK).astype(np.int8))
    if is_real_numeric(values):
        number = values.to_numpy(dtype=float, na_value=np.nan)
        days = _numeric_days(number)
        code = np.where(np.isnan(number), MISSING, np.where(np.isnat(days), NOT_DATE, OK))
        return _finish_dates(days, code.astype(np.int8))
    codes, text = factorize(values)
    distinct = _text_days(text)
    distinct_code = np.where(np.isnat(distinct), NOT_DATE, OK).astype(np.int8)
    distinct_code[text.str.casefold().isin(_MISSING_TEXT).to_numpy()] = MISSING
    take = np.where(codes < 0, len(text), codes)
    days = np.append(distinct, np.datetime64("NaT", "D"))[take]
    return _finish_dates(days, np.append(distinct_code, np.int8(MISSING))[take])


def _finish_dates(days: np.ndarray, code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out_of_range = ~np.isnat(days) & ((days < _DATE_MIN) | (days > _DATE_MAX))
    code[out_of_range & (code == OK)] = NOT_DATE
    days = np.where(code == OK, days, np.datetime64("NaT", "D"))
    return days.astype("datetime64[ns]"), code


def _numeric_days(number: np.ndarray) -> np.ndarray:
    """Excel serial days (origin 1899-12-30) or ``YYYYMMDD`` integers; anything else NaT."""
    days = np.full(len(number), np.datetime64("NaT"), dtype="datetime64[D]")
    with np.errstate(invalid="ignore"):
        serial = (number >= _SERIAL_RANGE[0]) & (number <= _SERIAL_RANGE[1])
        days[serial] = _EXCEL_ORIGIN + np.floor(number[serial]).astype(np.int64)
        ymd = (number >= 1678_01_01) & (number <= 2261_12_31) & (number == np.floor(number))
    if ymd.any():
        whole = number[ymd].astype(np.int64)
        parsed = pd.to_datetime(
            pd.DataFrame({"year": whole // 10000, "month": whole // 100 % 100, "day": whole % 100}),
            errors="coerce",
        )
        days[ymd] = parsed.to_numpy().astype("datetime64[D]")
    # NaN in the input stays NaT; invalid numbers are told apart from missing by the caller
    return days


def _text_days(text: pd.Series) -> np.ndarray:
    """Parse distinct date strings; the common ISO case is one vectorised call."""
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    days = iso.to_numpy().astype("datetime64[D]", copy=True)
    for pattern, year_kind in _DATE_PATTERNS:
        todo = np.isnat(days)
        if not todo.any():
            break
        parts = text[todo].str.extract(f"^(?:{pattern.pattern})$").astype(float)
        year = parts[0]
        if year_kind == "yy":  # same pivot as strptime's %y: 69-99 -> 19xx
            year = year + np.where(year >= 69, 1900, 2000)
        parsed = pd.to_datetime(
            pd.DataFrame({"year": year, "month": parts[1], "day": parts[2]}), errors="coerce"
        )
        days[todo] = parsed.to_numpy().astype("datetime64[D]")
    todo = np.isnat(days)
    if todo.any():  # Excel serials written as text ("44927")
        number = pd.to_numeric(text[todo], errors="coerce").to_numpy(dtype=float)
        days[todo] = _numeric_days(number)
    return days


class Problems:
    """First problem of each position: a reason and the field it concerns."""

    def __init__(self, n: int) -> None:
        self.which = np.zeros(n, dtype=np.int16)
        self.labels: list[tuple[str, str]] = [("", "")]

    def add(self, mask: np.ndarray, reason: str, field_name: str) -> None:
        mask = mask & (self.which == 0)
        if mask.any():
            self.labels.append((reason, field_name))
            self.which[mask] = len(self.labels) - 1

    def add_codes(self, code: np.ndarray, field_name: str) -> None:
        for value in np.unique(code[code != OK]):
            reason = REASONS[int(value)].format(field=field_name)
            self.add(code == value, reason, field_name)

    @property
    def ok(self) -> np.ndarray:
        return np.asarray(self.which == 0)


def rate_values(fields: dict[str, pd.Series],
                 problems: Problems) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rate (midpoint of a range), low and high; bounds from ``rate_low``/``rate_high`` columns."""
    low, high, code = parse_numbers(fields["rate"])
    rate = _midpoint(low, high)
    from_range = (code == OK) & (low != high)
    out_low, out_high = np.where(from_range, low, np.nan), np.where(from_range, high, np.nan)
    bounds = {}
    for side, out in (("rate_low", out_low), ("rate_high", out_high)):
        if side in fields:
            side_low, side_high, side_code = parse_numbers(fields[side])
            value = side_low if side == "rate_low" else side_high
            given = side_code == OK
            out[given] = value[given]
            bounds[side] = given
            problems_code = np.where(side_code == MISSING, OK, side_code)
            bounds[side + "_code"] = problems_code
    if "rate_low" in fields and "rate_high" in fields:  # a range given only as two bounds
        fill = (code == MISSING) & bounds["rate_low"] & bounds["rate_high"]
        rate[fill] = _midpoint(out_low[fill], out_high[fill])
        code = np.where(fill, OK, code)
    problems.add_codes(code, "rate")
    for side in ("rate_low", "rate_high"):
        if side in fields:
            problems.add_codes(bounds[side + "_code"], side)
    with np.errstate(invalid="ignore"):
        reversed_ = out_low > out_high
    problems.add(reversed_, REASONS[REVERSED],
                 "rate_low" if "rate_low" in fields else "rate")
    return rate, out_low, out_high


def _midpoint(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Middle of a range without overflow (1e308 + 1e308 would be inf)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(low == high, low, low / 2 + high / 2)


def filled(n: int, value: str | None) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out.fill(value)  # much faster than np.full for object arrays
    return out


@dataclass(frozen=True)
class Text:
    """A text field as distinct values plus, per position, an index into them."""

    distinct: np.ndarray  # object array of canonical values (None = missing)
    take: np.ndarray | None  # None: a constant, distinct[0] everywhere
    size: int
    same_as: pd.Series | None = None  # the input column, when it is already canonical

    def _count(self, where: slice | np.ndarray) -> int:
        return len(range(*where.indices(self.size))) if isinstance(where, slice) else len(where)

    def values(self, where: slice | np.ndarray) -> np.ndarray:
        if self.take is None:
            return filled(self._count(where), self.distinct[0])
        return np.asarray(self.distinct[self.take[where]])

    def series(self, where: slice | np.ndarray) -> pd.Series:
        if self.same_as is not None:  # clean input: no copy of a million strings
            return self.same_as.iloc[where].reset_index(drop=True)
        if _STRING is object:
            return pd.Series(self.values(where), dtype=object, copy=False)
        index = (np.zeros(self._count(where), dtype=np.intp) if self.take is None
                 else self.take[where])
        return pd.Series(pd.array(self.distinct, dtype=_STRING).take(index), copy=False)

    def codes(self, where: slice | np.ndarray) -> np.ndarray:
        if self.take is None:
            return np.zeros(self._count(where), dtype=np.int64)
        canonical = pd.factorize(self.distinct, use_na_sentinel=False)[0]
        return np.asarray(canonical[self.take[where]])


def text_field(fields: dict[str, pd.Series], constants: dict[str, str], name: str, n: int,
                problems: Problems) -> Text:
    """Read a text field from its column, a constant option or the default."""
    option = "source_name" if name == "source" else name
    default = DEFAULTS.get(name)
    if option in constants or (name not in fields and not (
            name == "source" and "publisher" in fields)):
        value = constants.get(option, default)
        if name == "city" and value is not None and not is_known_city(value):
            _warn_unknown_cities([value])
        return Text(np.array([value], dtype=object), None, n)
    column = fields[name] if name in fields else fields["publisher"]
    codes, distinct, raw = factorize_raw(column)
    mapper = {"currency": _try_currency, "city": canonical_city,
              "source": canonical_source if name not in fields else str}.get(name, str)
    values = np.array([*(mapper(t) if t else default for t in distinct), default], dtype=object)
    take = np.where(codes < 0, len(distinct), codes)
    if name == "city":
        unknown = [t for t in distinct if t and not is_known_city(t)]
        if unknown:
            _warn_unknown_cities(unknown)
    if name == "currency" and pd.isna(values).any():
        missing = np.append(distinct.eq("").to_numpy(), True)
        problems.add(missing[take], "currency is missing", "currency")
        problems.add(pd.isna(values)[take], "currency is not recognised", "currency")
    canonical = (_STRING is not object and column.dtype == _STRING
                 and not (codes < 0).any() and list(raw) == list(values[:-1]))
    return Text(values, take, n, column if canonical else None)


def _try_currency(text: str) -> str | None:
    try:
        return canonical_currency(text)
    except NkfxValueError:
        return None


def _warn_unknown_cities(names: list[str]) -> None:
    shown = ", ".join(repr(x) for x in sorted(set(names))[:20])
    more = f" and {len(set(names)) - 20} more" if len(set(names)) > 20 else ""
    warnings.warn(f"{len(set(names))} city name(s) not in nkfx's gazetteer, kept as written: "
                  f"{shown}{more}", UnknownCityWarning, stacklevel=_caller_level())


def _caller_level() -> int:
    """Stack level of the first frame outside nkfx, so warnings point at the caller's line."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and str(frame.f_globals.get("__name__", "")).split(".")[0] == "nkfx":
        frame, level = frame.f_back, level + 1
    return level
