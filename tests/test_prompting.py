import numpy as np
import pytest

from rag.corpus import parse_article
from rag.errors import ConfigError
from rag.evidence import select_evidence
from rag.prompting import REFUSAL_TOKEN, format_evidence, refusal_text, render, render_messages


def test_render_fails_on_a_missing_value():
    with pytest.raises(ConfigError, match=r"\$question"):
        render("Q: $question", {})


@pytest.mark.parametrize("language", ["nl", "en"])
def test_templates_render_to_chat_messages(language):
    messages = render_messages(f"answer_{language}", {"evidence": "[1] Zin.", "question": "Vraag?",
                                                      "refusal_token": REFUSAL_TOKEN,
                                                      "note": "Note: check the speaker.\n"})
    assert [m["role"] for m in messages] == ["system", "user"]
    assert REFUSAL_TOKEN in messages[0]["content"]
    assert "[1] Zin." in messages[1]["content"] and "Vraag?" in messages[1]["content"]
    assert "[1] Zin.\nNote: check the speaker.\n\nQuestion: Vraag?" in messages[1]["content"]
    assert refusal_text(language)


def test_numbers_pull_their_sentence_first():
    article = parse_article("a.txt", b"Trump wil 5 procent. Rutte sprak over defensie. Het is mooi weer.")
    spans = [(0, 20), (21, 47), (48, 65)]
    candidates = [(article, s, e, 0.0) for s, e in spans]
    vectors = np.eye(3, dtype=np.float32)
    question = np.array([0.45, 0.5, 0.2], dtype=np.float32)  # dense alone prefers sentence 2
    chosen = select_evidence("What did Rutte say about 5%?", question, candidates, vectors, limit=2)
    assert [e.text for e in chosen] == ["Trump wil 5 procent.", "Rutte sprak over defensie."]
    assert format_evidence(chosen).splitlines()[0] == "[1] Trump wil 5 procent."


def test_the_best_passage_is_kept_whole_in_reading_order():
    article = parse_article("a.txt", b"Trump wil 5 procent. Rutte sprak over defensie. Het is mooi weer.")
    spans = [(0, 20), (21, 47), (48, 65)]
    candidates = [(article, s, e, 0.0) for s, e in spans]
    vectors = np.eye(3, dtype=np.float32)
    question = np.array([0.1, 0.2, 0.9], dtype=np.float32)  # the third sentence is best alone
    chosen = select_evidence("Hoe is het weer?", question, candidates, vectors, limit=1, whole=2)
    assert [e.text for e in chosen] == ["Trump wil 5 procent.", "Rutte sprak over defensie.", "Het is mooi weer."]
    chosen = select_evidence("Hoe is het weer?", question, candidates, vectors, limit=1, whole=2, max_chars=50)
    assert len(chosen) == 2  # the whole passage stays; the extra sentence does not fit


def test_dutch_number_words_are_annotated_for_the_model():
    from rag.mentions import annotate_numbers

    assert annotate_numbers("een staakt-het-vuren van dertig dagen") == "een staakt-het-vuren van dertig (30) dagen"
    assert annotate_numbers("De acht bondgenoten") == "De acht (8) bondgenoten"
    assert annotate_numbers("achter de rug") == "achter de rug"
    assert annotate_numbers("het drie kwartier durende gesprek") == "het drie kwartier (45 minuten) durende gesprek"


def test_copied_annotations_are_removed_from_answers():
    from rag.mentions import strip_annotations

    assert strip_annotations("De acht (8) bondgenoten, dertig (30) dagen [1].") == "De acht bondgenoten, dertig dagen [1]."
    assert strip_annotations("drie kwartier (45 minuten) lang") == "drie kwartier lang"
    assert strip_annotations("the acht (8) allies, drie kwartier (45 minuten)", "en") == "the 8 allies, 45 minutes"
    assert strip_annotations("in 2024 (75) jaar [2]") == "in 2024 (75) jaar [2]"
