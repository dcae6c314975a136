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

from rag.citations import Citation, Claim, render_answer, split_claims, split_instructions, verify
from rag.generation import GenerationStats
from rag.language import detect_language
from rag.prompting import (
    REFUSAL_TOKEN,
    Evidence,
    format_evidence,
    read_template,
    refusal_text,
    render,
    render_messages,
    select_evidence,
    strip_annotations,
    with_context,
)
from rag.relevance import (
    corpus_vocabulary,
    irrelevance,
    missed_topic,
    speaker_conflict,
    states_absence,
    unknown_terms,
)
from rag.retrieval import Passage, clean_question

REFUSED_NO_EVIDENCE = "no_relevant_evidence"
REFUSED_BY_MODEL = "model_refused"
REFUSED_UNVERIFIED = "unverified"
REFUSED_OFF_TOPIC = "off_topic"
SHORT_CLAIM_WORDS = 6


@dataclass
class Answer:
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
            "claims": [{"text": c.text, "supported": c.supported, "checkable": c.checkable, "cited": c.cited,
                        "invalid": c.invalid}
                       for c in self.claims],
            "evidence": [e.as_json() for e in self.evidence],
            "raw_answer": self.raw,
            "template": self.template,
            "model": self.model,
            "timings": self.timings,
        }


def gather_evidence(pipeline, question: str, passages: list[Passage], whole_passages: int | None = None,
                    sentences: int | None = None, chars: int | None = None) -> list[Evidence]:
    """The best passages' sentences whole (if any), then the best single sentences of the
    others (pure scoring, vectors from the index). Defaults from the settings."""
    index, settings = pipeline.index, pipeline.settings
    whole_passages = settings.evidence_whole_passages if whole_passages is None else whole_passages
    sentences = settings.evidence_sentences if sentences is None else sentences
    chars = settings.evidence_chars if chars is None else chars
    wanted: dict[tuple, float] = {}
    best = set()  # sentences of the best passages, shown whole
    for rank, passage in enumerate(passages[: settings.evidence_passages]):
        bonus = 0.02 * (settings.evidence_passages - rank) / settings.evidence_passages
        for span in passage.chunk.sentences:
            key = (passage.article.id, span.start, span.end)
            wanted[key] = max(wanted.get(key, 0.0), bonus)
            if rank < whole_passages:
                best.add(key)
    rows = pipeline.sentence_rows
    keys = [k for k in wanted if k in rows]
    whole = sum(k in best for k in keys)
    if not keys:
        return []
    vectors = np.asarray(index.sentence_embeddings[[rows[k] for k in keys]])
    question_vector = pipeline.retriever.embedder.embed_queries([question])[0]
    candidates = [(index.articles[a], start, end, wanted[(a, start, end)]) for a, start, end in keys]
    chosen = select_evidence(question, question_vector, candidates, vectors, sentences,
                             whole=whole, max_chars=chars or None)
    return with_context(chosen, pipeline.sentence_spans, settings.context_chars)


def make_judge(pipeline, language: str, templates: Path | None):
    """The LLM as support judge over one evidence sentence, or None (turned off, or a generator
    that cannot read yes/no logits). Its system message is the answer prompt's, so the KV cache
    keeps that long shared prefix for the next question too."""
    probe = getattr(pipeline.generator, "yes_probability", None)
    if not pipeline.settings.judge or probe is None:
        return None
    answer_messages = render_messages(f"answer_{language}", {
        "evidence": "", "question": "", "refusal_token": REFUSAL_TOKEN, "note": ""}, templates)
    system = [m for m in answer_messages if m["role"] == "system"][:1]
    template = read_template("judge", templates)

    def judge(claim: str, item: Evidence) -> float | None:
        ask = render(template, {"n": str(item.n), "source": " ".join(item.full_text.split()), "claim": claim})
        return probe(system + [{"role": "user", "content": ask.strip()}])

    return judge


def premise_note(question: str, evidence: list[Evidence], language: str, templates: Path | None) -> str:
    """A line for the prompt when the question's premise names the wrong speaker ('' when not)."""
    conflict = speaker_conflict(question, evidence)
    if conflict is None:
        return ""
    person, others, numbers = conflict
    title = " ".join(w.capitalize() for w in " and ".join(others).split())
    note = render(read_template(f"note_speaker_{language}", templates),
                  {"person": person.title(), "others": title.replace(" And ", " and "),
                   "numbers": ", ".join(f"[{n}]" for n in numbers)})
    return note.strip() + "\n"


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

    pipeline: object
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
                      evidence, self.passages, raw, f"answer_{self.language}", self.pipeline.generator.name,
                      _timings(self.started, self.retrieved, self.first_token, self.stats),
                      refusal_detail=detail)

    def refusal(self, evidence: list[Evidence], reason: str, detail: str, raw: str = "", claims=None,
                citations=None) -> Answer:
        return self.answer(evidence, refusal_text(self.language, self.templates), True, reason, raw, claims,
                           citations, detail)


