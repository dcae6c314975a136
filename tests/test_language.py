import json

import pytest

from rag.language import detect_language

from conftest import REPO


@pytest.mark.parametrize("text,language", [
    ("What did Rutte say about 5%?", "en"),
    ("Wat zei Rutte over Groenland?", "nl"),
    ("Wie won de Tour de France in 2024?", "nl"),  # lingua alone says English
    ("And what did Hegseth say?", "en"),
    ("En wat vond Duitsland?", "nl"),
    ("", "en"),
])
def test_detects_short_questions(text, language):
    assert detect_language(text) == language


def test_every_fixed_question():
    for line in (REPO / "eval" / "questions.jsonl").read_text().splitlines():
        row = json.loads(line)
        assert detect_language(row["question"]) == row["lang"], row["question"]
