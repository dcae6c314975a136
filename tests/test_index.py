import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter

import numpy as np
import pytest

from rag.embedding import load_embedder
from rag.errors import IndexStateError
from rag.index import build_index, load_index
from rag.pipeline import open_index, update_index
from rag.retrieval import Retriever
from rag.vectors import (
    FLAT_MAX_VECTORS,
    VectorIndexSpec,
    build_vector_index,
    choose_index_type,
    read_vector_index,
    search_vectors,
)

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


def test_damaged_search_files_are_found_at_load_and_rebuilt_by_an_update(private_index):
    from rag.pipeline import update_index

    current = (private_index.index_dir / "current").resolve()
    (current / "vectors.faiss").write_bytes((current / "vectors.faiss").read_bytes()[:5000])
    with pytest.raises(IndexStateError, match=r"damaged \(vectors.faiss cannot be read"):
        load_index(private_index.index_dir)
    report = update_index(private_index, progress=quiet)
    assert report.reused_articles == []  # the damaged version was not trusted for its vectors
    assert load_index(private_index.index_dir).faiss_index.ntotal == report.chunks
    (private_index.index_dir / "current" / "bm25" / "params.index.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexStateError, match=r"damaged \(bm25/ cannot be read"):
        load_index(private_index.index_dir)


def test_rebuild_with_other_chunking_leaves_one_version(private_index):
    settings = private_index.replace(chunk_size=300)
    report = update_index(settings, progress=quiet)
    assert len(report.embedded_articles) == 5
    versions = [p for p in private_index.index_dir.iterdir() if p.name.startswith("v-")]
    assert len(versions) == 1
    assert load_index(private_index.index_dir).manifest["chunking"]["chunk_size"] == 300


# Forks `rag index` runs on request: the interpreter, torch and the embedder load once, so a
# run is the command's own work (embedding, writing, switching) and kills land there. Reads
# one JSON list of arguments per line; answers with the child's pid, then its exit status.
INDEX_FORKER = r"""
import json, os, sys
import torch
from rag.cli import main
from rag.embedding import load_embedder
from rag.settings import load_settings

load_embedder(load_settings(models_dir=sys.argv[1])).model
torch.set_num_threads(1)  # a forked child must not wait on the parent's thread pool
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1), os.dup2(devnull, 2)
        sys.argv = ["rag", *json.loads(line)]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        os._exit(code)
    print(pid, flush=True)
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""
KILL_RUNS = 20


def kill_seed_text(run: int) -> str:
    return f" date 2025-07 Rutte bezocht Ottawa (bezoek {run}). Hij sprak met de premier over defensie."


def test_kill_9_during_index_leaves_a_loadable_index(private_index):
    """`rag index` killed with SIGKILL at 20 random (seeded) moments of an update: afterwards
    the index always loads and searches, and it is either the previous one or the complete
    new one, never a mix; a final run cleans up what the killed ones left."""
    rng = random.Random(6)
    settings, seed = private_index, private_index.seeds_dir / "005_kill.txt"
    embedder = load_embedder(settings)
    forker = subprocess.Popen([sys.executable, "-c", INDEX_FORKER, str(settings.models_dir)], cwd=REPO,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "HF_HUB_OFFLINE": "1"})
    args = json.dumps(["index", "--seeds", str(settings.seeds_dir), "--index", str(settings.index_dir),
                       "--models-dir", str(settings.models_dir)])

    def run(run_number: int, kill_after: float | None) -> tuple[int, float]:
        seed.write_text(kill_seed_text(run_number), encoding="utf-8")
        forker.stdin.write(args + "\n")
        forker.stdin.flush()
        pid, started = int(forker.stdout.readline()), time.perf_counter()
        if kill_after is not None:
            time.sleep(kill_after)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return int(forker.stdout.readline()), time.perf_counter() - started

    try:
        status, full = run(0, None)  # how long an update takes once everything is loaded
        assert status == 0
        indexed, outcomes = {"run": 0, "sha256": hashlib.sha256(seed.read_bytes()).hexdigest()}, Counter()
        for run_number in range(1, KILL_RUNS + 1):
            status, _ = run(run_number, rng.uniform(0, 1.5 * full))
            outcomes["killed" if status == -signal.SIGKILL else "finished"] += 1
            index = load_index(settings.index_dir)  # never half-written
            built = index.manifest["seeds"]["005_kill.txt"]
            if built == hashlib.sha256(seed.read_bytes()).hexdigest():
                indexed, outcomes["new"] = {"run": run_number, "sha256": built}, outcomes["new"] + 1
            else:
                assert built == indexed["sha256"]
                outcomes["previous"] += 1
            assert any(f"(bezoek {indexed['run']})" in chunk.text for chunk in index.chunks)
            assert index.faiss_index.ntotal == len(index.chunks) == len(index.embeddings) > 0
            assert Retriever(index, embedder, settings).search("Ottawa defensie", k=3)
        assert outcomes["previous"] and outcomes["new"] and outcomes["killed"], outcomes
        assert run(KILL_RUNS + 1, None)[0] == 0  # a clean run removes the leftovers of killed ones
    finally:
        forker.stdin.close()
        forker.wait(timeout=60)
    leftovers = sorted(p.name for p in settings.index_dir.iterdir() if p.name not in (".lock", "current"))
    assert len(leftovers) == 1 and leftovers[0].startswith("v-"), leftovers


# ---------------------------------------------------------------- index type by size


def test_choose_index_type_flat_small_ivf_large():
    assert choose_index_type(0, 384).kind == "flat"
    assert choose_index_type(137, 384).kind == "flat"  # the seeds
    assert choose_index_type(FLAT_MAX_VECTORS, 384).kind == "flat"
    large = choose_index_type(1_000_000, 384)
    assert large.kind == "ivf" and large.factory == f"IVF{large.nlist},Flat"
    assert 500 <= large.nlist <= 4000 and 16 <= large.nprobe < large.nlist
    assert choose_index_type(100_000, 384).kind == "ivf"
    # the threshold is on n x dim: exact search costs the same for half the vectors of twice the size
    assert choose_index_type(FLAT_MAX_VECTORS, 768).kind == "ivf"
    assert choose_index_type(2 * FLAT_MAX_VECTORS, 192).kind == "flat"
    # a forced small threshold never asks k-means for fewer than 39 points per cell
    tiny = choose_index_type(100, 384, flat_max=10)
    assert tiny.kind == "ivf" and tiny.nlist * 39 <= 100 and tiny.nprobe <= tiny.nlist
    with pytest.raises(ValueError):
        choose_index_type(10, 0)


def test_spec_round_trips_through_the_manifest():
    spec = choose_index_type(1_000_000, 384)
    assert VectorIndexSpec.from_manifest(spec.as_manifest()) == spec
    assert VectorIndexSpec.from_manifest({"type": "IndexFlatIP"}) == VectorIndexSpec("flat")  # format 1 indexes
    assert VectorIndexSpec.from_manifest(None).kind == "flat"


def exact_rows(queries, vectors, k=10):
    return np.argsort(-(queries @ vectors.T), axis=1, kind="stable")[:, :k]


def test_ivf_index_finds_exact_neighbours(tmp_path):
    """An IVF index (forced by a small threshold) over a few thousand clustered vectors,
    written and read back memory-mapped, finds each in-set query itself first and the
    exact top 10; a row filter returns only allowed rows, exactly."""
    import faiss

    rng = np.random.default_rng(0)
    centres = rng.standard_normal((40, 384)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    vectors = centres[rng.integers(0, 40, 4000)] + 0.017 * rng.standard_normal((4000, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    spec = choose_index_type(len(vectors), 384, flat_max=1000)
    assert spec.kind == "ivf"
    faiss.write_index(build_vector_index(vectors, spec, threads=1), str(tmp_path / "vectors.faiss"))
    index = read_vector_index(tmp_path / "vectors.faiss", spec)
    assert index.ntotal == 4000 and faiss.extract_index_ivf(index).nprobe == spec.nprobe
    queries = vectors[::40]  # in-set
    _, rows = search_vectors(index, spec, queries, 10)
    assert np.array_equal(rows[:, 0], np.arange(0, 4000, 40))
    exact = exact_rows(queries, vectors)
    found = np.mean([len(set(f) & set(e)) / 10 for f, e in zip(rows.tolist(), exact.tolist())])
    assert found >= 0.95
    allowed = np.arange(1, 4000, 3)
    for stored in (vectors, None):  # exact over the stored rows, or IVF with a row selector
        _, rows = search_vectors(index, spec, queries[:5], 10, allowed=allowed, stored=stored)
        assert (rows % 3 == 1).all()
    _, rows = search_vectors(index, spec, queries[:5], 10, allowed=allowed, stored=vectors)
    assert np.array_equal(rows, allowed[exact_rows(queries[:5], vectors[allowed])])


def test_manifest_records_the_index_type(private_index):
    previous = load_index(private_index.index_dir)
    assert previous.manifest["faiss"] == {"type": "flat", "factory": "Flat", "metric": "inner_product"}
    build_index(private_index, load_embedder(private_index), previous=previous, progress=quiet, flat_max=20)
    index = load_index(private_index.index_dir)
    spec = index.vector_spec
    assert index.manifest["faiss"]["type"] == "ivf" == spec.kind
    assert index.manifest["faiss"]["nprobe"] == spec.nprobe and spec.nlist >= 1
    assert type(index.faiss_index).__name__ == "IndexIVFFlat"
    assert isinstance(index.embeddings, np.memmap)
    # the retriever's dense search still ranks like exact search over the stored vectors
    query = load_embedder(private_index).embed_queries(["Wat zei Rutte over Groenland?"])
    _, rows = index.dense_search(query, 5)
    assert list(rows[0]) == list(np.argsort(-(np.asarray(index.embeddings) @ query[0]))[:5])