def _attempt(run: _Run, evidence: list[Evidence]) -> Iterator[dict]:
    """One model call over the evidence, then the checks; yields token events, returns the Answer."""
    pipeline, settings, question, language = run.pipeline, run.pipeline.settings, run.question, run.language
    messages = render_messages(f"answer_{language}", {
        "evidence": format_evidence(evidence), "question": question, "refusal_token": REFUSAL_TOKEN,
        "note": premise_note(question, evidence, language, run.templates)}, run.templates)
    raw = ""
    run.stats = GenerationStats()
    for text in pipeline.generator.stream(messages, max_tokens=settings.max_tokens, stats=run.stats):
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
    embedder = pipeline.retriever.embedder
    # a bare "32" or "Den Haag" means nothing alone: short claims are read with their question
    claim_texts = [c.text if len(c.text.split()) >= SHORT_CLAIM_WORDS else f"{question} {c.text}" for c in claims]
    claim_vectors = embedder.embed_queries(claim_texts) if claims else np.zeros((0, 1))
    evidence_vectors = np.asarray(pipeline.index.sentence_embeddings[
        [pipeline.sentence_rows[(e.article.id, e.start, e.end)] for e in evidence]])
    instructions = split_instructions(question)[1]
    instruction_vectors = embedder.embed_queries(instructions) if instructions and claims else None
    citations = verify(claims, evidence, claim_vectors, evidence_vectors, settings.support_threshold, question,
                       instruction_vectors, judge=make_judge(pipeline, language, run.templates),
                       judge_threshold=settings.judge_threshold, judge_candidates=settings.judge_candidates)
    if not any(c.supported for c in claims):
        return run.refusal(evidence, REFUSED_UNVERIFIED, "no sentence of the answer is supported by its source",
                           raw, claims, citations)
    # the question's rare words must occur in a cited article ("Warsaw speech": the speech is
    # named two paragraphs before the cited warning; "Zelensky at the summit": nowhere near it)
    cited_text = " ".join({c.evidence.article.id: c.evidence.article.text
                           for c in citations if c.verified}.values())
    missed = missed_topic(question, cited_text, pipeline.term_frequency)
    if missed:
        return run.refusal(evidence, REFUSED_OFF_TOPIC,
                           f"the cited passages never mention {', '.join(missed[:3])}: they answer another question",
                           raw, claims, citations)
    # every name and number the question gives must be in a cited article (in some language
    # form): "Eindhoven Airport" answered from the Schiphol article is another airport's answer
    cited_articles = list({c.evidence.article.id: c.evidence.article for c in citations if c.verified}.values())
    absent = unknown_terms(question, corpus_vocabulary(cited_articles))
    if absent:
        return run.refusal(evidence, REFUSED_OFF_TOPIC,
                           f"the cited articles never mention {', '.join(repr(a) for a in absent[:3])}: "
                           "they answer another question", raw, claims, citations)
    return run.answer(evidence, render_answer(claims, citations), False, None, raw, claims, citations)


def ask(pipeline, question: str, k: int | None = None, date: str | None = None,
        language: str | None = None) -> Iterator[dict]:
    """Evidence event, token events, then the checked answer.

    When no sentence of the answer verifies, the system takes a second look before it
    refuses: the best passages whole (the answer is often a sentence that scores low on
    its own, "het drie kwartier durende gesprek"), a new evidence event, a second model call.
    """
    settings = pipeline.settings
    pipeline.generator.warm()  # model load is start-up cost, not the question's (the app loads it at start)
    started = time.perf_counter()
    question = clean_question(question, settings.max_question_chars)
    language = language or detect_language(question)
    passages = pipeline.search(question, k=max(k or settings.top_k, settings.evidence_passages), date=date)
    evidence = gather_evidence(pipeline, question, passages)
    retrieved = time.perf_counter()
    yield {"type": "evidence", "language": language, "evidence": evidence, "passages": passages,
           "retrieve_ms": round((retrieved - started) * 1000, 1), "attempt": 1}
    run = _Run(pipeline, question, language, passages, started, retrieved,
               Path(settings.prompts_dir) if settings.prompts_dir else None)
    best_dense = max((e.dense for e in evidence), default=-1.0)
    why_not = irrelevance(question, best_dense, pipeline.vocabulary, settings.min_similarity)
    if why_not:
        yield {"type": "answer", "answer": run.refusal(evidence, REFUSED_NO_EVIDENCE, why_not)}
        return
    answer = yield from _attempt(run, evidence)
    if answer.refusal_reason == REFUSED_UNVERIFIED and settings.second_look_passages:
        wider = gather_evidence(pipeline, question, passages, whole_passages=settings.second_look_passages,
                                sentences=settings.second_look_sentences, chars=settings.second_look_chars)
        if {(e.article.id, e.start) for e in wider} - {(e.article.id, e.start) for e in evidence}:
            yield {"type": "evidence", "language": language, "evidence": wider, "passages": passages,
                   "retrieve_ms": round((time.perf_counter() - started) * 1000, 1), "attempt": 2}
            answer = yield from _attempt(run, wider)
    yield {"type": "answer", "answer": answer}


def answer_question(pipeline, question: str, **options) -> Answer:
    """ask() without the stream: the final Answer."""
    final = None
    for event in ask(pipeline, question, **options):
        if event["type"] == "answer":
            final = event["answer"]
    return final
