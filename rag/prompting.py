"""Prompt templates (files in prompts/) and the evidence they are filled with.

Evidence is a handful of single sentences, not whole chunks: a small model
stays grounded in short evidence and reads it about 3x faster (fewer prompt
tokens). Sentences are chosen from the retrieved chunks by combining dense
similarity to the question with lexical matches (numbers and names matter).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.corpus import Article
from rag.errors import ConfigError
from rag.text import fold, lexical_terms, term_groups

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
REFUSAL_TOKEN = "NOT_IN_ARTICLES"
SECTION = re.compile(r"^### (system|user)\s*$", re.MULTILINE)


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

    def as_json(self) -> dict:
        return {"n": self.n, "article": self.article.source, "title": self.article.title,
                "date": self.article.date, "start": self.start, "end": self.end, "text": self.text,
                "score": round(self.score, 4), "dense": round(self.dense, 4),
                "lexical": round(self.lexical, 4),
                "context_start": self.context_start if 0 <= self.context_start < self.start else self.start}


def prompts_dir(custom: Path | None = None) -> Path:
    return Path(custom) if custom else PROMPTS_DIR


def read_template(name: str, directory: Path | None = None) -> str:
    path = prompts_dir(directory) / f"{name}.txt"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"prompt template {path} is missing") from None


def render(template: str, values: dict[str, str]) -> str:
    """Fill $names; a missing value is an error, never an empty gap."""
    try:
        return string.Template(template).substitute(values)
    except KeyError as exc:
        raise ConfigError(f"prompt template needs a value for ${exc.args[0]}") from None


def render_messages(name: str, values: dict[str, str], directory: Path | None = None) -> list[dict]:
    """A template file with `### system` / `### user` sections -> chat messages."""
    text = render(read_template(name, directory), values)
    parts = SECTION.split(text)
    messages = [{"role": role, "content": content.strip()}
                for role, content in zip(parts[1::2], parts[2::2])]
    if not messages or messages[-1]["role"] != "user":
        raise ConfigError(f"prompt template {name} needs a '### user' section")
    return messages


def refusal_text(language: str, directory: Path | None = None) -> str:
    return read_template(f"refusal_{language}", directory).strip()


DUTCH_DURATIONS = {"drie kwartier": "45 minuten", "een kwartier": "15 minuten", "half uur": "30 minuten"}
ANNOTATION = re.compile(r"\b([^\W\d_]+(?: kwartier)?) \((\d+(?: minuten)?)\)")


def annotate_numbers(text: str) -> str:
    """'dertig dagen' -> 'dertig (30) dagen': the small model misreads Dutch number words
    (it wrote "20 days" for "dertig dagen"). Only the model's copy is annotated; citations
    and their checks use the original sentence."""
    for phrase, meaning in DUTCH_DURATIONS.items():
        text = re.sub(rf"\b({phrase})\b", rf"\1 ({meaning})", text, flags=re.IGNORECASE)
    from rag.lexicon import number_words_in

    for _start, end, value in reversed(number_words_in(text)):
        if not re.match(r"\s*(?:\(|kwartier)", text[end:]):
            text = f"{text[:end]} ({value}){text[end:]}"
    return text


def strip_annotations(text: str, language: str = "nl") -> str:
    """Undo annotations the model copied into its answer: Dutch keeps the word ("acht (8)" ->
    "acht"), English keeps the number ("acht (8)" -> "8", "minuten" -> "minutes")."""
    if language == "en":
        return ANNOTATION.sub(lambda m: m.group(2).replace("minuten", "minutes"), text)
    return ANNOTATION.sub(lambda m: m.group(1), text)


def format_evidence(evidence: list[Evidence]) -> str:
    return "\n".join(f"[{e.n}] {annotate_numbers(' '.join(e.full_text.split()))}" for e in evidence)


# Closed-class words (pronouns, demonstratives, connectives) that make a sentence lean on the one
# before when they open it: grammar of the two languages, not facts of any corpus.
LEANING_OPENERS = frozenset(
    "dat dit die deze daar daarmee daarom daarna daarvoor daardoor daarbij daarin daarop hij zij ze "
    "hun haar zijn hem ook bovendien toch "
    "he she it they this that these those his her their its also but".split())


def leans_on_previous(sentence: str) -> bool:
    """True when the sentence's first word is a pronoun or demonstrative ("Dat wil Zweden al
    volgend jaar.", "She called it too little."): alone it does not say who or what."""
    opening = re.findall(r"[^\W\d_]+", fold(sentence.lstrip(" \"'„“”‘’(")))[:1]
    return bool(opening) and opening[0] in LEANING_OPENERS


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
) -> list[Evidence]:
    """Choose evidence sentences from candidates (article, start, end, passage_rank_bonus).

    The first `whole` candidates (the best passages' sentences, in reading order) are all
    kept: one sentence alone often lacks what answers the question ("het drie kwartier
    durende gesprek" scores low against "how long did the conversation last", the chunk
    around it scores first). The rest compete by score = dense cosine + 0.35 * lexical
    coverage + passage bonus (numbers in the question count double, so "5%" pulls the
    sentence that contains 5) for `limit` more places, within `max_chars` in all.
    """
    groups = set(term_groups(question))
    weights = {g: (2.0 if g[0][0].isdigit() else 1.0) for g in groups}
    total = sum(weights.values()) or 1.0
    scored = []
    for position, ((article, start, end, bonus), vector) in enumerate(zip(candidates, sentence_vectors)):
        dense = float(np.dot(question_vector, vector))
        sentence_terms = set(lexical_terms(article.text[start:end]))
        lexical = sum(w for g, w in weights.items() if sentence_terms.intersection(g)) / total
        scored.append((dense + 0.35 * lexical + bonus, dense, lexical, article, start, end, position))
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
