"""The index's sentences and words as the stages after retrieval look them up, computed once
per index: each sentence's vector row, every article's sentence spans in reading order (the
context a sentence leans on), the corpus vocabulary (what refusal checks a question against:
names, numbers and words harvested from the articles themselves) and term document frequency."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.corpus import Article
from rag.index import Index
from rag.mentions import numbers_in
from rag.text import fold, lexical_terms

SentenceKey = tuple[str, int, int]  # (article id, start, end)


WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")


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


def term_document_frequency(texts: list[str]) -> dict[str, float]:
    """Share of texts (chunks) that contain each lexical term."""
    counts: dict[str, int] = {}
    for text in texts:
        for term in set(lexical_terms(text)):
            counts[term] = counts.get(term, 0) + 1
    return {term: count / max(len(texts), 1) for term, count in counts.items()}


@dataclass(frozen=True)
class SentenceStore:
    """The index's sentences as the evidence and verification stages look them up: the row of
    each sentence's vector, every article's sentence spans in reading order (the context a
    sentence leans on), the corpus vocabulary (refusal) and term document frequency."""

    rows: dict[SentenceKey, int]
    spans: dict[str, list[tuple[int, int]]]
    vectors: np.ndarray
    vocabulary: frozenset[str]
    term_frequency: dict[str, float]

    @classmethod
    def from_index(cls, index: Index) -> SentenceStore:
        rows = {(s.article_id, s.start, s.end): row for row, s in enumerate(index.sentences)}
        spans: dict[str, list[tuple[int, int]]] = {}
        for article_id, start, end in sorted(rows):
            spans.setdefault(article_id, []).append((start, end))
        return cls(rows, spans, np.asarray(index.sentence_embeddings),
                   corpus_vocabulary(list(index.articles.values())),
                   term_document_frequency([c.text for c in index.chunks]))

    def vectors_of(self, keys: list[SentenceKey]) -> np.ndarray:
        return self.vectors[[self.rows[k] for k in keys]]
