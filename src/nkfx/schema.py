"""The canonical *rate frame*: one row per observed exchange rate or price.

Every stage of nkfx after ingestion takes and returns this frame. A price is won per one
unit of a thing, as a rate is won per one unit of a currency, so prices (from
:func:`nkfx.ingest.read_prices`) are rows whose ``currency`` holds the good's code
(``RICE``, ``CORN``: won per kg) and whose ``rate`` is the price. Its columns:

==================  ===============  ===================================================
column              dtype            meaning
==================  ===============  ===================================================
``date``            datetime64       day of the observation (no time zone)
``city``            string, nullable canonical English city name; missing = national or a
                                     region without a city (see ``region``)
``currency``        string           currency or good: ISO code of the foreign currency
                                     (``CNY``, ``USD``) or a good's code (``RICE``, ``CORN``)
``rate``            float64          **new** won per one unit of the currency or good
                                     (per kg for goods), > 0
``source``          string           who reported it (``"Daily NK"``); a dimension, not noise
``rate_low``        float64          low end of a reported range, else NaN
``rate_high``       float64          high end of a reported range, else NaN
``date_precision``  string           ``day``, ``approx-week``, ``month``, ...
``rate_type``       string           ``market`` (default), ``bank``, ``official``, ...
``won_adjustment``  string           ``none``, ``divided_by_100`` (old won converted) or
                                     ``kept_as_reported`` (see ``read_rates(old_won=...)``)
``duplicate``       bool             another row has the same date, city, currency and source
``row``             int64            0-based position of the row in the input table
==================  ===============  ===================================================

Optional columns (``region``, ``url``, ``note``) and any extra user columns are kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from nkfx.errors import NkfxTypeError, NkfxValueError, SchemaError
from nkfx.names import canonical_city, canonical_currency

__all__ = [
    "OPTIONAL_COLUMNS",
    "RATE_COLUMNS",
    "REDENOMINATION_DATE",
    "REQUIRED_COLUMNS",
    "empty_rates",
    "select",
    "validate_rates",
]

#: The day the 2009 redenomination took effect: 100 old won became 1 new won.
REDENOMINATION_DATE = pd.Timestamp("2009-11-30")

REQUIRED_COLUMNS: tuple[str, ...] = ("date", "city", "currency", "rate", "source")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "rate_low",
    "rate_high",
    "date_precision",
    "rate_type",
    "won_adjustment",
    "duplicate",
    "row",
    "region",
    "url",
    "note",
)
#: Column order of a rate frame produced by nkfx.
RATE_COLUMNS: tuple[str, ...] = (
    "date",
    "city",
    "currency",
    "rate",
    "source",
    "rate_low",
    "rate_high",
    "date_precision",
    "rate_type",
    "won_adjustment",
    "duplicate",
    "row",
)

_FLOAT_COLUMNS = ("rate", "rate_low", "rate_high")
_STRING_COLUMNS = ("city", "currency", "source", "date_precision", "rate_type", "won_adjustment")


def empty_rates() -> pd.DataFrame:
    """Return an empty rate frame with the canonical columns and dtypes.

    Returns
    -------
    pandas.DataFrame
        Zero rows; columns :data:`RATE_COLUMNS`.

    Examples
    --------
    >>> from nkfx.schema import empty_rates
    >>> list(empty_rates().columns[:5])
    ['date', 'city', 'currency', 'rate', 'source']
    """
    return pd.DataFrame(
        {
            "date": pd.Series([], dtype="datetime64[ns]"),
            **{c: pd.Series([], dtype=object) for c in ("city", "currency")},
            "rate": pd.Series([], dtype="float64"),
            "source": pd.Series([], dtype=object),
            "rate_low": pd.Series([], dtype="float64"),
            "rate_high": pd.Series([], dtype="float64"),
            **{c: pd.Series([], dtype=object) for c in _STRING_COLUMNS[3:]},
            "duplicate": pd.Series([], dtype=bool),
            "row": pd.Series([], dtype="int64"),
        },
        columns=list(RATE_COLUMNS),
    )


def validate_rates(rates: pd.DataFrame, *, name: str = "rates") -> pd.DataFrame:
    """Check that ``rates`` is a rate frame and return it unchanged.

    Parameters
    ----------
    rates : pandas.DataFrame
        Candidate rate frame.
    name : str, default "rates"
        Name of the argument, used in error messages.

    Returns
    -------
    pandas.DataFrame
        The same object, not a copy.

    Raises
    ------
    NkfxTypeError
        If ``rates`` is not a DataFrame.
    SchemaError
        If a required column is missing or holds invalid values; the message names
        the column and the first offending rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx.schema import validate_rates
    >>> frame = pd.DataFrame({"date": pd.to_datetime(["2022-01-03"]), "city": ["Hyesan"],
    ...                       "currency": ["CNY"], "rate": [820.0], "source": ["Daily NK"]})
    >>> validate_rates(frame) is frame
    True
    >>> validate_rates(frame.drop(columns="rate"))
    Traceback (most recent call last):
    ...
    nkfx.errors.SchemaError: rates is not a rate frame
      - missing required column 'rate'
    """
    if not isinstance(rates, pd.DataFrame):
        raise NkfxTypeError(
            f"{name} must be a rate frame (a pandas DataFrame from nkfx.read_rates()); "
            f"got {type(rates).__name__}"
        )
    problems = [f"missing required column {c!r}" for c in REQUIRED_COLUMNS if c not in rates]
    if problems:
        raise SchemaError(f"{name} is not a rate frame", problems)
    if not pd.api.types.is_datetime64_any_dtype(rates["date"]) or isinstance(
        rates["date"].dtype, pd.DatetimeTZDtype
    ):
        problems.append(f"column 'date' must be datetime64 without time zone; got {rates['date'].dtype}")
    else:
        problems.extend(_bad_rows(rates, rates["date"].isna(), "date", "missing date"))
    for col in _FLOAT_COLUMNS:
        if col in rates and not pd.api.types.is_numeric_dtype(rates[col]):
            problems.append(f"column {col!r} must be numeric; got {rates[col].dtype}")
    if pd.api.types.is_numeric_dtype(rates["rate"]):
        values = rates["rate"].to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(values) | (values <= 0)
        problems.extend(_bad_rows(rates, bad, "rate", "rate must be finite and > 0"))
    problems.extend(_bad_rows(rates, rates["currency"].isna(), "currency", "missing currency"))
    if problems:
        raise SchemaError(f"{name} is not a valid rate frame", problems)
    return rates


def _bad_rows(frame: pd.DataFrame, mask: Sequence[bool] | np.ndarray | pd.Series, column: str,
              reason: str) -> list[str]:
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return []
    labels = frame.index[mask]
    shown = ", ".join(str(x) for x in labels[:5])
    more = f" and {mask.sum() - 5} more" if mask.sum() > 5 else ""
    return [f"column {column!r}: {reason} (index {shown}{more})"]


def select(
    rates: pd.DataFrame,
    *,
    city: str | None = None,
    currency: str | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """Return the rows of ``rates`` for one city, currency and/or source, sorted by date.

    Parameters
    ----------
    rates : pandas.DataFrame
        A rate frame.
    city, currency, source : str, optional
        Keep only rows equal to these values (``None`` keeps all). Cities are matched
        after canonicalisation, so ``"Hyesan"`` and ``"혜산"`` select the same rows.

    Returns
    -------
    pandas.DataFrame
        A new frame (a copy), sorted by date and indexed by it, so that
        ``select(...).loc["2022-06":]`` keeps the reports from June 2022 on; the
        ``date`` column stays.

    Raises
    ------
    NkfxValueError
        If no row matches; the message lists what the frame contains.

    Examples
    --------
    >>> from nkfx.datasets import load_observations
    >>> hyesan = select(load_observations(), city="Hyesan", currency="CNY")
    >>> hyesan["city"].unique().tolist()
    ['Hyesan']
    >>> hyesan.loc["2022-12"][["rate", "source"]]
                  rate    source
    2022-12-12  1120.0  Daily NK
    """
    validate_rates(rates)
    mask = pd.Series(True, index=rates.index)
    for column, wanted, canon in (
        ("city", city, canonical_city),
        ("currency", currency, canonical_currency),
        ("source", source, None),
    ):
        if wanted is None:
            continue
        target = canon(wanted) if canon is not None else wanted
        mask &= rates[column] == target
        if not mask.any():
            present = sorted(str(x) for x in rates[column].dropna().unique())
            raise NkfxValueError(
                f"no rows with {column}={wanted!r}; the frame has {column} in {present}"
            )
    out = rates.loc[mask].sort_values("date", kind="stable")
    # Dates in, dates out: the index is the date (unnamed, so "date" stays one column),
    # and out.loc["2022-06":] selects by date.
    return out.set_axis(pd.DatetimeIndex(out["date"].to_numpy(), name=None), axis=0)
