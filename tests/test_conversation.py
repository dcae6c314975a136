"""Follow-up questions: detection and the cheap rewrite for retrieval (no model call)."""

import pytest

from rag.conversation import is_follow_up, key_terms, names, numbers, rewrite

RUTTE = "What did Rutte say about 5%?"
GREENLAND = "Wat zei Rutte over Groenland?"
GERMANY = "Hoeveel procent van het bbp wil Duitsland in 2029 aan defensie uitgeven?"


@pytest.mark.parametrize("question,follow_up", [
    ("And what did Hegseth say?", True),
    ("En wat vond Duitsland?", True),
    ("What about Germany?", True),
    ("wat dan met Polen?", True),
    ("Hoe zit het met Nederland?", True),
    ("What did he say about it?", True),  # a pronoun and no name
    ("Wat zei hij daarover?", True),
    ("What did Rutte say about Greenland?", False),
    ("Wat zei Rutte over Groenland?", False),
    ("Did he say that Rutte was wrong?", False),  # a pronoun, but a name of its own
    ("Hoeveel geven de NAVO-landen uit aan defensie?", False),
])
def test_follow_up_detection(question, follow_up):
    assert is_follow_up(question) is follow_up


def test_names_and_numbers():
    assert names("What did Kaja Kallas call a deal made behind Europe's back?") == ["Kaja Kallas", "Europe"]
    assert names(GERMANY) == ["Duitsland"]  # "Hoeveel" starts the question, it is no name
    assert numbers("5% of gdp by 2029, or 3,5 procent") == ["5%", "2029", "3,5 procent"]


def test_a_new_name_replaces_the_previous_subject():
    assert rewrite("And what did Hegseth say?", [RUTTE]) == "And what did Hegseth say? (5%)"
    assert rewrite("En wat vond Duitsland?", [GREENLAND]) == "En wat vond Duitsland? (Groenland)"
    assert rewrite("En Nederland?", [GERMANY]) == "En Nederland? (2029 procent bbp defensie uitgeven)"


def test_a_pronoun_keeps_the_previous_subject():
    assert rewrite("What did he say about it?", [RUTTE]) == "What did he say about it? (Rutte 5%)"
    assert rewrite("En wat zei hij over Oekraïne?", [GREENLAND]) == "En wat zei hij over Oekraïne? (Rutte Groenland)"


def test_terms_the_follow_up_already_has_are_not_repeated():
    assert key_terms(RUTTE, "And what did Hegseth say about 5%?") == []
    assert rewrite("And what did Hegseth say about 5%?", [RUTTE]) == "And what did Hegseth say about 5%?"


def test_a_chain_of_follow_ups_keeps_the_topic():
    second = rewrite("En Nederland?", [GERMANY])
    third = rewrite("En Frankrijk?", [GERMANY, second])
    assert third == "En Frankrijk? (2029 procent bbp defensie uitgeven)"


def test_standalone_questions_and_first_questions_are_left_alone():
    assert rewrite(GREENLAND, [RUTTE]) == GREENLAND
    assert rewrite("And what did Hegseth say?", []) == "And what did Hegseth say?"
    assert rewrite("  And what did Hegseth say?  ", ["", "  "]) == "And what did Hegseth say?"
