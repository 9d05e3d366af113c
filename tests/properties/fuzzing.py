"""Generators and the one checker shared by the property tests of issue 18.

A hostile user's data: cities and sources named ``../x``, ``/etc``, with NUL, bytes
(``b"\\xff\\xfe"``), formulas (``=cmd``) or 300 characters; dates naive or aware in
any zone, repeated, far apart; rates from 1e-300 to 1e300 with NaN, inf, zero and
negatives; series empty or of one report. :func:`exercise` calls a public function
twice and checks what every entry point promises: only :class:`nkfx.errors.NkfxError`
escapes, the inputs are left as they were, the result is the same both times (the
seed fixes it) and holds no inf, nor NaN unless the result says why.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st

from nkfx import read_prices, read_rates
from nkfx.errors import NkfxError

#: Default (``make test``) and long (``make test-slow``) numbers of inputs per entry point.
QUICK = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                 suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=10_000, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))

HOSTILE_NAMES: list[Any] = [
    "../../escape", "/etc/passwd", "a\x00b", "=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)",
    "x" * 300, b"\xff\xfe", b"Hyesan", "C:\\Windows", "..", ".", "", " ", "혜산", "\t=1",
]
CITIES: list[Any] = ["Hyesan", "Pyongyang", "Sinuiju", *HOSTILE_NAMES]
SOURCES: list[Any] = ["Daily NK", "Asia Press", "=HYPERLINK(\"http://x\")", "../s", b"\xff\xfe",
                      "/abs", "s\x00"]
ZONES = [None, None, None, "UTC", "Asia/Seoul", "America/New_York"]
GAPS = [0, 1, 3, 7, 7, 14, 30, 61, 400]
ODD_RATES = [np.nan, np.inf, -np.inf, 0.0, -1.0, 1e-300, 1e300, 5e-324]


@st.composite
def dates(draw: st.DrawFn, n: int) -> pd.DatetimeIndex:
    """``n`` dates from 2009 on, in steps of the usual report gaps, maybe aware and unsorted."""
    start = draw(st.datetimes(min_value=dt.datetime(2009, 1, 1), max_value=dt.datetime(2024, 1, 1)))
    steps = draw(st.lists(st.sampled_from(GAPS), min_size=n, max_size=n))
    days = pd.Timestamp(start.date()) + pd.to_timedelta(np.cumsum(steps), unit="D")
    index = pd.DatetimeIndex(days)
    zone = draw(st.sampled_from(ZONES))
    if zone is not None:
        index = index.tz_localize(zone)
    if n > 1 and draw(st.integers(0, 9)) == 0:
        index = index[draw(st.permutations(range(n)))]
    if n and draw(st.integers(0, 9)) == 0:  # an undated report
        index = index.where(np.arange(n) != draw(st.integers(0, n - 1)), pd.NaT)
    return index


@st.composite
def rate_values(draw: st.DrawFn, n: int) -> np.ndarray:
    """Rates near 8,000 KPW with a step and noise, and now and then an odd value."""
    level = draw(st.sampled_from([1.0, 8.0, 850.0, 8000.0, 1e6]))
    step = draw(st.sampled_from([1.0, 1.0, 1.3, 0.5, 3.0]))
    where = draw(st.integers(0, max(n, 1)))
    seed = draw(st.integers(0, 2**16))
    noise = np.random.default_rng(seed).normal(0, draw(st.sampled_from([0.0, 0.01, 0.2])), n)
    values = level * np.where(np.arange(n) >= where, step, 1.0) * np.exp(noise)
    odd = n and draw(st.integers(0, 3)) == 0  # one series in four has odd values: most get analysed
    for i in draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=3)) if odd else []:
        values[i] = draw(st.sampled_from(ODD_RATES))
    return values


@st.composite
def series(draw: st.DrawFn, max_size: int = 80) -> pd.Series:
    """A rate series indexed by date: empty to ``max_size`` reports, maybe aware, NaN, inf."""
    n = draw(st.integers(0, max_size))
    return pd.Series(draw(rate_values(n)), index=draw(dates(n)), name="rate")


@st.composite
def raw_frames(draw: st.DrawFn, max_size: int = 60) -> pd.DataFrame:
    """A long table as a user would hand it to ``read_rates``: several cities, sources, currencies."""
    n = draw(st.integers(0, max_size))
    index = draw(dates(n))
    k = draw(st.integers(1, 3))
    data: dict[str, Any] = {
        "date": pd.Series(index),
        "city": pd.Series(draw(st.lists(st.sampled_from(CITIES[:3] * 4 + CITIES), min_size=k,
                                        max_size=k, unique_by=repr)) * n, dtype=object)[:n],
        "currency": pd.Series(draw(st.lists(st.sampled_from(["CNY", "USD"]), min_size=n, max_size=n)),
                              dtype=object),
        "source": pd.Series(draw(st.lists(st.sampled_from(SOURCES[:2] * 3 + SOURCES), min_size=n,
                                          max_size=n)), dtype=object),
        "rate": draw(rate_values(n)),
    }
    if draw(st.booleans()):
        spread = draw(st.sampled_from([0.95, 1.0, 1.5]))
        data["kpw_low"] = data["rate"] * spread - 1 * (n > 0)
        data["kpw_high"] = data["rate"] / spread
    return pd.DataFrame({k: pd.Series(v).reset_index(drop=True) for k, v in data.items()})


def rates_from(raw: pd.DataFrame) -> pd.DataFrame:
    """The accepted rows of ``raw`` (an empty rate frame if it is refused)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return read_rates(raw).rates
        except NkfxError:
            return read_rates(pd.DataFrame({"date": [], "rate": []}), currency="CNY").rates


