"""`rag bench`, part 2: the real pipeline's first token and generation speed against
llama.cpp's own floor for the same prompt, same model, same threads (see rag.bench)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from rag.answer import ask
from rag.measure import percentile, ratio
from rag.stages import Stages

FLOOR_TG_TOKENS = 64
FLOOR_REPEATS = 2  # cold prompt evaluations per question; the floor is the fastest


class _RecordingGenerator:
    """The pipeline's own generator, noting the messages it is asked to answer (nothing else changes)."""

    def __init__(self, inner) -> None:
        self.inner, self.messages = inner, None

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def stream(self, messages, *args, **kwargs):
        self.messages = messages
        return self.inner.stream(messages, *args, **kwargs)


def common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def llama_floor(llama, tokens: list[int], generate: int = FLOOR_TG_TOKENS, repeats: int = FLOOR_REPEATS) -> dict:
    """llama.cpp's own time for `tokens` through llama-cpp-python's low-level API, cold KV cache.

    `reset()` sets the position to 0 and `eval()` first removes every cached position
    from there, so the whole prompt is evaluated; the first token is the argmax of the
    last logits (`llama_get_logits_ith`). The fastest of `repeats` cold evaluations is
    the floor (on a shared machine noise only ever adds time). Then `generate` tokens
    one at a time, greedy, after the last evaluation.
    """
    import llama_cpp

    n_vocab = llama.n_vocab()

    def greedy() -> int:
        return int(np.argmax(np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llama.ctx, -1),
                                                   shape=(n_vocab,))))

    prompt_s = []
    for _ in range(max(repeats, 1)):
        llama.reset()
        started = time.perf_counter()
        llama.eval(tokens)
        token = greedy()
        first = time.perf_counter()
        prompt_s.append(first - started)
    for _ in range(generate):
        llama.eval([token])
        token = greedy()
    done = time.perf_counter()
    return {"floor_ttft_ms": round(min(prompt_s) * 1000, 1),
            "floor_ttft_ms_each": [round(s * 1000, 1) for s in prompt_s], "floor_tg_tokens": generate,
            "floor_tg_s": round(done - first, 4), "floor_tg_tokens_per_s": round(generate / (done - first), 2)}


def bench_llm(pipeline: Stages, questions: list[str], wanted: int, say: Callable[[str], None]) -> dict:
    """ttft and generation speed of `pipeline.ask`, each question followed by its floor."""
    inner = pipeline.generator
    inner.warm()
    llama = getattr(inner, "llama", None) if hasattr(inner, "prompt_tokens") else None
    recorder = _RecordingGenerator(inner)
    recording = pipeline.with_generator(recorder)
    runs = []
    for question in questions:
        if len(runs) >= wanted:
            break
        say(f"asking: {question}")
        before = [int(t) for t in llama.input_ids[:llama.n_tokens]] if llama is not None else []
        recorder.messages, final, token_times = None, None, []
        for event in ask(recording, question):
            if event["type"] == "token":
                token_times.append(time.perf_counter())
            elif event["type"] == "answer":
                final = event["answer"]
        timings = final.timings
        run = {"question": question, "language": final.language, "refused": final.refusal_reason,
               "ttft_ms": timings.get("first_token_ms"), "prompt_tokens": timings.get("prompt_tokens"),
               "completion_tokens": timings.get("completion_tokens"), "tg_tokens_per_s": None}
        if run["ttft_ms"] is None or recorder.messages is None:
            say("  refused before the model; not counted")
            continue
        if len(token_times) > 1:  # tokens after the first, over the time since the first
            run["tg_tokens"], run["tg_s"] = len(token_times) - 1, round(token_times[-1] - token_times[0], 4)
            run["tg_tokens_per_s"] = round(run["tg_tokens"] / run["tg_s"], 2)
        if llama is not None:
            tokens, _ = inner.prompt_tokens(recorder.messages)
            run["floor_prompt_tokens"] = len(tokens)
            run["cached_prefix_tokens"] = common_prefix(before, tokens)
            run.update(llama_floor(llama, tokens))
        say(f"  ttft {run['ttft_ms']} ms (floor {run.get('floor_ttft_ms')}), "
            f"{run['tg_tokens_per_s']} tok/s (floor {run.get('floor_tg_tokens_per_s')})")
        runs.append(run)

    def p50(key: str) -> float | None:
        values = [r[key] for r in runs if r.get(key) is not None]
        return None if not values else round(percentile(values, 50), 2)

    results = {"llm": inner.name, "llm_questions": len(runs),
               "ttft_ms_p50": p50("ttft_ms"), "floor_ttft_ms_p50": p50("floor_ttft_ms"),
               "tg_tokens_per_s": p50("tg_tokens_per_s"), "floor_tg_tokens_per_s": p50("floor_tg_tokens_per_s"),
               "prompt_tokens_p50": p50("prompt_tokens"), "llm_runs": runs}
    floor_ttft = ratio(results["ttft_ms_p50"], results["floor_ttft_ms_p50"])
    floor_tg = ratio(results["tg_tokens_per_s"], results["floor_tg_tokens_per_s"])
    results["ttft_over_floor"] = None if floor_ttft is None else round(floor_ttft, 3)
    results["tg_over_floor"] = None if floor_tg is None else round(floor_tg, 3)
    return results
