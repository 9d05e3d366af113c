from __future__ import annotations

import csv

import pandas as pd
import pytest

from nkfx.errors import NkfxTypeError, NkfxValueError
from nkfx.names import (
    canonical_cities,
    canonical_city,
    canonical_currency,
    canonical_good,
    canonical_source,
    is_known_city,
)

CITY_SPELLINGS = {
    "Sinuiju": ["Sinuiju", "Sinŭiju", "Shinuiju", "Sin-uiju", "SINUIJU", "신의주", "新義州",
                "新义州", "신의주시", "Sinuiju City"],
    "Pyongyang": ["Pyongyang", "P'yŏngyang", "P’yŏngyang", "Pyeongyang", "pyong yang", "평양",
                  "平壤", "평양시"],
    "Hyesan": ["Hyesan", "hyesan", " Hyesan ", "혜산", "惠山", "惠山市", "Hyesan-si"],
    "Chongjin": ["Chongjin", "Ch'ŏngjin", "Cheongjin", "청진", "清津"],
    "Hoeryong": ["Hoeryong", "Hoeryŏng", "Hoeryeong", "회령", "會寧"],
    "Musan": ["Musan", "무산", "茂山"],
    "Onsong": ["Onsong", "Onsŏng", "온성"],
    "Pyongsong": ["Pyongsong", "P'yŏngsŏng", "Pyeongseong", "평성", "平城"],
    "Hamhung": ["Hamhung", "Hamhŭng", "함흥"],
    "Sariwon": ["Sariwon", "사리원"],
    "Nampo": ["Nampo", "Namp'o", "남포"],
    "Wonsan": ["Wonsan", "Wŏnsan", "원산"],
    "Kaesong": ["Kaesong", "Kaesŏng", "Gaeseong", "개성"],
    "Kanggye": ["Kanggye", "강계"],
    "Manpo": ["Manpo", "만포"],
    "Rason": ["Rason", "Rajin", "나선", "라선"],
    "Haeju": ["Haeju", "해주"],
    "Namyang": ["Namyang", "남양"],
    "Kimchaek": ["Kimchaek", "Kimch'aek", "김책"],
    "Tanchon": ["Tanchon", "Tanch'ŏn", "단천"],
    "Dandong": ["Dandong", "丹东", "丹東", "단둥"],
}


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [(s, c) for c, spellings in CITY_SPELLINGS.items() for s in spellings],
)
def test_canonical_city_maps_every_spelling(spelling: str, canonical: str) -> None:
    assert canonical_city(spelling) == canonical
    assert is_known_city(spelling)


def test_unknown_city_is_returned_stripped_as_written() -> None:
    assert canonical_city("  Springfield ") == "Springfield"
    assert not is_known_city("Springfield")
    assert canonical_city("") == ""


def test_suffix_stripping_needs_a_known_remainder() -> None:
    # "Onsi" would become "On" after removing "si"; that is not a city, so it is kept
    assert canonical_city("Onsi") == "Onsi"


def test_city_functions_reject_non_strings() -> None:
    with pytest.raises(NkfxTypeError, match="name must be a string; got int"):
        canonical_city(3)  # type: ignore[arg-type]
    with pytest.raises(NkfxTypeError, match="name must be a string; got NoneType"):
        is_known_city(None)  # type: ignore[arg-type]


