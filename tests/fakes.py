"""Fakes for the unit tier: an embedder with exact vectors, a scripted generator, a retriever that
returns given chunks, and `fake_stages` that wires them around real articles, with no model, no
FAISS index and no server. Every stage still runs its real code on top of them."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np

from rag.chunking import chunk_article
from rag.corpus import parse_article
from rag.index import Sentence
from rag.retrieval import Passage
from rag.settings import Settings
from rag.stages import Stages
from rag.store import SentenceStore, corpus_vocabulary, term_document_frequency


class KeywordEmbedder:
    """One dimension per keyword group: a text's vector is the normalised count of the groups it
    mentions (case-insensitive word starts), plus a small constant so no vector is zero. Two texts
    about the same keywords have cosine 1, texts sharing none about 0: exact, known similarities."""

    name = "keywords"
    path = "keywords"

    def __init__(self, groups: list[tuple[str, ...]]) -> None:
        self.groups = groups
        self.query_calls: list[str] = []

    def _vector(self, text: str) -> np.ndarray:
        words = re.findall(r"\w+", text.lower())
        counts = [sum(any(w.startswith(k) for k in group) for w in words) for group in self.groups]
        vector = np.asarray(counts + [0.05], dtype=np.float32)
        return vector / np.linalg.norm(vector)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.query_calls += list(texts)
        return np.vstack([self._vector(t) for t in texts]) if texts else np.zeros((0, len(self.groups) + 1))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.vstack([self._vector(t) for t in texts])


class Scripted:
    """A generator that writes the given answers in turn and records each prompt's last message.
    No yes/no logits: the LLM judge is off with it (the rules alone decide)."""

    name = "scripted"

    def __init__(self, *answers: str) -> None:
        self.answers, self.prompts, self.warmed = list(answers), [], 0

    def warm(self) -> None:
        self.warmed += 1

    def stream(self, messages, max_tokens=256, stats=None):
        self.prompts.append(messages[-1]["content"])
        yield self.answers.pop(0)


class Untouchable:
    """A generator that fails the test when anything loads or calls it."""

    name = "untouchable"

    def warm(self) -> None:
        raise AssertionError("the LLM was loaded")

    def stream(self, messages, max_tokens=256, stats=None):
        raise AssertionError("the LLM was asked")


class GivenRetriever:
    """Returns every chunk, those sharing the most words with the question first."""

    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
        self.vectors: list[np.ndarray | None] = []

    def search(self, question, k=None, date=None, mode=None, query_vector=None) -> list[Passage]:
        self.vectors.append(query_vector)
        asked = set(re.findall(r"\w+", question.lower()))
        ranked = sorted(self.passages, key=lambda p: -len(asked & set(re.findall(r"\w+", p.chunk.text.lower()))))
        return ranked[: k or 5]


def article(name: str, text: str, date: str = "2024-05"):
    return parse_article(name, f" date {date} \n{text}".encode())


def fake_stages(articles, embedder: KeywordEmbedder, generator, **settings) -> Stages:
    """Stages over real articles and chunks, vectors from `embedder`, the given generator."""
    chunks = [c for a in articles for c in chunk_article(a)]
    sentences = sorted({Sentence(c.article_id, s.start, s.end) for c in chunks for s in c.sentences},
                       key=lambda s: (s.article_id, s.start))
    by_id = {a.id: a for a in articles}
    rows = {(s.article_id, s.start, s.end): n for n, s in enumerate(sentences)}
    spans: dict[str, list[tuple[int, int]]] = {}
    for s in sentences:
        spans.setdefault(s.article_id, []).append((s.start, s.end))
    vectors = embedder.embed_passages([s.text_in(by_id[s.article_id].text) for s in sentences])
    store = SentenceStore(rows, spans, vectors, corpus_vocabulary(articles),
                          term_document_frequency([c.text for c in chunks]))
    passages = [Passage(c, by_id[c.article_id], 1.0 / (n + 1), n + 1, None) for n, c in enumerate(chunks)]
    index = SimpleNamespace(articles=by_id, sentences=sentences, chunks=chunks)
    values = {"judge": False, "threads": 1, **settings}
    return Stages(settings=Settings(**values), index=index, retriever=GivenRetriever(passages),
                  embedder=embedder, sentences=store, generator=generator)
