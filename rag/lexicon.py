"""Dutch/English knowledge from data libraries instead of hand-typed lists.

Questions come in Dutch or English and the articles are Dutch, so a checker must know that
"Romania" is "Roemenië", that "tweeëntwintig" is 22 and "1.500" is 1500, and which words of
an English answer are Dutch. Each kind of knowledge comes from a maintained data source:

- CLDR through babel: territory, language (= demonym adjective), month and weekday names in
  'nl' and 'en'; babel.numbers.parse_decimal for locale-formatted numbers.
- countryinfo: each country's English demonym ("American", "British"), which CLDR lacks.
- text2num (text_to_num): Dutch and English number words, compounds included.
- simplemma: lemmas, so that inflected words find their dictionary entry.
- wordfreq: how frequent a word is in Dutch and in English (which language a word is).
- Debian's FreeDict dictionaries (dict-freedict-nld-eng, dict-freedict-eng-nld, dictd format
  under /usr/share/dictd): single-word translations and names CLDR lacks ("Belgian",
  "Turkey"). Without these files every dictionary lookup is empty and the rest still works.

Every data source is loaded on first use and cached (functools.lru_cache); importing this
module reads nothing.
"""

from __future__ import annotations

import gzip
import math
import os
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from rag.grammar import AND_A_HALF, HALF_SUFFIX, ONE_AND_A_HALF  # no word for a half in text2num
from rag.text import fold, stopwords

LANGS = ("nl", "en")
# where Debian's dictd packages put their files; RAG_DICTD_DIR overrides it (tests)
DEFAULT_DICTD_DIR = "/usr/share/dictd"


# thresholds for "this word is Dutch, not English", on wordfreq's Zipf scale (log10 of
# occurrences per billion words; 3 = once per million words): the word is reasonably common
# in Dutch (>= 2.0) and at least 100 times more common in Dutch than in English (margin 2.0).
# So "bondgenoten" (nl 3.9, en 0), "het" (7.5 / 3.1) and "van" (7.5 / 4.8) are Dutch, but
# "die" (6.9 / 5.1), "met" (7.0 / 5.1), "ten", "over", "minister" and "land" are not.
DUTCH_MIN_ZIPF = 2.0
DUTCH_MARGIN_ZIPF = 2.0
# a capitalised first word this common in either language is an ordinary word starting the
# sentence, even when the data also knows it as a name: "Let me ..." (nl "Let" = Latvian,
# en Zipf 5.6), "May ..." (6.0); country names stay below it (China 5.1, Germany 4.9)
COMMON_WORD_ZIPF = 5.5
# the English glossary of Dutch evidence: Dutch words rarer than this (the model reads "zei" and
# "volgens" well; it copies "bondgenootschap", nl 3.0), English glosses at least this common
# (FreeDict glues some multi-word glosses: "accordingto")
GLOSSARY_MAX_ZIPF = 4.5
GLOSS_MIN_ZIPF = 3.0

_NUMBER_TOKEN = re.compile(
    r"(?P<num>\d+(?:[.,]\d+)*)|(?P<word>[^\W\d_]+(?:[-\u2010][^\W\d_]+)*)|(?P<punct>[^\w\s])")
_WORD = re.compile(r"[^\W\d_]+")
# a word, a number, or what ends a sentence (a line break starts a new one too: headlines)
_SENTENCE_TOKEN = re.compile(
    r"(?P<word>[^\W\d_]+(?:[-\u2010][^\W\d_]+)*)|(?P<num>\d+(?:[.,]\d+)*)|(?P<end>[.!?:;]|\n)")


# ------------------------------------------------------------------------------- numbers

def _canonical(value: Decimal) -> str:
    """'5' for 5.0, '3.5' for 3.50, '1500' for 1.5E+3: one spelling per value."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _digits_by_shape(token: str) -> Decimal | None:
    """A digit token read without knowing the language: a separator followed by exactly three
    digits groups thousands ("1.500", "1,500"), any other one is the decimal point ("2.5",
    "3,5"); with both kinds the last one is the decimal point ("1.234,5")."""
    seps = [ch for ch in token if ch in ".,"]
    if not seps:
        return Decimal(token)
    groups = re.split(r"[.,]", token)
    if len(set(seps)) == 2:
        decimal_sep = token[max(token.rfind("."), token.rfind(","))]
        whole, _, frac = token.rpartition(decimal_sep)
        return Decimal(re.sub(r"[.,]", "", whole) + "." + frac)
    if len(seps) > 1:  # "1.000.000" groups thousands; "1.2.3" (a version, a date) is no number
        return Decimal("".join(groups)) if all(len(g) == 3 for g in groups[1:]) else None
    if len(groups[1]) == 3:
        return Decimal("".join(groups))
    return Decimal(groups[0] + "." + groups[1])


def _digits_value(token: str, lang: str | None) -> Decimal | None:
    """The value of a digit token, in the language's own notation where it fits (babel:
    Dutch "1.500" = 1500 and "3,5" = 3.5, English "1,500" = 1500), else read by its shape
    (a Dutch text that writes "2.5" still means 2.5)."""
    if lang in LANGS:
        from babel.numbers import NumberFormatError, parse_decimal

        try:
            return parse_decimal(token, locale=lang, strict=True)
        except (NumberFormatError, InvalidOperation, ValueError):
            pass
    try:
        return _digits_by_shape(token)
    except InvalidOperation:
        return None


class _Token:
    """A token for text_to_num.find_numbers (its Token protocol)."""

    __slots__ = ("raw", "kind", "skip")

    def __init__(self, raw: str, kind: str):
        self.raw, self.kind, self.skip = raw, kind, False

    def text(self) -> str:
        # text2num reads lower case and knows "één" and "tweeëntwintig" but not "eén" (a
        # capitalised "Eén"): such a word is given without its accents ("een")
        if self.kind != "word":
            return self.raw
        lower = self.raw.lower()
        if lower != fold(lower) and _word_number(lower, "nl") is None:
            return fold(lower)
        return lower

    def nt_separated(self, previous: _Token) -> bool:
        return False

    def not_a_number_part(self) -> bool:
        return self.skip


@lru_cache(maxsize=4096)
def _word_number(word: str, lang: str) -> float | None:
    """The value text2num gives one whole word ("duizend" -> 1000), or None."""
    from text_to_num import text2num

    try:
        return float(text2num(word.lower(), lang))
    except (ValueError, TypeError):
        return None


def _scale(word: str, lang: str) -> float | None:
    """A scale word's value (honderd, duizend, miljoen, million ...): a power of ten >= 100."""
    value = _word_number(word, lang)
    if value is None or value < 100 or value != 10 ** round(math.log10(value)):
        return None
    return value


