"""The real app in a real browser (Debian's chromium through playwright) and through gradio_client.

The pipeline uses the small test LLM: these tests check the mechanics (evidence first,
streaming, links, marks, refusal, API), not answer quality.
"""

import socket
import time
from pathlib import Path

import pytest

from conftest import REPO

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(index_settings):
    from rag.pipeline import open_pipeline
    from rag.ui import CSS

    from app import create_app

    pipeline = open_pipeline(index_settings.replace(llm="small"), progress=lambda message: None)
    pipeline.generator.warm()
    demo = create_app(pipeline)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CSS)
    yield f"http://127.0.0.1:{port}"
    demo.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


RECORD_ORDER = """() => {
  window.__events = [];
  const seen = new Set();
  const check = () => {
    if (!seen.has('sources') && document.querySelector('#sources .src-card')) {
      seen.add('sources'); window.__events.push('sources');
    }
    const bots = [...document.querySelectorAll('#chat .bot, #chat [data-testid="bot"]')]
      .filter(b => !b.querySelector('[role="status"]'));  // gradio's own "loading" dots
    const last = bots.length ? bots[bots.length - 1].innerText.trim() : '';
    if (!seen.has('token') && last && last !== '…' && !last.startsWith('Loading')) { seen.add('token'); window.__events.push('token'); window.__first = last; }
  };
  new MutationObserver(check).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def ask(page, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_selector("#timings .timings", timeout=180_000)


def test_answer_sources_marks_and_article_view(app_url, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    page.wait_for_selector("#question textarea")
    page.evaluate(RECORD_ORDER)
    ask(page, "What did Rutte say about 5%?")
    events = page.evaluate("window.__events")
    assert events == ["sources", "token"], (events, page.evaluate("window.__first"))  # evidence first
    cards = page.locator("#sources .src-card")
    texts = cards.all_inner_texts()
    assert any("000_6c9c2f1935e126d9.txt" in t or "001_6468d39e29c3b654.txt" in t for t in texts), texts
    page.screenshot(path=str(ARTIFACTS / "answer.png"), full_page=True)
    link = page.locator("#chat a[href^='#src-']")
    if link.count():
        link.first.click()
        target = page.locator(".src-card:target")
    else:  # the small model's answer did not verify: open a card's article instead
        target = page.locator("#sources .src-card", has_text="000_6c9c2f1935e126d9.txt").first
        target.locator("summary").click()
    mark = target.locator("details mark")
    mark.wait_for(state="visible")
    assert mark.inner_text().strip() and mark.inner_text() in target.locator(".article-text").inner_text()
    page.screenshot(path=str(ARTIFACTS / "article-view.png"), full_page=True)


def test_out_of_corpus_question_is_refused(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    page.wait_for_selector("#question textarea")
    ask(page, "Wie won de Tour de France in 2024?")
    assert "De artikelen geven geen antwoord op deze vraag." in page.locator("#chat").inner_text()
    assert "Closest passages" in page.locator("#sources").inner_text()
    page.screenshot(path=str(ARTIFACTS / "refusal.png"), full_page=True)


def test_script_in_a_question_is_shown_as_text(app_url, browser):
    page = browser.new_page()
    page.goto(app_url)
    page.wait_for_selector("#question textarea")
    page.evaluate("window.__xss = 0")
    ask(page, "<img src=x onerror=\"window.__xss=1\"> Wie won de Tour de France?")
    assert page.evaluate("window.__xss") == 0
    assert "<img src=x" in page.locator("#chat").inner_text()


def test_lookup_tab(app_url, browser):
    page = browser.new_page()
    page.goto(app_url)
    page.get_by_role("tab", name="Lookup").click()
    page.locator("#quote textarea").fill("Een deal maken achter onze rug om is een dirty deal")
    page.locator("#find-button").click()
    page.wait_for_selector("#lookup-result mark")
    assert "001_6468d39e29c3b654.txt" in page.locator("#lookup-result").inner_text()
    assert page.locator("#lookup-result mark").inner_text() == "Een deal maken achter onze rug om is een dirty deal"


def test_gradio_client_ask_and_cite(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    data = client.predict("What did Rutte say about 5%?", api_name="/ask")
    assert {"question", "language", "answer", "refused", "refusal_reason", "citations", "evidence",
            "timings"} <= set(data)
    assert data["language"] == "en" and data["evidence"]
    cited = client.predict("Een deal maken achter onze rug om is een dirty deal", api_name="/cite")
    first = cited["matches"][0]
    assert first["article"] == "001_6468d39e29c3b654.txt" and first["kind"] == "exact"
    assert first["text"] == "Een deal maken achter onze rug om is een dirty deal"
    refused = client.predict("Wie won de Tour de France in 2024?", api_name="/ask")
    assert refused["refused"] and refused["language"] == "nl"


def test_full_queue_answers_or_says_busy(app_url):
    """More requests than the queue holds: each is answered or refused as busy, none hangs."""
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    jobs = [client.submit("Wie won de Tour de France in 2024?", api_name="/ask") for _ in range(14)]
    deadline = time.time() + 240
    answered, busy = 0, 0
    for job in jobs:
        try:
            result = job.result(timeout=max(1, deadline - time.time()))
            answered += bool(result.get("refused") is not None)
        except Exception as exc:  # noqa: BLE001 - the client raises a plain error for a full queue
            assert "queue" in str(exc).lower() or "full" in str(exc).lower(), exc
            busy += 1
    assert answered >= 1 and answered + busy == len(jobs)
