"""Text columns as codes into a few distinct values (for ``read_rates``).

Factorising a million strings is the costly part of reading text, so it happens once
per column: by one or two comparisons when a column holds one or two values (a
currency, a source), else by Arrow's hash kernel. A column of one value is built as
one small Arrow array repeated, never as a million copies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Text columns: pandas' string dtype where it is the default (pandas 3: separate
#: Arrow-backed blocks, fast missing checks), else object as in schema.empty_rates().
STRING: Any = "str" if int(pd.__version__.split(".")[0]) >= 3 else object


def factorize(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes (-1 = missing) and the distinct values as stripped strings."""
    return factorize_raw(values)[:2]


def factorize_raw(values: pd.Series) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """Like :func:`factorize`, plus the distinct values as they were (object array)."""
    few = _few_codes(values)
    codes, uniques = few if few is not None else _hash_codes(values)
    raw = np.asarray(uniques, dtype=object)
    text = pd.Series(raw, dtype=object).map(raw_text)
    return np.asarray(codes), text.str.strip(), raw


def _few_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """Return codes and sorted uniques of a text column of one or two values, or None.

    For a currency or a source a comparison or two (in Arrow, on packed bits) costs
    less than hashing every string. None when the column is not Arrow-backed text,
    has missing values, or holds other values (the first rows decide which to try).
    """
    if len(values) == 0 or not isinstance(values.array, pd.arrays.ArrowExtensionArray):
        return None
    data = values.array.__arrow_array__()
    if values.dtype != STRING or data.null_count:
        return None
    head = pd.unique(values.iloc[:1024])  # in order of first appearance
    if len(head) > 2:
        return None
    import pyarrow.compute as pc

    first = pc.equal(data, head[0])
    if len(head) == 1:
        return (np.zeros(len(values), dtype=np.int8), np.asarray(head)) if pc.all(first).as_py() else None
    second = pc.equal(data, head[1])
    if not pc.all(pc.or_(first, second)).as_py():  # a third value further down
        return None
    ones, uniques = (first, head[::-1]) if head[1] < head[0] else (second, head)
    codes = np.concatenate([chunk.to_numpy(zero_copy_only=False) for chunk in ones.chunks])
    return codes.view(np.int8), np.asarray(uniques)  # sorted uniques spare a remapping


def _hash_codes(values: pd.Series) -> tuple[np.ndarray, Any]:
    if isinstance(values.array, pd.arrays.ArrowExtensionArray) and values.dtype == STRING:
        found = _arrow_codes(values.array.__arrow_array__())
        if found is not None:
            return found
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists, dicts): compare their text
        # raw_text, not astype(str): pandas' str dtype decodes bytes cells as UTF-8 and
        # raised UnicodeDecodeError on b"\xff\xfe" (issue 18); str(b"...") never fails.
        mask = values.isna().to_numpy()
        text = np.asarray([raw_text(v) for v in values.to_numpy(dtype=object)], dtype=object)
        text[mask] = None
        text_codes, text_uniques = pd.factorize(text, use_na_sentinel=True)
        return text_codes, text_uniques
    return codes, uniques


def _arrow_codes(data: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """Return ``pd.factorize`` of an Arrow string column, or None.

    Arrow's int32 indices are kept (half the memory of pandas' intp codes); missing
    values get -1. None if the chunks were encoded with different dictionaries.
    """
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(data)
    if encoded.num_chunks == 0:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=object)
    dictionary = encoded.chunks[-1].dictionary
    if not all(chunk.dictionary.equals(dictionary) for chunk in encoded.chunks):
        return None  # chunks encoded apart: let pandas unify them
    parts = [pc.fill_null(chunk.indices, -1) if chunk.null_count else chunk.indices
             for chunk in encoded.chunks]
    codes = np.concatenate([part.to_numpy() for part in parts])
    return codes.astype(np.int32, copy=False), np.asarray(dictionary.to_pylist(), dtype=object)


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
        if STRING is object:
            return pd.Series(self.values(where), dtype=object, copy=False)
        if self.take is None:
            return constant_strings(self.distinct[0], self._count(where))
        return pd.Series(pd.array(self.distinct, dtype=STRING).take(self.take[where]),
                         copy=False)

    def sorted_codes(self, where: slice | np.ndarray) -> tuple[np.ndarray, Any]:
        """Return codes and uniques of the selected values, sorted.

        As ``pd.factorize(sort=True, use_na_sentinel=False)`` of the column
        :meth:`series` returns would give them; the uniques may include values not
        selected.
        """
        distinct = self.distinct if self.take is not None else self.distinct[:1]
        small, uniques = pd.factorize(pd.Series(distinct, dtype=STRING), sort=True,
                                      use_na_sentinel=False)
        if self.take is None:
            return np.zeros(self._count(where), dtype=np.int8), uniques
        if np.array_equal(small, np.arange(len(small))):  # already in sorted order
            return np.asarray(self.take[where]), uniques
        dtype = np.int8 if len(uniques) < 2**7 else np.int64
        return np.asarray(small, dtype=dtype)[self.take[where]], uniques


#: Rows per Arrow chunk of a constant text column; every chunk is the same array.
_CONSTANT_CHUNK = 2**16


def constant_strings(value: str | None, n: int) -> pd.Series:
    """``n`` times ``value`` as a text column, without writing the value ``n`` times.

    With Arrow storage the column is one small immutable array repeated as the chunks
    of a chunked array: a million rows cost what 65,536 do.
    """
    dtype = pd.Series([], dtype=STRING).dtype
    if isinstance(value, str) and getattr(dtype, "storage", None) == "pyarrow":
        import pyarrow as pa  # present: pandas stores this dtype with it

        size = min(n, _CONSTANT_CHUNK)
        block = pa.repeat(pa.scalar(value, pa.large_string()), size)
        chunks = [block] * (n // size if size else 0)
        if size and n % size:
            chunks.append(block.slice(0, n % size))
        repeated = pa.chunked_array(chunks, type=pa.large_string())
        return pd.Series(dtype.__from_arrow__(repeated), copy=False)
    if STRING is object:
        return pd.Series(filled(n, value), dtype=object, copy=False)
    return pd.Series(pd.array([value], dtype=STRING).take(np.zeros(n, dtype=np.intp)),
                     copy=False)


#: First characters that make Excel, LibreOffice or Google Sheets read a text cell as a
#: formula (OWASP's list for CSV injection: tab and carriage return too).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells no spreadsheet runs as a formula.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
    leading ``'`` (shown by spreadsheets as the text itself); numbers, dates and missing
    values are left alone, so ``-5.0`` stays a number. Apply it to any frame written to
    CSV or Excel from user data (issue 18). Text column names are treated the same way.

    Examples
    --------
    >>> import pandas as pd
    >>> out = spreadsheet_safe(pd.DataFrame({"city": ["=cmd|'/C calc'!A0", "Hyesan", "-"],
    ...                                      "rate": [-5.0, 8000.0, 1.0]}))
    >>> out["city"].tolist(), out["rate"].tolist()
    (["'=cmd|'/C calc'!A0", 'Hyesan', "'-"], [-5.0, 8000.0, 1.0])
    """

    def safe(value: object) -> object:
        return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value

    out = frame.copy()
    for col in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_datetime64_any_dtype(out[col])
                or isinstance(out[col].dtype, pd.DatetimeTZDtype)):
            out[col] = pd.Series([safe(v) for v in out[col].astype(object)], index=out.index,
                                 dtype=object)
    out.columns = pd.Index([safe(c) for c in out.columns])
    return out
