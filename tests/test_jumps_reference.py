"""nkfx's exact jump detector against R DeCAFS on committed reference outputs.

``tests/reference/decafs/decafs_reference.json`` is written by ``make_decafs.R`` there (see its
README): DeCAFS 3.3.3 run with known ``sdEta``, ``sdNu``, ``phi`` and ``beta = 2 log n`` on
seven simulated series (phi 0 to 0.8, n 50 to 2000, jumps up and down, one without jumps).

Parameters map as ``s_eta = sdEta**2``, ``s_eps = sdNu**2 / (1 - phi**2)``,
``tau = -1 / log(phi)`` (0 for phi = 0), on equally spaced days. DeCAFS's changepoint ``k``
(1-based, last observation before the jump) is nkfx's 0-based first-new position ``k``.

What DeCAFS minimises (its ``src/fpopmain.cpp``): the same sum as nkfx, with the first
residual weighted by ``gamma / (1 - phi**2)`` (``gamma = 1 / sdNu**2``). Its README writes
``(1 - phi**2) * gamma``, the stationary precision, which is nkfx's ``exact_start=True``; the
code divides instead of multiplying, so the two agree only at phi = 0. nkfx's
``exact_start=False`` drops the term (weight 0), which is neither. Hence three kinds of test:

* ``test_same_objective``: nkfx's recursion (``_dp`` + ``smooth_path``, scaled as in
  ``fit_jumps``) run with DeCAFS's own first weight gives DeCAFS's jumps, signal and optimum.
* ``test_fit_jumps_free_start``: ``fit_jumps(exact_start=False)`` finds DeCAFS's jumps; the
  two signals differ (different objectives), and each side is at the optimum of its own
  objective, checked with ``objective``.
* ``test_fit_jumps_exact_start``: ``fit_jumps(exact_start=True)`` equals DeCAFS at phi = 0;
  for phi > 0 it has DeCAFS's jumps and is at least as good under the documented objective.

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

from nkfx.detect._jumps import (
    NoiseModel,
    _dp,
    fit_jumps,
    objective,
    smooth_path,
    step_weights,
)

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


def _fit_with_first_weight(y: np.ndarray, days: np.ndarray, model: NoiseModel, beta: float,
                           first: float) -> tuple[np.ndarray, np.ndarray, float]:
    """``fit_jumps`` with any weight of the first residual (same centring and scaling)."""
    centre, scale = float(np.median(y)), math.sqrt(model.s_eps + model.s_eta)
    scaled = NoiseModel(s_eta=model.s_eta / scale**2, s_eps=model.s_eps / scale**2,
                        tau=model.tau)
    ys = (y - centre) / scale
    lam, gam, phi = step_weights(days, scaled)
    start = first * scale**2
    jumps, best, _ = _dp(ys, lam, gam, phi, float(beta), start)
    gam = gam.copy()
    gam[0] = start
    return jumps, centre + scale * smooth_path(ys, jumps, lam, gam, phi), float(best)


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
    ours, path, best = _fit_with_first_weight(y, days, _model(case), case["beta"], first)
    assert ours.tolist() == jumps.tolist()
    assert _max_diff(path, signal) <= SIGNAL_RTOL * float(np.ptp(y))
    lam, gam, phi = _weights(case, days, first)
    theirs = objective(y, signal, jumps, lam, gam, phi, case["beta"])
    assert best == pytest.approx(theirs, rel=OBJ_RTOL)
    assert objective(y, path, ours, lam, gam, phi, case["beta"]) == pytest.approx(
        theirs, rel=OBJ_RTOL)


def _free_start_params() -> list[Any]:
    out: list[Any] = []
    for name in _case_names():
        if name == "phi0_n2000_largeratio":
            out.append(pytest.param(name, marks=pytest.mark.xfail(
                strict=True, raises=np.linalg.LinAlgError, reason=(
                    "nkfx bug: with exact_start=False and phi = 0 the drift and jump "
                    "candidates at t = 1 have curvatures equal up to one ulp after scaling; "
                    "_envelope picks the smaller one at -inf by exact comparison and never "
                    "keeps the drift, so _dp returns a jump at 1 (objective 2150.56 > "
                    "2135.36 without it) and smooth_path then fails (singular first row)"))))
        else:
            out.append(name)
    return out


@pytest.mark.parametrize("name", _free_start_params())
def test_fit_jumps_free_start(name: str) -> None:
    """``exact_start=False``: DeCAFS's jumps; each signal optimal for its own objective."""
    case = _case(name)
    y, days, signal, jumps = _data(case)
    fit = fit_jumps(y, days, _model(case), case["beta"], exact_start=False)
    assert fit.jumps.tolist() == jumps.tolist()
    ours = _weights(case, days, 0.0)
    theirs = _weights(case, days, _decafs_first_weight(case))
    beta = case["beta"]
    # the two objectives differ only in the first residual's weight, so do the optima
    assert objective(y, fit.path, fit.jumps, *ours, beta) <= \
        objective(y, signal, jumps, *ours, beta) * (1 + OBJ_RTOL)
    assert objective(y, signal, jumps, *theirs, beta) <= \
        objective(y, fit.path, fit.jumps, *theirs, beta) * (1 + OBJ_RTOL)
    assert fit.objective == pytest.approx(objective(y, fit.path, fit.jumps, *ours, beta),
                                          rel=OBJ_RTOL)


@pytest.mark.parametrize("name", _case_names())
def test_fit_jumps_exact_start(name: str) -> None:
    """``exact_start=True`` is DeCAFS's documented objective; equals DeCAFS's code at phi = 0."""
    case = _case(name)
    y, days, signal, jumps = _data(case)
    fit = fit_jumps(y, days, _model(case), case["beta"], exact_start=True)
    assert fit.jumps.tolist() == jumps.tolist()
    lam, gam, phi = step_weights(days, _model(case))
    if case["phi"] == 0.0:
        assert _max_diff(fit.path, signal) <= SIGNAL_RTOL * float(np.ptp(y))
    else:
        assert objective(y, fit.path, fit.jumps, lam, gam, phi, case["beta"]) <= \
            objective(y, signal, jumps, lam, gam, phi, case["beta"]) * (1 + OBJ_RTOL)
