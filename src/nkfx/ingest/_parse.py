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

import numpy as np
import pandas as pd

from nkfx.errors import NkfxValueError, UnknownCityWarning
from nkfx.ingest._text import STRING, Text, factorize, factorize_raw
from nkfx.names import canonical_city, canonical_currency, canonical_source, is_known_city

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

#: Rates (and range bounds) outside these KPW per unit are quarantined as implausible.
PLAUSIBLE = (1e-6, 1e12)
IMPLAUSIBLE = "rate is implausible (outside 1e-06 to 1e+12 KPW per unit)"

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
_PER_DAY = {"D": 1, "h": 24, "m": 1440, "s": 86_400, "ms": 86_400_000, "us": 86_400_000_000,
            "ns": 86_400_000_000_000}
_EXCEL_ORIGIN = np.datetime64("1899-12-30", "D")
_SERIAL_RANGE = (20000.0, 80000.0)  # 1954-10-02 .. 2119-01-10
_DATE_MIN, _DATE_MAX = np.datetime64("1678-01-01", "D"), np.datetime64("2261-12-31", "D")


def is_real_numeric(values: pd.Series) -> bool:
    """Integer or float dtype (not bool, complex or object)."""
    return bool(pd.api.types.is_integer_dtype(values) or pd.api.types.is_float_dtype(values))


def _floats(values: pd.Series) -> np.ndarray:
    """Return a numeric column as float64 (a view when it already is); missing -> NaN."""
    if isinstance(values.dtype, np.dtype):  # NumPy-backed: NaN already marks missing
        return np.asarray(values, dtype=float)
    return values.to_numpy(dtype=float, na_value=np.nan)  # nullable Int64/Float64


def classify(values: np.ndarray) -> np.ndarray:
    """Problem code of each float: missing, not finite, zero, negative or OK."""
    code = np.zeros(len(values), dtype=np.int8)
    with np.errstate(invalid="ignore"):
        if len(values) and values.min() > 0 and np.isfinite(values.max()):  # NaN fails
            return code
    code[values < 0] = NEGATIVE
    code[values == 0] = ZERO
    code[np.isinf(values)] = NOT_FINITE
    code[np.isnan(values)] = MISSING
    return code


def parse_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse a column of rates; return ``(low, high, code)`` (low == high unless a range)."""
    if is_real_numeric(values):
        number = _floats(values)
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
        fast = _valid_days(values.to_numpy())
        if fast is not None:
            return fast, np.zeros(len(fast), dtype=np.int8)
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


def _valid_days(values: np.ndarray) -> np.ndarray | None:
    """``datetime64[ns]`` days when every value is a date in range, else None (slow path)."""
    unit = np.datetime_data(values.dtype)[0]
    if len(values) == 0 or unit not in _PER_DAY:
        return None
    ticks, per_day = values.view(np.int64), _PER_DAY[unit]
    lo = _DATE_MIN.astype(f"datetime64[{unit}]").view(np.int64)
    hi = (_DATE_MAX + 1).astype(f"datetime64[{unit}]").view(np.int64)
    if ticks.min() < lo or ticks.max() >= hi:  # NaT is the smallest int64
        return None
    days = ticks // per_day
    days *= _PER_DAY["ns"]  # in place: one new array, not two
    return days.view("datetime64[ns]")


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
    if low is high:  # a numeric column: no ranges (and a copy, never the input's memory)
        rate, out_low, out_high = low.copy(), np.full(len(low), np.nan), np.full(len(low), np.nan)
    else:
        rate = _midpoint(low, high)
        from_range = (code == OK) & (low != high)
        out_low = np.where(from_range, low, np.nan)
        out_high = np.where(from_range, high, np.nan)
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
    if low is not high or "rate_low" in fields or "rate_high" in fields:  # else no bounds
        with np.errstate(invalid="ignore"):
            reversed_ = out_low > out_high
        problems.add(reversed_, REASONS[REVERSED],
                     "rate_low" if "rate_low" in fields else "rate")
        # A rate outside its own reported range is a slip in one of the three numbers
        # (e.g. rate 12000 with rate_high 900): which one is unknowable, so the row waits.
        with np.errstate(invalid="ignore"):
            below, above = rate < out_low, rate > out_high
        problems.add(below & ~reversed_, "rate is below rate_low", "rate")
        problems.add(above & ~reversed_ & ~below, "rate is above rate_high", "rate")
    # No market quotes a won price below a millionth or above a trillion won; such numbers
    # are slips, and their log ratios would overflow percent changes downstream.
    with np.errstate(invalid="ignore"):
        wild = np.zeros(len(rate), dtype=bool)
        for values in (rate, out_low, out_high):
            wild |= (values < PLAUSIBLE[0]) | (values > PLAUSIBLE[1])
    problems.add(wild, IMPLAUSIBLE, "rate")
    return rate, out_low, out_high


def _midpoint(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Middle of a range without overflow (1e308 + 1e308 would be inf)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(low == high, low, low / 2 + high / 2)


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
    has_missing = bool((codes < 0).any())
    take = np.where(codes < 0, len(distinct), codes) if has_missing else codes
    if name == "city":
        unknown = [t for t in distinct if t and not is_known_city(t)]
        if unknown:
            _warn_unknown_cities(unknown)
    if name == "currency" and (has_missing or pd.isna(values[:-1]).any()):
        missing = np.append(distinct.eq("").to_numpy(), True)
        problems.add(missing[take], "currency is missing", "currency")
        problems.add(pd.isna(values)[take], "currency is not recognised", "currency")
    canonical = (STRING is not object and column.dtype == STRING
                 and not has_missing and list(raw) == list(values[:-1]))
    one = len(distinct) == 1 and not has_missing  # a constant: no index per position
    return Text(values, None if one else take, n, column if canonical else None)


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
