"""What a cascade leaves behind in its output directory, besides each stage's own run.

- `cascade/`: a run directory holding one row per item with the cascade's verdict, whose `judge`
  is the judge the verdict came from (abstained items are unscored, with the reason). `judgekit
  report`, `judgekit gate`, JUnit, Markdown and HTML work on it like on any run, offline. It is
  derived data, rebuilt from the stages' runs every time the cascade ends.
- `abstained.jsonl`: the data's rows of the items left for humans, with the last judge's
  untrusted verdict (`cascade_verdict`), its confidence and judge, so `judgekit labels plan
  abstained.jsonl --pred cascade_verdict --n N` draws them for labelling.
- `cascade.json`: the stages (items, escalated, threshold, calls, cost), where the verdicts came
  from, and what `--target-agreement` chose and reached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from judgekit.compare.cascade_run import StageRecord
from judgekit.inputs.datasets import Dataset
from judgekit.inputs.subsets import write_subset
from judgekit.manifest import CascadeRecord, load_manifest
from judgekit.metrics.cascade import Settled
from judgekit.metrics.cascade_thresholds import TargetReport
from judgekit.metrics.outcomes import JudgedSet
from judgekit.schema import Judgment
from judgekit.store.rundir import RunDir, write_json
from judgekit.summary import StageUsage

CASCADE_DIR = "cascade"
ABSTAIN_FILE = "abstained.jsonl"
REPORT_FILE = "cascade.json"
VERDICT_COLUMN = "cascade_verdict"


class CascadeReport(BaseModel):
    """`cascade.json`: how the cascade went."""

    judges: list[str]
    escalate_below: float | None
    """The threshold given (None with --target-agreement, which chooses one per stage)."""
    abstain_below: float | None
    target_agreement: float | None = None
    error_level: float | None = None
    """With --target-agreement: the chance, at most, that the chosen thresholds miss it."""
    stages: list[dict[str, Any]]
    """Per stage that ran: judge, run_dir, items, escalated, threshold, calls, cached, cost_usd, errors."""
    sources: dict[str, int]
    """Items per final verdict source: a judge, "abstained", or a status (error, pending, unscored)."""
    abstained: int
    abstain_file: str | None = None
    target: TargetReport | None = None
    run_dir: str


def cascade_name(judges: Sequence[str]) -> str:
    return f"cascade ({' -> '.join(judges)})"


def write_cascade_run(
    out: Path, first: JudgedSet, settled: Sequence[Settled], judges: Sequence[str], stages: Sequence[StageRecord]
) -> RunDir:
    """Write `<out>/cascade/` from the first stage's run and the settled outcomes (summary not yet built);
    its run.json records what each stage did, which its summary reports as the cascade's calls and cost."""
    stage_one = RunDir(Path(str(first.run_dir)))
    name = cascade_name(judges)
    record = CascadeRecord(judges=list(judges), stages=[StageUsage.model_validate(one.model_dump()) for one in stages])
    manifest = load_manifest(stage_one).model_copy(
        update={
            "judge": name,
            "run_id": "cascade-" + hashlib.sha256("\n".join(judges).encode()).hexdigest()[:12],
            "cascade": record,
        }
    )
    run = RunDir(out / CASCADE_DIR)
    run.rebuild_from(
        stage_one, manifest.as_dict(), (_row(one, name) for one in settled if one.outcome.status != "pending")
    )
    return run


def _row(one: Settled, name: str) -> Judgment:
    outcome = one.outcome
    dropped = outcome.status == "dropped"  # two orders that disagreed: no verdict, as unscored
    return Judgment(
        item_id=outcome.item_id,
        call="single",
        judge=one.judge or name,
        request_hash=f"cascade:{outcome.item_id}",
        status="unscored" if dropped else outcome.status,  # type: ignore[arg-type]
        verdict=outcome.verdict,
        score=outcome.score,
        probabilities=outcome.probabilities,
        reason=outcome.reason,
    )


def write_abstained(dataset: Dataset, settled: Sequence[Settled], path: Path) -> int:
    """The data's rows of the abstained items, with the untrusted verdict beside them; the count."""
    extra: dict[str, dict[str, Any]] = {}
    for one in settled:
        if not one.abstained:
            continue
        tentative = one.tentative
        verdict: object = None
        if tentative is not None and tentative.status == "ok":
            verdict = tentative.verdict if tentative.verdict is not None else tentative.score
        extra[one.outcome.item_id] = {
            VERDICT_COLUMN: verdict,
            "cascade_confidence": one.confidence,
            "cascade_judge": one.judge,
        }
    if not extra:
        path.unlink(missing_ok=True)
        return 0
    return write_subset(dataset, extra, path, extra)


def write_report(out: Path, report: CascadeReport) -> Path:
    path = out / REPORT_FILE
    out.mkdir(parents=True, exist_ok=True)
    write_json(path, report.model_dump(mode="json"))
    return path


def stage_dicts(stages: Sequence[StageRecord]) -> list[dict[str, Any]]:
    return [stage.model_dump(exclude={"member"}) for stage in stages]
