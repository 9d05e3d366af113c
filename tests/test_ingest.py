from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nkfx import Ingest, read_rates
from nkfx.errors import NkfxTypeError, NkfxValueError, SchemaError, UnknownCityWarning
from nkfx.ingest import read_prices
from nkfx.schema import RATE_COLUMNS, validate_rates


def frame(**columns: list[object]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base: dict[str, list[object]] = {"date": ["2022-10-05"] * n}
    base.update(columns)
    return pd.DataFrame(base)


def one(rate: object, **options: object) -> Ingest:
    return read_rates(frame(rate=[rate]), currency="CNY", **options)  # type: ignore[arg-type]


# --- the canonical output --------------------------------------------------------------


def test_long_english_file_gives_a_valid_rate_frame() -> None:
    data = pd.DataFrame({
        "date": ["2022-10-05", "2022-10-19", "2022-11-02"],
        "city": ["Hyesan", "신의주", "P'yŏngyang"],
        "currency": ["yuan", "CNY", "달러"],
        "rate": [820, 830.5, 8000],
        "source": ["Daily NK", "Asia Press", "Daily NK"],
        "kind": ["a", "b", "c"],
    }, index=[10, 20, 30])
    result = read_rates(data)
    rates = result.rates
    assert list(rates.columns) == [*RATE_COLUMNS, "kind"]
    validate_rates(rates)
    assert rates["date"].dtype == "datetime64[ns]"
    assert rates["date"].dt.strftime("%Y-%m-%d").tolist() == ["2022-10-05", "2022-10-19",
                                                               "2022-11-02"]
    assert rates["city"].tolist() == ["Hyesan", "Sinuiju", "Pyongyang"]
    assert rates["currency"].tolist() == ["CNY", "CNY", "USD"]
    assert rates["rate"].tolist() == [820.0, 830.5, 8000.0]
    assert rates["row"].tolist() == [0, 1, 2]  # positions, not the index labels
    assert rates["date_precision"].tolist() == ["day"] * 3
    assert rates["rate_type"].tolist() == ["market"] * 3
    assert rates["won_adjustment"].tolist() == ["none"] * 3
    assert not rates["duplicate"].any()
    assert rates["rate_low"].isna().all()
    assert rates["rate_high"].isna().all()
    assert rates["kind"].tolist() == ["a", "b", "c"]
    assert len(result.quarantine) == 0
    assert result.rows_read == 3
    assert result.options["layout"] == "long"
    assert result.options["columns"]["rate"] == "rate"
    assert result.to_frame() is rates


def test_input_frame_is_never_modified() -> None:
    data = pd.DataFrame({"날짜": ["22-10-05", "09-11-01", "bad"], "혜산": ["1,270", "0", "8천"],
                         "평양": [1.0, np.nan, 3.0]})
    before = data.copy(deep=True)
    read_rates(data, currency="CNY", old_won="divide")
    pd.testing.assert_frame_equal(data, before)


def test_korean_long_headers_are_recognised() -> None:
    data = pd.DataFrame({"날짜": ["2022년 10월 5일"], "지역": ["혜산"], "통화": ["위안"],
                         "환율": ["1,270원"], "출처": ["데일리NK"]})
    rates = read_rates(data).rates
    assert rates.loc[0, ["city", "currency", "rate", "source"]].tolist() == [
        "Hyesan", "CNY", 1270.0, "데일리NK"]  # a source column is kept as written
    assert rates.loc[0, "date"] == pd.Timestamp("2022-10-05")


def test_columns_mapping_and_constants() -> None:
    data = pd.DataFrame({"Datum": ["2022-10-05"], "Kurs": [812], "Ort": ["Hyesan"]})
    result = read_rates(data, columns={"date": "Datum", "rate": "Kurs", "city": "Ort"},
                        currency="yuan", source_name="Daily NK", date_precision="approx-week",
                        rate_type="bank")
    row = result.rates.iloc[0]
    assert (row["city"], row["currency"], row["rate"], row["source"]) == (
        "Hyesan", "CNY", 812.0, "Daily NK")
    assert (row["date_precision"], row["rate_type"]) == ("approx-week", "bank")
    assert result.options["currency"] == "CNY"
    assert result.options["source_name"] == "Daily NK"


def test_publisher_gives_source_and_is_kept() -> None:
    data = frame(rate=[800, 810], currency=["CNY", "CNY"],
                 publisher=["Daily NK via Nocut News", None])
    rates = read_rates(data).rates
    assert rates["source"].tolist() == ["Daily NK", "unknown"]
    assert rates["publisher"].tolist()[0] == "Daily NK via Nocut News"


def test_missing_source_is_unknown_and_missing_city_is_allowed() -> None:
    rates = read_rates(frame(rate=[800], city=[None]), currency="CNY").rates
    assert rates.loc[0, "source"] == "unknown"
    assert pd.isna(rates.loc[0, "city"])


def test_extra_column_named_like_an_output_column_is_renamed() -> None:
    data = frame(rate=[800], duplicate=["yes"], row=[99])
    rates = read_rates(data, currency="CNY").rates
    assert rates.loc[0, "duplicate_input"] == "yes"
    assert rates.loc[0, "row_input"] == 99
    assert not rates.loc[0, "duplicate"]
    assert rates.loc[0, "row"] == 0


def test_empty_frame_gives_empty_tables() -> None:
    result = read_rates(pd.DataFrame({"date": [], "rate": []}), currency="USD")
    assert result.rows_read == 0
    assert len(result.rates) == 0
    assert len(result.quarantine) == 0
    assert list(result.rates.columns) == list(RATE_COLUMNS)
    assert list(result.quarantine.columns) == ["row", "column", "value", "reason", "city",
                                               "currency"]


# --- numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "rate", "low", "high"),
    [("1,270", 1270, None, None), ("KPW 1,000", 1000, None, None), ("1000원", 1000, None, None),
     ("1,000 won", 1000, None, None), ("₩8,000", 8000, None, None), (" 812.5 ", 812.5, None, None),
     ("800-900", 850, 800, 900), ("800~900", 850, 800, 900), ("800–900", 850, 800, 900),
     ("800 to 900", 850, 800, 900), ("8,000-9,000원", 8500, 8000, 9000),
     ("1만2천", 12000, None, None), ("8천", 8000, None, None), ("1만 2천 원", 12000, None, None),
     ("5천5백", 5500, None, None), ("1만2000", 12000, None, None), ("8천~9천", 8500, 8000, 9000),
     ("1.5만", 15000, None, None), ("12,345,678", 12345678, None, None)],
)
def test_numbers_as_written_in_reports(raw: str, rate: float, low: float | None,
                                       high: float | None) -> None:
    rates = one(raw).rates
    assert rates.loc[0, "rate"] == rate
    if low is None:
        assert np.isnan(rates.loc[0, "rate_low"])
        assert np.isnan(rates.loc[0, "rate_high"])
    else:
        assert (rates.loc[0, "rate_low"], rates.loc[0, "rate_high"]) == (low, high)


