import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest

from nkfx._demo import main
from nkfx._demo_story import EVENT_ID, MIN_OBS

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, str]:
    out = tmp_path_factory.mktemp("demo") / "report"
    buffer = io.StringIO()  # a module-scoped fixture cannot use capsys
    with contextlib.redirect_stdout(buffer):
        assert main(["--out", str(out)]) == 0
    return out, buffer.getvalue()


def test_demo_prints_progress_and_names_the_folder(report) -> None:
    out, text = report
    assert "Report folder:" in text
    assert str(out.resolve()) in text
    assert "[1/6]" in text
    assert "[6/6]" in text
    assert text.rstrip().splitlines()[-1].startswith("  - ")  # the files are listed last


def test_demo_writes_the_coverage_table(report) -> None:
    out, _ = report
    cov = pd.read_csv(out / "coverage.csv")
    assert cov["n"].sum() == 255
    hyesan = cov[(cov["city"] == "Hyesan") & (cov["currency"] == "CNY")].iloc[0]
    assert hyesan["n"] == 46
    assert cov["quarantined"].sum() == 0  # every bundled row is accepted
    assert len(pd.read_csv(out / "quarantine.csv")) == 0


def test_demo_writes_the_figures(report) -> None:
    out, _ = report
    png = out / "rates_by_city.png"
    assert png.read_bytes()[:8] == PNG
    assert png.stat().st_size > 50_000
    for name in ("hyesan_story.png", "breaks_hyesan_cny.png", "event_study.png",
                 "change_probability_hyesan_cny.png"):
        assert (out / name).read_bytes()[:8] == PNG, name
        assert (out / name).stat().st_size > 20_000, name


def test_results_json_tells_the_hyesan_story(report) -> None:
    out, _ = report
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert res["data"] == {"rows_read": 255, "accepted": 255, "quarantined": 0, "market_rows": 249}
    # Hyesan yuan (44 dates after combining same-day reports): a break between the two
    # Daily NK reports that bracket the rumour, 850 on 2022-11-27 -> 1,120 on 2022-12-12
    hy = res["breaks"]["Hyesan/CNY"]
    assert hy["n_obs"] == 44
    near = [b for b in hy["breaks"] if b["last_old"] == "2022-11-27"]
    assert len(near) == 1
    assert near[0]["first_new"] == "2022-12-12"
    assert 40 < near[0]["jump_pct"] < 70
    # dollar series are too short for a break search, and say so
    assert res["breaks"]["Hyesan/USD"]["skipped"].startswith("11 dated reports")
    assert all(v.get("skipped") for k, v in res["breaks"].items() if k.endswith("USD"))
    assert all(("skipped" in v) == (v.get("n_obs", 0) < MIN_OBS) for v in res["breaks"].values())
    # event study: the rumour's date is 'approx' (+-7 days), so the report of 27 Nov is in the band;
    # the jump is between the reports that bracket the move, 850 -> 1,120 (+31.8%)
    rows = {(r["city"], r["currency"]): r for r in res["event_study"]["results"]}
    assert all(r["event_id"] == EVENT_ID for r in rows.values())
    hy = rows[("Hyesan", "CNY")]
    assert (hy["before_date"], hy["before_rate"], hy["after_date"], hy["after_rate"]) == (
        "2022-11-27", 850.0, "2022-12-12", 1120.0)
    assert hy["jump_pct"] == pytest.approx(100 * (1120 / 850 - 1))
    assert hy["jump_placebo_pvalue"] == pytest.approx(25 / 501)
    assert (hy["n_pre"], hy["n_post"], hy["n_band"]) == (4, 4, 1)  # default windows: 4 reports a side
    assert hy["change"] == pytest.approx(np.log([1120, 1210, 1230, 1230]).mean()
                                         - np.log([890, 830, 920, 900]).mean())
    assert hy["placebo_pvalue"] == pytest.approx(235 / 501)
    # the dollar: reports 506 days apart around the rumour, and the note says so
    usd = rows[("Hyesan", "USD")]
    assert usd["bracket_days"] == 506.0
    assert "506 days apart" in usd["note"]
    # change probability within +-30 days, for three priors; it falls as regimes are expected longer
    cp = {r["series"]: r for r in res["change_probability"]["by_expected_run"]}
    assert res["change_probability"]["window"] == ["2022-10-26", "2022-12-25"]
    h = cp["Hyesan/CNY"]
    assert 0.5 < h["180D"] < 0.95
    assert h["90D"] > h["180D"] > h["365D"]
    assert cp["Hyesan/USD"]["180D"] is None  # no report in the window


def test_report_md_has_conclusions_and_links_the_figures(report) -> None:
    out, _ = report
    md = (out / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# nkfx demo: the Hyesan customs rumour")
    assert "## Conclusions" in md
    assert "cannot be tested" in md
    assert "Hyesan and Pyongyang cannot be told apart" in md
    for name in ("rates_by_city.png", "hyesan_story.png", "breaks_hyesan_cny.png"):
        assert f"]({name})" in md
    assert "| Hyesan | CNY | 46 |" in md  # coverage table
    # every headline leads with the jump between the bracketing reports, regime means beside it
    assert ("- Hyesan/CNY at the rumour: the yuan jumps +32% between the reports of 2022-11-27 (850) "
            "and 2022-12-12 (1,120), 15 days apart (placebo p 0.05); the mean of the 4 reports before "
            "and of the 4 after differ by +35% (placebo p 0.47") in md
    assert ("- Hyesan/CNY: the break nearest the rumour lies between the reports of 2022-11-27 and "
            "2022-12-12, which jump by +32% (regime means: +56%)") in md
    assert "| 3 | 2022-11-27 | 2022-12-12 | 2022-07-18 | 2022-12-12 | +32 | +56 |" in md
    assert "| Hyesan | CNY | 2022-11-27 | 850 | 2022-12-12 | 1,120 | 15 | +31.8 | 0.050 |" in md
