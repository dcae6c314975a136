"""Text normalisation shared by lexical search and (later) citation checks.

Questions come in Dutch or English and the articles are Dutch, so every word
is folded (lowercase, no accents) and stemmed with both the Dutch and the
English Snowball stemmer: "Oekraïne"/"Oekraine" match, and a name or number
matches whichever language the question is in.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# numbers keep their decimal comma/point ("3,5", "2.5"); words keep inner hyphens apart
TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+", re.UNICODE)


# English <-> Dutch forms of names that occur in this kind of news (folded, one direction each)
NAME_PAIRS = {
    "nato": "navo", "greenland": "groenland", "the hague": "den haag", "hague": "haag",
    "germany": "duitsland", "netherlands": "nederland", "united states": "verenigde staten",
    "us": "vs", "usa": "vs", "america": "amerika", "europe": "europa", "russia": "rusland",
    "ukraine": "oekraine", "poland": "polen", "sweden": "zweden", "norway": "noorwegen",
    "north korea": "noord-korea", "brussels": "brussel", "warsaw": "warschau",
    "white house": "witte huis", "denmark": "denemarken", "baltic": "baltische", "eu": "eu",
    "european": "europese", "american": "amerikaanse", "russian": "russische", "german": "duitse",
    "dutch": "nederlandse", "ukrainian": "oekraiense", "chinese": "chinese", "canada": "canada",
    "states": "staten", "state": "staat", "north america": "noord-amerika", "north": "noord", "south": "zuid", "east": "oost",
    "the netherlands": "nederland", "france": "frankrijk", "lithuania": "litouwen", "finland": "finland",
    "january": "januari", "february": "februari", "march": "maart", "april": "april", "may": "mei",
    "june": "juni", "july": "juli", "august": "augustus", "september": "september",
    "october": "oktober", "november": "november", "december": "december",
}
# places, bodies and months in either language: not people, and may stand elsewhere in an article
PLACE_NAMES = frozenset(NAME_PAIRS) | frozenset(NAME_PAIRS.values())


def translate_names(text: str) -> str:
    """The Dutch forms of the English names in a text ("Greenland" -> "groenland"), for
    matching English questions against Dutch articles."""
    folded = fold(text)
    return " ".join(dutch for english, dutch in NAME_PAIRS.items()
                    if english != dutch and re.search(rf"\b{re.escape(english)}\b", folded))


def fold(text: str) -> str:
    """Lowercase, NFKD without combining marks: 'Oekraïne' -> 'oekraine'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _stemmers():
    import Stemmer

    return Stemmer.Stemmer("dutch"), Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_DUTCH, STOPWORDS_EN_PLUS

    return frozenset(fold(w) for w in (*STOPWORDS_DUTCH, *STOPWORDS_EN_PLUS))


def words(text: str) -> list[str]:
    """Folded word and number tokens, stopwords kept."""
    return TOKEN.findall(fold(text))


def term_groups(text: str) -> list[tuple[str, ...]]:
    """One group per non-stopword: its Dutch and English stems (a number stays whole).

    "5%" gives ("5",), "3,5" gives ("3,5",); "Rutte" gives ("rut", "rutt").
    """
    dutch, english = _stemmers()
    stop = stopwords()
    groups: list[tuple[str, ...]] = []
    for word in words(text):
        if word in stop:
            continue
        if word[0].isdigit():
            groups.append((word,))
            continue
        nl, en = dutch.stemWord(word), english.stemWord(word)
        groups.append((nl,) if nl == en else (nl, en))
    return groups


def lexical_terms(text: str) -> list[str]:
    """BM25 terms: folded, stopwords dropped, each word as its Dutch and English stem."""
    return [term for group in term_groups(text) for term in group]
