"""Breaks in many series at once (:func:`detect_many`) and the power of detection (:func:`power_study`)."""

from __future__ import annotations

from nkfx.batch.many import BatchResult, detect_many
from nkfx.batch.power import PowerStudy, power_study

__all__ = ["BatchResult", "PowerStudy", "detect_many", "power_study"]
