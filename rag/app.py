"""The Gradio app: a thin shell over rag.pipeline (HTML in rag.ui, follow-ups in rag.conversation).

    rag serve [--host 127.0.0.1] [--port 7860] [--index DIR] [--llm small] ...   (or: python app.py ...)

Tabs: Ask (evidence first, then the streamed answer, then checked citations),
Lookup (where does a quote come from) and Articles (each article, scrolled to
a cited span). `/ask` and `/cite` are named API endpoints for gradio_client,
returning exactly what `rag ask --json` / `rag cite --json` print.

One model on two cores: every call that generates shares one concurrency slot,
and the queue holds QUEUE_SIZE requests; beyond that Gradio answers
"This application is currently busy. Please try again." at once.
"""

# no `from __future__ import annotations`: Gradio finds `evt: gr.SelectData` by its real annotation
import os
import sys
import traceback

QUEUE_SIZE = 8  # requests waiting for the one model; beyond this users are told to try again
MODEL = "model"  # concurrency id of everything that runs the LLM
EXAMPLES = [
    "What did Rutte say about 5%?",
    "Wat zei Rutte over Groenland?",
    "Hoeveel procent van het bbp wil Duitsland in 2029 aan defensie uitgeven?",
    "What did Kaja Kallas call a deal made behind Europe's back?",
    "Wat vond Hegseth van de Europese defensie-uitgaven?",
]


