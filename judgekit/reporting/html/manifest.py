"""The run manifest as a table: what made the numbers (judge, template, data, settings, versions)."""

from __future__ import annotations

from typing import Any

from judgekit.judging.pricing import format_usd
from judgekit.reporting.html.optional import label_of
from judgekit.reporting.html.run_data import RunData
from judgekit.reporting.html.view import Table
from judgekit.summary import StageUsage

CALL_COUNTS = ("calls", "cached", "resumed", "requests")
"""Counts shown together, so that their sum is the number of judge calls behind the run."""


def manifest_table(data: RunData) -> Table:
    manifest, summary = data.manifest, data.summary
    resolved: dict[str, Any] = manifest.get("resolved", {})
    config: dict[str, Any] = manifest.get("config", {})
    template: dict[str, Any] = manifest.get("template", {})
    dataset: dict[str, Any] = manifest.get("dataset", {})
    params: dict[str, Any] = resolved.get("params", {})
    rows = [
        ["run id", str(manifest.get("run_id", "?"))],
        ["run directory", str(data.path)],
        ["created", str(manifest.get("created", "?"))],
        ["status", summary.status],
        ["judge", str(manifest.get("judge", summary.judge))],
        ["endpoint", str(manifest.get("endpoint", "?"))],
        ["template", f"{template.get('name', '?')}" + (" (built in)" if template.get("builtin") else "")],
        ["template hash", str(template.get("hash", "?"))],
    ]
    if template.get("follows"):
        rows.append(["template follows", str(template["follows"])])
    rows += [
        ["dataset", str(dataset.get("path", "?"))],
        ["dataset sha256", str(dataset.get("sha256", "?"))],
        ["rows", str(dataset.get("rows", "?"))],
    ]
    if dataset.get("mapping"):
        rows.append(["field mapping", ", ".join(f"{k} ← {v}" for k, v in dataset["mapping"].items())])
    rows += [
        ["positions", str(config.get("positions", "?"))],
        ["seed", str(config.get("seed", "?"))],
        ["temperature", str(params.get("temperature", "?"))],
        ["max tokens", str(params.get("max_tokens", "?"))],
    ]
    if resolved.get("method"):
        rows.append(["scoring method", str(resolved["method"])])
    versions = manifest.get("versions", {})
    if versions:
        rows.append(["versions", ", ".join(f"{name} {version}" for name, version in versions.items())])
    rows.append(["report made by judgekit", summary.judgekit_version])
    rows += _call_rows(summary.counts.calls, summary.counts.cached, summary.counts.resumed, summary.counts.requests)
    rows += _stage_rows(summary.stages or [])
    for name, value in summary.counts.model_dump().items():
        if name in CALL_COUNTS or (value in (0, {}, None) and name not in ("prompt_tokens", "completion_tokens")):
            continue
        if isinstance(value, dict):
            text = ", ".join(f"{key} {number}" for key, number in value.items())
        elif isinstance(value, int):
            text = f"{value:,}"
        else:
            text = str(value)
        rows.append([label_of(name).lower(), text])
    for name, seconds in summary.timing.items():
        rows.append([name.replace("_s", "").replace("_", " ") + " (seconds)", f"{seconds:g}"])
    return Table(["", ""], rows, caption="Run manifest")


def _stage_rows(stages: list[StageUsage]) -> list[list[str]]:
    """A cascade or a panel: each judge's items, calls and cost (the call rows above add them up)."""
    rows = []
    for one in stages:
        cost = "no price known" if one.cost_usd is None else format_usd(one.cost_usd)
        rows.append(
            [
                f"panel judge {one.stage}" if one.member else f"cascade stage {one.stage}",
                f"{one.judge}: {one.items:,} items, {one.calls:,} calls made, {one.cached:,} from the cache, {cost}",
            ]
        )
    return rows


def _call_rows(made: int, cached: int, resumed: int, requests: int) -> list[list[str]]:
    """'judge calls 400 (390 made, 10 from the cache)' and the requests those made calls took."""
    parts = [f"{made:,} made"]
    if cached:
        parts.append(f"{cached:,} from the cache")
    if resumed:
        parts.append(f"{resumed:,} reused from an earlier attempt")
    return [
        ["judge calls", f"{made + cached + resumed:,} ({', '.join(parts)})"],
        ["requests sent", f"{requests:,} (the calls made, retries included)"],
    ]
