from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.settings import Settings, load_settings


def test_precedence_defaults_toml_env_flags(tmp_path):
    config = tmp_path / "rag.toml"
    config.write_text('top_k = 7\nchunk_size = 500\nindex_dir = "from-toml"\n')
    env = {"RAG_CHUNK_SIZE": "400", "RAG_INDEX_DIR": "from-env"}
    settings = load_settings(config, env=env, index_dir=Path("from-flag"))
    assert settings.top_k == 7  # toml over default
    assert settings.chunk_size == 400  # env over toml
    assert settings.index_dir == Path("from-flag")  # flag over env
    assert settings.rrf_k == Settings().rrf_k  # default


def test_bad_values_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="top_k"):
        load_settings(env={"RAG_TOP_K": "many"})
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings(env={}, colour="blue")
    with pytest.raises(ConfigError, match="retrieval_mode"):
        load_settings(env={"RAG_RETRIEVAL_MODE": "magic"})
    bad = tmp_path / "bad.toml"
    bad.write_text("top_k = [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad, env={})


def test_settings_are_frozen():
    from dataclasses import FrozenInstanceError

    with pytest.raises(FrozenInstanceError):
        Settings().top_k = 3  # type: ignore[misc]


def test_memory_and_seed_limits_are_settings(tmp_path):
    settings = load_settings(env={"RAG_LLM_MMAP": "true", "RAG_MAX_SEED_BYTES": "5000"})
    assert settings.llm_mmap is True and settings.max_seed_bytes == 5000
    assert load_settings(env={}).llm_mmap is False  # the repacked weights are the only copy
    with pytest.raises(ConfigError, match="max_seed_bytes"):
        load_settings(env={"RAG_MAX_SEED_BYTES": "0"})


def test_a_seed_over_the_configured_limit_is_refused(seeds_copy):
    from rag.corpus import load_corpus
    from rag.errors import CorpusError
    from rag.pipeline import update_index

    biggest = max(seeds_copy.iterdir(), key=lambda p: p.stat().st_size)
    settings = load_settings(env={}, seeds_dir=seeds_copy, index_dir=seeds_copy.parent / "index",
                             max_seed_bytes=biggest.stat().st_size - 1)
    with pytest.raises(CorpusError, match=f"{biggest.name} .*setting max_seed_bytes"):
        update_index(settings, progress=lambda message: None)
    assert not (seeds_copy.parent / "index").exists()
    assert len(load_corpus(seeds_copy, biggest.stat().st_size)) == 5
