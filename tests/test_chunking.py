import pytest

from rag.chunking import chunk_article, paragraph_spans, sentence_spans
from rag.corpus import load_corpus, parse_article

from conftest import SEEDS

ARTICLES = load_corpus(SEEDS)


@pytest.mark.parametrize("size,overlap", [(700, 1), (300, 1), (120, 2), (5000, 0), (50, 0)])
def test_offsets_hold_for_every_chunk_and_sentence(size, overlap):
    for article in ARTICLES:
        chunks = chunk_article(article, size, overlap)
        assert chunks
        for chunk in chunks:
            assert article.text[chunk.start:chunk.end] == chunk.text
            assert chunk.sentences[0].start == chunk.start and chunk.sentences[-1].end == chunk.end
            for sentence in chunk.sentences:
                assert chunk.start <= sentence.start < sentence.end <= chunk.end
                assert article.text[sentence.start:sentence.end].strip() == \
                    article.text[sentence.start:sentence.end]


def test_chunks_never_cut_inside_a_sentence():
    for article in ARTICLES:
        ends = {s.end for p in paragraph_spans(article.text) for s in sentence_spans(article.text, p)}
        starts = {s.start for p in paragraph_spans(article.text) for s in sentence_spans(article.text, p)}
        for chunk in chunk_article(article, 200, 1):
            assert chunk.start in starts and chunk.end in ends


def test_every_sentence_is_in_some_chunk():
    for article in ARTICLES:
        covered = {s for c in chunk_article(article, 300, 1) for s in c.sentences}
        every = {s for p in paragraph_spans(article.text) for s in sentence_spans(article.text, p)}
        assert every == covered


def test_paragraphs_are_respected_and_headings_glued():
    article = parse_article("t.txt", (b"Eerste alinea met een zin. En nog een zin.\n\nKopje\n\n"
                                      b"Tweede alinea die na het kopje komt."))
    chunks = chunk_article(article, 60, 0)
    assert [c.text for c in chunks] == [
        "Eerste alinea met een zin. En nog een zin.",
        "Kopje\n\nTweede alinea die na het kopje komt.",
    ]


def test_quoted_sentences_are_split():
    text = '"Laat me duidelijk zijn, dit is niet het moment. Niet voor Europa," zei Rutte.'
    article = parse_article("q.txt", text.encode())
    spans = sentence_spans(article.text, paragraph_spans(article.text)[0])
    assert [article.text[s.start:s.end] for s in spans] == [
        '"Laat me duidelijk zijn, dit is niet het moment.', 'Niet voor Europa," zei Rutte.']


def test_long_paragraph_overlaps_by_sentences():
    text = " ".join(f"Zin nummer {i} is hier." for i in range(12))
    article = parse_article("l.txt", text.encode())
    chunks = chunk_article(article, 70, 1)
    assert len(chunks) > 2
    for first, second in zip(chunks, chunks[1:]):
        assert first.sentences[-1] == second.sentences[0]


def test_ids_are_stable_and_golden():
    article = ARTICLES[0]
    ids = [c.id for c in chunk_article(article, 700, 1)]
    assert ids == [c.id for c in chunk_article(article, 700, 1)]
    assert ids == ["000_6c9c2f1935e126d9:0-632", "000_6c9c2f1935e126d9:634-1161",
                   "000_6c9c2f1935e126d9:1163-1753", "000_6c9c2f1935e126d9:1755-2025"]
