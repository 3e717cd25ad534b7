"""Gates on checklist criteria: `--min-criterion-pass NAME=RATE`, or `RATE` for every criterion.

Each named criterion's pass rate (its share of met verdicts, exact Clopper-Pearson interval) must
be at least RATE under the same rules as every gate (`--on-ci-bound`, `--min-items`). A name the
run has no criterion for fails its gate, as a gate never passes on missing evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from judgekit.errors import UsageError
from judgekit.summary import Summary

if TYPE_CHECKING:
    from judgekit.ci.gates import Checker, GateResult

EVERY = "*"
"""The name that stands for every criterion of the run."""
OPTION = "--min-criterion-pass"


def parse_criterion_gates(specs: Sequence[str]) -> tuple[tuple[str, float], ...]:
    """`["red-flags=0.8", "0.5"]` from the command line as (name, rate) pairs (`*`: every criterion)."""
    gates: list[tuple[str, float]] = []
    for spec in specs:
        name, separator, rate = spec.rpartition("=")
        name = name.strip() if separator else EVERY
        try:
            value = float(rate)
        except ValueError:
            raise UsageError(
                f"{OPTION} {spec!r}: give NAME=RATE (e.g. red-flags=0.8), or RATE for every criterion"
            ) from None
        if separator and not name:
            raise UsageError(f"{OPTION} {spec!r}: the criterion name before '=' is empty")
        gates.append((name, value))
    return normalised(gates)


def normalised(gates: object) -> tuple[tuple[str, float], ...]:
    """Gates as (name, rate) pairs with rates from 0 to 1 (also from post_run.json, where they are lists)."""
    pairs: list[tuple[str, float]] = []
    for entry in gates if isinstance(gates, (list, tuple)) else ():
        name, rate = entry
        value = float(rate)
        if not 0.0 <= value <= 1.0:
            raise UsageError(f"{OPTION} {name}={value:g}: rates are fractions from 0 to 1 (0.8 means 80%)")
        pairs.append((str(name), value))
    return tuple(pairs)


def check_criterion_gates(checklist: bool, panel: bool) -> None:
    """Refuse the gate where no per-criterion verdict exists (before any call)."""
    if not checklist:
        raise UsageError(f"{OPTION} applies to checklist runs (rubric_items in the data, or --checklist FILE)")
    if panel:
        raise UsageError(
            f"{OPTION} needs per-criterion verdicts; this panel averaged its judges' item scores "
            "(--panel-rule majority or unanimous votes per criterion; "
            "or gate a judge's run with `judgekit gate RUN_DIR`)"
        )


def evaluate_criterion_gates(gates: Sequence[tuple[str, float]], summary: Summary, check: Checker) -> list[GateResult]:
    """One result per gated criterion (every criterion for `*`), in the order given."""
    criteria = summary.checklist.criteria if summary.checklist else []
    by_name = {criterion.name: criterion for criterion in criteria}
    results: list[GateResult] = []
    for name, rate in gates:
        names = [criterion.name for criterion in criteria] if name == EVERY else [name]
        for one in names:
            found = by_name.get(one)
            result = check(
                f"{OPTION} {one}", f"pass rate of criterion {one}", "min", rate, found.pass_rate if found else None
            )
            if found is None:
                result = result.model_copy(
                    update={"note": f"the run has no criterion named {one!r}, so the gate fails"}
                )
            results.append(result)
        if name == EVERY and not names:
            missing = check(OPTION, "pass rate of every criterion", "min", rate, None)
            results.append(missing.model_copy(update={"note": "the run has no checklist criteria, so the gate fails"}))
    return results
