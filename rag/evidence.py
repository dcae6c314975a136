"""Evidence: the sentences of the retrieved chunks the model reads, each with the sentence it
leans on.

Evidence is a handful of single sentences, not whole chunks: a small model stays grounded in
short evidence and reads it about 3x faster (fewer prompt tokens). Sentences are chosen from the
retrieved chunks by combining dense similarity to the question with lexical matches (numbers and
names matter); a sentence that leans on the one before ("Dat wil Zweden al volgend jaar.") brings
that sentence along.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.corpus import Article
from rag.embedding import QueryEmbedder
from rag.grammar import ANNOUNCED_CLAUSE, LEANING_OPENERS, PRONOMINAL_ADVERB
from rag.lexicon import month_year
from rag.mentions import states_kind
from rag.question import answer_kinds
from rag.retrieval import Passage
from rag.settings import Settings
from rag.store import SentenceStore
from rag.text import fold, lexical_terms, term_groups


@dataclass(frozen=True)
class Evidence:
    """One numbered evidence sentence as shown to the model."""

    n: int
    article: Article
    start: int
    end: int
    score: float  # selection score (higher = more relevant)
    dense: float  # cosine(question, sentence)
    lexical: float  # share of the question's terms found in the sentence
    # start of the sentence(s) it leans on ("Dat wil Zweden al volgend jaar." needs the one
    # before); equal to `start` when it stands alone
    context_start: int = -1

    @property
    def text(self) -> str:
        return self.article.text[self.start:self.end]

    @property
    def full_text(self) -> str:
        """The sentence with what it leans on: what the model reads and the checks test."""
        begin = self.context_start if 0 <= self.context_start < self.start else self.start
        return self.article.text[begin:self.end]

    @property
    def dated_text(self) -> str:
        """What the model and the judge read: the article's month first ("(oktober 2025) De eerste
        F-35's zijn dinsdag geland."), so a question asking when can be answered and checked."""
        label = month_year(self.article.date)
        sentence = " ".join(self.full_text.split())
        return f"({label}) {sentence}" if label else sentence

    def as_json(self) -> dict:
        return {"n": self.n, "article": self.article.source, "title": self.article.title,
                "date": self.article.date, "start": self.start, "end": self.end, "text": self.text,
                "score": round(self.score, 4), "dense": round(self.dense, 4),
                "lexical": round(self.lexical, 4),
                "context_start": self.context_start if 0 <= self.context_start < self.start else self.start}




def leans_on_previous(sentence: str) -> bool:
    """True when the sentence's first word is a pronoun or demonstrative ("Dat wil Zweden al
    volgend jaar.", "She called it too little."), or it holds a Dutch pronominal adverb that
    points back ("stemde er ... mee in"): alone it does not say who or what."""
    opening = re.findall(r"[^\W\d_]+", fold(sentence.lstrip(" \"'„“”‘’(")))[:1]
    if opening and opening[0] in LEANING_OPENERS:
        return True
    # "De Bondsdag stemde er in juni 2022 mee in.": "er ... mee" is "with the fund" of the sentence before
    folded = fold(sentence)
    adverb = PRONOMINAL_ADVERB.search(folded)
    if not adverb:
        return False
    after = re.findall(r"[^\W\d_]+", folded[adverb.end():])
    return not ANNOUNCED_CLAUSE.intersection(after)


def with_context(evidence: list[Evidence], starts_by_article: dict[str, list[tuple[int, int]]],
                 max_chars: int) -> list[Evidence]:
    """Give every evidence sentence that leans on the one before that sentence too (same
    paragraph, within `max_chars` for both)."""
    from dataclasses import replace

    out = []
    for item in evidence:
        spans = starts_by_article.get(item.article.id, [])
        previous = [(s, e) for s, e in spans if e <= item.start]
        if previous and max_chars and leans_on_previous(item.text):
            start, _ = previous[-1]
            between = item.article.text[start:item.start]
            if "\n\n" not in between.strip() and item.end - start <= max_chars:
                item = replace(item, context_start=start)
        out.append(item)
    return out


