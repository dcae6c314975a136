"""Follow-up questions in a conversation, without an extra model call.

"And what did Hegseth say?" after "What did Rutte say about 5%?" cannot be
retrieved on its own words: it lacks the topic. A question is a follow-up when
it starts like one ("and ...", "what about ...", "en wat ...", "hoe zit het
met ...") or when it has a pronoun ("he", "hij", "daarover") and no name of its
own. A follow-up is searched (and answered) with the previous question's key
terms added: its names, numbers and content words, minus what the follow-up
already says. When the follow-up names someone or something new and has no
personal pronoun, the new name takes the place of the previous question's
subject (its first name): "And what did Hegseth say?" becomes
"And what did Hegseth say? (5%)", not "... (Rutte 5%)".

Pure functions of strings; the app keeps the list of questions as searched.
"""

from __future__ import annotations

import re

from rag.grammar import FOLLOW_UP_START, PERSONAL, POINTERS
from rag.grammar import GENERIC_VERBS as GENERIC
from rag.grammar import QUESTION_OPENERS as NOT_NAMES
from rag.text import fold, stopwords

NAME = re.compile(r"[A-ZÀ-ÖØ-Þ][^\W_]*(?:[-'’][^\W_]+)*(?:\s+[A-ZÀ-ÖØ-Þ][^\W_]*(?:[-'’][^\W_]+)*)*")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:\s?%|\s?procent\b|\s?percent\b)?", re.IGNORECASE)
WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
MAX_TERMS = 8


def _skip(word: str) -> bool:
    folded = fold(word)
    return folded in NOT_NAMES or folded in stopwords()


def names(text: str) -> list[str]:
    """Runs of capitalised words, without question words and stopwords: "Mark Rutte", "NAVO-top"."""
    found = []
    for match in NAME.finditer(text):
        words = [w for w in match.group(0).split() if not _skip(re.sub(r"['’]s$", "", w))]
        # a capitalised word right after a sentence end is just a sentence start ("Tell me. Who ...")
        if words:
            found.append(" ".join(re.sub(r"['’]s$", "", w) for w in words))
    return list(dict.fromkeys(found))


def numbers(text: str) -> list[str]:
    return list(dict.fromkeys(" ".join(m.group(0).split()) for m in NUMBER.finditer(text)))


def content_words(text: str) -> list[str]:
    """Lowercase words that carry the topic: not stopwords, question words, pronouns or verbs of saying."""
    found = []
    for word in WORD.findall(text):
        folded = fold(word)
        if (word[:1].isupper() or len(folded) < 3 or folded in stopwords() or folded in NOT_NAMES
                or folded in GENERIC or folded in PERSONAL or folded in POINTERS):
            continue
        found.append(word)
    return list(dict.fromkeys(found))


def _words(text: str) -> set[str]:
    return set(fold(w) for w in WORD.findall(text)) | set(fold(n) for n in numbers(text))


def is_follow_up(question: str) -> bool:
    """Starts like a follow-up, or leans on the previous question (a pronoun and no name)."""
    if FOLLOW_UP_START.match(question):
        return True
    said = _words(question)
    return bool(said & (PERSONAL | POINTERS)) and not names(question)


def key_terms(previous: str, follow_up: str) -> list[str]:
    """The previous question's names, numbers and content words that the follow-up lacks."""
    own_names = names(follow_up)
    carried = names(previous)
    if own_names and carried and not _words(follow_up) & PERSONAL:
        carried = carried[1:]  # the follow-up's own name replaces the previous subject
    said = _words(follow_up)
    terms = []
    for term in carried + numbers(previous) + content_words(previous):
        words = _words(term)
        if not words <= said:
            terms.append(term)
            said |= words
    return terms[:MAX_TERMS]


def rewrite(question: str, previous_questions: list[str]) -> str:
    """The question to search and answer with: a follow-up carries the previous question's key terms.

    `previous_questions` are the earlier questions as they were searched (rewritten
    ones included), so a chain of follow-ups keeps its topic.
    """
    question = question.strip()
    previous = [p.strip() for p in previous_questions if p and p.strip()]
    if not previous or not is_follow_up(question):
        return question
    terms = key_terms(previous[-1], question)
    if not terms:
        return question
    return f"{question} ({' '.join(terms)})"
