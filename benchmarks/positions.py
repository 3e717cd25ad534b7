"""--positions fixed, random, swap and adaptive on the same data, against a judge whose bias is known.

Run with `make bench` (or `python benchmarks/positions.py --help`). The judge is
`judgekit.testing.judges.QualityJudge` behind the fake OpenAI-compatible server: each answer
carries a hidden quality, the judge prefers the answer shown first by `--bias` (log-odds) and
returns token log-probabilities, so the truth (the better answer) and every verdict's confidence
are known. The quality gaps are drawn from |Normal(0, --spread)| with a seed: most pairs are
easy, some are close enough for the bias to decide a single order.

Each order rule judges the same items through `judgekit eval --score-method logprobs` (no
cache, a fresh run directory); calls are counted by the server. For each it reports calls per
item (1 = a single order, 2 = full swap), the share of full swap's verdicts it reproduces, and
its agreement with the truth; the audited adaptive run also gives its own estimate of the
share of swap's verdicts it kept (`--swap-audit 0.1`). The issue's goal for adaptive: at least 95% of full swap's
verdicts for at most 1.4 calls per item. The embedded local judge on a public human-labelled set
is benchmarks/adaptive_local.py (`make bench-adaptive`; it needs the local model).

Results are printed as a Markdown table and written to bench-results/positions.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
JUDGE = "openai/biased-judge"


def make_data(path: Path, items: int, spread: float, seed: int) -> dict[str, str]:
    """Write the items; return the truth (the better answer) per item id."""
    from judgekit.testing.judges import answer_text

    rng = random.Random(seed)
    truth, lines = {}, []
    for index in range(items):
        gap = abs(rng.gauss(0.0, spread)) or 0.01
        better_first = rng.random() < 0.5
        good, weak = answer_text(f"answer {index} (stronger)", gap), answer_text(f"answer {index}", 0.0)
        item_id = f"item-{index}"
        truth[item_id] = "A" if better_first else "B"
        row = {
            "id": item_id,
            "question": f"Request {index}",
            "answer_a": good if better_first else weak,
            "answer_b": weak if better_first else good,
        }
        lines.append(json.dumps(row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return truth


def judge_with(data: Path, out: Path, env: dict[str, str], extra: list[str]) -> dict[str, str | None]:
    """Run `judgekit eval`; return each item's verdict (None when it has none)."""
    command = [sys.executable, "-m", "judgekit", "eval", str(data), "-j", JUDGE, "--score-method", "logprobs"]
    command += ["--no-cache", "--fresh", "-q", "--out", str(out), "--format", "json", *extra]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"judgekit eval {' '.join(extra)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    lines = (out / "outcomes.jsonl").read_text(encoding="utf-8").splitlines()
    return {entry["item_id"]: entry.get("verdict") for entry in map(json.loads, lines)}


def share(matches: list[bool]) -> float:
    return sum(matches) / len(matches) if matches else 0.0


SCENARIOS = [(1.0, 1.0), (0.5, 1.0), (1.0, 3.0)]
"""(position bias in log-odds, sharpness): a strong bias, a mild one, and a strong bias reported
three times too surely (the judge's token probabilities overconfident, as models' often are)."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--spread", type=float, default=2.0, help="standard deviation of the quality gaps")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.6, 0.7, 0.75, 0.8, 0.9, 0.95, 0.99])
    parser.add_argument("--output", type=Path, default=ROOT / "bench-results" / "positions.json")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANTHROPIC_", "JUDGEKIT_"))}
    env["OPENAI_API_KEY"] = "bench-key"
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        truth = make_data(work / "pairs.jsonl", args.items, args.spread, args.seed)
        for bias, sharpness in SCENARIOS:
            scenario = {"items": args.items, "spread": args.spread, "bias": bias, "sharpness": sharpness}
            scenario["rules"] = run_scenario(work, truth, env, bias, sharpness, args.thresholds)
            results.append(scenario)
            print(table(scenario) + "\n")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"(written to {args.output})", file=sys.stderr)
    return 0


def run_scenario(
    work: Path, truth: dict[str, str], env: dict[str, str], bias: float, sharpness: float, thresholds: list[float]
) -> list[dict[str, Any]]:
    """Every order rule on the same data against one judge; calls counted by its server."""
    from judgekit.testing.judges import QualityJudge
    from judgekit.testing.server import FakeProvider

    rules: list[tuple[str, list[str]]] = [
        ("fixed", ["--positions", "fixed"]),
        ("random", ["--positions", "random"]),
        ("swap", ["--positions", "swap"]),
    ]
    rules += [(f"adaptive {t:g}", ["--positions", "adaptive", "--swap-below", str(t)]) for t in thresholds]
    rules.append(("adaptive 0.75, audit 0.1", ["--positions", "adaptive", "--swap-audit", "0.1"]))
    entries, verdicts = [], {}
    with FakeProvider(QualityJudge(bias=bias, sharpness=sharpness)) as server:
        env = {**env, "OPENAI_BASE_URL": server.openai_url}
        for name, extra in rules:
            server.reset_records()
            out = work / f"{bias:g}-{sharpness:g}-{name.replace(' ', '-')}"
            verdicts[name] = judge_with(work / "pairs.jsonl", out, env, extra)
            entries.append({"rule": name, "calls": server.count(), "kept_estimate": kept_estimate(out)})
    swap = verdicts["swap"]
    for entry in entries:
        got = verdicts[entry["rule"]]
        entry["calls_per_item"] = round(entry["calls"] / len(truth), 4)
        entry["swap_verdicts_recovered"] = round(share([got[key] == swap[key] for key in truth]), 4)
        entry["agreement_with_truth"] = round(share([got[key] == truth[key] for key in truth]), 4)
    return entries


def kept_estimate(out: Path) -> str | None:
    """The run's own estimate of the share of swap's verdicts it kept (adaptive with an audit)."""
    adaptive = json.loads((out / "summary.json").read_text(encoding="utf-8")).get("adaptive") or {}
    kept = adaptive.get("kept") if adaptive.get("audit") else None
    if not kept:
        return None
    if kept.get("low") is None:
        return f"{kept['value']:.1%}"
    return f"{kept['value']:.1%} [{kept['low']:.1%}, {kept['high']:.1%}]"


def table(scenario: dict[str, Any]) -> str:
    lines = [
        f"{scenario['items']} items, position bias {scenario['bias']:g} log-odds, confidence sharpness "
        f"{scenario['sharpness']:g}, quality gaps |N(0, {scenario['spread']:g})|; calls counted by the server.",
        "",
        "| order | calls | calls per item | full-swap verdicts recovered | its own estimate (audit) | "
        "agreement with the truth |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for entry in scenario["rules"]:
        lines.append(
            f"| {entry['rule']} | {entry['calls']} | {entry['calls_per_item']:.2f} | "
            f"{entry['swap_verdicts_recovered']:.1%} | {entry['kept_estimate'] or '–'} | "
            f"{entry['agreement_with_truth']:.1%} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
