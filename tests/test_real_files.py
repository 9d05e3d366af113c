"""Every real file in ../shared/data read with read_rates(), counts pinned after inspection."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nkfx import read_rates
from nkfx.errors import NkfxValueError
from nkfx.schema import validate_rates


def test_observations_from_articles(shared_data: Path) -> None:
    result = read_rates(shared_data / "observations_from_articles.csv")
    rates = result.rates
    validate_rates(rates)
    # 255 rows, none rejected: the three rows with an empty kpw_per_unit carry a range in
    # kpw_low/kpw_high and get its midpoint; every row is after the redenomination
    assert (result.rows_read, len(rates), len(result.quarantine)) == (255, 255, 0)
    assert result.options["pre_redenomination_rows"] == 0
    assert rates["currency"].value_counts().to_dict() == {"CNY": 190, "USD": 65}
    assert rates["city"].fillna("(none)").value_counts().to_dict() == {
        "(none)": 107, "Hyesan": 58, "Pyongyang": 38, "Sinuiju": 34, "Hoeryong": 8, "Chongjin": 5,
        "Onsong": 2, "Pyongsong": 2, "Musan": 1}
    assert rates["source"].value_counts().to_dict() == {
        "Daily NK": 128, "Asia Press": 81, "NK Times": 25, "LFNKR": 6, "Radio Free Asia": 5,
        "Open Radio for North Korea": 3, "Korea Herald": 2, "Sisa Weekly": 2,
        "Voice of Freedom (ROK JCS)": 2, "NK News": 1}
    ranges = rates[rates["rate_low"].notna()]
    assert ranges[["row", "rate", "rate_low", "rate_high"]].values.tolist() == [
        [108, 4500.0, 4000.0, 5000.0], [142, 850.0, 800.0, 900.0], [143, 850.0, 800.0, 900.0]]
    # conflicting reports of one date, city, currency and source: flagged, not merged
    assert rates.loc[rates["duplicate"], "row"].tolist() == [
        58, 59, 66, 67, 89, 90, 106, 107, 192, 193, 247, 248]
    assert rates["date"].min() == pd.Timestamp("2009-12-03")
    assert rates["date"].max() == pd.Timestamp("2025-10-23")
    assert {"publisher", "url", "note", "region", "kind"} <= set(rates.columns)


def test_dailynk_usd_by_city(shared_data: Path) -> None:
    path = shared_data / "dailynk_usd_kpw_by_city.csv"
    with pytest.raises(NkfxValueError, match="24 rows are dated before the 2009-11-30"):
        read_rates(path, currency="USD", source_name="Daily NK")
    # the compiler already divided the old-won rows by 100, so they are kept as reported
    result = read_rates(path, currency="USD", source_name="Daily NK", old_won="keep")
    rates = result.rates
    assert (result.rows_read, len(rates), len(result.quarantine)) == (1029, 1029, 0)
    assert rates["won_adjustment"].value_counts().to_dict() == {
        "none": 1005, "kept_as_reported": 24}
    assert rates["city"].value_counts().to_dict() == {
        "Pyongyang": 343, "Sinuiju": 343, "Hyesan": 343}
    assert not rates["duplicate"].any()
    hyesan = rates[rates["city"] == "Hyesan"].set_index("date")["rate"]
    # features the data README lists: the March 2010 spike, the 2022 freight restart,
    # the 2024 depreciation
    assert hyesan["2010-03-03"] == 2350.0
    assert hyesan["2010-04-01"] == 600.0
    assert (hyesan["2022-01-11"], hyesan["2022-01-24"]) == (4650.0, 6675.0)
    assert (hyesan["2024-05-26"], hyesan["2024-06-09"]) == (8910.0, 12400.0)
    assert hyesan["2024-12-07"] == 21400.0
    rejected = read_rates(path, currency="USD", source_name="Daily NK", old_won="reject")
    assert (len(rejected.rates), len(rejected.quarantine)) == (1005, 24)
    assert set(rejected.reasons().index) == {
        "dated before the 2009-11-30 redenomination (old won)"}


def test_dailynk_rice_is_not_an_exchange_rate(shared_data: Path) -> None:
    # Rice prices (KPW per kg) have no foreign currency; read_rates() refuses to invent one.
    with pytest.raises(NkfxValueError, match=(
            r"no currency column found .*the input has columns \['entity', 'time', 'value'\]; "
            r".*pass currency='CNY' or 'USD'")):
        read_rates(shared_data / "dailynk_rice_kpw_per_kg_by_city.csv", old_won="keep")


def test_asiapress_price_table(shared_data: Path) -> None:
    path = shared_data / "asiapress_price_table_excerpt.csv"
    with pytest.raises(NkfxValueError, match="no rate column found"):
        read_rates(path, currency="CNY")
    cny = read_rates(path, columns={"rate": "cny_kpw"}, currency="CNY", source_name="Asia Press")
    assert (cny.rows_read, len(cny.rates), len(cny.quarantine)) == (24, 18, 6)
    assert cny.quarantine[["row", "column", "reason"]].values.tolist() == [
        [r, "cny_kpw", "rate is missing"] for r in (3, 6, 7, 8, 9, 10)]
    assert cny.rates["rate"].iloc[:3].tolist() == [1200.0, 1240.0, 1280.0]
    assert cny.rates["url"].str.startswith("http").all()  # source_url is the url column
    assert "usd_kpw" in cny.rates.columns  # the other prices stay as extra columns
    usd = read_rates(path, columns={"rate": "usd_kpw"}, currency="USD", source_name="Asia Press")
    assert (len(usd.rates), len(usd.quarantine)) == (13, 11)
    assert usd.rates["rate"].max() == 72000.0


def test_official_rates(shared_data: Path) -> None:
    path = shared_data / "official_rates.csv"
    with pytest.raises(NkfxValueError, match="1 rows are dated before the 2009-11-30"):
        read_rates(path)
    divided = read_rates(path, old_won="divide")
    rates = divided.rates
    assert (divided.rows_read, len(rates), len(divided.quarantine)) == (9, 9, 0)
    assert rates.loc[0, ["rate", "won_adjustment"]].tolist() == [1.4, "divided_by_100"]
    assert rates["currency"].tolist() == ["USD", "USD", "CNY", "EUR", "USD", "USD", "USD", "USD",
                                          "USD"]
    assert rates["source"].tolist() == [
        "Daily NK", "International Herald Leader", "International Herald Leader",
        "International Herald Leader", "Reuters", "NK Economy Watch", "Bloomberg", "Daily NK",
        "Daily NK"]
    assert rates["rate_type"].iloc[1] == "official (Trade Bank)"
    assert rates["duplicate"].sum() == 0
    rejected = read_rates(path, old_won="reject")
    assert (len(rejected.rates), len(rejected.quarantine)) == (8, 1)
