"""Evaluation over a question file in the shared format (../shared/EVAL_FORMAT.md).

Any file in that format works: questions are validated line by line and a bad
line is reported with its number. The report always holds every key, with
null where a metric does not apply (for example answer metrics in
--retrieval-only mode).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from rag.answer import answer_question
from rag.errors import QuestionsError
from rag.measure import percentile
from rag.stages import Stages

LANGUAGES = ("nl", "en")
METRIC_KEYS = (
    "n", "hit_at_1", "hit_at_5", "mrr", "fact_accuracy", "citation_precision",
    "citation_coverage", "refusal_precision", "refusal_recall", "refusal_f1",
    "language_match", "ttft_p50_s", "ttft_p95_s", "total_p50_s", "total_p95_s",
    # beyond the shared format: what a user sees go wrong
    "language_purity", "checked_wrong", "answerable_refused", "unanswerable_answered",
)
RETRIEVAL_DEPTH = 10  # MRR is computed over this many passages


@dataclass(frozen=True)
class Question:
    id: str
    lang: str
    question: str
    sources: tuple[str, ...]
    facts: tuple[tuple[str, ...], ...]
    answerable: bool

    def as_json(self) -> dict:
        return {"id": self.id, "lang": self.lang, "question": self.question,
                "sources": list(self.sources), "facts": [list(g) for g in self.facts],
                "answerable": self.answerable}


def parse_questions(text: str, name: str = "questions") -> list[Question]:
    """Validate a JSON Lines question file; QuestionsError names the line and the field."""
    questions, seen = [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name} line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QuestionsError(f"{where} is not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise QuestionsError(f"{where} must be a JSON object")
        for key, kind in (("id", str), ("lang", str), ("question", str), ("answerable", bool)):
            if not isinstance(row.get(key), kind):
                raise QuestionsError(f"{where}: field {key!r} must be a {kind.__name__}")
        if row["lang"] not in LANGUAGES:
            raise QuestionsError(f"{where}: lang {row['lang']!r} must be 'nl' or 'en'")
        sources, facts = row.get("sources", []), row.get("facts", [])
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            raise QuestionsError(f"{where}: field 'sources' must be a list of file names")
        if not isinstance(facts, list) or not all(
                isinstance(g, list) and g and all(isinstance(a, str) for a in g) for g in facts):
            raise QuestionsError(f"{where}: field 'facts' must be a list of non-empty lists of strings")
        if row["id"] in seen:
            raise QuestionsError(f"{where}: id {row['id']!r} is used twice")
        if row["answerable"] and not sources:
            raise QuestionsError(f"{where}: an answerable question needs at least one source")
        seen.add(row["id"])
        questions.append(Question(row["id"], row["lang"], row["question"], tuple(sources),
                                  tuple(tuple(g) for g in facts), row["answerable"]))
    if not questions:
        raise QuestionsError(f"{name} holds no questions")
    return questions


def load_questions(path: Path) -> list[Question]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuestionsError(f"question file {path} does not exist") from None
    except UnicodeDecodeError:
        raise QuestionsError(f"question file {path} is not UTF-8") from None
    return parse_questions(text, str(path))


def first_gold_rank(passage_sources: list[str], gold: tuple[str, ...]) -> int | None:
    """1-based rank of the first passage from a gold article, None when none was retrieved."""
    for rank, source in enumerate(passage_sources, start=1):
        if source in gold:
            return rank
    return None


def retrieval_metrics(records: list[dict]) -> dict:
    """Metrics over per-question records; answer metrics stay null (filled by the full eval)."""
    metrics: dict = {key: None for key in METRIC_KEYS}
    metrics["n"] = len(records)
    ranks = [r["gold_rank"] for r in records if r["answerable"]]
    if ranks:
        metrics["hit_at_1"] = round(sum(1 for r in ranks if r == 1) / len(ranks), 4)
        metrics["hit_at_5"] = round(sum(1 for r in ranks if r is not None and r <= 5) / len(ranks), 4)
        metrics["mrr"] = round(sum(1 / r for r in ranks if r) / len(ranks), 4)
    return metrics


def holds_facts(answer: str, facts: tuple[tuple[str, ...], ...]) -> bool:
    """Every fact group has one alternative in the answer (case-insensitive, after NFKC)."""
    text = unicodedata.normalize("NFKC", answer).casefold()
    return all(any(unicodedata.normalize("NFKC", alt).casefold() in text for alt in group) for group in facts)


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def answer_metrics(records: list[dict]) -> dict:
    """All report keys over per-question records of the full evaluation."""
    metrics = retrieval_metrics(records)
    answerable = [r for r in records if r["answerable"]]
    metrics["fact_accuracy"] = _ratio(sum(r["facts_ok"] for r in answerable), len(answerable))
    shown = [c for r in records if not r["refused"] for c in r["citations"] if c["verified"]]
    metrics["citation_precision"] = _ratio(sum(c["gold"] and c["span_ok"] for c in shown), len(shown))
    claims = [ok for r in records if not r["refused"] for ok in r["claims_cited"]]
    metrics["citation_coverage"] = _ratio(sum(claims), len(claims))
    refused = [r for r in records if r["refused"]]
    correct = sum(1 for r in refused if not r["answerable"])
    unanswerable = sum(1 for r in records if not r["answerable"])
    precision, recall = _ratio(correct, len(refused)), _ratio(correct, unanswerable)
    metrics["refusal_precision"], metrics["refusal_recall"] = precision, recall
    if precision is not None and recall is not None:
        metrics["refusal_f1"] = round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
    metrics["language_match"] = _ratio(sum(r["answer_language"] == r["lang"] for r in records), len(records))
    # English answers with no Dutch word (names excepted; rag.lexicon.dutch_words)
    english = [r for r in records if r["lang"] == "en" and not r["refused"]]
    metrics["language_purity"] = _ratio(sum(not r.get("dutch_words") for r in english), len(english))
    # of the answers shown with a check mark, the share that is wrong (unanswerable, or facts missing)
    checked = [r for r in records if not r["refused"] and any(c["verified"] for c in r["citations"])]
    metrics["checked_wrong"] = _ratio(sum(not r["answerable"] or not r["facts_ok"] for r in checked), len(checked))
    metrics["answerable_refused"] = _ratio(sum(r["refused"] for r in answerable), len(answerable))
    unanswerable_records = [r for r in records if not r["answerable"]]
    metrics["unanswerable_answered"] = _ratio(sum(not r["refused"] for r in unanswerable_records),
                                              len(unanswerable_records))
    ttft = [r["ttft_s"] for r in records]
    total = [r["total_s"] for r in records]
    for name, values in (("ttft", ttft), ("total", total)):
        if values:
            metrics[f"{name}_p50_s"] = round(percentile(values, 50), 3)
            metrics[f"{name}_p95_s"] = round(percentile(values, 95), 3)
    return metrics


def run_answer_eval(stages: Stages, questions: list[Question]) -> list[dict]:
    from tqdm import tqdm

    from rag.language import detect_language
    from rag.lexicon import dutch_words, harvest_proper_nouns

    # a name that starts an answer's sentence ("Harbers expects ...") is the corpus's name, not Dutch
    names = harvest_proper_nouns([a.text for a in stages.index.articles.values()])
    records = []
    for question in tqdm(questions, desc="eval", unit="q"):
        answer = answer_question(stages, question.question, k=RETRIEVAL_DEPTH)
        timings = answer.timings
        citations = []
        for citation in answer.citations:
            item = citation.as_json()
            article = citation.evidence.article
            item["gold"] = article.source in question.sources
            item["span_ok"] = article.text[item["start"]:item["end"]] == item["quote"]
            citations.append(item)
        claims_cited = [any(c.claim == i and c.verified for c in answer.citations) for i in range(len(answer.claims))]
        first = timings["first_token_ms"] if timings["first_token_ms"] is not None else timings["total_ms"]
        records.append({
            **question.as_json(),
            "answer": answer.text,
            "raw_answer": answer.raw,
            "refused": answer.refused,
            "refusal_reason": answer.refusal_reason,
            "refusal_detail": answer.refusal_detail,
            "answer_language": detect_language(answer.text),
            "dutch_words": [] if answer.refused or question.lang != "en" else dutch_words(answer.text, names),
            "facts_ok": (not answer.refused) and holds_facts(answer.text, question.facts),
            "citations": citations,
            "claims_cited": claims_cited,
            "claims": [c.text for c in answer.claims],
            "evidence": [e.as_json() for e in answer.evidence],
            "gold_rank": first_gold_rank([p.article.source for p in answer.passages], question.sources)
            if question.answerable else None,
            "timings": timings,
            "ttft_s": round(first / 1000, 3),
            "total_s": round(timings["total_ms"] / 1000, 3),
        })
    return records


def run_retrieval_eval(stages: Stages, questions: list[Question], mode: str | None = None) -> list[dict]:
    from tqdm import tqdm

    records = []
    known = {a.source for a in stages.index.articles.values()}
    for question in tqdm(questions, desc="retrieval eval", unit="q", leave=False):
        started = time.perf_counter()
        passages = stages.retriever.search(question.question, k=RETRIEVAL_DEPTH, mode=mode)
        elapsed = time.perf_counter() - started
        sources = [p.article.source for p in passages]
        records.append({
            **question.as_json(),
            "unknown_sources": sorted(set(question.sources) - known),
            "retrieved": [{"article": p.article.source, "start": p.chunk.start, "end": p.chunk.end,
                           "score": round(p.score, 6)} for p in passages],
            "gold_rank": first_gold_rank(sources, question.sources) if question.answerable else None,
            "retrieve_s": round(elapsed, 4),
        })
    return records


def build_report(records: list[dict], settings: dict, full: bool = False) -> dict:
    metrics = answer_metrics if full else retrieval_metrics
    report = {"overall": metrics(records)}
    for lang in LANGUAGES:
        report[lang] = metrics([r for r in records if r["lang"] == lang])
    report["settings"] = settings
    return report


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fmt(value) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def render_markdown(report: dict, records: list[dict], plots: list[str]) -> str:
    lines = ["# Evaluation report", "", f"Questions: {report['overall']['n']}", "",
             "| metric | overall | nl | en |", "| --- | --- | --- | --- |"]
    for key in METRIC_KEYS:
        lines.append(f"| {key} | " + " | ".join(_fmt(report[g][key]) for g in ("overall", *LANGUAGES)) + " |")
    def badness(r: dict) -> tuple:
        wrong = (r["answerable"] and not r.get("facts_ok", True)) or (not r["answerable"] and not r.get("refused", True))
        return (not wrong, -(r["gold_rank"] or (RETRIEVAL_DEPTH + 1 if r["answerable"] else 0)))

    worst = sorted(records, key=badness)[:10]
    lines += ["", "## Worst questions", "", "| id | lang | gold rank | refused | answer | question |",
              "| --- | --- | --- | --- | --- | --- |"]
    for r in worst:
        cells = [r["question"], r.get("answer", "")]
        question, answer = (c.replace("|", "\\|").replace("\n", " ")[:160] for c in cells)
        lines.append(f"| {r['id']} | {r['lang']} | {r['gold_rank'] or ('miss' if r['answerable'] else '–')} "
                     f"| {r.get('refused', '–')} | {answer} | {question} |")
    impure = [r for r in records if r.get("dutch_words")]
    if impure:
        lines += ["", "## Dutch words in English answers", "", "| id | Dutch words |", "| --- | --- |"]
        lines += [f"| {r['id']} | {', '.join(r['dutch_words'])} |" for r in impure]
    lines += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots]
    lines += ["", "## Settings", "", "```json", json.dumps(report["settings"], indent=2), "```", ""]
    return "\n".join(lines)


def plot_report(report: dict, records: list[dict], out_dir: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    keys = [k for k in METRIC_KEYS[1:11] if report["overall"][k] is not None]
    if keys:
        fig, ax = plt.subplots(figsize=(8, 4))
        width = 0.8 / len(LANGUAGES)
        for i, lang in enumerate(LANGUAGES):
            values = [report[lang][k] or 0 for k in keys]
            ax.bar([x + i * width for x in range(len(keys))], values, width, label=lang)
        ax.set_xticks([x + width / 2 for x in range(len(keys))], keys, rotation=30, ha="right")
        ax.set_ylim(0, 1.05)
        ax.set_title("metrics per language")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out_dir / "metrics_by_language.png", dpi=100)
        plt.close(fig)
        names.append("metrics_by_language.png")
    fig, ax = plt.subplots(figsize=(8, 4))
    timing = "total_s" if all("total_s" in r for r in records) else "retrieve_s"
    ax.bar(range(len(records)), [r.get(timing) or 0 for r in records],
           color=["tab:blue" if r["lang"] == "nl" else "tab:orange" for r in records])
    ax.set_xlabel("question")
    ax.set_ylabel(f"{timing} (s)")
    ax.set_title("latency per question (blue nl, orange en)")
    fig.tight_layout()
    fig.savefig(out_dir / "latency_per_question.png", dpi=100)
    plt.close(fig)
    names.append("latency_per_question.png")
    return names


def write_report(records: list[dict], report: dict, out_dir: Path) -> None:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _atomic_write(out_dir / "answers.jsonl", "".join(
        json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode())
    _atomic_write(out_dir / "report.json", json.dumps(report, indent=2, ensure_ascii=False).encode())
    plots = plot_report(report, records, out_dir)
    _atomic_write(out_dir / "report.md", render_markdown(report, records, plots).encode())

