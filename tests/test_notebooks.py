"""Execute the notebooks in notebooks/ and check the facts they compute.

Each notebook ends with a cell that asserts its key numbers; a failing assertion (or any
error) fails the test. The kernel runs the interpreter of the test session: a kernelspec
pointing at ``sys.executable`` is written to a temporary folder put first on ``JUPYTER_PATH``,
so a user-level ``python3`` kernel of another Python cannot shadow it, and a fresh
``make test`` needs nothing beyond the dev extra (nbformat, nbclient, ipykernel).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01-quickstart.ipynb", "02-hyesan-customs-rumours.ipynb", "03-validation.ipynb",
         "04-jumps-on-real-reports.ipynb", "05-common-breaks.ipynb",
         "06-market-integration.ipynb", "07-official-premium.ipynb",
         "08-prices-and-pass-through.ipynb"]
TIMEOUT = 300  # seconds per cell; the slowest notebook takes about 20 s in total


KERNEL = "nkfx-test-python"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Register a kernel running this interpreter, for this module only."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "nkfx tests",
                                                  "language": "python"}), encoding="utf-8")
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(root), *([old] if old else [])])
    yield KERNEL
    if old is None:
        del os.environ["JUPYTER_PATH"]
    else:
        os.environ["JUPYTER_PATH"] = old


def _execute(name: str, kernel: str) -> list[str]:
    """Run a notebook in its own folder; return the text printed by each code cell."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=TIMEOUT, kernel_name=kernel,
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    texts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        parts = [o.get("text", "") for o in cell.outputs if o.output_type == "stream"]
        parts += [o.get("data", {}).get("text/plain", "") for o in cell.outputs
                  if o.output_type in ("execute_result", "display_data")]
        texts.append("".join(parts))
    return texts


@pytest.fixture(scope="module")
def run(kernel: str) -> Callable[[str], list[str]]:
    """Execute each notebook once per module; return its cell outputs."""
    cache: dict[str, list[str]] = {}

    def _run(name: str) -> list[str]:
        if name not in cache:
            cache[name] = _execute(name, kernel)
        return cache[name]

    return _run


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_committed_without_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert "assert" in code[-1].source  # the last cell checks the notebook's key facts


def test_quickstart_runs_and_recovers_simulated_breaks(run) -> None:
    last = run(NAMES[0])[-1]
    assert "Hyesan CNY breaks: ['2015-08-05', '2022-01-11', '2022-12-12', '2024-04-14']" in last
    share = re.search(r"covered by the 95% interval \(trim 120D\): (\d+)%", last)
    assert share is not None
    assert int(share.group(1)) >= 90


def test_hyesan_notebook_runs_and_states_its_numbers(run) -> None:
    last = run(NAMES[1])[-1]
    assert "break 2022-11-27 | 2022-12-12 in both cities" in last
    assert "{'90D': 0.87, '180D': 0.73, '365D': 0.5}" in last
    diff = re.search(r"yuan-minus-dollar ([+-]\d\.\d+) \[([+-]\d\.\d+), ([+-]\d\.\d+)\]", last)
    assert diff is not None
    est, lo, hi = map(float, diff.groups())
    assert lo < 0.25 < hi
    assert abs(est - 0.25) < 0.05


def test_validation_notebook_matches_the_references(run) -> None:
    texts = run(NAMES[2])
    assert texts[-1].strip() == "all checks passed"
    joined = "\n".join(texts)
    assert "20 of 20 identical" in joined
    cover = re.search(r"covers the true date in (\d+\.\d)% of series", joined)
    assert cover is not None
    assert 90.0 <= float(cover.group(1)) <= 99.0


def test_jumps_notebook_lines_events_up_with_each_method(run, shared_data: Path) -> None:
    # reads ../shared/data (third-party series, not shipped): skipped when it is absent
    texts = run(NAMES[3])
    assert texts[-1].startswith("checked:")
    joined = "\n".join(texts)
    assert "freight_train_resumes_2022" in joined
    assert "breaks matching no event" in joined


def test_common_breaks_notebook_states_its_numbers(run) -> None:
    last = run("05-common-breaks.ipynb")[-1]
    assert ("January 2022: 2022-01-11 -> 2022-01-24 in all three cities; "
            "yuan late 2022: 2022-12-12 in both cities") in last


def test_market_integration_notebook_states_its_numbers(run) -> None:
    assert run("06-market-integration.ipynb")[-1].startswith("checked: half-lives")


def test_prices_notebook_states_its_numbers(run) -> None:
    last = run("08-prices-and-pass-through.ipynb")[-1]
    assert "checked: cumulative pass-through 0.75 [0.38, 1.11]" in last
