"""Deprecated location of :func:`change_probability`; use :mod:`nkfx.events.probability`.

Change probabilities are part of the events stage since nkfx 0.2 (``nkfx.events.probability``);
``nkfx.change_probability`` and ``nkfx.ChangeProbability`` are unchanged. This module re-exports
them with a :class:`DeprecationWarning` and will be removed in a later release.
"""

from __future__ import annotations

import warnings

from nkfx.events.probability import ChangeProbability, change_probability

__all__ = ["ChangeProbability", "change_probability"]

warnings.warn(
    "nkfx.probability is deprecated and will be removed; import change_probability and "
    "ChangeProbability from nkfx or nkfx.events.probability",
    DeprecationWarning,
    stacklevel=2,
)
