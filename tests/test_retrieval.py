import pytest

from rag.errors import QueryError
from rag.retrieval import check_date_filter, clean_question, reciprocal_rank_fusion


def test_rrf_rewards_agreement():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1, 4]], rrf_k=60)
    assert [row for row, _ in fused][:2] == [1, 3]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert {row for row, _ in fused} == {1, 2, 3, 4}


def test_rrf_of_nothing_is_empty():
    assert reciprocal_rank_fusion([[], []]) == []


def test_clean_question_rejects_bad_input():
    with pytest.raises(QueryError, match="empty"):
        clean_question("   \n\t ", 100)
    with pytest.raises(QueryError, match="limit is 10,000"):
        clean_question("a" * 10_001, 10_000)
    assert clean_question("Wat\x00 zei  Rutte?\n", 100) == "Wat zei Rutte?"


def test_date_filter_format():
    assert check_date_filter("2025") == "2025" and check_date_filter("2025-02") == "2025-02"
    with pytest.raises(QueryError, match="year"):
        check_date_filter("feb 2025")


def test_five_percent_question_finds_the_five_percent_passage(pipeline):
    passages = pipeline.search("What did Rutte say about 5%?")
    first = passages[0]
    assert first.article.source in ("000_6c9c2f1935e126d9.txt", "001_6468d39e29c3b654.txt")
    assert "5%" in first.chunk.text or "5 procent" in first.chunk.text
    assert first.dense_rank is not None and first.bm25_rank is not None


@pytest.mark.parametrize("question,source", [
    ("Wat zei Rutte over Groenland?", "002_200e1bf4b43145bf.txt"),
    ("What did Rutte say about Greenland?", "002_200e1bf4b43145bf.txt"),
    ("Waar is Mark Rutte geboren?", "004_53e9c70805fd540a.txt"),
    ("What did Kaja Kallas call a deal made behind Europe's back?", "001_6468d39e29c3b654.txt"),
])
def test_golden_first_article(pipeline, question, source):
    assert pipeline.search(question)[0].article.source == source


def test_passages_are_sorted_and_sized(pipeline):
    passages = pipeline.search("defensie-uitgaven", k=7)
    assert len(passages) == 7
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


def test_date_filter_limits_articles(pipeline):
    passages = pipeline.search("Wat zei Rutte over defensie?", k=10, date="2025-06")
    assert passages and {p.article.source for p in passages} == {"004_53e9c70805fd540a.txt"}
    assert pipeline.search("Rutte", date="2019") == []
    assert {p.article.date[:4] for p in pipeline.search("Rutte", k=10, date="2025")} == {"2025"}


@pytest.mark.parametrize("mode", ["dense", "bm25"])
def test_single_retriever_modes(pipeline, mode):
    passages = pipeline.search("Wat zei Rutte over Groenland?", mode=mode)
    assert passages[0].article.source == "002_200e1bf4b43145bf.txt"
    other = "bm25_rank" if mode == "dense" else "dense_rank"
    assert all(getattr(p, other) is None for p in passages)
