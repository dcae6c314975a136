"""Which language (nl or en) a short text is written in.

Short questions fool statistical detectors ("Wie won de Tour de France in
2024?" looks English to lingua: "won", "Tour", "France"), so distinctive
function words vote first and lingua decides only a tie.
"""

from __future__ import annotations

from functools import lru_cache

from rag.grammar import DUTCH_WORDS, ENGLISH_WORDS
from rag.text import words


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.DUTCH, Language.ENGLISH).build()


def detect_language(text: str) -> str:
    """'nl' or 'en' (English when nothing tells them apart)."""
    tokens = words(text)
    dutch = sum(t in DUTCH_WORDS for t in tokens)
    english = sum(t in ENGLISH_WORDS for t in tokens)
    if dutch != english:
        return "nl" if dutch > english else "en"
    if not text.strip():
        return "en"
    values = _detector().compute_language_confidence_values(text)
    best = values[0].language.iso_code_639_1.name.lower() if values else "en"
    return best if best in ("nl", "en") else "en"
