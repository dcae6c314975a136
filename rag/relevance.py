"""Decide, before calling the model, whether the articles can answer a question at all.

Dense similarity alone cannot decide it: multilingual-e5 scores are compressed
(an out-of-corpus question's best sentence can score higher than an answerable
one's). A sharper, language-independent signal is a name or number that the
question is about and that occurs nowhere in the articles ("Finland", "1949",
"Tour de France"): then no passage can answer it. Names are compared folded,
through the Dutch/English name pairs, and fuzzily (spelling variants).
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.citations import CITATION, capitalised_words, names_in, numbers_in, paragraph_around
from rag.corpus import Article
from rag.lexicon import name_forms, translates, translations, untranslatable
from rag.prompting import Evidence
from rag.text import fold, lexical_terms, stopwords, term_groups, words

WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ][^\W_]*(?:[-'’][^\W_]+)*(?:\s+[A-ZÀ-ÖØ-Þ][^\W_]*(?:[-'’][^\W_]+)*)*")
QUESTION_WORDS = frozenset(
    "what who whom whose which where when why how is are was were did does do can could should would will "
    "according tell give name list explain describe "
    "wat wie wiens welke welk waar wanneer waarom hoe hoeveel hoelang is zijn was waren heeft hebben kan "
    "kun kunt zou moet volgens noem geef vertel leg beschrijf".split())
SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s*)[\"'“„(]*$")  # what stands before a sentence's first word
PERCENT = re.compile(r"%|\bpct\b\.?")
FUZZY_MIN = 85.0
# verbs of saying: "what did Rutte say about X" is about X, not about saying
SAYING_WORDS = ("say said says zei zegt gezegd vond vindt think thinks thought want wants wil willen warn warned "
                "waarschuwde call called noemde").split()
# an unknown name does not refuse when some sentence is this close anyway (a missing name pair)
STRONG_MATCH = 0.87


@lru_cache(maxsize=1)
def saying_terms() -> frozenset[str]:
    """SAYING_WORDS stemmed (on first use: the stemmer is not loaded on import)."""
    return frozenset(t for word in SAYING_WORDS for g in term_groups(word) for t in g)


def corpus_vocabulary(articles: list[Article]) -> frozenset[str]:
    """Every folded word and number of the articles (hyphenated words also in parts), plus date parts."""
    vocabulary: set[str] = set()
    for article in articles:
        folded = fold(article.text)
        for word in WORD.findall(folded):
            vocabulary.add(word)
            vocabulary.update(re.split(r"[-'’]", word))
        vocabulary.update(numbers_in(article.text))
        if article.date:
            year, month = article.date.split("-")
            vocabulary.update({year, str(int(month))})
    return frozenset(w for w in vocabulary if w)


def _known(word: str, vocabulary: frozenset[str], original: str = "") -> bool:
    """The word, or one of its forms in the other language (rag.lexicon), is in the corpus:
    exactly, as the start of a longer word ("Rutte" -> "Ruttes", "Roemeens" -> "Roemenië"
    through a shared 5-letter stem), or as a close spelling variant."""
    from rapidfuzz import process
    from rapidfuzz.fuzz import ratio

    base = re.sub(r"(?<=\d)s$|['’]s$", "", word)  # "Europe's", "F-16s"
    candidates = {word, base} | {f for f in name_forms(original or word.title()) | translations(base)
                                 if " " not in f}
    # a Dutch adjective or plural of the form: "white" -> "wit" -> "witte"
    if any(c in vocabulary or c + "e" in vocabulary or c + "en" in vocabulary or c + c[-1:] + "e" in vocabulary
           for c in candidates):
        return True
    for candidate in candidates:
        stem = candidate[:max(5, len(candidate) - 2)] if len(candidate) >= 6 else candidate
        if len(stem) >= 4 and any(v.startswith(stem) for v in vocabulary):
            return True
    return process.extractOne(word, vocabulary, scorer=ratio, score_cutoff=FUZZY_MIN) is not None


def unknown_terms(question: str, vocabulary: frozenset[str]) -> list[str]:
    """Names and numbers of the question that the articles never mention.

    A run of capitalised words is one name ("United States" -> "verenigde staten");
    the first word of each of the question's sentences is skipped (capitalised because it
    starts one: "... 5%? Ignore the articles"), and so are citation markers ("[1]").
    """
    stop = stopwords() | QUESTION_WORDS
    unknown = []
    question = CITATION.sub(" ", question).strip()
    for match in CAPITALISED.finditer(question):
        words = match.group(0).split()
        if SENTENCE_START.search(question[:match.start()]):
            words = words[1:]
        phrase = fold(" ".join(words))
        if not words or phrase in stop:
            continue
        if any(all(w in vocabulary for w in re.split(r"[\s-]+", form)) for form in name_forms(" ".join(words))):
            continue
        for word, original in zip(phrase.split(), words):
            pieces = [p for p in re.split(r"[-'’]", original) if p]
            # of a compound only its capitalised parts are a name ("NAVO-norm" -> "navo")
            pieces = [p for p in pieces if p[0].isupper()] if len(pieces) > 1 else pieces
            parts = [fold(p) for p in pieces if fold(p) not in stop]
            if word in stop or all(_known(p, vocabulary) for p in parts):
                continue
            # absent in every form the data knows; an acronym it cannot translate ("NATO"
            # without "NAVO") proves nothing: refusing on it would refuse for a missing list entry
            if not untranslatable(original):
                unknown.append(original)
    for number in sorted(numbers_in(question)):
        if number not in vocabulary and number.replace(".", ",") not in vocabulary:
            unknown.append(number)
    return list(dict.fromkeys(unknown))


def irrelevance(question: str, best_dense: float, vocabulary: frozenset[str], min_dense: float) -> str | None:
    """Why the articles cannot answer (None when they might)."""
    unknown = unknown_terms(question, vocabulary)
    if unknown and best_dense < STRONG_MATCH:
        return f"the articles never mention {', '.join(repr(u) for u in unknown[:3])}"
    if best_dense < min_dense:
        return f"no passage is close to the question (best similarity {best_dense:.2f} < {min_dense:.2f})"
    return None


def term_document_frequency(texts: list[str]) -> dict[str, float]:
    """Share of texts (chunks) that contain each lexical term."""
    counts: dict[str, int] = {}
    for text in texts:
        for term in set(lexical_terms(text)):
            counts[term] = counts.get(term, 0) + 1
    return {term: count / max(len(texts), 1) for term, count in counts.items()}


def missed_topic(question: str, cited_text: str, frequency: dict[str, float], rare: float = 0.2) -> list[str]:
    """The question's distinctive words (rare in the articles, yet present) that the cited
    passages never use: an answer citing them talks about something else.

    Empty when the question has no such word (e.g. English words against Dutch articles).
    Question words ("volgens", "according") are not the topic; "5%" in a source is "procent"."""
    asked = " ".join(w for w in words(question) if w not in QUESTION_WORDS)
    distinctive = [g for g in term_groups(asked) if 0 < max(frequency.get(t, 0.0) for t in g) <= rare]
    if not distinctive:
        return []
    cited = set(lexical_terms(PERCENT.sub(" procent percent ", cited_text)))
    if any(cited.intersection(g) for g in distinctive):
        return []
    return [g[0] for g in distinctive]


# the model saying in words what the refusal token says ("... is not mentioned in the sources")
ABSENCE = re.compile(
    r"\b(not (?:mentioned|provided|stated|specified|given|found|included|discussed)|no (?:information|mention)|"
    r"(?:does|do|did)(?: not|n't) (?:mention|say|state|specify|provide|contain)|"
    r"niet (?:vermeld|genoemd|gegeven|gespecificeerd|te vinden|besproken)|geen (?:informatie|vermelding)|"
    r"(?:staat|wordt) (?:er )?niet (?:in|vermeld|genoemd))\b", re.IGNORECASE)


def states_absence(claim: str) -> bool:
    """A sentence that only says the sources lack the answer: a refusal in other words."""
    return bool(ABSENCE.search(claim))


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
