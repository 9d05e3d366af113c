"""City, currency, good and source names: one canonical spelling for each.

North Korean place names reach us in McCune–Reischauer (with or without breves and
apostrophes: ``P'yŏngyang``, ``Pyongyang``), Revised Romanisation (``Pyeongyang``),
Hangul (``평양``) and Hanja (``平壤``). Matching ignores case, spaces, hyphens,
apostrophes and diacritics, and a trailing "city"/"-si"/"시"/"市".
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from nkfx.errors import NkfxTypeError, NkfxValueError

__all__ = [
    "canonical_cities",
    "canonical_city",
    "canonical_currency",
    "canonical_good",
    "canonical_source",
    "is_known_city",
]

#: Canonical English name -> other spellings (romanisations, Hangul, Hanja).
_CITIES: dict[str, tuple[str, ...]] = {
    "Pyongyang": ("P'yŏngyang", "Pyeongyang", "Phyongyang", "평양", "平壤"),
    "Sinuiju": ("Sinŭiju", "Shinuiju", "Shinŭiju", "Sinuiju", "신의주", "新義州", "新义州"),
    "Hyesan": ("Hyesan", "혜산", "惠山"),
    "Chongjin": ("Ch'ŏngjin", "Cheongjin", "Chungjin", "청진", "清津", "淸津"),
    "Hoeryong": ("Hoeryŏng", "Hoeryeong", "Hweryong", "회령", "會寧", "会宁"),
    "Musan": ("Musan", "무산", "茂山"),
    "Onsong": ("Onsŏng", "Onseong", "온성", "穩城", "稳城"),
    "Pyongsong": ("P'yŏngsŏng", "Pyeongseong", "평성", "平城"),
    "Hamhung": ("Hamhŭng", "Hamheung", "함흥", "咸興", "咸兴"),
    "Sariwon": ("Sariwŏn", "Sariwon", "사리원", "沙里院"),
    "Nampo": ("Namp'o", "Nampho", "남포", "南浦"),
    "Wonsan": ("Wŏnsan", "Wonsan", "원산", "元山"),
    "Kaesong": ("Kaesŏng", "Gaeseong", "개성", "開城", "开城"),
    "Kanggye": ("Kanggye", "Ganggye", "강계", "江界"),
    "Manpo": ("Manp'o", "Manpo", "만포", "滿浦", "满浦"),
    "Rason": ("Rasŏn", "Rajin", "Rajin-Sonbong", "Naseon", "Raseon", "나선", "라선", "羅先", "罗先"),
    "Haeju": ("Haeju", "해주", "海州"),
    "Namyang": ("Namyang", "남양", "南陽", "南阳"),
    "Kimchaek": ("Kimch'aek", "Gimchaek", "김책", "金策"),
    "Tanchon": ("Tanch'ŏn", "Dancheon", "단천", "端川"),
    "Sunchon": ("Sunch'ŏn", "Suncheon", "순천", "順川", "顺川"),
    "Anju": ("Anju", "안주", "安州"),
    "Kilju": ("Kilju", "Gilju", "길주", "吉州"),
    "Kusong": ("Kusŏng", "Guseong", "구성", "龜城", "龟城"),
    "Dandong": ("Tandong", "Antung", "단둥", "丹東", "丹东"),
}

_CITY_SUFFIXES = ("city", "si", "시", "市")

_CURRENCIES: dict[str, tuple[str, ...]] = {
    "CNY": ("cny", "yuan", "rmb", "renminbi", "chinese yuan", "yuan renminbi", "위안",
            "위안화", "중국 위안", "인민폐", "元", "人民币", "人民幣", "cn¥"),
    "USD": ("usd", "dollar", "dollars", "us dollar", "us dollars", "us$", "$", "달러", "미국 달러",
            "미화", "美元", "u.s. dollar"),
    "EUR": ("euro", "euros", "유로", "欧元", "€"),
    "JPY": ("yen", "엔", "엔화", "円", "日元"),
    "RUB": ("rouble", "ruble", "루블"),
}
#: Spellings shown in error messages.
_CURRENCY_EXAMPLES = "'CNY', 'USD', 'yuan', 'RMB', '위안', '元', 'dollar', 'US$', '달러', '美元'"
_NOT_FOREIGN = frozenset({"kpw", "won", "원", "북한 원"})

#: Goods priced in won (KPW per kg), code -> spellings. A price is "won per unit of a
#: thing", so a price row is a rate-frame row whose ``currency`` holds the good's code.
_GOODS: dict[str, tuple[str, ...]] = {
    "RICE": ("rice", "쌀", "입쌀", "大米", "米", "稻米", "white rice"),
    "CORN": ("corn", "maize", "옥수수", "강냉이", "玉米", "苞米"),
}
_GOOD_EXAMPLES = "'rice', '쌀', '大米', 'corn', 'maize', '옥수수', '玉米'"

#: Publisher aliases (normalised key -> outlet), applied after " via " and (...) are removed.
_SOURCES: dict[str, str] = {
    "daily nk": "Daily NK",
    "dailynk": "Daily NK",
    "데일리nk": "Daily NK",
    "데일리엔케이": "Daily NK",
    "asia press": "Asia Press",
    "asiapress": "Asia Press",
    "아시아프레스": "Asia Press",
    "rimjin-gang": "Asia Press",
    "nk times": "NK Times",
    "nktimes": "NK Times",
    "radio free asia": "Radio Free Asia",
    "rfa": "Radio Free Asia",
    "자유아시아방송": "Radio Free Asia",
    "nk pro": "NK News",
    "nk pro exchange rate index": "NK News",
    "nk news": "NK News",
    "life funds for north korean refugees": "LFNKR",
    "life funds for north korean refugees survey": "LFNKR",
    "lfnkr": "LFNKR",
    "rok jcs 'voice of freedom' loudspeaker broadcast": "Voice of Freedom (ROK JCS)",
    "voice of freedom": "Voice of Freedom (ROK JCS)",
}

_APOSTROPHES = re.compile(r"['’‘`ʼʻ\"\s\-_.]+")


def _key(name: str) -> str:
    """Return the matching key: no diacritics (Hangul kept whole), no case, no apostrophes or spaces."""
    decomposed = unicodedata.normalize("NFD", name)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _APOSTROPHES.sub("", unicodedata.normalize("NFC", stripped).casefold())


_CITY_INDEX: dict[str, str] = {
    _key(alias): canon for canon, aliases in _CITIES.items() for alias in (canon, *aliases)
}
_CURRENCY_INDEX: dict[str, str] = {
    _key(alias): code for code, aliases in _CURRENCIES.items() for alias in aliases
}

_GOOD_INDEX: dict[str, str] = {
    _key(alias): code for code, aliases in _GOODS.items() for alias in (code, *aliases)
}


def _lookup_city(name: str) -> str | None:
    key = _key(name)
    if key in _CITY_INDEX:
        return _CITY_INDEX[key]
    for suffix in _CITY_SUFFIXES:
        if key.endswith(suffix) and key[: -len(suffix)] in _CITY_INDEX:
            return _CITY_INDEX[key[: -len(suffix)]]
    return None


def _check_str(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise NkfxTypeError(f"{name} must be a string; got {type(value).__name__}")
    return value


def canonical_city(name: str) -> str:
    """Return the canonical English name of a city, or the name stripped if unknown.

    Parameters
    ----------
    name : str
        A city name in any common romanisation, Hangul or Hanja.

    Returns
    -------
    str
        The canonical name (``"Sinuiju"``); an unknown name is returned stripped of
        surrounding whitespace, as written (no warning here; see :func:`is_known_city`).

    Raises
    ------
    NkfxTypeError
        If ``name`` is not a string.

    Examples
    --------
    >>> from nkfx.names import canonical_city
    >>> [canonical_city(n) for n in ["Sinŭiju", "Shinuiju", "신의주", "新義州", " hyesan "]]
    ['Sinuiju', 'Sinuiju', 'Sinuiju', 'Sinuiju', 'Hyesan']
    >>> canonical_city("P'yŏngyang"), canonical_city("평양시"), canonical_city("Atlantis ")
    ('Pyongyang', 'Pyongyang', 'Atlantis')
    """
    stripped = _check_str("name", name).strip()
    return _lookup_city(stripped) or stripped


def is_known_city(name: str) -> bool:
    """Return whether ``name`` is a spelling of a city in nkfx's gazetteer.

    Parameters
    ----------
    name : str
        A city name.

    Returns
    -------
    bool
        ``True`` when :func:`canonical_city` maps it to a canonical name.

    Raises
    ------
    NkfxTypeError
        If ``name`` is not a string.

    Examples
    --------
    >>> from nkfx.names import is_known_city
    >>> is_known_city("Ch'ŏngjin"), is_known_city("Springfield")
    (True, False)
    """
    return _lookup_city(_check_str("name", name).strip()) is not None


def canonical_cities(values: pd.Series) -> pd.Series:
    """Apply :func:`canonical_city` to a whole column, mapping each distinct value once.

    Parameters
    ----------
    values : pandas.Series
        City names; missing values stay missing (``None``), non-strings are converted
        with ``str``.

    Returns
    -------
    pandas.Series
        Object dtype, same index as ``values``.

    Raises
    ------
    NkfxTypeError
        If ``values`` is not a Series.

    Examples
    --------
    >>> import pandas as pd
    >>> from nkfx.names import canonical_cities
    >>> canonical_cities(pd.Series(["혜산", "Hyesan", None, "sinuiju"])).tolist()
    ['Hyesan', 'Hyesan', None, 'Sinuiju']
    """
    if not isinstance(values, pd.Series):
        raise NkfxTypeError(f"values must be a pandas Series; got {type(values).__name__}")
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    mapped = np.array([canonical_city(str(u)) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, name=values.name, dtype=object)


def canonical_currency(name: str) -> str:
    """Return the ISO code of a currency written as a word, symbol or code.

    The ``currency`` column of a rate frame holds a currency *or a good* (prices are won
    per kg of rice or corn, see :func:`canonical_good`), so the goods' names map to their
    codes here too: ``select(prices, currency="rice")`` finds the ``"RICE"`` rows.

    Parameters
    ----------
    name : str
        ``"yuan"``, ``"RMB"``, ``"위안"``, ``"元"``, ``"dollar"``, ``"US$"``, ``"달러"``, ...
        Any other three-letter code (``"eur"``) is accepted and upper-cased. Goods:
        ``"rice"``, ``"쌀"``, ``"corn"``, ``"옥수수"``, ... (see :func:`canonical_good`).

    Returns
    -------
    str
        ISO 4217 code such as ``"CNY"`` or ``"USD"``, or a good's code (``"RICE"``).

    Raises
    ------
    NkfxValueError
        If the spelling is unknown, or names the won itself (rates are won per unit
        of a *foreign* currency).
    NkfxTypeError
        If ``name`` is not a string.

    Examples
    --------
    >>> from nkfx.names import canonical_currency
    >>> [canonical_currency(c) for c in ["yuan", "RMB", "위안", "元", "US$", "달러", "eur"]]
    ['CNY', 'CNY', 'CNY', 'CNY', 'USD', 'USD', 'EUR']
    >>> canonical_currency("RICE"), canonical_currency("옥수수")
    ('RICE', 'CORN')
    >>> canonical_currency("peanuts")
    Traceback (most recent call last):
    ...
    nkfx.errors.NkfxValueError: currency 'peanuts' is not recognised; use an ISO code ...
    """
    text = " ".join(_check_str("currency", name).split())
    if text.casefold() in _NOT_FOREIGN:
        raise NkfxValueError(
            f"currency {name!r} is the won itself; give the foreign currency that the rate "
            f"prices in won, e.g. 'CNY' or 'USD'"
        )
    code = _CURRENCY_INDEX.get(_key(text)) or _GOOD_INDEX.get(_key(text))
    if code is not None:
        return code
    if re.fullmatch(r"[A-Za-z]{3}", text):
        return text.upper()
    raise NkfxValueError(
        f"currency {name!r} is not recognised; use an ISO code such as 'CNY' or 'USD', "
        f"or one of {_CURRENCY_EXAMPLES}"
    )


def canonical_good(name: str) -> str:
    """Return the code of a good priced in won: ``"RICE"`` or ``"CORN"`` (KPW per kg).

    A price is won per one unit of a thing, as a rate is won per one unit of a currency,
    so nkfx stores prices in the rate frame with this code in the ``currency`` column
    (see :mod:`nkfx.schema` and :func:`nkfx.ingest.read_prices`).

    Parameters
    ----------
    name : str
        ``"rice"``, ``"쌀"``, ``"大米"``, ``"corn"``, ``"maize"``, ``"옥수수"``, ``"玉米"``, or
        the code itself, in any case.

    Returns
    -------
    str
        ``"RICE"`` or ``"CORN"``.

    Raises
    ------
    NkfxValueError
        If the spelling is not a known good (a currency such as ``"USD"`` gets a hint to
        use :func:`nkfx.read_rates`).
    NkfxTypeError
        If ``name`` is not a string.

    Examples
    --------
    >>> from nkfx.names import canonical_good
    >>> [canonical_good(g) for g in ["rice", "쌀", "大米", "Maize", "옥수수", "玉米", "CORN"]]
    ['RICE', 'RICE', 'RICE', 'CORN', 'CORN', 'CORN', 'CORN']
    >>> canonical_good("peanuts")
    Traceback (most recent call last):
    ...
    nkfx.errors.NkfxValueError: good 'peanuts' is not recognised; use 'RICE' or 'CORN' ...
    """
    text = " ".join(_check_str("good", name).split())
    code = _GOOD_INDEX.get(_key(text))
    if code is not None:
        return code
    hint = ""
    if _key(text) in _CURRENCY_INDEX or re.fullmatch(r"[A-Za-z]{3}", text):
        hint = " (it looks like a currency: exchange rates are read with read_rates)"
    raise NkfxValueError(
        f"good {name!r} is not recognised; use 'RICE' or 'CORN' or one of {_GOOD_EXAMPLES}{hint}"
    )


def canonical_source(publisher: str) -> str:
    """Return the originating outlet named in a publisher string.

    ``"X via Y"`` means Y republished X, so X is kept; ``"Y citing X"`` keeps X.
    Parenthetical qualifiers (``"(Korean)"``, ``"(mirror ...)"``) are removed and
    known aliases mapped (``"Daily NK (Korean)"`` -> ``"Daily NK"``).

    Parameters
    ----------
    publisher : str
        Publisher text as found in a citation.

    Returns
    -------
    str
        The outlet; unknown outlets come back cleaned but otherwise as written.

    Raises
    ------
    NkfxTypeError
        If ``publisher`` is not a string.

    Examples
    --------
    >>> from nkfx.names import canonical_source
    >>> canonical_source("Daily NK via Nocut News")
    'Daily NK'
    >>> canonical_source("Asia Press (Japanese price table)")
    'Asia Press'
    >>> canonical_source("KBS citing International Herald Leader")
    'International Herald Leader'
    """
    text = _check_str("publisher", publisher)
    cited = re.split(r"\s+citing\s+", text, maxsplit=1, flags=re.IGNORECASE)
    text = cited[-1]
    text = re.split(r"\s+via\s+", text, maxsplit=1, flags=re.IGNORECASE)[0]
    text = " ".join(re.sub(r"\([^)]*\)", " ", text).split())
    if not text:
        return " ".join(publisher.split())
    return _SOURCES.get(text.casefold(), text)
