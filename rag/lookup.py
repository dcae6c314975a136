"""Citation lookup: where does a pasted quote or claim come from?

Three tries, best first: exact (after normalising quotes, dashes, whitespace
and case), fuzzy (rapidfuzz alignment, for a quote with small slips), and
semantic (the multilingual embedder against every sentence, so an English
paraphrase finds its Dutch source). Offsets always point into the article.

A semantic neighbour is only a match when the answer checks say the sentence states the
quote (numbers, names, words and the LLM judge of rag.verification): "Rutte zei dat hij met
pensioen gaat" is close to every Rutte sentence and stated by none. The others come back
as kind "closest", which callers show apart, never as the quote's source.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rag.corpus import Article
from rag.errors import QueryError
from rag.evidence import Evidence
from rag.language import detect_language
from rag.mentions import negated, numbers_in
from rag.retrieval import clean_question
from rag.stages import Stages
from rag.verification import check_support, judge_threshold_for, judged, make_judge

QUOTE_CHARS = str.maketrans({c: '"' for c in "„“”«»″"} | {c: "'" for c in "‘’‚‛′`"}
                            | {c: "-" for c in "‐‑‒–—―−"})
EDGE = "\"'„“”‘’«» .,;:!?"


@dataclass(frozen=True)
class Match:
    article: Article
    start: int
    end: int
    kind: str  # exact | fuzzy | semantic | closest (a neighbour that does not state the quote)
    score: float

    @property
    def text(self) -> str:
        return self.article.text[self.start:self.end]

    def as_json(self) -> dict:
        return {"article": self.article.source, "title": self.article.title, "date": self.article.date,
                "start": self.start, "end": self.end, "text": self.text, "kind": self.kind,
                "score": round(self.score, 4)}


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Normalised text and, for each of its characters, the offset in the original."""
    out, positions = [], []
    previous_space = True
    for offset, char in enumerate(text):
        char = char.translate(QUOTE_CHARS)
        if char.isspace():
            if previous_space:
                continue
            out.append(" ")
            positions.append(offset)
            previous_space = True
            continue
        previous_space = False
        for folded in char.casefold():
            out.append(folded)
            positions.append(offset)
    while out and out[-1] == " ":
        out.pop()
        positions.pop()
    return "".join(out), positions


@lru_cache(maxsize=4096)
def _normalized(text: str) -> tuple[str, tuple[int, ...]]:
    normal, positions = normalize_with_map(text)
    return normal, tuple(positions)


def _span(article: Article, positions: tuple[int, ...], start: int, end: int) -> tuple[int, int]:
    return positions[start], positions[end - 1] + 1


def trim(article: Article, start: int, end: int) -> tuple[int, int]:
    """Drop enclosing quote marks, spaces and the final punctuation from a span."""
    text = article.text
    while start < end and text[start] in EDGE:
        start += 1
    while end > start and text[end - 1] in EDGE:
        end -= 1
    return start, end


def exact_matches(articles: list[Article], quote: str) -> list[Match]:
    needle = normalize_with_map(quote)[0].strip(EDGE)
    if not needle:
        return []
    found = []
    for article in articles:
        haystack, positions = _normalized(article.text)
        at = haystack.find(needle)
        while at >= 0:
            start, end = _span(article, positions, at, at + len(needle))
            found.append(Match(article, start, end, "exact", 1.0))
            at = haystack.find(needle, at + 1)
    return found


def states_the_same(quote: str, passage: str) -> bool:
    """A close spelling is only the quote's source when it keeps the quote's numbers and its
    polarity: "3,1 procent" is not "4,1 procent", "niet steunen" is not "steunen"."""
    return numbers_in(quote) <= numbers_in(passage) and negated(quote) == negated(passage)


