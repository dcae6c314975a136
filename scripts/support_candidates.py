"""Unlabelled (question, claim, sentence) rows from real model answers, for hand labelling.

    python scripts/support_candidates.py --split tune out/eval_tune/answers.jsonl ... > rows.jsonl

For every claim of every answer (refused ones too: their draft claims were checked): the
sentences it cites, and up to `--others` further evidence sentences of the same article, so
the set holds near misses the model did not cite as well as its own citations. A person then
sets `supported` (does the sentence, with what it leans on, say the claim?) in each row.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    from rag.citations import split_claims
    from rag.mentions import strip_annotations

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("answers", nargs="+", type=Path)
    parser.add_argument("--split", required=True, choices=("tune", "test"))
    parser.add_argument("--others", type=int, default=1)
    parser.add_argument("--seeds", type=Path, default=Path("out/corpus_all"))
    args = parser.parse_args()
    from rag.corpus import load_corpus

    texts = {a.source: a.text for a in load_corpus(args.seeds)}
    seen = set()
    for path in args.answers:
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if not record.get("raw_answer") or "NOT_IN_ARTICLES" in record["raw_answer"]:
                continue
            evidence = {e["n"]: e for e in record.get("evidence", [])}
            claims = split_claims(strip_annotations(record["raw_answer"], record["lang"]))
            for claim in claims:
                picked = [n for n in claim.cited if n in evidence]
                articles = {evidence[n]["article"] for n in picked}
                picked += [n for n in evidence if n not in picked and evidence[n]["article"] in articles][
                    : args.others]
                for n in picked:
                    item = evidence[n]
                    key = (claim.text, item["article"], item["start"])
                    if key in seen or not claim.text.strip():
                        continue
                    seen.add(key)
                    print(json.dumps({
                        "id": f"{record['id']}-{len(seen)}", "split": args.split, "question": record["question"],
                        "claim": claim.text, "cited": n in claim.cited, "article": item["article"],
                        "start": item["start"], "end": item["end"],
                        "context_start": item.get("context_start", item["start"]), "sentence": item["text"],
                        "with_context": texts[item["article"]][item.get("context_start", item["start"]):item["end"]],
                        "supported": None}, ensure_ascii=False))


if __name__ == "__main__":
    main()
