import pytest

from rag.conversation import is_follow_up, rewrite


@pytest.mark.parametrize("question,follow_up", [
    ("And what did Hegseth say?", True),
    ("En wat vond Duitsland?", True),
    ("What did he say about it?", True),
    ("What did Rutte say about Greenland?", False),
    ("Wat zei Rutte over Groenland?", False),
])
def test_follow_up_detection(question, follow_up):
    assert is_follow_up(question) is follow_up


def test_rewrite_carries_the_previous_topic():
    assert rewrite("And what did Hegseth say?", ["What did Rutte say about 5%?"]) == \
        "And what did Hegseth say? (What did Rutte say about 5%?)"
    assert rewrite("Wat zei Rutte over Groenland?", ["What did Rutte say about 5%?"]) == \
        "Wat zei Rutte over Groenland?"
    assert rewrite("And what did Hegseth say?", []) == "And what did Hegseth say?"
