"""Grounded answers: retrieval -> evidence sentences -> prompt -> generation -> checked citations.

`ask()` yields events so a caller can show the evidence the moment retrieval
ends, then each token, then the final answer:

    {"type": "evidence", ...}  {"type": "token", "text": ...}  {"type": "answer", "answer": Answer}

Refusal is decided by the system, not only the model: no relevant evidence
(no model call), the model's refusal token, or no answer sentence that
verifies against its source.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.citations import Citation, Claim, render_answer, split_claims
from rag.evidence import Evidence, gather_evidence
from rag.generation import GenerationStats
from rag.language import detect_language
from rag.mentions import paragraph_around, strip_annotations
from rag.prompting import (
    REFUSAL_TOKEN,
    format_evidence,
    glossary_note,
    premise_note,
    refusal_text,
    render_messages,
)
from rag.question import split_instructions
from rag.refusal import (
    REFUSED_BY_MODEL,
    REFUSED_NO_EVIDENCE,
    REFUSED_OFF_TOPIC,
    REFUSED_UNVERIFIED,
    irrelevance,
    missed_topic,
    no_quantity_given,
    numbers_elsewhere,
    states_absence,
    unknown_terms,
)
from rag.retrieval import Passage, clean_question
from rag.stages import Stages
from rag.store import corpus_vocabulary
from rag.verification import make_judge, verify

SHORT_CLAIM_WORDS = 6


@dataclass(frozen=True)
class Answer:
    """The checked answer: what the UI, the CLI and the eval show (refused or not)."""

    question: str
    language: str
    text: str
    refused: bool
    refusal_reason: str | None
    citations: list[Citation]
    claims: list[Claim]
    evidence: list[Evidence]
    passages: list[Passage]
    raw: str = ""  # what the model wrote, before checking
    template: str = ""
    model: str = ""
    timings: dict = field(default_factory=dict)
    refusal_detail: str = ""  # why, in words (for the UI and the report)

    def as_json(self) -> dict:
        return {
            "question": self.question,
            "language": self.language,
            "answer": self.text,
            "refused": self.refused,
            "refusal_reason": self.refusal_reason,
            "refusal_detail": self.refusal_detail,
            "citations": [c.as_json() for c in self.citations],
            "claims": [{"text": c.text, "supported": c.supported, "checkable": c.checkable, "cited": list(c.cited),
                        "invalid": list(c.invalid)}
                       for c in self.claims],
            "evidence": [e.as_json() for e in self.evidence],
            "raw_answer": self.raw,
            "template": self.template,
            "model": self.model,
            "timings": self.timings,
        }


def _timings(started: float, retrieved: float, first_token: float | None, stats: GenerationStats) -> dict:
    now = time.perf_counter()
    return {
        "retrieve_ms": round((retrieved - started) * 1000, 1),
        "first_token_ms": None if first_token is None else round((first_token - started) * 1000, 1),
        "total_ms": round((now - started) * 1000, 1),
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
    }


@dataclass
class _Run:
    """What one question's attempts share: clock, statistics, the Answer fields."""

    stages: Stages
    question: str
    language: str
    passages: list[Passage]
    started: float
    retrieved: float
    templates: Path | None
    stats: GenerationStats = field(default_factory=GenerationStats)
    first_token: float | None = None

    def answer(self, evidence: list[Evidence], text: str, refused: bool, reason: str | None, raw: str = "",
               claims=None, citations=None, detail: str = "") -> Answer:
        return Answer(self.question, self.language, text, refused, reason, citations or [], claims or [],
                      evidence, self.passages, raw, f"answer_{self.language}", self.stages.generator.name,
                      _timings(self.started, self.retrieved, self.first_token, self.stats),
                      refusal_detail=detail)

    def refusal(self, evidence: list[Evidence], reason: str, detail: str, raw: str = "", claims=None,
                citations=None) -> Answer:
        return self.answer(evidence, refusal_text(self.language, self.templates), True, reason, raw, claims,
                           citations, detail)


