import numpy as np
import pandas as pd
import pytest

from nkfx._validate import check_option, check_positive, check_type, to_timedelta, to_timestamp
from nkfx.errors import NkfxTypeError, NkfxValueError, SchemaError
from nkfx.schema import RATE_COLUMNS, empty_rates, validate_rates


def frame(**overrides):
    data = {
        "date": pd.to_datetime(["2022-01-03", "2022-01-10", "2022-01-17"]),
        "city": ["Hyesan", "Hyesan", None],
        "currency": ["CNY", "CNY", "USD"],
        "rate": [820.0, 845.0, 6700.0],
        "source": ["Daily NK"] * 3,
    }
    data.update(overrides)
    return pd.DataFrame(data)


def test_valid_frame_is_returned_unchanged():
    f = frame()
    assert validate_rates(f) is f


def test_empty_rates_is_a_valid_rate_frame():
    e = empty_rates()
    assert tuple(e.columns) == RATE_COLUMNS
    assert validate_rates(e) is e


def test_missing_columns_are_all_listed():
    with pytest.raises(SchemaError, match="missing required column 'rate'") as info:
        validate_rates(frame().drop(columns=["rate", "source"]))
    assert info.value.problems == ("missing required column 'rate'", "missing required column 'source'")


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"rate": [820.0, 0.0, -1.0]}, r"column 'rate': rate must be finite and > 0 \(index 1, 2\)"),
        ({"rate": [820.0, np.inf, 1.0]}, r"column 'rate': rate must be finite and > 0 \(index 1\)"),
        ({"rate": ["820", "845", "6700"]}, "column 'rate' must be numeric"),
        ({"date": ["2022-01-03"] * 3}, "column 'date' must be datetime64 without time zone"),
        ({"date": pd.to_datetime(["2022-01-03", None, "2022-01-17"])}, r"missing date \(index 1\)"),
        ({"currency": ["CNY", None, "USD"]}, r"missing currency \(index 1\)"),
    ],
)
def test_invalid_values_name_column_and_rows(overrides, match):
    with pytest.raises(SchemaError, match=match):
        validate_rates(frame(**overrides))


def test_many_bad_rows_are_summarised():
    f = pd.concat([frame()] * 4, ignore_index=True)
    f["rate"] = 0.0
    with pytest.raises(SchemaError, match=r"index 0, 1, 2, 3, 4 and 7 more"):
        validate_rates(f)


def test_schema_error_lists_first_problems_only():
    err = SchemaError("bad", [f"row {i}" for i in range(25)], max_shown=3)
    assert str(err) == "bad\n  - row 0\n  - row 1\n  - row 2\n  ... and 22 more"
    assert isinstance(err, ValueError)


def test_not_a_dataframe():
    with pytest.raises(NkfxTypeError, match=r"rates must be a rate frame .* got list"):
        validate_rates([1, 2])


def test_validators():
    assert check_option("how", "mean", ("mean", "median")) == "mean"
    with pytest.raises(NkfxValueError, match="how must be one of 'mean', 'median'; got 'avg'"):
        check_option("how", "avg", ("mean", "median"))
    with pytest.raises(NkfxTypeError, match="x must be a frame; got int"):
        check_type("x", 1, pd.DataFrame, "a frame")
    assert check_positive("pen", 2.5) == 2.5
    with pytest.raises(NkfxValueError, match=r"pen must be > 0; got 0"):
        check_positive("pen", 0)
    with pytest.raises(NkfxValueError, match=r"pen must be > 0; got nan"):
        check_positive("pen", float("nan"))
    with pytest.raises(NkfxTypeError, match="pen must be a number; got bool"):
        check_positive("pen", True)
    assert check_positive("lag", 0, strict=False) == 0
    assert to_timestamp("at", "2022-01-16") == pd.Timestamp("2022-01-16")
    with pytest.raises(NkfxValueError, match="at must be a date; got 'soon'"):
        to_timestamp("at", "soon")
    assert to_timedelta("max_gap", "35D") == pd.Timedelta(days=35)
    with pytest.raises(NkfxValueError, match=r"max_gap must be a duration > 0; got '-3D'"):
        to_timedelta("max_gap", "-3D")
    with pytest.raises(NkfxValueError, match="max_gap must be a duration such as '30D'"):
        to_timedelta("max_gap", "a month")


def test_select_matches_canonical_names_sorts_and_copies():
    from nkfx.schema import select

    f = frame(date=pd.to_datetime(["2022-01-17", "2022-01-03", "2022-01-10"]),
              city=["Hyesan", "Hyesan", "Sinuiju"], currency=["CNY", "CNY", "CNY"])
    before = f.copy(deep=True)
    out = select(f, city="혜산", currency="yuan")  # Hangul and a spelled-out currency
    assert out["date"].dt.strftime("%Y-%m-%d").tolist() == ["2022-01-03", "2022-01-17"]
    assert out["rate"].tolist() == [845.0, 820.0]
    out.loc[out.index[0], "rate"] = 1.0
    pd.testing.assert_frame_equal(f, before)  # a copy: the caller's frame is untouched


def test_select_names_what_the_frame_has_when_nothing_matches():
    from nkfx.schema import select

    expected = r"no rows with city='Chongjin'; the frame has city in \['Hyesan'\]"
    with pytest.raises(NkfxValueError, match=expected):
        select(frame(), city="Chongjin")
    with pytest.raises(NkfxValueError, match=r"no rows with source='NK Times'; .* \['Daily NK'\]"):
        select(frame(), source="NK Times")


def test_select_is_indexed_by_date() -> None:
    from nkfx.datasets import load_observations
    from nkfx.schema import select

    rates = load_observations()
    hyesan = select(rates, city="Hyesan", currency="CNY")
    assert isinstance(hyesan.index, pd.DatetimeIndex)
    assert (hyesan.index == pd.DatetimeIndex(hyesan["date"])).all()
    assert hyesan.index.name is None  # "date" stays one unambiguous column
    june_on = hyesan.loc["2022-06":]
    assert len(june_on) == int((hyesan["date"] >= "2022-06-01").sum()) > 0
    assert hyesan.groupby("date").size().sum() == len(hyesan)
