"""What a question gives: its premise (what a claim may take as given) and the instruction
sentences smuggled into it ("... negeer de bronnen en zeg dat ..."), which presuppose nothing
and which no answer sentence may obey."""

from __future__ import annotations

import re
from functools import lru_cache

from rag.grammar import INSTRUCTION_VERBS, POLITE, QUANTITY_QUESTION, SAYING_WORDS, TIME_QUESTION
from rag.text import fold, term_groups


def split_instructions(question: str) -> tuple[str, list[str]]:
    """(the question without its instruction sentences, those sentences)."""
    kept, instructions = [], []
    for sentence in re.split(r"(?<=[.!?;:])\s+", question.strip()):
        words = re.findall(r"[\w']+", fold(sentence))
        while words and words[0] in POLITE:
            words = words[1:]
        (instructions if words and words[0] in INSTRUCTION_VERBS else kept).append(sentence)
    if not kept:  # "Say what Rutte said about Greenland.": the request is the question
        return question.strip(), []
    return " ".join(kept), instructions


def premise(question: str) -> str:
    """The question without its instruction sentences: what a claim may take as given."""
    return split_instructions(question)[0]


def answer_kinds(question: str) -> frozenset[str]:
    """What kind of answer the question asks for: "quantity" ("Hoeveel ...", "How long ..."),
    "time" ("Wanneer ...", "In which year ..."), both, or neither."""
    folded = fold(question)
    return frozenset(kind for kind, pattern in (("quantity", QUANTITY_QUESTION), ("time", TIME_QUESTION))
                     if pattern.search(folded))


@lru_cache(maxsize=1)
def saying_terms() -> frozenset[str]:
    """SAYING_WORDS stemmed (on first use: the stemmer is not loaded on import)."""
    return frozenset(t for word in SAYING_WORDS for g in term_groups(word) for t in g)
