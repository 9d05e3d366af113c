"""The ``nkfx`` command line: outputs on stdout, one-line errors on stderr, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nkfx.cli import main
from nkfx.datasets import load_events


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_error(err: str) -> str:
    """The stderr of a failed command: exactly one line starting 'nkfx: error: ', no traceback."""
    lines = [ln for ln in err.splitlines() if not ln.startswith("nkfx: note:")]
    assert len(lines) == 1, err
    assert lines[0].startswith("nkfx: error: ")
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    """Three rows: two Hyesan yuan reports (two sources on one date) and one unreadable rate."""
    path = tmp_path / "small.csv"
    path.write_text("date,city,currency,rate,source\n"
                    "2022-01-02,Hyesan,CNY,800,Daily NK\n"
                    "2022-01-02,Hyesan,CNY,820,Asia Press\n"
                    "2022-01-09,Hyesan,USD,abc,Daily NK\n", encoding="utf-8")
    return path


@pytest.fixture
def step_csv(tmp_path: Path, rng: np.random.Generator) -> Path:
    """60 weekly Hyesan yuan rates, 5000 then 7000 KPW (first new date 2021-08-02), no currency column;
    and 12 Sinuiju dates (too few for a report)."""
    dates = pd.date_range("2021-01-04", periods=60, freq="W-MON")
    level = np.r_[np.full(30, 5000.0), np.full(30, 7000.0)] * np.exp(rng.normal(0, 0.01, 60))
    hyesan = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "city": "Hyesan", "rate": level.round(1)})
    sinuiju = pd.DataFrame({"date": dates[:12].strftime("%Y-%m-%d"), "city": "Sinuiju", "rate": 5100.0})
    path = tmp_path / "step.csv"
    pd.concat([hyesan, sinuiju]).to_csv(path, index=False)
    return path


# --- summary ------------------------------------------------------------------------------------

def test_summary_table(capsys: pytest.CaptureFixture[str], small_csv: Path) -> None:
    code, out, err = run(capsys, "summary", small_csv)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"{small_csv}: 3 rows read, 2 accepted, 1 quarantined"
    hyesan = [ln.split() for ln in lines if ln.split()[:2] == ["Hyesan", "CNY"]]
    assert hyesan[0][2:5] == ["2", "2022-01-02", "2022-01-02"]  # n, first, last
    assert "  quarantined: 1 row(s): rate is not a number" in lines


def test_summary_json_and_filter(capsys: pytest.CaptureFixture[str], small_csv: Path) -> None:
    code, out, _ = run(capsys, "summary", small_csv, "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["rows_read"], data["accepted"], data["quarantined"]) == (3, 2, 1)
    assert data["reasons"] == {"rate is not a number": 1}
    cny = [r for r in data["coverage"] if r["currency"] == "CNY"]
    assert cny == [{"city": "Hyesan", "currency": "CNY", "n": 2, "first": "2022-01-02",
                    "last": "2022-01-02", "sources": "Asia Press, Daily NK", "duplicates": 0,
                    "quarantined": 0}]
    # the file has a currency column: --currency filters instead of being a constant
    code, out, _ = run(capsys, "summary", small_csv, "--json", "--currency", "yuan")
    assert code == 0
    assert [r["currency"] for r in json.loads(out)["coverage"]] == ["CNY"]


def test_summary_currency_as_constant(capsys: pytest.CaptureFixture[str], step_csv: Path) -> None:
    code, out, _ = run(capsys, "summary", step_csv, "--json", "--currency", "CNY")
    assert code == 0
    coverage = {r["city"]: r["n"] for r in json.loads(out)["coverage"]}
    assert coverage == {"Hyesan": 60, "Sinuiju": 12}
    code, _, err = run(capsys, "summary", step_csv)
    assert code == 1
    assert one_error(err).startswith("nkfx: error: no currency column found")


# --- detect ------------------------------------------------------------------------------------

def test_detect_json_finds_the_break(capsys: pytest.CaptureFixture[str], step_csv: Path) -> None:
    code, out, err = run(capsys, "detect", step_csv, "--city", "Hyesan", "--currency", "CNY", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["n_breaks"] == 1
    assert (data["breaks"][0]["last_old"], data["breaks"][0]["first_new"]) == ("2021-07-26", "2021-08-02")
    assert data["method"] == "jumps"  # the library's default, as nkfx.detect(s)
    assert data["params"]["penalty"] == "auto"


def test_detect_table_and_pelt(capsys: pytest.CaptureFixture[str], step_csv: Path) -> None:
    code, out, _ = run(capsys, "detect", step_csv, "--city", "Hyesan", "--currency", "CNY",
                       "--method", "bai-perron", "--trim", "180D")
    assert code == 0
    assert "Structural breaks: bai-perron" in out
    assert "2021-08-02" in out
    code, out, _ = run(capsys, "detect", step_csv, "--city", "Hyesan", "--currency", "CNY",
                       "--method", "pelt", "--penalty", "mbic", "--json")
    assert code == 0
    data = json.loads(out)
    assert [b["first_new"] for b in data["breaks"]] == ["2021-08-02"]
    assert data["params"]["penalty"] == "mbic"


def test_detect_combines_reports_of_one_date(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                             rng: np.random.Generator) -> None:
    dates = pd.date_range("2021-01-04", periods=40, freq="W-MON").strftime("%Y-%m-%d")
    rate = np.r_[np.full(20, 800.0), np.full(20, 1000.0)] * np.exp(rng.normal(0, 0.01, 40))
    table = pd.DataFrame({"date": dates, "city": "Hyesan", "currency": "CNY", "rate": rate})
    extra = table.iloc[[3]].assign(rate=table["rate"].iloc[3] * 1.02)  # a second report, one date
    path = tmp_path / "two.csv"
    pd.concat([table, extra]).to_csv(path, index=False)
    code, out, err = run(capsys, "detect", path, "--city", "Hyesan", "--currency", "CNY", "--json")
    assert code == 0
    assert err == "nkfx: note: 1 date(s) had several reports; their median is used\n"
    data = json.loads(out)
    assert data["n_obs"] == 40
    assert data["breaks"][0]["first_new"] == "2021-05-24"


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--city", "Hyesan", "--currency", "CNY", "--method", "bai-perron", "--penalty", "3"], 2,
     "--penalty applies to --method jumps or pelt; got --method bai-perron"),
    (["--city", "Hyesan", "--currency", "CNY", "--penalty", "bic"], 2,
     "--penalty for --method jumps is auto or a number; got bic"),
    (["--city", "Hyesan", "--currency", "CNY", "--trim", "10"], 2,
     "--trim applies to --method bai-perron or pelt"),
    (["--city", "Hyesan", "--currency", "CNY", "--model", "trend"], 2,
     "--model applies to --method bai-perron; --method jumps has its own model"),
    (["--city", "Hyesan", "--currency", "CNY", "--max-breaks", "2"], 2,
     "--max-breaks applies to --method bai-perron; with --method jumps --penalty sets"),
    (["--city", "Hyesan", "--currency", "CNY", "--method", "pelt", "--max-breaks", "2"], 2,
     "--max-breaks applies to --method bai-perron"),
    (["--currency", "CNY"], 2, "detect needs --city and --currency"),
    (["--city", "Hyesan", "--currency", "CNY", "--method", "binseg"], 2,
     "argument --method: invalid choice: 'binseg'"),
    (["--city", "Hyesan", "--currency", "CNY", "--method", "bai-perron", "--trim", "often"], 2,
     "argument --trim: expected a fraction, a number of observations or a duration such as 180D; "
     "got 'often'"),
    (["--city", "Pyongyang", "--currency", "CNY"], 1,
     "no rows with --city Pyongyang; the frame has city in ['Hyesan', 'Sinuiju']"),
    (["--city", "Sinuiju", "--currency", "CNY", "--method", "bai-perron", "--trim", "0.45",
      "--max-breaks", "3"], 1,
     "max_breaks"),
])
def test_detect_errors(capsys: pytest.CaptureFixture[str], step_csv: Path, args: list[str], code: int,
                       message: str) -> None:
    got, out, err = run(capsys, "detect", step_csv, *args)
    assert got == code
    assert out == ""
    assert message in one_error(err)


def test_missing_file_and_unknown_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "summary", tmp_path / "nope.csv")
    assert code == 1
    assert one_error(err) == f"nkfx: error: file not found: '{tmp_path / 'nope.csv'}'"
    code, _, err = run(capsys, "smry", "x.csv")
    assert code == 2
    assert "argument COMMAND: invalid choice: 'smry'" in one_error(err)
    code, _, err = run(capsys)
    assert code == 2
    assert one_error(err) == ("nkfx: error: the following arguments are required: COMMAND "
                              "(see 'nkfx --help')")


# --- events, plot, report ---------------------------------------------------------------------

def test_events(capsys: pytest.CaptureFixture[str]) -> None:
    catalogue = load_events()
    code, out, _ = run(capsys, "events")
    assert code == 0
    assert len(out.splitlines()) == len(catalogue) + 1  # header + one line per event
    assert "hyesan_customs_rumour_2022" in out
    code, out, _ = run(capsys, "events", "--json")
    data = json.loads(out)
    assert [e["id"] for e in data] == catalogue["id"].tolist()
    first = catalogue.iloc[0]
    assert data[0]["start"] == first["start"].strftime("%Y-%m-%d")
    assert data[0]["status"] == first["status"]


def test_plot_writes_an_image(capsys: pytest.CaptureFixture[str], step_csv: Path, tmp_path: Path) -> None:
    target = tmp_path / "rates.png"
    code, out, err = run(capsys, "plot", step_csv, "-o", target, "--currency", "CNY", "--log", "--events",
                         "--credit", "Data: simulated")
    assert (code, err) == (0, "")
    assert out.strip() == str(target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_needs_one_currency(capsys: pytest.CaptureFixture[str], small_csv: Path, tmp_path: Path) -> None:
    code, _, err = run(capsys, "plot", small_csv, "-o", tmp_path / "x.png", "--rate-type", "any")
    assert code == 0  # the USD row was quarantined: only CNY remains
    code, _, err = run(capsys, "plot", small_csv, "-o", tmp_path / "x.png", "--rate-type", "bank")
    assert code == 1
    assert one_error(err) == ("nkfx: error: no rows with rate_type 'bank'; the file has ['market'] "
                              "(use --rate-type any to keep all)")
    code, _, err = run(capsys, "plot", small_csv)
    assert code == 2
    assert "the following arguments are required: -o/--output" in one_error(err)


def test_plot_draws_a_panel_per_currency(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    path.write_text("date,city,currency,rate,source\n2022-01-02,Hyesan,CNY,800,Daily NK\n"
                    "2022-01-09,Hyesan,CNY,820,Daily NK\n2022-01-02,Hyesan,USD,8000,Daily NK\n",
                    encoding="utf-8")
    target = tmp_path / "x.svg"
    code, out, err = run(capsys, "plot", path, "-o", target)
    assert (code, err, out.strip()) == (0, "", str(target))
    svg = target.read_text(encoding="utf-8")
    assert "KPW per CNY" in svg
    assert "KPW per USD" in svg
    code, _, err = run(capsys, "plot", path, "-o", tmp_path / "one.svg", "--currency", "USD")
    assert code == 0
    one = (tmp_path / "one.svg").read_text(encoding="utf-8")
    assert "KPW per USD" in one
    assert "KPW per CNY" not in one


@pytest.mark.parametrize(("name", "message"), [
    ("out.txt", "-o must name a .png, .svg or .pdf file; got '{dir}/out.txt'"),
    ("missing/out.png", "-o: folder '{dir}/missing' does not exist"),
])
def test_plot_output_is_checked_before_any_work(capsys: pytest.CaptureFixture[str], step_csv: Path,
                                                tmp_path: Path, name: str, message: str) -> None:
    code, out, err = run(capsys, "plot", step_csv, "--currency", "CNY", "-o", tmp_path / name)
    assert (code, out) == (2, "")
    assert one_error(err) == "nkfx: error: " + message.format(dir=tmp_path)


def test_report_folder(capsys: pytest.CaptureFixture[str], step_csv: Path, tmp_path: Path) -> None:
    folder = tmp_path / "report"
    code, out, err = run(capsys, "report", step_csv, "-o", folder, "--currency", "CNY",
                         "--method", "bai-perron")
    assert code == 0
    assert "skipped Sinuiju CNY: 12 report date(s), fewer than --min-obs 20" in out
    assert out.splitlines()[-1] == f"report written to {folder.resolve()} (1 series analysed, 1 skipped)"
    assert "[1/1] Hyesan CNY: detecting breaks" in err
    assert sorted(p.name for p in folder.iterdir()) == [
        "Hyesan_CNY.json", "Hyesan_CNY.png", "rates_CNY.png", "results.json", "summary.md"]
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert [b["first_new"] for b in results["Hyesan/CNY"]["breaks"]] == ["2021-08-02"]
    assert json.loads((folder / "Hyesan_CNY.json").read_text(encoding="utf-8")) == results["Hyesan/CNY"]
    md = (folder / "summary.md").read_text(encoding="utf-8")
    # the jump between the last old report (2021-07-26) and the first new one leads; the
    # difference of regime means follows
    rates = pd.read_csv(step_csv).query("city == 'Hyesan'").set_index("date")["rate"]
    jump = 100 * (rates["2021-08-02"] / rates["2021-07-26"] - 1)
    means = results["Hyesan/CNY"]["breaks"][0]["jump_pct"]
    assert 30 < jump < 50
    assert (f"| Hyesan | CNY | 60 | 2021-08-02 ({jump:+.0f}% between reports; regime means {means:+.0f}%) "
            "| [Hyesan_CNY.png](Hyesan_CNY.png) | analysed |") in md
    assert "| Sinuiju | CNY | 12 |  |  | skipped: 12 report date(s), fewer than --min-obs 20 |" in md
    assert (folder / "Hyesan_CNY.png").read_bytes()[:4] == b"\x89PNG"


def test_report_default_is_jumps(capsys: pytest.CaptureFixture[str], step_csv: Path,
                                 tmp_path: Path) -> None:
    code, _, _ = run(capsys, "report", step_csv, "-o", tmp_path / "j", "--currency", "CNY")
    assert code == 0
    md = (tmp_path / "j" / "summary.md").read_text(encoding="utf-8")
    assert "Breaks by `nkfx.detect(method='jumps'" in md
    row = next(ln for ln in md.splitlines() if ln.startswith("| Hyesan | CNY | 60 |"))
    assert "2021-08-02 (+" in row
    assert "between reports)" in row
    assert "regime means" not in row


def test_report_skips_a_series_detection_rejects(capsys: pytest.CaptureFixture[str], step_csv: Path,
                                                 tmp_path: Path) -> None:
    code, out, _ = run(capsys, "report", step_csv, "-o", tmp_path / "r", "--currency", "CNY",
                       "--min-obs", "12", "--method", "bai-perron", "--trim", "10")
    assert code == 0
    # nkfx.detect's own reason is passed on (12 dates cannot hold two segments of 10)
    (line,) = [ln for ln in out.splitlines() if ln.startswith("skipped Sinuiju CNY: ")]
    assert "cannot hold two segments of h=10" in line
    md = (tmp_path / "r" / "summary.md").read_text(encoding="utf-8")
    assert f"| Sinuiju | CNY | 12 |  |  | skipped: {line.split(': ', 1)[1]} |" in md
    assert "| Hyesan | CNY | 60 | 2021-08-02 (+" in md
    code, _, err = run(capsys, "report", step_csv, "-o", tmp_path / "r", "--min-obs", "1")
    assert code == 2
    assert one_error(err) == "nkfx: error: --min-obs must be at least 2; got 1"


def test_warnings_go_to_stderr(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "atlantis.csv"
    path.write_text("date,city,currency,rate,source\n2022-01-02,Atlantis,CNY,800,Daily NK\n",
                    encoding="utf-8")
    code, out, err = run(capsys, "summary", path)
    assert code == 0
    assert "Atlantis" in out
    assert err.startswith("nkfx: warning: 1 city name(s) not in nkfx's gazetteer")


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.startswith("nkfx ")
    proc = subprocess.run([sys.executable, "-m", "nkfx", "--help"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: nkfx")
    for command in ("summary", "detect", "events", "plot", "report"):
        assert command in proc.stdout


def test_rows_of_another_rate_type_are_reported_not_silently_dropped(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text("date,city,currency,rate,source,rate_type\n"
                    "2022-01-02,Hyesan,CNY,800,Daily NK,market\n"
                    "2022-01-03,Hyesan,CNY,700,Daily NK,bank\n"
                    "2022-01-04,Hyesan,CNY,810,Daily NK,market\n", encoding="utf-8")
    code, _, err = run(capsys, "plot", path, "-o", tmp_path / "a.png")
    assert code == 0
    assert err == ("nkfx: note: 1 row(s) with rate_type other than 'market' left out "
                   "(use --rate-type any to keep all)\n")
    code, _, err = run(capsys, "plot", path, "-o", tmp_path / "b.png", "--rate-type", "any")
    assert code == 0
    assert err == ""


# --- first contact: errors in the command line's words, new commands ---------------------------

def test_report_into_an_existing_file(capsys: pytest.CaptureFixture[str], step_csv: Path,
                                      tmp_path: Path) -> None:
    existing = tmp_path / "taken"
    existing.write_text("x", encoding="utf-8")
    code, out, err = run(capsys, "report", step_csv, "--currency", "CNY", "-o", existing)
    assert (code, out) == (2, "")
    assert one_error(err) == (f"nkfx: error: -o '{existing}' is a file; give a folder "
                              "(it is created if missing)")


def test_header_only_and_all_quarantined(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    header = tmp_path / "h.csv"
    header.write_text("date,city,currency,rate\n", encoding="utf-8")
    code, out, _ = run(capsys, "summary", header)
    assert code == 0
    assert out.splitlines() == [f"{header}: 0 rows read, 0 accepted, 0 quarantined",
                                "  (no rows: the file has a header only)"]
    code, _, err = run(capsys, "detect", header, "--city", "Hyesan", "--currency", "CNY")
    assert code == 1
    assert one_error(err) == "nkfx: error: the file has no rows (a header only?)"
    bad = tmp_path / "bad.csv"
    bad.write_text("date,city,currency,rate\n2022-01-01,Hyesan,CNY,abc\n", encoding="utf-8")
    code, _, err = run(capsys, "detect", bad, "--city", "Hyesan", "--currency", "CNY")
    assert code == 1
    assert one_error(err) == ("nkfx: error: no row of the file could be read: 1 of 1 quarantined: "
                              "row 0 (rate): rate is not a number ('abc') (rows are counted from 0 "
                              "after the header; 'nkfx summary' lists them)")


def test_library_hints_in_flags(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text("date,city,currency,rate,source\n2009-10-01,Hyesan,USD,3000,Daily NK\n",
                    encoding="utf-8")
    code, _, err = run(capsys, "summary", path)
    assert code == 1
    line = one_error(err)
    assert "--old-won divide (old won: divide rates by 100), --old-won keep" in line
    assert "old_won" not in line
    table = tmp_path / "table.csv"
    table.write_text("date,cny_kpw\n2022-01-01,900\n", encoding="utf-8")
    code, _, err = run(capsys, "summary", table, "--currency", "CNY")
    assert code == 1
    assert one_error(err).endswith("name it with --column rate=COLUMN")
    code, out, _ = run(capsys, "summary", table, "--currency", "CNY", "--column", "rate=cny_kpw",
                       "--source-name", "Asia Press")
    assert code == 0
    assert out.splitlines()[0] == f"{table}: 1 rows read, 1 accepted, 0 quarantined"
    code, _, err = run(capsys, "summary", table, "--column", "rate")
    assert code == 2
    assert "argument --column: expected FIELD=COLUMN such as rate=cny_kpw; got 'rate'" in one_error(err)


def test_bundled_data(capsys: pytest.CaptureFixture[str], small_csv: Path) -> None:
    from nkfx.datasets import observations_path

    code, out, _ = run(capsys, "data", "path")
    assert (code, out.strip()) == (0, str(observations_path()))
    code, out, _ = run(capsys, "data", "path", "events")
    assert Path(out.strip()).name == "events.csv"
    code, out, _ = run(capsys, "summary", "--bundled", "--json")
    assert code == 0
    assert json.loads(out)["file"] == str(observations_path())
    code, _, err = run(capsys, "summary", small_csv, "--bundled")
    assert code == 2
    assert one_error(err).startswith("nkfx: error: give FILE or --bundled, not both")
    code, _, err = run(capsys, "summary")
    assert code == 2
    assert one_error(err) == ("nkfx: error: summary needs FILE or --bundled "
                              "(see 'nkfx summary --help')")


def test_event_study_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "event-study", "--bundled", "hyesan_customs_rumour_2022",
                       "--city", "Hyesan", "--currency", "CNY", "-o", tmp_path / "study.png")
    assert code == 0
    assert "jump +31.8% (+0.276 log points): 850 on 2022-11-27 -> 1,120 on 2022-12-12" in out
    assert (tmp_path / "study.png").read_bytes()[:4] == b"\x89PNG"
    code, out, _ = run(capsys, "event-study", "--bundled", "hyesan_customs_rumour_2022",
                       "--city", "Hyesan", "--currency", "CNY", "--json")
    assert json.loads(out)["results"][0]["event_id"] == "hyesan_customs_rumour_2022"
    code, _, err = run(capsys, "event-study", "--bundled", "hyesan_customs_rumor_2022",
                       "--city", "Hyesan", "--currency", "CNY")
    assert code == 1
    assert ("unknown event id(s) ['hyesan_customs_rumor_2022'] ('hyesan_customs_rumor_2022': "
            "did you mean 'hyesan_customs_rumour_2022'?)") in one_error(err)
    code, _, err = run(capsys, "event-study", "--bundled", "hyesan_customs_rumour_2022")
    assert code == 2
    assert one_error(err) == ("nkfx: error: event-study needs --city and --currency "
                              "(see 'nkfx event-study --help')")


def test_probability_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "probability", "--bundled", "--city", "Hyesan", "--currency", "CNY",
                       "--window", "2022-10-26", "2022-12-25")
    assert code == 0
    assert out.splitlines()[-1] == ("P(at least one change between 2022-10-26 and 2022-12-25) "
                                    "= 0.731")
    code, out, _ = run(capsys, "probability", "--bundled", "--city", "Hyesan", "--currency", "CNY",
                       "--window", "2022-10-26", "2022-12-25", "--json")
    assert json.loads(out)["window"]["probability"] == pytest.approx(0.731, abs=5e-4)


def test_match_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "match", "--bundled", "--city", "Pyongyang", "--currency", "CNY")
    assert code == 0
    assert "break 2022-01-24: 8 days after freight_train_resumes_2022 (matched)" in out
    code, out, _ = run(capsys, "match", "--bundled", "--city", "Pyongyang", "--currency", "CNY",
                       "--events", "freight_train_resumes_2022", "--tolerance", "30D", "--json")
    data = json.loads(out)
    assert data["recall"] == 1.0


def test_detect_bai_perron_options(capsys: pytest.CaptureFixture[str], step_csv: Path) -> None:
    code, out, _ = run(capsys, "detect", step_csv, "--city", "Hyesan", "--currency", "CNY",
                       "--method", "bai-perron", "--n-breaks", "1", "--hac", "--level", "0.9",
                       "--json")
    assert code == 0
    data = json.loads(out)
    assert [b["first_new"] for b in data["breaks"]] == ["2021-08-02"]
    assert data["params"]["hac"] is True
    assert data["params"]["level"] == 0.9
    code, _, err = run(capsys, "detect", step_csv, "--city", "Hyesan", "--currency", "CNY",
                       "--n-breaks", "2", "--hac")
    assert code == 2
    assert one_error(err) == ("nkfx: error: --n-breaks, --hac apply to --method bai-perron; "
                              "got --method jumps")
    code, _, err = run(capsys, "detect", step_csv, "--city", "Hyesan", "--currency", "CNY",
                       "--method", "bai-perron", "--n-breaks", "many")
    assert code == 2
    assert "argument --n-breaks: expected bic, lwz, sequential or a number; got 'many'" in one_error(err)


def test_report_of_the_bundled_data(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "report", "--bundled", "-o", tmp_path / "rep")
    assert code == 0
    assert out.splitlines()[-1] == f"report written to {tmp_path / 'rep'} (3 series analysed, 12 skipped)"
    text = (tmp_path / "rep" / "summary.md").read_text(encoding="utf-8")
    assert text.startswith("# nkfx report: the bundled observations")
    assert "2022-12-12 (+32% between reports)" in text


def test_a_bug_is_one_line_not_a_traceback(capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch, step_csv: Path) -> None:
    import nkfx.cli

    def broken(args: object) -> int:
        raise KeyError("oops")

    monkeypatch.setattr(nkfx.cli, "cmd_summary", broken)
    code, _, err = run(capsys, "summary", step_csv)
    assert code == 3
    assert one_error(err) == ("nkfx: error: unexpected KeyError: 'oops' (a bug in nkfx: please report "
                              "it with the command; NKFX_DEBUG=1 shows the traceback)")
    monkeypatch.setenv("NKFX_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["summary", str(step_csv)])


HOSTILE_CITIES = ["../../escape", "/etc/passwd", "a\x00b", "x" * 300, "혜산", "평양", "a|b",
                  "=cmd|' /C calc'!A0", "C:\\Windows", ".."]


def test_report_keeps_every_file_in_the_folder_whatever_a_city_is_called(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # issue 18: names with ../, /, NUL, 300 characters or no ASCII letter at all
    dates = pd.date_range("2021-01-04", periods=24, freq="W-MON").strftime("%Y-%m-%d")
    rows = [pd.DataFrame({"date": dates, "city": city, "currency": "CNY",
                          "rate": np.r_[np.full(12, 5000.0), np.full(12, 7000.0)] + i})
            for i, city in enumerate(HOSTILE_CITIES)]
    path = tmp_path / "in" / "hostile.csv"
    path.parent.mkdir()
    pd.concat(rows).to_csv(path, index=False)
    folder = tmp_path / "out" / "report"
    code, _, err = run(capsys, "report", path, "-o", folder, "--min-obs", "20")
    assert code == 0, err
    written = sorted(tmp_path.rglob("*"))
    assert {p for p in written if p.parent != folder} == {path.parent, path, folder.parent, folder}
    names = [p.name for p in folder.iterdir()]
    assert all(len(n.encode()) <= 100 and "/" not in n and "\\" not in n and "\x00" not in n
               for n in names)
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert len(results) == len(HOSTILE_CITIES)  # no two series share a file
    assert len([n for n in names if n.endswith("_CNY.json")]) == len(HOSTILE_CITIES)
    md = (folder / "summary.md").read_text(encoding="utf-8")
    assert "| a\\|b | CNY | 24 |" in md
    assert "\x00" not in md
