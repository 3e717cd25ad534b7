"""A stand-in judge for the README's human-anchored example: it prefers the longer answer.

Writes a copy of a pairwise data file with a `longer` column (A when answer A is longer, else
B), the verdicts a purely length-biased judge would give. On the bundled MT-Bench pairs it
agrees with the expert majority on 69.5% of the items: a weak, biased, but informative judge,
recorded as a column so that `judgekit agreement --pred longer` can use it offline.

    python examples/ppi/longer_judge.py [DATA] [OUT]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(source: str = "datasets/mt_bench_human_200.jsonl", target: str = "runs/mt-bench-longer.jsonl") -> None:
    rows = [json.loads(line) for line in Path(source).read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        first, second = row.get("answer_a", row.get("output_1", "")), row.get("answer_b", row.get("output_2", ""))
        row["longer"] = "A" if len(first) > len(second) else "B"
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    print(f"wrote {len(rows)} rows with a 'longer' verdict column to {target}", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:3])
