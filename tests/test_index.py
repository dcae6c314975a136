import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from rag.embedding import load_embedder
from rag.errors import IndexStateError
from rag.index import build_index, load_index
from rag.pipeline import open_index, update_index

from conftest import REPO


def quiet(message):
    pass


class CountingEmbedder:
    """The real embedder, counting the passages it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.embedded = inner, []
        self.name, self.fingerprint, self.dimension = inner.name, inner.fingerprint, inner.dimension

    def embed_passages(self, texts):
        self.embedded += list(texts)
        return self.inner.embed_passages(texts)

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)


@pytest.fixture()
def private_index(tmp_path, index_settings):
    """A copy of the session index and seeds that a test may change."""
    shutil.copytree(index_settings.seeds_dir, tmp_path / "seeds")
    shutil.copytree(index_settings.index_dir, tmp_path / "index", symlinks=True)
    return index_settings.replace(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index")


def test_round_trip(index_settings):
    index = load_index(index_settings.index_dir)
    manifest = index.manifest
    assert manifest["format_version"] == 1
    assert manifest["embedder"]["dimension"] == 384 == index.embeddings.shape[1]
    assert manifest["counts"] == {"articles": 5, "chunks": len(index.chunks), "sentences": len(index.sentences)}
    assert set(manifest["seeds"]) == {p.name for p in index_settings.seeds_dir.glob("*.txt")}
    assert manifest["libraries"]["faiss-cpu"] and manifest["libraries"]["sentence-transformers"]
    assert index.faiss_index.ntotal == len(index.chunks)
    stored = np.vstack([index.faiss_index.reconstruct(i) for i in range(len(index.chunks))])
    assert np.allclose(stored, index.embeddings)
    for chunk in index.chunks:
        assert index.articles[chunk.article_id].text[chunk.start:chunk.end] == chunk.text


def test_stale_index_detected_after_seed_change(private_index):
    settings = private_index.replace(auto_update=False)
    embedder = load_embedder(settings)
    seed = settings.seeds_dir / "003_c836d5a4dca3fa1d.txt"
    seed.write_text(seed.read_text(encoding="utf-8") + "\n\nEen nieuwe alinea.", encoding="utf-8")
    with pytest.raises(IndexStateError, match=r"seed 003_c836d5a4dca3fa1d.txt changed.*rag index"):
        open_index(settings, embedder, quiet)


def test_changed_seed_is_updated_incrementally(private_index):
    seed = private_index.seeds_dir / "003_c836d5a4dca3fa1d.txt"
    seed.write_text(seed.read_text(encoding="utf-8") + "\n\nEen nieuwe alinea over Canada.", encoding="utf-8")
    index = open_index(private_index, load_embedder(private_index), quiet)  # auto_update is on
    assert any("Canada." in c.text for c in index.chunks)
    assert index.manifest["seeds"]["003_c836d5a4dca3fa1d.txt"] == hashlib.sha256(seed.read_bytes()).hexdigest()


def test_incremental_add_embeds_only_the_new_article(private_index):
    new = private_index.seeds_dir / "005_new.txt"
    new.write_text(" date 2025-07 Rutte bezocht Ottawa. Hij sprak met de Canadese premier over defensie.",
                   encoding="utf-8")
    counting = CountingEmbedder(load_embedder(private_index))
    previous = load_index(private_index.index_dir)
    report = build_index(private_index, counting, previous=previous, progress=quiet)
    assert report.embedded_articles == ["005_new.txt"]
    assert len(report.reused_articles) == 5
    assert counting.embedded == ["Rutte bezocht Ottawa. Hij sprak met de Canadese premier over defensie.",
                                 "Rutte bezocht Ottawa.", "Hij sprak met de Canadese premier over defensie."]
    index = load_index(private_index.index_dir)
    assert index.articles["005_new"].date == "2025-07"
    # reused vectors are the very same rows
    old = {c.id: previous.embeddings[i] for i, c in enumerate(previous.chunks)}
    for row, chunk in enumerate(index.chunks):
        if chunk.id in old:
            assert np.array_equal(index.embeddings[row], old[chunk.id])


def test_missing_and_damaged_index_errors(private_index, tmp_path):
    with pytest.raises(IndexStateError, match="no index in .*rag index"):
        load_index(tmp_path / "nowhere")
    current = private_index.index_dir / "current"
    (current / "chunks.jsonl").write_text('{"broken": ', encoding="utf-8")
    with pytest.raises(IndexStateError, match="damaged.*rag index"):
        load_index(private_index.index_dir)


def test_rebuild_with_other_chunking_leaves_one_version(private_index):
    settings = private_index.replace(chunk_size=300)
    report = update_index(settings, progress=quiet)
    assert len(report.embedded_articles) == 5
    versions = [p for p in private_index.index_dir.iterdir() if p.name.startswith("v-")]
    assert len(versions) == 1
    assert load_index(private_index.index_dir).manifest["chunking"]["chunk_size"] == 300


def test_kill_9_during_index_leaves_previous_index_loadable(private_index):
    """Kill `rag index` at several points of a full rebuild; the index must always load."""
    before = load_index(private_index.index_dir).manifest["created"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "rag.cli", "index", "--seeds", str(private_index.seeds_dir),
               "--index", str(private_index.index_dir), "--models-dir", str(private_index.models_dir)]
    # a full rebuild (other chunk size) so that embedding and writing take a while
    env["RAG_CHUNK_SIZE"] = "250"
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True, cwd=REPO)
    full = time.perf_counter() - started
    env["RAG_CHUNK_SIZE"] = "300"  # differs again, so every run rebuilds
    outcomes = set()
    for fraction in (0.3, 0.6, 0.8, 0.9, 0.97):
        env["RAG_CHUNK_SIZE"] = str(300 + int(fraction * 100))
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(full * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait()
        index = load_index(private_index.index_dir)  # never half-written
        outcomes.add(index.manifest["chunking"]["chunk_size"])
        assert index.faiss_index.ntotal == len(index.chunks) > 0
    assert outcomes  # each run left a loadable index (old or new)
    assert before != load_index(private_index.index_dir).manifest["created"]