def _half_word(word: str) -> Decimal | None:
    """'anderhalf' -> 1.5, 'drieënhalf' -> 3.5 (Dutch writes these as one word)."""
    folded = fold(word)
    if folded in ONE_AND_A_HALF:
        return Decimal("1.5")
    if folded.endswith(HALF_SUFFIX) and len(folded) > len(HALF_SUFFIX):
        whole = _word_number(word[: -len(HALF_SUFFIX)], "nl")
        if whole is not None:
            return Decimal(repr(whole)) + Decimal("0.5")
    return None


def _plural_scale(word: str) -> bool:
    """"hundreds", "billions", "honderden", "miljarden": a vague amount, not a number (text2num
    reads "hundreds of billions" as 100 and 1)."""
    lower = word.lower()
    return bool((lower.endswith("s") and _scale(lower[:-1], "en"))
                or (lower.endswith("en") and _scale(lower[:-2], "nl")))


def _tokens(text: str) -> list[_Token]:
    tokens = [_Token(m.group(), m.lastgroup or "punct") for m in _NUMBER_TOKEN.finditer(text)]
    for token in tokens:
        if token.kind == "word" and _plural_scale(token.raw):
            token.skip = True
    return tokens


def _digit_values(tokens: list[_Token], lang: str | None) -> set[str]:
    """Digit numbers and Dutch half-words; a scale word right after one does not add a number
    of its own: "1,5 miljard" states 1.5, "15 duizend" states 15000."""
    values: set[str] = set()
    for i, tok in enumerate(tokens):
        if tok.kind == "num":
            value = _digits_value(tok.raw, lang)
        elif tok.kind == "word":
            value = _half_word(tok.raw)
        else:
            continue
        if value is None:
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt is not None and nxt.kind == "word":
            scale = next((s for s in (_scale(nxt.raw, code) for code in LANGS) if s), None)
            if scale is not None:
                nxt.skip = True
                if scale < 1_000_000:
                    value *= Decimal(int(scale))
        values.add(_canonical(value))
    return values


def _spelled_values(tokens: list[_Token], lang: str) -> set[str]:
    """Numbers written as words, read by text2num's find_numbers.

    A lone "een"/"one" (value 1, one token) is the article or "one of", not a number, and is
    dropped; "één" (accented), "een miljoen" and "one hundred" are kept. Ordinals ("tweede",
    "first") are no amounts and are dropped. A trailing million/billion does not change the
    value, as with digits: "twee miljoen" states 2 like "2 miljoen" and "two million"."""
    from text_to_num import find_numbers

    values: set[str] = set()
    occurrences = find_numbers(tokens, lang, 0)
    halves = AND_A_HALF[lang]
    skip_next_scale = -1
    for occ in occurrences:
        words = tokens[occ.start:occ.end]
        if occ.is_ordinal or any(t.skip for t in words):
            continue
        if occ.start == skip_next_scale and len(words) == 1 and _scale(words[0].raw, lang):
            continue  # "twee en een half miljoen": the million was taken with the 2.5
        value = Decimal(repr(float(occ.value)))
        if (scale := _scale(words[-1].raw, lang)) and scale >= 1_000_000:
            value = value / Decimal(int(scale))
        if tuple(fold(t.raw) for t in tokens[occ.end:occ.end + 3]) == halves:
            value += Decimal("0.5")
            skip_next_scale = occ.end + 3
        elif len(words) == 1 and occ.value == 1 and fold(words[0].raw) == words[0].raw.lower():
            continue  # the article "een"/"a", "one of": only "één" or "een" + scale word count
        values.add(_canonical(value))
    return values


_DIGIT_ORDINAL = re.compile(r"\b(\d+)(?:e|de|ste|st|nd|rd|th)\b")


