"""rag.lexicon: numbers, names, translations and Dutch words from data libraries (no models)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import lexicon
from rag.lexicon import dutch_words, harvest_proper_nouns, name_forms, number_values, translations

DICTD = Path(lexicon.DEFAULT_DICTD_DIR)
HAVE_FREEDICT = all((DICTD / f"freedict-{pair}.{ext}").is_file()
                    for pair in ("nld-eng", "eng-nld") for ext in ("index", "dict.dz"))
needs_freedict = pytest.mark.skipif(
    not HAVE_FREEDICT, reason="Debian's dict-freedict-nld-eng/-eng-nld are not installed")

DICTIONARY_CACHES = (lexicon._dictd, lexicon._bilingual, lexicon._headwords,
                     lexicon._lowercase_dutch_headwords)


@pytest.fixture
def no_dictionaries(tmp_path, monkeypatch):
    """The module as on a machine without the freedict packages."""
    monkeypatch.setenv("RAG_DICTD_DIR", str(tmp_path))
    for cached in DICTIONARY_CACHES:
        cached.cache_clear()
    yield
    monkeypatch.delenv("RAG_DICTD_DIR")
    for cached in DICTIONARY_CACHES:
        cached.cache_clear()


# ---------------------------------------------------------------- numbers: digits

@pytest.mark.parametrize(("text", "lang", "values"), [
    ("Het KNMI telde 1.500 meldingen", "nl", {"1500"}),
    ("Het KNMI telde 1.500 meldingen", None, {"1500"}),
    ("Er kwamen 12.000 mensen", "nl", {"12000"}),
    ("Polen geeft 4,1 procent uit", "nl", {"4.1"}),
    ("Polen geeft 4,1 procent uit", None, {"4.1"}),
    ("de inflatie was 3,50 procent", "nl", {"3.5"}),
    ("de omzet steeg tot 1.234,5 miljoen", "nl", {"1234.5"}),
    ("1,500 people and 2.5 percent", "en", {"1500", "2.5"}),
    ("a rise of 2.5 percent", None, {"2.5"}),
    ("a score of 1,5", None, {"1.5"}),
    ("5%", None, {"5"}),
    ("5.0 points", "en", {"5"}),
    ("de verkiezingen van 2025", "nl", {"2025"}),
    ("versie 1.2.3", None, set()),
])
def test_digit_numbers_by_value(text, lang, values):
    assert number_values(text, lang) == values


def test_a_dutch_text_that_writes_an_english_decimal_still_means_the_decimal():
    # babel's strict Dutch reading refuses "2.5"; the shape rule reads it as 2.5, not 25
    assert number_values("een groei van 2.5 procent", "nl") == {"2.5"}


def test_million_and_billion_after_digits_do_not_change_the_value():
    assert number_values("1,5 miljard euro", "nl") == {"1.5"}
    assert number_values("2 million euros", "en") == {"2"}
    # a smaller scale word multiplies, so "15 duizend" equals "vijftienduizend"
    assert number_values("15 duizend", "nl") == number_values("vijftienduizend", "nl") == {"15000"}


# ---------------------------------------------------------------- numbers: words

@pytest.mark.parametrize(("text", "lang", "values"), [
    ("tweeëntwintig zetels", "nl", {"22"}),
    ("tweeëntwintig zetels", None, {"22"}),
    ("duizend", "nl", {"1000"}),
    ("vijftienduizend demonstranten", "nl", {"15000"}),
    ("achthonderdduizend huishoudens", "nl", {"800000"}),
    ("drie ministers", "nl", {"3"}),
    ("twenty-two seats", "en", {"22"}),
    ("two ministers", "en", {"2"}),
    ("a hundred people", "en", {"100"}),
    ("twee komma vijf procent", "nl", {"2.5"}),
])
def test_number_words_through_text2num(text, lang, values):
    assert number_values(text, lang) == values


@pytest.mark.parametrize(("text", "lang", "value"), [
    ("anderhalf jaar", "nl", "1.5"),
    ("anderhalve week", "nl", "1.5"),
    ("drieënhalf procent", "nl", "3.5"),
    ("twee en een half jaar", "nl", "2.5"),
    ("one and a half years", "en", "1.5"),
])
def test_halves(text, lang, value):
    assert number_values(text, lang) == {value}


@pytest.mark.parametrize(("text", "lang"), [
    ("een aanzienlijke verhoging", "nl"),
    ("Het is een kwestie van tijd", None),
    ("one of the reasons", "en"),
    ("a report by the weather service", "en"),
    ("de tweede keer", "nl"),  # an ordinal is no amount
    ("the first time", "en"),
])
def test_articles_and_ordinals_are_no_numbers(text, lang):
    assert number_values(text, lang) == frozenset()


def test_one_counts_before_a_scale_word_or_when_accented():
    assert number_values("één zetel", "nl") == {"1"}
    assert number_values("Eén zetel", "nl") == {"1"}
    assert number_values("een miljoen mensen", "nl") == number_values("1 miljoen mensen", "nl") == {"1"}
    assert number_values("one hundred", "en") == {"100"}


def test_spelled_millions_match_digit_millions():
    assert number_values("twee miljoen", "nl") == number_values("2 miljoen", "nl") == {"2"}
    assert number_values("two million", "en") == {"2"}
    assert number_values("anderhalf miljoen", "nl") == {"1.5"}


def test_without_a_language_english_words_in_dutch_text_are_not_read():
    # "ten" is 10 in English but a preposition in "ten minste"
    assert number_values("ten minste drie landen", None) == {"3"}


# ---------------------------------------------------------------- names (CLDR)

@pytest.mark.parametrize(("phrase", "expected"), [
    ("Romania", {"romania", "roemenie"}),
    ("Roemenië", {"romania", "roemenie"}),
    ("The Netherlands", {"nederland", "netherlands"}),
    ("Netherlands", {"nederland"}),
    ("United States", {"verenigde staten"}),
    ("de Verenigde Staten", {"united states"}),
    ("Romanian", {"romanian", "roemeens", "roemeense"}),
    ("Turkish", {"turks", "turkse"}),
    ("Polish", {"pools", "poolse"}),
    ("Chinese", {"chinees", "chinese"}),  # "Chinees" + e drops a vowel: "Chinese"
    ("March", {"maart"}),
    ("maart", {"march"}),
    ("Monday", {"maandag"}),
    ("Kyiv", {"kiev"}),  # CLDR's time-zone cities
    ("Tehran", {"teheran"}),
])
def test_cldr_names_in_both_languages(phrase, expected):
    assert expected <= name_forms(phrase)


def test_a_time_zone_that_names_no_place_gives_no_city():
    assert not any("onbekend" in form for form in name_forms("Unknown Location"))


def test_a_name_without_translation_is_its_folded_self():
    assert name_forms("Maroš Šefčovič") == {"maros sefcovic"}


def test_the_dutch_adjective_inflection():
    assert lexicon._dutch_inflections("roemeens") == {"roemeens", "roemeense"}
    assert lexicon._dutch_inflections("belgisch") == {"belgisch", "belgische"}
    assert lexicon._dutch_inflections("portugees") == {"portugees", "portugese"}
    assert lexicon._dutch_inflections("hindi") == {"hindi"}


@needs_freedict
def test_dictionary_names_cldr_lacks():
    assert {"belgian", "belg", "belgisch", "belgische"} <= name_forms("Belgian")
    assert {"belg", "belgisch"} <= name_forms("Belgische")
    assert "warschau" in name_forms("Warsaw")
    turkey = name_forms("Turkey")
    assert "turkije" in turkey and "kalkoen" not in turkey  # the country, not the bird
    assert "den haag" in name_forms("The Hague")


# ---------------------------------------------------------------- translations

@needs_freedict
def test_translations_both_ways_through_lemmas():
    assert {"uitgeven", "besteden"} <= translations("spending")  # lemma "spend"
    assert "seat" in translations("zetels")  # lemma "zetel"
    assert "alliantie" in translations("alliance")
    assert "alliance" in translations("alliantie")
    assert "government" in translations("regering")


@needs_freedict
def test_glued_dictionary_glosses_give_their_content_words():
    # nld-eng writes "in fact", "as a matter of fact" without spaces
    words = translations("inderdaad")
    assert {"indeed", "fact"} <= words
    assert not any(len(w) > 12 for w in words)
    assert "as" not in words and "of" not in words


def test_glued_gloss_segmentation():
    assert lexicon._segment("inaddition") == ["in", "addition"]
    assert lexicon._segment("workout") is None
    assert lexicon._segment("finally") is None


def test_without_dictionaries_lookups_are_empty(no_dictionaries):
    assert translations("spending") == frozenset()
    assert name_forms("Belgian") == {"belgian"}
    assert {"romania", "roemenie"} <= name_forms("Romania")  # CLDR needs no dictionary
    assert dutch_words("the zetels of the parliament") == ["zetels"]


# ---------------------------------------------------------------- proper nouns

def test_harvest_proper_nouns_skips_sentence_starts():
    texts = ["Het KNMI telde 1.500 meldingen. Volgens Eurocommissaris Maroš Šefčovič is dat veel.",
             "De Roemeense president Iohannis sprak in Boekarest.\nWe gaan door, zei premier Schoof: Dat klopt."]
    names = harvest_proper_nouns(texts)
    assert {"knmi", "eurocommissaris", "maros", "sefcovic", "roemeense", "iohannis", "boekarest",
            "schoof"} <= names
    assert not {"het", "volgens", "de", "we", "dat", "telde", "meldingen"} & names


def test_harvest_proper_nouns_takes_capitalised_parts_of_compounds():
    assert harvest_proper_nouns(["Het kabinet-Schoof en de KNMI-meldingen."]) == {"schoof", "knmi"}


# ---------------------------------------------------------------- Dutch words

def test_dutch_words_in_an_english_text():
    assert dutch_words("the zetels of the KNMI-weerbericht") == ["zetels", "knmi-weerbericht"]
    assert dutch_words("Het kabinet said the uitgaven rose.") == ["het", "kabinet", "uitgaven"]


@needs_freedict
def test_without_wordfreq_the_dictionary_headwords_decide(monkeypatch):
    monkeypatch.setattr(lexicon, "_wordfreq", lambda: None)
    assert dutch_words("the regering spent the uitgaven on the zetels") == ["regering", "uitgaven", "zetels"]


def test_english_words_that_are_also_dutch_are_english():
    assert dutch_words("The die was cast; he met the minister over land and sea.") == []


def test_names_are_not_dutch_words():
    assert dutch_words("Romanian president Iohannis met Maroš Šefčovič in Boekarest.") == []
    assert dutch_words("Hugo de Jonge met Minister Van der Burg.") == []


def test_an_articles_month_is_written_by_cldr_in_either_language():
    from rag.lexicon import month_year

    assert month_year("2019-07", "nl") == "juli 2019"
    assert month_year("2019-07", "en") == "July 2019"
    assert month_year(None) == ""


def test_a_name_of_the_corpus_starting_a_sentence_is_no_dutch_word():
    names = harvest_proper_nouns(["Dat heeft minister Mark Harbers van Infrastructuur vrijdag bekendgemaakt."])
    assert dutch_words("Harbers expects fewer flights.") == ["harbers"]  # alone, its capital proves nothing
    assert dutch_words("Harbers expects fewer flights.", names) == []
    # a Dutch word stays Dutch at a sentence's start, even where the corpus also capitalises it
    assert dutch_words("Kabinet wants fewer flights.", names | {"kabinet"}) == ["kabinet"]
    assert dutch_words("Bondgenoten spend more.", names) == ["bondgenoten"]


@pytest.mark.parametrize("text, months", [
    ("Schiphol mag vanaf eind oktober nog maximaal 460.000 vluchten afhandelen.", {10}),
    ("The first jets landed in October 2025.", {10}),
    ("Schiphol may handle fewer flights; the farmers march on The Hague.", set()),
    ("In May and in March the minister spoke.", {3, 5}),
])
def test_months_in_reads_cldr_month_names_in_both_languages(text, months):
    from rag.lexicon import months_in

    assert months_in(text) == months
