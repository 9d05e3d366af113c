"""What files written from user data may carry: no spreadsheet formulas (issue 18)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from fuzzing import HOSTILE_NAMES, QUICK
from hypothesis import given
from hypothesis import strategies as st

from nkfx.ingest._text import FORMULA_START, spreadsheet_safe

CELLS = st.one_of(st.sampled_from([*HOSTILE_NAMES[:-1], "=1+1", "+cmd", "-2", "@x", "\rA", "Hyesan"]),
                  st.text(max_size=5), st.none(), st.floats(allow_nan=True), st.integers(-5, 5))


@QUICK
@given(cells=st.lists(CELLS, min_size=0, max_size=8), numbers=st.lists(
    st.floats(-1e6, 1e6), min_size=8, max_size=8))
def test_no_text_cell_starts_a_formula(cells: list[object], numbers: list[float]) -> None:
    frame = pd.DataFrame({"text": pd.Series(cells, dtype=object),
                          "rate": pd.Series(numbers[: len(cells)], dtype=float)})
    before = frame.copy(deep=True)
    out = spreadsheet_safe(frame)
    pd.testing.assert_frame_equal(frame, before)  # not modified
    pd.testing.assert_series_equal(out["rate"], frame["rate"])  # numbers stay numbers
    for value, original in zip(out["text"], frame["text"], strict=True):
        if isinstance(original, str):
            assert not value.startswith(FORMULA_START)
            assert value.lstrip("'") == original.lstrip("'") or value == "'" + original
        else:
            assert value is original or (value != value and original != original)
    text = out.to_csv(index=False)  # and so the CSV holds no formula at a cell's start
    read = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert not read["text"].str.startswith(("=", "+", "@")).any()


@pytest.mark.parametrize(("cell", "safe"), [("=SUM(A1)", "'=SUM(A1)"), ("-2", "'-2"), ("@x", "'@x"),
                                            ("+1", "'+1"), ("\t=1", "'\t=1"), ("Hyesan", "Hyesan")])
def test_formula_cells_get_a_quote(cell: str, safe: str) -> None:
    out = spreadsheet_safe(pd.DataFrame({"city": [cell], "rate": [-5.0], "n": [np.int64(-1)]}))
    assert out["city"].tolist() == [safe]
    assert out["rate"].tolist() == [-5.0]
    assert out["n"].tolist() == [-1]


def test_column_names_too() -> None:
    assert spreadsheet_safe(pd.DataFrame({"=x": ["a"]})).columns.tolist() == ["'=x"]
