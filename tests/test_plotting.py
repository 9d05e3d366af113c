import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection, PolyCollection

from nkfx.clean import combine
from nkfx.datasets import load_events, simulate
from nkfx.detect import detect
from nkfx.errors import NkfxTypeError, NkfxValueError
from nkfx.events import event_study
from nkfx.events.probability import change_probability
from nkfx.plotting import (
    STATUS_COLOURS,
    plot_breaks,
    plot_cities,
    plot_event_study,
    plot_probability,
    plot_rates,
)
from nkfx.resampling import resample


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
    # the era starts in 2013, before the data (2018-): no dashed line drags the axis back (issue 16)
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert dashed == []
    assert ax.get_xlim()[0] >= plt.matplotlib.dates.date2num(lo - pd.Timedelta("365D"))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    words = {"confirmed": "confirmed event", "reported": "reported event", "rumour": "rumoured event"}
    assert {words[s] for s in expected["status"]} <= set(legend)
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


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def frame(dates, rates, city="Hyesan", source="Daily NK", currency="CNY"):
    n = len(dates)
    return pd.DataFrame({"date": pd.to_datetime(dates), "city": [city] * n if isinstance(city, str) else city,
                         "currency": currency, "rate": rates,
                         "source": [source] * n if isinstance(source, str) else source})


# --- plot_rates: conflicting sources, combined and resampled frames -------------------------

