import pytest

from rag.corpus import load_corpus, parse_article
from rag.errors import CorpusError

from conftest import SEEDS


def test_date_header_is_parsed_and_stripped():
    article = parse_article("x.txt", b" date 2025-02 De NAVO-top in Brussel is afgelopen. Meer.")
    assert article.date == "2025-02"
    assert article.text.startswith("De NAVO-top")
    assert article.title == "De NAVO-top in Brussel is afgelopen."


def test_article_without_header_has_no_date():
    article = parse_article("y.txt", b"NAVO secretaris-generaal Mark Rutte.\n\nTweede.")
    assert article.date is None and article.id == "y" and article.source == "y.txt"


def test_seed_corpus_has_five_articles_with_dates():
    articles = load_corpus(SEEDS)
    assert [a.source for a in articles] == sorted(p.name for p in SEEDS.glob("*.txt"))
    dates = {a.id: a.date for a in articles}
    assert dates["000_6c9c2f1935e126d9"] is None
    assert dates["001_6468d39e29c3b654"] == "2025-02"
    assert dates["003_c836d5a4dca3fa1d"] == "2024-12"
    assert all(not a.text.startswith((" ", "date")) for a in articles)


def test_non_utf8_seed_is_a_clear_error():
    with pytest.raises(CorpusError, match="not valid UTF-8.*offset 3"):
        parse_article("bad.txt", b"abc\xff\xfe")


def test_empty_seed_is_a_clear_error():
    with pytest.raises(CorpusError, match="empty"):
        parse_article("empty.txt", b" \n\n ")


def test_empty_seeds_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="no .txt files"):
        load_corpus(tmp_path)
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "missing")