def select_evidence(
    question: str,
    question_vector: np.ndarray,
    candidates: list[tuple[Article, int, int, float]],
    sentence_vectors: np.ndarray,
    limit: int,
    whole: int = 0,
    max_chars: int | None = None,
    lexical_weight: float = Settings.lexical_weight,
    kind_weight: float = Settings.answer_kind_weight,
) -> list[Evidence]:
    """Choose evidence sentences from candidates (article, start, end, passage_rank_bonus).

    The first `whole` candidates (the best passages' sentences, in reading order) are all
    kept: one sentence alone often lacks what answers the question ("het drie kwartier
    durende gesprek" scores low against "how long did the conversation last", the chunk
    around it scores first). The rest compete by score = dense cosine + lexical_weight * lexical
    coverage + passage bonus (numbers in the question count double, so "5%" pulls the
    sentence that contains 5) for `limit` more places, within `max_chars` in all. A sentence that
    can give the kind of answer asked for (a number for "Hoeveel ...", a month or year for
    "Wanneer ...") scores `kind_weight` more: "In bijna vier maanden kwamen er 650.000 mensen
    kijken" shares no word with "Hoeveel bezoekers trok de expositie?".
    """
    groups = set(term_groups(question))
    weights = {g: (2.0 if g[0][0].isdigit() else 1.0) for g in groups}
    total = sum(weights.values()) or 1.0
    kinds = answer_kinds(question) if kind_weight else frozenset()
    scored = []
    for position, ((article, start, end, bonus), vector) in enumerate(zip(candidates, sentence_vectors)):
        dense = float(np.dot(question_vector, vector))
        sentence = article.text[start:end]
        sentence_terms = set(lexical_terms(sentence))
        lexical = sum(w for g, w in weights.items() if sentence_terms.intersection(g)) / total
        fits = kind_weight if any(states_kind(sentence, kind) for kind in kinds) else 0.0
        scored.append((dense + lexical_weight * lexical + fits + bonus, dense, lexical, article, start, end, position))
    kept = scored[:whole]
    rest = sorted(scored[whole:], key=lambda item: -item[0])
    chosen, seen, chars, added = [], set(), 0, 0
    for score, dense, lexical, article, start, end, position in kept + rest:
        key = " ".join(fold(article.text[start:end]).split()).strip(" .\"'„“”")[:80]
        if key in seen:  # the same sentence twice (a pull quote repeats the text): show it once
            continue
        extra = position >= whole
        if extra and (added == limit or (max_chars and chosen and chars + end - start > max_chars)):
            continue
        seen.add(key)
        chars += end - start
        added += extra
        chosen.append(Evidence(len(chosen) + 1, article, start, end, score, dense, lexical))
    return chosen


def gather_evidence(question: str, passages: list[Passage], store: SentenceStore, embedder: QueryEmbedder,
                    settings: Settings, whole_passages: int | None = None, sentences: int | None = None,
                    chars: int | None = None, question_vector: np.ndarray | None = None) -> list[Evidence]:
    """The best passages' sentences whole (if any), then the best single sentences of the
    others (pure scoring, vectors from the store; the question is embedded only when its
    vector is not given). Defaults from the settings."""
    whole_passages = settings.evidence_whole_passages if whole_passages is None else whole_passages
    sentences = settings.evidence_sentences if sentences is None else sentences
    chars = settings.evidence_chars if chars is None else chars
    wanted: dict[tuple, float] = {}
    best = set()  # sentences of the best passages, shown whole
    for rank, passage in enumerate(passages[: settings.evidence_passages]):
        bonus = settings.passage_bonus * (settings.evidence_passages - rank) / settings.evidence_passages
        for span in passage.chunk.sentences:
            key = (passage.article.id, span.start, span.end)
            wanted[key] = max(wanted.get(key, 0.0), bonus)
            if rank < whole_passages:
                best.add(key)
    keys = [k for k in wanted if k in store.rows]
    whole = sum(k in best for k in keys)
    if not keys:
        return []
    vectors = store.vectors_of(keys)
    if question_vector is None:
        question_vector = embedder.embed_queries([question])[0]
    articles = {p.article.id: p.article for p in passages}
    candidates = [(articles[a], start, end, wanted[(a, start, end)]) for a, start, end in keys]
    chosen = select_evidence(question, question_vector, candidates, vectors, sentences,
                             whole=whole, max_chars=chars or None, lexical_weight=settings.lexical_weight,
                             kind_weight=settings.answer_kind_weight)
    return with_context(chosen, store.spans, settings.context_chars)
