"""The package's layout (issue 15): no import circles, stages import only downstream of the flow.

The import graph is read from the source with :mod:`ast` (imports inside functions count,
imports under ``if TYPE_CHECKING:`` do not, since they never run), so a circle that only
closes at call time is caught too.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import nkfx

SRC = Path(nkfx.__file__).parent

#: Stage of each top-level part of nkfx, in the order data flows. A module may import only
#: modules of its own stage or a lower one. Plotting sits just above the base: it takes
#: results by protocol and imports no stage, so every stage's ``.plot()`` may call it.
STAGES = {
    "nkfx.errors": 0, "nkfx._typing": 0, "nkfx._validate": 0, "nkfx._version": 0, "nkfx.names": 0,
    "nkfx.schema": 0, "nkfx._groups": 0, "nkfx._json": 0, "nkfx._series": 0, "nkfx.summary": 0,
    "nkfx.plotting": 1,
    "nkfx.ingest": 2,
    "nkfx.datasets": 3, "nkfx.clean": 3,
    "nkfx.resampling": 4, "nkfx.transform": 4,
    "nkfx.detect": 5,
    "nkfx.events": 6,
    "nkfx.markets": 7, "nkfx.premium": 7, "nkfx.prices": 7,
    "nkfx.batch": 8,
    "nkfx": 9, "nkfx.cli": 9, "nkfx._demo": 9, "nkfx._demo_story": 9, "nkfx.__main__": 9,
    "nkfx.probability": 9,
}


def _modules() -> dict[str, Path]:
    mods = {}
    for path in SRC.rglob("*.py"):
        parts = ["nkfx", *path.relative_to(SRC).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def import_graph(only_in_functions: bool = False) -> dict[str, set[str]]:
    """Module -> nkfx modules it imports (at module level or in functions, or only in functions)."""
    mods = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        todo: list[tuple[ast.AST, bool]] = [(ast.parse(path.read_text(encoding="utf-8")), False)]
        while todo:
            node, in_function = todo.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    todo.extend((c, in_function) for c in child.orelse)
                    continue
                targets: list[str] = []
                if isinstance(child, ast.Import):
                    targets = [a.name for a in child.names]
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        up = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                        base = ".".join([*up, base] if base else up)
                    targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base
                               for a in child.names]
                else:
                    todo.append((child, in_function or isinstance(
                        child, ast.FunctionDef | ast.AsyncFunctionDef)))
                if only_in_functions and not in_function:
                    continue
                for target in targets:
                    hit = resolve(target)
                    if hit and hit.startswith("nkfx") and hit != mod:
                        edges[mod].add(hit)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def _stage(mod: str) -> int:
    top = ".".join(mod.split(".")[:2])
    assert top in STAGES, f"{mod}: give its part of nkfx a stage in STAGES"
    return STAGES[top]


def test_cycle_finder_finds_a_planted_circle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(edges) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_has_no_circle() -> None:
    edges = import_graph()
    assert len(edges) > 70  # the whole package was read
    assert "nkfx.detect.ftests._hac" in edges["nkfx.detect.ftests._path"]  # edges are resolved
    assert "nkfx.detect.bai_perron._core" in edges["nkfx.detect.pelt._method"]
    assert cycles(edges) == []


def test_no_import_runs_back_up_the_flow() -> None:
    upward = sorted(f"{a} -> {b}" for a, targets in import_graph().items() for b in targets
                    if _stage(b) > _stage(a))
    assert upward == []


def test_no_nkfx_import_hides_in_a_function() -> None:
    # With no circle left, an import inside a function only hides a dependency (issue 15).
    lazy = {a: sorted(b) for a, b in import_graph(only_in_functions=True).items() if b}
    assert lazy == {}
    assert "nkfx.detect.pelt._core" in import_graph()["nkfx.detect.pelt._method"]


def test_import_nkfx_leaves_matplotlib_and_statsmodels_unloaded() -> None:
    # Plotting and summaries load them when first used; `import nkfx` stays light.
    code = ("import sys, nkfx; print(sorted(m for m in ('matplotlib', 'statsmodels', 'scipy.signal')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_plotting_imports_no_stage() -> None:
    edges = import_graph()
    used = {b for a, targets in edges.items() if a.startswith("nkfx.plotting") for b in targets}
    assert {_stage(b) for b in used} <= {0, 1}


def _public_modules() -> list[str]:
    names = ["nkfx"]
    for info in pkgutil.walk_packages(nkfx.__path__, "nkfx."):
        if info.name != "nkfx.probability" and not any(
                p.startswith("_") for p in info.name.split(".")):
            names.append(info.name)
    return names


def test_public_names_live_in_public_modules() -> None:
    private = []
    for name in _public_modules():
        mod = importlib.import_module(name)
        for attr in getattr(mod, "__all__", []):
            home = getattr(getattr(mod, attr), "__module__", None)
            if isinstance(home, str) and any(p.startswith("_") for p in home.split(".")):
                private.append(f"{name}.{attr} lives in {home}")
    assert private == []
    assert nkfx.EventStudy.__module__ == "nkfx.events.study"
    assert nkfx.chow_test.__module__ == "nkfx.detect.ftests.api"


def test_public_functions_have_runnable_examples() -> None:
    missing = []
    for name in _public_modules():
        mod = importlib.import_module(name)
        for attr in getattr(mod, "__all__", []):
            obj = getattr(mod, attr)
            if inspect.isfunction(obj) and ">>>" not in (inspect.getdoc(obj) or ""):
                missing.append(f"{name}.{attr}")
    assert missing == []


def test_the_old_probability_module_still_works_and_warns() -> None:
    sys.modules.pop("nkfx.probability", None)
    with pytest.warns(DeprecationWarning, match="nkfx.events.probability"):
        old = importlib.import_module("nkfx.probability")
    from nkfx.events import probability
    assert old.change_probability is probability.change_probability
    assert old.ChangeProbability is probability.ChangeProbability
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nkfx.change_probability is probability.change_probability
