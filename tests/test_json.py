"""One conversion to JSON types for every result (issue 15: json_safe and jsonable differed)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

import nkfx
from nkfx._json import fmt_date, jsonable


def test_hand_made_values_convert_as_documented() -> None:
    day = pd.Timestamp("2022-12-12")
    value = {
        day: [np.float64(1.5), np.int64(3), np.bool_(True), math.nan, math.inf, None],
        "span": (pd.Timedelta("14D"), np.timedelta64(2, "D"), pd.NaT, pd.NA),
        "index": pd.DatetimeIndex(["2020-01-31", "2020-02-01 12:00"]),
        "series": pd.Series([1.0, np.nan], index=pd.to_datetime(["2009-11-30", "2009-12-01"])),
        "frame": pd.DataFrame({"date": [day], "rate": [1120.0]}),
    }
    assert jsonable(value) == {
        "2022-12-12": [1.5, 3, True, None, None, None],
        "span": ["14 days 00:00:00", "2 days 00:00:00", None, None],
        "index": ["2020-01-31", "2020-02-01T12:00:00"],
        "series": {"2009-11-30": 1.0, "2009-12-01": None},
        "frame": [{"date": "2022-12-12", "rate": 1120.0}],
    }
    assert fmt_date("2020-01-31 00:00") == "2020-01-31"
    assert fmt_date(pd.NaT) == "NaT"


def test_results_of_every_stage_use_the_same_dates() -> None:
    noise = np.random.default_rng(3).normal(0, 0.02, 80)
    rates = pd.Series(np.exp(np.log(np.r_[np.full(40, 500.0), np.full(40, 800.0)]) + noise),
                      index=pd.date_range("2020-01-05", periods=80, freq="7D"), name="rate")
    breaks = nkfx.detect(rates, "bai-perron", max_breaks=1).to_dict()
    events = pd.DataFrame({"id": ["x"], "start": [rates.index[40]], "status": ["confirmed"],
                           "scope": ["national"], "description": ["x"], "source": ["test"]})
    study = nkfx.event_study(rates, nkfx.read_events(events), n_placebo=0).to_dict()
    json.dumps([breaks, study], allow_nan=False)  # plain JSON types only
    assert breaks["breaks"][0]["first_new"] == fmt_date(pd.Timestamp(breaks["breaks"][0]["first_new"]))
    assert study["results"][0]["start"] == fmt_date(rates.index[40])