def test_several_reports_of_one_date_are_marked_and_the_line_takes_their_median():
    rates = frame(["2022-01-02", "2022-01-09", "2022-01-09", "2022-01-09", "2022-01-16"],
                  [800.0, 900.0, 960.0, 1000.0, 990.0],
                  source=["Daily NK", "Daily NK", "Asia Press", "RFA", "Daily NK"])
    ax = plot_rates(rates, currency="CNY")
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), [800.0, 960.0, 990.0])  # median of 900, 960, 1000
    (marks,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    np.testing.assert_allclose(sorted(marks.get_offsets()[:, 1]), [900.0, 960.0, 1000.0])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Hyesan", "several reports, one date"]


def test_combined_frame_shows_the_range_across_sources():
    rates = frame(["2022-01-02", "2022-01-09", "2022-01-09"], [800.0, 900.0, 1000.0],
                  source=["Daily NK", "Daily NK", "Asia Press"])
    ax = plot_rates(combine(rates), currency="CNY")
    (bars,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    (segment,) = bars.get_segments()
    np.testing.assert_allclose(segment[:, 1], [900.0, 1000.0])
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [800.0, 950.0])
    assert "range across sources" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_resampled_frame_draws_filled_bins_hollow_and_missing_bins_as_gaps():
    rates = frame(["2024-01-07", "2024-02-04", "2024-06-02"], [100.0, 400.0, 500.0])
    weekly = resample(rates, "W-SUN", max_gap="35D")
    assert (weekly["status"] == "missing").sum() > 0
    ax = plot_rates(weekly, currency="CNY", max_gap=None)
    main, hollow = ax.get_lines()
    # log-linear interpolation between 100 and 400 over four weeks (resample's docstring)
    np.testing.assert_allclose(hollow.get_ydata(), [100 * 2**0.5, 200.0, 400 / 2**0.5])
    assert hollow.get_markerfacecolor() == "none"
    assert hollow.get_linestyle() == "None"
    # the legend entry is one grey hollow marker for every city (each city's marks keep its colour)
    (entry,) = [h for h in ax.get_legend().legend_handles if h.get_label() == "filled (interpolated)"]
    assert entry.get_markerfacecolor() == "none"
    y = np.asarray(main.get_ydata(), dtype=float)
    assert np.isnan(y).sum() == (weekly["status"] == "missing").sum()  # the silence is a gap
    marked = np.flatnonzero(main.get_markevery())
    np.testing.assert_allclose(y[marked], [100.0, 400.0, 500.0])  # solid markers: observed only


def test_log_axis_has_readable_ticks_within_one_decade():
    rates = frame(pd.date_range("2022-01-02", periods=6, freq="7D"), [600, 800, 1100, 1500, 2100, 2900])
    ax = plot_rates(rates, currency="CNY", log=True)
    ax.figure.canvas.draw()
    labels = {t.get_text() for t in ax.get_yticklabels() if t.get_text()}
    assert {"1,000", "2,000"} <= labels


def test_plot_rates_rejects_contradictions_and_bad_axes(sim_rates):
    with pytest.raises(NkfxValueError, match=r"by='source' draws one line per source of one city; "
                       r"pass city= one of \['Hyesan', 'Pyongyang', 'Sinuiju'\]"):
        plot_rates(sim_rates, currency="CNY", by="source")
    with pytest.raises(NkfxTypeError, match="ax must be a matplotlib Axes; got str"):
        plot_rates(sim_rates, currency="CNY", ax="left")
    ax = plot_rates(sim_rates, currency="CNY", city="Hyesan", by="source")
    assert [ln.get_label() for ln in ax.get_lines()] == ["Daily NK"]


def test_credit_is_written_under_the_axes(sim_rates):
    ax = plot_rates(sim_rates, currency="CNY", credit="Data: Daily NK")
    assert [t.get_text() for t in ax.texts] == ["Data: Daily NK"]


# --- plot_cities ------------------------------------------------------------------------------

def test_small_multiples_one_panel_per_city_on_a_shared_date_axis(sim_rates):
    axes = plot_cities(sim_rates, currency="CNY", events=load_events(), credit="Data: simulated")
    cny = sim_rates[sim_rates["currency"] == "CNY"]
    counts = cny["city"].value_counts()
    assert [ax.get_title(loc="left") for ax in axes] == sorted(counts.index, key=lambda c: (-counts[c], c))
    assert len({ax.get_xlim() for ax in axes}) == 1
    lo, hi = axes[0].get_xlim()
    assert lo <= plt.matplotlib.dates.date2num(cny["date"].min())
    assert hi >= plt.matplotlib.dates.date2num(cny["date"].max())
    for ax in axes:
        (line,) = [ln for ln in ax.get_lines() if ln.get_label() == ax.get_title(loc="left")]
        part = cny[cny["city"] == ax.get_title(loc="left")]
        assert np.nanmax(line.get_ydata()) == pytest.approx(part["rate"].max())
    legend = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert all(t.endswith(" event") for t in legend)  # the city is the title, not a legend entry
    assert all(ax.get_legend() is None for ax in axes[1:])
    # the key of the event numbers, then the credit, under the last panel only
    (below,) = [t for t in axes[-1].texts if t.get_gid() == "nkfx-below"]
    assert below.get_text().startswith("Events: ")
    assert below.get_text().endswith("\nData: simulated")
    assert all(t.get_gid() != "nkfx-below" for ax in axes[:-1] for t in ax.texts)


def test_small_multiples_on_given_axes_and_errors(sim_rates):
    _fig, given = plt.subplots(2, 1)
    axes = plot_cities(sim_rates, currency="USD", cities=["Sinuiju", "혜산"], axes=given)
    assert axes == list(given)
    assert [ax.get_title(loc="left") for ax in axes] == ["Sinuiju", "Hyesan"]
    with pytest.raises(NkfxValueError, match=r"axes must hold 3 Axes; got 2"):
        plot_cities(sim_rates, currency="USD", axes=given)
    with pytest.raises(NkfxValueError, match=r"cities \['Atlantis'\] have no USD rates; cities with USD "
                       r"rates: \["):
        plot_cities(sim_rates, currency="USD", cities=["Atlantis"])
    with pytest.raises(NkfxValueError, match="plot_cities draws one panel per city; city= is not allowed"):
        plot_cities(sim_rates, currency="USD", city="Hyesan")
    with pytest.raises(NkfxTypeError, match="cities must be a sequence of city names; got the string"):
        plot_cities(sim_rates, currency="USD", cities="Hyesan")
    with pytest.raises(NkfxValueError, match=r"cities is empty; cities with USD rates"):
        plot_cities(sim_rates, currency="USD", cities=[])


# --- plot_breaks ----------------------------------------------------------------------------

@pytest.fixture
def step_rates(rng):
    """60 weekly Hyesan yuan rates, 5000 then 7000 KPW: one break, first new date 2021-08-02."""
    dates = pd.date_range("2021-01-04", periods=60, freq="W-MON")
    level = np.r_[np.full(30, 5000.0), np.full(30, 7000.0)]
    return frame(dates, level * np.exp(rng.normal(0, 0.01, 60)))


def test_plot_breaks_bai_perron_band_spans_the_interval(step_rates):
    res = detect(step_rates, city="Hyesan", currency="CNY", method="bai-perron")
    assert res.breaks["first_new"].tolist() == [pd.Timestamp("2021-08-02")]
    ax = plot_breaks(res, kpw=False)
    # data, 2 regime fits, 1 break line, 1 interval bar; no span painting the figure (issue 16)
    assert (len(ax.lines), len(ax.patches)) == (1 + 2 + 1 + 1, 0)
    (bar,) = [ln for ln in ax.lines if ln.get_gid() == "nkfx-break-interval"]
    to_num = plt.matplotlib.dates.date2num
    x0, x1 = to_num(bar.get_xdata())
    assert x0 == pytest.approx(to_num(res.breaks["ci_lower"].iloc[0]))
    assert x1 == pytest.approx(to_num(res.breaks["ci_upper"].iloc[0]))
    # the break line sits midway between the last old and the first new report
    (line,) = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    old, new = res.breaks[["last_old", "first_new"]].iloc[0]
    assert to_num(line.get_xdata()[0]) == pytest.approx(to_num(old + (new - old) / 2))
    assert ax.get_ylabel() == "log KPW per CNY"
    assert ax.get_title(loc="left") == "Hyesan: 1 break(s), bai-perron, mean model"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "data", "regime fit", "break, midway between its reports",
        "95% interval of the break date (numbered)"]
    # kpw is the default: rates on a log axis
    assert plot_breaks(res).get_yscale() == "log"


