import matplotlib.pyplot as plt
import pandas as pd
import pytest

from nkfx.datasets import load_events, simulate
from nkfx.errors import NkfxValueError
from nkfx.plotting import STATUS_COLOURS, plot_rates


@pytest.fixture
def sim_rates():
    return simulate(seed=2, sources={"Daily NK": 0.0}, outlier_prob=0.0, slip_prob=0.0).rates


def test_one_line_per_city_on_the_given_axes(sim_rates):
    fig, ax = plt.subplots()
    out = plot_rates(sim_rates, currency="USD", ax=ax)
    assert out is ax
    labels = sorted(line.get_label() for line in ax.get_lines())
    assert labels == ["Hyesan", "Pyongyang", "Sinuiju"]
    assert ax.get_ylabel() == "KPW per USD"
    assert ax.get_yscale() == "linear"
    # the y range covers the data (USD around 8000 * exp(+-0.5))
    lo, hi = ax.get_ylim()
    usd = sim_rates.loc[sim_rates["currency"] == "USD", "rate"]
    assert lo <= usd.min()
    assert hi >= usd.max()
    plt.close(fig)


def test_events_drawn_as_spans_coloured_by_status(sim_rates):
    events = load_events()
    ax = plot_rates(sim_rates, currency="CNY", log=True, events=events)
    spans = list(ax.patches)
    lo, hi = sim_rates["date"].min(), sim_rates["date"].max()
    expected = events[(events["end"] >= lo) & (events["start"] <= hi)]
    assert len(spans) == len(expected)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {f"event: {s}" for s in expected["status"]} <= set(legend)
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel() == "KPW per CNY (log scale)"
    colours = {tuple(round(c, 3) for c in p.get_facecolor()[:3]) for p in spans}
    assert len(colours) == expected["status"].nunique() <= len(STATUS_COLOURS)
    plt.close(ax.figure)


def test_thousands_separator_on_rate_axis(sim_rates):
    ax = plot_rates(sim_rates, currency="USD")
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert any("," in s for s in labels)
    plt.close(ax.figure)


def test_rows_without_city_are_points_not_a_line():
    rates = simulate(seed=1, sources={"Daily NK": 0.0}).rates
    rates = rates.assign(city=rates["city"].where(rates["city"] != "Hyesan", None))
    ax = plot_rates(rates, currency="CNY")
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert lines["(no city)"].get_linestyle() == "None"
    assert lines["Pyongyang"].get_linestyle() == "-"
    plt.close(ax.figure)


def test_errors_name_the_argument(sim_rates):
    with pytest.raises(NkfxValueError, match=r"rates holds currencies \['CNY', 'USD'\]; pass currency="):
        plot_rates(sim_rates)
    with pytest.raises(NkfxValueError, match="by must be one of 'city', 'source'; got 'town'"):
        plot_rates(sim_rates, currency="CNY", by="town")
    with pytest.raises(NkfxValueError, match=r"events is missing column\(s\) \['status'\]"):
        plot_rates(sim_rates, currency="CNY", events=pd.DataFrame({"start": [], "end": []}))


def test_input_not_mutated(sim_rates):
    before = sim_rates.copy(deep=True)
    plot_rates(sim_rates, currency="CNY", events=load_events())
    pd.testing.assert_frame_equal(sim_rates, before)
    plt.close("all")
