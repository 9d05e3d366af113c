"""Structural breaks in rate series: detection, tests and their result types.

See :func:`nkfx.detect.api.detect` for the date convention (``last_old`` /
``first_new``) and how it maps to R strucchange's break indices.
"""

from __future__ import annotations

from nkfx.detect._pelt_method import penalty_path, plot_penalty_path
from nkfx.detect.api import chow_test, detect, sup_f_test
from nkfx.detect.results import Breaks, TestResult

__all__ = ["Breaks", "TestResult", "chow_test", "detect", "penalty_path", "plot_penalty_path", "sup_f_test"]
