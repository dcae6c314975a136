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
# where an answer's sentence ends, and so where a claim's source sentences end for the checks
# that compare them sentence by sentence (rag.citations, rag.mentions)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


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


def word_stems(text: str) -> frozenset[str]:
    """Every word's Dutch and English stems, stopwords included: a claim's "wanted" restates a
    question's "want", which term_groups drops as the Dutch stopword "want" (= because)."""
    dutch, english = _stemmers()
    return frozenset(s for word in words(text)
                     for s in ((word,) if word[0].isdigit() else (dutch.stemWord(word), english.stemWord(word))))


def lexical_terms(text: str) -> list[str]:
    """BM25 terms: folded, stopwords dropped, each word as its Dutch and English stem."""
    return [term for group in term_groups(text) for term in group]