@pytest.mark.parametrize(
    ("raw", "value", "reason"),
    [(0, "0", "rate is zero"), ("0", "0", "rate is zero"), (-5, "-5", "rate is negative"),
     ("-1,200", "-1,200", "rate is negative"), (np.nan, "", "rate is missing"),
     ("", "", "rate is missing"), (None, "", "rate is missing"), ("n/a", "n/a", "rate is missing"),
     (np.inf, "inf", "rate is not finite"), ("about a thousand", "about a thousand",
                                            "rate is not a number"),
     ("12,5", "12,5", "rate is not a number"), ("900-800", "900-800",
                                                "rate_low is above rate_high"),
     ("0-900", "0-900", "rate is zero"), (True, "True", "rate is not a number")],
)
def test_bad_rates_are_quarantined_with_a_reason(raw: object, value: str, reason: str) -> None:
    data = pd.DataFrame({"date": ["2022-10-05", "2022-10-06"], "rate": [raw, 800]},
                        dtype=object if isinstance(raw, str | bool) or raw is None else None)
    result = read_rates(data, currency="CNY")
    assert result.rates["row"].tolist() == [1]
    q = result.quarantine
    assert q[["row", "column", "value", "reason"]].values.tolist() == [[0, "rate", value, reason]]
    assert q.loc[0, "currency"] == "CNY"


def test_numeric_zero_in_a_float_column_is_shown_as_written() -> None:
    q = read_rates(frame(rate=[0.0, 1.5]), currency="CNY").quarantine
    assert q["value"].tolist() == ["0"]


def test_separate_low_high_columns() -> None:
    data = frame(kpw_per_unit=[None, 850, 900, 800, 800], kpw_low=[800, 800, None, 900, "x"],
                 kpw_high=[900, 900, None, 850, 900])
    result = read_rates(data, currency="CNY")
    rates = result.rates
    assert rates["row"].tolist() == [0, 1, 2]
    assert rates["rate"].tolist() == [850.0, 850.0, 900.0]  # midpoint when rate is empty
    assert rates["rate_low"].tolist()[:2] == [800.0, 800.0]
    assert np.isnan(rates["rate_low"][2])
    q = result.quarantine
    assert q[["row", "column", "value", "reason"]].values.tolist() == [
        [3, "kpw_low", "900", "rate_low is above rate_high"],
        [4, "kpw_low", "x", "rate_low is not a number"],
    ]


def test_rate_missing_with_one_bound_is_missing() -> None:
    data = frame(rate=[None], low=[800], high=[None])
    q = read_rates(data, currency="CNY").quarantine
    assert q["reason"].tolist() == ["rate is missing"]


# --- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["2022-10-05", "22-10-05", "2022/10/5", "2022/10/05", "2022.10.05", "2022. 10. 5.",
     "2022년 10월 5일", "2022-10-05 13:45:00", "2022-10-05T08:00:00", "20221005", "44839",
     44839, 44839.75, 20221005, pd.Timestamp("2022-10-05 23:59")],
)
def test_dates_as_written(raw: object) -> None:
    data = pd.DataFrame({"date": [raw], "rate": [800]})
    assert read_rates(data, currency="CNY").rates.loc[0, "date"] == pd.Timestamp("2022-10-05")


def test_datetime_column_with_time_zone_keeps_wall_date() -> None:
    dates = pd.to_datetime(["2022-10-05 01:00"]).tz_localize("Asia/Pyongyang")
    data = pd.DataFrame({"date": dates, "rate": [800]})
    assert read_rates(data, currency="CNY").rates.loc[0, "date"] == pd.Timestamp("2022-10-05")