def prices_from(raw: pd.DataFrame) -> pd.DataFrame:
    """The accepted rows of ``raw`` read as rice prices (the rates scaled to a price)."""
    raw = raw.drop(columns=["currency"]).assign(rate=raw["rate"] / 4.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return read_prices(raw, good="rice").rates
        except NkfxError:
            return read_prices(pd.DataFrame({"date": [], "rate": []}), good="rice").rates


EVENT_IDS = ["freight_train_resumes_2022", "hyesan_customs_rumour_2022", "nope_not_an_event"]


@st.composite
def event_tables(draw: st.DrawFn) -> pd.DataFrame:
    """Small event tables: dates naive or aware, end before start, missing, far from the data."""
    n = draw(st.integers(0, 3))
    start = draw(st.lists(st.datetimes(min_value=dt.datetime(2005, 1, 1),
                                       max_value=dt.datetime(2026, 1, 1)) | st.none(),
                          min_size=n, max_size=n))
    length = draw(st.lists(st.sampled_from([0, 0, 3, -5, 40]), min_size=n, max_size=n))
    zone = draw(st.sampled_from(ZONES))
    starts = pd.Series(pd.to_datetime(start))
    ends = starts + pd.to_timedelta(length, unit="D")
    if zone is not None:
        starts, ends = starts.dt.tz_localize(zone), ends.dt.tz_localize(zone)
    return pd.DataFrame({
        "id": draw(st.lists(st.sampled_from(["a", "b", "c", "a", "=x", b"\xff"]), min_size=n,
                            max_size=n)),
        "start": starts, "end": ends,
        "date_precision": draw(st.lists(st.sampled_from(["day", "approx", "month", "year", "", None]),
                                        min_size=n, max_size=n)),
        "status": "reported", "scope": "national", "description": "d", "source": "s",
    })


# --- the checker ---------------------------------------------------------------------------


def _comparable(value: Any) -> Any:
    """What two calls must agree on: frames, series, arrays, or a result's ``to_frame``/``to_dict``."""
    if isinstance(value, pd.DataFrame | pd.Series | np.ndarray | float | int | str | type(None)):
        return value
    out: dict[str, Any] = {}
    if hasattr(value, "to_frame"):
        out["frame"] = value.to_frame()
    if hasattr(value, "to_dict"):
        out["dict"] = json.dumps(value.to_dict(), sort_keys=True, default=repr)
    return out


def _same(a: Any, b: Any) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float)
        assert math.isnan(b)
    else:
        assert a == b


