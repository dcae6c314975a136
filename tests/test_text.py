from rag.text import fold, lexical_terms


def test_fold_removes_accents_and_case():
    assert fold("Oekraïne") == "oekraine"
    assert fold("VÓÓR") == "voor"


def test_terms_keep_numbers_and_drop_stopwords():
    terms = lexical_terms("Wat zei Rutte over 5% en 3,5 procent?")
    assert "5" in terms and "3,5" in terms
    assert "wat" not in terms and "en" not in terms


def test_dutch_and_english_stems_both_present():
    terms = lexical_terms("uitgaven spending")
    assert "uitgaaf" in terms  # Dutch stem (uitgaven -> uitgaaf)
    assert "spend" in terms  # English stem
