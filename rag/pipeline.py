"""Composes the stages: settings -> embedder + index -> retrieval -> answers and citation lookup.

The CLI and the app only call into this module.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from rag.answer import Answer, answer_question, ask
from rag.corpus import load_corpus
from rag.embedding import load_embedder
from rag.errors import CorpusError, IndexStateError
from rag.generation import Generator
from rag.index import BuildReport, Index, build_index, expected_manifest, load_index, stale_reasons
from rag.lookup import Match, lookup
from rag.retrieval import Passage, Retriever
from rag.settings import Settings
from rag.stages import LazyGenerator, Stages
from rag.store import SentenceStore


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def update_index(settings: Settings, progress: Callable[[str], None] = _stderr) -> BuildReport:
    """Build the index, or bring it up to date embedding only new or changed articles.

    The seeds are checked and the embedder loaded before anything else, so bad input
    fails with its own error and nothing on disk changes."""
    articles = load_corpus(settings.seeds_dir, settings.max_seed_bytes)
    embedder = load_embedder(settings)
    _ = embedder.model
    try:
        previous = load_index(settings.index_dir)
    except IndexStateError:
        previous = None  # missing or damaged: build a complete new version
    return build_index(settings, embedder, previous=previous, progress=progress, articles=articles)


def open_index(settings: Settings, embedder, progress: Callable[[str], None] = _stderr) -> Index:
    """Load the index and check it against the seeds and settings.

    A stale index is updated incrementally when `settings.auto_update` is on;
    otherwise the error names what changed and what to run.
    """
    index = load_index(settings.index_dir)
    try:
        articles = load_corpus(settings.seeds_dir, settings.max_seed_bytes)
    except CorpusError:
        if settings.seeds_dir.exists():
            raise
        articles = None  # no seeds here: the index is self-contained, check only the model
    expected = expected_manifest(settings, embedder.name, embedder.fingerprint, articles or [])
    if articles is None:
        expected["seeds"] = index.manifest.get("seeds", {})
    reasons = stale_reasons(index.manifest, expected)
    if not reasons:
        return index
    if not settings.auto_update or articles is None:
        raise IndexStateError(f"index in {settings.index_dir} is stale ({'; '.join(reasons[:3])}); "
                              f"run `rag index --index {settings.index_dir}`")
    _ = embedder.model  # a broken embedder fails here, before the update is announced or started
    progress(f"index is stale ({'; '.join(reasons[:3])}); updating")
    build_index(settings, embedder, previous=index, progress=progress, articles=articles)
    return load_index(settings.index_dir)


def load_generator(settings: Settings):
    """The configured LLM: an OpenAI-compatible server (llm_url), or a local GGUF:
    'default' (assembled once), 'small' (the test model) or a path, loaded now, so a
    missing, truncated or foreign file is a ModelError here (`rag models` checks it)."""
    from rag.generation import OpenAIGenerator, load_llama
    from rag.gguf import check_gguf, ensure_default_llm, small_llm_path

    if settings.llm_url:
        return OpenAIGenerator(settings.llm_url, model=settings.llm_model)
    if settings.llm == "default":
        path = ensure_default_llm(settings.models_dir)
    elif settings.llm == "small":
        path = small_llm_path()
    else:
        path = check_gguf(Path(settings.llm))
    generator = load_llama(str(path), settings.threads, settings.n_ctx, settings.llm_mmap)
    generator.warm()
    return generator


class Pipeline(Stages):
    """The stages plus what the CLI and the app call: search, ask (events), answer, cite."""

    def search(self, question: str, k: int | None = None, date: str | None = None,
               mode: str | None = None) -> list[Passage]:
        return self.retriever.search(question, k=k, date=date, mode=mode)

    def ask(self, question: str, **options) -> Iterator[dict]:
        """Events: evidence, then tokens, then the checked answer (see rag.answer)."""
        return ask(self, question, **options)

    def answer(self, question: str, **options) -> Answer:
        return answer_question(self, question, **options)

    def cite(self, text: str, limit: int = 3) -> list[Match]:
        return lookup(self, text, limit=limit)


def generator_name(settings: Settings) -> str:
    """The configured LLM's name as the loaded generator gives it, known before loading it."""
    from rag.gguf import DEFAULT_LLM, TEST_LLM

    if settings.llm_url:
        return f"{settings.llm_model}@{settings.llm_url}"
    return {"default": DEFAULT_LLM.file_name, "small": TEST_LLM.file_name}.get(settings.llm, Path(settings.llm).name)


def open_pipeline(settings: Settings, progress: Callable[[str], None] = _stderr,
                  generator: Generator | None = None) -> Pipeline:
    """The embedder and the index now (a question's timings never include loading them); the
    LLM, unless one is passed in, on first use."""
    embedder = load_embedder(settings)
    index = open_index(settings, embedder, progress)
    _ = embedder.model  # load the weights now, not inside the first question's timings
    if generator is None:
        generator = LazyGenerator(lambda: load_generator(settings), generator_name(settings))
    return Pipeline(settings=settings, index=index, retriever=Retriever(index, embedder, settings),
                    embedder=embedder, sentences=SentenceStore.from_index(index), generator=generator)
