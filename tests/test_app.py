"""The real app: a real index and pipeline (the small SmolLM2 model), served on a free port,
driven by Debian's chromium through playwright and by gradio_client.

The small model is weak: these tests check the mechanics (evidence before the first token,
streaming, source cards, marks, links into the article view, refusal, API, busy queue),
never answer quality. Screenshots go to test-artifacts/ (gitignored).
"""

import subprocess
import sys
import time

import pytest

from conftest import ARTIFACTS, REPO, ask, assert_one_line_error, free_port

RUTTE = "What did Rutte say about 5%?"
OUT_OF_CORPUS = "Wie won de Tour de France in 2024?"
DIRTY_DEAL = "Een deal maken achter onze rug om is een dirty deal"
FROM_000_OR_001 = ("000_6c9c2f1935e126d9.txt", "001_6468d39e29c3b654.txt")


@pytest.fixture(scope="module")
def app_url(index_settings):
    """The app around a real pipeline: the default (converted e5) embedder, the small LLM."""
    from rag.app import create_app, launch
    from rag.pipeline import open_pipeline

    settings = index_settings.replace(llm="small", max_tokens=64)  # short answers keep the suite fast
    pipeline = open_pipeline(settings, progress=lambda message: None)
    pipeline.generator.warm()
    demo = create_app(pipeline)
    port = free_port()
    launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}"
    demo.close()


@pytest.fixture()
def page(browser, app_url):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    page.wait_for_selector("#question textarea")
    yield page
    page.close()


