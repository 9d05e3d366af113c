"""Run each script in examples/ as a user would and check what it prints."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True,
                          text=True, timeout=120, check=False, encoding="utf-8")


def test_every_example_is_tested() -> None:
    tested = {"detect_to_json.py", "batch_over_cities.py", "read_your_file.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


def test_detect_to_json_prints_valid_json() -> None:
    proc = run("detect_to_json.py", "--city", "Hyesan", "--currency", "CNY")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert {"method", "breaks", "segments", "criteria", "tests", "params", "series", "warnings"} <= set(out)
    assert out["series"] == {"city": "Hyesan", "currency": "CNY"}
    assert out["n_obs"] == 44
    assert out["n_breaks"] == len(out["breaks"]) == 4
    rumour = [b for b in out["breaks"] if b["last_old"] == "2022-11-27"]
    assert rumour
    assert rumour[0]["first_new"] == "2022-12-12"


def test_detect_to_json_with_pelt_and_a_count_trim() -> None:
    proc = run("detect_to_json.py", "--city", "Pyongyang", "--method", "pelt", "--trim", "3")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["method"] == "pelt"
    assert out["n_obs"] == 31
    assert all(b["ci_lower"] is None for b in out["breaks"])  # PELT gives no intervals


def test_detect_to_json_reports_errors_on_stderr() -> None:
    proc = run("detect_to_json.py", "--city", "Hyesan", "--currency", "USD", "--trim", "0.15")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: ")
    assert "h=1" in proc.stderr


def test_batch_over_cities_covers_every_series() -> None:
    proc = run("batch_over_cities.py")
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(io.StringIO(proc.stdout))
    obs_pairs = {("Hyesan", "CNY"), ("Hyesan", "USD"), ("Pyongyang", "CNY"), ("Sinuiju", "CNY")}
    assert obs_pairs <= set(zip(table["city"], table["currency"], strict=True))
    detected = table[table["skipped"].isna()]
    assert set(detected["city"] + "/" + detected["currency"]) == {"Hyesan/CNY", "Pyongyang/CNY",
                                                                    "Sinuiju/CNY"}
    assert detected.groupby("city").size().to_dict() == {"Hyesan": 4, "Pyongyang": 3, "Sinuiju": 3}
    hy_usd = table[(table["city"] == "Hyesan") & (table["currency"] == "USD")].iloc[0]
    assert hy_usd["n"] == 11
    assert hy_usd["skipped"] == "fewer than 20 dated reports"


def test_read_your_file_shows_accepted_and_quarantined_rows(tmp_path: Path) -> None:
    proc = run("read_your_file.py")
    assert proc.returncode == 0, proc.stderr
    assert "Quarantined rows (2 of 6):" in proc.stdout
    assert "rate is zero" in proc.stdout
    assert "date is not a date" in proc.stdout
    assert "1125.0    1100.0     1150.0" in proc.stdout  # a range: midpoint, low and high kept
    assert "Sinuiju" in proc.stdout  # Sinŭiju written with a breve is recognised

    own = tmp_path / "mine.csv"
    own.write_text("date,city,rate\n2024-01-07,평양,8500\n2024-01-21,Pyongyang,oops\n", encoding="utf-8")
    proc = run("read_your_file.py", str(own), "--currency", "USD", "--source", "me")
    assert proc.returncode == 0, proc.stderr
    assert "Quarantined rows (1 of 2):" in proc.stdout
    assert "Pyongyang" in proc.stdout


def test_read_your_file_missing_file_is_an_error(tmp_path: Path) -> None:
    proc = run("read_your_file.py", str(tmp_path / "nope.csv"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
