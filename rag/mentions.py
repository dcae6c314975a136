"""What a text states, as the checks compare it: its numbers (by value, with the annotations the
prompt adds to number words), its proper names (in every language form rag.lexicon knows) and
its polarity. Pure functions over strings; the verification, refusal and lookup stages share them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rag.grammar import (
    ALTERNATIVE_PARTICLES,
    COMPARISON_PARTICLES,
    COUNTRY_ANAPHOR,
    DURATIONS,
    DUTCH_DURATIONS,
    NEGATIONS,
)
from rag.grammar import SENTENCE_OPENERS as NOT_NAMES
from rag.lexicon import (
    common_word,
    countries_of,
    country_adjective,
    months_in,
    name_forms,
    number_values,
    ordinal_values,
    translates,
    translations,
)
from rag.text import SENTENCE_END, fold, stopwords

NAME = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\w'’-]*(?:\s+[A-ZÀ-ÖØ-Þ][\w'’-]*)*")


def _first_letter(text: str) -> int:
    """Where a text's first word starts: past spaces and the punctuation that may open it
    (quotes, brackets, dashes: Unicode's categories, not a list of marks)."""
    for at, char in enumerate(text):
        if not (char.isspace() or unicodedata.category(char).startswith("P")):
            return at
    return len(text)


def numbers_in(text: str) -> set[str]:
    """Every number a text states, as its value ("1.500" -> "1500", "tweeëntwintig" -> "22";
    see rag.lexicon), plus Dutch durations ("drie kwartier" -> "45")."""
    folded = fold(text)
    found = set(number_values(text))
    found |= {minutes for phrase, minutes in DURATIONS.items() if phrase in folded}
    return found


YEAR = re.compile(r"(?<![\d.,])\d{4}(?![\d]|[.,]\d)")  # "in 2019", "2019."


def states_kind(text: str, kind: str) -> bool:
    """Whether the text can give an answer of this kind (rag.question.answer_kinds): a
    quantity needs a number (in digits or words), a time a month or a year (four digits as
    written: "duizend euro" and "1,423 seconde" are no years); "dinsdag" alone is dated by the
    article, which every sentence carries anyway."""
    if kind == "quantity":
        return bool(numbers_in(text))
    if kind == "time":
        return bool(months_in(text)) or bool(YEAR.search(text))
    return False


def numbers_for_other_months(claim: str, source: str) -> list[str]:
    """The claim's numbers that the source gives only for another month than the claim does:
    "4.1 percent in May" over "In mei 3,5 procent. In april was dat nog 4,1 procent" (every
    sentence holding 4,1 names a month, none of them May). Empty when the claim names no month."""
    asked = months_in(claim)
    if not asked:
        return []
    sentences = [(numbers_in(s), months_in(s)) for s in SENTENCE_END.split(source)]
    found = []
    for number in sorted(numbers_in(claim)):
        holding = [months for numbers, months in sentences if number in numbers]
        if holding and all(months and not months & asked for months in holding):
            found.append(number)
    return found


def ordinals_in(text: str) -> set[str]:
    """The places a text states from second on, by value ("tweede" -> "2"; rag.lexicon)."""
    return set(ordinal_values(text))


def negated(text: str) -> bool:
    """An odd number of negation words ("there is no alternative", "geen alternatief"); a
    negated comparison ("no more than 460,000", "niet meer dan") bounds a number and an
    alternative ("wel of niet", "or not") leaves it open: neither denies anything."""
    words = re.findall(r"[\w']+", fold(text))
    denials = [at for at, w in enumerate(words) if (w in NEGATIONS or w.endswith("n't"))
               and not set(words[at + 2: at + 3]) & COMPARISON_PARTICLES
               and not (at > 0 and words[at - 1] in ALTERNATIVE_PARTICLES)]
    return len(denials) % 2 == 1


def negation_added(claim: str, source: str) -> bool:
    """The claim is negated and no sentence of its source is: "The Turkish parliament did not
    approve Sweden's accession" over "Het Turkse parlement heeft ingestemd met de toetreding van
    Zweden". A claim that denies what its source affirms is not supported by it. Only this
    direction is checked: an affirmative claim often drops a negation of another clause ("De
    acht bondgenoten die te weinig besteden ... als ze niet ... voldoen")."""
    return negated(claim) and not any(negated(s) for s in SENTENCE_END.split(source))


@lru_cache(maxsize=256)
def capitalised_words(text: str) -> frozenset[str]:
    """Folded words that a text writes with a capital somewhere other than a sentence start."""
    return frozenset(fold(m.group(1)) for m in re.finditer(r"(?<=[\w,;:] )([A-ZÀ-ÖØ-Þ][\w'’-]*)", text))


def names_in(text: str, proper: frozenset[str] | None = None) -> set[str]:
    """Folded proper names: runs of capitalised words; "Europe's" -> "europe";
    of a compound only its capitalised parts ("NAVO-norm" -> "navo"). The text's first
    word counts only if `proper` (words capitalised mid-sentence in the sources) has it:
    "Rutte said" is checked, "Eight allies" is not."""
    stop = stopwords() | NOT_NAMES
    names = set()
    for match in NAME.finditer(text):
        tokens = match.group(0).split()
        if match.start() == _first_letter(text) and proper is not None:
            first = fold(re.sub(r"['’]s$", "", tokens[0]))
            if (first not in proper and (not translates(tokens[0]) or common_word(first))) \
                    or number_values(tokens[0]):
                tokens = tokens[1:]
        words = []
        for word in tokens:
            word = re.sub(r"['’]s$", "", word)
            parts = [p for p in re.split(r"-", word) if p]
            word = "-".join(p for p in parts if p[:1].isupper()) if len(parts) > 1 else word
            if word and fold(word) not in stop:
                words.append(fold(word))
        if words:
            names.add(" ".join(words).strip("'’-"))
    return {n for n in names if n}


def _same_word(a: str, b: str) -> bool:
    """Equal, or inflections of one word: europa/europese, amerika/amerikaanse, rutte/ruttes."""
    if a == b:
        return True
    common = 0
    for x, y in zip(a, b):
        if x != y:
            break
        common += 1
    return common >= 5 or (common == min(len(a), len(b)) and common >= 4)


def context_words(text: str) -> set[str]:
    words = set(re.findall(r"[\w-]+", fold(text)))
    return words | {part for w in words if "-" in w for part in w.split("-") if part}


def name_occurs(name: str, words: set[str]) -> bool:
    """Every word of the folded name, in one of its forms in either language (rag.lexicon:
    "romanian" -> "roemeense"), occurs among the context's words."""
    for form in name_forms(name.title()) | {name}:
        parts = form.replace("-", " ").split()
        if all(any(_same_word(p, w) for w in words) for p in parts):
            return True
    return all(any(_same_word(q, w) for w in words for q in name_forms(p.title()) | {p}) for p in name.split())


def as_written(name: str, text: str) -> str:
    """A folded name as the text writes it ("gdp" -> "GDP"), the name itself when not found."""
    match = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", fold(text))
    return text[match.start():match.end()] if match and len(fold(text)) == len(text) else name


def countries_in(text: str) -> frozenset[str]:
    """The countries (CLDR codes) a text names, by name or demonym, in either language:
    "De Litouwse president" and "Lithuania" both name LT."""
    found: set[str] = set()
    for match in NAME.finditer(text):
        run = match.group(0)
        whole = countries_of(run)
        if whole:
            found |= whole
            continue
        for token in run.split():
            found |= countries_of(re.sub(r"['’]s$", "", token))
    return frozenset(found)


_ROLE_TOKEN = re.compile(r"[^\W\d_]+|[^\w\s]")
ROLE_WORDS = 2  # the words after a demonym that say what it qualifies ("minister van Defensie")


def demonym_roles(text: str) -> list[tuple[str, frozenset[str], tuple[str, ...]]]:
    """(demonym, its countries, the words it qualifies) for each demonym adjective: "Welke
    Nederlandse minister van Defensie" -> ("Nederlandse", {NL, BE, ...}, ("minister", "defensie")).
    The words are the next ROLE_WORDS that are no stopwords, within the clause."""
    stop = stopwords()
    tokens = [m.group(0) for m in _ROLE_TOKEN.finditer(text)]
    roles = []
    for at, token in enumerate(tokens):
        if not token[:1].isupper():
            continue
        nouns: list[str] = []
        for following in tokens[at + 1: at + 1 + 2 * ROLE_WORDS]:
            if not following[:1].isalpha() or len(nouns) == ROLE_WORDS:
                break
            if fold(following) not in stop:
                nouns.append(fold(following))
        codes = country_adjective(token) if nouns else frozenset()
        if codes:
            roles.append((token, codes, tuple(nouns)))
    return roles


def _same_noun(these: tuple[str, ...], those: tuple[str, ...]) -> bool:
    """A word of one is a word of the other, inflected or translated ("defence" / "defensie")."""
    return any(_same_word(a, b) or b in translations(a) or a in translations(b) for a in these for b in those)


def _role_conflict(said: list, stated: list) -> tuple[str, str] | None:
    """(the stated demonym, the said one) when both qualify the same word for disjoint countries
    and no demonym of the said countries qualifies it in `stated`."""
    for word, codes, nouns in said:
        same = [(other, other_codes) for other, other_codes, other_nouns in stated if _same_noun(nouns, other_nouns)]
        if same and not any(codes & other_codes for _, other_codes in same):
            return same[0][0], word
    return None


def other_country_role(claim: str, question: str) -> str:
    """Why the claim answers for another country than the question asks about ('' when it does
    not): "Welke Nederlandse minister ...?" answered "De Finse minister ... Kaikkonen"."""
    conflict = _role_conflict(demonym_roles(question), demonym_roles(claim))
    return f"the question asks about the {conflict[1]} one, the claim names the {conflict[0]} one" if conflict else ""


def role_of_other_country(claim: str, source: str) -> str:
    """Why the source does not say the claim's role ('' when it may): "The British defence
    minister ... was Pete Hegseth" over "De nieuwe Amerikaanse minister van Defensie Pete Hegseth"."""
    conflict = _role_conflict(demonym_roles(claim), demonym_roles(source))
    return f"the source names the {conflict[0]} one, the claim the {conflict[1]} one" if conflict else ""


def most_named_countries(text: str) -> frozenset[str]:
    """The country (or tied countries) the text names most often: what an article is about."""
    counts: dict[str, int] = {}
    for match in NAME.finditer(text):
        for code in countries_in(match.group(0)):
            counts[code] = counts.get(code, 0) + 1
    top = max(counts.values(), default=0)
    return frozenset(code for code, count in counts.items() if count == top)


def anaphor_country_differs(claim: str, question: str, sentence: str, before: str, article: str) -> str:
    """Why a sentence that says "het land" is about another country than the claim ('' when it is
    not, or when this cannot tell). The country may be one the sentence names, the one the
    nearest earlier sentence names (`before` is the article up to the sentence), or the one the
    article names most: "In 2014 besteedde het land nog maar 0,9 procent", after "Voor Litouwen
    is dat een grote sprong" in an article about Lithuania, never speaks of Latvia, whatever
    the paragraph says of Latvia. The claim's countries, and the question's, must be among them."""
    if not COUNTRY_ANAPHOR.search(fold(sentence)):
        return ""
    asked = countries_in(claim) | countries_in(question)
    if not asked:
        return ""
    meant = set(countries_in(sentence)) | most_named_countries(article)
    for earlier in reversed(SENTENCE_END.split(before)):
        antecedent = countries_in(earlier)
        if antecedent:
            meant |= antecedent
            break
    if not meant or meant & asked:
        return ""
    return "the source's 'het land' is another country than the claim's"


def paragraph_around(text: str, start: int, end: int) -> str:
    left = text.rfind("\n\n", 0, start)
    right = text.find("\n\n", end)
    return text[left + 2 if left >= 0 else 0: right if right >= 0 else len(text)]


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
