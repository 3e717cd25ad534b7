"""--positions adaptive on the embedded local judge, against public human labels.

Run with `make bench-adaptive` (or `python benchmarks/adaptive_local.py --items 60 [--prompt NAME]`).
It needs the embedded judge's model (`make install`); on a 2-core machine 60 items take about 20
minutes per prompt (`--work DIR` keeps the answers, so a rerun with other thresholds costs nothing).

The N shortest pairs of datasets/mt_bench_human_200.jsonl (MT-Bench human judgments, counted in
characters of question and answers, to keep CPU time down) are judged once under `--positions
swap` exactly as `judgekit eval` does with no judge given (local/qwen2.5-coder-1.5b, verdict
probabilities), with its prompt (pairwise/direct) or the one `--prompt` names. Every other rule
is then run through the same judge cache: `random` asks for one of the two orders swap asked
for, and `adaptive` for the same first call plus the other order when unsure, so their answers
are swap's own and cost no new model time. What each rule would
have paid is the number of distinct judge calls it needed (the run's `judgments.jsonl`).

For each rule: calls per item, the share of swap's verdicts it reproduces, and agreement with the
human label (ties counted as disagreement, as `summary.human.agreement` does). Printed as a
Markdown table and written to bench-results/adaptive_local-PROMPT.json. A benchmark, not a test.

Sixty items make one run's figures noisy (one item is 1.7 points), and the seed decides which
order each item is judged in first. So every adaptive threshold is also replayed under `--seeds`
other seeds from swap's stored answers, with the same functions a run and `judgekit report` use
(`AdaptiveRule.first_call`, `wants_other_order`, `adaptive_outcome`): the table's last columns
give the mean and the range over those seeds. No model call is made for them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from judgekit.metrics.adaptive import AdaptiveRule, adaptive_outcome
from judgekit.schema import Judgment

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "datasets" / "mt_bench_human_200.jsonl"
HUMAN_VERDICT = {1: "A", 2: "B"}


def shortest_pairs(path: Path, items: int) -> dict[str, str]:
    """Write the N shortest labelled pairs to `path`; return the human verdict per item id."""
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows.sort(key=lambda row: len(row["input"]) + len(row["output_1"]) + len(row["output_2"]))
    chosen = rows[:items]
    path.write_text("".join(json.dumps(row) + "\n" for row in chosen), encoding="utf-8")
    return {row["id"]: HUMAN_VERDICT.get(row["label"], "tie") for row in chosen}


def judge(data: Path, out: Path, env: dict[str, str], extra: list[str]) -> tuple[dict[str, str | None], int]:
    """Run `judgekit eval`; return each item's verdict and the number of distinct judge calls."""
    command = [sys.executable, "-m", "judgekit", "eval", str(data), "-q", "--out", str(out), "--fresh", *extra]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):  # 1: a gate or a warning-as-failure, the verdicts are still there
        raise SystemExit(f"judgekit eval {' '.join(extra)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    outcomes = [json.loads(line) for line in (out / "outcomes.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = [json.loads(line) for line in (out / "judgments.jsonl").read_text(encoding="utf-8").splitlines()]
    calls = len({(row["item_id"], row["call"]) for row in rows if row.get("role", "judge") == "judge"})
    return {entry["item_id"]: entry.get("verdict") for entry in outcomes}, calls


def share(matches: list[bool]) -> float:
    return sum(matches) / len(matches) if matches else 0.0


def swap_rows(run: Path) -> dict[str, dict[str, Judgment]]:
    """Swap's stored judge rows per item, keyed by call ("AB", "BA")."""
    rows: dict[str, dict[str, Judgment]] = {}
    for line in (run / "judgments.jsonl").read_text(encoding="utf-8").splitlines():
        row = Judgment.model_validate_json(line)
        if row.role == "judge":
            rows.setdefault(row.item_id, {})[row.call] = row
    return rows


def replay(
    rows: dict[str, dict[str, Judgment]], swap: dict[str, str | None], threshold: float, seeds: int
) -> dict[str, Any]:
    """Calls per item and swap's verdicts kept by adaptive at `threshold`, under seeds 1..N."""
    calls: list[float] = []
    kept: list[float] = []
    for seed in range(1, seeds + 1):
        rule = AdaptiveRule(threshold=threshold, seed=seed)
        made = 0
        matches = []
        for item_id, orders in rows.items():
            first_call = rule.first_call(item_id)
            judged = {first_call: orders[first_call]}
            if rule.wants_other_order(orders[first_call]):
                judged = dict(orders)
            made += len(judged)
            outcome = adaptive_outcome(item_id, judged, rule, None)
            matches.append(outcome.verdict == swap.get(item_id))
        calls.append(made / len(rows))
        kept.append(share(matches))
    return {
        "seeds": seeds,
        "calls_per_item_mean": round(sum(calls) / seeds, 4),
        "calls_per_item_range": [round(min(calls), 4), round(max(calls), 4)],
        "swap_verdicts_recovered_mean": round(sum(kept) / seeds, 4),
        "swap_verdicts_recovered_range": [round(min(kept), 4), round(max(kept), 4)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.5, 0.6, 0.7, 0.75, 0.8, 0.9])
    parser.add_argument(
        "--prompt", default="pairwise/direct", help="the judge template (the embedded judge's own by default)"
    )
    parser.add_argument("--output", type=Path, help="default: bench-results/adaptive_local-PROMPT.json")
    parser.add_argument("--work", type=Path, help="keep the runs and the judge cache here (a rerun reuses the answers)")
    parser.add_argument("--seeds", type=int, default=40, help="replay each threshold under this many other seeds")
    args = parser.parse_args()
    output = args.output or ROOT / "bench-results" / f"adaptive_local-{args.prompt.replace('/', '-')}.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANTHROPIC_", "JUDGEKIT_"))}
    with tempfile.TemporaryDirectory() as directory:
        work = args.work or Path(directory)
        work.mkdir(parents=True, exist_ok=True)
        env["JUDGEKIT_CACHE_DIR"] = str(work / "cache")
        human = shortest_pairs(work / "pairs.jsonl", args.items)
        rules = [("swap", ["--positions", "swap"]), ("random", ["--positions", "random"])]
        rules += [(f"adaptive {t:g}", ["--positions", "adaptive", "--swap-below", str(t)]) for t in args.thresholds]
        verdicts: dict[str, dict[str, str | None]] = {}
        entries: list[dict[str, Any]] = []
        for name, extra in rules:
            prompt = ["--prompt", args.prompt, "--score-method", "logprobs"]
            verdicts[name], calls = judge(work / "pairs.jsonl", work / name.replace(" ", "-"), env, [*prompt, *extra])
            entries.append({"rule": name, "calls": calls})
            print(f"{name}: {calls} calls", file=sys.stderr)
        stored = swap_rows(work / "swap")
    swap = verdicts["swap"]
    for entry in entries:
        got = verdicts[entry["rule"]]
        entry["calls_per_item"] = round(entry["calls"] / len(human), 4)
        entry["swap_verdicts_recovered"] = round(share([got.get(key) == swap.get(key) for key in human]), 4)
        entry["agreement_with_humans"] = round(share([got.get(key) == human[key] for key in human]), 4)
        if entry["rule"].startswith("adaptive ") and args.seeds > 0:
            threshold = float(entry["rule"].split()[1])
            entry["other_seeds"] = replay(stored, swap, threshold, args.seeds)
    print(table(entries, len(human), args.prompt))
    output.parent.mkdir(parents=True, exist_ok=True)
    payload = {"items": len(human), "prompt": args.prompt, "rules": entries}
    output.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"(written to {output})", file=sys.stderr)
    return 0


def table(entries: list[dict[str, Any]], items: int, prompt: str) -> str:
    lines = [
        f"{items} shortest MT-Bench human-labelled pairs, embedded judge (local/qwen2.5-coder-1.5b, {prompt}, "
        "logprobs).",
        "",
        "| order | calls | calls per item | full-swap verdicts recovered | agreement with humans "
        "| other seeds: calls per item | other seeds: recovered |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for entry in entries:
        other = entry.get("other_seeds")
        spread = ["-", "-"]
        if other is not None:
            low, high = other["calls_per_item_range"]
            spread[0] = f"{other['calls_per_item_mean']:.2f} ({low:.2f}-{high:.2f})"
            low, high = other["swap_verdicts_recovered_range"]
            spread[1] = f"{other['swap_verdicts_recovered_mean']:.1%} ({low:.1%}-{high:.1%})"
        lines.append(
            f"| {entry['rule']} | {entry['calls']} | {entry['calls_per_item']:.2f} | "
            f"{entry['swap_verdicts_recovered']:.1%} | {entry['agreement_with_humans']:.1%} | {spread[0]} | {spread[1]} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