def ordinal_values(text: str) -> frozenset[str]:
    """The places a text states, from second on ("tweede", "second", "twaalfde", "12th" -> "12"):
    finishing second is not winning. "First"/"eerste" is left out (also "at first", "voor het
    eerst"), and so is "a second"/"een seconde" (a time, not a place)."""
    from text_to_num import find_numbers

    tokens = _tokens(text)
    found = {m.group(1) for m in _DIGIT_ORDINAL.finditer(text) if int(m.group(1)) >= 2}
    for lang in LANGS:
        for occ in find_numbers(tokens, lang, 0):
            before = fold(tokens[occ.start - 1].raw) if occ.start else ""
            if occ.is_ordinal and occ.value >= 2 and not (occ.value == 2 and before in ("a", "een")):
                found.add(_canonical(Decimal(repr(float(occ.value)))))
    return frozenset(found)


def number_values(text: str, lang: str | None = None) -> frozenset[str]:
    """Every number a text states, as the canonical string of its value ("5%" -> "5",
    "3,5 procent" -> "3.5", "1.500" -> "1500", "tweeëntwintig" -> "22", "anderhalf" -> "1.5").

    Answers and articles write one number in different ways (digits or words, Dutch or English
    separators), so they are compared by value. lang ("nl"/"en") decides the separators and
    the number words; None reads separators by shape and words in both languages (when the
    two readings differ, rag.language decides which language the text is in)."""
    lang = lang if lang in LANGS else None
    tokens = _tokens(text)
    values = _digit_values(tokens, lang)
    if not any(t.kind == "word" and not t.skip for t in tokens):
        return frozenset(values)
    if lang is not None:
        return frozenset(values | _spelled_values(tokens, lang))
    readings = {code: _spelled_values(tokens, code) for code in LANGS}
    if readings["nl"] == readings["en"]:
        return frozenset(values | readings["nl"])
    from rag.language import detect_language

    return frozenset(values | readings[detect_language(text)])


# ---------------------------------------------------------------------------- dictionaries

def _dictd_dir() -> Path:
    return Path(os.environ.get("RAG_DICTD_DIR", DEFAULT_DICTD_DIR))


def _b64(text: str) -> int:
    """dictd's index numbers: base64 digits, most significant first."""
    value = 0
    for ch in text:
        value = value * 64 + _B64_DIGITS[ch]
    return value