@pytest.mark.parametrize(
    ("raw", "value", "reason"),
    [("05/10/2022", "05/10/2022", "date is not a date"),  # day-first or month-first: no guess
     ("2022-13-01", "2022-13-01", "date is not a date"),
     ("someday", "someday", "date is not a date"), ("", "", "date is missing"),
     (None, "", "date is missing"), (12, "12", "date is not a date"),
     ("9999-01-01", "9999-01-01", "date is not a date")],
)
def test_bad_dates_are_quarantined(raw: object, value: str, reason: str) -> None:
    data = pd.DataFrame({"date": [raw, "2022-10-05"], "rate": ["0", 800]})
    q = read_rates(data, currency="CNY").quarantine
    # the date is checked first, so a row with a bad date and a bad rate names the date
    assert q[["row", "column", "value", "reason"]].values.tolist() == [[0, "date", value, reason]]


# --- currencies and cities -------------------------------------------------------------


def test_currency_problems_are_quarantined() -> None:
    data = frame(rate=[800, 810, 820], currency=["yuan", "peanuts", None])
    result = read_rates(data)
    assert result.rates["currency"].tolist() == ["CNY"]
    assert result.quarantine[["row", "column", "value", "reason"]].values.tolist() == [
        [1, "currency", "peanuts", "currency is not recognised"],
        [2, "currency", "", "currency is missing"],
    ]
    assert result.quarantine["currency"].isna().all()


