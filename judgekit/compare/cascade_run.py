"""Run a cascade of judges: the first judges every item, each next one only the items escalated to it.

Each stage is an ordinary run (`api.prepare` / `api.execute`) with its own run directory,
`<out>/stage<k>-<judge>/`, over the data's rows of the items that reached it (`stage<k>.jsonl`
in `<out>/subsets/`), so the completion cache and resuming work as for `judgekit eval`: running
the same command again repeats no paid call. A later stage starts only after the stage before
it ended without stopping, because which items escalate is known only then. The combined
verdicts are written by `cascade_dir` as `<out>/cascade/`, which the run's ending gates on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from judgekit.api import EvalResult, Prepared, execute, prepare
from judgekit.inputs.subsets import write_subset
from judgekit.judging.progress import NullProgress, Progress
from judgekit.metrics.cascade import Settled, abstain, confidence, escalates, without_confidence
from judgekit.metrics.cascade_thresholds import (
    DEFAULT_ERROR_LEVEL,
    NEVER_TRUSTED,
    Guarantee,
    Split,
    calibration_pairs,
    pick_threshold,
    shown_threshold,
    split_labelled,
    stage_error_level,
)
from judgekit.metrics.items import ItemOutcome
from judgekit.metrics.outcomes import JudgedSet, from_run_dir
from judgekit.store.rundir import RunDir, slug
from judgekit.summary import StageUsage, usage_of

SUBSETS = "subsets"


@dataclass(frozen=True)
class CascadeOptions:
    judges: Sequence[str]
    out: Path
    escalate_below: float
    abstain_below: float | None = None
    target_agreement: float | None = None
    error_level: float = DEFAULT_ERROR_LEVEL
    """With `target_agreement`: the chance, at most, that the thresholds miss it (shared by the stages)."""
    seed: int = 0
    max_cost: float | None = None
    """A spending limit for this session over every stage together (US dollars)."""


class StageRecord(StageUsage):
    """What one stage did (each figure over its run directory, every session included): what the
    summary reports of it (`StageUsage`), and how this session's part of it ended."""

    errors: int = 0
    stop_reason: str | None = None
    wall_s: float = 0.0


@dataclass
class StagesResult:
    settled: list[Settled]
    stages: list[StageRecord] = field(default_factory=list)
    first: JudgedSet | None = None
    """The first stage's judged set (every item's facts)."""
    split: Split | None = None
    thresholds: list[float] = field(default_factory=list)
    evidence: list[int] = field(default_factory=list)
    guarantees: list[Guarantee] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def stage_dir(out: Path, stage: int, judge: str) -> Path:
    return out / f"stage{stage}-{slug(judge)}"


def run_stages(
    planned: Sequence[Prepared], options: CascadeOptions, progress: Callable[[], Progress] | None = None
) -> StagesResult:
    """Judge stage by stage; `planned` holds each judge's checked run over the whole data."""
    result = StagesResult(settled=[])
    settled: dict[str, Settled] = {}
    reaching: list[str] | None = None  # None: every item (the first stage)
    spent = 0.0
    for index, prepared in enumerate(planned):
        stage = index + 1
        if reaching is not None and not reaching:
            break
        budget = None if options.max_cost is None else options.max_cost - spent
        one = _stage_prepared(prepared, reaching, options, stage, budget, result.notes)
        started = time.monotonic()
        outcome = asyncio.run(execute(one, progress() if progress else NullProgress()))
        spent += outcome.counters.cost_usd
        judged = from_run_dir(outcome.run_dir, name=str(one.spec))
        if result.first is None:
            result.first = judged
            if options.target_agreement is not None:
                result.split = split_labelled(judged.facts, options.seed)
        last = stage == len(planned)
        guarantee = _guarantee(judged, options, result)
        threshold = guarantee.threshold if guarantee is not None else _given_threshold(options, last)
        shown = shown_threshold(threshold) if (not last or _abstains(options)) else None
        record = _record(stage, outcome, judged, shown, guarantee)
        record.wall_s = round(time.monotonic() - started, 3)
        result.stages.append(record)
        reaching = []
        for outcome_of_item in judged.outcomes:
            item_id = outcome_of_item.item_id
            settled[item_id] = Settled(outcome_of_item, record.judge, stage, confidence(outcome_of_item))
            if last:
                if _abstains(options):
                    settled[item_id] = abstain(settled[item_id], threshold)
            elif escalates(outcome_of_item, threshold):
                reaching.append(item_id)
        record.escalated = len(reaching)
        blind = without_confidence(judged.outcomes)
        if blind and (not last or _abstains(options)):
            what = "escalated" if not last else "were left to humans"
            result.notes.append(
                f"warning: stage {stage} ({record.judge}): {blind} verdicts carried no confidence (answers without "
                f"log-probabilities or samples) and {what}"
            )
        if record.stop_reason is not None:
            _leave_pending(settled, reaching, stage)
            break
    for prepared in planned[len(result.stages) :]:
        asyncio.run(prepared.backend.aclose())  # a judge no item reached: never called
    assert result.first is not None
    result.settled = [settled[fact.id] for fact in result.first.facts]
    return result


