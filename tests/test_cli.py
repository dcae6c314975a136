"""The `rag` command: search, index, eval and bad input through real subprocesses (more bad input:
test_reliability.py, the bad-input matrix)."""

import json

import pytest
from click.testing import CliRunner

from rag.cli import cli

from conftest import REPO, assert_one_line_error, run_rag, where


def test_search_json(index_settings):
    result = CliRunner().invoke(cli, ["search", "What did Rutte say about 5%?", "-k", "3", "--json",
                                      *where(index_settings)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["passages"]) == 3
    first = data["passages"][0]
    assert set(first) >= {"article", "date", "start", "end", "text", "score"}
    assert first["article"] in ("000_6c9c2f1935e126d9.txt", "001_6468d39e29c3b654.txt")


def test_search_text_output(index_settings):
    result = CliRunner().invoke(cli, ["search", "Wat zei Rutte over Groenland?", *where(index_settings)])
    assert result.exit_code == 0
    assert result.stdout.startswith("1. 002_200e1bf4b43145bf.txt (2025-03)")


def test_index_json_reports_reuse(index_settings):
    result = CliRunner().invoke(cli, ["index", "--json", *where(index_settings)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["embedded_chunks"] == 0 and len(data["reused_articles"]) == 5


def test_eval_retrieval_only(index_settings, tmp_path):
    result = CliRunner().invoke(cli, ["eval", "--retrieval-only", "--questions",
                                      str(REPO / "eval" / "questions.jsonl"), "--out", str(tmp_path),
                                      "--json", *where(index_settings)])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["overall"]["hit_at_5"] >= 0.95
    assert report["settings"]["retrieval_mode"] == "hybrid"


@pytest.mark.parametrize("question,message", [
    ("", "the question is empty"),
    ("   \t  ", "the question is empty"),
    ("x" * 10_001, "the limit is 10,000"),
])
def test_bad_questions(question, message, index_settings):
    assert_one_line_error(run_rag("search", question, *where(index_settings)), message)


def test_bad_question_file(tmp_path, index_settings):
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"id": 1}\n')
    result = run_rag("eval", "--retrieval-only", "--questions", str(bad), "--out", str(tmp_path / "o"),
                     *where(index_settings))
    assert_one_line_error(result, "line 1: field 'id' must be a str")


def test_help_is_fast_and_lists_commands():
    result = run_rag("--help")
    assert result.returncode == 0
    for command in ("index", "search", "eval"):
        assert command in result.stdout