def fuzzy_matches(articles: list[Article], quote: str, fuzzy_min: float) -> list[Match]:
    from rapidfuzz import fuzz

    needle = normalize_with_map(quote)[0].strip(EDGE)
    if len(needle) < 12:  # short strings match everywhere
        return []
    found = []
    for article in articles:
        haystack, positions = _normalized(article.text)
        alignment = fuzz.partial_ratio_alignment(needle, haystack, score_cutoff=fuzzy_min)
        if alignment is not None and alignment.dest_end > alignment.dest_start:
            start, end = _span(article, positions, alignment.dest_start, alignment.dest_end)
            start, end = trim(article, start, end)
            if not states_the_same(quote, article.text[start:end]):
                continue
            found.append(Match(article, start, end, "fuzzy", alignment.score / 100))
    return sorted(found, key=lambda m: -m.score)


def _windows(stages: Stages, article_id: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentence with the one before and with the one after, within its paragraph: a quote
    often spans two sentences of the source ("..., and Sweden wants it next year")."""
    spans = stages.sentences.spans.get(article_id, [])
    at = bisect_left(spans, (start, end))
    text = stages.index.articles[article_id].text
    found = []
    for left, right in ((at - 1, at), (at, at + 1)):
        if 0 <= left and right < len(spans) and "\n\n" not in text[spans[left][0]:spans[right][1]]:
            found.append((spans[left][0], spans[right][1]))
    return found


def semantic_matches(stages: Stages, quote: str, limit: int) -> list[Match]:
    """The nearest sentences, each also with its neighbour when the pair is closer to the quote;
    those the support checks pass are "semantic", the rest "closest". Polarity must agree
    within one language ("zal niet steunen" is not "steunt"); across languages idioms differ
    ("no more than" / "maximaal") and the judge decides."""
    index, settings = stages.index, stages.settings
    if not index.sentences:
        return []
    vector = stages.embedder.embed_queries([quote])[0]
    scores = stages.sentences.vectors @ vector
    rows = np.argsort(-scores)[:limit]
    candidates = []  # (score, article, start, end), the best of a sentence and its windows
    for row in rows:
        sentence = index.sentences[row]
        article = index.articles[sentence.article_id]
        spans = [(sentence.start, sentence.end)] + _windows(stages, sentence.article_id, sentence.start,
                                                            sentence.end)
        window_scores = stages.embedder.embed_passages([article.text[s:e] for s, e in spans[1:]]) @ vector \
            if len(spans) > 1 else []
        options = [(float(scores[row]), spans[0])] + [(float(w), span) for w, span in zip(window_scores, spans[1:])]
        score, (start, end) = max(options, key=lambda option: option[0])
        candidates.append((score, article, start, end))
    candidates.sort(key=lambda c: -c[0])
    language = detect_language(quote)
    judge = None
    found: list[Match] = []
    for rank, (score, article, start, end) in enumerate(candidates):
        evidence = Evidence(rank + 1, article, start, end, score, score, 0.0)
        stated = not check_support(quote, evidence, score, settings.lookup_semantic_min)
        if stated and detect_language(evidence.text) == language:
            stated = negated(quote) == negated(evidence.text)
        if stated and rank < settings.judge_candidates:
            if judge is None and settings.judge:
                judge = make_judge(stages.generator, language, None)
            stated = not judged(judge, quote, evidence, judge_threshold_for(
                quote, evidence, settings.judge_threshold, settings.judge_threshold_across))
        else:
            stated = stated and rank < settings.judge_candidates
        span = trim(article, start, end)
        if any(m.article.id == article.id and m.start < span[1] and span[0] < m.end for m in found):
            continue  # a window that overlaps a better candidate
        found.append(Match(article, *span, "semantic" if stated else "closest", score))
    return sorted(found, key=lambda m: (m.kind == "closest", -m.score))


def lookup(stages: Stages, text: str, limit: int = 3) -> list[Match]:
    """Where `text` comes from, best first; kind "closest" marks neighbours that do not state it
    (when no match exists they are all there is)."""
    settings = stages.settings
    quote = clean_question(text, settings.max_question_chars)
    if not normalize_with_map(quote)[0].strip(EDGE):
        raise QueryError("the quote has no letters or digits to look up")
    articles = list(stages.index.articles.values())
    matches = exact_matches(articles, quote) or fuzzy_matches(articles, quote, settings.lookup_fuzzy_min)
    if not matches:
        matches = semantic_matches(stages, quote, limit)
    return matches[:limit]
