"""`rag` command line: a thin shell over rag.pipeline.

Errors a user can fix come out as one line on stderr with exit code 1; an
unexpected failure as one line with exit code 2 (RAG_DEBUG=1 shows the traceback).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import click

from rag.errors import RagError
from rag.settings import Settings, load_settings


class RagGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RagError as exc:
            click.echo(f"rag: error: {exc}", err=True)
            ctx.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("rag: interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into one line
            if os.environ.get("RAG_DEBUG"):
                raise
            first = (str(exc).strip().splitlines() or [""])[0][:300]
            click.echo(f"rag: internal error: {type(exc).__name__}: {first} "
                       "(set RAG_DEBUG=1 for the traceback)", err=True)
            ctx.exit(2)


def settings_options(func):
    """Options every command shares; each maps onto a Settings field (None = not given)."""
    options = [
        click.option("--config", "config_file", type=click.Path(path_type=Path),
                     help="TOML settings file (default: ./rag.toml if present, or $RAG_CONFIG)."),
        click.option("--seeds", "seeds_dir", type=click.Path(path_type=Path), help="Folder of seed articles."),
        click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index directory."),
        click.option("--models-dir", type=click.Path(path_type=Path), help="Models cache directory."),
        click.option("--embedder", help="sentence-transformers model name or path ('default': e5-small)."),
        click.option("--llm", help="GGUF path, 'default' (Qwen2.5-Coder-1.5B) or 'small' (SmolLM2-135M)."),
        click.option("--llm-url", help="OpenAI-compatible server for generation (e.g. http://127.0.0.1:8080)."),
    ]
    for option in reversed(options):
        func = option(func)

    @functools.wraps(func)
    def wrapper(config_file, seeds_dir, index_dir, models_dir, embedder, llm, llm_url, **kwargs):
        settings = load_settings(config_file, seeds_dir=seeds_dir, index_dir=index_dir,
                                 models_dir=models_dir, embedder=embedder, llm=llm, llm_url=llm_url)
        return func(settings=settings, **kwargs)

    return wrapper


def emit_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(cls=RagGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Ask questions over Dutch news articles, with checked citations."""


@cli.command()
@settings_options
def models(settings: Settings) -> None:
    """Prepare the default models once (convert the embedder into the models cache)."""
    from rag.embedding import resolve_embedder_path
    from rag.pipeline import load_generator

    name, path = resolve_embedder_path(settings)
    click.echo(f"embedder {name}: {path}")
    generator = load_generator(settings)
    click.echo(f"llm {generator.name}: {generator.model_path}")


@cli.command()
@settings_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
def index(settings: Settings, as_json: bool) -> None:
    """Build the index, or update it embedding only new or changed articles."""
    from rag.pipeline import update_index

    report = update_index(settings)
    data = {"index": str(report.path), "articles": report.articles, "chunks": report.chunks,
            "embedded_articles": report.embedded_articles, "reused_articles": report.reused_articles,
            "embedded_chunks": report.embedded_chunks, "seconds": round(report.seconds, 2)}
    if as_json:
        emit_json(data)
    else:
        click.echo(f"index {report.path}: {report.articles} articles, {report.chunks} chunks "
                   f"({report.embedded_chunks} embedded, {len(report.reused_articles)} articles reused) "
                   f"in {report.seconds:.1f} s")


@cli.command()
@click.argument("question")
@settings_options
@click.option("-k", "k", type=click.IntRange(1, 100), default=None, help="Passages to return (default 5).")
@click.option("--date", help="Only articles from this year (2025) or month (2025-02).")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "bm25"]), help="Retriever (default hybrid).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def search(question: str, settings: Settings, k: int | None, date: str | None, mode: str | None,
           as_json: bool) -> None:
    """Find the passages that best match QUESTION."""
    from rag.pipeline import open_pipeline
    from rag.retrieval import clean_question

    clean_question(question, settings.max_question_chars)  # fail before loading any model
    passages = open_pipeline(settings).search(question, k=k, date=date, mode=mode)
    if as_json:
        emit_json({"question": question, "mode": mode or settings.retrieval_mode,
                   "passages": [p.as_json() for p in passages]})
        return
    if not passages:
        click.echo("no passages found")
    for rank, passage in enumerate(passages, start=1):
        ranks = f"dense #{passage.dense_rank or '-'}, bm25 #{passage.bm25_rank or '-'}"
        click.echo(f"{rank}. {passage.article.source} ({passage.article.date or 'no date'}) "
                   f"[{passage.chunk.start}:{passage.chunk.end}] score {passage.score:.4f} ({ranks})")
        click.echo("   " + passage.chunk.text.replace("\n\n", "\n").replace("\n", "\n   "))