# logs, in order, when the sources panel first shows a source card and when the chat's
# newest bot message first has text (the first streamed token, or the answer itself)
RECORD_ORDER = """() => {
  window.__events = [];
  window.__streamed = new Set();  // the texts the answer showed while it was being written
  const bots = () => document.querySelectorAll('#chat [data-testid="bot"]');
  const before = bots().length;
  const check = () => {
    if (!window.__events.includes('sources') && document.querySelector('#sources .src-card')) {
      window.__events.push('sources');
    }
    const all = bots();
    const last = all.length > before ? all[all.length - 1] : null;
    if (!window.__events.includes('token') && last && last.innerText.trim()) window.__events.push('token');
    if (last && last.querySelector('.streaming')) window.__streamed.add(last.innerText);
  };
  new MutationObserver(check).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def last_answer(page):
    return page.locator("#chat [data-testid='bot']").last


def in_viewport(locator) -> bool:
    return locator.evaluate("e => { const r = e.getBoundingClientRect();"
                            " return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; }")


def test_evidence_first_then_answer_with_links_into_the_article(page):
    page.evaluate(RECORD_ORDER)
    ask(page, RUTTE, evidence_screenshot="evidence.png")
    events = page.evaluate("window.__events")
    assert events == ["sources", "token"], events  # the evidence is on screen before the first token
    answer = last_answer(page)
    assert "first token –" not in answer.locator(".timings").inner_text()  # the model did write
    assert page.evaluate("window.__streamed.size") >= 2  # ... token by token, shown as it came
    cards = page.locator("#sources .src-card")
    assert cards.count() >= 3
    ours = cards.filter(has_text=FROM_000_OR_001[0]).or_(cards.filter(has_text=FROM_000_OR_001[1]))
    assert ours.count(), cards.all_inner_texts()
    page.screenshot(path=str(ARTIFACTS / "answer.png"), full_page=True)

    citation = answer.locator("a[href^='#src-']")
    refused = answer.locator(".refusal").count() > 0
    if citation.count():  # a checked answer: its [n] leads to a source card with the cited span marked
        assert not refused
        target = citation.first.get_attribute("href")[1:]
        citation.first.click()
        card = page.locator(f"#sources #{target}")
        page.wait_for_selector(f"#sources #{target}.flash")
        assert card.locator("mark").count() == 1 and in_viewport(card)
    else:  # the small model's answer did not verify: follow an evidence card instead
        card = ours.first
    span = card.locator(".passage mark, .passage .evidence-span").first.inner_text()
    card.locator("a.open-article").last.click()
    mark = page.locator("#article-view mark#article-mark")
    mark.wait_for(state="visible")
    assert page.get_by_role("tab", name="Articles").get_attribute("aria-selected") == "true"
    assert " ".join(mark.inner_text().split()) == " ".join(span.split())
    page.wait_for_function("(() => { const r = document.querySelector('#article-mark').getBoundingClientRect();"
                           " return r.top >= 0 && r.bottom <= window.innerHeight; })()", timeout=5000)
    page.screenshot(path=str(ARTIFACTS / "article-view.png"), full_page=True)


def test_out_of_corpus_question_is_refused_and_a_follow_up_keeps_the_topic(page):
    ask(page, OUT_OF_CORPUS)
    answer = last_answer(page)
    assert answer.locator(".refusal").inner_text() == "De artikelen geven geen antwoord op deze vraag."
    assert "Dichtstbijzijnde artikelen" in answer.inner_text()
    assert page.locator("#sources .src-head").inner_text().startswith("Closest passages")
    page.screenshot(path=str(ARTIFACTS / "refusal.png"), full_page=True)
    ask(page, "En in 2023?")  # a follow-up: searched with the previous question's names and numbers
    note = page.locator("#sources .src-note").inner_text()
    assert note.startswith("Follow-up, searched as: En in 2023? (") and "Tour" in note, note
    answer.locator("a.open-article").first.click()  # a closest article opens from the chat
    page.locator("#article-view mark#article-mark").wait_for(state="visible")


def test_user_html_is_shown_as_text(page):
    page.evaluate("window.__xss = 0")
    ask(page, '<img src=x onerror="window.__xss=1"> Wie won de Tour de France?')
    assert page.evaluate("window.__xss") == 0
    assert page.locator("#chat [data-testid='user'] img").count() == 0
    assert '<img src=x onerror="window.__xss=1">' in page.locator("#chat [data-testid='user']").last.inner_text()


def test_date_filter_and_answer_language_options(page):
    page.get_by_text("Options").click()
    page.locator("#opt-date input").click()
    page.get_by_role("option", name="2025-02").click()
    page.locator("#opt-language").get_by_text("nl", exact=True).click()
    ask(page, "Who won the Tour de France in 2024?")  # refused before the model is asked
    assert last_answer(page).locator(".refusal").inner_text() == "De artikelen geven geen antwoord op deze vraag."
    metas = [m for m in page.locator("#sources .src-card .meta").all_inner_texts() if ".txt" in m]
    assert metas and all(m.startswith("2025-02") for m in metas), metas  # the closest passages obey the filter


def test_lookup_tab(page):
    page.get_by_role("tab", name="Lookup").click()
    page.locator("#quote textarea").fill(DIRTY_DEAL)
    page.locator("#find-button").click()
    page.wait_for_selector("#lookup-result mark")
    result = page.locator("#lookup-result .src-card").first
    assert "001_6468d39e29c3b654.txt" in result.inner_text() and "exact" in result.inner_text()
    assert result.locator("mark").inner_text() == DIRTY_DEAL
    page.screenshot(path=str(ARTIFACTS / "lookup.png"), full_page=True)
    result.locator("a.open-article").last.click()
    mark = page.locator("#article-view mark#article-mark")
    mark.wait_for(state="visible")
    assert mark.inner_text() == DIRTY_DEAL


def test_articles_tab_lists_the_articles_with_dates(page):
    page.get_by_role("tab", name="Articles").click()
    rows = page.locator("#article-list .article-row")
    assert rows.count() == 5
    assert any(row.startswith("2025-02") for row in rows.all_inner_texts())
    rows.nth(1).locator("a").click()
    page.wait_for_function("document.querySelector('#article-view h3') !== null")
    assert "001_6468d39e29c3b654.txt" in page.locator("#article-view").inner_text()


def test_gradio_client_ask_and_cite(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    data = client.predict(RUTTE, api_name="/ask")  # the question is the only input needed
    assert {"question", "language", "answer", "refused", "refusal_reason", "citations", "evidence",
            "timings"} <= set(data)
    assert {"retrieve_ms", "first_token_ms", "total_ms", "prompt_tokens", "completion_tokens"} <= set(data["timings"])
    assert data["language"] == "en" and data["evidence"]
    cited = client.predict(DIRTY_DEAL, api_name="/cite")
    assert set(cited) == {"text", "matches", "closest"} and cited["text"] == DIRTY_DEAL
    first = cited["matches"][0]
    assert first["article"] == "001_6468d39e29c3b654.txt" and first["kind"] == "exact"
    assert first["text"] == DIRTY_DEAL
    refused = client.predict(OUT_OF_CORPUS, api_name="/ask")
    assert refused["refused"] and refused["language"] == "nl"
    with pytest.raises(Exception, match="empty"):
        client.predict("   ", api_name="/ask")


def test_a_full_queue_says_busy_at_once(app_url, page):
    """One answer generating, eight requests waiting: the next one is told to try again, no hang."""
    from gradio_client import Client
    from gradio_client.utils import Status

    client = Client(app_url, verbose=False)
    for _attempt in range(3):
        running = client.submit(RUTTE + " Explain in detail.", api_name="/ask")
        while running.status().code not in (Status.PROCESSING, Status.FINISHED):
            time.sleep(0.02)
        # requests the model does not serve (refused before generation) fill the queue cheaply
        waiting = [client.submit(OUT_OF_CORPUS, api_name="/ask") for _ in range(8)]
        while not all(job.status().code in (Status.IN_QUEUE, Status.FINISHED) for job in waiting):
            time.sleep(0.02)
        try:
            client.submit(OUT_OF_CORPUS, api_name="/ask").result(timeout=60)
        except Exception as exc:  # noqa: BLE001 - gradio_client raises QueueError
            assert "queue is full" in str(exc).lower(), exc
        else:  # the running answer finished before the queue filled up: try again
            assert running.status().code == Status.FINISHED
            continue
        page.locator("#question textarea").fill("Wat zei Rutte over Groenland?")
        page.locator("#question textarea").press("Enter")
        try:
            page.get_by_text("This application is currently busy. Please try again.").wait_for(
                state="visible", timeout=5000)
            page.wait_for_timeout(500)  # the toast slides in
        except Exception:  # noqa: BLE001 - only when the queue drained in between: try again
            if running.status().code != Status.FINISHED:
                raise
            continue
        page.screenshot(path=str(ARTIFACTS / "busy.png"))
        assert all(job.result(timeout=120)["refused"] for job in waiting)  # the queued ones are answered
        assert running.result(timeout=240)["question"]
        return
    pytest.fail("the running answer always finished before the queue was full")


def test_serve_command_and_app_flags():
    """`python app.py` is `rag serve`: the same options and the same one-line errors."""
    from click.testing import CliRunner

    from rag.cli import cli

    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert all(flag in result.output for flag in ("--host", "--port", "--index", "--llm", "--embedder", "--config"))
    shim = subprocess.run([sys.executable, str(REPO / "app.py"), "--config", "/nonexistent/rag.toml"],
                          capture_output=True, text=True, timeout=120)
    assert_one_line_error(shim, "config file /nonexistent/rag.toml does not exist")