def _frames(value: Any) -> list[pd.DataFrame]:
    if isinstance(value, pd.DataFrame):
        return [value]
    if isinstance(value, pd.Series):
        return [value.to_frame()]
    if hasattr(value, "to_frame"):
        return [value.to_frame()]
    return []


#: Columns that explain the row they are in: NaN elsewhere in such a row is explained.
#: Optional numbers of the rate schema: NaN there means "not reported".
OPTIONAL = ("rate_low", "rate_high")
NOTE_COLUMNS = ("note", "notes", "reason", "problem", "flag", "flags", "status", "error")


def check_nonfinite(name: str, value: Any, allowed_nan: tuple[str, ...] = (),
                    allowed_inf: tuple[str, ...] = ()) -> None:
    """No inf (but in ``allowed_inf``); NaN only in ``allowed_nan``, rows with a note or noted results."""
    if isinstance(value, float):
        assert not math.isinf(value), f"{name} returned {value}"
        return
    notes = getattr(value, "notes", None)
    for frame in _frames(value):
        numbers = frame.select_dtypes(include="number")
        array = numbers.to_numpy(dtype=float, na_value=np.nan, copy=True)
        array[:, numbers.columns.isin(allowed_inf)] = 0.0
        assert not np.isinf(array).any(), f"{name}: inf in {numbers.columns[np.isinf(array).any(0)]}"
        if notes:
            continue
        explained = np.zeros(len(frame), dtype=bool)
        for col in NOTE_COLUMNS:
            if col in frame.columns:
                explained |= frame[col].astype(str).str.strip().ne("").to_numpy() & frame[col].notna(
                ).to_numpy()
        nan = np.isnan(array) & ~explained[:, None]
        nan &= ~numbers.columns.isin((*allowed_nan, *OPTIONAL))[None, :]
        assert not nan.any(), (f"{name}: NaN without a note in "
                               f"{list(numbers.columns[nan.any(0)])}")


def exercise(name: str, fn: Callable[..., Any], *args: Any, allowed_nan: tuple[str, ...] = (),
             allowed_inf: tuple[str, ...] = (), **kwargs: Any) -> Any:
    """Call ``fn`` twice; return its result, or None after an NkfxError (anything else fails).

    Checks that the arguments are unchanged, both calls agree and :func:`check_nonfinite`.
    """
    before = copy.deepcopy((args, kwargs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            first = fn(*args, **kwargs)
        except NkfxError:
            event(f"{name}: NkfxError")
            _unchanged(before, (args, kwargs))
            return None
        second = fn(*args, **kwargs)
    event(f"{name}: accepted")
    _unchanged(before, (args, kwargs))
    _same(_comparable(first), _comparable(second))
    check_nonfinite(name, first, allowed_nan, allowed_inf)
    return first


def _unchanged(before: Any, after: Any) -> None:
    """The caller's arguments compare equal to their deep copies (no mutation)."""
    if isinstance(before, tuple | list):
        assert len(before) == len(after)
        for a, b in zip(before, after, strict=True):
            _unchanged(a, b)
    elif isinstance(before, dict):
        assert before.keys() == after.keys()
        for key in before:
            _unchanged(before[key], after[key])
    elif isinstance(before, pd.DataFrame | pd.Series | pd.Index):
        _same(before if not isinstance(before, pd.Index) else before.to_series(),
              after if not isinstance(after, pd.Index) else after.to_series())
        if isinstance(before, pd.Series | pd.DataFrame):
            pd.testing.assert_index_equal(before.index, after.index)
    elif isinstance(before, np.ndarray):
        np.testing.assert_array_equal(before, after)
