"""A JUnit XML report of a run, the format CI systems (GitHub, GitLab, Jenkins) display as tests.

The report agrees with the command's exit code: a CI publisher marks the check red exactly when
judgekit failed it. So per-item results are data, not test failures:

- suite `judgekit.<kind>.<data>`: one `<testcase>` per item, named by the item id. It passes
  whatever the verdict; its `<properties>` say the outcome (`won`, `lost`, `tie`, `pass`,
  `fail`, `scored`, `unscored`, `error`), the verdict or score and, for an item that lost or
  failed, why (see `passrule`); its `<system-out>` holds the judge's raw answer (both orders
  under --positions swap), or the failure's message. An item not judged (the run stopped early)
  is `<skipped>`.
- suite `judgekit.ci.gates`: one test case per quality gate, a `<failure>` when the gate failed,
  and a `run` test case that fails when the run itself failed (items not judged, more failed
  items than --max-errors, or no valid verdict at all), as exit code 3 does.

Suite properties record the judge, template and hash, and the judgekit version, so a report
says how it was made. Text from answers and judges is data: it is escaped by the XML writer,
characters XML 1.0 cannot carry are replaced, and credentials are redacted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from judgekit.ci.gates import GateResult
from judgekit.ci.health import run_failure
from judgekit.ci.passrule import PassRule
from judgekit.ci.runview import RunView
from judgekit.metrics.items import ItemOutcome
from judgekit.redact import redact

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BODY_LIMIT = 20_000
"""Characters of judge text kept per test case; CI viewers choke on megabyte bodies."""


def xml_text(text: str, limit: int | None = None) -> str:
    """Text XML 1.0 can hold: control characters and lone surrogates become U+FFFD (and no
    credentials: the report is published by CI)."""
    cleaned = _NOT_XML.sub("\ufffd", redact(text))
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[:limit] + f"\n[... {len(cleaned) - limit:,} characters cut by judgekit]"
    return cleaned


@dataclass
class JunitCounts:
    """Per-item outcomes in the report (properties, not test failures), and the report's failures."""

    tests: int = 0
    failures: int = 0
    """Items that lost or failed their verdict (recorded as properties; they fail no test)."""
    errors: int = 0
    """Items without a verdict: unscored, or the call failed."""
    skipped: int = 0
    """Items not judged."""
    failed_checks: int = 0
    """Test cases that fail in the report: failed gates, and the run when it failed."""


def _element(parent: ElementTree.Element, tag: str, **attributes: str) -> ElementTree.Element:
    return ElementTree.SubElement(parent, tag, {key: xml_text(value) for key, value in attributes.items()})


def _suite_attributes(suite: ElementTree.Element, tests: int, failures: int, skipped: int, time: float) -> None:
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    suite.set("time", f"{time:.3f}")


def _outcome(rule: PassRule, outcome: ItemOutcome, kind: str) -> tuple[str, str | None]:
    """(outcome name, why it failed) for a judged item."""
    if outcome.status in ("unscored", "error"):
        return outcome.status, outcome.reason
    passed = rule.passes(outcome)
    if kind == "pairwise":
        name = {"A": "won", "B": "lost", "tie": "tie"}.get(str(outcome.verdict), "scored")
    else:
        name = "scored" if passed is None else "pass" if passed else "fail"
    return name, rule.failure_message(outcome) if passed is False else None