_B64_DIGITS = {ch: i for i, ch in enumerate(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_PRONUNCIATION = re.compile(r"\s*/[^/\n]*/\s*$")
_SENSE_NUMBER = re.compile(r"^\s*\d+\.\s*")
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def _clean(text: str) -> str:
    return " ".join(text.replace("\u2010", "-").split())


@lru_cache(maxsize=2)
def _dictd(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(headword, glosses) of every entry of one FreeDict dictionary, e.g. "nld-eng".

    The .index lists headword, base64 offset and base64 length; the .dict.dz is dictzip, which
    gzip reads whole. Missing or unreadable files give no entries."""
    folder = _dictd_dir()
    try:
        index = (folder / f"freedict-{name}.index").read_text(encoding="utf-8")
        data = gzip.decompress((folder / f"freedict-{name}.dict.dz").read_bytes())
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError):
        return ()
    entries = []
    seen: set[tuple[int, int]] = set()
    for line in index.splitlines():
        fields = line.split("\t")
        if len(fields) < 3 or fields[0].startswith("00database") or fields[0].startswith("00-database"):
            continue
        try:
            span = (_b64(fields[1]), _b64(fields[2]))
        except KeyError:
            continue
        if span in seen:
            continue
        seen.add(span)
        body = data[span[0]:span[0] + span[1]].decode("utf-8", "replace").strip().split("\n")
        headword = _clean(_PRONUNCIATION.sub("", body[0])) if body else ""
        glosses = []
        for gloss_line in body[1:]:
            gloss_line = _PARENTHESES.sub("", _SENSE_NUMBER.sub("", gloss_line))
            glosses.extend(g for g in (_clean(part) for part in re.split(r"[,;]", gloss_line)) if g)
        if headword and glosses:
            entries.append((headword, tuple(glosses)))
    return tuple(entries)


def _key(phrase: str) -> str:
    """A lookup key that also matches nld-eng's glued multi-word glosses ("TheHague")."""
    return re.sub(r"[\s\-']+", "", fold(phrase))


@lru_cache(maxsize=1)
def _bilingual() -> dict[str, dict[str, frozenset[tuple[str, str]]]]:
    """{"nl": Dutch key -> (Dutch, English) phrase pairs, "en": English key -> (English,
    Dutch) pairs}, from both dictionaries in both directions (the English-Dutch one is small:
    7.7k headwords), in their original spelling so that names (capitalised) stand out."""
    maps: dict[str, dict[str, set[tuple[str, str]]]] = {"nl": {}, "en": {}}
    for name, source, target in (("nld-eng", "nl", "en"), ("eng-nld", "en", "nl")):
        for headword, glosses in _dictd(name):
            for gloss in glosses:
                maps[source].setdefault(_key(headword), set()).add((headword, gloss))
                maps[target].setdefault(_key(gloss), set()).add((gloss, headword))
    return {lang: {k: frozenset(v) for k, v in m.items()} for lang, m in maps.items()}


@lru_cache(maxsize=1)
def _headwords() -> dict[str, frozenset[str]]:
    """Folded single words each language's dictionary knows (headwords and glosses): the
    fallback vocabulary when wordfreq is not installed."""
    vocab: dict[str, set[str]] = {"nl": set(), "en": set()}
    for name, source, target in (("nld-eng", "nl", "en"), ("eng-nld", "en", "nl")):
        for headword, glosses in _dictd(name):
            if " " not in headword:
                vocab[source].add(fold(headword))
            vocab[target].update(fold(g) for g in glosses if " " not in g)
    return {lang: frozenset(v) for lang, v in vocab.items()}


@lru_cache(maxsize=1)
def _lowercase_dutch_headwords() -> frozenset[str]:
    """Dutch headwords the dictionary writes in lower case: common words, not names."""
    return frozenset(fold(h) for h, _ in _dictd("nld-eng") if h[:1].islower())


# --------------------------------------------------------------------------------- wordfreq

@lru_cache(maxsize=1)
def _wordfreq():
    try:
        import wordfreq
    except ImportError:
        return None
    return wordfreq


@lru_cache(maxsize=65536)
def _zipf(word: str, lang: str) -> float:
    wf = _wordfreq()
    return wf.zipf_frequency(word, lang) if wf is not None else 0.0


def _segment(glued: str) -> list[str] | None:
    """Split a glued English gloss ("inaddition", "littlebylittle", "CzechRepublic" is split
    at its capitals elsewhere) into English words, None when it reads better whole.

    Unigram segmentation over wordfreq: a piece costs 9 - Zipf (-log10 of its probability),
    each split 0.5 more, a piece needs Zipf >= 2 (a one-letter piece >= 6.5: "a"); the split
    wins when it costs less than the whole word ("workout" stays, "infact" splits) or when
    wordfreq does not know the whole word ("asamatteroffact")."""
    n = len(glued)
    if _wordfreq() is None or n < 4 or n > 40:
        return None
    whole = _zipf(glued, "en")
    best: list[tuple[float, int] | None] = [None] * (n + 1)  # (cost, start of last piece)
    best[0] = (0.0, 0)
    for end in range(1, n + 1):
        for start in range(max(0, end - 20), end):
            if best[start] is None or (start == 0 and end == n):
                continue
            zipf = _zipf(glued[start:end], "en")
            if zipf < 2.0 or (end - start == 1 and zipf < 6.5):
                continue
            cost = best[start][0] + 9.0 - zipf + (0.5 if start else 0.0)
            if best[end] is None or cost < best[end][0]:
                best[end] = (cost, start)
    if best[n] is None or (whole and best[n][0] >= 9.0 - whole):
        return None
    parts, end = [], n
    while end > 0:
        start = best[end][1]
        parts.append(glued[start:end])
        end = start
    return parts[::-1]


def _english_words(phrase: str) -> list[str]:
    """Folded words of an English phrase, glued ones pulled apart ("theNetherlands")."""
    words = _WORD.findall(fold(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", phrase)))
    if len(words) == 1:
        words = _segment(words[0]) or words
    return words


def _phrase_words(phrase: str, lang: str) -> list[str]:
    """The folded words of a dictionary phrase: all of a one-word phrase; the content words
    (stopwords dropped) of a longer one. nld-eng glues its English multi-word glosses
    ("CzechRepublic", "allthesame"): those are split at capitals or with wordfreq first."""
    words = _english_words(phrase) if lang == "en" else _WORD.findall(fold(phrase))
    if len(words) > 1:
        stop = stopwords()
        words = [w for w in words if w not in stop]
    return words


# ------------------------------------------------------------------------------ lemmas

@lru_cache(maxsize=65536)
def _lemma(word: str, lang: str) -> str:
    import simplemma

    return simplemma.lemmatize(word, lang)


def translations(word: str) -> frozenset[str]:
    """Folded single-word translations of a word, Dutch -> English and English -> Dutch.

    For a cross-language word-alignment check: does a word of an English answer have a
    counterpart in the Dutch source? The word and its simplemma lemma (nl and en) are looked
    up in both FreeDict dictionaries. A multi-word gloss gives its content words, since
    those are what the other text contains ("zich bewust zijn" -> "bewust", "in addition"
    -> "addition"); its stopwords would match anything. Empty without the dictionaries."""
    maps = _bilingual()
    if not maps["nl"] and not maps["en"]:
        return frozenset()
    word = word.strip()
    found: set[str] = set()
    for lang, other in (("nl", "en"), ("en", "nl")):
        keys = {_key(word), _key(_lemma(word, lang)), _key(_lemma(word.lower(), lang))}
        for key in keys:
            for _, phrase in maps[lang].get(key, ()):
                found.update(_phrase_words(phrase, other))
    found.discard(fold(word))
    return frozenset(found)


# -------------------------------------------------------------------------------- names

def _dutch_inflections(adjective: str) -> set[str]:
    """A Dutch adjective and its -e form, by the spelling rules: "roemeens" -> "roemeense",
    "belgisch" -> "belgische", "chinees" -> "chinese" (a doubled vowel before one final
    consonant loses a letter). Only adjectives of the demonym shape (-s, -sch) are inflected."""
    forms = {adjective}
    if adjective.endswith("sch") and " " not in adjective:
        forms.add(adjective + "e")
    elif adjective.endswith("s") and len(adjective) > 3 and " " not in adjective:
        stem = adjective
        if len(stem) >= 3 and stem[-2] == stem[-3] and stem[-2] in "aeou":
            stem = stem[:-3] + stem[-2:]
        forms.add(stem + "e")
    return forms


def _merge(groups: Iterable[set[str]]) -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for group in groups:
        group = {g for g in group if g}
        for form in group:
            index.setdefault(form, set()).update(group)
    return {k: frozenset(v) for k, v in index.items()}


@lru_cache(maxsize=256)
def month_year(date: str | None, lang: str = "nl") -> str:
    """An article's "YYYY-MM" as CLDR writes it ("oktober 2025", "October 2025"); '' without a date.

    The evidence carries it: "dinsdag" in an article of October 2025 answers "when?"."""
    if not date:
        return ""
    from datetime import date as Date

    from babel.dates import format_date

    year, month = (int(part) for part in date.split("-"))
    return format_date(Date(year, month, 1), "LLLL y", locale=lang)


@lru_cache(maxsize=1)
def _month_names() -> dict[str, dict[str, int]]:
    """Per language, folded CLDR month name (wide, format and stand-alone) -> month number."""
    from babel import Locale

    return {lang: {fold(name): int(number) for context in ("format", "stand-alone")
                   for number, name in Locale(lang).months[context]["wide"].items()}
            for lang in ("nl", "en")}


def month_words(text: str) -> list[tuple[str, int]]:
    """The month names a text uses, as written, with their number: "eind oktober", "in March".
    An English month must be capitalised, so that "may" and "march" the verbs are no months
    (Dutch writes months in lower case, and no Dutch month name is another word)."""
    names = _month_names()
    found = []
    for word in re.findall(r"[^\W\d_]+", text):
        folded = fold(word)
        if folded in names["nl"]:
            found.append((word, names["nl"][folded]))
        elif folded in names["en"] and word[0].isupper():
            found.append((word, names["en"][folded]))
    return found


def months_in(text: str) -> frozenset[int]:
    """The numbers of the months a text names (month_words)."""
    return frozenset(number for _, number in month_words(text))


@lru_cache(maxsize=1)
def unit_names() -> frozenset[str]:
    """Folded capitalised words that CLDR writes inside a unit's long name after a lower-case
    word ("degrees Celsius", "graden Fahrenheit"): part of a measurement, not a person or place,
    so a claim's "38.2 degrees Celsius" over "38,2 graden" names no one the source lacks."""
    from babel import Locale

    found: set[str] = set()
    for lang in ("en", "nl"):
        for names in Locale(lang)._data["unit_display_names"].values():
            tokens = str(names.get("long", "")).split()
            found |= {fold(t) for before, t in zip(tokens, tokens[1:])
                      if before[:1].islower() and t[:1].isupper() and t.isalpha() and len(t) >= 4}
    return frozenset(found)


@lru_cache(maxsize=1)
def _cldr_names() -> dict[str, frozenset[str]]:
    """Folded name -> its folded forms in both languages, from CLDR (babel): territories
    ("romania"/"roemenie"), languages, which are the demonym adjectives ("romanian"/
    "roemeens"/"roemeense"), months and weekdays ("march"/"maart")."""
    from babel import Locale

    nl, en = Locale("nl"), Locale("en")
    groups: list[set[str]] = []
    for code in set(nl.territories) & set(en.territories):
        groups.append({fold(nl.territories[code]), fold(en.territories[code])})
    for code in set(nl.languages) & set(en.languages):
        groups.append(_dutch_inflections(fold(nl.languages[code])) | {fold(en.languages[code])})
    for context in ("format", "stand-alone"):
        for names in ("months", "days"):
            nl_names, en_names = getattr(nl, names)[context]["wide"], getattr(en, names)[context]["wide"]
            groups.extend({fold(nl_names[i]), fold(en_names[i])} for i in nl_names if i in en_names)
    groups.extend(_cldr_cities(nl, en))
    return _merge(groups)


# a demonym shares at least this many first letters with its one-word country name ("belgische"/
# "belgie", "canadian"/"canada", "litouwse"/"litouwen"): how CLDR-less demonyms find their country
DEMONYM_STEM = 5


@lru_cache(maxsize=1)
def _country_codes() -> dict[str, frozenset[str]]:
    """Folded country name or demonym -> the CLDR territories (codes) it stands for.

    A country is a CLDR territory with official languages (so "Europese Unie" and "Wereld" are
    none). Its names in Dutch and English stand for it; a language's name (the demonym
    adjective, Dutch inflected: "finse", "finnish") stands for every country where the language
    is official ("nederlandse" -> NL, BE, SR, ...); a demonym that is no language name
    ("belgische", "canadian") reaches its country through FreeDict's forms, countryinfo's
    English demonyms and DEMONYM_STEM. Nothing here is typed by hand."""
    from babel import Locale
    from babel.languages import get_official_languages

    nl, en = Locale("nl"), Locale("en")
    codes: dict[str, set[str]] = {}
    speakers: dict[str, set[str]] = {}
    for code in set(nl.territories) & set(en.territories):
        languages = get_official_languages(code, de_facto=True)
        if not languages or not code.isalpha():
            continue
        for name in (nl.territories[code], en.territories[code]):
            for form in {fold(name), _without_article(fold(name))}:
                codes.setdefault(form, set()).add(code)
        for language in languages:
            speakers.setdefault(language, set()).add(code)
    # English demonyms CLDR lacks ("American", "British"; Dutch ones reach them through FreeDict:
    # "Amerikaanse" -> "american"), from the countryinfo package's country data
    from countryinfo import CountryInfo

    known = set(nl.territories)
    for country in CountryInfo.all().values():
        code = (country.get("ISO") or {}).get("alpha2")
        if code in known and country.get("demonym"):
            for demonym in country["demonym"].split(","):
                codes.setdefault(fold(demonym.strip()), set()).add(code)
    for language, territories in speakers.items():
        for locale in (nl, en):
            name = locale.languages.get(language)
            if name and " " not in name:
                forms = _dutch_inflections(fold(name)) if locale is nl else {fold(name)}
                for form in forms:
                    codes.setdefault(form, set()).update(territories)
    return {form: frozenset(found) for form, found in codes.items()}


@lru_cache(maxsize=4096)
def countries_of(name: str) -> frozenset[str]:
    """The countries (CLDR territory codes) a name or demonym stands for, in either language:
    "Letland", "Latvia", "Lets", "Latvian" -> {"LV"}; "Belgische" -> {"BE"}; empty for anything
    else ("Rutte", "NAVO")."""
    folded = " ".join(fold(name).split())
    table = _country_codes()
    found = set(table.get(folded, ())) | set(table.get(_without_article(folded), ()))
    if found or " " in folded or not name[:1].isupper():
        return frozenset(found)
    singles = _one_word_countries()
    for form in name_forms(name) | {folded}:
        found |= table.get(form, set())
        if len(form) >= DEMONYM_STEM:
            # a truncated name is no demonym: "Oosten" (Midden-Oosten) is not "Oostenrijk"
            found |= {code for country, codes in singles if country[:DEMONYM_STEM] == form[:DEMONYM_STEM]
                      and not country.startswith(form) and len(codes) == 1 for code in codes}
    return frozenset(found)


@lru_cache(maxsize=1)
def _one_word_countries() -> tuple[tuple[str, frozenset[str]], ...]:
    """The table's one-word names of at least DEMONYM_STEM letters, for the demonym-stem match
    (built once: `countries_of` runs for every capitalised word the checks read). Hyphenated
    names are left out: "Amerikaans-Samoa" does not make "Amerikaanse" Samoan."""
    return tuple((form, codes) for form, codes in _country_codes().items()
                 if " " not in form and "-" not in form and len(form) >= DEMONYM_STEM)


def country_adjective(word: str) -> frozenset[str]:
    """The countries of a demonym used as an adjective ("Finse", "Dutch"); empty for a country's
    own name ("Finland") and for any other word."""
    folded = fold(word)
    if " " in folded or folded in _territory_names():
        return frozenset()
    return countries_of(word)


@lru_cache(maxsize=1)
def _territory_names() -> frozenset[str]:
    """Folded names of CLDR territories in Dutch and English: countries, not demonyms."""
    from babel import Locale

    return frozenset(fold(name) for locale in (Locale("nl"), Locale("en")) for name in locale.territories.values())


def _cldr_cities(nl, en) -> list[set[str]]:
    """The cities CLDR names time zones after, in both languages ("kyiv"/"kiev",
    "tehran"/"teheran"): an English city name FreeDict lacks. English CLDR writes a city only
    where it differs from the zone's id ("Europe/Kyiv" -> "Kyiv"); "Etc/" zones name no place."""
    groups = []
    for zone, names in nl.time_zones.items():
        dutch = names.get("city")
        if not dutch or "/" not in zone or zone.startswith("Etc/"):
            continue
        english = en.time_zones.get(zone, {}).get("city") or zone.rsplit("/", 1)[1].replace("_", " ")
        groups.append({fold(dutch), fold(english)})
    return groups


def _without_article(folded: str) -> str:
    """'the netherlands' -> 'netherlands', 'de verenigde staten' -> 'verenigde staten'."""
    words = folded.split()
    stop = stopwords()
    while len(words) > 1 and words[0] in stop:
        words = words[1:]
    return " ".join(words)


def _dictionary_hop(phrase: str) -> dict[str, set[str]]:
    """One step through FreeDict for a name: {"nl": Dutch forms, "en": English forms}, only
    where both sides are written as names (with a capital): "Turkey" -> "Turkije" but not the
    bird ("kalkoen"), which is a lower-case entry."""
    maps = _bilingual()
    forms: dict[str, set[str]] = {"nl": set(), "en": set()}
    for lang, other in (("nl", "en"), ("en", "nl")):
        keys = {_key(phrase), _key(_without_article(fold(phrase)))}
        if " " not in phrase.strip():
            keys.add(_key(_lemma(phrase.strip(), lang)))
        for key in keys:
            for source, target in maps[lang].get(key, ()):
                if not (any(ch.isupper() for ch in source) and any(ch.isupper() for ch in target)):
                    continue
                if other == "en":
                    forms["en"].add(" ".join(_english_words(target)))
                else:
                    forms["nl"].update(_dutch_inflections(" ".join(_WORD.findall(fold(target)))))
    return forms


def _dictionary_names(phrase: str) -> set[str]:
    """Folded forms of a name through FreeDict, there and back once, so that a Dutch form
    finds its Dutch siblings: "Belgische" -> "Belgian" -> "Belg", "Belgisch"."""
    if not any(ch.isupper() for ch in phrase):
        return set()
    first = _dictionary_hop(phrase)
    forms = {_without_article(f) for f in first["nl"] | first["en"]}
    for english in first["en"]:
        forms.update(_dictionary_hop(english.title())["nl"])
    return {f for f in forms if f}


def name_forms(phrase: str) -> frozenset[str]:
    """The folded forms, Dutch and English, of a name or demonym: "Romania" -> {"romania",
    "roemenie"}, "Romanian" -> {"romanian", "roemeens", "roemeense"}, "March" -> {"march",
    "maart"}, "Belgian" -> {"belgian", "belg", "belgisch", "belgische"}.

    So an English question's names can be found in a Dutch article and back. CLDR first, then
    FreeDict for capitalised names CLDR lacks; the folded input is always included."""
    folded = " ".join(fold(phrase).split())
    forms = {folded}
    cldr = _cldr_names()
    for key in {folded, _without_article(folded)}:
        forms.update(cldr.get(key, ()))
    for form in _dictionary_names(phrase):
        forms.add(form)
        forms.update(cldr.get(form, ()))
    return frozenset(f for f in forms if f)


# ---------------------------------------------------------------------------- sentences

def _sentence_words(text: str) -> Iterator[tuple[re.Match[str], bool]]:
    """Each word (hyphen compounds whole) with whether it starts a sentence: the text's first
    word, or the first after . ! ? : ; or a line break (headlines and quotes start there)."""
    initial = True
    for match in _SENTENCE_TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "end":
            initial = True
        elif kind == "num":
            initial = False
        else:
            yield match, initial
            initial = False


def harvest_proper_nouns(texts: list[str]) -> frozenset[str]:
    """Folded words the texts capitalise other than at the start of a sentence: the names of
    this corpus ("Rutte", "Iohannis", "Šefčovič" -> "sefcovic"), to store with the index.

    A capital inside a sentence marks a name in Dutch and English alike, so no list of people
    is needed; "Het" starting a sentence is not harvested. Parts of a hyphen compound count
    apart ("NAVO-top" gives "navo"); single letters are left out."""
    names: set[str] = set()
    for text in texts:
        for match, initial in _sentence_words(text):
            if initial:
                continue
            for part in _WORD.findall(match.group()):
                if len(part) > 1 and part[0].isupper():
                    names.add(fold(part))
    return frozenset(names)


# ----------------------------------------------------------------------------- purity

def _is_dutch(word: str) -> bool:
    """Whether a folded word is Dutch and not English (thresholds: DUTCH_MIN_ZIPF and
    DUTCH_MARGIN_ZIPF above); without wordfreq, whether only the Dutch dictionary knows it."""
    if _wordfreq() is not None:
        nl = _zipf(word, "nl")
        return nl >= DUTCH_MIN_ZIPF and nl - _zipf(word, "en") >= DUTCH_MARGIN_ZIPF
    vocab = _headwords()
    forms = {word, fold(_lemma(word, "nl"))}
    return bool(forms & vocab["nl"]) and word not in vocab["en"]


def _capital(tokens: list[tuple[re.Match[str], bool]], j: int) -> bool:
    return 0 <= j < len(tokens) and tokens[j][0].group()[:1].isupper()


def _spaced(tokens: list[tuple[re.Match[str], bool]], a: int, b: int, text: str) -> bool:
    """Whether only spaces stand between tokens a and b (a < b)."""
    return text[tokens[a][0].end():tokens[b][0].start()].strip(" ") == ""


def _in_name(tokens: list[tuple[re.Match[str], bool]], i: int, text: str) -> bool:
    """Whether token i stands inside a run of names: a capitalised word next to another
    ("Minister Van der Burg"), or a short lowercase particle ("von der", "de") with up to two
    of them between capitalised words, only spaces apart ("Ursula von der Leyen")."""
    word = tokens[i][0].group()
    if word[:1].isupper():
        return any(_capital(tokens, j) and _spaced(tokens, min(i, j), max(i, j), text)
                   for j in (i - 1, i + 1)) or (
            i + 1 < len(tokens) and len(tokens[i + 1][0].group()) <= 3 and _in_name(tokens, i + 1, text))
    if len(word) > 3:
        return False
    before = next((j for j in (i - 1, i - 2) if _capital(tokens, j)), None)
    after = next((j for j in (i + 1, i + 2) if _capital(tokens, j)), None)
    if before is None or after is None:
        return False
    span = range(before, after)
    return all(_spaced(tokens, j, j + 1, text) for j in span) and all(
        len(tokens[j][0].group()) <= 3 for j in span if j != before)


def english_glosses(word: str, most: int = 3) -> list[str]:
    """Up to `most` single-word English glosses FreeDict gives a Dutch word or its lemma, the
    most frequent English words first (FreeDict lists senses alphabetically)."""
    maps = _bilingual()["nl"]
    found: set[str] = set()
    for key in dict.fromkeys((_key(word), _key(_lemma(word.lower(), "nl")))):
        for _, phrase in maps.get(key, ()):
            words = _WORD.findall(phrase)
            if len(words) == 1 and words[0].islower() and not _is_dutch(fold(words[0])) \
                    and _zipf(words[0], "en") >= GLOSS_MIN_ZIPF:
                found.add(words[0])
    return sorted(found, key=lambda w: -_zipf(w, "en"))[:most]


def glossary(text: str, most: int) -> list[tuple[str, list[str]]]:
    """(Dutch word, English glosses) for the Dutch words of a text that are not English too and
    not names (capitalised inside a sentence), rarest first: what a small model answering in
    English would otherwise copy ("bondgenootschap" -> "alliance")."""
    stop = stopwords()
    entries: dict[str, list[str]] = {}
    for match, initial in _sentence_words(text):
        word = match.group()
        folded = fold(word)
        if (word[:1].isupper() and not initial) or folded in stop or folded in entries or "-" in word:
            continue
        if _is_dutch(folded) and _zipf(folded, "nl") < GLOSSARY_MAX_ZIPF:
            glosses = english_glosses(word.lower())
            if glosses:
                entries[folded] = glosses
    ranked = sorted(entries, key=lambda w: _zipf(w, "nl"))
    return [(w, entries[w]) for w in ranked[:most]]


def dutch_words(text: str, names: frozenset[str] = frozenset()) -> list[str]:
    """The folded words of an English text that are Dutch and not English ("the bondgenoten
    of the NAVO-alliantie" -> ["bondgenoten", "navo-alliantie"]), for a language-purity metric.

    Names are not Dutch words: a capitalised word inside a sentence counts only when the
    Dutch dictionary has it as a common (lower-case) word and it stands alone, not in a run
    of names ("Minister Van der Burg"); lowercase particles inside a name ("Hugo de Jonge")
    are skipped. A sentence's first word counts like one inside a sentence only when it is in
    `names`, the corpus's proper nouns (harvest_proper_nouns: "Harbers expects ..." where the
    articles write "minister Mark Harbers"). A hyphen compound is Dutch when one of its common
    parts is. Which language a word is: see _is_dutch."""
    tokens = list(_sentence_words(text))
    common = _lowercase_dutch_headwords()
    found = []
    for i, (match, initial) in enumerate(tokens):
        word = match.group()
        parts = _WORD.findall(word)
        dutch = False
        for n, part in enumerate(parts):
            folded = fold(part)
            # a sentence's first word is no name by its capital, unless the corpus writes it as one
            opening = initial and n == 0 and folded not in names
            if part[0].isupper() and not opening:
                dutch = folded in common and _is_dutch(folded) and not _in_name(tokens, i, text)
            elif part[0].islower() and len(parts) == 1 and _in_name(tokens, i, text):
                dutch = False
            else:
                dutch = _is_dutch(folded)
            if dutch:
                break
        if dutch:
            found.append(fold(word))
    return found


# ------------------------------------------------------------------------------ name checks

_CAPITALISED_RUN = re.compile(r"\b[A-ZÀ-ÖØ-ÞŠŽČŘĆŁŚŻ][^\W_]*(?:[-'’][^\W_]+)*"
                              r"(?:\s+[A-ZÀ-ÖØ-ÞŠŽČŘĆŁŚŻ][^\W_]*(?:[-'’][^\W_]+)*)*")


def common_word(word: str) -> bool:
    """A word frequent enough in Dutch or English (COMMON_WORD_ZIPF) to be an ordinary word."""
    folded = fold(word)
    return max(_zipf(folded, "nl"), _zipf(folded, "en")) >= COMMON_WORD_ZIPF


def translates(name: str) -> bool:
    """The data knows another form of this name (a country, demonym, month, place): it is not a
    person's name, and it may stand in another form elsewhere."""
    folded = " ".join(fold(name).split())
    return folded in _cldr_names() or _without_article(folded) in _cldr_names() \
        or len(name_forms(name) - {folded}) > 0


def untranslatable(name: str) -> bool:
    """An acronym the data has no other form of ("NATO", whose Dutch form "NAVO" no data package
    holds): its absence from a Dutch text proves nothing. Names of people are the same in both
    languages and so are checkable; other words go through `name_forms` and `translations`."""
    letters = re.sub(r"[^\w]", "", name)
    return letters.isupper() and 2 <= len(letters) <= 6 and not translates(name)


def translate_names(text: str) -> str:
    """The other-language forms of a text's capitalised names ("Greenland" -> "groenland"), for
    matching English questions against Dutch articles in lexical search."""
    forms: list[str] = []
    for match in _CAPITALISED_RUN.finditer(text):
        phrase = match.group(0)
        for candidate in {phrase, *phrase.split()}:
            forms.extend(sorted(name_forms(candidate) - {" ".join(fold(candidate).split())}))
    return " ".join(dict.fromkeys(forms))


def number_words_in(text: str) -> list[tuple[int, int, str]]:
    """(start, end, value) of each number written in words ("tweeëntwintig" -> "22"), single
    words only, for annotating a Dutch sentence for the model."""
    spans = []
    for match in _WORD.finditer(text):
        values = number_values(match.group(0), "nl")
        if len(values) == 1 and (values != {"1"} or fold(match.group(0)) == "een"):
            spans.append((match.start(), match.end(), next(iter(values))))
    return spans
