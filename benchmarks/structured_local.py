"""Unscored verdicts with and without a structured verdict, on the embedded local judge.

Run with `make bench-structured` (or `python benchmarks/structured_local.py --items 20`). It needs
the embedded judge's model (`make install`) and takes a few minutes on a laptop: each call reads a
long MT-Bench prompt on the CPU.

Two runs judge the same human-labelled pairs (the N shortest of datasets/mt_bench_human_200.jsonl,
counted in characters of question and answers, to keep CPU time down; `--first` takes the first N
instead) exactly as `judgekit eval` does with no judge given (local/qwen2.5-coder-1.5b, both answer
orders, verdict probabilities), and differ in one thing:

- pattern: the embedded judge's own template, pairwise/direct, read by its [[A]] pattern;
- structured: the same template file with `structured: {field: verdict}` added to its verdict
  (and room for the JSON: 16 tokens), so the answer is held to {"verdict": "A" | "B" | "C"} by a
  llama.cpp grammar.

The same two runs are made with the tiny SmolLM2-135M-Instruct (`local/smollm2-135m`, the test
suite's model), which often fails to write the [[A]] marker: where a judge cannot follow the
format, the structured verdict is what keeps its calls from being wasted. `--judge` picks others.

For each judge and variant: judge calls, unscored calls and their reasons, items with a verdict, agreement with the
human label on those items, and wall time. Results are printed and written to
bench-results/structured.json. A benchmark, not a test: nothing here asserts a number.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "datasets" / "mt_bench_human_200.jsonl"


def structured_copy(folder: Path) -> Path:
    """pairwise/direct with a structured verdict: the same words, the answer held to JSON."""
    source = (ROOT / "prompts" / "pairwise" / "direct.jinja").read_text(encoding="utf-8")
    marker = "  choices: {A: first, B: second, C: tie}\n"
    assert marker in source and "max_tokens: 8\n" in source, "pairwise/direct changed; update this benchmark"
    text = source.replace(marker, marker + "  structured: {field: verdict}\n").replace(
        "max_tokens: 8\n", "max_tokens: 16\n"
    )
    path = folder / "direct-structured.jinja"
    path.write_text(text, encoding="utf-8")
    return path


def sample(folder: Path, items: int, first: bool) -> Path:
    """The pairs to judge, written as a JSONL file in `folder`."""
    lines = DATA.read_text(encoding="utf-8").splitlines()
    if not first:
        rows = [json.loads(line) for line in lines]
        size = [len(row["input"]) + len(row["output_1"]) + len(row["output_2"]) for row in rows]
        order = sorted(range(len(lines)), key=lambda index: (size[index], index))
        lines = [lines[index] for index in sorted(order[:items])]
    path = folder / "pairs.jsonl"
    path.write_text("\n".join(lines[:items]) + "\n", encoding="utf-8")
    return path


def judge_once(
    judge: str, name: str, prompt: str, data: Path, out: Path, items: int, threads: int | None
) -> dict[str, Any]:
    from judgekit.api import run_eval
    from judgekit.config import EvalConfig
    from judgekit.judging import embedded
    from judgekit.store.rundir import RunDir

    config = EvalConfig(
        dataset=str(data),
        judge=judge,
        prompt=prompt,
        positions=embedded.POSITIONS,
        score_method=embedded.SCORE_METHOD,
        limit=items,
        threads=threads,
        cache=False,
        out=str(out / f"{judge.replace('/', '-')}-{name}"),
    )
    started = time.perf_counter()
    result = run_eval(config)
    wall = time.perf_counter() - started
    rows = [row for row in RunDir(result.run_dir).load_judgments() if row.role == "judge"]
    unscored = [row for row in rows if row.status == "unscored"]
    human = result.summary.human
    agreement = getattr(getattr(human, "agreement", None), "value", None)
    return {
        "judge": judge,
        "variant": name,
        "judge_calls": len(rows),
        "unscored_calls": len(unscored),
        "unscored_rate": round(len(unscored) / len(rows), 4) if rows else None,
        "unscored_reasons": dict(Counter((row.reason or "").split(" (")[0] for row in unscored)),
        "items": result.summary.counts.items,
        "items_scored": result.summary.counts.scored,
        "human_agreement": None if agreement is None else round(float(agreement), 4),
        "agreement_n": getattr(human, "n", None),
        "wall_s": round(wall, 1),
    }


def main() -> None:
    from judgekit.judging import embedded

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20, help="pairs to judge (each in both orders)")
    parser.add_argument(
        "--judge",
        action="append",
        help="a local judge to measure (repeatable; default: the embedded judge and local/smollm2-135m)",
    )
    parser.add_argument("--first", action="store_true", help="the first N pairs instead of the N shortest")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for the model")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "structured.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        variants = [("pattern", "pairwise/direct"), ("structured", str(structured_copy(work)))]
        data = sample(work, args.items, args.first)
        judges = args.judge or [embedded.DEFAULT_JUDGE, "local/smollm2-135m"]
        results = [
            judge_once(judge, name, prompt, data, work, args.items, args.threads)
            for judge in judges
            for name, prompt in variants
        ]
    print(
        f"{'judge':<28} {'variant':<11} {'calls':>5} {'unscored':>8} {'rate':>6} {'scored items':>12} "
        f"{'agreement':>9} {'wall s':>7}"
    )
    for row in results:
        agreement = "-" if row["human_agreement"] is None else f"{row['human_agreement']:.3f}"
        print(
            f"{row['judge']:<28} {row['variant']:<11} {row['judge_calls']:>5} {row['unscored_calls']:>8} "
            f"{row['unscored_rate']:>6.1%} {row['items_scored']:>5} of {row['items']:<4} {agreement:>9} {row['wall_s']:>7}"
        )
        if row["unscored_reasons"]:
            print(f"{'':<40} unscored: {row['unscored_reasons']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    chosen = "first" if args.first else "shortest"
    record = {"dataset": DATA.name, "items": args.items, "chosen": chosen, "results": results}
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