def test_plot_breaks_pelt_has_no_bands_and_kpw_draws_rates(step_rates):
    res = detect(step_rates, "pelt", city="Hyesan", currency="CNY")
    _fig, ax = plt.subplots()
    out = plot_breaks(res, ax=ax, kpw=True, credit="Data: simulated")
    assert out is ax
    assert len(ax.patches) == 0
    assert len(ax.lines) == 1 + (res.n_breaks + 1) + res.n_breaks
    np.testing.assert_allclose(ax.lines[0].get_ydata(), step_rates["rate"].to_numpy(), rtol=1e-12)
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel() == "KPW per CNY (log scale)"
    # the method is the same figure
    ax2 = res.plot(kpw=True)
    assert [len(ax2.lines), len(ax2.patches)] == [len(ax.lines), 0]


def test_plot_breaks_does_not_join_long_silences(step_rates):
    # a year without reports between the two regimes: the data line must show the gap
    later = step_rates.assign(date=step_rates["date"].where(step_rates.index < 30,
                                                            step_rates["date"] + pd.Timedelta("365D")))
    res = detect(later, city="Hyesan", currency="CNY", method="bai-perron")
    y = plot_breaks(res, kpw=False).lines[0].get_ydata()
    assert len(y) == 61
    assert np.isnan(y).sum() == 1
    assert np.isnan(y[30])
    joined = plot_breaks(res, kpw=False, max_gap=None).lines[0].get_ydata()
    np.testing.assert_allclose(joined, res.series.to_numpy())
    with pytest.raises(NkfxValueError, match="max_gap"):
        plot_breaks(res, max_gap="soon")
    plt.close("all")


def test_plot_breaks_rejects_other_objects():
    with pytest.raises(NkfxTypeError, match=r"breaks must be a Breaks result of nkfx\.detect; got DataFrame"):
        plot_breaks(pd.DataFrame())


# --- plot_event_study -----------------------------------------------------------------------

@pytest.fixture
def study(rng):
    """Biweekly USD rates with a 0.35 log-point jump on 2022-01-16 (freight trains resume)."""
    dates = pd.date_range("2021-01-03", "2023-06-30", freq="7D")
    usd = pd.Series(np.exp(8.5 + 0.35 * (dates >= "2022-01-16") + rng.normal(0, 0.02, dates.size)),
                    index=dates)
    return event_study(usd, "freight_train_resumes_2022", before="60D", after="60D", n_placebo=100)


