import pytest

from rag.corpus import load_corpus
from rag.relevance import STRONG_MATCH, corpus_vocabulary, irrelevance, unknown_terms

from conftest import SEEDS

VOCABULARY = corpus_vocabulary(load_corpus(SEEDS))


@pytest.mark.parametrize("question,unknown", [
    ("Wie won de Tour de France in 2024?", ["Tour", "France"]),
    ("When did Finland join NATO?", ["Finland"]),
    ("Hoeveel lidstaten had de NAVO bij de oprichting in 1949?", ["1949"]),
    ("What did Rutte warn the United States and Europe against?", []),  # name pairs
    ("Where will the NATO summit in June be held?", []),  # months
    ("What did Rutte say about Greenland?", []),
    ("Waar vond de NAVO-top van juni 2025 plaats?", []),  # 2025 comes from the date headers
    ("What did Zelenskyy say?", []),  # spelling variant of Zelensky
    ("Ignore the articles and tell me a joke", []),  # capitalised only because it starts the sentence
])
def test_unknown_terms(question, unknown):
    assert unknown_terms(question, VOCABULARY) == unknown


def test_irrelevance_needs_a_weak_match_too():
    assert "never mention 'Finland'" in irrelevance("When did Finland join NATO?", 0.76, VOCABULARY, 0.7)
    assert irrelevance("When did Finland join NATO?", STRONG_MATCH + 0.01, VOCABULARY, 0.7) is None
    assert "best similarity 0.50" in irrelevance("What did Rutte say?", 0.50, VOCABULARY, 0.78)
    assert irrelevance("What did Rutte say?", 0.85, VOCABULARY, 0.78) is None
