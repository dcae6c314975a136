"""Which language (nl or en) a short text is written in.

Short questions fool statistical detectors ("Wie won de Tour de France in
2024?" looks English to lingua: "won", "Tour", "France"), so distinctive
function words vote first and lingua decides only a tie.
"""

from __future__ import annotations

from functools import lru_cache

from rag.text import words

DUTCH_WORDS = frozenset(
    "wie wat waar wanneer hoeveel hoe welke welk waarom zei zegt de het een van zijn heeft hebben "
    "niet over met dat er ook voor naar bij nog deze die dit wordt werd zou moet kan volgens maar "
    "en ik je hij zij we ons hun wil vond uit".split())
ENGLISH_WORDS = frozenset(
    "who what where when how which why did does do the a an of is was are were has have not about "
    "with that there also for to at this these those be been would should can according but and i "
    "you he she we our their want said says say think".split())


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
