"""nkfx: North Korean market exchange rates, from reports to structural breaks.

The data flow is ingest -> clean -> resample -> detect -> events -> plot; each
stage is a module, and the names below are the public face of the package.
"""

from __future__ import annotations

# One line per stage, in isort order; the stages are: ingest (read_rates), clean
# (combine, flag, source_bias), resampling and transform, detect (Bai-Perron, PELT,
# tests), events and probability (event studies, BOCPD), batch (many series).
from nkfx import datasets, plotting
from nkfx._version import __version__
from nkfx.batch import BatchResult, PowerStudy, detect_many, power_study
from nkfx.clean import SourceBias, combine, drop_flagged, flag, source_bias
from nkfx.detect import (
    Breaks,
    CommonBreaks,
    TestResult,
    chow_test,
    detect,
    detect_common,
    penalty_path,
    sup_f_test,
)
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
from nkfx.events import BreakMatch, EventStudy, event_study, event_window, match_breaks, read_events
from nkfx.events.probability import ChangeProbability, change_probability
from nkfx.ingest import Ingest, read_prices, read_rates
from nkfx.markets import (
    BandTAR,
    HalfLife,
    dispersion,
    spread_band,
    spread_breaks,
    spread_half_life,
)
from nkfx.premium import Premium, premium, premium_series
from nkfx.prices import PassThrough, pass_through
from nkfx.resampling import Resampled, resample
from nkfx.schema import select, validate_rates
from nkfx.summary import Summary
from nkfx.transform import city_spread, cross_rate, log_rates, log_returns, rolling_volatility

__all__ = [
    "BandTAR",
    "BatchResult",
    "BreakMatch",
    "Breaks",
    "ChangeProbability",
    "CommonBreaks",
    "DataQualityWarning",
    "EventStudy",
    "HalfLife",
    "Ingest",
    "InsufficientDataError",
    "NkfxError",
    "NkfxTypeError",
    "NkfxValueError",
    "NkfxWarning",
    "PassThrough",
    "PowerStudy",
    "Premium",
    "Resampled",
    "SchemaError",
    "SourceBias",
    "Summary",
    "TestResult",
    "UnknownCityWarning",
    "__version__",
    "change_probability",
    "chow_test",
    "city_spread",
    "combine",
    "cross_rate",
    "datasets",
    "detect",
    "detect_common",
    "detect_many",
    "dispersion",
    "drop_flagged",
    "event_study",
    "event_window",
    "flag",
    "log_rates",
    "log_returns",
    "match_breaks",
    "pass_through",
    "penalty_path",
    "plotting",
    "power_study",
    "premium",
    "premium_series",
    "read_events",
    "read_prices",
    "read_rates",
    "resample",
    "rolling_volatility",
    "select",
    "source_bias",
    "spread_band",
    "spread_breaks",
    "spread_half_life",
    "sup_f_test",
    "validate_rates",
]
