"""nkfx: North Korean market exchange rates, from reports to structural breaks.

The data flow is ingest -> clean -> resample -> detect -> events -> plot; each
stage is a module, and the names below are the public face of the package.
"""

from __future__ import annotations

from nkfx.errors import (
    DataQualityWarning,
    InsufficientDataError,
    NkfxError,
    NkfxTypeError,
    NkfxValueError,
    NkfxWarning,
    SchemaError,
    UnknownCityWarning,
)
from nkfx.schema import select, validate_rates

# --- ingest (issue 2) ---
# --- clean / resample / transform (issue 3) ---
# --- detect (issue 4) ---

__version__ = "0.1.0"

__all__ = [
    "DataQualityWarning",
    "InsufficientDataError",
    "NkfxError",
    "NkfxTypeError",
    "NkfxValueError",
    "NkfxWarning",
    "SchemaError",
    "UnknownCityWarning",
    "__version__",
    "select",
    "validate_rates",
]
