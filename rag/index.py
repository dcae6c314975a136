"""The persisted index: FAISS vectors, chunk store, BM25 and a manifest, swapped in atomically.

Layout of an index directory:

    index/current -> v-<stamp>/      symlink, replaced atomically (os.replace)
    index/v-<stamp>/manifest.json    format version, embedder, chunking, seed hashes, versions
    index/v-<stamp>/vectors.faiss    inner-product index over normalised embeddings, exact (flat)
                                     or IVF by size (rag.vectors; type and nprobe in the manifest)
    index/v-<stamp>/embeddings.npy   the same vectors, reused by incremental updates
    index/v-<stamp>/chunks.jsonl     chunk store (text, offsets, sentence spans)
    index/v-<stamp>/sentences.jsonl  every sentence span; sentence_embeddings.npy its vectors
    index/v-<stamp>/articles.jsonl   article metadata and text (citations point into it)
    index/v-<stamp>/bm25/            bm25s index over lexical_terms(chunk)

A new version is written completely in a temp directory, renamed, and only then
`current` is switched, so a crash at any point leaves the previous index loadable.
Loading maps the vectors from disk (embeddings memory-mapped, FAISS read with its mmap
flags), so a large index costs page cache rather than process memory.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path

import numpy as np

from rag.chunking import Chunk, Span, chunk_article
from rag.corpus import Article, load_corpus
from rag.errors import IndexStateError
from rag.settings import Settings
from rag.vectors import (
    FLAT_MAX_VECTORS,
    VectorIndexSpec,
    choose_index_type,
    read_vector_index,
    search_vectors,
)

FORMAT_VERSION = 1
CURRENT = "current"
MANIFEST = "manifest.json"
LIBRARIES = ("rag-nl", "faiss-cpu", "sentence-transformers", "torch", "bm25s", "sentencex",
             "PyStemmer")


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article; evidence and citations are chosen at this grain."""

    article_id: str
    start: int
    end: int

    def text_in(self, article_text: str) -> str:
        return article_text[self.start:self.end]


