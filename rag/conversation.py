"""Follow-up questions in a conversation, without an extra model call.

"And what did Hegseth say?" after "What did Rutte say about 5%?" cannot be
retrieved on its own words: it lacks the topic. A follow-up (it starts like
one, or it is short and has no name of its own) is searched with the previous
question's topic added; a question that stands on its own is left alone.
"""

from __future__ import annotations

import re

from rag.citations import names_in
from rag.text import fold

FOLLOW_UP_START = re.compile(
    r"^(and|but|also|what about|how about|and what|and who|and how|why|en|maar|ook|wat dan|"
    r"en wat|en wie|en hoe|hoe zit het met|waarom)\b", re.IGNORECASE)
PRONOUNS = frozenset("he she it they him her them his their this that there "
                     "hij zij ze het hem haar hun dat dit daar die".split())
SHORT = 6  # words


def is_follow_up(question: str) -> bool:
    words = fold(question).split()
    if FOLLOW_UP_START.match(question.strip()):
        return True
    return len(words) <= SHORT and any(w.strip("?.,!") in PRONOUNS for w in words) and not names_in(question)


def rewrite(question: str, previous_questions: list[str]) -> str:
    """The question to search and answer with: a follow-up carries the previous question's topic."""
    if not previous_questions or not is_follow_up(question):
        return question
    previous = previous_questions[-1]
    if fold(previous) == fold(question):
        return question
    return f"{question.strip()} ({previous.strip()})"

