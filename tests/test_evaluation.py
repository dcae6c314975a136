import json

import pytest

from rag.errors import QuestionsError
from rag.evaluation import (
    METRIC_KEYS,
    build_report,
    first_gold_rank,
    load_questions,
    parse_questions,
    run_retrieval_eval,
    write_report,
)

from conftest import REPO

GOOD = {"id": "q1", "lang": "en", "question": "What did Rutte say about 5%?",
        "sources": ["000_6c9c2f1935e126d9.txt"], "facts": [["5%"]], "answerable": True}


def line(**changes):
    return json.dumps({**GOOD, **changes})


def test_fixed_question_file_is_valid_and_covers_the_corpus():
    questions = load_questions(REPO / "eval" / "questions.jsonl")
    answerable = [q for q in questions if q.answerable]
    assert len(questions) >= 40
    assert sum(q.lang == "nl" for q in answerable) >= 15 and sum(q.lang == "en" for q in answerable) >= 15
    assert sum(not q.answerable for q in questions) >= 10
    assert {s for q in answerable for s in q.sources} == {p.name for p in (REPO / "seeds").glob("*.txt")}


@pytest.mark.parametrize("text,message", [
    ("{not json", "line 1 is not valid JSON"),
    (line(lang="de"), "lang 'de'"),
    (line(answerable="yes"), "'answerable' must be a bool"),
    (line(facts=[[]]), "'facts'"),
    (line() + "\n" + line(), "used twice"),
    (line(sources=[]), "needs at least one source"),
    ("\n\n", "holds no questions"),
])
def test_bad_question_files_name_the_problem(text, message):
    with pytest.raises(QuestionsError, match=message):
        parse_questions(text)


def test_first_gold_rank():
    assert first_gold_rank(["a", "b", "c"], ("c",)) == 3
    assert first_gold_rank(["a"], ("z",)) is None


def test_retrieval_eval_on_any_file_in_the_format(pipeline, tmp_path):
    text = "\n".join([
        line(),
        line(id="q2", lang="nl", question="Wat zei Rutte over Groenland?",
             sources=["002_200e1bf4b43145bf.txt"], facts=[["Groenland"]]),
        line(id="q3", lang="nl", question="Wie won de Tour de France?", sources=[], facts=[],
             answerable=False),
    ])
    records = run_retrieval_eval(pipeline, parse_questions(text))
    report = build_report(records, {"mode": "hybrid"})
    write_report(records, report, tmp_path)
    saved = json.loads((tmp_path / "report.json").read_text())
    for group in ("overall", "nl", "en"):
        assert set(saved[group]) == set(METRIC_KEYS)
    assert saved["overall"]["n"] == 3 and saved["overall"]["hit_at_1"] == 1.0
    assert saved["overall"]["fact_accuracy"] is None  # retrieval only
    assert (tmp_path / "report.md").read_text().count("| hit_at_5 |") == 1
    assert (tmp_path / "metrics_by_language.png").stat().st_size > 1000
    assert len((tmp_path / "answers.jsonl").read_text().splitlines()) == 3


def test_hybrid_retrieval_meets_the_bar_on_the_fixed_questions(pipeline):
    records = run_retrieval_eval(pipeline, load_questions(REPO / "eval" / "questions.jsonl"))
    report = build_report(records, {})
    assert report["overall"]["hit_at_5"] >= 0.95
    assert report["nl"]["hit_at_5"] >= 0.90 and report["en"]["hit_at_5"] >= 0.90
