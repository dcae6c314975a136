"""Prompt templates (files in prompts/), filled with the evidence (its number words annotated
with their values, rag.mentions) and, when the question's premise names the wrong speaker,
a note saying so."""

from __future__ import annotations

import re
import string
from pathlib import Path

from rag.errors import ConfigError
from rag.evidence import Evidence
from rag.grammar import QUESTION_WORDS
from rag.lexicon import glossary, name_forms, translates
from rag.mentions import annotate_numbers, capitalised_words, names_in, paragraph_around
from rag.question import saying_terms
from rag.text import fold, lexical_terms, stopwords, term_groups, words

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
REFUSAL_TOKEN = "NOT_IN_ARTICLES"
SECTION = re.compile(r"^### (system|user)\s*$", re.MULTILINE)


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


def format_evidence(evidence: list[Evidence]) -> str:
    return "\n".join(f"[{e.n}] {annotate_numbers(e.dated_text)}" for e in evidence)


def _people(names: set[str]) -> set[str]:
    """Names that may be people: not places, demonyms or months (the data translates them)."""
    return {n for n in names if not translates(n.title()) and not all(translates(w.title()) for w in n.split())}


def speaker_conflict(question: str, evidence: list[Evidence]) -> tuple[str, list[str], list[int]] | None:
    """A false premise about who said something: (asked person, people the sources name, sentence numbers).

    "What did Rutte say about 5%?" while every evidence sentence on 5% names Trump, and
    no paragraph around them names Rutte. A small model then writes "Rutte said 5%";
    told the premise is false, it names the right person. None when there is no conflict.
    """
    proper = frozenset().union(*(capitalised_words(e.article.text) for e in evidence)) if evidence else frozenset()
    asked = [n for n in _people(names_in(question, proper)) if n in proper or n.split()[-1] in proper]
    if len(asked) != 1:
        return None
    person = asked[0]
    stop = stopwords() | QUESTION_WORDS
    person_terms = {t for g in term_groups(person) for t in g}
    topic = []  # one set of stems per content word, with the Dutch form of an English name
    for word in words(question):
        stems = {t for form in {word} | name_forms(word.title()) for g in term_groups(form) for t in g}
        if stems and not stems & (person_terms | saying_terms()) and word not in stop:
            topic.append(tuple(sorted(stems, key=lambda t: not t[0].isdigit())))
    numbers = [g for g in topic if g[0][0].isdigit()]
    topic = numbers or topic
    if not topic:
        return None
    on_topic = [e for e in evidence if all(set(lexical_terms(e.text)) & set(g) for g in topic)]
    if not on_topic:
        return None
    others: list[str] = []
    for item in on_topic:
        paragraph = paragraph_around(item.article.text, item.start, item.end)
        if person.split()[-1] in fold(paragraph).split() or person in fold(paragraph):
            return None
        for name in sorted(_people(names_in(item.text, capitalised_words(item.article.text)))):
            if name not in others and name.split()[-1] not in person.split():
                others.append(name)
    if not others:
        return None
    return person, others, [e.n for e in on_topic]


def glossary_note(evidence: list[Evidence], language: str, words: int, templates: Path | None) -> str:
    """For an English answer: a line with English glosses of the evidence's rarer Dutch words
    (rag.lexicon.glossary), so that the model writes "alliance", not "bondgenootschap"
    ('' for Dutch answers, when `words` is 0 or when no word has a gloss)."""
    if language != "en" or words < 1:
        return ""
    pairs = glossary(" ".join(e.full_text for e in evidence), words)
    if not pairs:
        return ""
    line = "; ".join(f"{dutch} = {' / '.join(english)}" for dutch, english in pairs)
    return render(read_template("glossary_en", templates), {"pairs": line}).strip() + "\n"


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
