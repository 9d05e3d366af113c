"""nkfx's exact jump detector against R DeCAFS on committed reference outputs.

``tests/reference/decafs/decafs_reference.json`` is written by ``make_decafs.R`` there (see its
README): DeCAFS 3.3.3 run with known ``sdEta``, ``sdNu``, ``phi`` and ``beta = 2 log n`` on
seven simulated series (phi 0 to 0.8, n 50 to 2000, jumps up and down, one without jumps).

Parameters map as ``s_eta = sdEta**2``, ``s_eps = sdNu**2 / (1 - phi**2)``,
``tau = -1 / log(phi)`` (0 for phi = 0), on equally spaced days. DeCAFS's changepoint ``k``
(1-based, last observation before the jump) is nkfx's 0-based first-new position ``k``.

What DeCAFS minimises (its ``src/fpopmain.cpp``): the same sum as nkfx, with the first
residual weighted by ``gamma / (1 - phi**2)`` (``gamma = 1 / sdNu**2``). Its README writes
``(1 - phi**2) * gamma``, the stationary precision, which is nkfx's default
(``first_weight=None``: ``1 / s_eps``); the code divides instead of multiplying, so the two
agree only at phi = 0. Hence two tests:

* ``test_same_objective``: ``fit_jumps(first_weight=gamma / (1 - phi**2))`` gives DeCAFS's
  jumps, signal and optimum.
* ``test_default_first_weight``: nkfx's default finds DeCAFS's jumps, equals DeCAFS at
  phi = 0, and for phi > 0 is at least as good under the documented objective.

Tolerance: the largest signal difference measured on these cases is 1.5e-11 (phi = 0.8,
sdEta / sdNu = 0.05, n = 1000: the heaviest smoothing, so the worst-conditioned solve); the
others are below 3e-13. Both sides compute in float64 in different orders (DeCAFS backtracks
argmins of piecewise quadratics, nkfx solves one tridiagonal system), so agreement to round-off
is all one can ask. ``SIGNAL_RTOL = 1e-9`` of the data range leaves a margin of about 60 and is
far below any statistical difference (the smallest noise sd here is 0.2).
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nkfx.detect.jumps._core import NoiseModel, fit_jumps, objective, step_weights

pytestmark = pytest.mark.r_reference

REF = Path(__file__).parent / "reference" / "decafs" / "decafs_reference.json"
SIGNAL_RTOL = 1e-9  # of max(y) - min(y); measured worst 1.5e-11 (see the module docstring)
OBJ_RTOL = 1e-9  # objectives of the same solution computed two ways


@cache
def _reference() -> dict[str, Any]:
    return json.loads(REF.read_text(encoding="utf-8"))


def _case_names() -> list[str]:
    return [c["name"] for c in _reference()["cases"]]


def _case(name: str) -> dict[str, Any]:
    return next(c for c in _reference()["cases"] if c["name"] == name)


def _model(case: dict[str, Any]) -> NoiseModel:
    phi = float(case["phi"])
    return NoiseModel(s_eta=case["sdEta"] ** 2, s_eps=case["sdNu"] ** 2 / (1.0 - phi**2),
                      tau=0.0 if phi == 0 else -1.0 / math.log(phi))


def _decafs_first_weight(case: dict[str, Any]) -> float:
    """Weight of ``(y_0 - mu_0)**2`` in DeCAFS's code: ``gamma / (1 - phi**2)``."""
    return (1.0 / case["sdNu"] ** 2) / (1.0 - case["phi"] ** 2)


def _data(case: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(case["y"], dtype=np.float64)
    return (y, np.arange(y.size, dtype=np.float64), np.asarray(case["signal"], dtype=np.float64),
            np.asarray(case["jumps"], dtype=np.int64))


def _weights(case: dict[str, Any], days: np.ndarray, first: float
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lam, gam, phi = step_weights(days, _model(case))
    gam = gam.copy()
    gam[0] = first
    return lam, gam, phi


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)))


def test_reference_file_is_consistent() -> None:
    ref = _reference()
    assert ref["decafs_version"] == "3.3.3"
    assert len(ref["cases"]) >= 6
    assert {c["phi"] for c in ref["cases"]} >= {0.0, 0.3, 0.5, 0.8}
    for case in ref["cases"]:
        y, _, signal, jumps = _data(case)
        assert y.size == signal.size == case["n"]
        assert case["jumps"] == case["changepoints_r"]  # same number, see the docstring
        assert np.all(np.diff(jumps) > 0)
        assert np.all((jumps >= 1) & (jumps < y.size))


@pytest.mark.parametrize("name", _case_names())
def test_same_objective(name: str) -> None:
    """With DeCAFS's first weight, nkfx returns DeCAFS's jumps, signal and optimum."""
    case = _case(name)
    y, days, signal, jumps = _data(case)
    first = _decafs_first_weight(case)
    fit = fit_jumps(y, days, _model(case), case["beta"], first_weight=first)
    ours, path, best = fit.jumps, fit.path, fit.objective
    assert ours.tolist() == jumps.tolist()
    assert _max_diff(path, signal) <= SIGNAL_RTOL * float(np.ptp(y))
    lam, gam, phi = _weights(case, days, first)
    theirs = objective(y, signal, jumps, lam, gam, phi, case["beta"])
    assert best == pytest.approx(theirs, rel=OBJ_RTOL)
    assert objective(y, path, ours, lam, gam, phi, case["beta"]) == pytest.approx(
        theirs, rel=OBJ_RTOL)


@pytest.mark.parametrize("name", _case_names())
def test_default_first_weight(name: str) -> None:
    """The default (stationary) weight is DeCAFS's documented objective; equals its code at phi = 0."""
    case = _case(name)
    y, days, signal, jumps = _data(case)
    fit = fit_jumps(y, days, _model(case), case["beta"])
    assert fit.jumps.tolist() == jumps.tolist()
    lam, gam, phi = step_weights(days, _model(case))
    if case["phi"] == 0.0:
        assert _max_diff(fit.path, signal) <= SIGNAL_RTOL * float(np.ptp(y))
    else:
        assert objective(y, fit.path, fit.jumps, lam, gam, phi, case["beta"]) <= \
            objective(y, signal, jumps, lam, gam, phi, case["beta"]) * (1 + OBJ_RTOL)