def create_app(pipeline):
    """The whole UI around any pipeline (tests build it around one with the small model)."""
    from html import escape

    import gradio as gr

    from rag import ui
    from rag.conversation import rewrite
    from rag.errors import RagError
    from rag.language import detect_language
    from rag.retrieval import check_date_filter

    articles = sorted(pipeline.index.articles.values(), key=lambda a: a.source)
    by_id = {a.id: a for a in articles}

    def ask_stream(question, history, searched, k, date, language):
        """Chat turn: evidence -> sources panel, tokens -> the answer as it is written,
        final answer -> checked HTML with citation links; the question box is cleared."""
        history, searched = list(history or []), list(searched or [])
        question = (question or "").strip()
        if not question:
            gr.Warning("Type a question first.")
            yield history, gr.skip(), "", searched
            return
        history.append({"role": "user", "content": ui.user_html(question)})
        yield history, '<div class="src-head">Searching the articles…</div>', "", searched
        try:
            check_date_filter(date or None)
            searched_as = rewrite(question, searched)
            answer_language = language if language in ("nl", "en") else detect_language(question)
            note = f"Follow-up, searched as: {searched_as}" if searched_as != question else ""
            sources, raw, writing = "", "", False
            for event in pipeline.ask(searched_as, k=int(k) if k else None, date=date or None,
                                      language=answer_language):
                if event["type"] == "evidence":  # a second look at wider evidence starts a new answer
                    raw = ""
                    sources = ui.source_cards(
                        event["evidence"], title=f"Evidence ({ui.format_ms(event['retrieve_ms'])}) — "
                        "the model is reading it", note=note)
                    yield history, sources, "", searched
                elif event["type"] == "token":
                    if not writing:
                        history.append({"role": "assistant", "content": ""})
                        writing = True
                    raw += event["text"]
                    history[-1] = {"role": "assistant", "content": ui.streaming_html(raw)}
                    yield history, sources, "", searched
                elif event["type"] == "answer":
                    answer = event["answer"]
                    message = {"role": "assistant", "content": ui.answer_html(answer)}
                    if writing:
                        history[-1] = message
                    else:
                        history.append(message)
                    title = "Closest passages — no answer" if answer.refused else "Sources"
                    sources = ui.source_cards(answer.evidence, answer.citations, title=title, note=note)
                    yield history, sources, "", searched + [searched_as]
        except RagError as exc:
            gr.Warning(escape(str(exc)))  # Gradio renders a toast as HTML: show it as text
            history.append({"role": "assistant", "content": ui.error_html(str(exc))})
            yield history, ui.SOURCES_PLACEHOLDER, question, searched
        except Exception as exc:  # noqa: BLE001 - shown in the chat, logged with its traceback
            traceback.print_exc()
            history.append({"role": "assistant", "content": ui.error_html(f"internal error: {exc}")})
            yield history, ui.SOURCES_PLACEHOLDER, question, searched

    def lookup(text):
        try:
            return ui.lookup_html(text, pipeline.cite(text))
        except RagError as exc:
            gr.Warning(escape(str(exc)))  # Gradio renders a toast as HTML: show it as text
            return ui.error_html(str(exc))

    def open_article(evt: gr.SelectData):
        """A click on an article link (`#article/<id>/<start>/<end>`, see rag.ui): show it, span marked."""
        article = by_id.get(str(evt.value))
        if article is None:
            return gr.skip(), gr.skip()
        span = evt.index if isinstance(evt.index, (list, tuple)) and len(evt.index) == 2 else (None, None)
        return gr.Tabs(selected="articles"), ui.article_view_html(article, *span)

    def api_ask(question: str, k: int | None = None, date: str | None = None,
                language: str | None = None) -> dict:
        """Answer a question from the articles; the same JSON as `rag ask --json`."""
        try:
            check_date_filter(date or None)
            return pipeline.answer(question, k=int(k) if k else None, date=date or None,
                                   language=language or None).as_json()
        except RagError as exc:
            raise gr.Error(str(exc)) from None

    def api_cite(text: str, limit: int = 3) -> dict:
        """Where a quote or claim comes from; the same JSON as `rag cite --json`."""
        try:
            found = pipeline.cite(text, limit=int(limit))
            return {"text": text, "matches": [m.as_json() for m in found if m.kind != "closest"],
                    "closest": [m.as_json() for m in found if m.kind == "closest"]}
        except RagError as exc:
            raise gr.Error(str(exc)) from None

    with gr.Blocks(title="Dutch news Q&A") as demo:
        gr.Markdown("## Ask the articles — in Dutch or English\n"
                    "Stel je vraag in het Nederlands of het Engels. The evidence is shown first; "
                    "every sentence of the answer is checked against its source.")
        with gr.Tabs(elem_id="tabs") as tabs:
            with gr.Tab("Ask", id="ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chat = gr.Chatbot(label="Answer", elem_id="chat", height=440, render_markdown=False,
                                          sanitize_html=True, feedback_options=None,
                                          placeholder="Ask about the five news articles.")
                        question = gr.Textbox(label="Question / vraag", elem_id="question", lines=1,
                                              max_lines=4, submit_btn=False,
                                              placeholder="Wat zei Rutte over Groenland?")
                        with gr.Row():
                            send = gr.Button("Ask", variant="primary", elem_id="ask-button")
                            clear = gr.Button("New conversation", elem_id="clear-button")
                        gr.Examples([[q] for q in EXAMPLES], inputs=question, label="Examples / voorbeelden")
                        with gr.Accordion("Options", open=False, elem_id="options"):
                            k = gr.Slider(1, 10, value=pipeline.settings.top_k, step=1,
                                          label="Passages to retrieve", elem_id="opt-k")
                            date = gr.Dropdown([("all dates", "")] + [(d, d) for d in ui.date_choices(articles)],
                                               value="", label="Date (year or year-month)",
                                               allow_custom_value=True, elem_id="opt-date")
                            language = gr.Radio(["auto", "nl", "en"], value="auto", label="Answer language",
                                                elem_id="opt-language")
                    with gr.Column(scale=2):
                        sources = gr.HTML(ui.SOURCES_PLACEHOLDER, elem_id="sources", js_on_load=ui.SOURCES_JS)
            with gr.Tab("Lookup", id="lookup"):
                gr.Markdown("Paste a quote or a claim (Dutch or English) to find the article, date and "
                            "passage it comes from.")
                quote = gr.Textbox(label="Quote or claim", elem_id="quote", lines=2)
                find = gr.Button("Find the source", variant="primary", elem_id="find-button")
                found = gr.HTML(elem_id="lookup-result", js_on_load=ui.LINKS_JS)
            with gr.Tab("Articles", id="articles"):
                listing = gr.HTML(ui.articles_list_html(articles), elem_id="article-list",
                                  js_on_load=ui.LINKS_JS)
                view = gr.HTML(ui.article_view_html(None), elem_id="article-view",
                               js_on_load=ui.SCROLL_TO_MARK_JS)
        searched = gr.State([])

        for trigger in (question.submit, send.click):
            trigger(ask_stream, [question, chat, searched, k, date, language], [chat, sources, question, searched],
                    concurrency_id=MODEL, concurrency_limit=1, api_visibility="private", show_progress_on=chat)
        clear.click(lambda: ([], ui.SOURCES_PLACEHOLDER, []), None, [chat, sources, searched],
                    api_visibility="private", queue=False)
        for trigger in (find.click, quote.submit):
            trigger(lookup, quote, found, concurrency_id="lookup", concurrency_limit=2,
                    api_visibility="private")
        for panel in (sources, found, listing):
            panel.select(open_article, None, [tabs, view], api_visibility="private", queue=False)
        gr.api(api_ask, api_name="ask", concurrency_id=MODEL, concurrency_limit=1)
        gr.api(api_cite, api_name="cite", concurrency_id="lookup", concurrency_limit=2)
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
    return demo


def launch(demo, host: str = "127.0.0.1", port: int = 7860, **options):
    """Serve the app locally (never shared), with its stylesheet."""
    from rag.ui import CSS

    return demo.launch(server_name=host, server_port=port, share=False, css=CSS, show_error=True,
                       footer_links=["api"], **options)


def serve(settings, host: str = "127.0.0.1", port: int = 7860, **options):
    """Load the index (building it when missing) and the models once, then serve the app.

    RagError when something a user can fix is wrong (the CLI prints it as one line)."""
    from rag.errors import IndexStateError
    from rag.index import load_index
    from rag.pipeline import open_pipeline, update_index

    try:
        load_index(settings.index_dir)
    except IndexStateError as exc:
        print(f"app: building the index in {settings.index_dir} ({str(exc).split(';')[0]})",
              file=sys.stderr, flush=True)
        update_index(settings)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no telemetry
    print("app: loading the index and the models ...", file=sys.stderr, flush=True)
    pipeline = open_pipeline(settings)
    pipeline.generator.warm()
    demo = create_app(pipeline)
    print(f"app: serving on http://{host}:{port}", file=sys.stderr, flush=True)
    return launch(demo, host, port, **options)
