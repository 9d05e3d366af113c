"""Every result's summary() is one type: text to read, LaTeX for papers, HTML (issue 15)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

import nkfx
from nkfx.datasets import load_observations, simulate
from nkfx.detect.common import common_example
from nkfx.markets import _example_rates, spread_band, spread_half_life
from nkfx.premium import premium
from nkfx.prices import pass_through, simulate_pass_through
from nkfx.summary import Summary


def _results() -> dict[str, Any]:
    sim = simulate(seed=0)
    yuan = nkfx.combine(load_observations())
    hyesan = yuan.query("city == 'Hyesan' and currency == 'CNY'").set_index("date")["rate"]
    market = pd.DataFrame({"date": pd.to_datetime(["2013-11-13", "2016-02-12"]), "city": "Hyesan",
                           "currency": "USD", "rate": [8180.0, 8210.0], "source": "Daily NK"})
    prices, rates = simulate_pass_through(n_months=60, seed=0)
    return {
        "Breaks": nkfx.detect(hyesan, "bai-perron"),
        "TestResult": nkfx.chow_test(hyesan, at="2020-01-31"),
        "CommonBreaks": nkfx.detect_common(common_example(), currency="USD", n_boot=0),
        "EventStudy": nkfx.event_study(yuan, "hyesan_customs_rumour_2022", city="Hyesan",
                                       currency="CNY", n_placebo=20),
        "BreakMatch": nkfx.match_breaks(["2022-01-24"], "freight_train_resumes_2022"),
        "ChangeProbability": nkfx.change_probability(hyesan),
        "SourceBias": nkfx.source_bias(sim.rates),
        "Simulation": sim,
        "Resampled": nkfx.resample(sim.rates.query("currency == 'CNY' and source == 'Daily NK'"),
                                   "W-SUN", wide=True),
        "Premium": premium(market),
        "PassThrough": pass_through(prices, rates, currency="USD", breaks=False),
        "HalfLife": spread_half_life(_example_rates(), "Hyesan", "Pyongyang", currency="CNY"),
        "BandTAR": spread_band(_example_rates(n=200), "Hyesan", "Pyongyang", currency="CNY", n_boot=19),
    }


RESULTS = _results()


@pytest.mark.parametrize("name", list(RESULTS))
def test_summary_is_one_type_with_latex_and_html(name: str) -> None:
    res = RESULTS[name]
    assert type(res).__name__ == name
    s = res.summary()
    assert isinstance(s, Summary)
    assert isinstance(s, str)
    assert s.as_text() == str(s)
    assert len(s.splitlines()) >= 1
    latex = s.as_latex()
    # every table a tabular, balanced environments, no bare specials outside commands
    assert latex.count("\\begin{tabular}") == len(s.tables) >= 1
    assert latex.count("\\begin{") == latex.count("\\end{")
    body = "\n".join(line for line in latex.splitlines() if not line.startswith("%"))  # comments
    assert not re.search(r"(?<!\\)[%#$_]", body)  # every special character escaped
    html = s.as_html()
    assert html.startswith("<")
    assert "<table" in html
    assert res._repr_html_().startswith("<")


def test_every_result_has_the_whole_protocol() -> None:
    import json

    from nkfx.batch import BatchResult
    from nkfx.batch.power import PowerStudy
    from nkfx.ingest.result import Ingest

    classes = [type(r) for r in RESULTS.values()] + [Ingest, BatchResult, PowerStudy]
    for cls in classes:
        missing = [m for m in ("summary", "to_frame", "to_dict", "plot", "_repr_html_")
                   if not callable(getattr(cls, m, None))]
        assert missing == [], cls.__name__
    for name, res in RESULTS.items():
        json.dumps(res.to_dict(), allow_nan=False)  # plain JSON types, no NaN
        assert isinstance(res.to_frame(), pd.DataFrame), name


def test_names_are_text_not_markup() -> None:
    # A series or city named like markup must not become markup in a notebook or a paper.
    rate = np.exp(RESULTS["Breaks"].series).rename("<script>x</script> & 100%")  # log -> KPW
    s = nkfx.detect(rate, "bai-perron").summary()
    assert "<script>" not in s.as_html()
    assert "&lt;script&gt;" in s.as_html()
    assert "100\\%" in s.as_latex()
    assert "<th>" in s.as_html()  # header rows stay headers


def test_latex_carries_the_results_numbers() -> None:
    # Daily NK's Hyesan yuan reports bracket the 2022 customs rumour: 850 (2022-11-27) then
    # 1,120 (2022-12-12), a jump of 1120 / 850 - 1 = 31.76%; the table a paper gets says so.
    latex = RESULTS["EventStudy"].summary().as_latex()
    row = next(line for line in latex.splitlines() if line.startswith("hyesan"))
    assert "2022-11-27" in row
    assert "2022-12-12" in row
    assert f"{100 * (1120 / 850 - 1):.4g}" in row  # 31.76
    breaks = RESULTS["Breaks"]
    first = breaks.breaks["first_new"].iloc[0].strftime("%Y-%m-%d")
    assert first in breaks.summary().as_latex()
    assert first in breaks.summary().as_html()


def test_bad_input_is_refused_by_name() -> None:
    with pytest.raises(nkfx.NkfxTypeError, match="text must be a str; got int"):
        Summary.from_text(3)  # type: ignore[arg-type]
    with pytest.raises(nkfx.NkfxTypeError, match="tables must map titles to DataFrames; got list"):
        Summary.from_text("x", [pd.DataFrame()])  # type: ignore[arg-type]
    with pytest.raises(nkfx.NkfxTypeError, match=r"tables\['Breaks'\] must be a pandas DataFrame; got list"):
        Summary.from_text("x", {"Breaks": [1, 2]})  # type: ignore[dict-item]
    with pytest.raises(nkfx.NkfxTypeError, match=r"summary must be a statsmodels Summary .*; got str"):
        Summary.from_statsmodels("x")
    sim = RESULTS["Simulation"]
    with pytest.raises(nkfx.NkfxValueError, match=r"no rows with currency='EUR'; the frame has currency"):
        sim.plot(currency="EUR")
    with pytest.raises(nkfx.NkfxTypeError, match="ax must be a matplotlib Axes; got str"):
        sim.plot(ax="x")  # type: ignore[arg-type]