def test_event_study_path_band_and_placebo_on_two_axes(study):
    ax = plot_event_study(study)
    assert len(ax.figure.axes) == 2
    row = study.results.iloc[0]
    assert abs(row["change"] - 0.35) < 0.05
    (mean,) = [ln for ln in ax.get_lines() if str(ln.get_label()).endswith("mean of 1 event(s)")]
    np.testing.assert_allclose(mean.get_xdata(), [-60.0, 0.0, 0.0, 60.0])
    np.testing.assert_allclose(mean.get_ydata(), [0.0, 0.0, row["change"], row["change"]])
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    ys = band.get_paths()[0].vertices[:, 1]
    pooled = study.pooled().iloc[0]
    assert ys.min() == pytest.approx(pooled["change_lower"])
    assert ys.max() == pytest.approx(pooled["change_upper"])
    assert ax.get_xlabel() == "days from the event (post window from the start)"
    assert ax.get_ylabel() == "change (log points)"
    placebo = ax.figure.axes[1]
    assert placebo.get_xlabel() == "change (log points)"
    assert sum(len(p.get_path().vertices) > 0 for p in placebo.patches) == 1  # one filled histogram
    (event_line,) = placebo.get_lines()
    assert event_line.get_xdata()[0] == pytest.approx(row["change"])
    # the event is far out in the placebo distribution
    assert placebo.get_xlim()[1] >= row["change"]


def test_event_study_given_axes_inset_and_gap(study, rng):
    fig, pair = plt.subplots(1, 2)
    assert plot_event_study(study, ax=pair) is pair[0]
    assert pair[1].get_ylabel() == "placebo dates"
    fig, ax = plt.subplots()
    plot_event_study(study, ax=ax)
    assert ax.child_axes == []  # one Axes: no placebo unless asked
    assert len(fig.axes) == 1
    plot_event_study(study, ax=ax, placebo=True)
    assert len(ax.child_axes) == 1
    gapped = event_study(pd.Series(np.exp(rng.normal(8, 0.01, 120)),
                                   index=pd.date_range("2021-01-03", periods=120, freq="7D")),
                         "freight_train_resumes_2022", before="60D", after="60D", gap="14D",
                         n_placebo=20)
    ax = plot_event_study(gapped, placebo=False)
    assert len(ax.figure.axes) == 1
    x = ax.get_lines()[-3].get_xdata()  # mean path, then the two reference lines
    np.testing.assert_array_equal(np.isnan(x), [False, False, True, False, False])
    assert (x[0], x[-1]) == (-74.0, 74.0)


def test_event_study_forest_and_errors(study):
    ax = study.plot(kind="forest")
    assert ax.get_xlabel() == "change (log points)"
    # the method's default is the function's: the path with the placebo beside it
    default = study.plot()
    assert default.get_ylabel() == "change (log points)"
    assert len(default.figure.axes) == 2
    _fig, pair = plt.subplots(1, 2)
    with pytest.raises(NkfxValueError, match="ax holds 2 Axes but placebo=False leaves the second empty"):
        plot_event_study(study, ax=pair, placebo=False)
    with pytest.raises(NkfxValueError, match="kind='forest' draws one axes without the placebo"):
        plot_event_study(study, ax=pair, kind="forest")
    with pytest.raises(NkfxValueError, match="kind must be one of 'path', 'forest'; got 'bars'"):
        plot_event_study(study, kind="bars")
    with pytest.raises(NkfxValueError, match="ax must hold 1 or 2 Axes; got 3"):
        plot_event_study(study, ax=list(plt.subplots(1, 3)[1]))
    with pytest.raises(NkfxTypeError, match=r"study must be an EventStudy of nkfx\.event_study; got str"):
        plot_event_study("study")


# --- plot_probability -----------------------------------------------------------------------

@pytest.fixture
def cp(rng):
    dates = pd.Timestamp("2019-01-01") + pd.to_timedelta(np.cumsum(rng.integers(7, 29, 80)), unit="D")
    rate = pd.Series(np.exp(8.9 + 0.3 * (dates >= "2021-06-01") + rng.normal(0, 0.01, 80)),
                     index=dates, name="Hyesan/CNY")
    return change_probability(rate), rate


