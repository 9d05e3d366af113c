"""Malformed frames thrown at read_rates(): only nkfx's own errors escape, no row is lost."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nkfx import read_rates
from nkfx.errors import NkfxTypeError, NkfxValueError, SchemaError
from nkfx.schema import validate_rates

HEADERS = ["date", "time", "날짜", "rate", "value", "환율", "city", "지역", "currency", "통화",
           "source", "publisher", "kpw_low", "kpw_high", "date_precision", "Hyesan", "평양",
           "신의주", "note", "extra", 0, 1.5]

TEXT = st.sampled_from([
    "2022-10-05", "22-10-05", "2009-11-01", "2022/1/5", "2022년 10월 5일", "44927", "1,270",
    "800-900", "900-800", "800~900", "1만2천", "KPW 1,000", "0", "-5", "", " ", "n/a", "nan",
    "inf", "about a thousand", "yuan", "USD", "달러", "peanuts", "KPW", "Hyesan", "혜산",
    "Atlantis", "Daily NK (Korean)", "9999-12-31", "1e308", "1e400", "--", "₩", "만",
]) | st.text(max_size=6)

CELL = st.one_of(
    st.none(),
    st.just(np.nan),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    TEXT,
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.lists(st.integers(), max_size=2),
)


@st.composite
def column(draw: st.DrawFn, n: int) -> pd.Series:
    kind = draw(st.sampled_from(["float", "int", "text", "dates", "mixed", "category"]))
    if kind == "float":
        values: list[Any] = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True),
                                          min_size=n, max_size=n))
        return pd.Series(values, dtype="float64")
    if kind == "int":
        return pd.Series(draw(st.lists(st.integers(-(10**12), 10**12), min_size=n, max_size=n)),
                         dtype="int64")
    if kind == "text":
        return pd.Series(draw(st.lists(TEXT | st.none(), min_size=n, max_size=n)), dtype=object)
    if kind == "dates":
        values = draw(st.lists(st.datetimes(min_value=dt.datetime(1900, 1, 1),
                                            max_value=dt.datetime(2100, 1, 1)) | st.none(),
                               min_size=n, max_size=n))
        return pd.Series(pd.to_datetime(values))
    if kind == "category":
        return pd.Series(draw(st.lists(TEXT, min_size=n, max_size=n)), dtype="category")
    return pd.Series(draw(st.lists(CELL, min_size=n, max_size=n)), dtype=object)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 8))
    headers = draw(st.lists(st.sampled_from(HEADERS), max_size=6, unique=True))
    index = draw(st.sampled_from([None, list(range(10, 10 + n)), [f"r{i}" for i in range(n)]]))
    data = {h: draw(column(n)).to_numpy() for h in headers}
    return pd.DataFrame(data, index=index, columns=headers)


DATE_TEXT = st.sampled_from(["2022-10-05", "22-10-05", "2009-11-01", "2022/1/5", "44927", "",
                             "2022년 10월 5일", "05/10/2022", "2022-02-30", "1899-12-30"])
RATE_TEXT = st.sampled_from(["1,270", "800-900", "900-800", "1만2천", "KPW 1,000", "0", "-5", "",
                             "n/a", "inf", "about a thousand", "8000", "0.5"])


@st.composite
def rate_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Plausible frames (a date column, rates long or wide) with malformed cells."""
    n = draw(st.integers(0, 10))
    mixed = st.lists(DATE_TEXT | CELL, min_size=n, max_size=n)
    date_values = draw(st.lists(DATE_TEXT, min_size=n, max_size=n) | mixed | st.lists(
        st.datetimes(min_value=dt.datetime(2005, 1, 1), max_value=dt.datetime(2030, 1, 1)),
        min_size=n, max_size=n))
    data: dict[Any, Any] = {draw(st.sampled_from(["date", "날짜", "time"])):
                            pd.Series(date_values, dtype=object)}
    wide = draw(st.booleans())
    value_headers = (draw(st.lists(st.sampled_from(["Hyesan", "평양", "신의주", "Chongjin"]),
                                   min_size=1, max_size=3, unique=True))
                     if wide else [draw(st.sampled_from(["rate", "value", "환율"]))])
    for header in value_headers:
        values = draw(st.lists(RATE_TEXT | st.floats(-10, 1e6) | CELL, min_size=n, max_size=n))
        numeric = [v for v in values if isinstance(v, float)]
        data[header] = (pd.Series(numeric, dtype=float) if len(numeric) == n
                        else pd.Series(values, dtype=object))
    optional = draw(st.lists(st.sampled_from(["currency", "city", "source", "publisher",
                                              "kpw_low", "kpw_high", "extra"]), unique=True))
    for header in optional:
        if header == "city" and wide:
            continue
        data[header] = pd.Series(draw(st.lists(TEXT | CELL, min_size=n, max_size=n)),
                                 dtype=object)
    options: dict[str, Any] = {"old_won": draw(st.sampled_from(["divide", "keep", "reject"]))}
    if "currency" not in data:
        options["currency"] = draw(st.sampled_from(["CNY", "달러"]))
    options["errors"] = draw(st.sampled_from(["quarantine", "quarantine", "raise"]))
    return pd.DataFrame(data), options


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=rate_frames())
def test_plausible_frames_keep_the_row_invariant(case: tuple[pd.DataFrame, dict[str, Any]]
                                                 ) -> None:
    check_every_row_accounted_for(*case)


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=rate_frames())
def test_plausible_frames_keep_the_row_invariant_many(case: tuple[pd.DataFrame, dict[str, Any]]
                                                      ) -> None:
    check_every_row_accounted_for(*case)


