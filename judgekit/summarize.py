"""A run directory's rows turned into its summary (summary.json), with no model call.

`finish` reads the typed run record and every stored row, aggregates them (`metrics`), and adds
what the summary tells besides the numbers: call and token counts over every invocation, what
was charged, why items failed, and the warnings a reader must see (mock judge, unscored and
failed items, bias flags, self-preference, truncated texts).
"""

from __future__ import annotations

from itertools import islice

from judgekit.errors import RunDirError, UsageError
from judgekit.inputs.parsing import TRUNCATED
from judgekit.judging.planning import grading_info
from judgekit.judging.pricing import resolve_prices, spent
from judgekit.judging.scoring import scoring_info
from judgekit.manifest import RunManifest, load_manifest
from judgekit.metrics.adaptive import kept_warning
from judgekit.metrics.aggregate import Aggregation, ItemOutcome, aggregate
from judgekit.metrics.confidence import item_confidence, panel_vote_share
from judgekit.metrics.failures import failure_reasons
from judgekit.metrics.graded import strong_weight_of
from judgekit.schema import Judgment
from judgekit.store.rundir import RunDir, latest_rows
from judgekit.summary import Cost, Counts, StageUsage, Summary
from judgekit.version import __version__


def finish(
    run_dir: RunDir,
    *,
    status: str = "complete",
    wall_s: float | None = None,
    backend_timing: dict[str, float] | None = None,
    resumed: int | None = None,
    labels_are_random: bool = False,
) -> Summary:
    """Aggregate a run directory's rows into summary.json (no model calls).

    `resumed`: calls the last session found already made by an earlier one (None keeps the
    number summary.json holds, as `judgekit report` does). `labels_are_random` (or the run's
    configuration) skips the check of the human labels behind the human-anchored estimates
    (see `metrics.human_anchored`)."""
    manifest = load_manifest(run_dir)
    config = manifest.config
    items = islice(run_dir.iter_items(), config.limit) if config.limit else run_dir.iter_items()  # streamed
    all_rows = run_dir.load_judgments(lean=True)
    result = aggregate(
        items,
        all_rows,
        scale=manifest.template.scale,
        choices=manifest.template.choices,
        method=manifest.method,
        resamples=manifest.resamples,
        seed=manifest.seed,
        group_by=config.group_by,
        level=config.level,
        renamed=_renamed_columns(manifest),
        positions=config.positions,
        disagreement=config.order_disagreement,
        labels_are_random=labels_are_random or config.labels_are_random,
        swap_below=config.swap_below,
        swap_audit=config.swap_audit,
        checklist_calls=_checklist_calls(manifest),
        strong_weight=strong_weight_of(manifest),
    )
    counts = _call_counts(result, all_rows)
    counts.resumed = resumed if resumed is not None else _stored_resumed(run_dir)
    stages = _stages_of(manifest)
    if stages is not None:
        _add_stages(counts, stages)  # the calls were made in the stages' (members') own run directories
    if status == "complete" and (counts.pending or counts.errors):
        status = "incomplete"
    summary = Summary(
        status=status,  # type: ignore[arg-type]
        run_dir=str(run_dir.path),
        kind=result.kind,  # type: ignore[arg-type]
        judge=manifest.judge,
        template=manifest.template.model_dump(mode="json"),
        dataset=manifest.dataset.model_dump(mode="json", include={"path", "format", "rows", "sha256", "mapping"}),
        config=config.model_dump(mode="json"),
        judgekit_version=__version__,
        counts=counts,
        pairwise=result.pairwise,
        pointwise=result.pointwise,
        listwise=result.listwise,
        bias=result.bias,
        human=result.human,
        orders=result.orders,
        failed_items=result.failed_items,
        unscored_items=result.unscored_items,
        warnings=_mock(manifest.judge) + _warnings(result, manifest) + _self_preference(manifest.judge, result.models),
        timing={**({"wall_s": round(wall_s, 3)} if wall_s is not None else {}), **(backend_timing or {})},
        leaderboard=result.leaderboard,
        scoring=scoring_info(manifest.resolved.get("grading", {}).get("scoring"), all_rows),
        grading=grading_info(manifest.resolved.get("grading"), all_rows),
        cost=_cost(manifest, all_rows) if stages is None else _stages_cost(stages),
        human_anchored=result.human_anchored,
        confidence=result.confidence,
        adaptive=result.adaptive,
        checklist=result.checklist,
        stages=stages,
    )
    run_dir.write_summary(summary.model_dump(mode="json"))
    run_dir.write_outcomes(outcome_line(outcome) for outcome in result.outcomes)
    return summary


def outcome_line(outcome: ItemOutcome) -> dict[str, object]:
    """An item's line of outcomes.jsonl: its result, and how sure the judge was (`metrics.confidence`)."""
    line: dict[str, object] = {"item_id": outcome.item_id, "status": outcome.status}
    for name in ("verdict", "score", "flipped", "reason"):
        value = getattr(outcome, name)
        if value is not None:
            line[name] = value
    confidence = item_confidence(outcome)
    if confidence is not None:
        line["confidence"] = round(confidence.value, 6)
        line["confidence_source"] = confidence.source
    if outcome.criterion_votes is not None:  # a checklist panel: the share behind each criterion's verdict
        line["criterion_confidence"] = [
            None if votes is None or (share := panel_vote_share(*votes)) is None else round(share, 6)
            for votes in outcome.criterion_votes
        ]
    return line


