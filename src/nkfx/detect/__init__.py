"""Structural breaks in rate series: detection, tests and their result types.

See :func:`nkfx.detect.api.detect` for the date convention (``last_old`` /
``first_new``) and how it maps to R strucchange's break indices.
"""

from __future__ import annotations

from nkfx.detect.api import chow_test, detect, sup_f_test
from nkfx.detect.common import CommonBreaks, detect_common
from nkfx.detect.pelt.path import penalty_path, plot_penalty_path
from nkfx.detect.results import Breaks, TestResult

__all__ = [
    "Breaks",
    "CommonBreaks",
    "TestResult",
    "chow_test",
    "detect",
    "detect_common",
    "penalty_path",
    "plot_penalty_path",
    "sup_f_test",
]
