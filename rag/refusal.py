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

from rag.citations import CITATION
from rag.grammar import ABSENCE, QUESTION_WORDS
from rag.language import detect_language
from rag.lexicon import month_words, months_in, name_forms, translations, untranslatable
from rag.mentions import numbers_in
from rag.question import answer_kinds
from rag.settings import Settings
from rag.text import fold, lexical_terms, stopwords, term_groups, words

CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ][^\W_]*(?:[-'’][^\W_]+)*(?:\s+[A-ZÀ-ÖØ-Þ][^\W_]*(?:[-'’][^\W_]+)*)*")
SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s*)[\"'“„(]*$")  # what stands before a sentence's first word
# why the system refused (Answer.refusal_reason; the eval and the UI read these)
REFUSED_NO_EVIDENCE = "no_relevant_evidence"  # before the model: the articles cannot answer
REFUSED_BY_MODEL = "model_refused"  # the model's refusal token, or a refusal in words
REFUSED_UNVERIFIED = "unverified"  # no sentence of the answer verifies against its source
REFUSED_OFF_TOPIC = "off_topic"  # verified sentences that answer another question
PERCENT = re.compile(r"%|\bpct\b\.?")


def _known(word: str, vocabulary: frozenset[str], original: str, fuzzy_min: float) -> bool:
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
    return process.extractOne(word, vocabulary, scorer=ratio, score_cutoff=fuzzy_min) is not None


def unknown_terms(question: str, vocabulary: frozenset[str],
                  fuzzy_min: float = Settings.name_fuzzy_min) -> list[str]:
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
            if word in stop or all(_known(p, vocabulary, "", fuzzy_min) for p in parts):
                continue
            # absent in every form the data knows; an acronym it cannot translate ("NATO"
            # without "NAVO") proves nothing: refusing on it would refuse for a missing list entry
            if not untranslatable(original):
                unknown.append(original)
    for number in sorted(numbers_in(question)):
        if number not in vocabulary and number.replace(".", ",") not in vocabulary:
            unknown.append(number)
    return list(dict.fromkeys(unknown))


def irrelevance(question: str, best_dense: float, vocabulary: frozenset[str], min_dense: float,
                strong_match: float = Settings.strong_match,
                fuzzy_min: float = Settings.name_fuzzy_min) -> str | None:
    """Why the articles cannot answer (None when they might): a name or number they never
    mention (unless some sentence is `strong_match` close anyway), or nothing close at all."""
    unknown = unknown_terms(question, vocabulary, fuzzy_min)
    if unknown and best_dense < strong_match:
        return f"the articles never mention {', '.join(repr(u) for u in unknown[:3])}"
    if best_dense < min_dense:
        return f"no passage is close to the question (best similarity {best_dense:.2f} < {min_dense:.2f})"
    return None


def missed_topic(question: str, cited_text: str, frequency: dict[str, float], rare: float = 0.2) -> list[str]:
    """The question's distinctive words (rare in the articles, yet present) that the cited
    passages never use: an answer citing them talks about something else.

    Empty when the question has no such word, and across languages: an English word that is
    also a rare Dutch one ("last" = burden) is a coincidence, not the topic; names and numbers
    across languages are unknown_terms' to check. Question words ("volgens", "according") are
    not the topic; "5%" in a source is "procent"."""
    if detect_language(question) != detect_language(cited_text):
        return []
    asked = " ".join(w for w in words(question) if w not in QUESTION_WORDS)
    distinctive = [g for g in term_groups(asked) if 0 < max(frequency.get(t, 0.0) for t in g) <= rare]
    if not distinctive:
        return []
    cited = set(lexical_terms(PERCENT.sub(" procent percent ", cited_text)))
    if any(cited.intersection(g) for g in distinctive):
        return []
    return [g[0] for g in distinctive]


def numbers_elsewhere(question: str, cited_paragraphs: list[str], dates: list[str]) -> list[str]:
    """The question's numbers and months that no cited paragraph (nor its article's date) gives:
    the answer comes from a passage about something else. "Wie won de 10.000 meter?" answered
    from the 1.500 meter paragraph of an article whose 10.000 meter paragraph names another
    winner; "de verkiezingen van 2018" answered from an article of 2023 that mentions 2018 in
    passing; "from the end of October" answered from the paragraph on the later target (a
    month is reported as the question writes it)."""
    text = " ".join(cited_paragraphs)
    near = numbers_in(text)
    near_months = set(months_in(text))
    for date in dates:
        year, _, month = date.partition("-")
        near.add(year)
        if month:
            near_months.add(int(month))
    missing = sorted(n for n in numbers_in(question) if n not in near)
    return missing + list(dict.fromkeys(w for w, number in month_words(question) if number not in near_months))


def no_quantity_given(question: str, supported_claims: list[str]) -> bool:
    """The question asks how many or how much ("Hoeveel geeft Duitsland straks uit?") and no
    supported sentence of the answer states a number: whatever it says ("Meerdere landen zijn al
    bezig met het ophogen van hun budget"), it answers another question."""
    return "quantity" in answer_kinds(question) and not any(numbers_in(c) for c in supported_claims)


def states_absence(claim: str) -> bool:
    """A sentence that only says the sources lack the answer: a refusal in other words."""
    return bool(ABSENCE.search(claim))