def _checklist_calls(manifest: RunManifest) -> str | None:
    """each or all for a checklist run; None otherwise, and for a panel that averaged its judges'
    item scores (`--panel-rule mean`: each member's run holds its per-criterion verdicts)."""
    if manifest.panel is not None and manifest.panel.rule not in ("majority", "unanimous"):
        return None
    calls = manifest.resolved.get("grading", {}).get("checklist")
    return str(calls) if calls else None


def _stored_resumed(run_dir: RunDir) -> int:
    if not run_dir.summary_path.exists():
        return 0
    try:
        return int(run_dir.read_summary().get("counts", {}).get("resumed", 0))
    except (RunDirError, TypeError, ValueError, AttributeError):
        return 0


def _renamed_columns(manifest: RunManifest) -> dict[str, str]:
    """Data column -> canonical field, for columns that --field (or an alias) renamed."""
    mapping = manifest.dataset.mapping
    return {column: canonical for canonical, column in mapping.items() if column != canonical}


def _mock(judge: str) -> list[str]:
    from judgekit.metrics.caveats import mock_judge_warning

    warning = mock_judge_warning([judge])
    return [warning] if warning else []


def _self_preference(judge: str, candidates: set[str]) -> list[str]:
    from judgekit.metrics.families import self_preference_warning

    warning = self_preference_warning(judge, candidates)
    return [warning] if warning else []


def _call_counts(result: Aggregation, all_rows: list[Judgment]) -> Counts:
    """Call statistics over the whole run directory, so a resumed run reports like one run."""
    counts = result.counts.model_copy()
    latest = latest_rows(all_rows).values()
    for row in latest:
        if row.completion is not None and not row.cached:
            counts.calls += 1
            counts.prompt_tokens += row.completion.prompt_tokens or 0
            counts.completion_tokens += row.completion.completion_tokens or 0
        counts.cached += row.cached
        if row.status == "error":
            counts.failures[row.error_kind or "other"] = counts.failures.get(row.error_kind or "other", 0) + 1
    for row in all_rows:
        counts.requests += row.attempts
        for kind, number in row.retries.items():
            counts.retries[kind] = counts.retries.get(kind, 0) + number
    counts.failure_reasons = failure_reasons(latest, all_rows)
    return counts


def _stages_of(manifest: RunManifest) -> list[StageUsage] | None:
    """A cascade's stages or a panel's members, when the run is their combined verdicts."""
    if manifest.cascade is not None:
        return manifest.cascade.stages
    if manifest.panel is not None and manifest.panel.usage:
        return manifest.panel.usage
    return None


def _add_stages(counts: Counts, stages: list[StageUsage]) -> None:
    """A combined run holds no call of its own: its calls, tokens and failures are its stages' (members')."""
    counts.calls = sum(stage.calls for stage in stages)
    counts.cached = sum(stage.cached for stage in stages)
    counts.requests = sum(stage.requests for stage in stages)
    counts.resumed = sum(stage.resumed for stage in stages)
    counts.prompt_tokens = sum(stage.prompt_tokens for stage in stages)
    counts.completion_tokens = sum(stage.completion_tokens for stage in stages)
    counts.retries, counts.failures = {}, {}
    for stage in stages:
        for total, part in ((counts.retries, stage.retries), (counts.failures, stage.failures)):
            for kind, number in part.items():
                total[kind] = total.get(kind, 0) + number


def _stages_cost(stages: list[StageUsage]) -> Cost | None:
    """A cascade's (panel's) cost: its stages' (members') together, each at its judge's price; None when one
    has no price."""
    if any(stage.cost_usd is None for stage in stages):
        return None
    total = round(sum(stage.cost_usd or 0.0 for stage in stages), 6)
    return Cost(usd=total, list_usd=total, source="each judge at its own price (see stages)")


def _cost(manifest: RunManifest, rows: list[Judgment]) -> Cost | None:
    """What the directory's answers were charged (batch answers at the batch price), and at list price."""
    config = manifest.config
    try:
        prices = resolve_prices(manifest.judge, config.price_in, config.price_out)
    except UsageError:
        return None
    if prices is None:
        return None
    total = spent(rows, prices)
    return Cost(
        usd=round(total.charged, 6),
        list_usd=round(total.list_price, 6),
        batch_answers=sum(1 for row in rows if row.batch_id and row.completion is not None and not row.cached),
        price_in=prices.input,
        price_out=prices.output,
        source=prices.source,
    )


def _warnings(result: Aggregation, manifest: RunManifest) -> list[str]:
    warnings = []
    counts = result.counts
    if counts.unscored:
        warnings.append(
            f"{counts.unscored} of {counts.items} items are unscored (no valid verdict); "
            "they are left out of every rate"
        )
    cut = counts.unscored_reasons.get(TRUNCATED)
    if cut:
        warnings.append(
            f"{cut} unscored items ran out of tokens before their verdict (the answer reached the token limit); "
            "raise --max-tokens"
        )
    if counts.errors:
        warnings.append(f"{counts.errors} items failed after retries; run the same command again to retry only them")
    if counts.pending:
        warnings.append(f"{counts.pending} items were not judged; run the same command again to finish")
    if counts.dropped:
        warnings.append(
            f"{counts.dropped} of {counts.items} items were dropped: their two orders disagreed "
            "(--order-disagreement drop); they are left out of every rate"
        )
    if result.bias is not None:
        warnings.extend(flag.message for flag in result.bias.flags)
    audit = kept_warning(result.adaptive)
    if audit:
        warnings.append(audit)
    scoring = manifest.resolved.get("grading", {}).get("scoring") or {}
    warnings.extend(scoring.get("warnings") or [])
    truncated = manifest.dataset.truncated
    if truncated:
        warnings.append(f"{truncated} texts were cut to --max-chars characters (--truncate)")
    return warnings
