"""Shared fixtures: the real converted embedder and a real index over the seeds, built once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
# the converted default model is a cache shared with the app (made by the README's first command)
MODELS = Path(os.environ.get("RAG_TEST_MODELS_DIR", REPO / "models"))


@pytest.fixture(scope="session")
def e5_dir() -> Path:
    from rag.models import ensure_default_embedder

    return ensure_default_embedder(MODELS)


@pytest.fixture(scope="session")
def index_settings(tmp_path_factory, e5_dir):
    """Settings for an index built once over a copy of the seeds."""
    from rag.pipeline import update_index
    from rag.settings import Settings

    root = tmp_path_factory.mktemp("built")
    shutil.copytree(SEEDS, root / "seeds")
    settings = Settings(seeds_dir=root / "seeds", index_dir=root / "index", models_dir=MODELS)
    update_index(settings, progress=lambda message: None)
    return settings


@pytest.fixture(scope="session")
def pipeline(index_settings):
    from rag.pipeline import open_pipeline

    return open_pipeline(index_settings, progress=lambda message: None)


@pytest.fixture()
def seeds_copy(tmp_path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target