def build(
    view: RunView, rule: PassRule, gates: Sequence[GateResult] = (), max_errors: int | None = None
) -> tuple[ElementTree.ElementTree, JunitCounts]:
    """The report as an element tree (see the module docstring for its shape), and its counts.

    `max_errors`: failed items the run may hold (default: the run's own --max-errors).
    """
    manifest, summary = view.manifest, view.summary
    dataset = str(summary.dataset.get("path") or manifest.config.dataset or "data")
    classname = f"judgekit.{summary.kind}.{Path(dataset).stem}"
    root = ElementTree.Element("testsuites", {"name": "judgekit"})
    suite = _element(root, "testsuite", name=classname, timestamp=manifest.created)
    properties = _element(suite, "properties")
    for name, value in (
        ("judge", summary.judge),
        ("template", str(summary.template.get("name", ""))),
        ("template_hash", str(summary.template.get("hash", ""))),
        ("judgekit_version", summary.judgekit_version),
        ("kind", summary.kind),
        ("dataset", dataset),
        ("dataset_sha256", str(summary.dataset.get("sha256") or "")),
        ("positions", str(summary.config.get("positions", ""))),
        ("seed", str(summary.config.get("seed", ""))),
        ("run_dir", str(view.path)),
        ("pass_rule", rule.describe()),
    ):
        _element(properties, "property", name=name, value=value)
    counts, total_time = JunitCounts(), 0.0
    for item, outcome in zip(view.items, view.outcomes, strict=True):
        rows = view.rows.get(item.id, {})
        time = sum(row.latency_s for row in rows.values())
        total_time += time
        case = _element(suite, "testcase", classname=classname, name=item.id, time=f"{time:.3f}")
        counts.tests += 1
        if outcome.status == "pending":
            counts.skipped += 1
            _element(case, "skipped", message="not judged: the run stopped before this item")
            continue
        name, why = _outcome(rule, outcome, summary.kind)
        counts.failures += why is not None and name not in ("unscored", "error")
        counts.errors += name in ("unscored", "error")
        facts = _element(case, "properties")
        _element(facts, "property", name="outcome", value=name)
        if outcome.verdict is not None:
            _element(facts, "property", name="verdict", value=str(outcome.verdict))
        if outcome.score is not None:
            _element(facts, "property", name="score", value=f"{outcome.score:g}")
        if why:
            _element(facts, "property", name="reason", value=why)
        _element(case, "system-out").text = xml_text(view.explanation(item.id) or why or "", _BODY_LIMIT)
    _suite_attributes(suite, counts.tests, 0, counts.skipped, total_time)
    counts.failed_checks = _checks(root, view, gates, max_errors)
    _suite_attributes(root, counts.tests + len(gates) + 1, counts.failed_checks, counts.skipped, total_time)
    ElementTree.indent(root)
    return ElementTree.ElementTree(root), counts


def _checks(root: ElementTree.Element, view: RunView, gates: Sequence[GateResult], max_errors: int | None) -> int:
    """The suite of what decides the exit code: each gate, and the run itself. Returns its failures."""
    suite = _element(root, "testsuite", name="judgekit.ci.gates")
    failed = 0
    for gate in gates:
        case = _element(suite, "testcase", classname="judgekit.ci.gates", name=gate.option, time="0")
        if not gate.passed:
            failed += 1
            _element(case, "failure", type="gate", message=gate.line()).text = xml_text(gate.line())
    summary = view.summary
    allowed = int(summary.config.get("max_errors") or 0) if max_errors is None else max_errors
    problem = run_failure(summary, allowed, view.path)
    if summary.counts.pending:
        problem = f"{summary.counts.pending} of {summary.counts.items} items were not judged; {problem or ''}".rstrip(
            "; "
        )
    case = _element(suite, "testcase", classname="judgekit.ci.gates", name="run", time="0")
    if problem:
        failed += 1
        _element(case, "failure", type="run", message=problem).text = xml_text(problem)
    _suite_attributes(suite, len(gates) + 1, failed, 0, 0.0)
    return failed


def write(
    path: str | Path, view: RunView, rule: PassRule, gates: Sequence[GateResult] = (), max_errors: int | None = None
) -> JunitCounts:
    """Write the report to `path` (parent folders are created); returns its counts."""
    tree, counts = build(view, rule, gates, max_errors)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tree.write(target, encoding="utf-8", xml_declaration=True)
    return counts
