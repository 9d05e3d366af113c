"""Shared fixtures: seeded generators and the real data folder beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # tests draw off-screen; set before pyplot is imported anywhere

#: ../shared/data beside the checkout (third-party series are read from there, never copied).
SHARED_DATA = Path(
    os.environ.get("NKFX_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20091130)


@pytest.fixture
def shared_data() -> Path:
    """Path of ../shared/data; the test is skipped cleanly when the folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder not found at {SHARED_DATA}")
    return SHARED_DATA
