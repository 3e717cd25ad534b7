"""Results on stdout: a run's summary, a comparison, or gate results, as a table or as JSON.

`--format json` prints exactly one JSON document on stdout and nothing else, so a script can
pipe it; tables are for people. The consoles are made here, when something is printed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from judgekit.ci.gates import GateResult
    from judgekit.compare.records import Comparison
    from judgekit.summary import Summary


def stdout_console(wide: bool = False) -> Any:
    """The result console; `wide` lets many-column tables use 160 columns when stdout is not a terminal."""
    from rich.console import Console

    console = Console(highlight=False)
    if wide and not console.is_terminal:
        console = Console(highlight=False, width=160)
    return console


def print_summary_out(summary: Summary, *, as_json: bool) -> None:
    from judgekit.reporting.console import print_summary

    if as_json:
        sys.stdout.write(summary.model_dump_json(indent=2) + "\n")
    else:
        print_summary(summary, stdout_console())


def print_comparison_out(comparison: Comparison, *, as_json: bool) -> None:
    from judgekit.reporting.compare_table import print_comparison

    if as_json:
        sys.stdout.write(comparison.model_dump_json(indent=2) + "\n")
    else:
        print_comparison(comparison, stdout_console(wide=True))


def print_gates_out(run_dir: Path, results: list[GateResult], *, as_json: bool) -> None:
    if as_json:
        payload = {
            "run_dir": str(run_dir),
            "passed": all(result.passed for result in results),
            "gates": [result.model_dump(mode="json") for result in results],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    elif results:
        _gate_table(results)


def _gate_table(results: list[GateResult]) -> None:
    from rich.table import Table

    table = Table(title="judgekit gates", title_justify="left")
    table.add_column("gate", no_wrap=True)
    for column in ("metric", "value [95% CI]", "threshold", "checked", "result"):
        table.add_column(column)
    for result in results:
        estimate = result.estimate
        table.add_row(
            result.option,
            result.metric,
            "not measured" if estimate is None else f"{estimate.format(percent=result.percent)} (n={estimate.n})",
            f"{'≥' if result.bound == 'min' else '≤'} {result.format(result.threshold)}",
            "–" if result.checked is None else f"{result.checked_on} {result.format(result.checked)}",
            "pass" if result.passed else "FAIL: too few items" if result.too_few else "FAIL",
        )
    stdout_console().print(table)
