"""Position bias, live: the embedded judge with one answer order against both orders.

Usage: python scripts/position_bias_demo.py [DATASET] [--judge provider/model] [--threads N]
(`make demo` runs it on datasets/demo/pairwise.jsonl.)

It runs `judgekit eval DATASET` with the embedded local judge (both orders, verdict
probabilities averaged; calls come from the cache when the README's command already made them)
and prints, against the dataset's known right answers, the accuracy of each single order, of
the right answer shown first or second, and of both orders combined, with the consistency.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    from judgekit.api import run_eval
    from judgekit.config import EvalConfig
    from judgekit.errors import JudgekitError
    from judgekit.judging import embedded
    from judgekit.judging.progress import make_progress
    from judgekit.metrics.order_effects import format_report, order_report
    from judgekit.store.rundir import RunDir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", default=str(ROOT / "datasets" / "demo" / "pairwise.jsonl"))
    parser.add_argument("--judge", help="another judge instead of the embedded one (both orders are still used)")
    parser.add_argument("--threads", type=int, help="CPU threads for a local model")
    options = parser.parse_args(argv)

    settings = embedded.settings("pairwise")
    if options.judge:
        settings["judge"] = options.judge
    try:
        config = EvalConfig(dataset=options.dataset, threads=options.threads, **settings)
        result = run_eval(config, progress=make_progress(enabled=True))
    except JudgekitError as exc:
        print(f"judgekit: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    run_dir = RunDir(result.run_dir)
    report = order_report(run_dir.iter_items(), run_dir.load_judgments())
    print(f"Position bias of {config.judge} on {options.dataset}")
    print(f"({report.items} pairs with a known right answer, each judged in both orders; run: {result.run_dir})")
    print()
    print("\n".join(format_report(report)))
    timing = result.summary.timing
    if "wall_s" in timing:
        counters = result.counters
        print(
            f"\n{counters.calls} calls made, {counters.cached} from the cache, {counters.resumed} reused "
            f"from the run directory, in {timing['wall_s']:.0f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
