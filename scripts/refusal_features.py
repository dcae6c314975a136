"""Print the evidence signals of every fixed question, to calibrate `min_similarity` (rag/refusal.py).

    python scripts/refusal_features.py [eval/questions.jsonl]

For each question: the best evidence score (dense + lexical), its dense and lexical parts,
and whether the question is answerable. The threshold is set between the two groups.
"""

import sys
from pathlib import Path

from rag.evaluation import load_questions
from rag.evidence import gather_evidence
from rag.pipeline import open_pipeline
from rag.settings import load_settings


def main() -> None:
    questions = load_questions(Path(sys.argv[1] if len(sys.argv) > 1 else "eval/questions.jsonl"))
    pipeline = open_pipeline(load_settings())
    rows = []
    for q in questions:
        passages = pipeline.search(q.question, k=10)
        evidence = gather_evidence(q.question, passages, pipeline.sentences, pipeline.embedder, pipeline.settings)
        best = max(evidence, key=lambda e: e.score)
        rows.append((best.score, max(e.dense for e in evidence), max(e.lexical for e in evidence),
                     q.answerable, q.id, q.question))
    for score, dense, lexical, answerable, qid, text in sorted(rows):
        print(f"{score:.3f} dense {dense:.3f} lex {lexical:.2f} {'ANS' if answerable else '---'} {qid} {text}")
    lowest_answerable = min(r[0] for r in rows if r[3])
    highest_unanswerable = max((r[0] for r in rows if not r[3]), default=0.0)
    print(f"lowest answerable {lowest_answerable:.3f}, highest unanswerable {highest_unanswerable:.3f}")


if __name__ == "__main__":
    main()