def test_probability_under_the_series_on_two_stacked_axes(cp):
    res, rate = cp
    ax = plot_probability(res)
    top, bottom = ax.figure.axes
    assert bottom is ax
    assert ax.get_ylabel() == "posterior probability of a change"
    assert ax.get_ylim() == (0.0, 1.02)
    (stems,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    heights = [seg[1, 1] for seg in stems.get_segments()]
    np.testing.assert_allclose(heights, res.probability.fillna(0.0).to_numpy())
    np.testing.assert_allclose(top.get_lines()[0].get_ydata(), rate.to_numpy(), rtol=1e-12)  # KPW again
    assert top.get_ylabel() == "KPW per CNY (log scale)"
    marks = [ln for ln in top.get_lines() if ln.get_linestyle() == "--"]
    assert len(marks) == int((res.probability >= 0.5).sum()) >= 1
    first = pd.Timestamp(marks[0].get_xdata()[0])
    assert abs(first - pd.Timestamp("2021-06-01")) < pd.Timedelta("29D")  # the change is found


def test_probability_axes_options_and_errors(cp):
    res, _ = cp
    fig, pair = plt.subplots(2, 1)
    assert plot_probability(res, ax=pair) is pair[1]
    fig, ax = plt.subplots()
    assert plot_probability(res, ax=ax, series=False) is ax
    assert len(fig.axes) == 1
    plot_probability(res, ax=ax)  # one Axes with the series: a twin right axis
    assert len(fig.axes) == 2
    assert res.plot(series=False).get_ylabel() == "posterior probability of a change"
    with pytest.raises(NkfxValueError, match="ax holds 2 Axes but series=False draws only the probabilities"):
        plot_probability(res, ax=pair, series=False)
    with pytest.raises(NkfxTypeError, match=r"cp must be a ChangeProbability of nkfx\.change_probability"):
        plot_probability(math.pi)


def test_event_labels_names_numbers_and_errors(sim_rates):
    events = load_events()
    few = events[events["id"].isin(["freight_train_resumes_2022", "hyesan_customs_rumour_2022"])]
    ax = plot_rates(sim_rates, currency="CNY", events=few)
    names = [t.get_text() for t in ax.texts if t.get_gid() == "nkfx-event-label"]
    assert names == ["Freight train resumes 2022", "Hyesan customs rumour 2022"]  # few: names, no key
    assert not [t for t in ax.texts if t.get_gid() == "nkfx-below"]
    ax = plot_rates(sim_rates, currency="CNY", events=few, event_labels="numbers")
    numbers = [t.get_text() for t in ax.texts if t.get_gid() == "nkfx-event-label"]
    assert numbers == ["1", "2"]
    (key,) = [t.get_text() for t in ax.texts if t.get_gid() == "nkfx-below"]
    assert key == "Events: 1 Freight train resumes 2022 · 2 Hyesan customs rumour 2022"
    ax = plot_rates(sim_rates, currency="CNY", events=few, event_labels="none")
    assert not [t for t in ax.texts if t.get_gid() == "nkfx-event-label"]
    with pytest.raises(NkfxValueError, match="event_labels must be one of 'auto', 'names', 'numbers', "
                                             "'none'; got 'all'"):
        plot_rates(sim_rates, currency="CNY", events=few, event_labels="all")
    plt.close("all")


def test_outliers_can_be_kept_in_view(sim_rates):
    odd = sim_rates.copy()
    first = odd.index[(odd["currency"] == "CNY") & (odd["city"] == "Hyesan")][0]
    odd.loc[first, "rate"] = 12.0  # a report in the wrong unit
    before = odd.copy()
    ax = plot_rates(odd, currency="CNY", log=True)
    assert ax.get_ylim()[0] > 12.0
    (mark,) = [t for t in ax.texts if t.get_gid() == "nkfx-outlier"]
    assert mark.get_text().startswith("▼ 12 (")
    ax = plot_rates(odd, currency="CNY", log=True, clip_outliers=False)
    assert ax.get_ylim()[0] < 12.0
    assert not [t for t in ax.texts if t.get_gid() == "nkfx-outlier"]
    pd.testing.assert_frame_equal(odd, before)  # not mutated
    plt.close("all")


def test_probability_gap_options_are_checked(cp):
    res, _ = cp
    with pytest.raises(NkfxValueError, match="long_gap"):
        plot_probability(res, long_gap="soon")
    ax = plot_probability(res, long_gap=None, max_gap=None)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["P(change) at a report", "P = 0.5 (dates marked above)"]
    plt.close("all")
