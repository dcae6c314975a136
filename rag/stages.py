"""What the stages after indexing work with, passed to them explicitly.

`ask`, `lookup`, the eval and the bench receive one `Stages`: the settings, the index,
the retriever, the embedder, the sentence store and the generator, each a typed field
that a fake can replace (`stages.with_generator(Scripted(...))`). Nothing reaches
into a cache behind a property; the LLM is loaded on first use only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from rag.embedding import QueryEmbedder
from rag.generation import GenerationStats, Generator
from rag.index import Index
from rag.retrieval import Retriever
from rag.settings import Settings
from rag.store import SentenceStore


class LazyGenerator:
    """A generator loaded on first use: a question refused before the model, a lookup or a
    retrieval-only eval never load the LLM. `name` is known without loading it."""

    def __init__(self, load: Callable[[], Generator], name: str) -> None:
        self._load = load
        self._name = name
        self._generator: Generator | None = None

    @property
    def loaded(self) -> Generator:
        if self._generator is None:
            self._generator = self._load()
        return self._generator

    @property
    def name(self) -> str:
        return self._generator.name if self._generator is not None else self._name

    def warm(self) -> None:
        self.loaded.warm()

    def stream(self, messages: list[dict], max_tokens: int = 256,
               stats: GenerationStats | None = None) -> Iterator[str]:
        return self.loaded.stream(messages, max_tokens=max_tokens, stats=stats)

    def yes_probability(self, messages: list[dict]) -> float | None:
        probe = getattr(self.loaded, "yes_probability", None)
        return None if probe is None else probe(messages)

    def __getattr__(self, attribute: str):  # what only some generators have (llama, prompt_tokens)
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return getattr(self.loaded, attribute)


@dataclass(frozen=True)
class Stages:
    settings: Settings
    index: Index
    retriever: Retriever
    embedder: QueryEmbedder
    sentences: SentenceStore
    generator: Generator

    def with_generator(self, generator: Generator) -> Stages:
        """The same stages around another generator (a scripted one in tests, a recorder in the bench)."""
        return replace(self, generator=generator)
