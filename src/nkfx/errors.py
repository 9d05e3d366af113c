"""Exceptions and warnings raised by nkfx.

Every error nkfx raises for bad input subclasses both :class:`NkfxError` and the
built-in :class:`ValueError` or :class:`TypeError`, so callers can catch either
the nkfx family or the usual Python type.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "DataQualityWarning",
    "InsufficientDataError",
    "NkfxError",
    "NkfxTypeError",
    "NkfxValueError",
    "NkfxWarning",
    "SchemaError",
    "UnknownCityWarning",
]


class NkfxError(Exception):
    """Base class of every error raised by nkfx."""


class NkfxValueError(NkfxError, ValueError):
    """An argument or a value in the data is not acceptable."""


class NkfxTypeError(NkfxError, TypeError):
    """An argument has the wrong type."""


class InsufficientDataError(NkfxValueError):
    """Too few observations for the requested analysis."""


class SchemaError(NkfxValueError):
    """Input rows or a rate frame do not satisfy the expected schema.

    Parameters
    ----------
    message : str
        Headline of the error.
    problems : sequence of str, optional
        One line per problem, each naming its row and column where known.
        The first ``max_shown`` are repeated in the message.
    max_shown : int, default 10
        How many problems the message lists.
    """

    def __init__(
        self, message: str, problems: Sequence[str] = (), *, max_shown: int = 10
    ) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        lines = [message]
        lines.extend(f"  - {p}" for p in self.problems[:max_shown])
        hidden = len(self.problems) - max_shown
        if hidden > 0:
            lines.append(f"  ... and {hidden} more")
        super().__init__("\n".join(lines))


class NkfxWarning(UserWarning):
    """Base class of nkfx warnings."""


class UnknownCityWarning(NkfxWarning):
    """A city name is not in nkfx's gazetteer; it is kept as written."""


class DataQualityWarning(NkfxWarning):
    """The data allow the computation, but the result deserves caution."""
