"""Which candidate thresholds serve `--target-agreement` best: a seeded simulation, no judge called.

Run with `python benchmarks/cascade_candidates.py` (`--help` for the knobs; under a minute). Each
stage's threshold comes from the fixed-sequence scan of `judgekit/metrics/cascade_thresholds.py`
(test from the most confident candidate down, stop at the first whose exact upper bound on the kept
items' disagreement exceeds 1 - target); only the candidates differ. Every rule below reads them off
the calibration confidences, the target and the level, never the labels, so each keeps the
guarantee; what differs is how often the scan stops early. The rules:

- every confidence: every distinct calibration confidence (the rule before the ladder);
- 10% share grid: where the kept share reaches 10%, 20%, ..., 100%;
- steps of n0, steps of n0/2: where the kept count reaches n0, n0 + s, n0 + 2s, ... and then all items,
  n0 being the fewest kept items that can pass (`fewest_items`) and s the step;
- geometric x1.5: kept counts n0, 1.5 n0, 2.25 n0, ... and all items;
- tolerance ladder (what judgekit ships, `candidate_thresholds`): kept counts n_k, the fewest items that
  pass with k disagreements (n_0 = n0), and all items.

Two cascades of two judges, target 0.9 at error level 0.1 (0.05 per stage), the labelled items split
in halves (calibration, held apart) as judgekit splits them:

- bench: the model of benchmarks/cascade_bench.py: a cheap judge right with probability c and stating
  c, c uniform on [0.55, 1]; a strong judge right 95% of the time, always stating 0.95 (one candidate);
- uniform: the simulation of tests/test_cascade_guarantee.py: the first judge's c uniform on [0.5, 1],
  the second's on [0.6, 1], each right with probability c.

Every repeat draws fresh items (the same draws for every rule). Per rule and size: how often the first
judge is trusted at all, the share of held-apart items it keeps (the calls the cascade saves) and the
cascade's coverage, the held-apart agreement, how often a stage's true disagreement on what it keeps
exceeds 1 - target (each must stay under its level, 0.05), and how often the cascade's kept verdicts
truly reach the target (at least 0.9). `--fixed-data` instead splits the benchmark's own items (its
seed 0) in many seeded ways, as `--seed` would; the guarantee is over fresh draws, so those splits,
sharing one data set's luck, show no truth columns. Nothing here asserts a number.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from judgekit.metrics.cascade_thresholds import candidate_thresholds, fewest_items, tolerance_steps
from judgekit.stats.proportions import upper_bound

TARGET, LEVEL = 0.9, 0.05
FEWEST = fewest_items(TARGET, LEVEL) or 0
Rule = Callable[[np.ndarray], list[float]]
"""Confidences, most confident first -> candidate thresholds, most confident first."""


def at_counts(counts: Callable[[int], list[int]]) -> Rule:
    def rule(ordered: np.ndarray) -> list[float]:
        return sorted({float(ordered[count - 1]) for count in counts(len(ordered)) if count > 0}, reverse=True)

    return rule


def steps_of(step: int) -> Callable[[int], list[int]]:
    return lambda n: [*range(FEWEST, n, step), n] if n >= FEWEST else []


def geometric(n: int) -> list[int]:
    counts, size = [], float(FEWEST)
    while math.ceil(size) < n:
        counts.append(math.ceil(size))
        size *= 1.5
    return [*counts, n] if n >= FEWEST else []


RULES: dict[str, Rule] = {
    "every confidence": lambda ordered: sorted(set(ordered.tolist()), reverse=True),
    "10% share grid": at_counts(lambda n: [-(-step * n // 10) for step in range(1, 11)]),
    "steps of n0": at_counts(steps_of(FEWEST)),
    "steps of n0/2": at_counts(steps_of(math.ceil(FEWEST / 2))),
    "geometric x1.5": at_counts(geometric),
    "tolerance ladder": lambda ordered: candidate_thresholds(ordered.tolist(), TARGET, LEVEL),
}


def most_errors_allowed(up_to: int) -> np.ndarray:
    """Per kept count, the most disagreements that pass (-1: none can): the scan's test, tabulated."""
    allowed = np.full(up_to + 1, -1)
    for size, step in enumerate(tolerance_steps(TARGET, LEVEL, up_to)):
        allowed[step:] = size
    assert all(upper_bound(int(k), n, LEVEL) <= 1 - TARGET for n, k in enumerate(allowed) if k >= 0)
    return allowed


ALLOWED = np.full(1, -1)
"""Per kept count, the most disagreements that pass: built once by `main`, up to the largest --sizes
(a stage never sees more items than that)."""


def threshold(confidences: np.ndarray, right: np.ndarray, rule: Rule) -> float:
    """The scan: the lowest candidate passing before the first failure (inf: none passed)."""
    order = np.argsort(-confidences, kind="stable")
    ordered, wrong = confidences[order], np.concatenate([[0], np.cumsum(~right[order])])
    chosen = math.inf
    for candidate in rule(ordered):
        kept = int(np.searchsorted(-ordered, -candidate, side="right"))
        if kept < FEWEST:
            continue  # too few to pass even if all agreed: not a test
        if wrong[kept] > ALLOWED[kept]:
            break
        chosen = candidate
    return chosen


