"""Warn when numbers that are about to be compared were not produced the same way.

A gate or a diff is only meaningful when the verdicts come from the same judge, template and
sampling settings: a changed template or judge moves scores by itself (the "0.3 one day, 0.98
the next" flakiness teams complain about). These checks never stop a command; they say what
differs so a person can decide.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from judgekit.ci.runview import RunView

_COMPARED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("judge", ("judge",)),
    ("template", ("template", "name")),
    ("template hash", ("template", "hash")),
    ("sampling parameters", ("resolved", "params")),
    ("positions", ("config", "positions")),
    ("seed", ("config", "seed")),
    ("judgekit version", ("versions", "judgekit")),
)


def _at(manifest: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = manifest
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    if path == ("resolved", "params") and isinstance(value, dict):
        value = {key: setting for key, setting in value.items() if key != "seed"}  # the seed has its own line
    return value


def run_warnings(view: RunView) -> list[str]:
    """Judge rows that were made with another judge or template than the run's manifest says
    (possible only if a run directory was edited or assembled by hand; a cascade's rows name the
    judge of their stage, which its record lists)."""
    judges: Counter[str] = Counter()
    hashes: Counter[str] = Counter()
    for calls in view.rows.values():
        for row in calls.values():
            judges[row.judge] += 1
            if row.template_hash:
                hashes[row.template_hash] += 1
    warnings = []
    manifest_judge = view.manifest.judge
    cascade = view.manifest.cascade
    expected = {manifest_judge, *(cascade.judges if cascade is not None else [])}
    others = {judge: n for judge, n in judges.items() if judge not in expected}
    if others:
        listed = ", ".join(f"{judge} ({n} rows)" for judge, n in sorted(others.items()))
        warnings.append(f"{view.path}: some verdicts come from another judge than {manifest_judge}: {listed}")
    template_hash = view.template_hash
    other_hashes = {value: n for value, n in hashes.items() if value != template_hash}
    if other_hashes:
        listed = ", ".join(f"{value} ({n} rows)" for value, n in sorted(other_hashes.items()))
        warnings.append(f"{view.path}: some verdicts come from another template than {template_hash}: {listed}")
    return warnings


def comparison_warnings(before: RunView, after: RunView) -> list[str]:
    """What differs between two runs' judging setups, one line per difference."""
    warnings = []
    for label, path in _COMPARED:
        first, second = _at(before.manifest.as_dict(), path), _at(after.manifest.as_dict(), path)
        if first != second:
            warnings.append(
                f"the runs differ in {label} ({_show(first)} vs {_show(second)}); "
                "part of any change may come from that, not from the answers"
            )
    return warnings + run_warnings(before) + run_warnings(after)


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{key}={value[key]}" for key in sorted(value))
    return str(value)
