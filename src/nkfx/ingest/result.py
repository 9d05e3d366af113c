"""The result of :func:`nkfx.read_rates`: accepted rates, quarantine, and their summaries."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from nkfx._groups import NO_CITY

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["Ingest"]


@dataclass(frozen=True, eq=False)
class Ingest:
    """What :func:`read_rates` read: accepted rows, rejected rows and the choices made.

    Attributes
    ----------
    rates : pandas.DataFrame
        The rate frame (see :mod:`nkfx.schema`), in input order.
    quarantine : pandas.DataFrame
        One row per rejected input row (cell, for wide tables): ``row``, ``column``,
        ``value`` (raw text), ``reason``, plus ``city`` and ``currency`` where known.
    rows_read : int
        Rows (cells) read; always ``len(rates) + len(quarantine)``.
    options : dict
        What was decided: layout, column mapping, constants, ``old_won``, path.

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx import read_rates
    >>> table = pd.DataFrame({"date": ["2022-10-05", "2022-10-05", "2022-10-19"],
    ...                       "city": ["혜산", "Hyesan", "Sinuiju"], "rate": ["820", "830", "0"]})
    >>> result = read_rates(table, currency="yuan", source_name="Daily NK")
    >>> result.summary()[["city", "currency", "n", "duplicates", "quarantined"]]
          city currency  n  duplicates  quarantined
    0   Hyesan      CNY  2           2            0
    1  Sinuiju      CNY  0           0            1
    >>> result.to_dict()["reasons"]
    {'rate is zero': 1}
    """

    rates: pd.DataFrame
    quarantine: pd.DataFrame
    rows_read: int
    options: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Return the accepted rate frame (:attr:`rates`).

        Examples
        --------
        >>> import pandas as pd
        >>> from nkfx import read_rates
        >>> raw = pd.DataFrame({"date": ["2022-10-05", "2022-10-19"], "city": "Hyesan", "rate": ["820", "0"]})
        >>> result = read_rates(raw, currency="CNY", source_name="Daily NK")
        >>> result.to_frame()[["date", "city", "currency", "rate", "source"]]
                date    city currency   rate    source
        0 2022-10-05  Hyesan      CNY  820.0  Daily NK
        """
        return self.rates

    def reasons(self) -> pd.Series:
        """Return the number of quarantined rows per reason, most frequent first.

        Examples
        --------
        >>> import pandas as pd
        >>> from nkfx import read_rates
        >>> raw = pd.DataFrame({"date": ["2022-10-05", "2022-10-19"], "city": "Hyesan", "rate": ["820", "0"]})
        >>> result = read_rates(raw, currency="CNY", source_name="Daily NK")
        >>> result.reasons().to_dict()
        {'rate is zero': 1}
        """
        return self.quarantine["reason"].value_counts().rename("rows")

    def summary(self) -> pd.DataFrame:
        """Return coverage per city and currency, with quarantined rows counted where known.

        Returns
        -------
        pandas.DataFrame
            Columns ``city``, ``currency``, ``n``, ``first``, ``last``, ``sources``,
            ``duplicates``, ``quarantined``. Rows without a city show ``"(no city)"`` (as everywhere in nkfx);
            quarantined rows whose currency could not be read show ``"(unknown)"``.

        Examples
        --------
        >>> import pandas as pd
        >>> from nkfx import read_rates
        >>> raw = pd.DataFrame({"date": ["2022-10-05", "2022-10-19"], "city": "Hyesan", "rate": ["820", "0"]})
        >>> result = read_rates(raw, currency="CNY", source_name="Daily NK")
        >>> result.summary()[["city", "currency", "n", "quarantined"]]
             city currency  n  quarantined
        0  Hyesan      CNY  1            1
        """
        rates = self.rates.assign(city=self.rates["city"].fillna(NO_CITY))
        table = rates.groupby(["city", "currency"], sort=True).agg(
            n=("rate", "size"), first=("date", "min"), last=("date", "max"),
            sources=("source", lambda s: ", ".join(sorted({str(x) for x in s}))),
            duplicates=("duplicate", "sum"),
        )
        quarantine = self.quarantine.assign(
            city=self.quarantine["city"].fillna(NO_CITY),
            currency=self.quarantine["currency"].fillna("(unknown)"),
        )
        counts = quarantine.groupby(["city", "currency"]).size().rename("quarantined")
        table = table.join(counts, how="outer")
        table[["n", "duplicates", "quarantined"]] = (
            table[["n", "duplicates", "quarantined"]].fillna(0).astype("int64")
        )
        table["sources"] = table["sources"].fillna("")
        return table.reset_index()

    def to_dict(self) -> dict[str, Any]:
        """Return counts, reasons and options as JSON-safe values.

        Examples
        --------
        >>> import pandas as pd
        >>> from nkfx import read_rates
        >>> raw = pd.DataFrame({"date": ["2022-10-05", "2022-10-19"], "city": "Hyesan", "rate": ["820", "0"]})
        >>> result = read_rates(raw, currency="CNY", source_name="Daily NK")
        >>> d = result.to_dict()
        >>> {k: d[k] for k in ("rows_read", "accepted", "quarantined", "reasons")}
        {'rows_read': 2, 'accepted': 1, 'quarantined': 1, 'reasons': {'rate is zero': 1}}
        """
        return {
            "rows_read": self.rows_read,
            "accepted": len(self.rates),
            "quarantined": len(self.quarantine),
            "reasons": {str(k): int(v) for k, v in self.reasons().items()},
            "options": {k: v if isinstance(v, int | float | bool | type(None)) else str(v)
                        for k, v in self.options.items()},
        }

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Plot accepted rates over time, one line per city and currency (log scale).

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import pandas as pd
        >>> from nkfx import read_rates
        >>> raw = pd.DataFrame({"date": ["2022-10-05", "2022-10-19"], "city": "Hyesan", "rate": ["820", "0"]})
        >>> result = read_rates(raw, currency="CNY", source_name="Daily NK")
        >>> ax = result.plot()
        >>> type(ax).__name__, ax.get_yscale(), [line.get_label() for line in ax.get_lines()]
        ('Axes', 'log', ['Hyesan CNY'])
        >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
        """
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(9, 4))
        rates = self.rates.assign(city=self.rates["city"].fillna(NO_CITY))
        for (city, currency), group in rates.groupby(["city", "currency"], sort=True):
            ax.plot(group["date"], group["rate"], marker=".", label=f"{city} {currency}", **kwargs)
        ax.set_yscale("log")
        ax.set_ylabel("KPW per unit")
        if len(rates):
            ax.legend(fontsize="small")
        return ax

    def __repr__(self) -> str:
        top = ", ".join(f"{k}: {v}" for k, v in self.reasons().head(3).items())
        lines = [f"Ingest: {self.rows_read} rows read, {len(self.rates)} accepted, "
                 f"{len(self.quarantine)} quarantined" + (f" ({top})" if top else "")]
        if len(self.rates):
            dates = self.rates["date"]
            lines.append(f"  {self.rates['city'].nunique()} cities, currencies "
                         f"{sorted(self.rates['currency'].unique())}, "
                         f"{dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}")
        lines.append(f"  layout={self.options.get('layout')!r}, "
                     f"old_won={self.options.get('old_won')!r}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "<br>".join(html.escape(line) for line in repr(self).splitlines())
        return f"<p>{head}</p>{self.summary().to_html(index=False)}"