def draw(model: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    first = 1 - 0.45 * rng.random(n) if model == "bench" else rng.uniform(0.5, 1.0, n)
    second = np.full(n, 0.95) if model == "bench" else rng.uniform(0.6, 1.0, n)
    return first, rng.random(n) < first, second, rng.random(n) < second


def truth(model: str, one: float, two: float) -> tuple[float, float, float]:
    """Each stage's true disagreement on what it keeps, and the cascade's true agreement."""
    low = 0.55 if model == "bench" else 0.5
    cut_one = min(max(one, low), 1.0)
    share_one, wrong_one = (1 - cut_one) / (1 - low), (1 - cut_one) / 2  # confidence uniform, right with p = c
    if model == "bench":
        share_two, wrong_two = (1 - share_one) * (two <= 0.95), 0.05
    else:
        cut_two = min(max(two, 0.6), 1.0)
        share_two, wrong_two = (1 - share_one) * (1 - cut_two) / 0.4, (1 - cut_two) / 2
    kept = share_one + share_two
    agreement = 1 - (share_one * wrong_one + share_two * wrong_two) / kept if kept else 1.0
    return wrong_one, wrong_two, agreement


def one_cascade(model: str, arrays: tuple[np.ndarray, ...], rule: Rule) -> list[float]:
    first, right_first, second, right_second = arrays
    cut = (len(first) + 1) // 2  # the larger half calibrates
    one = threshold(first[:cut], right_first[:cut], rule)
    escalated = first[:cut] < one
    two = threshold(second[:cut][escalated], right_second[:cut][escalated], rule)
    keep_one = first[cut:] >= one
    keep_two = ~keep_one & (second[cut:] >= two)
    kept = int(keep_one.sum() + keep_two.sum())
    right = int(right_first[cut:][keep_one].sum() + right_second[cut:][keep_two].sum())
    wrong_one, wrong_two, agreement = truth(model, one, two)
    return [
        float(one < math.inf),
        float(keep_one.mean()),
        kept / (len(first) - cut),
        right / kept if kept else math.nan,
        float(one < math.inf and wrong_one > 1 - TARGET + 1e-12),
        float(two < math.inf and wrong_two > 1 - TARGET + 1e-12),
        float(agreement >= TARGET - 1e-12),
    ]


def benchmark_items(total: int) -> tuple[np.ndarray, ...]:
    """The items of benchmarks/cascade_bench.py at its seed 0, drawn as it draws them."""
    sys.path.insert(0, str(Path(__file__).parent))
    from cascade_bench import items

    data = items(total, 0)
    first = np.array([1 - 0.45 * row["difficulty"] for row in data])
    right_first = np.array(
        [random.Random(f"0:gpt-4o-mini:{row['id']}").random() < c for row, c in zip(data, first, strict=True)]
    )
    right_second = np.array([random.Random(f"0:gpt-4o:{row['id']}").random() < 0.95 for row in data])
    return first, right_first, np.full(total, 0.95), right_second


HEADER = (
    f"  {'candidates':18} {'1st trusted':>11} {'1st keeps':>9} {'coverage':>8} {'agreement':>9} "
    f"{'stage 1 over':>12} {'stage 2 over':>12} {'target reached':>14}"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=1000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 400, 1000], help="labelled items")
    parser.add_argument("--fixed-data", action="store_true", help="split the benchmark's seed-0 items instead")
    args = parser.parse_args()
    global ALLOWED
    ALLOWED = most_errors_allowed(max(args.sizes))
    print(f"target {TARGET}, level {LEVEL} per stage (n0 = {FEWEST}); {args.repeats} seeded repeats per row")
    for model in ("bench",) if args.fixed_data else ("bench", "uniform"):
        for total in args.sizes:
            print(f"\n{model}{' (seed-0 items)' if args.fixed_data else ''}, {total} labelled items\n{HEADER}")
            fixed = benchmark_items(total) if args.fixed_data else None
            for name, rule in RULES.items():
                rng = np.random.default_rng([total, model == "uniform"])  # the same draws for every rule
                rows = []
                for split in range(args.repeats):
                    arrays: tuple[np.ndarray, ...]
                    if fixed is None:
                        arrays = draw(model, total, rng)
                    else:
                        order = np.random.default_rng(split).permutation(total)  # judgekit's split at --seed split
                        arrays = tuple(array[order] for array in fixed)
                    rows.append(one_cascade(model, arrays, rule))
                table = np.array(rows)
                mean = table.mean(axis=0)
                agreements = table[:, 3][~np.isnan(table[:, 3])]
                mean[3] = agreements.mean() if len(agreements) else math.nan  # over repeats that kept a verdict
                truths = [f"{mean[4]:>12.3f}", f"{mean[5]:>12.3f}", f"{mean[6]:>14.3f}"]
                if fixed is not None:  # one data set's splits share its luck: the model's truth is not theirs
                    truths = [f"{'-':>12}", f"{'-':>12}", f"{'-':>14}"]
                print(
                    f"  {name:18} {mean[0]:>11.3f} {mean[1]:>9.3f} {mean[2]:>8.3f} {mean[3]:>9.3f} {' '.join(truths)}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