OPTIONS = st.fixed_dictionaries({}, optional={
    "currency": st.sampled_from(["CNY", "usd", "yuan"]),
    "city": st.sampled_from(["Hyesan", "Gotham"]),
    "source_name": st.just("Daily NK"),
    "old_won": st.sampled_from(["divide", "keep", "reject"]),
    "layout": st.sampled_from(["auto", "long", "wide"]),
    "errors": st.sampled_from(["quarantine", "raise"]),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=frames(), options=OPTIONS)
def test_random_frames_raise_only_nkfx_errors(data: pd.DataFrame,
                                              options: dict[str, Any]) -> None:
    check_every_row_accounted_for(data, options)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=frames(), options=OPTIONS)
def test_random_frames_raise_only_nkfx_errors_many(data: pd.DataFrame,
                                                   options: dict[str, Any]) -> None:
    check_every_row_accounted_for(data, options)


def check_every_row_accounted_for(data: pd.DataFrame, options: dict[str, Any]) -> None:
    before = data.copy(deep=True)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        try:
            result = read_rates(data, **options)
        except SchemaError as exc:
            problems = exc.problems
            result = None
            assert options.get("errors") == "raise"
            assert problems
        except (NkfxValueError, NkfxTypeError):
            result = None
    pd.testing.assert_frame_equal(data, before)  # the caller's frame is never modified
    if result is None:
        return
    assert len(result.rates) + len(result.quarantine) == result.rows_read
    validate_rates(result.rates)
    assert list(result.quarantine.columns[:4]) == ["row", "column", "value", "reason"]
    rows = pd.concat([result.rates["row"], result.quarantine["row"]])
    assert rows.between(0, max(len(data) - 1, 0)).all()
    if result.options["layout"] == "long":
        assert result.rows_read == len(data)
        assert sorted(rows.tolist()) == list(range(len(data)))
    else:
        assert result.rows_read == len(data) * len(result.options["city_columns"])
    assert (result.rates["rate"] > 0).all()
    assert result.quarantine["reason"].map(type).eq(str).all()


@settings(max_examples=50, deadline=None)
@given(rates=st.lists(CELL, min_size=1, max_size=12))
def test_any_rate_column_with_good_dates(rates: list[Any]) -> None:
    data = pd.DataFrame({"date": ["2022-10-05"] * len(rates),
                         "rate": pd.Series(rates, dtype=object)})
    result = read_rates(data, currency="CNY")
    assert len(result.rates) + len(result.quarantine) == len(rates)
    good = result.rates["rate"]
    assert np.isfinite(good).all()
    assert (good > 0).all()


@pytest.mark.parametrize("n", [0, 1])
def test_frames_without_columns(n: int) -> None:
    with pytest.raises(NkfxValueError, match="no date column found"):
        read_rates(pd.DataFrame(index=range(n)), currency="CNY")
