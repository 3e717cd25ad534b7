"""A panel's combined verdicts written as a run directory of their own (`<out>/panel/`).

The panel's verdict per item is what `judgekit eval -j A -j B -j C` gates and reports on, so it
is stored the way any run is: run.json (the first member's, naming the panel and its members),
items.jsonl, and one judgments.jsonl row per item holding the combined verdict (with, under
majority or unanimous, the votes behind it, `panel_votes`, or for a checklist those behind each
criterion, `criterion_votes`, and, when the judges graded, its grade, `strong`). `judgekit
report`, `judgekit gate`, JUnit, Markdown and HTML then work on it like on any run, offline.
The directory is derived data: it is rebuilt from the members' runs every time the panel ends.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from judgekit.errors import RunDirError
from judgekit.inputs.checklists import ALL_CALL
from judgekit.manifest import PanelRecord, load_manifest
from judgekit.metrics.items import ItemOutcome
from judgekit.metrics.outcomes import JudgedSet
from judgekit.schema import Judgment
from judgekit.store.rundir import RunDir
from judgekit.summary import StageUsage, Summary, usage_of

PANEL_DIR = "panel"


def write_panel_run(
    directory: Path, members: list[JudgedSet], combined: JudgedSet, *, rule: str, quorum: int
) -> RunDir:
    """Write the panel's run directory under `directory`; returns it (its summary not yet built).
    `rule` and `quorum` are how `combined` was made (`compare.panel.combine`)."""
    first = RunDir(Path(str(members[0].run_dir)))
    judges = [member.judge or member.name for member in members]
    manifest = load_manifest(first).model_copy(
        update={
            "judge": combined.name,
            "run_id": "panel-" + hashlib.sha256("\n".join(sorted(judges)).encode()).hexdigest()[:12],
            "panel": PanelRecord(
                rule=rule,
                quorum=quorum,
                judges=judges,
                members=[str(member.run_dir) for member in members],
                usage=_usage(members),
            ),
        }
    )
    panel = RunDir(directory / PANEL_DIR)
    rows = [panel_row(outcome, combined.name) for outcome in combined.outcomes if outcome.status != "pending"]
    panel.rebuild_from(first, manifest.as_dict(), rows)
    return panel


def _usage(members: list[JudgedSet]) -> list[StageUsage]:
    """Each member's calls, tokens and cost from its own summary; none when a member has no summary yet
    (then the panel's run reports no calls rather than a part of them)."""
    usage = []
    for number, member in enumerate(members, start=1):
        run_dir = RunDir(Path(str(member.run_dir)))
        try:
            summary = Summary.model_validate(run_dir.read_summary())
        except (OSError, ValueError, RunDirError):
            return []
        judge = member.judge or member.name
        where = str(run_dir.path)
        usage.append(
            StageUsage(
                stage=number, judge=judge, member=True, run_dir=where, items=len(member.facts), **usage_of(summary)
            )
        )
    return usage


def panel_row(outcome: ItemOutcome, judge: str) -> Judgment:
    """The judgments.jsonl row the panel's run stores for one item's combined outcome."""
    # A checklist panel voting per criterion keeps its verdict on each criterion, so the panel's
    # run reports per-criterion pass rates and gates on them like a judge's run.
    return Judgment(
        item_id=outcome.item_id,
        call="single" if outcome.criteria is None else ALL_CALL,
        criteria=None if outcome.criteria is None else tuple(outcome.criteria),
        judge=judge,
        request_hash=f"panel:{outcome.item_id}",
        status=outcome.status,  # type: ignore[arg-type]
        verdict=outcome.verdict,
        score=outcome.score,
        pick=outcome.pick,
        probabilities=outcome.probabilities,
        panel_votes=None if outcome.backing is None or outcome.votes is None else (outcome.backing, outcome.votes),
        criterion_votes=None if outcome.criterion_votes is None else tuple(outcome.criterion_votes),
        strong=_strong(outcome.grades),
        reason=outcome.reason,
    )


def _strong(grades: tuple[str, ...] | None) -> bool | None:
    """The row's strong flag for the panel's one graded verdict (None: the verdict has no grade)."""
    return None if not grades else grades[0] in ("A>>B", "B>>A")
