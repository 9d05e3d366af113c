"""Every real file in ../shared/data read with read_rates(), counts pinned after inspection."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nkfx import read_rates
from nkfx.errors import NkfxValueError
from nkfx.ingest import read_prices
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
    # Rice prices (KPW per kg) have no foreign currency; read_rates() refuses to invent one
    # and points to read_prices().
    with pytest.raises(NkfxValueError, match=(
            r"no currency column found .*the input has columns \['entity', 'time', 'value'\]; "
            r".*pass currency='CNY' or 'USD'; for prices in won \(rice, corn: KPW per kg\) use "
            r"read_prices\(source, good='rice'\)")):
        read_rates(shared_data / "dailynk_rice_kpw_per_kg_by_city.csv", old_won="keep")


def test_dailynk_rice_read_as_prices(shared_data: Path) -> None:
    path = shared_data / "dailynk_rice_kpw_per_kg_by_city.csv"
    with pytest.raises(NkfxValueError, match="24 rows are dated before the 2009-11-30"):
        read_prices(path, good="rice", source_name="Daily NK")
    result = read_prices(path, good="rice", source_name="Daily NK", old_won="keep")
    rates = validate_rates(result.rates)
    # 344 dates x 3 cities, every cell a number: nothing quarantined
    assert (result.rows_read, len(rates), len(result.quarantine)) == (1032, 1032, 0)
    assert rates["currency"].unique().tolist() == ["RICE"]
    assert rates["city"].value_counts().to_dict() == {"Pyongyang": 344, "Sinuiju": 344, "Hyesan": 344}
    assert rates["won_adjustment"].value_counts().to_dict() == {"none": 1008, "kept_as_reported": 24}
    pyongyang = rates[rates["city"] == "Pyongyang"].set_index("date")["rate"]
    # the post-redenomination spike: 22 won/kg before the reform, 1,300 in March 2010, 200 by April
    assert (pyongyang["2009-11-22"], pyongyang["2010-03-08"], pyongyang["2010-04-01"]) == (
        22.0, 1300.0, 200.0)
    assert (pyongyang["2025-08-03"], pyongyang["2025-08-17"]) == (15200.0, 23200.0)


def test_detect_on_pyongyang_rice(shared_data: Path) -> None:
    from nkfx import detect

    path = shared_data / "dailynk_rice_kpw_per_kg_by_city.csv"
    rice = read_prices(path, good="rice", source_name="Daily NK", old_won="keep").rates
    # detect() takes a price series unchanged (currency="rice" selects the RICE rows)
    found = detect(rice, city="Pyongyang", currency="rice").to_frame()
    # default (jumps): the redenomination and the 2010 post-reform spike dominate the drift
    # estimate, so all ten jumps fall between 2009-11 and 2010-12
    assert found["first_new"].dt.strftime("%Y-%m-%d").tolist() == [
        "2009-12-15", "2010-01-06", "2010-01-14", "2010-03-03", "2010-03-08", "2010-03-23",
        "2010-04-01", "2010-04-07", "2010-07-21", "2010-12-13"]
    later = rice[rice["date"] >= "2011-01-01"]
    jumps = detect(later, city="Pyongyang", currency="RICE").to_frame()
    assert jumps[["last_old", "first_new"]].astype(str).values.tolist() == [
        ["2025-08-03", "2025-08-17"]]
    assert jumps["report_jump_pct"].round(1).tolist() == [52.6]
    bp = detect(later, "bai-perron", city="Pyongyang", currency="RICE").to_frame()
    assert bp["first_new"].dt.strftime("%Y-%m-%d").tolist() == [
        "2014-11-06", "2022-06-12", "2025-01-05"]


def test_pass_through_usd_to_rice_in_pyongyang(shared_data: Path) -> None:
    from nkfx.prices import pass_through

    rice = read_prices(shared_data / "dailynk_rice_kpw_per_kg_by_city.csv", good="rice",
                       source_name="Daily NK", old_won="keep").rates
    usd = read_rates(shared_data / "dailynk_usd_kpw_by_city.csv", currency="USD",
                     source_name="Daily NK", old_won="keep").rates
    res = pass_through(rice, usd, good="rice", currency="USD", city="Pyongyang")
    assert res.n == 142
    assert res.coefficients["coef"].round(2).tolist() == pytest.approx([0.70, 0.12, -0.07], abs=0.01)
    assert res.cumulative == pytest.approx(0.748, abs=0.005)
    assert res.cumulative_ci == pytest.approx((0.383, 1.113), abs=0.01)
    # no significant break in the pass-through coefficients (wild bootstrap, seed 0)
    assert not res.break_found
    assert res.break_test["pvalue"] == pytest.approx(0.395, abs=0.05)
    assert str(res.break_test["first_new"].date()) == "2019-04-01"


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
    prices = read_prices(path, source_name="Asia Press")
    # rice and corn found from the headers rice_kpw_per_kg, corn_kpw_per_kg: 24 rows x 2 cells
    assert (prices.rows_read, len(prices.rates), len(prices.quarantine)) == (48, 46, 2)
    assert prices.options["good_columns"] == ["rice_kpw_per_kg", "corn_kpw_per_kg"]
    assert prices.quarantine[["row", "column", "reason"]].values.tolist() == [
        [0, "rice_kpw_per_kg", "rate is missing"], [0, "corn_kpw_per_kg", "rate is missing"]]
    corn = prices.rates[prices.rates["currency"] == "CORN"]
    assert corn["rate"].iloc[:3].tolist() == [2700.0, 2300.0, 2400.0]
    assert prices.rates.loc[prices.rates["currency"] == "RICE", "rate"].max() == 43000.0


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


def test_event_study_and_combine_take_rice_unchanged(shared_data: Path) -> None:
    from nkfx import combine, event_study

    rice = read_prices(shared_data / "dailynk_rice_kpw_per_kg_by_city.csv", good="rice",
                       source_name="Daily NK", old_won="keep").rates
    assert len(combine(rice)) == 1032  # one source per date and city: nothing to merge
    study = event_study(rice, "freight_train_resumes_2022", city="Sinuiju", currency="rice")
    row = study.results.iloc[0]
    # the Sinuiju-Dandong freight restart moved the dollar in Sinuiju 4,700 -> 6,730 (+43%);
    # rice in Sinuiju moved 4,600 -> 4,800 (+4.3%) between the reports that bracket it
    assert (row["before_rate"], row["after_rate"]) == (4600.0, 4800.0)
    assert row["jump_pct"] == pytest.approx(4.35, abs=0.01)
