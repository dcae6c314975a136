"""Split articles into sentence-aware, paragraph-respecting chunks with exact offsets.

Invariant relied on everywhere: `article.text[chunk.start:chunk.end] == chunk.text`,
and every sentence span lies inside its chunk. Citations and highlights later
point at single sentences, so their offsets are kept too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.corpus import Article

PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# a sentence end inside a quoted passage that the splitter kept whole:
# "... handelen. Niet voor Europa ..." -> two sentences
INNER_SENTENCE_END = re.compile(r"(?<=[a-z0-9%)][.!?])\s+(?=[\"'„“‘]?[A-Z])")
QUOTE_OPENERS = "\"'„“‘«"
# a short line without a sentence end is a section heading: it belongs to what follows
HEADING_MAX_CHARS = 60


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    id: str  # "<article id>:<start>-<end>": stable while the article text is unchanged
    article_id: str
    text: str
    start: int
    end: int
    sentences: tuple[Span, ...]  # absolute offsets in the article text


@lru_cache(maxsize=4)
def _segmenter(language: str):
    from sentencex import segment

    return lambda text: segment(language, text)


def paragraph_spans(text: str) -> list[Span]:
    """Non-empty paragraphs (blank-line separated), trimmed of surrounding whitespace."""
    spans, cursor = [], 0
    for match in [*PARAGRAPH_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[cursor:end]
        stripped = piece.strip()
        if stripped:
            start = cursor + piece.index(stripped[0])
            spans.append(Span(start, start + len(stripped)))
        cursor = match.end() if match else len(text)
    return spans


def sentence_spans(text: str, paragraph: Span, language: str = "nl") -> list[Span]:
    """Sentences of one paragraph, as absolute spans with no surrounding whitespace."""
    body = text[paragraph.start:paragraph.end]
    spans, cursor = [], 0
    for piece in _segmenter(language)(body):
        stripped = piece.strip()
        if not stripped:
            continue
        found = body.find(stripped, cursor)
        if found < 0:  # the splitter changed the text: fall back to the rest as one sentence
            rest = body[cursor:].strip()
            if rest:
                found = body.index(rest, cursor)
                spans.append(Span(paragraph.start + found, paragraph.start + found + len(rest)))
            cursor = len(body)
            break
        spans.extend(_split_quoted(body, found, found + len(stripped), paragraph.start))
        cursor = found + len(stripped)
    tail = body[cursor:].strip()
    if tail:
        found = body.index(tail, cursor)
        spans.append(Span(paragraph.start + found, paragraph.start + found + len(tail)))
    return spans


def _split_quoted(body: str, start: int, end: int, offset: int) -> list[Span]:
    """Split a quoted multi-sentence passage that the sentence splitter kept whole."""
    piece = body[start:end]
    if piece[0] not in QUOTE_OPENERS:
        return [Span(offset + start, offset + end)]
    spans, cursor = [], 0
    for match in INNER_SENTENCE_END.finditer(piece):
        spans.append(Span(offset + start + cursor, offset + start + match.start()))
        cursor = match.end()
    spans.append(Span(offset + start + cursor, offset + end))
    return spans


def _is_heading(text: str, span: Span) -> bool:
    line = text[span.start:span.end]
    return "\n" not in line and len(line) <= HEADING_MAX_CHARS and line[-1] not in ".!?\"”’'"


def chunk_article(article: Article, chunk_size: int = 700, chunk_overlap: int = 1) -> list[Chunk]:
    """Pack whole sentences into chunks of about `chunk_size` characters.

    Short paragraphs are packed together (a heading always joins the paragraph
    after it); a paragraph never shares a chunk with part of another, and a long
    paragraph is split at sentence ends, repeating `chunk_overlap` sentences.
    """
    text = article.text
    groups: list[list[Span]] = []  # the sentences of each chunk
    current: list[Span] = []
    for span, sentences, glued in _paragraph_units(text):
        para_len = span.end - span.start
        used = current[-1].end - current[0].start + 2 if current else 0
        if current and used + para_len > chunk_size:
            groups.append(current)
            current = []
        if not current or used + para_len <= chunk_size:
            if para_len <= chunk_size:
                current = current + sentences
                continue
        # a paragraph longer than a chunk: cut at sentence ends, repeating the last sentences
        fresh = -glued  # sentences not yet in an emitted chunk (a heading never stands alone)
        for sentence in sentences:
            if fresh > 0 and sentence.end - current[0].start > chunk_size:
                groups.append(current)
                current = current[-chunk_overlap:] if chunk_overlap else []
                if current and sentence.end - current[0].start > chunk_size:
                    current = []  # the overlap would only repeat the previous chunk
                fresh = 0
            current.append(sentence)
            fresh += 1
    if current:
        groups.append(current)
    return [_make_chunk(article, group) for group in groups]


def _paragraph_units(text: str) -> list[tuple[Span, list[Span], int]]:
    """Paragraphs with their sentences; a heading is glued to the paragraph after it.

    The third value counts the leading heading sentences of the unit.
    """
    units: list[tuple[Span, list[Span], int]] = []
    heading: tuple[Span, list[Span]] | None = None
    for span in paragraph_spans(text):
        sentences = sentence_spans(text, span)
        if _is_heading(text, span):
            heading = (Span(heading[0].start, span.end), heading[1] + sentences) if heading else (
                span, sentences)
            continue
        if heading:
            units.append((Span(heading[0].start, span.end), heading[1] + sentences, len(heading[1])))
            heading = None
        else:
            units.append((span, sentences, 0))
    if heading:
        units.append((heading[0], heading[1], 0))
    return units


def _make_chunk(article: Article, sentences: list[Span]) -> Chunk:
    start, end = sentences[0].start, sentences[-1].end
    return Chunk(
        id=f"{article.id}:{start}-{end}",
        article_id=article.id,
        text=article.text[start:end],
        start=start,
        end=end,
        sentences=tuple(sentences),
    )


def chunk_corpus(articles: list[Article], chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    return [c for a in articles for c in chunk_article(a, chunk_size, chunk_overlap)]
