"""A JUnit XML report of a run, the format CI systems (GitHub, GitLab, Jenkins) display as tests.

One `<testcase>` per item, named by the item id:

- passed: the item has a verdict and passes (see `passrule` for what passing means);
- `<failure type="verdict">`: the item has a verdict and fails it (pairwise: A lost;
  pointwise: below --pass-score, or a fail verdict);
- `<error type="unscored">`: the judge answered but no valid verdict could be read;
- `<error type="provider_error">`: the call failed after every retry;
- `<skipped>`: the item was not judged (the run stopped early).

The body of a failure or error holds the judge's raw answer (its explanation), both orders
under --positions swap. A second test suite holds one test case per quality gate. Suite
properties record the judge, template and hash, and the judgekit version, so a report says how
it was made. Text from answers and judges is data: it is escaped by the XML writer, and
characters XML 1.0 cannot carry are replaced.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from judgekit.ci.gates import GateResult
from judgekit.ci.passrule import PassRule
from judgekit.ci.runview import RunView

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BODY_LIMIT = 20_000
"""Characters of judge text kept per test case; CI viewers choke on megabyte bodies."""


def xml_text(text: str, limit: int | None = None) -> str:
    """Text XML 1.0 can hold: control characters and lone surrogates become U+FFFD."""
    cleaned = _NOT_XML.sub("\ufffd", text)
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[:limit] + f"\n[... {len(cleaned) - limit:,} characters cut by judgekit]"
    return cleaned


@dataclass
class JunitCounts:
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0


def _element(parent: ElementTree.Element, tag: str, **attributes: str) -> ElementTree.Element:
    return ElementTree.SubElement(parent, tag, {key: xml_text(value) for key, value in attributes.items()})


def _suite_attributes(suite: ElementTree.Element, counts: JunitCounts, time: float) -> None:
    suite.set("tests", str(counts.tests))
    suite.set("failures", str(counts.failures))
    suite.set("errors", str(counts.errors))
    suite.set("skipped", str(counts.skipped))
    suite.set("time", f"{time:.3f}")


def build(view: RunView, rule: PassRule, gates: Sequence[GateResult] = ()) -> ElementTree.ElementTree:
    """The report as an element tree (see the module docstring for its shape)."""
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
        body = xml_text(view.explanation(item.id), _BODY_LIMIT)
        if outcome.status == "pending":
            counts.skipped += 1
            _element(case, "skipped", message="not judged: the run stopped before this item")
        elif outcome.status == "error":
            counts.errors += 1
            error = _element(case, "error", type="provider_error", message=outcome.reason or "the call failed")
            error.text = body
        elif outcome.status == "unscored":
            counts.errors += 1
            error = _element(case, "error", type="unscored", message=f"no valid verdict: {outcome.reason or '?'}")
            error.text = body
        elif rule.passes(outcome) is False:
            counts.failures += 1
            failure = _element(case, "failure", type="verdict", message=rule.failure_message(outcome))
            failure.text = body
    _suite_attributes(suite, counts, total_time)
    totals = JunitCounts(counts.tests, counts.failures, counts.errors, counts.skipped)
    if gates:
        gate_suite = _element(root, "testsuite", name="judgekit.ci.gates")
        gate_counts = JunitCounts()
        for gate in gates:
            case = _element(gate_suite, "testcase", classname="judgekit.ci.gates", name=gate.option, time="0")
            gate_counts.tests += 1
            if not gate.passed:
                gate_counts.failures += 1
                failure = _element(case, "failure", type="gate", message=gate.line())
                failure.text = xml_text(gate.line())
        _suite_attributes(gate_suite, gate_counts, 0.0)
        totals.tests += gate_counts.tests
        totals.failures += gate_counts.failures
    _suite_attributes(root, totals, total_time)
    ElementTree.indent(root)
    return ElementTree.ElementTree(root)


def write(path: str | Path, view: RunView, rule: PassRule, gates: Sequence[GateResult] = ()) -> JunitCounts:
    """Write the report to `path` (parent folders are created); returns the item counts."""
    tree = build(view, rule, gates)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tree.write(target, encoding="utf-8", xml_declaration=True)
    root = tree.getroot()
    assert root is not None
    suite = root[0]
    return JunitCounts(*(int(suite.get(name, "0")) for name in ("tests", "failures", "errors", "skipped")))
