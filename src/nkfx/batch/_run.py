"""Execution layer of :func:`nkfx.detect_many`: tasks, workers, executors, progress.

Groups become small picklable tasks (a key, a label, dates and rates as numpy arrays);
:func:`run_chunk` is a top-level function so process pools and Dask can ship it.
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import math
import os
import sys
import threading
import warnings
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from nkfx.detect import api

if TYPE_CHECKING:
    from nkfx.detect.results import Breaks

#: A group key: one value per ``by`` column, ``None`` where the value is missing.
GroupKey = tuple[Any, ...]

#: Python's warning filters are process-wide, so recording them is serialised per process.
WARN_LOCK = threading.Lock()
#: Largest chunk of groups sent as one task (keeps progress and memory smooth).
MAX_CHUNK = 256


class Task(NamedTuple):
    key: GroupKey
    label: str
    dates: np.ndarray  # datetime64, sorted, unique
    rates: np.ndarray  # float64


class Outcome(NamedTuple):
    n_obs: int
    frame: pd.DataFrame | None  # Breaks.breaks of a successful group (index "break")
    model_scale: tuple[str, str]  # Breaks.model, Breaks.scale (the last columns of to_frame())
    result: Breaks | None  # kept only with keep_results=True
    error: str  # exception type name, "" on success
    message: str
    warnings: tuple[tuple[str, str], ...]  # (category, message) raised while detecting


def plain(value: Any) -> Any:
    """Missing values (None, NaN, NaT, pd.NA) become None so keys compare and hash."""
    return None if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) else value


def label(key: GroupKey, by: tuple[str, ...]) -> str:
    return " / ".join(f"(no {col})" if v is None else str(v) for col, v in zip(by, key, strict=True))


def sort_key(key: GroupKey) -> tuple[tuple[bool, str, Any], ...]:
    # missing values last; the type name keeps mixed-type columns sortable
    return tuple((v is None, type(v).__name__, "" if v is None else v) for v in key)


def make_tasks(
    rates: pd.DataFrame, by: tuple[str, ...], combine: str | None
) -> tuple[list[Task], dict[GroupKey, Outcome]]:
    dates = rates["date"].to_numpy()
    values = rates["rate"].to_numpy(dtype=np.float64, na_value=np.nan)
    groups = rates.groupby(list(by), sort=False, dropna=False).indices
    tasks, early = [], {}
    for raw, idx in groups.items():
        key = tuple(plain(v) for v in (raw if isinstance(raw, tuple) else (raw,)))
        order = np.argsort(dates[idx], kind="stable")
        d, v = dates[idx][order], values[idx][order]
        same = d[1:] == d[:-1]
        if same.any():
            if combine is None:
                early[key] = Outcome(
                    len(d), None, ("", ""), None, "NkfxValueError", _dup_message(d, same, by), ()
                )
                continue
            med = pd.Series(v).groupby(d, sort=True).median()
            d, v = med.index.to_numpy(), med.to_numpy(dtype=np.float64)
        tasks.append(Task(key, label(key, by), d, v))
    tasks.sort(key=lambda t: sort_key(t.key))
    return tasks, early


def _dup_message(d: np.ndarray, same: np.ndarray, by: tuple[str, ...]) -> str:
    dup_dates = np.unique(d[1:][same])
    first = pd.Timestamp(dup_dates[0]).date().isoformat()
    n_first = int((d == dup_dates[0]).sum())
    way = "pass combine='median'" if "source" in by else "add 'source' to by= or pass combine='median'"
    return (
        f"several rows on one date: {dup_dates.size} date(s) (first {first} with {n_first} rows); "
        f"{way} (or combine the reports first with nkfx.combine)"
    )


def run_chunk(
    chunk: list[Task], method: str, options: dict[str, Any], keep: bool
) -> list[tuple[GroupKey, Outcome]]:
    """Detect breaks in each series of a chunk (top level so process pools can pickle it)."""
    return [(task.key, _run_one(task, method, options, keep)) for task in chunk]


def _run_one(task: Task, method: str, options: dict[str, Any], keep: bool) -> Outcome:
    series = pd.Series(task.rates, index=pd.DatetimeIndex(task.dates), name=task.label)
    n = len(series)
    # the caller's filters (e.g. warnings as errors) must not change results between workers
    with WARN_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = api.detect(series, method, **options)  # looked up per call: tests replace it
            error, message = "", ""
        except Exception as exc:  # a failing group is reported, never raised
            res, error, message = None, type(exc).__name__, str(exc)
    seen = tuple((w.category.__name__, str(w.message)) for w in caught)
    if res is None:
        return Outcome(n, None, ("", ""), None, error, message, seen)
    # Breaks.to_frame() is rebuilt once for all groups when assembling (cheaper than per group)
    return Outcome(n, res.breaks, (res.model, res.scale), res if keep else None, "", "", seen)


def _n_workers(executor: cf.Executor) -> int:
    workers = getattr(executor, "_max_workers", None)
    client = getattr(executor, "_client", None)  # Dask's ClientExecutor
    if workers is None and client is not None:
        try:
            workers = sum(client.nthreads().values())
        except Exception:  # an unreachable scheduler: fall back below
            workers = None
    return max(1, int(workers or os.cpu_count() or 1))


def execute(
    tasks: list[Task],
    method: str,
    options: dict[str, Any],
    keep: bool,
    executor: cf.Executor | None,
    chunk_size: int | None,
    progress: bool | None,
) -> dict[GroupKey, Outcome]:
    n_workers = 1 if executor is None else _n_workers(executor)
    size = chunk_size or max(1, min(MAX_CHUNK, math.ceil(len(tasks) / (4 * n_workers))))
    chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)]
    bar = _Progress(len(tasks), bool(progress))
    out: dict[GroupKey, Outcome] = {}
    try:
        if executor is None:
            for chunk in chunks:
                out.update(run_chunk(chunk, method, options, keep))
                bar.update(len(chunk))
            return out
        broken = _collect(executor, chunks, method, options, keep, out, bar)
        if broken and isinstance(executor, cf.ProcessPoolExecutor):
            _rescue(executor, broken, method, options, keep, out)
        return out
    finally:
        bar.close()


def _lost(task: Task, exc: BaseException) -> Outcome:
    return Outcome(len(task.dates), None, ("", ""), None, type(exc).__name__,
                   f"worker failed: {exc}", ())


def _collect(executor: cf.Executor, chunks: list[list[Task]], method: str, options: dict[str, Any],
             keep: bool, out: dict[GroupKey, Outcome], bar: _Progress | None) -> list[Task]:
    """Run ``chunks`` on ``executor`` into ``out``; return the tasks lost to a broken pool.

    Any other failure of a chunk is recorded as the failure of its groups.
    """
    futures = {executor.submit(run_chunk, c, method, options, keep): c for c in chunks}
    broken: list[Task] = []
    for future in cf.as_completed(futures):
        chunk = futures[future]
        try:
            out.update(future.result())
        except cf.BrokenExecutor as exc:  # a worker died: every chunk still pending is lost
            out.update({t.key: _lost(t, exc) for t in chunk})
            broken.extend(chunk)
        except Exception as exc:  # a failing chunk fails its groups, not the run
            out.update({t.key: _lost(t, exc) for t in chunk})
        if bar is not None:
            bar.update(len(chunk))
    return broken


#: Fresh pools tried after a worker died (each keeps what finished before the next death).
MAX_RESCUES = 6


def _rescue(executor: cf.ProcessPoolExecutor, tasks: list[Task], method: str,
            options: dict[str, Any], keep: bool, out: dict[GroupKey, Outcome]) -> None:
    """Run the groups a dead worker took down again, one group per task, in fresh pools.

    A dead process breaks the whole pool, so the groups that were merely queued behind the
    one that killed it are lost with it. Each round runs them in a new pool of the same
    size in the reverse order of the round before: the culprit, among the first of the
    lost (it was running), now comes last, so the others finish before it dies again. The
    few left (those that ran beside it) then run alone, each in a pool of one process. The
    culprit keeps its "worker failed" outcome (BrokenProcessPool); every other group gets
    its result.
    """
    todo = tasks
    workers = _n_workers(executor)
    context = getattr(executor, "_mp_context", None)
    for _ in range(MAX_RESCUES):
        before = len(todo)
        if before <= workers:
            break
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            todo = _collect(pool, [[t] for t in todo[::-1]], method, options, keep, out, None)
        if len(todo) == before:  # no progress: isolate them
            break
    for task in todo:
        with cf.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            _collect(pool, [[task]], method, options, keep, out, None)


def _in_notebook() -> bool:
    """Tell whether we run in a Jupyter kernel (stderr is no terminal there, yet shows a line)."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


class _Progress:
    """Progress on stderr in a terminal or a notebook: tqdm if installed, else one updating line."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.bar, self.text = total, 0, None, False
        stream = sys.stderr
        notebook = _in_notebook()
        if not (enabled and stream is not None and (stream.isatty() or notebook)):
            return
        try:
            tqdm = importlib.import_module("tqdm.auto" if notebook else "tqdm").tqdm
            self.bar = tqdm(total=total, desc="detect_many", unit="series", file=stream)
        except ImportError:
            self.text = True

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.text:
            pct = 100 * self.done // max(self.total, 1)
            sys.stderr.write(f"\rdetect_many: {self.done}/{self.total} series ({pct}%)")
            sys.stderr.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.text:
            sys.stderr.write("\n")
