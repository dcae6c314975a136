"""Decide, before calling the model, whether the articles can answer a question at all.

Dense similarity alone cannot decide it: multilingual-e5 scores are compressed
(an out-of-corpus question's best sentence can score higher than an answerable
one's). A sharper, language-independent signal is a name or number that the
question is about and that occurs nowhere in the articles ("Finland", "1949",
"Tour de France"): then no passage can answer it. Names are compared folded,
through the Dutch/English name pairs, and fuzzily (spelling variants).
"""

from __future__ import annotations

import re

from rag.citations import NAME_PAIRS, numbers_in
from rag.corpus import Article
from rag.text import fold, lexical_terms, stopwords, term_groups

WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ][^\W_]*(?:[-'’][^\W_]+)*(?:\s+[A-ZÀ-ÖØ-Þ][^\W_]*(?:[-'’][^\W_]+)*)*")
QUESTION_WORDS = frozenset(
    "what who whom whose which where when why how is are was were did does do can could should would will "
    "according tell give name list explain describe "
    "wat wie wiens welke welk waar wanneer waarom hoe hoeveel hoelang is zijn was waren heeft hebben kan "
    "kun kunt zou moet volgens noem geef vertel leg beschrijf".split())
FUZZY_MIN = 85.0
# an unknown name does not refuse when some sentence is this close anyway (a missing name pair)
STRONG_MATCH = 0.87


def corpus_vocabulary(articles: list[Article]) -> frozenset[str]:
    """Every folded word and number of the articles (hyphenated words also in parts), plus date parts."""
    vocabulary: set[str] = set()
    for article in articles:
        folded = fold(article.text)
        for word in WORD.findall(folded):
            vocabulary.add(word)
            vocabulary.update(re.split(r"[-'’]", word))
        vocabulary.update(numbers_in(article.text))
        if article.date:
            year, month = article.date.split("-")
            vocabulary.update({year, str(int(month))})
    return frozenset(w for w in vocabulary if w)


def _known(word: str, vocabulary: frozenset[str]) -> bool:
    from rapidfuzz import process
    from rapidfuzz.fuzz import ratio

    candidates = {word, NAME_PAIRS.get(word, word), re.sub(r"['’]s$", "", word)}
    if any(c in vocabulary for c in candidates):
        return True
    if any(v.startswith(word) for v in vocabulary if len(word) >= 4):  # Rutte -> Ruttes
        return True
    return process.extractOne(word, vocabulary, scorer=ratio, score_cutoff=FUZZY_MIN) is not None


def unknown_terms(question: str, vocabulary: frozenset[str]) -> list[str]:
    """Names and numbers of the question that the articles never mention.

    A run of capitalised words is one name ("United States" -> "verenigde staten");
    the question's first word is skipped (capitalised because it starts the sentence).
    """
    stop = stopwords() | QUESTION_WORDS
    unknown = []
    for match in CAPITALISED.finditer(question.strip()):
        words = match.group(0).split()
        if match.start() == 0:
            words = words[1:]
        phrase = fold(" ".join(words))
        if not words or phrase in stop:
            continue
        if phrase in NAME_PAIRS and all(w in vocabulary for w in re.split(r"[\s-]+", NAME_PAIRS[phrase])):
            continue
        for word, original in zip(phrase.split(), words):
            parts = [p for p in re.split(r"[-'’]", word) if p and p not in stop]
            if word not in stop and not all(_known(p, vocabulary) for p in parts):
                unknown.append(original)
    for number in sorted(numbers_in(question)):
        if number not in vocabulary and number.replace(".", ",") not in vocabulary:
            unknown.append(number)
    return list(dict.fromkeys(unknown))


def irrelevance(question: str, best_dense: float, vocabulary: frozenset[str], min_dense: float) -> str | None:
    """Why the articles cannot answer (None when they might)."""
    unknown = unknown_terms(question, vocabulary)
    if unknown and best_dense < STRONG_MATCH:
        return f"the articles never mention {', '.join(repr(u) for u in unknown[:3])}"
    if best_dense < min_dense:
        return f"no passage is close to the question (best similarity {best_dense:.2f} < {min_dense:.2f})"
    return None


def term_document_frequency(texts: list[str]) -> dict[str, float]:
    """Share of texts (chunks) that contain each lexical term."""
    counts: dict[str, int] = {}
    for text in texts:
        for term in set(lexical_terms(text)):
            counts[term] = counts.get(term, 0) + 1
    return {term: count / max(len(texts), 1) for term, count in counts.items()}


def missed_topic(question: str, cited_text: str, frequency: dict[str, float], rare: float = 0.2) -> list[str]:
    """The question's distinctive words (rare in the articles, yet present) that the cited
    passages never use: an answer citing them talks about something else.

    Empty when the question has no such word (e.g. English words against Dutch articles)."""
    distinctive = [g for g in term_groups(question) if 0 < max(frequency.get(t, 0.0) for t in g) <= rare]
    if not distinctive:
        return []
    cited = set(lexical_terms(cited_text))
    if any(cited.intersection(g) for g in distinctive):
        return []
    return [g[0] for g in distinctive]
