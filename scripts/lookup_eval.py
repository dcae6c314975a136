"""Citation lookup on a fixed set of quotes: found in the right article, or "not in the articles".

    python scripts/lookup_eval.py --lookups eval/lookup.jsonl --seeds out/corpus_all \
        --index out/index_all [--out out/lookup.json]

Rows: {id, lang, kind: exact|fuzzy|translated|invented, quote, article (file name or null)}.
A row passes when its article is the first match, or, for an invented quote (article null),
when there is no match at all ("closest" neighbours do not count as matches).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=Path, default=Path("eval/lookup.jsonl"))
    parser.add_argument("--seeds", type=Path, default=Path("out/corpus_all"))
    parser.add_argument("--index", type=Path, default=Path("out/index_all"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from rag.pipeline import open_pipeline
    from rag.settings import load_settings

    pipeline = open_pipeline(load_settings(seeds_dir=args.seeds, index_dir=args.index))
    rows = [json.loads(line) for line in args.lookups.read_text(encoding="utf-8").splitlines() if line.strip()]
    results, by_kind = [], {}
    for row in rows:
        found = pipeline.cite(row["quote"], limit=3)
        matches = [m for m in found if m.kind != "closest"]
        first = matches[0].article.source if matches else None
        ok = first == row["article"]
        results.append({"id": row["id"], "kind": row["kind"], "expected": row["article"], "first": first,
                        "match_kind": matches[0].kind if matches else None, "ok": ok})
        tally = by_kind.setdefault(row["kind"], [0, 0])
        tally[0] += ok
        tally[1] += 1
    report = {"passed": {k: f"{ok}/{n}" for k, (ok, n) in by_kind.items()},
              "failures": [r for r in results if not r["ok"]]}
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