def _record(
    stage: int, outcome: EvalResult, judged: JudgedSet, threshold: float | None, guarantee: Guarantee | None
) -> StageRecord:
    """What one stage did, from its run's summary (every session on its directory counted)."""
    return StageRecord(
        stage=stage,
        judge=judged.name,
        run_dir=str(outcome.run_dir),
        items=len(judged.facts),
        threshold=threshold,
        disagreement_bound=guarantee.passed.bound if guarantee is not None and guarantee.passed else None,
        errors=outcome.summary.counts.errors,
        stop_reason=outcome.stop_reason,
        **usage_of(outcome.summary),
    )


def _abstains(options: CascadeOptions) -> bool:
    return options.abstain_below is not None or options.target_agreement is not None


def _stage_prepared(
    planned: Prepared,
    reaching: list[str] | None,
    options: CascadeOptions,
    stage: int,
    budget: float | None,
    notes: list[str],
) -> Prepared:
    """The stage's run: the planned one for the first stage, else over the rows that reached it."""
    if reaching is None:
        return planned  # its configuration already holds the whole --max-cost
    update: dict[str, object] = {"max_cost": max(budget, 0.0)} if budget is not None else {}
    subset = options.out / SUBSETS / f"stage{stage}.jsonl"
    write_subset(planned.dataset, reaching, subset)
    update.update(dataset=str(subset), limit=None)
    config = planned.config.model_copy(update=update)
    stored = RunDir(Path(str(config.out)))
    if stored.exists() and stored.read_manifest().get("resolved", {}).get("dataset_sha256") != _sha256(subset):
        # Other items escalated than when this stage last ran (an earlier failure was retried):
        # start it afresh; the completion cache answers every call it already paid for.
        notes.append(f"stage {stage}: other items reached {config.judge} than last time; its run started afresh")
        config = config.model_copy(update={"fresh": True})
    return prepare(config, backend=planned.backend)


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _given_threshold(options: CascadeOptions, last: bool) -> float:
    """A stage's threshold as given: `--escalate-below`, or `--abstain-below` after the last judge."""
    if last:
        return options.abstain_below if options.abstain_below is not None else 0.0
    return options.escalate_below


def _guarantee(judged: JudgedSet, options: CascadeOptions, result: StagesResult) -> Guarantee | None:
    """`--target-agreement`: the stage's threshold chosen on the calibration items (None without it)."""
    if options.target_agreement is None or result.split is None:
        return None
    values = [confidence(outcome) for outcome in judged.outcomes]
    verdicts = [outcome.verdict if outcome.status == "ok" else None for outcome in judged.outcomes]
    pairs = calibration_pairs(judged.facts, values, verdicts, result.split.calibration)
    level = stage_error_level(options.error_level, len(options.judges))
    guarantee = pick_threshold(pairs, options.target_agreement, level)
    result.thresholds.append(guarantee.threshold)
    result.evidence.append(len(pairs))
    result.guarantees.append(guarantee)
    return guarantee


def _leave_pending(settled: dict[str, Settled], reaching: list[str], stage: int) -> None:
    """Items escalated by a stage that stopped: no later judge saw them yet (the command again goes on)."""
    for item_id in reaching:
        reason = f"escalated by stage {stage}, which stopped before the end; the next judge has not seen it"
        settled[item_id] = Settled(ItemOutcome(item_id, "pending", reason=reason), None, 0)


__all__ = ["NEVER_TRUSTED", "CascadeOptions", "StageRecord", "StagesResult", "run_stages", "stage_dir"]
