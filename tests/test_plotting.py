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
    eras = expected["end"] - expected["start"] > pd.Timedelta("365D")
    assert eras.sum() == 1  # "stabilisation 2013-2023" is an era, not a span
    assert len(spans) == (~eras).sum()
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == eras.sum()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {f"event: {s}" for s in expected["status"]} <= set(legend)
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel() == "KPW per CNY (log scale)"
    colours = {tuple(round(c, 3) for c in p.get_facecolor()[:3]) for p in spans}
    assert len(colours) == expected["status"].nunique() <= len(STATUS_COLOURS)
    plt.close(ax.figure)


def test_long_silences_are_not_joined():
    dates = pd.to_datetime(["2020-01-01", "2020-01-15", "2020-12-01", "2020-12-15"])
    rates = pd.DataFrame({"date": dates, "city": "Hyesan", "currency": "CNY",
                          "rate": [900.0, 910.0, 700.0, 690.0], "source": "Daily NK"})
    ax = plot_rates(rates, currency="CNY")
    y = ax.get_lines()[0].get_ydata()
    assert len(y) == 5
    assert pd.isna(y[2])  # a break inserted in the 10-month gap
    ax2 = plot_rates(rates, currency="CNY", max_gap=None)
    assert len(ax2.get_lines()[0].get_ydata()) == 4
    plt.close("all")


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