@cli.command()
@click.argument("question")
@settings_options
@click.option("-k", "k", type=click.IntRange(1, 50), default=None, help="Passages to retrieve.")
@click.option("--date", help="Only articles from this year (2025) or month (2025-02).")
@click.option("--lang", "language", type=click.Choice(["nl", "en"]), help="Answer language (default: the question's).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
def ask(question: str, settings: Settings, k: int | None, date: str | None, language: str | None,
        as_json: bool) -> None:
    """Answer QUESTION from the articles, with checked citations."""
    from rag.pipeline import open_pipeline
    from rag.retrieval import check_date_filter, clean_question

    clean_question(question, settings.max_question_chars)
    check_date_filter(date)
    pipeline = open_pipeline(settings)
    final = None
    for event in pipeline.ask(question, k=k, date=date, language=language):
        if event["type"] == "evidence" and not as_json:
            second = event.get("attempt", 1) > 1
            click.echo("\n\nThe answer did not check out; a second look at wider evidence:" if second
                       else "Evidence:", err=True)
            for item in event["evidence"]:
                click.echo(f"  [{item.n}] {item.article.source} ({item.article.date or 'no date'}) "
                           f"{' '.join(item.text.split())}", err=True)
            click.echo("", err=True)
        elif event["type"] == "token" and not as_json:
            click.echo(event["text"], nl=False, err=True)
        elif event["type"] == "answer":
            final = event["answer"]
    if as_json:
        emit_json(final.as_json())
        return
    click.echo("\n", err=True)
    click.echo(final.text)
    for citation in final.citations:
        mark = "verified" if citation.verified else f"NOT verified: {citation.reason}"
        click.echo(f"  [{citation.n}] {citation.evidence.article.source} "
                   f"[{citation.evidence.start}:{citation.evidence.end}] ({mark})")
    if final.refused:
        click.echo(f"  (refused: {final.refusal_reason})")


@cli.command()
@click.argument("text")
@settings_options
@click.option("-n", "limit", type=click.IntRange(1, 20), default=3, help="Matches to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def cite(text: str, settings: Settings, limit: int, as_json: bool) -> None:
    """Find the article, date and passage a quote or claim comes from."""
    from rag.pipeline import open_pipeline
    from rag.retrieval import clean_question

    clean_question(text, settings.max_question_chars)
    found = open_pipeline(settings).cite(text, limit=limit)
    matches = [m for m in found if m.kind != "closest"]
    if as_json:
        emit_json({"text": text, "matches": [m.as_json() for m in matches],
                   "closest": [m.as_json() for m in found if m.kind == "closest"]})
        return
    if not matches:
        click.echo("not in the articles")
    for match in matches:
        click.echo(f"{match.article.source} ({match.article.date or 'no date'}) [{match.start}:{match.end}] "
                   f"{match.kind} {match.score:.3f}: {match.text}")


@cli.command()
@settings_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True, help="Port.")
def serve(settings: Settings, host: str, port: int) -> None:
    """Start the web app (the same as `python app.py`): index and models load once, then
    http://HOST:PORT serves the Ask, Lookup and Articles tabs and the /ask and /cite API."""
    from rag.app import serve as serve_app

    serve_app(settings, host, port)


@cli.command(name="eval")
@settings_options
@click.option("--questions", "questions_file", type=click.Path(path_type=Path),
              default=Path("eval/questions.jsonl"), show_default=True, help="Question file (JSON Lines).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("out/eval"),
              show_default=True, help="Report directory.")
@click.option("--retrieval-only", is_flag=True, help="Skip generation; fill only retrieval metrics.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "bm25"]), help="Retriever (default hybrid).")
@click.option("--json", "as_json", is_flag=True, help="Print report.json to stdout.")
def eval_command(settings: Settings, questions_file: Path, out_dir: Path, retrieval_only: bool,
                 mode: str | None, as_json: bool) -> None:
    """Run the fixed questions and write answers.jsonl, report.json and report.md."""
    from rag import evaluation
    from rag.pipeline import open_pipeline

    questions = evaluation.load_questions(questions_file)
    if mode:
        settings = settings.replace(retrieval_mode=mode)
    pipeline = open_pipeline(settings)
    if retrieval_only:
        records = evaluation.run_retrieval_eval(pipeline, questions)
    else:
        records = evaluation.run_answer_eval(pipeline, questions)
    report = evaluation.build_report(records, {
        **settings.as_json(), "retrieval_only": retrieval_only, "questions": str(questions_file),
        "llm": None if retrieval_only else pipeline.generator.name,
        "embedder": pipeline.embedder.name}, full=not retrieval_only)
    evaluation.write_report(records, report, out_dir)
    if as_json:
        emit_json(report)
    else:
        for group in ("overall", "nl", "en"):
            shown = {k: v for k, v in report[group].items() if v is not None}
            click.echo(f"{group:8} " + "  ".join(f"{k}={v}" for k, v in shown.items()))
        click.echo(f"report written to {out_dir}/report.md")


@cli.command()
@settings_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
@click.option("--out", "out_file", type=click.Path(path_type=Path), help="Also write the JSON to this file.")
@click.option("--sizes", default="10000,100000,1000000", show_default=True,
              help="Synthetic index sizes (comma-separated; 100k and 1m work too).")
@click.option("--questions", "llm_questions", type=click.IntRange(1, 40), default=4, show_default=True,
              help="Fixed questions (nl and en in turn) for time to first token and generation speed.")
@click.option("--skip-llm", is_flag=True, help="Leave out the LLM part (its keys are null).")
def bench(settings: Settings, as_json: bool, out_file: Path | None, sizes: str, llm_questions: int,
          skip_llm: bool) -> None:
    """Measure speed on this machine: index build, embedding, search (seeds and synthetic
    10k-1M indexes), evidence, time to first token and generation against llama.cpp's floor."""
    import contextlib

    from rag.bench import format_table, parse_sizes, run_bench

    try:
        size_list = parse_sizes(sizes)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--sizes") from None
    say = functools.partial(click.echo, err=True)
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the result
        results = run_bench(settings, size_list, llm_questions=llm_questions, skip_llm=skip_llm, say=say)
    if out_file:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if as_json:
        emit_json(results)
    else:
        click.echo(format_table(results))


def main(argv: list[str] | None = None) -> None:
    """The `rag` command (and `python app.py`, which is `rag serve`); models come from the local
    caches only: set before any hub library is imported."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    cli(args=argv, prog_name="rag")


if __name__ == "__main__":
    sys.exit(main())
