"""Hybrid retrieval: dense (FAISS) and BM25 rankings fused by reciprocal rank.

Dense similarity carries meaning across languages (an English question finds a
Dutch passage); BM25 carries the exact names and numbers ("5%", "Groenland")
that dense similarity blurs. Reciprocal-rank fusion needs no score calibration
between the two.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from rag.chunking import Chunk
from rag.corpus import Article
from rag.errors import QueryError
from rag.index import Index
from rag.lexicon import translate_names
from rag.text import lexical_terms

DATE_FILTER = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class Passage:
    chunk: Chunk
    article: Article
    score: float  # fused score (RRF, or the single retriever's score in dense/bm25 mode)
    dense_rank: int | None  # 1-based; None when the dense retriever did not return it
    bm25_rank: int | None
    dense_score: float | None = None
    bm25_score: float | None = None

    def as_json(self) -> dict:
        return {
            "article": self.article.source,
            "title": self.article.title,
            "date": self.article.date,
            "chunk_id": self.chunk.id,
            "start": self.chunk.start,
            "end": self.chunk.end,
            "text": self.chunk.text,
            "score": round(self.score, 6),
            "dense_rank": self.dense_rank,
            "bm25_rank": self.bm25_rank,
            "dense_score": None if self.dense_score is None else round(self.dense_score, 6),
            "bm25_score": None if self.bm25_score is None else round(self.bm25_score, 6),
        }


def clean_question(text: str | None, max_chars: int) -> str:
    """The question as retrieval sees it; QueryError when it cannot be searched."""
    if text is None:
        raise QueryError("the question is empty; type a question")
    if len(text) > max_chars:
        raise QueryError(f"the question is {len(text):,} characters long; the limit is {max_chars:,}")
    cleaned = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\t\n" else " " for ch in text)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise QueryError("the question is empty; type a question")
    return cleaned


def check_date_filter(date: str | None) -> str | None:
    if date is None or date == "":
        return None
    if not DATE_FILTER.match(date):
        raise QueryError(f"date filter {date!r} is not a year (2025) or a year-month (2025-02)")
    return date


def reciprocal_rank_fusion(rankings: list[list[int]], rrf_k: int = 60) -> list[tuple[int, float]]:
    """Fuse ranked lists of row ids: score(row) = sum of 1 / (rrf_k + rank). Ties keep first-seen order."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking, start=1):
            scores[row] = scores.get(row, 0.0) + 1.0 / (rrf_k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


class Retriever:
    def __init__(self, index: Index, embedder, settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings

    def _allowed_rows(self, date: str | None) -> np.ndarray | None:
        if date is None:
            return None
        rows = [row for row, chunk in enumerate(self.index.chunks)
                if (self.index.articles[chunk.article_id].date or "").startswith(date)]
        return np.asarray(rows, dtype=np.int64)

    def dense(self, question: str, limit: int, allowed: np.ndarray | None = None,
              query_vector: np.ndarray | None = None) -> list[tuple[int, float]]:
        import faiss

        faiss_index = self.index.faiss_index
        if faiss_index.ntotal == 0 or (allowed is not None and len(allowed) == 0):
            return []
        query = self.embedder.embed_queries([question]) if query_vector is None else query_vector.reshape(1, -1)
        limit = min(limit, faiss_index.ntotal if allowed is None else len(allowed))
        faiss.omp_set_num_threads(1)  # one query: threads only add overhead
        scores, rows = self.index.dense_search(query, limit, allowed)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def bm25(self, question: str, limit: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        terms = lexical_terms(f"{question} {translate_names(question)}")
        total = len(self.index.chunks)
        if not terms or total == 0:
            return []
        mask = None
        if allowed is not None:
            if len(allowed) == 0:
                return []
            mask = np.zeros(total, dtype=np.float32)
            mask[allowed] = 1.0
        rows, scores = self.index.bm25.retrieve([terms], k=min(limit, total), show_progress=False,
                                                weight_mask=mask, n_threads=1)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if s > 0]

    def search(self, question: str, k: int | None = None, date: str | None = None,
               mode: str | None = None, query_vector: np.ndarray | None = None) -> list[Passage]:
        """Top-k passages for a question, best first (`query_vector`: the question already
        embedded, so that one ask embeds it once)."""
        settings = self.settings
        question = clean_question(question, settings.max_question_chars)
        k = k or settings.top_k
        if k < 1:
            raise QueryError(f"k={k} must be at least 1")
        mode = mode or settings.retrieval_mode
        allowed = self._allowed_rows(check_date_filter(date))
        dense = self.dense(question, settings.candidates, allowed, query_vector) if mode != "bm25" else []
        lexical = self.bm25(question, settings.candidates, allowed) if mode != "dense" else []
        dense_rank = {row: rank for rank, (row, _) in enumerate(dense, start=1)}
        bm25_rank = {row: rank for rank, (row, _) in enumerate(lexical, start=1)}
        dense_score, bm25_score = dict(dense), dict(lexical)
        if mode == "hybrid":
            fused = reciprocal_rank_fusion([[r for r, _ in dense], [r for r, _ in lexical]], settings.rrf_k)
        else:
            fused = dense if mode == "dense" else lexical
        passages = []
        for row, score in fused[:k]:
            chunk = self.index.chunks[row]
            passages.append(Passage(
                chunk=chunk, article=self.index.articles[chunk.article_id], score=score,
                dense_rank=dense_rank.get(row), bm25_rank=bm25_rank.get(row),
                dense_score=dense_score.get(row), bm25_score=bm25_score.get(row)))
        return passages