def test_canonical_cities_maps_a_column_and_keeps_missing() -> None:
    values = pd.Series(["혜산", None, "Shinuiju", "Atlantis", float("nan")], index=[5, 6, 7, 8, 9])
    out = canonical_cities(values)
    assert out.tolist() == ["Hyesan", None, "Sinuiju", "Atlantis", None]
    assert out.index.tolist() == [5, 6, 7, 8, 9]
    assert values.tolist()[0] == "혜산"  # input untouched
    with pytest.raises(NkfxTypeError, match="values must be a pandas Series; got list"):
        canonical_cities(["Hyesan"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spelling", "code"),
    [("yuan", "CNY"), ("Yuan", "CNY"), ("RMB", "CNY"), ("CNY", "CNY"), ("cny", "CNY"),
     ("위안", "CNY"), ("위안화", "CNY"), ("元", "CNY"), ("인민폐", "CNY"), ("人民币", "CNY"),
     ("Chinese yuan", "CNY"), ("renminbi", "CNY"),
     ("dollar", "USD"), ("Dollars", "USD"), ("USD", "USD"), ("US$", "USD"), ("us $", "USD"),
     ("$", "USD"), ("달러", "USD"), ("美元", "USD"), ("US dollar", "USD"),
     ("EUR", "EUR"), ("jpy", "JPY"), ("euro", "EUR"), ("yen", "JPY"), (" rub ", "RUB")],
)
def test_canonical_currency(spelling: str, code: str) -> None:
    assert canonical_currency(spelling) == code


def test_canonical_currency_errors() -> None:
    with pytest.raises(
        NkfxValueError,
        match=r"currency 'peanuts' is not recognised; use an ISO code such as 'CNY' or 'USD', "
              r"or one of 'CNY', 'USD', 'yuan', 'RMB', '위안'",
    ):
        canonical_currency("peanuts")
    with pytest.raises(NkfxValueError, match="currency 'KPW' is the won itself"):
        canonical_currency("KPW")
    with pytest.raises(NkfxValueError, match="currency '원' is the won itself"):
        canonical_currency("원")
    with pytest.raises(NkfxValueError, match="currency 'US' is not recognised"):
        canonical_currency("US")
    with pytest.raises(NkfxTypeError, match="currency must be a string; got float"):
        canonical_currency(1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spelling", "code"),
    [("rice", "RICE"), ("Rice", "RICE"), ("RICE", "RICE"), (" white  rice ", "RICE"),
     ("쌀", "RICE"), ("입쌀", "RICE"), ("大米", "RICE"), ("米", "RICE"),
     ("corn", "CORN"), ("maize", "CORN"), ("Maize", "CORN"), ("옥수수", "CORN"),
     ("강냉이", "CORN"), ("玉米", "CORN"), ("CORN", "CORN")],
)
def test_canonical_good(spelling: str, code: str) -> None:
    assert canonical_good(spelling) == code
    # the currency column of a rate frame holds a currency or a good: select() relies on this
    assert canonical_currency(spelling) == code


def test_canonical_good_errors() -> None:
    with pytest.raises(NkfxValueError, match=(
            r"good 'peanuts' is not recognised; use 'RICE' or 'CORN' or one of 'rice', '쌀', "
            r"'大米', 'corn', 'maize', '옥수수', '玉米'$")):
        canonical_good("peanuts")
    with pytest.raises(NkfxValueError, match=(
            r"good 'USD' is not recognised; .* \(it looks like a currency: exchange rates are "
            r"read with read_rates\)")):
        canonical_good("USD")
    with pytest.raises(NkfxValueError, match=r"good 'yuan' is not recognised; .*looks like a currency"):
        canonical_good("yuan")
    with pytest.raises(NkfxTypeError, match="good must be a string; got int"):
        canonical_good(3)  # type: ignore[arg-type]
    # goods do not make currencies of arbitrary words
    with pytest.raises(NkfxValueError, match="currency 'peanuts' is not recognised"):
        canonical_currency("peanuts")
    with pytest.raises(NkfxValueError, match="currency 'wheat' is not recognised"):
        canonical_currency("wheat")


@pytest.mark.parametrize(
    ("publisher", "outlet"),
    [("Daily NK", "Daily NK"), ("Daily NK (Korean)", "Daily NK"),
     ("Daily NK (mirror thepressunited)", "Daily NK"), ("Daily NK via Nocut News", "Daily NK"),
     ("Daily NK (Korean) via utdusa.tistory.com repost", "Daily NK"),
     ("Asia Press (Japanese price table)", "Asia Press"), ("Asia Press via MBC News", "Asia Press"),
     ("NK Times (English)", "NK Times"), ("Radio Free Asia via Choson Ilbo", "Radio Free Asia"),
     ("Radio Free Asia (Korean) via sinabroin.com repost", "Radio Free Asia"),
     ("Life Funds for North Korean Refugees (LFNKR) survey", "LFNKR"),
     ("NK Pro Exchange Rate Index via NK News", "NK News"),
     ("Open Radio for North Korea via Yonhap", "Open Radio for North Korea"),
     ("Sisa Weekly (시사주간)", "Sisa Weekly"), ("Korea Herald", "Korea Herald"),
     ("banknotenews.com citing Daily NK", "Daily NK"),
     ("KBS citing International Herald Leader", "International Herald Leader"),
     ("NK Economy Watch (photo by Jaka Parker)", "NK Economy Watch"),
     ("(unknown)", "(unknown)"), ("  Some   Blog ", "Some Blog")],
)
def test_canonical_source(publisher: str, outlet: str) -> None:
    assert canonical_source(publisher) == outlet


def test_canonical_source_rejects_non_strings() -> None:
    with pytest.raises(NkfxTypeError, match="publisher must be a string; got NoneType"):
        canonical_source(None)  # type: ignore[arg-type]


def test_every_publisher_in_the_articles_file_gives_a_known_outlet(shared_data) -> None:
    with open(shared_data / "observations_from_articles.csv", encoding="utf-8") as handle:
        publishers = {row["publisher"] for row in csv.DictReader(handle)}
    outlets = {canonical_source(p) for p in publishers}
    assert len(publishers) == 36
    assert outlets == {
        "Asia Press", "Daily NK", "Korea Herald", "LFNKR", "NK News", "NK Times",
        "Open Radio for North Korea", "Radio Free Asia", "Sisa Weekly",
        "Voice of Freedom (ROK JCS)",
    }
