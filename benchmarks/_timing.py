"""Timing shared by the benchmark scripts (imported from the scripts' own folder)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def best_of(fn: Callable[[], T], repeats: int = 3, enough: float = 1.0) -> tuple[float, T]:
    """Best wall time of up to ``repeats`` calls and the last result; stop once a call takes ``enough`` s."""
    t0 = time.perf_counter()
    out = fn()
    best = time.perf_counter() - t0
    for _ in range(repeats - 1):
        if best > enough:
            break
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out