def test_unknown_cities_warn_once_at_the_callers_line() -> None:
    data = frame(rate=[800, 810, 820], city=["Atlantis", "Hyesan", "Springfield"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rates = read_rates(data, currency="CNY").rates
    assert len(caught) == 1
    assert caught[0].category is UnknownCityWarning
    assert str(caught[0].message) == (
        "2 city name(s) not in nkfx's gazetteer, kept as written: 'Atlantis', 'Springfield'")
    assert caught[0].filename == __file__
    assert rates["city"].tolist() == ["Atlantis", "Hyesan", "Springfield"]


def test_unknown_constant_city_warns() -> None:
    with pytest.warns(UnknownCityWarning, match="1 city name\\(s\\).*'Gotham'"):
        rates = read_rates(frame(rate=[800]), currency="CNY", city="Gotham").rates
    assert rates.loc[0, "city"] == "Gotham"


# --- redenomination --------------------------------------------------------------------


def redenomination_frame() -> pd.DataFrame:
    return pd.DataFrame({"date": ["2009-11-01", "2009-11-29", "2009-11-30", "2009-12-10"],
                         "rate": [3000, "2,800-3,000", 30, 40], "currency": "USD"})


def test_pre_reform_rows_need_a_decision() -> None:
    with pytest.raises(
        NkfxValueError,
        match=r"^2 rows are dated before the 2009-11-30 redenomination \(the first 2009-11-01\); "
              r"say how to treat them with old_won='divide' \(old won: divide rates by 100\), "
              r"old_won='keep' \(keep rates as reported, e.g. already converted\) or "
              r"old_won='reject' \(quarantine them\)$",
    ):
        read_rates(redenomination_frame())


def test_old_won_divide_keep_reject() -> None:
    divided = read_rates(redenomination_frame(), old_won="divide")
    assert divided.rates["rate"].tolist() == [30.0, 29.0, 30.0, 40.0]
    assert divided.rates["rate_low"].tolist()[1] == 28.0
    assert divided.rates["won_adjustment"].tolist() == ["divided_by_100"] * 2 + ["none"] * 2
    assert divided.options["old_won"] == "divide"
    assert divided.options["pre_redenomination_rows"] == 2
    kept = read_rates(redenomination_frame(), old_won="keep")
    assert kept.rates["rate"].tolist() == [3000.0, 2900.0, 30.0, 40.0]
    assert kept.rates["won_adjustment"].tolist()[:2] == ["kept_as_reported"] * 2
    rejected = read_rates(redenomination_frame(), old_won="reject")
    assert rejected.rates["row"].tolist() == [2, 3]
    assert rejected.quarantine[["row", "column", "value", "reason"]].values.tolist() == [
        [0, "date", "2009-11-01", "dated before the 2009-11-30 redenomination (old won)"],
        [1, "date", "2009-11-29", "dated before the 2009-11-30 redenomination (old won)"],
    ]


def test_pre_reform_rows_already_quarantined_need_no_decision() -> None:
    data = pd.DataFrame({"date": ["2009-11-01", "2010-01-01"], "rate": [0, 30]})
    result = read_rates(data, currency="USD")
    assert result.quarantine["reason"].tolist() == ["rate is zero"]


# --- duplicates ------------------------------------------------------------------------


def test_duplicates_are_flagged_not_merged() -> None:
    data = pd.DataFrame({
        "date": ["2022-10-05", "2022-10-05", "2022-10-05", "2022-10-05", "2022-10-05", "2022-10-06"],
        "city": ["Hyesan", "혜산", "Hyesan", "Hyesan", None, None],
        "currency": ["CNY", "yuan", "USD", "CNY", "CNY", "CNY"],
        "source": ["Daily NK", "Daily NK", "Daily NK", "Asia Press", None, None],
        "rate": [800, 810, 8000, 805, 1, 2],
    })
    rates = read_rates(data).rates
    assert rates["duplicate"].tolist() == [True, True, False, False, False, False]
    assert len(rates) == 6


def test_duplicates_among_missing_cities() -> None:
    data = frame(rate=[800, 810], city=[None, None])
    assert read_rates(data, currency="CNY").rates["duplicate"].tolist() == [True, True]


# --- errors="raise" and argument errors ------------------------------------------------


def test_errors_raise_lists_the_first_problems() -> None:
    data = pd.DataFrame({"date": ["2022-10-05"] * 13 + ["x"],
                         "rate": [800] * 12 + [0, 800]})
    with pytest.raises(SchemaError, match=r"2 of 14 rows could not be read") as info:
        read_rates(data, currency="CNY", errors="raise")
    assert info.value.problems == (
        "row 12, column 'rate': rate is zero ('0')",
        "row 13, column 'date': date is not a date ('x')",
    )
    assert "  - row 12, column 'rate': rate is zero ('0')" in str(info.value)


def test_errors_raise_passes_clean_input() -> None:
    assert len(read_rates(frame(rate=[800]), currency="CNY", errors="raise").rates) == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [({"layout": "tall"}, NkfxValueError,
      "layout must be one of 'auto', 'long', 'wide'; got 'tall'"),
     ({"old_won": "halve"}, NkfxValueError,
      "old_won must be one of 'divide', 'keep', 'reject', None; got 'halve'"),
     ({"errors": "ignore"}, NkfxValueError,
      "errors must be one of 'quarantine', 'raise'; got 'ignore'"),
     ({"city": 5}, NkfxTypeError, "city must be a string; got int"),
     ({"currency": "peanuts"}, NkfxValueError, "currency 'peanuts' is not recognised"),
     ({"columns": ["date"]}, NkfxTypeError, "columns must be a mapping such as"),
     ({"columns": {"when": "date"}}, NkfxValueError,
      "columns has an unknown key 'when'; keys must be among 'date', 'city'"),
     ({"columns": {"date": "Datum"}}, NkfxValueError,
      r"columns\['date'\] = 'Datum' is not a column of the input; its columns are "
      r"\['date', 'rate', 'currency'\]")],
)
def test_argument_errors(kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    data = frame(rate=[800], currency=["CNY"])
    if "currency" in kwargs:
        data = data.drop(columns="currency")
    with pytest.raises(error, match=message):
        read_rates(data, **kwargs)  # type: ignore[arg-type]


def test_missing_columns_are_named() -> None:
    with pytest.raises(NkfxValueError, match=(
            r"no date column found \(looked for date, time, day, 날짜, 일자, date_start, 기준일\); "
            r"the input has columns \['rate'\]; name it with columns=\{'date': ...\}")):
        read_rates(pd.DataFrame({"rate": [1]}), currency="CNY")
    with pytest.raises(NkfxValueError, match=r"no rate column found .*columns=\{'rate': ...\}"):
        read_rates(pd.DataFrame({"date": ["2022-01-01"]}), currency="CNY")
    with pytest.raises(NkfxValueError, match=(
            r"no currency column found .*; name it with columns=\{'currency': ...\}, "
            r"pass currency='CNY' or 'USD'")):
        read_rates(frame(rate=[1]))


def test_an_option_contradicting_a_column_is_an_error() -> None:
    with pytest.raises(NkfxValueError, match=(
            r"currency='USD' was given but the input also has a currency column 'currency'; "
            r"drop one of them \(nkfx does not guess which is right\)")):
        read_rates(frame(rate=[1], currency=["CNY"]), currency="USD")
    with pytest.raises(NkfxValueError, match="source_name='X' was given but the input also has "
                                             "a source column '출처'"):
        read_rates(frame(rate=[1], 출처=["Daily NK"]), currency="CNY", source_name="X")


def test_ambiguous_and_malformed_headers() -> None:
    data = pd.DataFrame({"date": ["2022-01-01"], "time": ["2022-01-02"], "rate": [1]})
    with pytest.raises(NkfxValueError, match=(
            r"columns 'date' and 'time' both look like the date column; choose one with "
            r"columns=\{'date': ...\}")):
        read_rates(data, currency="CNY")
    # naming one of them resolves it; the other is kept as an extra column
    rates = read_rates(data, currency="CNY", columns={"date": "time"}).rates
    assert rates.loc[0, "date"] == pd.Timestamp("2022-01-02")
    assert rates.loc[0, "date_input"] == "2022-01-01"
    dup = pd.DataFrame([["2022-01-01", 1, 2]], columns=["date", "rate", "rate"])
    with pytest.raises(NkfxValueError, match="one row of unique column names"):
        read_rates(dup, currency="CNY")


def test_source_must_be_a_path_or_frame(tmp_path: Path) -> None:
    with pytest.raises(NkfxTypeError, match="source must be a file path or a pandas DataFrame; "
                                            "got int"):
        read_rates(5)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="source file not found"):
        read_rates(tmp_path / "nothing.csv")
    (tmp_path / "rates.json").write_text("{}")
    with pytest.raises(NkfxValueError, match=r"source must be a \.csv, \.txt, \.xlsx, \.xls or "
                                             r"\.parquet file; got 'rates.json'"):
        read_rates(tmp_path / "rates.json")


# --- wide tables (Daily NK's spreadsheet) ----------------------------------------------


def dailynk_sheet(tmp_path: Path) -> Path:
    text = (
        "날짜,평양,신의주,혜산,비고\n"
        "09-11-15,\"3,100\",\"3,050\",\"3,200\",\n"
        "09-12-02,0,0,0,화폐개혁\n"
        "09-12-13,36,38,,\n"
        "10-03-14,\"2,400\",\"2,350~2,450\",\"2,500\",\n"
    )
    path = tmp_path / "dailynk.csv"
    path.write_text(text, encoding="utf-8-sig")  # as Excel saves it, with a BOM
    return path


def test_wide_korean_sheet(tmp_path: Path) -> None:
    result = read_rates(dailynk_sheet(tmp_path), currency="USD", source_name="Daily NK",
                        old_won="divide")
    assert result.options["layout"] == "wide"
    assert result.options["city_columns"] == ["평양", "신의주", "혜산"]
    assert result.rows_read == 12  # 4 rows x 3 city columns
    rates = result.rates
    assert rates["city"].tolist() == ["Pyongyang", "Sinuiju", "Hyesan", "Pyongyang", "Sinuiju",
                                      "Pyongyang", "Sinuiju", "Hyesan"]
    assert rates["row"].tolist() == [0, 0, 0, 2, 2, 3, 3, 3]
    assert rates["rate"].tolist() == [31.0, 30.5, 32.0, 36.0, 38.0, 2400.0, 2400.0, 2500.0]
    assert rates["won_adjustment"].tolist()[:3] == ["divided_by_100"] * 3
    assert rates.loc[6, ["rate_low", "rate_high"]].tolist() == [2350.0, 2450.0]
    assert rates["note"].isna().all()  # 비고 (remarks) is the note column
    q = result.quarantine
    assert q[["row", "column", "value", "reason", "city"]].values.tolist() == [
        [1, "평양", "0", "rate is zero", "Pyongyang"],
        [1, "신의주", "0", "rate is zero", "Sinuiju"],
        [1, "혜산", "0", "rate is zero", "Hyesan"],
        [2, "혜산", "", "rate is missing", "Hyesan"],
    ]
    summary = result.summary()
    assert summary[["city", "currency", "n", "quarantined"]].values.tolist() == [
        ["Hyesan", "USD", 2, 2], ["Pyongyang", "USD", 3, 1], ["Sinuiju", "USD", 3, 1]]


def test_wide_layout_errors() -> None:
    with pytest.raises(NkfxValueError, match=(
            r"layout='wide' needs columns named after cities \(평양, 신의주, Hyesan, ...\); "
            r"the input has columns \['date', 'rate'\]")):
        read_rates(frame(rate=[1]), currency="CNY", layout="wide")
    data = pd.DataFrame({"date": ["2022-01-01"], "Hyesan": [800], "rate": [1]})
    with pytest.raises(NkfxValueError, match=(
            r"layout='wide' takes rates from the city columns \['Hyesan'\], but the input also "
            r"has a rate column 'rate'; use layout='long' or drop that column")):
        read_rates(data, currency="CNY", layout="wide")
    # auto: a rate column means long; the city-named column is kept as an extra
    rates = read_rates(data, currency="CNY").rates
    assert rates.loc[0, "rate"] == 1.0
    assert rates.loc[0, "Hyesan"] == 800
    with pytest.raises(NkfxValueError, match=r"city='Hyesan' was given but the input also has "
                                             r"city columns \(wide layout\)"):
        read_rates(pd.DataFrame({"date": ["2022-01-01"], "혜산": [800]}), currency="CNY",
                   city="Hyesan")


def test_long_layout_keeps_city_named_columns() -> None:
    data = pd.DataFrame({"date": ["2022-01-01"], "Hyesan": [800]})
    with pytest.raises(NkfxValueError, match="no rate column found"):
        read_rates(data, currency="CNY", layout="long")


# --- files -----------------------------------------------------------------------------


def test_cp949_csv(tmp_path: Path) -> None:
    path = tmp_path / "korean_excel.csv"
    path.write_bytes("날짜,지역,환율\n2022-10-05,혜산,820\n".encode("cp949"))
    rates = read_rates(path, currency="CNY").rates
    assert rates.loc[0, ["city", "rate"]].tolist() == ["Hyesan", 820.0]
    assert read_rates(str(path), currency="CNY").options["path"] == str(path)


def test_undecodable_and_broken_csv(tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes(b"date,rate\n\xff\xfe\xfa\xfb,1\n")
    with pytest.raises(NkfxValueError, match=r"could not decode 'binary\.csv' as UTF-8 or cp949"):
        read_rates(path, currency="CNY")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(NkfxValueError, match="no date column found"):
        read_rates(empty, currency="CNY")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text('date,rate\n2022-01-01,1\n2022-01-02,"2\n')
    with pytest.raises(NkfxValueError, match=r"could not read 'ragged\.csv' as CSV"):
        read_rates(ragged, currency="CNY")


def test_tab_separated_text(tmp_path: Path) -> None:
    path = tmp_path / "rates.txt"
    path.write_text("date\trate\n2022-10-05\t820\n")
    assert read_rates(path, currency="CNY", sep="\t").rates["rate"].tolist() == [820.0]


def test_excel_round_trip(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    data = pd.DataFrame({
        "날짜": [pd.Timestamp("2022-10-05"), "22-10-19", 44867],  # datetime, text, serial
        "혜산": [820, "800~900", 0], "신의주": [812.0, 830.0, 845.0],
    })
    path = tmp_path / "sheet.xlsx"
    data.to_excel(path, index=False, sheet_name="USD")
    result = read_rates(path, currency="CNY", sheet="USD")
    assert result.rates["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2022-10-05", "2022-10-05", "2022-10-19", "2022-10-19", "2022-11-02"]
    assert result.rates["rate"].tolist() == [820.0, 812.0, 850.0, 830.0, 845.0]
    assert result.quarantine[["row", "column", "reason"]].values.tolist() == [
        [2, "혜산", "rate is zero"]]


def test_parquet_round_trip(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    data = pd.DataFrame({"date": pd.to_datetime(["2022-10-05", "2022-10-06"]),
                         "city": ["Hyesan", "Sinuiju"], "rate": [820.0, -1.0]})
    path = tmp_path / "rates.parquet"
    data.to_parquet(path)
    result = read_rates(path, currency="CNY")
    assert result.rates[["city", "rate"]].values.tolist() == [["Hyesan", 820.0]]
    assert result.quarantine["reason"].tolist() == ["rate is negative"]


def test_missing_optional_reader_says_what_to_install(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def no_engine(*args: object, **kwargs: object) -> pd.DataFrame:
        raise ImportError("Missing optional dependency")

    monkeypatch.setattr(pd, "read_excel", no_engine)
    monkeypatch.setattr(pd, "read_parquet", no_engine)
    for name, extra in (("a.xlsx", "excel"), ("a.parquet", "parquet")):
        with zipfile.ZipFile(tmp_path / name, "w"):  # an empty archive passes check_archive
            pass
        with pytest.raises(ImportError, match=f'pip install "nkfx\\[{extra}\\]"'):
            read_rates(tmp_path / name, currency="CNY")


# --- untrusted Excel (issue 18) ----------------------------------------------------------------


def _rewrite_xlsx(source: Path, target: Path, member: str, text: bytes) -> None:
    """Copy the .xlsx ``source`` to ``target`` with ``member`` replaced by ``text``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item.filename, text if item.filename == member else old.read(item))


@pytest.fixture
def small_xlsx(tmp_path: Path) -> Path:
    pytest.importorskip("openpyxl")
    path = tmp_path / "ok.xlsx"
    pd.DataFrame({"date": ["2022-10-05"], "rate": [820.0]}).to_excel(path, index=False)
    return path


#: A DOCTYPE whose &lol9; expands to 10^9 'lol' (the "billion laughs").
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10)) + b"]>")


def laughing_sheet(xlsx: Path, encoding: str = "utf-8") -> bytes:
    """The first sheet of ``xlsx`` with a billion laughs in its date cell."""
    with zipfile.ZipFile(xlsx) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    text = (LAUGHS + sheet.replace(b"<t>2022-10-05</t>", b"<t>&lol9;</t>")).decode()
    if encoding == "utf-16":
        text = text.replace('"1.0"?', '"1.0" encoding="utf-16"?')
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_excel_with_entity_expansion_is_refused(small_xlsx: Path, tmp_path: Path, encoding: str) -> None:
    # a billion laughs (10^9 'lol') in a cell of the sheet, in UTF-8 or UTF-16
    bomb = tmp_path / "laughs.xlsx"
    _rewrite_xlsx(small_xlsx, bomb, "xl/worksheets/sheet1.xml", laughing_sheet(small_xlsx, encoding))
    with pytest.raises(NkfxValueError, match=r"source 'laughs.xlsx' declares XML entities in "
                                             r"'xl/worksheets/sheet1.xml'; refused"):
        read_rates(bomb, currency="CNY")


def test_excel_zip_bomb_is_refused_before_parsing(small_xlsx: Path, tmp_path: Path) -> None:
    # 40 MB of rows packed into ~40 kB: 1,000 times, where real sheets pack 5-20 times
    with zipfile.ZipFile(small_xlsx) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    row = b'<row r="3"><c r="A3" t="inlineStr"><is><t>2022-10-05</t></is></c><c r="B3"><v>1</v></c></row>'
    head, tail = sheet.split(b"</sheetData>")
    bomb = tmp_path / "bomb.xlsx"
    _rewrite_xlsx(small_xlsx, bomb, "xl/worksheets/sheet1.xml",
                  head + row * (40 * 2**20 // len(row)) + b"</sheetData>" + tail)
    with pytest.raises(NkfxValueError, match=r"source 'bomb.xlsx' would unpack to 4\d,\d{3},\d{3} bytes "
                                             r"from \d+,\d{3} \(at most 536,870,912 and 200 times"):
        read_rates(bomb, currency="CNY")


def test_excel_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("date,rate\n2022-10-05,820\n")
    with pytest.raises(NkfxValueError, match=r"source 'fake.xlsx' is not a valid .xlsx file"):
        read_rates(path, currency="CNY")


def test_ordinary_excel_passes_the_archive_check(small_xlsx: Path) -> None:
    assert read_rates(small_xlsx, currency="CNY").rates["rate"].tolist() == [820.0]


# --- the result object -----------------------------------------------------------------


def test_ingest_summary_repr_and_dict() -> None:
    data = pd.DataFrame({
        "date": ["2022-10-05", "2022-10-05", "2022-10-19", "2022-10-19", "bad", "2022-10-20"],
        "city": ["Hyesan", "Hyesan", "Hyesan", None, "Hyesan", "Sinuiju"],
        "currency": ["CNY", "CNY", "CNY", "USD", "CNY", "peanuts"],
        "source": ["Daily NK", "Daily NK", "Asia Press", "Daily NK", "Daily NK", "Daily NK"],
        "rate": [800, 805, 820, 8000, 810, 1],
    })
    result = read_rates(data)
    summary = result.summary()
    assert summary.columns.tolist() == ["city", "currency", "n", "first", "last", "sources",
                                        "duplicates", "quarantined"]
    assert summary.values.tolist() == [
        ["(no city)", "USD", 1, pd.Timestamp("2022-10-19"), pd.Timestamp("2022-10-19"), "Daily NK",
         0, 0],
        ["Hyesan", "CNY", 3, pd.Timestamp("2022-10-05"), pd.Timestamp("2022-10-19"),
         "Asia Press, Daily NK", 2, 1],
        ["Sinuiju", "(unknown)", 0, pd.NaT, pd.NaT, "", 0, 1],
    ]
    assert summary["n"].sum() + summary["quarantined"].sum() == result.rows_read
    assert result.reasons().to_dict() == {"date is not a date": 1, "currency is not recognised": 1}
    assert repr(result) == (
        "Ingest: 6 rows read, 4 accepted, 2 quarantined (date is not a date: 1, "
        "currency is not recognised: 1)\n"
        "  1 cities, currencies ['CNY', 'USD'], 2022-10-05 to 2022-10-19\n"
        "  layout='long', old_won=None")
    html = result._repr_html_()
    assert html.startswith("<p>Ingest: 6 rows read")
    assert "<table" in html
    as_dict = result.to_dict()
    assert as_dict["rows_read"] == 6
    assert as_dict["accepted"] == 4
    assert as_dict["reasons"] == {"date is not a date": 1, "currency is not recognised": 1}
    assert as_dict["options"]["layout"] == "long"


def test_ingest_plot_draws_one_line_per_series() -> None:
    import matplotlib.pyplot as plt

    data = frame(rate=[800, 8000], currency=["CNY", "USD"], city=["Hyesan", "Hyesan"])
    fig, ax = plt.subplots()
    try:
        assert read_rates(data).plot(ax=ax) is ax
        assert [line.get_label() for line in ax.get_lines()] == ["Hyesan CNY", "Hyesan USD"]
        assert ax.get_yscale() == "log"
    finally:
        plt.close(fig)


def test_canonical_text_columns_are_reused_but_independent() -> None:
    data = pd.DataFrame({"date": ["2022-10-05", "2022-10-06", "x"],
                         "city": ["Hyesan", "Hyesan", "Sinuiju"],
                         "currency": ["CNY", "CNY", "USD"], "source": ["Daily NK", None, "A"],
                         "date_precision": ["approx-week", None, "day"], "rate": [1, 2, 3]})
    before = data.copy(deep=True)
    rates = read_rates(data).rates
    assert rates["city"].tolist() == ["Hyesan", "Hyesan"]
    assert rates["source"].tolist() == ["Daily NK", "unknown"]
    assert rates["date_precision"].tolist() == ["approx-week", "day"]  # missing -> default
    rates.loc[0, "city"] = "Changed"
    pd.testing.assert_frame_equal(data, before)


def test_string_columns_share_one_dtype() -> None:
    canonical = read_rates(frame(rate=[1], city=["Hyesan"], currency=["CNY"])).rates
    spelled = read_rates(frame(rate=[1], city=["혜산"], currency=["yuan"])).rates
    for column in ("city", "currency", "source", "date_precision", "rate_type",
                   "won_adjustment"):
        assert canonical[column].dtype == spelled[column].dtype, column


# --- prices: a price is won per unit of a good, stored as a rate-frame row -------------------


def test_read_prices_with_a_good_gives_rate_frame_rows() -> None:
    data = pd.DataFrame({"date": ["2024-05-26", "2024-06-09", "2024-06-23"],
                         "city": ["평양", "Pyongyang", "Hyesan"], "price": ["5,800", "0", 6200]})
    before = data.copy(deep=True)
    result = read_prices(data, good="쌀", source_name="Daily NK")
    pd.testing.assert_frame_equal(data, before)  # never mutated
    rates = validate_rates(result.rates)
    assert list(rates.columns) == list(RATE_COLUMNS)
    assert rates[["city", "currency", "rate", "row"]].values.tolist() == [
        ["Pyongyang", "RICE", 5800.0, 0], ["Hyesan", "RICE", 6200.0, 2]]
    assert result.quarantine[["row", "column", "reason", "currency"]].values.tolist() == [
        [1, "price", "rate is zero", "RICE"]]
    assert result.rows_read == len(rates) + len(result.quarantine) == 3
    assert result.options["goods"] == ["RICE"]


def test_read_prices_finds_goods_from_headers_cell_by_cell() -> None:
    data = pd.DataFrame({"date": ["2022-11-04", "2022-11-11", "x"],
                         "쌀 가격": [5700, None, 5000], "Corn (KPW/kg)": [2700, 2600, 2500],
                         "cny_kpw": [820, 810, 800]})
    result = read_prices(data)
    rates = result.rates
    assert rates[["row", "currency", "rate"]].values.tolist() == [
        [0, "RICE", 5700.0], [0, "CORN", 2700.0], [1, "CORN", 2600.0]]
    assert result.quarantine[["row", "column", "reason", "currency"]].values.tolist() == [
        [1, "쌀 가격", "rate is missing", "RICE"], [2, "date", "date is not a date", "RICE"],
        [2, "date", "date is not a date", "CORN"]]
    assert result.rows_read == 6 == len(rates) + len(result.quarantine)
    assert result.options["good_columns"] == ["쌀 가격", "Corn (KPW/kg)"]
    assert rates["cny_kpw"].tolist() == [820, 820, 810]  # other columns are kept
    assert "Corn (KPW/kg)" not in rates.columns  # a good's column is never an extra of another
    only_corn = read_prices(data, good="maize")
    assert only_corn.rates["currency"].unique().tolist() == ["CORN"]
    assert only_corn.rows_read == 3
    with pytest.raises(SchemaError, match="3 of 6 rows could not be read"):
        read_prices(data, errors="raise")


def test_read_prices_works_downstream_like_rates() -> None:
    from nkfx import resample

    data = pd.DataFrame({"date": ["2024-01-03", "2024-01-20", "2024-02-05"], "value": [10, 20, 40]})
    rates = read_prices(data, good="rice", city="Hyesan").rates
    out = resample(rates, "MS", interpolate=False)
    assert out[["currency", "rate"]].values.tolist() == [["RICE", 15.0], ["RICE", 40.0]]


def test_read_prices_errors() -> None:
    data = pd.DataFrame({"date": ["2022-11-04"], "value": [5700]})
    with pytest.raises(NkfxValueError, match=(
            r"no good given and no column names one \(looked for headers such as "
            r"'rice_kpw_per_kg', 'corn', '쌀', '옥수수'\); the input has columns \['date', 'value'\]; "
            r"pass good='rice' or good='corn'")):
        read_prices(data)
    with pytest.raises(NkfxValueError, match="good 'peanuts' is not recognised"):
        read_prices(data, good="peanuts")
    with pytest.raises(NkfxTypeError, match="good must be a string such as 'rice' or 'corn'; got int"):
        read_prices(data, good=1)  # type: ignore[arg-type]
    wide = pd.DataFrame({"date": ["2022-11-04"], "rice_kpw_per_kg": [5700]})
    with pytest.raises(NkfxValueError, match=r"no column names 'corn' \(looked for headers"):
        read_prices(wide, good="corn")
    with pytest.raises(NkfxValueError, match="columns must not map 'currency' in read_prices"):
        read_prices(data, good="rice", columns={"currency": "value"})
    with pytest.raises(NkfxValueError, match="old_won must be one of"):
        read_prices(data, good="rice", old_won="halve")  # type: ignore[arg-type]


def test_read_rates_without_currency_points_to_read_prices() -> None:
    with pytest.raises(NkfxValueError, match=(
            r"no currency column found .*pass currency='CNY' or 'USD'; for prices in won \(rice, "
            r"corn: KPW per kg\) use read_prices\(source, good='rice'\)")):
        read_rates(pd.DataFrame({"date": ["2022-11-04"], "value": [5700]}))


def test_read_prices_from_a_wide_city_table_like_daily_nks_sheet() -> None:
    # Daily NK's spreadsheet: YY-MM-DD dates, a column per city, 0 in the redenomination week
    table = pd.DataFrame({"날짜": ["09-11-22", "09-11-29", "09-12-15"],
                          "평양": [22, 0, 44], "신의주": [21, 0, 40], "혜산": [23, 0, 45]})
    result = read_prices(table, good="쌀", source_name="Daily NK", old_won="keep")
    assert result.rows_read == 9
    assert result.rates[["date", "city", "rate"]].astype(str).values.tolist() == [
        ["2009-11-22", "Pyongyang", "22.0"], ["2009-11-22", "Sinuiju", "21.0"],
        ["2009-11-22", "Hyesan", "23.0"], ["2009-12-15", "Pyongyang", "44.0"],
        ["2009-12-15", "Sinuiju", "40.0"], ["2009-12-15", "Hyesan", "45.0"]]
    assert result.quarantine["reason"].tolist() == ["rate is zero"] * 3
    assert result.rates["won_adjustment"].tolist() == ["kept_as_reported"] * 3 + ["none"] * 3
    with pytest.raises(NkfxValueError, match="no good given and no column names one"):
        read_prices(table, old_won="keep")


def test_a_rate_outside_its_own_range_is_quarantined() -> None:
    # Found by fuzzing (issue 18): rate 12000 with rate_high 900 was accepted.
    frame = pd.DataFrame({
        "date": ["2022-01-01", "2022-01-02", "2022-01-03", "2022-01-04", "2022-01-05"],
        "city": "Hyesan", "currency": "CNY", "source": "x",
        "rate": [12000.0, 1.0, 900.0, None, 850.0],
        "rate_low": [None, 60804.0, 850.0, 800.0, 850.0],
        "rate_high": [900.0, None, 950.0, 1000.0, None]})
    before = frame.copy()
    result = read_rates(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert result.rates["rate"].tolist() == [900.0, 900.0, 850.0]
    assert result.quarantine[["row", "column", "reason"]].values.tolist() == [
        [0, "rate", "rate is above rate_high"], [1, "rate", "rate is below rate_low"]]
    assert len(result.rates) + len(result.quarantine) == result.rows_read
