"""What a cascade saves: calls, cost and verdicts against one strong judge, on a server whose confidence is known.

Run with `python benchmarks/cascade_bench.py` (`--help` for the knobs). The fake OpenAI server
plays two judges over N pairwise items whose right answer is known (and given as the human
label), each item with a difficulty d drawn uniformly from [0, 1]:

- openai/gpt-4o-mini (cheap) is right with probability 1 - 0.45 d and states exactly that
  probability for the verdict it gives (a calibrated judge: P(right | confidence c) = c);
- openai/gpt-4o (strong) is right with probability 0.95 and states 0.95.

Each setting runs `judgekit eval` as a user would (log-probabilities, fixed order, no cache):
the strong judge alone, the cheap judge alone, a cascade at the default `--escalate-below`, and a
cascade with `--target-agreement 0.9` (thresholds whose disagreement bound on the calibration
half is at most 0.1, at the default `--error-level 0.1`). Reported per setting: calls per judge
and cost at the built-in prices (from the run's summary, which for a cascade adds up its
stages), coverage, accuracy against the known answers, and the share of the strong judge's
verdicts the setting recovers (on the items both gave a verdict); for the target setting, each
stage's threshold, the calibration items it kept and the bound, and the held-apart coverage and
agreement. Results are printed and written to bench-results/cascade.json. Nothing here asserts
a number.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHEAP, STRONG = "openai/gpt-4o-mini", "openai/gpt-4o"


def items(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    made = []
    for index in range(n):
        truth = rng.choice("AB")
        made.append(
            {
                "id": f"item-{index}",
                "question": f"Item {index}: which answer is right?",
                "answer_a": f"answer one of item {index}",
                "answer_b": f"answer two of item {index}",
                "human_label": truth,
                "difficulty": rng.random(),
            }
        )
    return made


def responder(data: list[dict[str, Any]], seed: int) -> Any:
    from judgekit.testing.server import FakeRequest, Reply

    def respond(request: FakeRequest) -> Reply:
        found = re.search(r"Item (\d+):", request.prompt)
        assert found is not None
        row = data[int(found.group(1))]
        strong = request.model == "gpt-4o"
        right = 0.95 if strong else 1 - 0.45 * row["difficulty"]
        draw = random.Random(f"{seed}:{request.model}:{row['id']}").random()
        truth = row["human_label"]
        verdict = truth if draw < right else ("B" if truth == "A" else "A")
        other = "B" if verdict == "A" else "A"
        return Reply(f"Weighed both.\n[[{verdict}]]", at=verdict, distribution={verdict: right, other: 1 - right})

    return respond


def run_setting(name: str, args: list[str], data_path: Path, work: Path) -> dict[str, Any]:
    from typer.testing import CliRunner

    from judgekit.cli import app
    from judgekit.metrics.outcomes import from_run_dir

    out = work / name
    base = ["eval", str(data_path), "--score-method", "logprobs", "--positions", "fixed", "--no-cache"]
    result = CliRunner().invoke(app, [*base, *args, "--out", str(out), "-q", "--format", "json"])
    if result.exit_code not in (0, 1):
        raise SystemExit(f"{name}: exit {result.exit_code}: {result.output[-2000:]}")
    run_dir = out / "cascade" if (out / "cascade.json").exists() else out
    judged = from_run_dir(run_dir)
    verdicts = {outcome.item_id: outcome.verdict for outcome in judged.outcomes if outcome.status == "ok"}
    row: dict[str, Any] = {"setting": name, "verdicts": verdicts}
    summary = json.loads(result.stdout)  # a cascade's summary counts the calls its stages made
    stages = summary.get("stages") or [{"judge": args[1], "calls": summary["counts"]["calls"]}]
    row["calls"] = {stage["judge"]: stage["calls"] for stage in stages}
    row["cost_usd"] = (summary.get("cost") or {}).get("usd", 0.0)
    if (out / "cascade.json").exists():
        record = json.loads((out / "cascade.json").read_text())
        if record.get("target"):
            row["target"] = record["target"]
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=ROOT / "bench-results" / "cascade.json")
    args = parser.parse_args()
    from judgekit.testing.server import FakeProvider

    data = items(args.items, args.seed)
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "ANTHROPIC_", "JUDGEKIT_")):
            del os.environ[name]
    truth = {row["id"]: row["human_label"] for row in data}
    rows = []
    with tempfile.TemporaryDirectory() as directory, FakeProvider(responder(data, args.seed)) as server:
        work = Path(directory)
        os.environ.update(OPENAI_BASE_URL=server.openai_url, OPENAI_API_KEY="bench-key")
        os.environ["JUDGEKIT_CACHE_DIR"] = str(work / "cache")
        data_path = work / "items.jsonl"
        data_path.write_text("".join(json.dumps(row) + "\n" for row in data))
        settings = {
            "strong only": ["-j", STRONG],
            "cheap only": ["-j", CHEAP],
            "cascade, escalate below 0.8": ["--cascade", f"{CHEAP},{STRONG}"],
            "cascade, target agreement 0.9": ["--cascade", f"{CHEAP},{STRONG}", "--target-agreement", "0.9"],
        }
        for name, options in settings.items():
            server.reset_records()
            row = run_setting(name, options, data_path, work)
            row["server_calls"] = dict(Counter(record.request.model for record in server.recorded))
            rows.append(row)
    strong = rows[0]["verdicts"]
    lines = [
        f"{'setting':32} {'calls (cheap/strong)':>21} {'cost $':>9} {'coverage':>9} {'accuracy':>9} {'strong kept':>11}"
    ]
    for row in rows:
        verdicts = row.pop("verdicts")
        right = sum(verdict == truth[item] for item, verdict in verdicts.items())
        both = [item for item in verdicts if item in strong]
        row["coverage"] = len(verdicts) / len(data)
        row["accuracy"] = right / len(verdicts) if verdicts else None
        row["strong_recovered"] = sum(verdicts[item] == strong[item] for item in both) / len(both) if both else None
        calls = row["server_calls"]
        lines.append(
            f"{row['setting']:32} {calls.get('gpt-4o-mini', 0):>10}/{calls.get('gpt-4o', 0):<10} "
            f"{row['cost_usd']:>9.5f} {row['coverage']:>9.3f} {row['accuracy'] or 0:>9.3f} "
            f"{row['strong_recovered'] or 0:>11.3f}"
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"items": len(data), "seed": args.seed, "rows": rows}, indent=2) + "\n")
    lines.extend(_target_lines(rows))
    print("\n".join(lines))
    print(f"\n(written to {args.output})", file=sys.stderr)
    return 0


def _target_lines(rows: list[dict[str, Any]]) -> list[str]:
    """What --target-agreement chose per stage (threshold, kept calibration items, the disagreement bound)
    and what the held-apart half measured."""
    lines = []
    for row in rows:
        target = row.get("target")
        if not target:
            continue
        stages = []
        for index, (threshold, kept, bound) in enumerate(
            zip(target["thresholds"], target["kept"], target["disagreement_bounds"], strict=True), start=1
        ):
            chosen = "none trusted" if threshold is None else f">= {threshold:.3f}, keeps {kept}, bound {bound:.3f}"
            stages.append(f"stage {index} {chosen}")
        agreement = target.get("agreement") or {}
        coverage = target.get("coverage") or {}
        lines.append(
            f"{row['setting']}: error level {target['error_level']:g} ({target['stage_error_level']:g} per stage), "
            f"{target['calibration_items']} calibration items: {'; '.join(stages)}; held apart "
            f"({target['held_apart_items']} items): coverage {coverage.get('value', 0):.3f}, "
            f"agreement {agreement.get('value', float('nan')):.3f} "
            f"[{agreement.get('low', float('nan')):.3f}, {agreement.get('high', float('nan')):.3f}]"
        )
    return lines


if __name__ == "__main__":
    sys.exit(main())