@dataclass
class Index:
    """A loaded index; `load_index` has opened its BM25 and FAISS files."""

    path: Path
    manifest: dict
    articles: dict[str, Article]
    chunks: list[Chunk]
    embeddings: np.ndarray
    sentences: list[Sentence]
    sentence_embeddings: np.ndarray

    @cached_property
    def vector_spec(self) -> VectorIndexSpec:
        """The FAISS index type recorded in the manifest (older manifests: flat)."""
        return VectorIndexSpec.from_manifest(self.manifest.get("faiss"))

    @cached_property
    def faiss_index(self):
        return read_vector_index(self.path / "vectors.faiss", self.vector_spec)

    def dense_search(self, queries: np.ndarray, k: int,
                     allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the k nearest chunks per query row; `allowed` limits the rows."""
        return search_vectors(self.faiss_index, self.vector_spec, queries, k, allowed, self.embeddings)

    @cached_property
    def bm25(self):
        import bm25s

        return bm25s.BM25.load(str(self.path / "bm25"), show_progress=False, verbosity=0)


@dataclass
class BuildReport:
    path: Path
    articles: int
    chunks: int
    embedded_articles: list[str] = field(default_factory=list)
    reused_articles: list[str] = field(default_factory=list)
    embedded_chunks: int = 0
    seconds: float = 0.0


# ---------------------------------------------------------------- manifest checks


def expected_manifest(settings: Settings, embedder_name: str, fingerprint: str,
                      articles: list[Article]) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "embedder": {"name": embedder_name, "fingerprint": fingerprint},
        "chunking": {"chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap},
        "seeds": {a.source: a.sha256 for a in articles},
    }


def stale_reasons(manifest: dict, expected: dict) -> list[str]:
    """Why an index no longer matches the seeds and settings (empty list: it matches)."""
    reasons = []
    if manifest.get("format_version") != expected["format_version"]:
        return [f"index format {manifest.get('format_version')} != {expected['format_version']}"]
    built, wanted = manifest.get("embedder", {}), expected["embedder"]
    if built.get("fingerprint") != wanted["fingerprint"]:
        reasons.append(f"built with embedder {built.get('name')!r}, configured {wanted['name']!r}"
                       if built.get("name") != wanted["name"] else
                       f"embedder {wanted['name']!r} weights changed")
    for key, value in expected["chunking"].items():
        if manifest.get("chunking", {}).get(key) != value:
            reasons.append(f"built with {key}={manifest.get('chunking', {}).get(key)}, configured {value}")
    old, new = manifest.get("seeds", {}), expected["seeds"]
    reasons += [f"seed {name} is new" for name in sorted(set(new) - set(old))]
    reasons += [f"seed {name} was removed" for name in sorted(set(old) - set(new))]
    reasons += [f"seed {name} changed" for name in sorted(set(old) & set(new)) if old[name] != new[name]]
    return reasons


# ---------------------------------------------------------------- loading


def _read_jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_index(index_dir: Path) -> Index:
    """Load the current version; IndexStateError says what to run when it is missing or damaged."""
    index_dir = Path(index_dir)
    path = index_dir / CURRENT
    if not index_dir.is_dir() or not path.is_dir():
        raise IndexStateError(f"no index in {index_dir}; build it with `rag index --index {index_dir}`")
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexStateError(
                f"index in {index_dir} has format {manifest.get('format_version')}, this version "
                f"reads {FORMAT_VERSION}; rebuild it with `rag index --index {index_dir}`")
        articles = {}
        for row in _read_jsonl(path / "articles.jsonl"):
            articles[row["id"]] = Article(**row)
        chunks = [Chunk(**{**row, "sentences": tuple(Span(*s) for s in row["sentences"])})
                  for row in _read_jsonl(path / "chunks.jsonl")]
        embeddings = np.load(path / "embeddings.npy", mmap_mode="r")
        sentences = [Sentence(*row) for row in _read_jsonl(path / "sentences.jsonl")]
        sentence_embeddings = np.load(path / "sentence_embeddings.npy", mmap_mode="r")
    except IndexStateError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexStateError(
            f"index in {index_dir} is damaged ({type(exc).__name__}: {str(exc)[:120]}); "
            f"rebuild it with `rag index --index {index_dir}`") from None
    counts = manifest.get("counts", {})
    if (embeddings.shape[0] != len(chunks) or counts.get("chunks") != len(chunks)
            or sentence_embeddings.shape[0] != len(sentences) or counts.get("sentences") != len(sentences)):
        raise IndexStateError(f"index in {index_dir} is damaged (chunk and vector counts differ); "
                              f"rebuild it with `rag index --index {index_dir}`")
    for chunk in chunks:
        article = articles.get(chunk.article_id)
        if article is None or article.text[chunk.start:chunk.end] != chunk.text:
            raise IndexStateError(f"index in {index_dir} is damaged (chunk {chunk.id} does not match "
                                  f"its article); rebuild it with `rag index --index {index_dir}`")
    index = Index(path=path.resolve(), manifest=manifest, articles=articles, chunks=chunks,
                  embeddings=embeddings, sentences=sentences, sentence_embeddings=sentence_embeddings)
    check_search_files(index, index_dir)
    return index


def check_search_files(index: Index, index_dir: Path) -> None:
    """Open the FAISS and BM25 files now, so a truncated or foreign file is an IndexStateError
    here and not a library error inside the first question."""
    fix = f"rebuild it with `rag index --index {index_dir}`"
    dimension = index.manifest.get("embedder", {}).get("dimension")
    if dimension is not None and index.embeddings.shape[1] != dimension:
        raise IndexStateError(f"index in {index_dir} is damaged (vector dimension); {fix}")
    for name, opened in (("vectors.faiss", lambda: index.faiss_index), ("bm25/", lambda: index.bm25)):
        try:
            opened()
        except Exception as exc:  # noqa: BLE001 - faiss raises RuntimeError (a C++ message), bm25s anything
            raise IndexStateError(f"index in {index_dir} is damaged ({name} cannot be read, "
                                  f"{type(exc).__name__}); {fix}") from None
    vectors = index.faiss_index
    if vectors.ntotal != len(index.chunks) or vectors.d != index.embeddings.shape[1]:
        raise IndexStateError(f"index in {index_dir} is damaged (vectors.faiss holds {vectors.ntotal} vectors "
                              f"of dimension {vectors.d} for {len(index.chunks)} chunks of dimension "
                              f"{index.embeddings.shape[1]}); {fix}")


# ---------------------------------------------------------------- building


@contextlib.contextmanager
def _locked(index_dir: Path) -> Iterator[None]:
    """One writer at a time; the lock dies with its process, so a kill -9 leaves no stale lock."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _library_versions() -> dict[str, str | None]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def build_index(
    settings: Settings,
    embedder,
    previous: Index | None = None,
    progress: Callable[[str], None] | None = None,
    flat_max: int = FLAT_MAX_VECTORS,
    articles: list[Article] | None = None,
) -> BuildReport:
    """Chunk, embed and write a new index version; articles unchanged since `previous` reuse
    their chunks and vectors instead of being embedded again. The FAISS index is exact up
    to `flat_max` vectors and IVF above (`rag.vectors.choose_index_type`). `articles`: the
    seeds when the caller has read them already."""
    started = time.perf_counter()
    say = progress or (lambda message: None)
    articles = load_corpus(settings.seeds_dir, settings.max_seed_bytes) if articles is None else articles
    expected = expected_manifest(settings, embedder.name, embedder.fingerprint, articles)
    reusable = previous is not None and not stale_reasons(
        previous.manifest, {**expected, "seeds": previous.manifest.get("seeds", {})})
    old_chunks: dict[str, list[int]] = {}
    old_sentences: dict[str, list[int]] = {}
    if reusable:
        for row, chunk in enumerate(previous.chunks):
            old_chunks.setdefault(chunk.article_id, []).append(row)
        for row, sentence in enumerate(previous.sentences):
            old_sentences.setdefault(sentence.article_id, []).append(row)
    chunks: list[Chunk] = []
    sentences: list[Sentence] = []
    chunk_vectors: list[np.ndarray | None] = []
    sentence_vectors: list[np.ndarray | None] = []
    report = BuildReport(path=settings.index_dir, articles=len(articles), chunks=0)
    for article in articles:
        old = previous.articles.get(article.id) if reusable else None
        if old is not None and old.sha256 == article.sha256 and article.id in old_chunks:
            chunks += [previous.chunks[r] for r in old_chunks[article.id]]
            chunk_vectors += [np.asarray(previous.embeddings[r]) for r in old_chunks[article.id]]
            rows = old_sentences.get(article.id, [])
            sentences += [previous.sentences[r] for r in rows]
            sentence_vectors += [np.asarray(previous.sentence_embeddings[r]) for r in rows]
            report.reused_articles.append(article.source)
            continue
        new_chunks = chunk_article(article, settings.chunk_size, settings.chunk_overlap)
        chunks += new_chunks
        chunk_vectors += [None] * len(new_chunks)
        spans = sorted({span for chunk in new_chunks for span in chunk.sentences}, key=lambda s: s.start)
        sentences += [Sentence(article.id, span.start, span.end) for span in spans]
        sentence_vectors += [None] * len(spans)
        report.embedded_articles.append(article.source)
    texts = {
        "chunk": [c.text for c, v in zip(chunks, chunk_vectors) if v is None],
        "sentence": [s.text_in(_article_text(articles, s.article_id))
                     for s, v in zip(sentences, sentence_vectors) if v is None],
    }
    if texts["chunk"] or texts["sentence"]:
        say(f"embedding {len(texts['chunk'])} chunks and {len(texts['sentence'])} sentences of "
            f"{len(report.embedded_articles)} article(s)")
    dimension = embedder.dimension
    matrix = _fill(chunk_vectors, _embed_in_batches(embedder, texts["chunk"], settings), dimension)
    sentence_matrix = _fill(sentence_vectors, _embed_in_batches(embedder, texts["sentence"], settings),
                            dimension)
    manifest = {
        **expected,
        "embedder": {**expected["embedder"], "dimension": int(dimension)},
        "counts": {"articles": len(articles), "chunks": len(chunks), "sentences": len(sentences)},
        "faiss": choose_index_type(len(matrix), int(dimension), flat_max).as_manifest(),
        "bm25": {"terms": "fold + stopwords(nl,en) + snowball stems(dutch,english)"},
        "libraries": _library_versions(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    _write_version(settings.index_dir, manifest, articles, chunks, matrix, sentences, sentence_matrix,
                   threads=settings.threads)
    report.chunks, report.embedded_chunks = len(chunks), len(texts["chunk"])
    report.seconds = time.perf_counter() - started
    return report


def _article_text(articles: list[Article], article_id: str) -> str:
    return next(a.text for a in articles if a.id == article_id)


def _fill(rows: list[np.ndarray | None], embedded: np.ndarray, dimension: int) -> np.ndarray:
    """Put freshly embedded vectors into the gaps (None) of reused rows, in order."""
    fresh = iter(embedded)
    filled = [row if row is not None else next(fresh) for row in rows]
    return np.vstack(filled).astype(np.float32) if filled else np.zeros((0, dimension), np.float32)


def _embed_in_batches(embedder, texts: list[str], settings: Settings) -> np.ndarray:
    from tqdm import tqdm

    batch = max(settings.embed_batch_size, 1)
    if not texts:
        return np.zeros((0, 1), np.float32)
    parts = []
    with tqdm(total=len(texts), desc="embedding", unit="text", disable=len(texts) < 2 * batch,
              leave=False) as bar:
        for start in range(0, len(texts), batch):
            parts.append(embedder.embed_passages(texts[start:start + batch]))
            bar.update(len(parts[-1]))
    return np.vstack(parts)


def _write_version(index_dir: Path, manifest: dict, articles: list[Article], chunks: list[Chunk],
                   matrix: np.ndarray, sentences: list[Sentence], sentence_matrix: np.ndarray,
                   threads: int | None = None) -> Path:
    import bm25s
    import faiss

    from rag.text import lexical_terms
    from rag.vectors import build_vector_index

    with _locked(index_dir):
        tmp = index_dir / f".tmp-{uuid.uuid4().hex[:12]}"
        tmp.mkdir()
        _write_file(tmp / "articles.jsonl", "".join(
            json.dumps(asdict(a), ensure_ascii=False) + "\n" for a in articles).encode())
        _write_file(tmp / "chunks.jsonl", "".join(
            json.dumps({**asdict(c), "sentences": [[s.start, s.end] for s in c.sentences]},
                       ensure_ascii=False) + "\n" for c in chunks).encode())
        _write_file(tmp / "sentences.jsonl", "".join(
            json.dumps([s.article_id, s.start, s.end]) + "\n" for s in sentences).encode())
        for name, array in (("embeddings.npy", matrix), ("sentence_embeddings.npy", sentence_matrix)):
            with open(tmp / name, "wb") as handle:
                np.save(handle, array)
                handle.flush()
                os.fsync(handle.fileno())
        vector_index = build_vector_index(matrix, VectorIndexSpec.from_manifest(manifest["faiss"]),
                                          threads=threads)
        faiss.write_index(vector_index, str(tmp / "vectors.faiss"))
        retriever = bm25s.BM25()
        retriever.index([lexical_terms(c.text) or [""] for c in chunks], show_progress=False)
        retriever.save(str(tmp / "bm25"), show_progress=False)
        _write_file(tmp / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False).encode())
        _fsync_dir(tmp)
        version = index_dir / f"v-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        tmp.rename(version)
        link = index_dir / f".{CURRENT}-{uuid.uuid4().hex[:6]}"
        link.symlink_to(version.name)
        os.replace(link, index_dir / CURRENT)
        _fsync_dir(index_dir)
        _remove_old_versions(index_dir, keep=version.name)
    return version


def _remove_old_versions(index_dir: Path, keep: str) -> None:
    """Drop superseded versions and leftovers of interrupted builds (we hold the lock)."""
    for entry in index_dir.iterdir():
        if entry.name == keep:
            continue
        if entry.is_symlink() and entry.name.startswith(f".{CURRENT}-"):
            entry.unlink(missing_ok=True)
        elif entry.is_dir() and not entry.is_symlink() and entry.name.startswith(("v-", ".tmp-")):
            shutil.rmtree(entry, ignore_errors=True)