def _attempt(run: _Run, evidence: list[Evidence]) -> Iterator[dict]:
    """One model call over the evidence, then the checks; yields token events, returns the Answer."""
    stages, settings, question, language = run.stages, run.stages.settings, run.question, run.language
    messages = render_messages(f"answer_{language}", {
        "evidence": format_evidence(evidence), "question": question, "refusal_token": REFUSAL_TOKEN,
        "note": premise_note(question, evidence, language, run.templates)
        + glossary_note(evidence, language, settings.glossary_words, run.templates)}, run.templates)
    raw = ""
    run.stats = GenerationStats()
    for text in stages.generator.stream(messages, max_tokens=settings.max_tokens, stats=run.stats):
        if run.first_token is None:
            run.first_token = time.perf_counter()
        raw += text
        yield {"type": "token", "text": text}
    if REFUSAL_TOKEN in raw or not raw.strip():
        return run.refusal(evidence, REFUSED_BY_MODEL, "the model found no answer in the evidence", raw)
    claims = split_claims(strip_annotations(raw, language))
    if all(states_absence(c.text) for c in claims):
        return run.refusal(evidence, REFUSED_BY_MODEL, "the model said in words that the evidence lacks the answer",
                           raw)
    embedder = stages.embedder
    # a bare "32" or "Den Haag" means nothing alone: short claims are read with their question
    claim_texts = [c.text if len(c.text.split()) >= SHORT_CLAIM_WORDS else f"{question} {c.text}" for c in claims]
    claim_vectors = embedder.embed_queries(claim_texts) if claims else np.zeros((0, 1))
    evidence_vectors = stages.sentences.vectors_of([(e.article.id, e.start, e.end) for e in evidence])
    instructions = split_instructions(question)[1]
    instruction_vectors = embedder.embed_queries(instructions) if instructions and claims else None
    claims, citations = verify(claims, evidence, claim_vectors, evidence_vectors, settings.support_threshold, question,
                       instruction_vectors, judge=make_judge(stages.generator, language, run.templates) if settings.judge else None,
                       judge_threshold=settings.judge_threshold, judge_candidates=settings.judge_candidates,
                       judge_threshold_across=settings.judge_threshold_across)
    if not any(c.supported for c in claims):
        return run.refusal(evidence, REFUSED_UNVERIFIED, "no sentence of the answer is supported by its source",
                           raw, claims, citations)
    if no_quantity_given(question, [c.text for c in claims if c.supported]):
        return run.refusal(evidence, REFUSED_OFF_TOPIC,
                           "the question asks how many or how much and no supported sentence gives a number",
                           raw, claims, citations)
    # the question's rare words must occur in a cited article ("Warsaw speech": the speech is
    # named two paragraphs before the cited warning; "Zelensky at the summit": nowhere near it)
    cited_text = " ".join({c.evidence.article.id: c.evidence.article.text
                           for c in citations if c.verified}.values())
    missed = missed_topic(question, cited_text, stages.sentences.term_frequency)
    if missed:
        return run.refusal(evidence, REFUSED_OFF_TOPIC,
                           f"the cited passages never mention {', '.join(missed[:3])}: they answer another question",
                           raw, claims, citations)
    # every name and number the question gives must be in a cited article (in some language
    # form): "Eindhoven Airport" answered from the Schiphol article is another airport's answer
    cited_articles = list({c.evidence.article.id: c.evidence.article for c in citations if c.verified}.values())
    absent = unknown_terms(question, corpus_vocabulary(cited_articles), settings.name_fuzzy_min)
    if absent:
        return run.refusal(evidence, REFUSED_OFF_TOPIC,
                           f"the cited articles never mention {', '.join(repr(a) for a in absent[:3])}: "
                           "they answer another question", raw, claims, citations)
    # and its numbers near the answer: in the paragraph of a verified citation, not elsewhere
    verified = [c.evidence for c in citations if c.verified]
    elsewhere = numbers_elsewhere(question, [paragraph_around(e.article.text, e.start, e.end) for e in verified],
                                  [e.article.date for e in verified if e.article.date])
    if elsewhere:
        return run.refusal(evidence, REFUSED_OFF_TOPIC,
                           f"the cited passages never give {', '.join(elsewhere[:3])}: they answer another question",
                           raw, claims, citations)
    return run.answer(evidence, render_answer(claims, citations), False, None, raw, claims, citations)


def ask(stages: Stages, question: str, k: int | None = None, date: str | None = None,
        language: str | None = None) -> Iterator[dict]:
    """Evidence event, token events, then the checked answer.

    When no sentence of the answer verifies, the system takes a second look before it
    refuses: the best passages whole (the answer is often a sentence that scores low on
    its own, "het drie kwartier durende gesprek"), a new evidence event, a second model call.
    """
    settings = stages.settings
    question = clean_question(question, settings.max_question_chars)
    language = language or detect_language(question)
    started = time.perf_counter()
    question_vector = stages.embedder.embed_queries([question])[0]  # once per question
    passages = stages.retriever.search(question, k=max(k or settings.top_k, settings.evidence_passages),
                                       date=date, query_vector=question_vector)
    evidence = gather_evidence(question, passages, stages.sentences, stages.embedder, settings,
                               question_vector=question_vector)
    retrieved = time.perf_counter()
    yield {"type": "evidence", "language": language, "evidence": evidence, "passages": passages,
           "retrieve_ms": round((retrieved - started) * 1000, 1), "attempt": 1}
    run = _Run(stages, question, language, passages, started, retrieved,
               Path(settings.prompts_dir) if settings.prompts_dir else None)
    best_dense = max((e.dense for e in evidence), default=-1.0)
    why_not = irrelevance(question, best_dense, stages.sentences.vocabulary, settings.min_similarity,
                          settings.strong_match, settings.name_fuzzy_min)
    if why_not:  # the LLM is not even loaded
        yield {"type": "answer", "answer": run.refusal(evidence, REFUSED_NO_EVIDENCE, why_not)}
        return
    loading = time.perf_counter()
    stages.generator.warm()  # loading the model (first question only) is start-up cost, not the question's
    run.started += time.perf_counter() - loading
    run.retrieved += time.perf_counter() - loading
    answer = yield from _attempt(run, evidence)
    again = {REFUSED_UNVERIFIED} | ({REFUSED_BY_MODEL} if settings.second_look_after_refusal else set())
    if answer.refusal_reason in again and settings.second_look_passages:
        wider = gather_evidence(question, passages, stages.sentences, stages.embedder, settings,
                                whole_passages=settings.second_look_passages,
                                sentences=settings.second_look_sentences, chars=settings.second_look_chars,
                                question_vector=question_vector)
        if {(e.article.id, e.start) for e in wider} - {(e.article.id, e.start) for e in evidence}:
            yield {"type": "evidence", "language": language, "evidence": wider, "passages": passages,
                   "retrieve_ms": round((time.perf_counter() - started) * 1000, 1), "attempt": 2}
            answer = yield from _attempt(run, wider)
    yield {"type": "answer", "answer": answer}


def answer_question(stages: Stages, question: str, **options) -> Answer:
    """ask() without the stream: the final Answer."""
    final = None
    for event in ask(stages, question, **options):
        if event["type"] == "answer":
            final = event["answer"]
    return final
