"""Read the seed articles: one UTF-8 text file per article, an optional ` date YYYY-MM ` header.

Every later offset (chunks, sentences, citations) points into `Article.text`,
so the text kept here is exactly the file's text minus the header.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from rag.errors import CorpusError

# " date 2025-02 " at the very start of the file: the publication month
DATE_HEADER = re.compile(r"\A\s*date\s+(\d{4})-(\d{2})\s+")
TITLE_MAX_CHARS = 90
# one file is one news article (the seeds are 2-4 KB, a long read ~100 KB); a bigger file is
# almost certainly not an article, and embedding it would take many minutes on two cores
MAX_SEED_BYTES = 1_000_000


@dataclass(frozen=True)
class Article:
    id: str  # file stem, e.g. "001_6468d39e29c3b654"
    source: str  # file name, e.g. "001_6468d39e29c3b654.txt"
    date: str | None  # "YYYY-MM" or None
    title: str
    text: str
    sha256: str  # of the file's bytes: what the index manifest compares


def parse_article(source: str, raw: bytes) -> Article:
    """Build an Article from a file's bytes (pure: no disk access)."""
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"seed {source} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start}); re-save it as UTF-8"
        ) from None
    content = content.removeprefix("\ufeff")
    date = None
    match = DATE_HEADER.match(content)
    if match:
        year, month = match.group(1), match.group(2)
        if not 1 <= int(month) <= 12:
            raise CorpusError(f"seed {source} has a bad date header {match.group(0).strip()!r}")
        date = f"{year}-{month}"
        content = content[match.end():]
    text = content.rstrip()
    if not text.strip():
        raise CorpusError(f"seed {source} is empty; add the article text or remove the file")
    if "\x00" in text:
        raise CorpusError(f"seed {source} contains NUL bytes; it is not a text file")
    return Article(
        id=Path(source).stem,
        source=source,
        date=date,
        title=make_title(text),
        text=text,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def make_title(text: str) -> str:
    """The articles carry no headline: use the start of the first sentence."""
    first_line = text.strip().split("\n", 1)[0]
    first = re.split(r"(?<=[.!?])\s", first_line, maxsplit=1)[0].strip()
    if len(first) <= TITLE_MAX_CHARS:
        return first
    return first[:TITLE_MAX_CHARS].rsplit(" ", 1)[0] + " …"


def seed_files(seeds_dir: Path) -> list[Path]:
    if not seeds_dir.is_dir():
        raise CorpusError(f"seeds folder {seeds_dir} does not exist; pass --seeds DIR")
    files = sorted(p for p in seeds_dir.glob("*.txt") if p.is_file())
    if not files:
        raise CorpusError(f"seeds folder {seeds_dir} has no .txt files; add articles first")
    return files


def load_corpus(seeds_dir: Path, max_bytes: int = MAX_SEED_BYTES) -> list[Article]:
    """All seed articles, sorted by file name (so ids and order are stable).

    A file over `max_bytes` is refused before it is read (CorpusError naming it)."""
    articles = []
    for path in seed_files(seeds_dir):
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise CorpusError(f"seed {path.name} is {size / 1e6:.1f} MB; a seed article may be at most "
                                  f"{max_bytes / 1e6:.1f} MB (setting max_seed_bytes): split it into one file per article")
            raw = path.read_bytes()
        except OSError as exc:
            raise CorpusError(f"cannot read seed {path}: {exc.strerror}") from None
        articles.append(parse_article(path.name, raw))
    return articles
