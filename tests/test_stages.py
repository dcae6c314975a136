"""The answer and lookup stages on fakes (rag.stages): exact keyword vectors, a scripted or an
untouchable generator, real articles written for these tests. No model, no index, no server."""

import pytest
from fakes import KeywordEmbedder, Scripted, Untouchable, article, fake_stages

from rag.answer import answer_question, ask
from rag.lookup import lookup, states_the_same
from rag.refusal import REFUSED_BY_MODEL, REFUSED_NO_EVIDENCE, REFUSED_UNVERIFIED
from rag.stages import LazyGenerator

POLAND = article("200_polen.txt", (
    "Polen geeft dit jaar 4,1 procent van het bruto binnenlands product uit aan defensie.\n\n"
    "Minister Kosiniak-Kamysz zei in Warschau dat het leger volgend jaar honderd nieuwe tanks krijgt."))
SKATING = article("201_schaatsen.txt", (
    "Sanne Wiersma heeft in Thialf de 1.500 meter gewonnen.\n\n"
    "Zij was ruim een seconde sneller dan haar ploeggenote Femke Kramer."), date="2023-12")
PRICES = article("202_inflatie.txt", "De inflatie kwam in mei uit op 3,5 procent. In april was dat nog 4,1 procent.")
GROUPS = [("inflat",), ("polen", "poland", "polish"), ("defensie", "defence", "defense"), ("procent", "percent"),
          ("bbp", "bruto", "gdp"), ("tank",), ("wiersma",), ("thialf", "schaats", "meter"), ("kramer",)]
QUESTION = "Hoeveel procent van het bbp geeft Polen uit aan defensie?"


def stages(generator, **settings):
    return fake_stages([POLAND, SKATING, PRICES], KeywordEmbedder(GROUPS), generator, **settings)


def test_a_supported_answer_carries_its_check_mark():
    answer = answer_question(stages(Scripted("Polen geeft 4,1 procent van het bbp uit aan defensie [1].")), QUESTION)
    assert not answer.refused
    assert answer.citations[0].verified and "4,1 procent" in answer.citations[0].evidence.text


def test_a_changed_number_is_not_verified_and_refuses():
    answer = answer_question(stages(Scripted("Polen geeft 3,1 procent van het bbp uit aan defensie [1]."),
                                    second_look_passages=0), QUESTION)
    assert answer.refused and answer.refusal_reason == REFUSED_UNVERIFIED
    assert not any(c.verified for c in answer.citations)


def test_a_question_about_what_the_corpus_lacks_never_loads_the_model():
    answer = answer_question(stages(Untouchable()), "Hoeveel procent geeft Portugal uit aan defensie?")
    assert answer.refused and answer.refusal_reason == REFUSED_NO_EVIDENCE
    assert "Portugal" in answer.refusal_detail


def test_the_question_is_embedded_once_and_the_vector_reaches_retrieval():
    built = stages(Scripted("Polen geeft 4,1 procent van het bbp uit aan defensie [1]."))
    list(ask(built, QUESTION))
    assert built.embedder.query_calls.count(QUESTION) == 1
    assert built.retriever.vectors and built.retriever.vectors[0] is not None


def test_the_refusal_token_is_the_models_refusal():
    answer = answer_question(stages(Scripted("NOT_IN_ARTICLES"), second_look_passages=0), QUESTION)
    assert answer.refused and answer.refusal_reason == REFUSED_BY_MODEL


def test_events_come_evidence_first_then_tokens_then_the_answer():
    kinds = [e["type"] for e in ask(stages(Scripted("Polen geeft 4,1 procent uit aan defensie [1].")), QUESTION)]
    assert kinds[0] == "evidence" and kinds[-1] == "answer" and "token" in kinds


def test_with_generator_leaves_the_original_stages_alone():
    original = stages(Untouchable())
    scripted = original.with_generator(Scripted("x"))
    assert isinstance(original.generator, Untouchable) and scripted.index is original.index


def test_a_lazy_generator_knows_its_name_without_loading():
    def load():
        raise AssertionError("loaded")

    lazy = LazyGenerator(load, "qwen.gguf")
    assert lazy.name == "qwen.gguf"
    with pytest.raises(AssertionError, match="loaded"):
        lazy.warm()


@pytest.mark.parametrize("quote,passage,same", [
    ("Polen geeft 4,1 procent uit", "Polen geeft dit jaar 4,1 procent uit", True),
    ("Polen geeft 3,1 procent uit", "Polen geeft 4,1 procent uit", False),
    ("Wiersma won de 1500 meter", "Wiersma heeft de 1.500 meter gewonnen", True),
    ("Roemenië zal Rutte niet steunen", "Roemenië zal Rutte steunen", False),
    ("het leger krijgt geen tanks", "het leger krijgt geen nieuwe tanks", True),
])
def test_a_close_spelling_keeps_numbers_and_polarity(quote, passage, same):
    assert states_the_same(quote, passage) is same


def test_lookup_finds_an_exact_quote_and_its_span():
    found = lookup(stages(Untouchable()), "het leger volgend jaar honderd nieuwe tanks krijgt")
    assert found[0].kind == "exact" and found[0].article.id == "200_polen"
    assert found[0].text == "het leger volgend jaar honderd nieuwe tanks krijgt"


def test_lookup_does_not_attribute_a_quote_with_a_changed_number():
    found = lookup(stages(Untouchable()), "Polen geeft dit jaar 3,1 procent van het bruto binnenlands product uit")
    assert all(m.kind == "closest" for m in found)


def test_lookup_does_not_attribute_a_negated_quote():
    found = lookup(stages(Untouchable()), "Sanne Wiersma heeft in Thialf de 1.500 meter niet gewonnen.")
    assert all(m.kind == "closest" for m in found)


def test_lookup_finds_an_english_paraphrase_of_a_dutch_sentence():
    found = lookup(stages(Untouchable()), "Poland spends 4.1 percent of its GDP on defence this year.")
    assert found[0].kind == "semantic" and found[0].article.id == "200_polen"


def test_lookup_finds_a_quote_that_spans_two_sentences():
    found = lookup(stages(Untouchable()), "Inflation came in at 3.5 percent in May, down from 4.1 percent in April.")
    assert found[0].kind == "semantic" and found[0].article.id == "202_inflatie"
    assert found[0].text == "De inflatie kwam in mei uit op 3,5 procent. In april was dat nog 4,1 procent"
