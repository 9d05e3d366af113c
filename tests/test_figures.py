"""Image tests of the figures (issue 16): each fails on a defect a reader saw in the demo's PNGs.

The figures are drawn on the bundled cited reports (the demo's own figure code), the canvas is
drawn, and the tests compare what ends up on the page: colours per city across panels, data
points against the legend's box, tick labels against the data range, labels against each other.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex
from matplotlib.dates import date2num

from nkfx._demo import _rates_figure, _story_figure
from nkfx._demo_story import AREA, EVENT_ID, TRIM, with_area
from nkfx.clean import combine
from nkfx.datasets import load_events, load_observations
from nkfx.detect import detect
from nkfx.events import event_study
from nkfx.events.probability import change_probability
from nkfx.plotting import plot_breaks, plot_event_study, plot_probability, plot_rates
from nkfx.plotting.style import CITY_STYLES, city_style, nice_log_ticks, robust_limits


@pytest.fixture(scope="module")
def market() -> pd.DataFrame:
    rates = load_observations()
    return rates[rates["rate_type"] == "market"]


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return load_events()


@pytest.fixture(scope="module")
def rates_fig(market, events):  # read-only in the tests: drawn once
    fig = _rates_figure(market, events)
    fig.canvas.draw()
    yield fig
    plt.close(fig)


@pytest.fixture(scope="module")
def story_fig(market, events):
    start = pd.Timestamp(events.loc[events["id"] == EVENT_ID, "start"].iloc[0])
    fig = _story_figure(with_area(combine(market)), events, start)
    fig.canvas.draw()
    yield fig
    plt.close(fig)


@pytest.fixture(scope="module")
def hyesan_breaks(market):
    return detect(combine(market), method="bai-perron", city="Hyesan", currency="CNY", trim=TRIM)


def _colours(ax) -> dict[str, tuple[float, ...]]:
    from matplotlib.colors import to_rgba

    return {str(ln.get_label()): to_rgba(ln.get_color()) for ln in ax.get_lines()
            if not str(ln.get_label()).startswith("_")}


def _points_px(ax) -> np.ndarray:
    """Display coordinates of every drawn data point (lines and scatters) of ``ax``."""
    pts = []
    for line in ax.get_lines():
        if line.get_gid() or line.get_transform() != ax.transData:
            continue  # interval bars and event lines are not data
        x, y = line.get_xdata(), line.get_ydata()
        xy = np.column_stack([date2num(np.asarray(x)) if len(x) and not isinstance(x[0], float) else x,
                              np.asarray(y, dtype=float)]).astype(float)
        pts.append(xy[np.isfinite(xy).all(axis=1)])
    for coll in ax.collections:
        offsets = np.asarray(coll.get_offsets(), dtype=float)
        if offsets.size and not isinstance(coll, LineCollection):
            pts.append(offsets)
    data = np.vstack(pts) if pts else np.empty((0, 2))
    return ax.transData.transform(data)


def _inside(box, px: np.ndarray) -> np.ndarray:
    return (px[:, 0] >= box.x0) & (px[:, 0] <= box.x1) & (px[:, 1] >= box.y0) & (px[:, 1] <= box.y1)


# --- one colour per city -------------------------------------------------------------------------

def test_a_city_has_one_colour_in_every_panel_and_figure(rates_fig, story_fig):
    panels = [*rates_fig.axes, *story_fig.axes]
    seen: dict[str, set[tuple[float, ...]]] = {}
    for ax in panels:
        for label, colour in _colours(ax).items():
            seen.setdefault(label, set()).add(colour)
    for city in ("Pyongyang", "Hyesan", "Sinuiju", AREA):
        assert len(seen[city]) == 1, city  # was grey and pink for Pyongyang, green and orange for the area
    assert seen["Pyongyang"] != seen[AREA]
    # and different cities get different colours
    fixed = [c for c, _ in CITY_STYLES.values()]
    assert len(set(fixed)) == len(fixed)
    assert city_style("Pyongyang")["color"] == "#1f77b4"


# --- nothing under the legend, nothing lost to one outlier ---------------------------------------

def test_no_data_point_under_a_legend(rates_fig, story_fig):
    for ax in [*rates_fig.axes, *story_fig.axes]:
        legend = ax.get_legend()
        assert legend is not None
        box = legend.get_window_extent()
        px = _points_px(ax)
        assert len(px) > 0
        assert not _inside(box, px).any(), ax.get_title(loc="left")
        assert box.x0 >= ax.get_window_extent().x1  # outside the axes altogether


def test_one_new_won_report_does_not_set_the_yuan_axis(rates_fig):
    cny = rates_fig.axes[0]
    lo, hi = cny.get_ylim()
    assert lo > 300  # the 50 KPW report of 2009-12-03 stretched it to 50-6,000
    (mark,) = [t for t in cny.texts if t.get_gid() == "nkfx-outlier"]
    assert mark.get_text().startswith("▼ 50 (2009-12-03)")
    # the late-2022 jump (850 -> 1,120) now spans a visible share of the axis height
    share = np.log(1120 / 850) / np.log(hi / lo)
    assert share > 0.07  # 0.055 when the 50 KPW report set the axis


@pytest.mark.parametrize("currency", ["CNY", "USD"])
def test_tick_labels_cover_the_data_range(rates_fig, market, currency):
    ax = rates_fig.axes[0 if currency == "CNY" else 1]
    lo, hi = ax.get_ylim()
    labelled = [t.get_position()[1] for t in ax.get_yticklabels() if t.get_text()]
    labelled = [v for v in labelled if lo <= v <= hi]
    assert len(labelled) >= 4
    top = market.loc[market["currency"] == currency, "rate"].max()
    if currency == "USD":
        assert top > 39_000
        assert max(labelled) >= 30_000  # labels stopped at 20,000 while points reached ~40,000
    # no more than a third of the data's log range above the highest label
    data_lo = np.exp(np.log(lo) + 0.05 * np.log(hi / lo))
    assert np.log(top / max(labelled)) <= np.log(top / data_lo) / 3


def test_nice_log_ticks_and_robust_limits_by_hand():
    assert nice_log_ticks(3_000, 45_000) == [3_000, 5_000, 10_000, 20_000, 30_000]
    assert nice_log_ticks(600, 2_900) == [700, 1_000, 1_500, 2_000]  # 1-2-5 gives 1,000 and 2,000 only
    times = np.arange(31.0)
    values = np.r_[50.0, np.linspace(1_000, 1_300, 30)]
    _, _, out = robust_limits(values, log=True, times=times)
    assert out.tolist() == [True] + [False] * 30
    # a real run-up at the end of the data is not an outlier: its neighbours agree with it
    rising = np.r_[np.full(26, 1_000.0), 3_000.0, 4_000.0, 5_000.0, 6_000.0]
    assert not robust_limits(rising, log=True, times=np.arange(30.0))[2].any()


# --- events named and clipped to the window ------------------------------------------------------

def test_events_outside_the_window_are_not_drawn(market, events):
    near = market[(market["date"] >= "2022-06-01") & (market["date"] <= "2023-07-31")
                  & (market["city"] == "Hyesan")]
    ax = plot_rates(near, currency="CNY", events=events)
    ax.figure.canvas.draw()
    x0, _x1 = ax.get_xlim()
    assert x0 >= date2num(pd.Timestamp("2022-05-01"))  # the 2013-2023 era stretched it back to 2013
    for patch in ax.patches:
        assert patch.get_x() >= date2num(near["date"].min()) - 1e-9
    assert not [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    names = [t.get_text() for t in ax.texts if t.get_gid() == "nkfx-event-label"]
    assert "Hyesan customs rumour 2022" in names
    assert not any("Stabilisation" in n for n in names)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend.count("rumoured event") == 1
    assert legend.count("confirmed event") == 1
    plt.close(ax.figure)


def test_event_labels_are_numbered_alike_and_do_not_overlap(rates_fig):
    for ax in rates_fig.axes:
        labels = [t for t in ax.texts if t.get_gid() == "nkfx-event-label"]
        assert len(labels) >= 15
        boxes = [t.get_window_extent() for t in labels]
        overlaps = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a.overlaps(b)]
        assert overlaps == []
    numbers = [{t.get_text() for t in ax.texts if t.get_gid() == "nkfx-event-label"} for ax in rates_fig.axes]
    assert numbers[1] <= numbers[0]  # the dollar panel's numbers are the yuan panel's
    # one key, under the last panel, listing the events of both (the yuan's reach back to 2009)
    assert not [t for t in rates_fig.axes[0].texts if t.get_gid() == "nkfx-below"]
    (key,) = [t for t in rates_fig.axes[1].texts if t.get_gid() == "nkfx-below"]
    text = key.get_text().replace("\n", " ")
    assert text.startswith("Events: 1 Redenomination 2009 · 2 Fx ban 2009")
    assert "16 Hyesan customs rumour 2022" in text
    assert key.get_text().endswith("compiled with citations in nkfx.datasets")  # the credit follows


# --- breaks readable -----------------------------------------------------------------------------

def test_every_break_is_labelled_with_its_dates_and_jump(hyesan_breaks):
    res = hyesan_breaks
    ax = plot_breaks(res)
    ax.figure.canvas.draw()
    labels = [t for t in ax.texts if t.get_gid() == "nkfx-break-label"]
    assert len(labels) == res.n_breaks >= 3
    assert "3: 2022-11|2022-12 +32%" in {t.get_text() for t in labels}  # 850 -> 1,120 KPW
    boxes = [t.get_window_extent() for t in labels]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    frame = ax.get_window_extent()
    assert all(frame.x0 - 1 <= b.x0 and b.x1 <= frame.x1 + 1 for b in boxes)
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel() == "KPW per CNY (log scale)"
    plt.close(ax.figure)


def test_break_lines_sit_between_the_reports_and_intervals_stay_in_a_strip(hyesan_breaks):
    res = hyesan_breaks
    ax = plot_breaks(res)
    lines = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(lines) == res.n_breaks
    for line, (old, new) in zip(lines, res.breaks[["last_old", "first_new"]].itertuples(index=False),
                                strict=True):
        x = date2num(line.get_xdata()[0])
        assert date2num(old) < x < date2num(new) or old == new
    # the first break: last old report 2013-04, first new 2015-08; its line was drawn at 2013-04
    assert date2num(lines[0].get_xdata()[0]) > date2num(pd.Timestamp("2014-01-01"))
    bars = [ln for ln in ax.get_lines() if ln.get_gid() == "nkfx-break-interval"]
    assert len(bars) == int(res.breaks["ci_lower"].notna().sum()) >= 1
    assert all(max(b.get_ydata()) < 0.2 for b in bars)  # axes fraction: a strip, not a wall
    assert not ax.patches
    plt.close(ax.figure)


# --- event study and change probability ----------------------------------------------------------

def test_forest_has_no_empty_rows_and_an_interval_on_every_estimate(market):
    combined = combine(market)
    pair = combined[combined["city"].isin(["Hyesan", "Pyongyang"])]
    study = event_study(pair, EVENT_ID, n_placebo=50, seed=0)
    ax = plot_event_study(study, kind="forest")
    ax.figure.canvas.draw()
    ok = study.results["change"].notna()
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert len(rows) == int(ok.sum())
    assert all(EVENT_ID not in r for r in rows)  # the id was written on every row
    assert ax.get_ylabel() == "Hyesan customs rumour 2022"
    banded = (study.results.loc[ok, "change_lower"].notna() & study.results.loc[ok, "change_upper"].notna())
    notes = [t for t in ax.texts if t.get_text() == "no interval"]
    assert len(notes) == int((~banded).sum())
    lo, hi = ax.get_ylim()
    assert hi - lo <= len(rows) + 0.5  # no empty rows of padding
    plt.close(ax.figure)


def test_probability_figure_explains_itself(market):
    cp = change_probability(combine(market), city="Hyesan", currency="CNY", expected_run="180D")
    ax = plot_probability(cp)
    top = ax.figure.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "P(change) at a report"
    assert any(t.startswith("P = 0.5") for t in legend)
    assert any(t.startswith("after > 365 days without reports") for t in legend)
    gaps = pd.Series(cp.values.index).diff()
    notes = [t for t in ax.texts if "without reports" in t.get_text()]
    assert len(notes) == int((gaps > pd.Timedelta("365D")).sum()) >= 2
    (stems,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    alphas = np.asarray(stems.get_colors())[:, 3]
    assert sorted(set(np.round(alphas, 2))) == [0.35, 1.0]
    # the series is not joined across silences longer than 180 days
    y = np.asarray(top.get_lines()[0].get_ydata(), dtype=float)
    assert np.isnan(y).sum() == int((gaps > pd.Timedelta("180D")).sum())
    assert top.get_legend() is not None
    plt.close(ax.figure)


def test_f_path_marks_each_candidate_date_and_keeps_its_legend_outside(hyesan_breaks):
    from nkfx.detect.ftests._plots import plot_f_path

    test = hyesan_breaks.tests["supF"]
    ax = plot_f_path(test)
    ax.figure.canvas.draw()
    path = ax.get_lines()[0]
    assert path.get_marker() == "."
    assert len(path.get_xdata()) == len(test.detail["f_path"])
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1
    assert ax.get_ylabel() == "F statistic (supF)"
    plt.close(ax.figure)


def test_event_study_path_colours_cities_as_every_figure(market):
    from matplotlib.colors import to_rgba

    combined = combine(market)
    pair = combined[combined["city"].isin(["Hyesan", "Pyongyang"])]
    study = event_study(pair, EVENT_ID, n_placebo=50, seed=0)
    ax = plot_event_study(study)
    ax.figure.canvas.draw()
    means = {str(ln.get_label()).split(":")[0]: ln for ln in ax.get_lines()
             if str(ln.get_label()).endswith("event(s)")}
    assert to_rgba(means["Hyesan CNY"].get_color()) == to_rgba(city_style("Hyesan")["color"])
    assert to_rgba(means["Pyongyang USD"].get_color()) == to_rgba(city_style("Pyongyang")["color"])
    assert means["Hyesan USD"].get_linestyle() == "--"
    assert means["Hyesan CNY"].get_linestyle() == "-"
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1
    plt.close(ax.figure)


def test_simulation_figure_marks_the_true_breaks_and_its_outlier_labels_do_not_overlap():
    # simulate(seed=0) has true CNY breaks on 2020-02-01 and 2024-06-01 (all cities) and
    # 2022-11-25 (Hyesan), and two ÷100 slips months apart (2020-11-06, 2021-03-13) whose
    # "off the scale" labels were drawn on top of each other.
    from nkfx.datasets import simulate

    ax = simulate(seed=0).plot()
    ax.figure.canvas.draw()
    dashed = sorted((pd.Timestamp(line.get_xdata()[0]).strftime("%Y-%m-%d"),
                     to_hex(line.get_color())) for line in ax.lines if line.get_linestyle() == "--")
    assert dashed == [("2020-02-01", to_hex("0.3")), ("2022-11-25", city_style("Hyesan")["color"]),
                      ("2024-06-01", to_hex("0.3"))]
    marks = [t for t in ax.texts if t.get_gid() == "nkfx-outlier"]
    assert sorted(t.get_text()[2:19] for t in marks) == ["9 (2020-11-06), o", "9 (2021-03-13), o"]
    boxes = [t.get_window_extent() for t in marks]
    assert not boxes[0].overlaps(boxes[1])
    plt.close(ax.figure)
