"""The one summary type of nkfx results: text to read, LaTeX for papers, HTML for notebooks."""

from __future__ import annotations

import html as _html
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nkfx.errors import NkfxTypeError

if TYPE_CHECKING:
    from statsmodels.iolib.table import SimpleTable

__all__ = ["Summary"]

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


class Summary(str):
    r"""The summary of an nkfx result: its text, and the same as LaTeX or HTML.

    Every result's ``summary()`` returns one. It *is* the text (a ``str``: print it,
    search it, split it into lines) and, like statsmodels' ``Summary``, it has
    :meth:`as_text`, :meth:`as_latex` (for papers), :meth:`as_html` (for notebooks)
    and the ``tables`` (statsmodels ``SimpleTable``) they are made of.

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx.summary import Summary
    >>> table = pd.DataFrame({"city": ["Hyesan"], "jump_pct": [31.8]})
    >>> s = Summary.from_text("Hyesan: +31.8% on 2022-12-12", {"Jumps": table})
    >>> "31.8%" in s, s.splitlines()[0]
    (True, 'Hyesan: +31.8% on 2022-12-12')
    >>> print(s.as_latex().splitlines()[0])
    \begin{flushleft}\ttfamily
    >>> r"+31.8\%" in s.as_latex() and r"\begin{tabular}" in s.as_latex()
    True
    """

    tables: tuple[SimpleTable, ...]
    _source: Any  # the statsmodels Summary this was made from, or None
    _html: str | None

    def __new__(cls, text: str, *, tables: tuple[SimpleTable, ...] = (), source: Any = None) -> Summary:
        """Return the summary ``text``; ``source`` is a statsmodels ``Summary`` behind it."""
        if not isinstance(text, str):
            raise NkfxTypeError(f"text must be a str; got {type(text).__name__}")
        obj = super().__new__(cls, text)
        obj.tables = tuple(tables)
        obj._source = source
        obj._html = None  # from_text sets it (its tables as HTML)
        return obj

    @classmethod
    def from_statsmodels(cls, summary: Any) -> Summary:
        """Wrap a statsmodels ``Summary`` (its text, LaTeX, HTML and tables).

        Examples
        --------
        >>> from statsmodels.iolib.summary import Summary as SmSummary
        >>> from nkfx.summary import Summary
        >>> from statsmodels.iolib.table import SimpleTable
        >>> sm = SmSummary()
        >>> sm.tables.append(SimpleTable([["2"]], headers=["breaks"]))
        >>> Summary.from_statsmodels(sm).as_text() == sm.as_text()
        True
        """
        if not (callable(getattr(summary, "as_text", None)) and hasattr(summary, "tables")):
            raise NkfxTypeError("summary must be a statsmodels Summary (with as_text() and tables); "
                                f"got {type(summary).__name__}")
        return cls(summary.as_text(), tables=tuple(summary.tables), source=summary)

    @classmethod
    def from_text(cls, text: str, tables: Mapping[str, pd.DataFrame] | None = None) -> Summary:
        """Return a summary of ``text`` with the tables that carry its numbers (for LaTeX, HTML).

        Examples
        --------
        >>> from nkfx.summary import Summary
        >>> Summary.from_text("2 breaks").as_html()
        '<pre>2 breaks</pre>'
        >>> Summary.from_text("2 breaks", {"Breaks": [1, 2]})
        Traceback (most recent call last):
        ...
        nkfx.errors.NkfxTypeError: tables['Breaks'] must be a pandas DataFrame; got list
        """
        if not isinstance(tables, Mapping | None):
            raise NkfxTypeError(f"tables must map titles to DataFrames; got {type(tables).__name__}")
        frames = dict(tables or {})
        for title, table in frames.items():
            if not isinstance(table, pd.DataFrame):
                raise NkfxTypeError(f"tables[{title!r}] must be a pandas DataFrame; got "
                                    f"{type(table).__name__}")
        obj = cls(text, tables=tuple(_simple_table(t, str(title)) for title, t in frames.items()))
        obj._html = f"<pre>{_html.escape(text)}</pre>" + "".join(
            f"<p><b>{_html.escape(str(title))}</b></p>{_cells(t).to_html(index=False, escape=True)}"
            for title, t in frames.items())
        return obj

    def as_text(self) -> str:
        """Return the summary as plain text (the string itself)."""
        return str.__str__(self)

    def as_latex(self) -> str:
        """Return the summary as LaTeX: each table as a ``tabular``, the text in a typewriter block.

        A text summary gives its text first, then its tables; one built from statsmodels
        gives its tables, then its notes. (statsmodels' own ``as_latex()`` stacks all
        tables into one and fails when they differ in width, as nkfx's do.)
        """
        tables = [t.as_latex_tabular(center=True) for t in self.tables]
        if self._source is None:
            return "\n".join([_latex_block(self.as_text()), *tables])
        notes = self._notes()
        return "\n".join([*tables, *([_latex_block(notes)] if notes.strip() else [])])

    def as_html(self) -> str:
        """Return the summary as HTML: the tables, then the text or notes, every cell escaped.

        statsmodels' ``SimpleTable.as_html`` writes cells as they are, so a series or city
        named ``<b>...`` would be markup in a notebook; here every cell is escaped.
        """
        if self._source is None:
            if self._html is not None:
                return self._html
            return f"<pre>{_html.escape(self.as_text())}</pre>"
        notes = self._notes()
        body = "".join(_table_html(t) for t in self.tables)
        return body + (f"<pre>{_html.escape(notes)}</pre>" if notes.strip() else "")

    def _notes(self) -> str:
        """Return the notes under a statsmodels summary's tables (its ``extra_txt``)."""
        extra = self._source.extra_txt
        return "\n".join(extra) if isinstance(extra, list | tuple) else str(extra or "")

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()


def _latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def _latex_block(text: str) -> str:
    """Return ``text`` as LaTeX lines in a typewriter font, spaces and specials kept."""
    lines = [_latex_escape(line).replace(" ", "~") or "~" for line in text.splitlines()]
    return "\n".join(["\\begin{flushleft}\\ttfamily", " \\\\\n".join(lines), "\\end{flushleft}"])


def _table_html(table: SimpleTable) -> str:
    """Return a statsmodels ``SimpleTable`` as an HTML table with every cell escaped."""
    rows = []
    for row in table:
        tag = "th" if getattr(row, "datatype", "") == "header" else "td"
        cells = "".join(f"<{tag}>{_html.escape(str(cell.data))}</{tag}>" for cell in row)
        rows.append(f"<tr>{cells}</tr>")
    title = f"<caption>{_html.escape(str(table.title))}</caption>" if table.title else ""
    return f'<table class="simpletable">{title}{"".join(rows)}</table>'


def _cell(value: Any) -> str:
    """Return a table cell as text: dates as days, numbers to 4 significant digits, missing empty."""
    if value is None or value is pd.NaT or (isinstance(value, float | np.floating) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.isoformat()
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    return str(value)


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([[_cell(v) for v in row] for row in frame.itertuples(index=False)],
                        columns=[str(c) for c in frame.columns])


def _simple_table(frame: pd.DataFrame, title: str) -> SimpleTable:
    """Return a statsmodels ``SimpleTable`` of ``frame`` (it escapes LaTeX's special characters)."""
    from statsmodels.iolib.table import SimpleTable

    data = _cells(frame).to_numpy().tolist() or [[""] * frame.shape[1]]
    return SimpleTable(data, headers=[str(c) for c in frame.columns], title=title)
