"""Bundled real data (cited observations and events) and a seeded simulator.

The observations, official rates and events shipped here were compiled by hand from public
articles; every row keeps its publisher and URL. Third-party series (Daily NK's
price spreadsheet) are not bundled.
"""

from __future__ import annotations

from nkfx.datasets.bundled import load_events, load_observations, load_official, observations_path
from nkfx.datasets.simulation import Break, Simulation, simulate

__all__ = [
    "Break", "Simulation", "load_events", "load_observations", "load_official", "observations_path",
    "simulate",
]
