"""Text generation behind one narrow interface: `Generator.stream(messages) -> Iterator[str]`.

`LlamaGenerator` runs a local GGUF through llama-cpp-python with the chat
template stored in the GGUF. Defaults are the ones measured on 2 cores
(../shared/MEASURED.md): all cores for prompt and generation, flash attention,
greedy decoding, one long-lived model so llama.cpp reuses the KV cache of the
common prompt prefix across questions.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from rag.errors import ModelError
from rag.grammar import NO_WORDS, YES_WORDS


@dataclass
class GenerationStats:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None


class Generator(Protocol):
    name: str

    def warm(self) -> None: ...

    def stream(self, messages: list[dict], max_tokens: int = 256,
               stats: GenerationStats | None = None) -> Iterator[str]: ...


def yes_share(logits, yes_ids: list[int], no_ids: list[int]) -> float:
    """P(yes) among the yes/no answer tokens: softmax over those logits only, so the judge's
    verdict is read without generating and without a threshold on free text."""
    import numpy as np

    values = np.asarray([logits[i] for i in yes_ids + no_ids], dtype=np.float64)
    weights = np.exp(values - values.max())
    return float(weights[: len(yes_ids)].sum() / weights.sum())




@dataclass
class LlamaGenerator:
    """A llama.cpp model, loaded on first use and kept; calls are serialised (one model, few cores)."""

    model_path: Path
    n_ctx: int = 4096
    mmap: bool = False  # see Settings.llm_mmap
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    seed: int = 0
    _llama: object = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def name(self) -> str:
        return Path(self.model_path).name

    @property
    def llama(self):
        if self._llama is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise ModelError("llama-cpp-python is not installed; run `pip install llama-cpp-python`") from None
            try:
                self._llama = Llama(
                    model_path=str(self.model_path), n_ctx=self.n_ctx, n_threads=self.threads,
                    n_threads_batch=self.threads, flash_attn=True, seed=self.seed, verbose=False,
                    use_mmap=self.mmap,
                )
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"cannot load LLM {self.model_path} ({exc}); check the file or pass --llm") from None
        return self._llama

    def warm(self) -> None:
        """Load the model now (seconds), not inside the first question."""
        _ = self.llama

    @property
    def formatter(self):
        """The chat template stored in the GGUF (None when the file has none)."""
        if not hasattr(self, "_formatter"):
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            llama = self.llama
            template = llama.metadata.get("tokenizer.chat_template")
            token_text = llama._model.token_get_text  # noqa: SLF001 - the only way to the special tokens
            self._formatter = None if not template else Jinja2ChatFormatter(
                template=template,
                eos_token=token_text(llama.token_eos()) if llama.token_eos() >= 0 else "",
                bos_token=token_text(llama.token_bos()) if llama.token_bos() >= 0 else "",
            )
        return self._formatter

    def prompt_tokens(self, messages: list[dict]) -> tuple[list[int], list[str]]:
        """Token ids of the chat-formatted prompt, and the stop strings of the template."""
        result = self.formatter(messages=messages)
        tokens = self.llama.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special,
                                     special=True)
        stop = result.stop if isinstance(result.stop, list) else [result.stop] if result.stop else []
        return tokens, stop

    def stream(self, messages: list[dict], max_tokens: int = 256,
               stats: GenerationStats | None = None) -> Iterator[str]:
        stats = stats if stats is not None else GenerationStats()
        sampling = dict(max_tokens=max_tokens, temperature=0.0, top_k=1, top_p=1.0, min_p=0.0,
                        repeat_penalty=1.0, seed=self.seed, stream=True)
        with self._lock:
            llama = self.llama
            if self.formatter is None:  # no template in the file: llama-cpp-python's own guess
                parts = llama.create_chat_completion(messages=messages, **sampling)
                texts = (p["choices"][0].get("delta", {}).get("content") for p in parts)
            else:
                tokens, stop = self.prompt_tokens(messages)
                if len(tokens) + max_tokens > self.n_ctx:
                    raise ModelError(f"the prompt needs {len(tokens) + max_tokens} tokens; the context "
                                     f"is {self.n_ctx}: raise n_ctx or use fewer evidence sentences")
                stats.prompt_tokens = len(tokens)
                parts = llama.create_completion(tokens, stop=stop, **sampling)
                texts = (p["choices"][0].get("text") for p in parts)
            for text in texts:
                if text:
                    stats.completion_tokens += 1
                    yield text


    def answer_ids(self) -> tuple[list[int], list[int]]:
        """Token ids that start a yes and a no (single-token words only)."""
        if not hasattr(self, "_answer_ids"):
            def ids(words):
                found = []
                for word in words:
                    tokens = self.llama.tokenize(word.encode("utf-8"), add_bos=False, special=False)
                    if len(tokens) == 1 and tokens[0] not in found:
                        found.append(tokens[0])
                return found
            self._answer_ids = (ids(YES_WORDS), ids(NO_WORDS))
        return self._answer_ids

    def yes_probability(self, messages: list[dict]) -> float | None:
        """P(yes) as the first token of the assistant's reply to `messages`, from one forward pass.

        The tokens shared with the previous call (the answer conversation, the judge's fixed
        words) stay in the KV cache, so a check costs only its own new tokens."""
        import numpy as np
        from llama_cpp import Llama

        with self._lock:
            if self.formatter is None:
                return None
            llama = self.llama
            tokens, _ = self.prompt_tokens(messages)
            if len(tokens) + 1 > self.n_ctx:
                return None
            yes_ids, no_ids = self.answer_ids()
            if not yes_ids or not no_ids:
                return None
            cached = llama.input_ids[: llama.n_tokens].tolist()
            keep = min(Llama.longest_token_prefix(cached, tokens), len(tokens) - 1)
            llama.n_tokens = keep
            llama.eval(tokens[keep:])
            logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(llama.n_vocab(),))  # noqa: SLF001
            return yes_share(logits, yes_ids, no_ids)


@lru_cache(maxsize=2)
def load_llama(model_path: str, threads: int, n_ctx: int, mmap: bool = False) -> LlamaGenerator:
    """One generator per model file per process."""
    return LlamaGenerator(Path(model_path), n_ctx=n_ctx, mmap=mmap, threads=threads)


@dataclass
class OpenAIGenerator:
    """Any OpenAI-compatible server (llama.cpp server, vLLM, Ollama): same prompts, same checks."""

    base_url: str
    model: str = "default"
    api_key: str = "none"
    timeout_s: float = 300.0
    seed: int = 0

    @property
    def name(self) -> str:
        return f"{self.model}@{self.base_url}"

    def warm(self) -> None:
        """Nothing to load here: the server holds the model."""

    def yes_probability(self, messages: list[dict]) -> float | None:
        """Not asked of a server: the rule checks alone decide (servers differ in logprob support)."""
        return None

    def stream(self, messages: list[dict], max_tokens: int = 256,
               stats: GenerationStats | None = None) -> Iterator[str]:
        import json

        import httpx

        stats = stats if stats is not None else GenerationStats()
        url = self.base_url.rstrip("/")
        url = url if url.endswith("/v1") else url + "/v1"
        body = {"model": self.model, "messages": messages, "stream": True, "max_tokens": max_tokens,
                "temperature": 0.0, "top_p": 1.0, "seed": self.seed,
                "stream_options": {"include_usage": True}}
        headers = {"Authorization": f"Bearer {self.api_key}"}
        try:
            with httpx.stream("POST", f"{url}/chat/completions", json=body, headers=headers,
                              timeout=self.timeout_s) as response:
                if response.status_code != 200:
                    response.read()
                    raise ModelError(f"LLM server {self.base_url} answered HTTP {response.status_code}: "
                                     f"{response.text[:200]}")
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    event = json.loads(data)
                    usage = event.get("usage") or {}
                    if usage:
                        stats.prompt_tokens = usage.get("prompt_tokens", stats.prompt_tokens)
                    for choice in event.get("choices") or []:
                        text = (choice.get("delta") or {}).get("content")
                        if text:
                            stats.completion_tokens += 1
                            yield text
        except httpx.HTTPError as exc:
            raise ModelError(f"cannot reach the LLM server {self.base_url} ({exc}); "
                             "check --llm-url") from None
