"""The pipeline end to end with the real small test LLM (SmolLM2-135M): mechanics, not quality.

The same tests run against llama-cpp-python's OpenAI-compatible server, started on
127.0.0.1 with the same model, to show the remote backend goes through the same
prompts and checks.
"""

import os
import socket
import subprocess
import sys
import time

import pytest

from rag.gguf import small_llm_path
from rag.pipeline import open_pipeline
from rag.refusal import REFUSED_NO_EVIDENCE

from conftest import free_port

ANSWER_KEYS = {"question", "language", "answer", "refused", "refusal_reason", "citations", "evidence", "timings"}
CITATION_KEYS = {"n", "article", "date", "start", "end", "quote", "verified"}
TIMING_KEYS = {"retrieve_ms", "first_token_ms", "total_ms", "prompt_tokens", "completion_tokens"}


@pytest.fixture(scope="module")
def llm_server():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(small_llm_path()), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--n_threads", str(os.cpu_count() or 1)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("llama_cpp.server did not start")
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module", params=["local", "server"])
def small_pipeline(request, index_settings):
    if request.param == "local":
        settings = index_settings.replace(llm="small")
    else:
        settings = index_settings.replace(llm_url=request.getfixturevalue("llm_server"))
    return open_pipeline(settings, progress=lambda message: None)


def test_events_come_evidence_first(small_pipeline):
    kinds = [event["type"] for event in small_pipeline.ask("What did Rutte say about 5%?")]
    assert kinds[0] == "evidence" and kinds[-1] == "answer"
    assert set(kinds[1:-1]) <= {"token", "evidence"} and kinds.count("evidence") <= 2  # a second look


def test_answer_json_and_checked_citations(small_pipeline):
    answer = small_pipeline.answer("What did Rutte say about 5%?")
    data = answer.as_json()
    assert ANSWER_KEYS <= set(data) and TIMING_KEYS <= set(data["timings"])
    assert data["language"] == "en"
    assert data["evidence"] and data["evidence"][0]["article"].endswith(".txt")
    for citation in data["citations"]:
        assert CITATION_KEYS <= set(citation)
        article = small_pipeline.index.articles[citation["article"].removesuffix(".txt")]
        assert article.text[citation["start"]:citation["end"]] == citation["quote"]
    if not answer.refused:
        assert any(c["verified"] for c in data["citations"])
        assert data["timings"]["first_token_ms"] >= data["timings"]["retrieve_ms"]
    else:
        assert answer.refusal_reason and not any(c["verified"] for c in data["citations"])


def test_out_of_corpus_question_is_refused_in_dutch(small_pipeline):
    answer = small_pipeline.answer("Wie won de Tour de France in 2024?")
    assert answer.refused and answer.language == "nl"
    assert answer.text == "De artikelen geven geen antwoord op deze vraag."
    assert not [c for c in answer.citations if c.verified]


def test_irrelevant_question_is_refused_without_the_model(small_pipeline):
    answer = small_pipeline.answer("Hoeveel kost een kilo appels op de markt in Utrecht?")
    assert answer.refused and answer.refusal_reason == REFUSED_NO_EVIDENCE
    assert answer.timings["first_token_ms"] is None and answer.timings["completion_tokens"] == 0


def test_default_model_smoke(index_settings):
    """One question through the default Qwen2.5-Coder-1.5B GGUF (assembled once in the models cache)."""
    pipeline = open_pipeline(index_settings.replace(llm="default"), progress=lambda message: None)
    answer = pipeline.answer("Wat zei Rutte over Groenland?")
    assert answer.language == "nl" and not answer.refused, answer.as_json()
    assert any(c.verified and c.evidence.article.source == "002_200e1bf4b43145bf.txt" for c in answer.citations)
    assert "Groenland" in answer.text


class Scripted:
    """Writes the given answers in turn: drives the second look's control flow, not the model's quality."""

    name = "scripted"

    def __init__(self, *answers: str) -> None:
        self.answers, self.prompts = list(answers), []

    def warm(self) -> None:
        pass

    def stream(self, messages, max_tokens=256, stats=None):
        self.prompts.append(messages[-1]["content"])
        yield self.answers.pop(0)


def test_an_unverified_answer_gets_a_second_look_at_wider_evidence(index_settings):
    pipeline = open_pipeline(index_settings, progress=lambda message: None)
    pipeline = pipeline.with_generator(Scripted("It lasted 15 minutes [1].", "It lasted 45 minutes [1]."))
    events = list(pipeline.ask("How long did Trump's conversation with Rutte in the White House last?"))
    first, second = [e for e in events if e["type"] == "evidence"]
    assert second["attempt"] == 2 and len(second["evidence"]) > len(first["evidence"])
    assert "drie kwartier" in pipeline.generator.prompts[1]  # the whole best passage
    answer = events[-1]["answer"]
    assert not answer.refused and answer.citations[0].verified and "drie kwartier" in answer.citations[0].evidence.text


def test_a_model_refusal_gets_the_second_look_when_switched_on(index_settings):
    pipeline = open_pipeline(index_settings.replace(second_look_after_refusal=True), progress=lambda message: None)
    pipeline = pipeline.with_generator(Scripted("NOT_IN_ARTICLES", "It lasted 45 minutes [1]."))
    events = list(pipeline.ask("How long did Trump's conversation with Rutte in the White House last?"))
    assert [e["attempt"] for e in events if e["type"] == "evidence"] == [1, 2]
    assert not events[-1]["answer"].refused


def test_a_model_refusal_is_final_by_default(index_settings):
    pipeline = open_pipeline(index_settings, progress=lambda message: None)
    pipeline = pipeline.with_generator(Scripted("NOT_IN_ARTICLES"))
    answer = pipeline.answer("How long did Trump's conversation with Rutte in the White House last?")
    assert answer.refused and answer.refusal_reason == "model_refused" and len(pipeline.generator.prompts) == 1


def test_no_second_look_when_it_is_switched_off(index_settings):
    pipeline = open_pipeline(index_settings.replace(second_look_passages=0), progress=lambda message: None)
    pipeline = pipeline.with_generator(Scripted("It lasted 15 minutes [1]."))
    answer = pipeline.answer("How long did Trump's conversation with Rutte in the White House last?")
    assert answer.refused and answer.refusal_reason == "unverified"
