"""The Gradio app: a thin shell over rag.pipeline.

    python app.py [--host 127.0.0.1] [--port 7860] [--index DIR] [--llm PATH] ...

Ask (evidence first, then the streamed answer, then checked citations), Lookup
(where does a quote come from) and Articles. `/ask` and `/cite` are named API
endpoints for gradio_client, returning what `rag ask --json` / `rag cite --json` print.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

QUEUE_SIZE = 8  # requests waiting for the one model; beyond this users are told to try again
EXAMPLES = ["What did Rutte say about 5%?", "Wat zei Rutte over Groenland?",
            "Hoeveel procent van het bbp wil Duitsland in 2029 aan defensie uitgeven?",
            "What did Kaja Kallas call a deal made behind Europe's back?"]


def create_app(pipeline):
    """The whole UI around any pipeline (tests build it around one with the small model)."""
    from html import escape, unescape

    import gradio as gr

    from rag import ui
    from rag.conversation import rewrite
    from rag.errors import RagError

    articles = sorted(pipeline.index.articles.values(), key=lambda a: a.source)
    dates = sorted({a.date for a in articles if a.date} | {a.date[:4] for a in articles if a.date})

    def ask_stream(question, history, k, date, language):
        history = list(history or [])
        previous = [unescape(m["content"]) for m in history if m["role"] == "user" and isinstance(m["content"], str)]
        history.append({"role": "user", "content": escape(question)})  # shown as text, never as HTML
        history.append({"role": "assistant", "content": "…"})
        searched = rewrite(question, previous)
        sources, timings, raw = "", "", ""
        try:
            for event in pipeline.ask(searched, k=int(k), date=date or None,
                                      language=None if language == "auto" else language):
                if event["type"] == "evidence":
                    sources = ui.source_cards(event["evidence"], title="Evidence (before the model starts)")
                    yield history, sources, ""
                elif event["type"] == "token":
                    raw += event["text"]
                    history[-1] = {"role": "assistant", "content": escape(raw)}
                    yield history, sources, ""
                else:
                    answer = event["answer"]
                    history[-1] = {"role": "assistant", "content": ui.answer_html(answer)}
                    title = "Closest passages (no answer)" if answer.refused else "Sources"
                    sources = ui.source_cards(answer.evidence, answer.citations, title=title)
                    timings = ui.timings_html(answer.timings)
                    yield history, sources, timings
        except RagError as exc:
            gr.Warning(str(exc))
            history[-1] = {"role": "assistant", "content": f"⚠ {exc}"}
            yield history, sources, ""

    def lookup(text):
        try:
            return ui.lookup_html(text, pipeline.cite(text))
        except RagError as exc:
            gr.Warning(str(exc))
            return ""

    def api_ask(question: str, k: int = 5, date: str = "", language: str = "") -> dict:
        """Answer a question; the same JSON as `rag ask --json`."""
        try:
            return pipeline.answer(question, k=int(k), date=date or None, language=language or None).as_json()
        except RagError as exc:
            return {"error": str(exc)}

    def api_cite(text: str) -> dict:
        """Where a quote comes from; the same JSON as `rag cite --json`."""
        try:
            return {"text": text, "matches": [m.as_json() for m in pipeline.cite(text)]}
        except RagError as exc:
            return {"error": str(exc)}

    with gr.Blocks(title="Dutch news Q&A") as demo:
        gr.Markdown("## Ask the articles — in Dutch or English\nEvery claim is checked against its source.")
        with gr.Tab("Ask"):
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="Answer", height=420, elem_id="chat", sanitize_html=True)
                    question = gr.Textbox(label="Question", elem_id="question", placeholder="Wat zei Rutte over Groenland?")
                    with gr.Row():
                        send = gr.Button("Ask", variant="primary", elem_id="ask-button")
                        clear = gr.Button("New conversation")
                    timings = gr.HTML(elem_id="timings")
                    gr.Examples(EXAMPLES, inputs=question)
                    with gr.Accordion("Options", open=False):
                        k = gr.Slider(3, 10, value=pipeline.settings.top_k, step=1, label="Passages")
                        date = gr.Dropdown([""] + dates, value="", label="Date (year or month)")
                        language = gr.Radio(["auto", "nl", "en"], value="auto", label="Answer language")
                with gr.Column(scale=2):
                    sources = gr.HTML(elem_id="sources")
        with gr.Tab("Lookup"):
            quote = gr.Textbox(label="Quote or claim", elem_id="quote")
            find = gr.Button("Find the source", elem_id="find-button")
            found = gr.HTML(elem_id="lookup-result")
        with gr.Tab("Articles"):
            gr.HTML(ui.articles_html(articles), elem_id="articles")

        inputs = [question, chat, k, date, language]
        for trigger in (question.submit, send.click):
            trigger(ask_stream, inputs, [chat, sources, timings], concurrency_limit=1,
                    api_visibility="private").then(lambda: "", None, question)
        clear.click(lambda: ([], "", ""), None, [chat, sources, timings])
        find.click(lookup, quote, found, api_visibility="private")
        quote.submit(lookup, quote, found, api_visibility="private")
        gr.api(api_ask, api_name="ask", concurrency_limit=1)
        gr.api(api_cite, api_name="cite")
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
    return demo


def main(argv: list[str] | None = None) -> int:
    from rag.errors import RagError
    from rag.pipeline import open_pipeline, update_index
    from rag.settings import load_settings
    from rag.ui import CSS

    parser = argparse.ArgumentParser(description="Dutch news Q&A (Gradio app)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    for flag in ("config", "index", "seeds", "models-dir", "embedder", "llm", "llm-url"):
        parser.add_argument(f"--{flag}")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config, index_dir=args.index, seeds_dir=args.seeds,
                                 models_dir=args.models_dir, embedder=args.embedder, llm=args.llm,
                                 llm_url=args.llm_url)
        if not (settings.index_dir / "current").exists():
            print(f"building the index in {settings.index_dir} ...", file=sys.stderr)
            update_index(settings)
        pipeline = open_pipeline(settings)
        pipeline.generator.warm()
        demo = create_app(pipeline)
    except RagError as exc:
        print(f"app: error: {exc}", file=sys.stderr)
        return 1
    print(f"serving on http://{args.host}:{args.port}", file=sys.stderr)
    demo.launch(server_name=args.host, server_port=args.port, share=False, css=CSS, show_error=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
