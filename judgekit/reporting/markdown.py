"""Markdown summaries of a run or a diff, for `$GITHUB_STEP_SUMMARY` or `--markdown FILE`.

Item ids, questions and verdict reasons come from data and judges, so every cell is escaped:
Markdown and HTML characters are neutralised and a cell stays on one line, so no answer can
break a table, add a link or inject markup into a CI page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from judgekit.ci.diff import ItemChange, RunDiff
from judgekit.ci.gates import GateResult
from judgekit.ci.passrule import PassRule
from judgekit.ci.runview import RunView
from judgekit.reporting.console import summary_rows
from judgekit.stats.intervals import Estimate
from judgekit.summary import HumanAgreement, Summary

ITEMS_SHOWN = 20
"""Items listed per table; the rest are counted (the JUnit file and judgments.jsonl have all)."""
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]|!#~])")


def cell(text: str, width: int = 120) -> str:
    """One table cell: a single line, at most `width` characters, Markdown and HTML escaped."""
    flat = " ".join(str(text).split())
    if len(flat) > width:
        flat = flat[: width - 1] + "…"
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def gates_section(gates: Sequence[GateResult]) -> list[str]:
    if not gates:
        return []
    failed = [gate for gate in gates if not gate.passed]
    headline = (
        f"**Quality gates: ❌ {len(failed)} of {len(gates)} failed**"
        if failed
        else f"**Quality gates: ✅ all {len(gates)} passed**"
    )
    rows = []
    for gate in gates:
        estimate = gate.estimate
        value = "not measured" if estimate is None else estimate.format(percent=gate.percent, digits=3)
        checked = "–" if gate.checked is None else f"{gate.checked_on} {gate.format(gate.checked)}"
        limit = f"{'≥' if gate.bound == 'min' else '≤'} {gate.format(gate.threshold)}"
        rows.append(
            [
                cell(gate.option),
                cell(gate.metric),
                cell(value),
                str(estimate.n) if estimate else "–",
                cell(limit),
                cell(checked),
                "✅ pass" if gate.passed else "❌ fail" + (f": {cell(gate.reason)}" if gate.reason else ""),
            ]
        )
    return [
        "",
        headline,
        "",
        *_table(["gate", "metric", "value [95% CI]", "n", "threshold", "checked", "result"], rows),
    ]


def _listed(title: str, rows: list[list[str]], header: list[str], total: int) -> list[str]:
    if not total:
        return []
    lines = ["", f"**{title} ({total})**", "", *_table(header, rows[:ITEMS_SHOWN])]
    if total > ITEMS_SHOWN:
        lines += ["", f"… and {total - ITEMS_SHOWN} more (see judgments.jsonl or the JUnit report)."]
    return lines


def run_report(view: RunView, rule: PassRule, gates: Sequence[GateResult] = ()) -> str:
    """The Markdown summary of a run: gates, headline numbers, failing and unscored items."""
    summary = view.summary
    template = summary.template
    lines = [f"### judgekit · {summary.kind} · {cell(summary.judge)} · {cell(str(template.get('name', '?')))}"]
    lines += gates_section(gates)
    lines += ["", *_table(["metric", "value"], [[cell(label), cell(value)] for label, value in summary_rows(summary)])]
    if summary.checklist is not None:
        from judgekit.reporting.checklist_table import checklist_table, checklist_title

        header, rows = checklist_table(summary.checklist)
        lines += [
            "",
            f"**{checklist_title(summary.checklist)}**",
            "",
            *_table(header, [[cell(v) for v in row] for row in rows]),
        ]
    lines += _calibration_lines(summary)
    failing, problems = [], []
    for item, outcome in zip(view.items, view.outcomes, strict=True):
        if outcome.status in ("unscored", "error"):
            problems.append([cell(item.id), outcome.status, cell(outcome.reason or "")])
        elif rule.passes(outcome) is False:
            failing.append([cell(item.id), cell(rule.failure_message(outcome)), cell(item.question, 80)])
    lines += _listed("Failing items", failing, ["item", "why", "question"], len(failing))
    if failing:
        lines += ["", f"_{cell(rule.describe())}._"]
    lines += _listed("Items without a verdict", problems, ["item", "status", "reason"], len(problems))
    for warning in summary.warnings:
        lines += ["", f"> ⚠️ {cell(warning, 400)}"]
    lines += [
        "",
        f"<sub>run {cell(str(view.path))} · template hash {cell(str(template.get('hash', '?')))} · "
        f"seed {cell(str(summary.config.get('seed', '?')))} · judgekit {cell(summary.judgekit_version)}</sub>",
        "",
    ]
    return "\n".join(lines)


def _calibration_lines(summary: Summary) -> list[str]:
    """The judge's reliability table (confidence bins against agreement with humans), when it has one."""
    human = summary.human
    calibration = human.calibration if isinstance(human, HumanAgreement) else None
    if calibration is None and summary.checklist is not None:  # a checklist panel's, per criterion
        calibration = summary.checklist.calibration
    if calibration is None or calibration.ece is None:
        return []
    rows = [
        [f"{row.low:.1f}-{row.high:.1f}", str(row.n), f"{row.confidence:.3f}", f"{row.accuracy:.3f}"]
        for row in calibration.bins
    ]
    title = f"**Judge calibration** ({cell(calibration.source)} against human labels; ECE {calibration.ece:.3f})"
    return ["", title, "", *_table(["confidence", "items", "mean confidence", "agreement with humans"], rows)]


def _change_rows(changes: Sequence[ItemChange]) -> list[list[str]]:
    return [
        [
            cell(change.id),
            cell(change.before),
            cell(change.after),
            cell(f"{change.change:+.3g}"),
            cell(change.question, 80),
        ]
        for change in changes
        if change.change is not None
    ]


def diff_report(diff: RunDiff) -> str:
    """The Markdown summary of `judgekit diff`: headline change, test, gate, items that got worse."""
    percent = diff.kind == "pairwise" or diff.rescaled

    def shown(estimate: Estimate | None) -> str:
        return estimate.format(percent=percent, digits=3) if estimate is not None else "–"

    test = diff.test
    p_value = "–" if test.p_value is None else f"{test.p_value:.4g}"
    name = "sign test" if test.test == "sign" else "Wilcoxon signed-rank"
    lines = [f"### judgekit diff · {diff.kind} · {cell(diff.metric)}"]
    lines += gates_section([diff.gate] if diff.gate else [])
    lines += [
        "",
        *_table(
            ["", "value"],
            [
                [f"{cell(diff.metric)}, before", cell(shown(diff.before_metric))],
                [f"{cell(diff.metric)}, after", cell(shown(diff.after_metric))],
                ["mean change per item (paired)", cell(shown(test.change))],
                ["items better / worse / unchanged", f"{test.better} / {test.worse} / {test.unchanged} of {test.n}"],
                [f"{name} p-value (two-sided)", p_value],
                ["items without a verdict in a run", str(len(diff.not_compared))],
            ],
        ),
    ]
    lines += _listed(
        "Items that got worse",
        _change_rows(diff.worse),
        ["item", "before", "after", "change", "question"],
        len(diff.worse),
    )
    for warning in diff.warnings:
        lines += ["", f"> ⚠️ {cell(warning, 400)}"]
    lines += ["", f"<sub>before {cell(diff.before)} · after {cell(diff.after)}</sub>", ""]
    return "\n".join(lines)
